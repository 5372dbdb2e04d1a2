/**
 * `lengua registry push|list|show|promote|rollback|pull|verify`: the model registry (src/registry) from the
 * command line. Every subcommand takes --registry DIR (default $LENGUA_HOME/registry) and, for an encrypted
 * registry, --encryption-key-file FILE or LENGUA_REGISTRY_KEY. push exports a training folder to ONNX with
 * exportToOnnx (loaded only then: it brings libtorch); the registry itself never loads the export stage.
 */
import { Command, Option } from 'commander';
import { LenguaError } from '../errors.js';
import {
  defaultRegistryDir, parseKey, readKeyFile, Registry, STAGES, type ExportOutcome, type Manifest, type PushExporter, type Stage, type VerifyReport,
} from '../registry/index.js';

interface CommonFlags {
  registry?: string;
  encryptionKeyFile?: string;
  json?: boolean;
}

function out(s: string): void {
  process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
}

function warn(s: string): void {
  process.stderr.write(`${s}\n`);
}

/** The key: --encryption-key-file, else LENGUA_REGISTRY_KEY, else none. Never printed. */
function registryKey(f: CommonFlags): Uint8Array | undefined {
  if (f.encryptionKeyFile !== undefined) return readKeyFile(f.encryptionKeyFile, warn);
  const env = process.env.LENGUA_REGISTRY_KEY;
  if (env !== undefined && env !== '') return parseKey(env, 'LENGUA_REGISTRY_KEY');
  return undefined;
}

async function open(f: CommonFlags): Promise<Registry> {
  const key = registryKey(f);
  return Registry.open({ root: f.registry ?? defaultRegistryDir(), ...(key !== undefined ? { key } : {}) });
}

/** Adds the flags every subcommand takes. */
function common(cmd: Command, json = true): Command {
  cmd
    .option('--registry <dir>', 'registry folder (default: $LENGUA_HOME/registry, ~/.lengua/registry)')
    .option('--encryption-key-file <file>', 'the 32-byte key of an encrypted registry (64 hex digits, base64, or raw); or set LENGUA_REGISTRY_KEY');
  if (json) cmd.option('--json', 'print JSON for programs');
  return cmd;
}

function size(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1 << 30) return `${(n / (1 << 20)).toFixed(1)} MB`;
  return `${(n / (1 << 30)).toFixed(2)} GB`;
}

function parseStage(s: string): Stage {
  if (!(STAGES as readonly string[]).includes(s)) throw new LenguaError(`--stage must be ${STAGES.join(' or ')}, got ${JSON.stringify(s)}`, { field: 'stage' });
  return s as Stage;
}

/** `N@V` with an explicit version: what promote takes. */
function nameAtVersion(ref: string): { name: string; version: string } {
  const at = ref.indexOf('@');
  if (at <= 0 || at === ref.length - 1) throw new LenguaError(`expected NAME@VERSION, got ${JSON.stringify(ref.slice(0, 200))}`, { field: 'ref' });
  return { name: ref.slice(0, at), version: ref.slice(at + 1) };
}

/** The exporter push uses for a training folder: exportToOnnx, imported only when a folder needs it. */
const exportOnPush: PushExporter = async (modelDir, outDir): Promise<ExportOutcome> => {
  const { exportToOnnx } = await import('../export/index.js');
  const r = await exportToOnnx(modelDir, outDir, {});
  return { task: r.task, opset: r.opset, maxAbsDiff: r.validation.maxAbsDiff, atol: r.validation.atol };
};

function headline(metrics: Record<string, number | null>): string {
  const keys = ['accuracy', 'macro_f1', 'macro_recall', 'log_loss'].filter((k) => metrics[k] !== undefined);
  return keys.map((k) => `${k} ${metrics[k] === null ? 'undefined' : metrics[k]!.toFixed(4)}`).join(', ');
}

