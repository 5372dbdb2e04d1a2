/**
 * `lengua keys create|list|revoke`: the API keys of `lengua serve --keys FILE` (default LENGUA_HOME/keys.json).
 * `create` prints the new key alone on stdout, once (notes go to stderr), so `KEY=$(lengua keys create ...)`
 * captures exactly the key. Creating and revoking are written to the audit log.
 */
import { Command, Option } from 'commander';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { AuditLog, defaultAuditPath } from '../serve/audit.js';
import { checkScope, createKey, defaultKeysPath, publicFields, readKeyFile, revokeKey } from '../serve/keys.js';

interface CommonFlags {
  keys?: string;
  audit?: string;
}

function keysPath(f: CommonFlags): string {
  return f.keys !== undefined ? resolve(f.keys) : defaultKeysPath();
}

/** Who ran the command, for the audit log. */
function actor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return `cli:uid-${process.getuid?.() ?? 'unknown'}`;
  }
}

function addCommon(cmd: Command): Command {
  return cmd
    .option('--keys <file>', 'the key file (default: $LENGUA_HOME/keys.json)')
    .option('--audit <file>', 'the audit log (default: $LENGUA_HOME/audit.jsonl)');
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => (r[j] ?? '').length)));
  return rows.map((r) => r.map((c, j) => c.padEnd(widths[j]!)).join('  ').trimEnd()).join('\n');
}

export function register(program: Command): void {
  const keys = program.command('keys').description('API keys of `lengua serve --keys`: create, list, revoke (stored hashed with scrypt, file mode 0600)');

  addCommon(
    keys
      .command('create')
      .description('create a key and print it on stdout, alone and only this once')
      .requiredOption('--name <name>', 'a unique name (letters, digits, . _ -)')
      .addOption(new Option('--scope <scope>', 'predict: inference routes; admin: also the admin routes').default('predict'))
      .option('--rate <rate>', 'requests this key may make, e.g. 10/s, 600/min, 5000/h (default: no per-key limit)'),
  ).action(async (f: CommonFlags & { name: string; scope: string; rate?: string }) => {
    const path = keysPath(f);
    const { key, entry } = await createKey(path, { name: f.name, scope: checkScope(f.scope), rate: f.rate ?? null });
    new AuditLog(f.audit ?? defaultAuditPath()).admin({ action: 'key.create', actor: actor(), key: entry.id, name: entry.name, scope: entry.scope, rate: entry.rate, keys: path });
    process.stdout.write(`${key}\n`);
    process.stderr.write(`created key ${entry.name} (id ${entry.id}, scope ${entry.scope}, rate ${entry.rate ?? 'unlimited'}) in ${path}\nthe key above is shown only this once: store it now\n`);
  });

  addCommon(
    keys
      .command('list')
      .description('list the keys (never the secrets): name, id, scope, rate, created')
      .option('--all', 'also the revoked keys')
      .option('--json', 'a JSON array of the non-secret fields'),
  ).action((f: CommonFlags & { all?: boolean; json?: boolean }) => {
    const path = keysPath(f);
    const list = readKeyFile(path).keys.filter((k) => f.all === true || k.revoked === undefined).map(publicFields);
    if (f.json === true) {
      process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      return;
    }
    if (list.length === 0) {
      process.stderr.write(`no keys in ${path}\n`);
      return;
    }
    const head = ['name', 'id', 'scope', 'rate', 'created', ...(f.all === true ? ['revoked'] : [])];
    const rows = list.map((k) => [k.name, k.id, k.scope, k.rate ?? '-', k.created, ...(f.all === true ? [k.revoked ?? '-'] : [])]);
    process.stdout.write(`${table([head, ...rows])}\n`);
  });

  addCommon(
    keys
      .command('revoke')
      .description('revoke a key by name or id; a running server refuses it within a second')
      .argument('<name-or-id>', 'the key'),
  ).action(async (nameOrId: string, f: CommonFlags) => {
    const path = keysPath(f);
    const entry = await revokeKey(path, nameOrId);
    new AuditLog(f.audit ?? defaultAuditPath()).admin({ action: 'key.revoke', actor: actor(), key: entry.id, name: entry.name, keys: path });
    process.stdout.write(`revoked key ${entry.name} (id ${entry.id}) in ${path}\n`);
  });
}
