// `lengua keys` as a user runs it (bin/lengua.js in a child process), on a key file in a temp folder; the
// default audit log goes to LENGUA_HOME, which the child inherits from this process.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { runCli } from './testing.js';
import { authPlugin } from '../serve/auth.js';
import { parseKey } from '../serve/keys.js';

let dir = '';
let home = '';
let keys = '';
let savedHome: string | undefined;
const T = { timeout: 60_000 };

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lengua-cli-keys-'));
  home = join(dir, 'home');
  keys = join(dir, 'keys.json');
  savedHome = process.env.LENGUA_HOME;
  process.env.LENGUA_HOME = home;
});
after(() => {
  if (savedHome === undefined) delete process.env.LENGUA_HOME;
  else process.env.LENGUA_HOME = savedHome;
  rmSync(dir, { recursive: true, force: true });
});

const audit = (): Array<Record<string, unknown>> => readFileSync(join(home, 'audit.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

test('keys create prints the key alone on stdout; list, revoke; the file is 0600 without the key; the audit log has both actions', async () => {
  const made = runCli(['keys', 'create', '--name', 'ci', '--scope', 'admin', '--rate', '20/s', '--keys', keys], T);
  assert.equal(made.status, 0, made.stderr);
  assert.match(made.stdout, /^lng_[0-9a-f]{16}_[A-Za-z0-9_-]{43}\n$/);
  const key = made.stdout.trimEnd();
  const id = parseKey(key)!.id;
  assert.match(made.stderr, new RegExp(`created key ci \\(id ${id}, scope admin, rate 20/s\\) in .*keys\\.json\\n.*only this once`));
  assert.ok(!made.stderr.includes(parseKey(key)!.secret));
  assert.equal(statSync(keys).mode & 0o777, 0o600);
  const file = readFileSync(keys, 'utf8');
  assert.ok(!file.includes(key) && !file.includes(parseKey(key)!.secret));

  const second = runCli(['keys', 'create', '--name', 'web', '--keys', keys], T);
  assert.equal(second.status, 0, second.stderr);
  const webKey = second.stdout.trimEnd();

  const list = runCli(['keys', 'list', '--keys', keys], T);
  assert.equal(list.status, 0, list.stderr);
  const rows = list.stdout.trimEnd().split('\n').map((l) => l.split(/ {2,}/));
  assert.deepEqual(rows.map((r) => r.slice(0, 4)), [['name', 'id', 'scope', 'rate'], ['ci', id, 'admin', '20/s'], ['web', parseKey(webKey)!.id, 'predict', '-']]);

  // The key works against a server reading this file, until it is revoked by name.
  const app = Fastify() as unknown as FastifyInstance;
  await app.register(authPlugin, { keys, metrics: 'open' });
  app.get('/p', { config: { scope: 'predict' } }, async () => ({ ok: true }));
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const get = async (k: string): Promise<number> => (await fetch(`${url}/p`, { headers: { authorization: `Bearer ${k}` } })).status;
    assert.equal(await get(webKey), 200);
    const revoked = runCli(['keys', 'revoke', 'web', '--keys', keys], T);
    assert.equal(revoked.status, 0, revoked.stderr);
    assert.match(revoked.stdout, /^revoked key web \(id [0-9a-f]{16}\)/);
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal(await get(webKey), 401);
    assert.equal(await get(key), 200);
  } finally {
    await app.close();
  }

  const byId = runCli(['keys', 'revoke', id, '--keys', keys], T);
  assert.equal(byId.status, 0, byId.stderr);
  const json = runCli(['keys', 'list', '--all', '--json', '--keys', keys], T);
  assert.equal(json.status, 0, json.stderr);
  const listed = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
  assert.deepEqual(listed.map((k) => [k.name, typeof k.revoked]), [['ci', 'string'], ['web', 'string']]);
  assert.ok(listed.every((k) => !('hash' in k) && !('salt' in k) && !('kdf' in k)));
  const empty = runCli(['keys', 'list', '--keys', keys], T);
  assert.equal(empty.stdout, '');
  assert.match(empty.stderr, /no keys in /);

  assert.deepEqual(audit().map((l) => [l.event, l.action, l.name]), [['admin', 'key.create', 'ci'], ['admin', 'key.create', 'web'], ['admin', 'key.revoke', 'web'], ['admin', 'key.revoke', 'ci']]);
  assert.match(audit()[0]!.actor as string, /^cli:/);
  const auditText = readFileSync(join(home, 'audit.jsonl'), 'utf8');
  assert.ok(!auditText.includes(parseKey(key)!.secret) && !auditText.includes(parseKey(webKey)!.secret));
});

test('keys refuses a bad scope, rate or name and an unknown key, naming the flag; stdout stays empty', () => {
  const file = join(dir, 'refusals.json');
  const cases: Array<[string[], RegExp]> = [
    [['--name', 'x', '--scope', 'root'], /field "--scope": expected predict or admin, got "root"/],
    [['--name', 'x', '--rate', '10'], /field "--rate": expected a rate such as 10\/s/],
    [['--name', 'bad name'], /field "--name": a key name is/],
  ];
  for (const [args, message] of cases) {
    const r = runCli(['keys', 'create', ...args, '--keys', file], T);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, message);
  }
  assert.ok(!existsSync(file), 'nothing written for a refused key');
  const unknown = runCli(['keys', 'revoke', 'nobody', '--keys', file], T);
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /no key named "nobody"/);
});