/** What `show NAME@REF` prints. */
export function describeManifest(m: Manifest, via: string): string {
  const lines = [
    `${m.name}@${m.version}${via !== 'version' ? ` (${via})` : ''}, pushed ${m.createdAt}`,
    ...(m.notes !== undefined ? [`  notes: ${m.notes.split('\n')[0]}`] : []),
    `  model: ${m.model.modelType ?? 'unknown'}${m.model.architecture !== null ? ` ${m.model.architecture}` : ''}, task ${m.model.task ?? 'unknown'}`,
    ...(m.model.labels !== null ? [`  labels: ${m.model.labels.join(', ')}`] : []),
    `  source: ${m.source.kind} folder ${m.source.path}${m.source.exportedOnPush ? ' (exported to ONNX on push)' : ''}`,
    `  onnx: ${m.onnx.length > 0 ? m.onnx.join(', ') : 'none'}`,
  ];
  for (const e of m.metrics.evaluations) lines.push(`  evaluation [${e.split}] n=${e.n}: ${headline(e.metrics)} (data sha256 ${e.dataSha256.slice(0, 16)}…)`);
  if (m.metrics.training !== null) {
    const t = m.metrics.training;
    lines.push(`  training: ${Object.entries(t).filter(([k]) => /^(train_loss|eval_loss|eval_accuracy|eval_macro_f1|epoch)$/.test(k)).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`).join(', ')}`);
  }
  for (const d of m.data) lines.push(`  data (${d.role}${d.split !== undefined ? `, ${d.split}` : ''}): ${d.path} sha256 ${d.sha256}`);
  lines.push(`  files (${m.files.length}, ${size(m.files.reduce((n, f) => n + f.size, 0))}):`);
  for (const f of m.files) lines.push(`    ${f.path}  ${size(f.size)}  ${f.sha256}`);
  return lines.join('\n') + '\n';
}

function printVerify(r: VerifyReport, location: string): void {
  for (const p of r.problems) out(`${p.kind.toUpperCase()}: ${p.message}${p.file !== undefined ? `\n  file: ${p.file}` : ''}`);
  out(`checked ${r.versions} version(s), ${r.blobs} blob(s), ${size(r.bytes)} in ${location}: ${r.problems.length === 0 ? 'all intact' : `${r.problems.length} problem(s)`}`);
  if (r.orphans.length > 0) {
    out(`note: ${r.orphans.length} blob(s) no version references (left by an interrupted push; harmless): ${r.orphans.slice(0, 5).join(', ')}${r.orphans.length > 5 ? ', …' : ''}`);
  }
}

export function register(program: Command): void {
  const reg = program
    .command('registry')
    .description('versioned models: push a model folder, promote versions to staging/production, roll back, pull, verify');

  common(reg.command('push <dir>'))
    .description('store a model folder (exported, or a training folder: exported to ONNX on push) as a new version, with a manifest and a model card')
    .requiredOption('--name <name>', 'model name (letters, digits, . _ -)')
    .option('--version <semver>', 'version (default: the next patch after the highest, 1.0.0 first)')
    .option('--notes <text>', 'notes for the model card')
    .option('--no-export', 'store a training folder as it is, without an ONNX export')
    .option('--data <file...>', 'data files (the training data, say) whose sha256 the manifest records')
    .action(async (dir: string, f: CommonFlags & { name: string; version?: string; notes?: string; export: boolean; data?: string[] }) => {
      const registry = await open(f);
      const r = await registry.push(dir, {
        name: f.name,
        ...(f.version !== undefined ? { version: f.version } : {}),
        ...(f.notes !== undefined ? { notes: f.notes } : {}),
        export: f.export,
        exporter: exportOnPush,
        ...(f.data !== undefined ? { dataFiles: f.data } : {}),
        log: f.json === true ? () => undefined : (l) => warn(l),
      });
      const total = r.manifest.files.reduce((n, x) => n + x.size, 0);
      if (f.json === true) {
        out(JSON.stringify({ name: r.name, version: r.version, registry: registry.location, files: r.manifest.files.length, bytes: total, newBlobs: r.newBlobs, newBytes: r.newBytes, exportedOnPush: r.exportedOnPush, onnx: r.manifest.onnx, skipped: r.skipped }));
        return;
      }
      out(`pushed ${r.name}@${r.version} from a${r.manifest.source.kind === 'exported' ? 'n exported' : ` ${r.manifest.source.kind}`} folder${r.exportedOnPush ? ' (exported to ONNX on push)' : ''}`);
      out(`  ${r.manifest.files.length} files, ${size(total)}; ${r.newBlobs} new blob(s), ${size(r.newBytes)} stored (the rest was already in the registry)`);
      out(`  onnx: ${r.manifest.onnx.length > 0 ? r.manifest.onnx.join(', ') : 'none'}; model card: ${r.manifest.card}`);
      for (const s of r.skipped) out(`  left out: ${s.path} (${s.why})`);
      out(`  registry: ${registry.location}${registry.encrypted ? ' (encrypted)' : ''}`);
    });

  common(reg.command('list'))
    .description('every model: its versions and what staging and production point to')
    .action(async (f: CommonFlags) => {
      const registry = await open(f);
      const models = await registry.list();
      if (f.json === true) return out(JSON.stringify(models));
      if (models.length === 0) return out(`the registry ${registry.location} is empty`);
      const rows = [['NAME', 'VERSIONS', 'LATEST', 'STAGING', 'PRODUCTION'], ...models.map((m) => [m.name, String(m.versions.length), m.latest ?? '-', m.staging ?? '-', m.production ?? '-'])];
      const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
      for (const r of rows) out(r.map((c, i) => c.padEnd(w[i]!)).join('  ').trimEnd());
    });

  common(reg.command('show <ref>'))
    .description('NAME: its versions and stages; NAME@VERSION|production|staging|latest: the manifest of that version')
    .option('--card', 'print the model card (README.md) of the version')
    .action(async (ref: string, f: CommonFlags & { card?: boolean }) => {
      const registry = await open(f);
      if (!ref.includes('@') && f.card !== true) {
        const versions = await registry.versions(ref);
        if (versions.length === 0) await registry.resolveRef(ref); // the error names the models there are
        const stages = { staging: await registry.stage(ref, 'staging'), production: await registry.stage(ref, 'production') };
        const manifests = await Promise.all(versions.map((v) => registry.manifest(ref, v)));
        if (f.json === true) {
          return out(JSON.stringify({
            name: ref,
            versions: manifests.map((m) => ({ version: m.version, createdAt: m.createdAt, notes: m.notes ?? null, task: m.model.task, onnx: m.onnx })),
            staging: stages.staging?.version ?? null,
            production: stages.production?.version ?? null,
            history: { staging: stages.staging?.log ?? [], production: stages.production?.log ?? [] },
          }));
        }
        out(`${ref}: ${versions.length} version(s); staging ${stages.staging?.version ?? '-'}, production ${stages.production?.version ?? '-'}`);
        for (const m of manifests) {
          const marks = STAGES.filter((s) => stages[s]?.version === m.version);
          out(`  ${m.version.padEnd(12)} ${m.createdAt}${marks.length > 0 ? `  [${marks.join(', ')}]` : ''}${m.notes !== undefined ? `  ${m.notes.split('\n')[0]!.slice(0, 80)}` : ''}`);
        }
        const history = stages.production?.previous ?? [];
        if (history.length > 0) out(`  production before: ${history.join(' → ')} (rollback goes back to ${history[history.length - 1]})`);
        return;
      }
      const r = await registry.resolveRef(ref);
      if (f.card === true) return out((await registry.readFile(r, r.manifest.card)).toString('utf8'));
      if (f.json === true) return out(JSON.stringify({ ...r.manifest, via: r.via }));
      out(describeManifest(r.manifest, r.via));
    });

  common(reg.command('promote <ref>'))
    .description('point a stage (staging or production) at NAME@VERSION; the version it pointed to before is kept for rollback')
    .addOption(new Option('--stage <stage>', 'staging or production').choices([...STAGES]).makeOptionMandatory())
    .action(async (ref: string, f: CommonFlags & { stage: string }) => {
      const { name, version } = nameAtVersion(ref);
      const stage = parseStage(f.stage);
      const registry = await open(f);
      const r = await registry.promote(name, version, stage);
      if (f.json === true) return out(JSON.stringify({ name, stage, version, previous: r.previous, changed: r.changed }));
      out(r.changed ? `${name}@${stage}: ${r.previous ?? '(none)'} → ${version}` : `${name}@${stage} is already ${version}; nothing changed`);
    });

  common(reg.command('rollback <name>'))
    .description('move production (or --stage staging) back to the version it pointed to before the last promote')
    .addOption(new Option('--stage <stage>', 'which stage').choices([...STAGES]).default('production'))
    .action(async (name: string, f: CommonFlags & { stage: string }) => {
      const stage = parseStage(f.stage);
      const registry = await open(f);
      const r = await registry.rollback(name, { stage });
      if (f.json === true) return out(JSON.stringify({ name, stage, from: r.from, to: r.to }));
      out(`${name}@${stage}: rolled back ${r.from} → ${r.to}`);
    });

  common(reg.command('pull <ref>'))
    .description('write the files of NAME@VERSION|production|staging|latest into a new folder, each checked against its sha256')
    .requiredOption('--out <dir>', 'a new or empty folder')
    .action(async (ref: string, f: CommonFlags & { out: string }) => {
      const registry = await open(f);
      const r = await registry.pull(ref, f.out);
      if (f.json === true) return out(JSON.stringify(r));
      out(`pulled ${r.name}@${r.version}: ${r.files} files, ${size(r.bytes)} into ${r.dir}`);
    });

  common(reg.command('verify [ref]'))
    .description('re-hash every blob the manifests reference (all, NAME, or NAME@REF); exit code 1 when a file is missing, corrupted or tampered')
    .action(async (ref: string | undefined, f: CommonFlags) => {
      const registry = await open(f);
      const r = await registry.verify(ref);
      if (f.json === true) out(JSON.stringify({ registry: registry.location, ...r }));
      else printVerify(r, registry.location);
      if (r.problems.length > 0) throw new LenguaError(`verify found ${r.problems.length} problem(s) in ${registry.location}`);
    });
}
