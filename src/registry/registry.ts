/**
 * The model registry: named, semver-versioned models with content-addressed files, stage pointers
 * (staging, production) with a history for rollback, verification and optional encryption at rest.
 *
 * Store layout (keys of a RegistryStore):
 *   registry.json                          format and encryption (the key check), written by the first push
 *   blobs/sha256/ab/abcdef…                one blob per distinct file content, addressed by its sha256
 *   models/NAME/versions/1.2.3.json        the manifest of a version: its commit point
 *   models/NAME/stages/production.json     a stage pointer with its history: the commit point of promote/rollback
 *
 * Atomicity: push writes every blob first and the manifest last, through putRef (atomic and refused if
 * the version appeared meanwhile); promote and rollback replace one stage file with putRef conditioned on
 * the state they read. A process killed before the commit point leaves the registry as it was, plus at
 * most some unreferenced blobs (harmless; `verify` reports them).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline as pipelineCallback, Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import semver from 'semver';
import { LenguaError } from '../errors.js';
import { openModelFile } from '../hub/index.js';
import { onnxExporter, type OnnxExportTask } from '../infer/index.js';
import { lenguaHome } from '../util/home.js';
import { writeFileAtomic } from '../util/fs.js';
import { renderCard } from './card.js';
import { CARD_PATH, describeFolder, folderKind, listFolder, onnxFiles, type FolderFile } from './collect.js';
import {
  BlobAuthError, canonicalJson, ContentMismatchError, decryptStream, deriveKeys, encryptStream, HashCounter, keyMatches, refMac, refMacValid, type RegistryKeys,
} from './crypto.js';
import {
  checkManifest, checkName, checkStage, checkVersion, MANIFEST_FORMAT, MAX_STAGE_HISTORY, MAX_STAGE_LOG, REGISTRY_FORMAT, sortVersions, STAGE_FORMAT, STAGES,
  type DataFingerprint, type Manifest, type ManifestFile, type Stage, type StageState,
} from './manifest.js';
import { LocalStore, RefConflictError, type RefRead, type RegistryStore } from './store.js';

/** The registry folder when none is named: `$LENGUA_HOME/registry`. */
export function defaultRegistryDir(env: Record<string, string | undefined> = process.env): string {
  return join(lenguaHome(env), 'registry');
}

/** Where materialize() builds folders when no cache folder is named: `$LENGUA_HOME/registry-cache`. */
export function defaultCacheDir(env: Record<string, string | undefined> = process.env): string {
  return join(lenguaHome(env), 'registry-cache');
}

export interface OpenOptions {
  /** The registry folder (a LocalStore); default `$LENGUA_HOME/registry`. Ignored when `store` is given. */
  root?: string;
  /** Any other store (an S3-compatible one, say). */
  store?: RegistryStore;
  /** 32 bytes: encrypts the blobs of a new registry; required to open an encrypted one. */
  key?: Uint8Array;
}

/** What the server logs for each admin action. */
export interface AuditEvent {
  action: string;
  name: string;
  version?: string;
  stage?: string;
}
export type AuditHook = (event: AuditEvent) => void;

/** What the exporter tells push about the export it made (all optional). */
export interface ExportOutcome {
  task?: string;
  opset?: number;
  maxAbsDiff?: number;
  atol?: number;
}

/**
 * Exports a training folder to ONNX into `outDir` (config.json, tokenizer files, onnx/). The registry never
 * imports the export stage (it would bring libtorch to the server); the CLI lends it `exportToOnnx`.
 */
export type PushExporter = (modelDir: string, outDir: string) => Promise<ExportOutcome | void>;

export interface PushOptions {
  name: string;
  /** Semver; default: the next patch after the highest version (1.0.0 for the first). */
  version?: string;
  notes?: string;
  /** Export a training folder without onnx/ (default true); false pushes it as it is. */
  export?: boolean;
  /** The exporter for training folders (default: the one registered with infer's registerOnnxExporter). */
  exporter?: PushExporter;
  /** Data files to fingerprint (sha256) into the manifest: the training data, say. */
  dataFiles?: string[];
  audit?: AuditHook;
  /** Progress lines (exporting, uploading). */
  log?: (line: string) => void;
}

export interface PushResult {
  name: string;
  version: string;
  manifest: Manifest;
  /** Blobs this push stored (the others were already there, from earlier versions). */
  newBlobs: number;
  newBytes: number;
  skipped: Array<{ path: string; why: string }>;
  exportedOnPush: boolean;
}

export interface ModelSummary {
  name: string;
  versions: string[];
  latest: string | null;
  staging: string | null;
  production: string | null;
}

export type RefVia = 'version' | 'latest' | Stage;

/** A reference resolved to one version; `registry` (not enumerable) is the registry it came from. */
export interface ResolvedRef {
  name: string;
  version: string;
  manifest: Manifest;
  /** How the version was chosen: named, the highest, or a stage. */
  via: RefVia;
  readonly registry: Registry;
}

export interface Materialized {
  dir: string;
  name: string;
  version: string;
  /** True when an earlier materialization was found intact and used as it is. */
  reused: boolean;
}

export type ProblemKind = 'missing' | 'corrupted' | 'tampered' | 'manifest' | 'stage';

export interface VerifyProblem {
  kind: ProblemKind;
  name?: string;
  version?: string;
  stage?: Stage;
  /** The file's path in the version. */
  path?: string;
  /** The blob's sha256 address. */
  blob?: string;
  /** Where the bad bytes are (a file of a local registry). */
  file?: string;
  message: string;
}

export interface VerifyReport {
  versions: number;
  blobs: number;
  bytes: number;
  problems: VerifyProblem[];
  /** Blobs no manifest references (a killed push leaves some); only reported when the whole registry is verified. */
  orphans: string[];
}

const MATERIALIZED_MARKER = '.lengua-registry.json';

/** A blob that cannot be read back as recorded: the message names the version, the path and (as its file) the blob. */
export class BlobError extends LenguaError {
  constructor(
    readonly kind: 'missing' | 'corrupted' | 'tampered',
    /** What is wrong, without the location. */
    readonly reason: string,
    /** Where the blob is (a file of a local registry). */
    readonly blobFile: string,
    what: string,
  ) {
    super(`${what}: ${reason}`, { file: blobFile });
    this.name = 'BlobError';
  }
}

function blobKey(sha256: string): string {
  return `blobs/sha256/${sha256.slice(0, 2)}/${sha256}`;
}
function manifestKey(name: string, version: string): string {
  return `models/${name}/versions/${version}.json`;
}
function stageKey(name: string, stage: Stage): string {
  return `models/${name}/stages/${stage}.json`;
}

function checkStageName(stage: string): Stage {
  if (!(STAGES as readonly string[]).includes(stage)) throw new LenguaError(`stage must be ${STAGES.join(' or ')}, got ${JSON.stringify(stage)}`, { field: 'stage' });
  return stage as Stage;
}

function toJsonBytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value, null, 2) + '\n');
}

/** Makes the test of a killed push or promote possible: the CLI child waits here, between its writes and its commit. */
async function testPause(point: 'push' | 'promote'): Promise<void> {
  if (process.env.LENGUA_TEST_REGISTRY_PAUSE !== point) return;
  process.stderr.write(`lengua: test pause before the ${point} commit\n`);
  await sleep(60_000);
}

interface RegistryJson {
  format: string;
  createdAt: string;
  encryption: null | { algorithm: 'aes-256-gcm'; kdf: 'hkdf-sha256'; keyCheck: string };
}

export class Registry {
  /** Keys of an encrypted registry (null: a plain one, or not created yet and opened without a key). */
  private keys: RegistryKeys | null;
  private initialized: boolean;

  private constructor(
    readonly store: RegistryStore,
    private readonly given: RegistryKeys | null,
    meta: RegistryJson | null,
  ) {
    this.initialized = meta !== null;
    this.keys = meta === null ? given : meta.encryption !== null ? given : null;
  }

  /** Opens a registry (it need not exist yet: the first push creates it). Checks the key against an encrypted registry. */
  static async open(opts: OpenOptions = {}): Promise<Registry> {
    const store = opts.store ?? new LocalStore(opts.root ?? defaultRegistryDir());
    const given = opts.key !== undefined ? deriveKeys(opts.key) : null;
    const meta = await Registry.readMeta(store);
    Registry.checkKey(store, meta, given);
    return new Registry(store, given, meta);
  }

  private static async readMeta(store: RegistryStore): Promise<RegistryJson | null> {
    const ref = await store.getRef('registry.json');
    if (ref === null) return null;
    let json: RegistryJson;
    try {
      json = JSON.parse(ref.data.toString('utf8')) as RegistryJson;
    } catch (err) {
      throw new LenguaError(`not valid JSON: ${(err as Error).message}`, { file: store.describe('registry.json') }, { cause: err });
    }
    if (json === null || typeof json !== 'object' || json.format !== REGISTRY_FORMAT) {
      throw new LenguaError(`not a registry of this format (expected format ${JSON.stringify(REGISTRY_FORMAT)})`, { file: store.describe('registry.json'), field: 'format' });
    }
    if (json.encryption !== null && (typeof json.encryption !== 'object' || json.encryption.algorithm !== 'aes-256-gcm' || typeof json.encryption.keyCheck !== 'string')) {
      throw new LenguaError('unknown encryption settings', { file: store.describe('registry.json'), field: 'encryption' });
    }
    return json;
  }

  private static checkKey(store: RegistryStore, meta: RegistryJson | null, given: RegistryKeys | null): void {
    if (meta === null) return;
    const where = { file: store.describe('registry.json') };
    if (meta.encryption !== null && given === null) {
      throw new LenguaError('the registry is encrypted: open it with its key (--encryption-key-file FILE or LENGUA_REGISTRY_KEY)', where);
    }
    if (meta.encryption !== null && !keyMatches(given!, meta.encryption.keyCheck)) {
      throw new LenguaError('wrong key: the key given does not open this encrypted registry', where);
    }
    if (meta.encryption === null && given !== null) {
      throw new LenguaError('the registry is not encrypted, but a key was given; a registry is encrypted (or not) from its first push: use another registry folder for encrypted models, or give no key', where);
    }
  }

  /** Where the registry is. */
  get location(): string {
    return this.store.location;
  }

  /** True when blobs are stored encrypted (a registry not created yet: true when opened with a key). */
  get encrypted(): boolean {
    return this.keys !== null;
  }

  /** Creates registry.json on the first push. */
  private async initialize(): Promise<void> {
    if (this.initialized) return;
    if ((await this.store.list('models/')).length > 0 || (await this.store.list('blobs/')).length > 0) {
      throw new LenguaError('registry.json is missing but the registry holds models: it was damaged; restore registry.json before pushing', { file: this.store.describe('registry.json') });
    }
    const meta: RegistryJson = {
      format: REGISTRY_FORMAT,
      createdAt: new Date().toISOString(),
      encryption: this.given !== null ? { algorithm: 'aes-256-gcm', kdf: 'hkdf-sha256', keyCheck: this.given.check } : null,
    };
    try {
      await this.store.putRef('registry.json', toJsonBytes(meta), { ifMatch: null });
    } catch (err) {
      if (!(err instanceof RefConflictError)) throw err;
      // Another process created it first: take its settings, if our key fits them.
      const theirs = await Registry.readMeta(this.store);
      Registry.checkKey(this.store, theirs, this.given);
      this.keys = theirs?.encryption !== null ? this.given : null;
    }
    this.initialized = true;
  }

  // ---- refs ----

  private async readRef(key: string): Promise<{ json: Record<string, unknown>; ref: RefRead } | null> {
    const ref = await this.store.getRef(key);
    if (ref === null) return null;
    let json: unknown;
    try {
      json = JSON.parse(ref.data.toString('utf8'));
    } catch (err) {
      throw new LenguaError(`not valid JSON (damaged or edited by hand): ${(err as Error).message}`, { file: this.store.describe(key) }, { cause: err });
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new LenguaError('expected a JSON object', { file: this.store.describe(key) });
    if (this.keys !== null && !refMacValid(this.keys, key, json as Record<string, unknown>)) {
      throw new LenguaError('its MAC does not match: the file was changed outside the registry (tampered), or copied from another registry', { file: this.store.describe(key), field: 'mac' });
    }
    return { json: json as Record<string, unknown>, ref };
  }

  private signed<T extends object>(key: string, body: T): T & { mac?: string } {
    const { mac: _drop, ...rest } = body as T & { mac?: string };
    return this.keys !== null ? { ...(rest as T), mac: refMac(this.keys, key, rest as Record<string, unknown>) } : (rest as T);
  }

  // ---- reading ----

  /** Every model name, sorted. */
  async names(): Promise<string[]> {
    const names = new Set<string>();
    for (const k of await this.store.list('models/')) {
      const m = /^models\/([^/]+)\/versions\/[^/]+\.json$/.exec(k);
      if (m !== null) names.add(m[1]!);
    }
    return [...names].sort();
  }

  /** The versions of `name`, lowest first (semver order). */
  async versions(name: string): Promise<string[]> {
    checkName(name);
    const out: string[] = [];
    for (const k of await this.store.list(`models/${name}/versions/`)) {
      const v = /^models\/[^/]+\/versions\/(.+)\.json$/.exec(k)?.[1];
      if (v !== undefined && semver.valid(v) === v) out.push(v);
    }
    return sortVersions(out);
  }

  async manifest(name: string, version: string): Promise<Manifest> {
    checkName(name);
    checkVersion(version);
    const key = manifestKey(name, version);
    const r = await this.readRef(key);
    if (r === null) throw await this.noVersion(name, version);
    return checkManifest(r.json, this.store.describe(key), name, version);
  }

  private async noVersion(name: string, version: string): Promise<LenguaError> {
    const versions = await this.versions(name);
    if (versions.length === 0) return this.noModel(name);
    return new LenguaError(`${name} has no version ${version} (versions: ${versions.slice(-10).join(', ')})`, { field: 'version' });
  }

  private async noModel(name: string): Promise<LenguaError> {
    const names = await this.names();
    const known = names.length === 0 ? 'the registry is empty' : `models: ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', …' : ''}`;
    return new LenguaError(`no model ${JSON.stringify(name)} in the registry ${this.location} (${known})`, { field: 'name' });
  }

  private async readStage(name: string, stage: Stage): Promise<{ state: StageState; etag: string } | null> {
    const key = stageKey(name, stage);
    const r = await this.readRef(key);
    if (r === null) return null;
    return { state: checkStage(r.json, this.store.describe(key), name, stage), etag: r.ref.etag };
  }

  /** The stage pointer of `name` with its history, or null when it was never set. */
  async stage(name: string, stage: Stage): Promise<StageState | null> {
    checkName(name);
    return (await this.readStage(name, checkStageName(stage)))?.state ?? null;
  }

  /** The version a stage points to, or null: one small read, cheap enough to poll every second. */
  async stageVersion(name: string, stage: Stage): Promise<string | null> {
    return (await this.stage(name, stage))?.version ?? null;
  }

  async list(): Promise<ModelSummary[]> {
    const out: ModelSummary[] = [];
    for (const name of await this.names()) {
      const versions = await this.versions(name);
      out.push({ name, versions, latest: versions[versions.length - 1] ?? null, staging: await this.stageVersion(name, 'staging'), production: await this.stageVersion(name, 'production') });
    }
    return out;
  }

  /**
   * `NAME` (production, else the highest version), `NAME@1.2.3`, `NAME@production`, `NAME@staging` or
   * `NAME@latest` → the version and its manifest.
   */
  async resolveRef(ref: string): Promise<ResolvedRef> {
    if (typeof ref !== 'string' || ref.length > 300) throw new LenguaError('a model reference is NAME or NAME@VERSION|production|staging|latest', { field: 'ref' });
    const at = ref.indexOf('@');
    const name = at < 0 ? ref : ref.slice(0, at);
    const sel = at < 0 ? null : ref.slice(at + 1);
    checkName(name, 'ref');
    let version: string;
    let via: RefVia;
    if (sel === 'production' || sel === 'staging') {
      const v = await this.stageVersion(name, sel);
      if (v === null) {
        const versions = await this.versions(name);
        if (versions.length === 0) throw await this.noModel(name);
        throw new LenguaError(`${name} has no ${sel} version yet (versions: ${versions.slice(-10).join(', ')}); promote one with \`lengua registry promote ${name}@VERSION --stage ${sel}\``, { field: 'stage' });
      }
      version = v;
      via = sel;
    } else if (sel === null || sel === 'latest') {
      const prod = sel === null ? await this.stageVersion(name, 'production') : null;
      const versions = prod === null ? await this.versions(name) : [];
      if (prod === null && versions.length === 0) throw await this.noModel(name);
      version = prod ?? versions[versions.length - 1]!;
      via = prod !== null ? 'production' : 'latest';
    } else {
      version = checkVersion(sel, 'ref');
      via = 'version';
    }
    const manifest = await this.manifest(name, version);
    const out = { name, version, manifest, via } as ResolvedRef;
    Object.defineProperty(out, 'registry', { value: this, enumerable: false });
    return out;
  }

  // ---- push ----

  /** Pushes a model folder (exported, training or baseline) as a new version. */
  async push(dir: string, opts: PushOptions): Promise<PushResult> {
    const log = opts.log ?? (() => undefined);
    checkName(opts.name);
    if (opts.version !== undefined) checkVersion(opts.version);
    const notes = opts.notes;
    if (notes !== undefined && (typeof notes !== 'string' || notes.length > 10_000)) throw new LenguaError('notes must be text of at most 10000 characters', { field: 'notes' });
    const src = resolve(dir);
    if (!existsSync(src) || !statSync(src).isDirectory()) throw new LenguaError('no such folder', { file: src });
    if (opts.version !== undefined && (await this.store.getRef(manifestKey(opts.name, opts.version))) !== null) {
      throw new LenguaError(`${opts.name}@${opts.version} already exists; a version is never replaced: push as another version (or leave --version out for the next patch)`, { field: 'version' });
    }
    await this.initialize();

    const listing = listFolder(src);
    const kind = folderKind(src, listing.files);
    const facts = describeFolder(src, kind, listing.files);
    const data: DataFingerprint[] = [...facts.data];
    for (const f of opts.dataFiles ?? []) data.push({ role: 'given at push', path: resolve(f), sha256: await hashPlainFile(f) });

    let files: FolderFile[] = listing.files;
    let exported: ExportOutcome | undefined;
    let exportDir: string | null = null;
    try {
      if (kind === 'training' && onnxFiles(files).length === 0 && opts.export !== false) {
        const exporter = opts.exporter ?? defaultExporter(facts.model.task);
        if (exporter === null) {
          throw new LenguaError('the training folder has no onnx/ and no exporter is available: push it with export: false (--no-export), export it first (lengua export), or import \'lengua\'', { file: src });
        }
        exportDir = mkdtempSync(join(tmpdir(), 'lengua-registry-export-'));
        const out = join(exportDir, 'out');
        log(`exporting ${src} to ONNX (push with --no-export to store the folder as it is)`);
        exported = (await exporter(src, out)) ?? {};
        const fromExport = listFolder(out).files;
        if (onnxFiles(fromExport).length === 0) throw new LenguaError('the exporter wrote no onnx/*.onnx file', { file: out });
        // The export's config.json and tokenizer files replace the folder's: they are what the ONNX file was validated with.
        const replaced = new Set(fromExport.map((f) => f.path));
        files = [...files.filter((f) => !replaced.has(f.path)), ...fromExport].sort((a, b) => (a.path < b.path ? -1 : 1));
      }

      // Blobs first: hash each file, store the contents not yet stored.
      const entries: ManifestFile[] = [];
      let newBlobs = 0;
      let newBytes = 0;
      for (const f of files) {
        const { sha256, size } = await hashModelFile(f);
        entries.push({ path: f.path, sha256, size });
        if (!(await this.store.exists(blobKey(sha256)))) {
          if (size >= 1 << 20) log(`storing ${f.path} (${(size / (1 << 20)).toFixed(1)} MB)`);
          await this.putBlob(sha256, openForRead(f), { sha256, size }, join(f.dir, f.name));
          newBlobs++;
          newBytes += size;
        }
      }

      for (let attempt = 0; ; attempt++) {
        const version = opts.version ?? (await this.nextVersion(opts.name));
        const draft: Omit<Manifest, 'card' | 'mac'> = {
          format: MANIFEST_FORMAT,
          name: opts.name,
          version,
          createdAt: new Date().toISOString(),
          ...(notes !== undefined && notes !== '' ? { notes } : {}),
          source: { kind, path: src, exportedOnPush: exported !== undefined },
          model: facts.model,
          files: entries,
          onnx: onnxFiles(entries),
          ...(exported !== undefined ? { export: exported } : {}),
          training: facts.training,
          metrics: facts.metrics,
          data,
        };
        const card = Buffer.from(renderCard(draft));
        const cardSha = createHash('sha256').update(card).digest('hex');
        if (!(await this.store.exists(blobKey(cardSha)))) {
          await this.putBlob(cardSha, bytesReadable(card), { sha256: cardSha, size: card.length }, CARD_PATH);
          newBlobs++;
          newBytes += card.length;
        }
        const key = manifestKey(opts.name, version);
        const manifest = this.signed(key, {
          ...draft,
          files: [...entries, { path: CARD_PATH, sha256: cardSha, size: card.length }].sort((a, b) => (a.path < b.path ? -1 : 1)),
          card: CARD_PATH,
        } as Manifest);
        await testPause('push');
        try {
          // The commit point: the version exists once its manifest does, and never before.
          await this.store.putRef(key, toJsonBytes(manifest), { ifMatch: null });
        } catch (err) {
          if (err instanceof RefConflictError) {
            if (opts.version === undefined && attempt < 5) continue;
            throw new LenguaError(`${opts.name}@${version} was pushed by another process meanwhile; push again as another version`, { field: 'version' }, { cause: err });
          }
          throw err;
        }
        opts.audit?.({ action: 'push', name: opts.name, version });
        return { name: opts.name, version, manifest, newBlobs, newBytes, skipped: listing.skipped, exportedOnPush: exported !== undefined };
      }
    } finally {
      if (exportDir !== null) rmSync(exportDir, { recursive: true, force: true });
    }
  }

  private async nextVersion(name: string): Promise<string> {
    const versions = await this.versions(name);
    const top = versions[versions.length - 1];
    return top === undefined ? '1.0.0' : semver.inc(top, 'patch')!;
  }

  /** Stores one blob; `expect` is checked as the bytes go by, so a file changed since it was hashed is never stored under the old address. */
  private async putBlob(sha256: string, body: Readable, expect: { sha256: string; size: number }, what: string): Promise<void> {
    const check = new HashCounter(expect);
    const stages: Array<Readable | Transform> = [body, check];
    if (this.keys !== null) stages.push(encryptStream(this.keys, sha256));
    const out = chain(stages);
    try {
      await this.store.put(blobKey(sha256), out);
    } catch (err) {
      if (err instanceof ContentMismatchError) throw new LenguaError(`changed while being pushed (${err.message}); push again once it stays put`, { file: what }, { cause: err });
      throw err;
    }
  }

  // ---- stages ----

  /** Points `stage` of `name` at `version` (which must exist); the version it pointed to before goes on its history. */
  async promote(name: string, version: string, stage: Stage, opts: { audit?: AuditHook } = {}): Promise<{ previous: string | null; changed: boolean }> {
    checkName(name);
    checkVersion(version);
    checkStageName(stage);
    await this.manifest(name, version);
    const r = await this.updateStage(name, stage, (cur) => {
      if (cur?.version === version) return null;
      const previous = cur?.version !== null && cur?.version !== undefined ? [...cur.previous, cur.version].slice(-MAX_STAGE_HISTORY) : (cur?.previous ?? []);
      return { version, previous, entry: { action: 'promote', version, from: cur?.version ?? null } };
    });
    if (r.changed) opts.audit?.({ action: 'promote', name, version, stage });
    return { previous: r.before, changed: r.changed };
  }

  /**
   * Moves `stage` (default production) back to the version it pointed to before its last promote, and takes
   * that one off the history (so a second rollback goes back further). Refused when there is no earlier version.
   */
  async rollback(name: string, opts: { stage?: Stage; audit?: AuditHook } = {}): Promise<{ from: string; to: string }> {
    checkName(name);
    const stage = checkStageName(opts.stage ?? 'production');
    let to = '';
    let from = '';
    await this.updateStage(name, stage, (cur) => {
      if (cur === null || cur.version === null) {
        throw new LenguaError(`${name} has no ${stage} version, so there is nothing to roll back (rollback moves ${stage} back to the version it pointed to before the last promote)`);
      }
      const prev = cur.previous[cur.previous.length - 1];
      if (prev === undefined) {
        throw new LenguaError(
          `${name}@${stage} is ${cur.version} and has no earlier version to go back to (rollback returns ${stage} to the version it pointed to before the last promote; ` +
            `this stage has no such history). It stays at ${cur.version}; promote another version instead: lengua registry promote ${name}@VERSION --stage ${stage}`,
        );
      }
      from = cur.version;
      to = prev;
      return { version: prev, previous: cur.previous.slice(0, -1), entry: { action: 'rollback', version: prev, from: cur.version } };
    });
    opts.audit?.({ action: 'rollback', name, version: to, stage });
    return { from, to };
  }

  /** Read, change, write back only if nobody changed the stage file meanwhile (else read again). */
  private async updateStage(
    name: string,
    stage: Stage,
    change: (cur: StageState | null) => { version: string; previous: string[]; entry: { action: 'promote' | 'rollback'; version: string; from: string | null } } | null,
  ): Promise<{ before: string | null; changed: boolean }> {
    const key = stageKey(name, stage);
    for (let attempt = 0; attempt < 20; attempt++) {
      const cur = await this.readStage(name, stage);
      const next = change(cur?.state ?? null);
      if (next === null) return { before: cur?.state.version ?? null, changed: false };
      const state: StageState = this.signed(key, {
        format: STAGE_FORMAT,
        name,
        stage,
        version: next.version,
        previous: next.previous,
        log: [...(cur?.state.log ?? []), { at: new Date().toISOString(), ...next.entry }].slice(-MAX_STAGE_LOG),
      });
      await testPause('promote');
      try {
        // The commit point of promote and rollback.
        await this.store.putRef(key, toJsonBytes(state), { ifMatch: cur?.etag ?? null });
        return { before: cur?.state.version ?? null, changed: true };
      } catch (err) {
        if (!(err instanceof RefConflictError)) throw err;
      }
    }
    throw new LenguaError(`${name}@${stage} keeps changing under this process (other promotes); try again`, { file: this.store.describe(key) });
  }

  // ---- reading files out ----

  /** One file of a version, checked (for small files: the card, config.json). */
  async readFile(ref: ResolvedRef | Manifest, path: string, maxBytes = 16 * 1024 * 1024): Promise<Buffer> {
    const m = 'manifest' in ref ? ref.manifest : ref;
    const f = m.files.find((x) => x.path === path);
    if (f === undefined) throw new LenguaError(`${m.name}@${m.version} has no file ${JSON.stringify(path)}`, { field: 'path' });
    if (f.size > maxBytes) throw new LenguaError(`${m.name}@${m.version} ${path} is ${f.size} bytes, over ${maxBytes}`, { field: 'path' });
    const check = new HashCounter(f);
    const parts: Buffer[] = [];
    check.on('data', (c: Buffer) => parts.push(c));
    await this.streamBlob(m, f, check);
    return Buffer.concat(parts);
  }

  /** Reads a blob through decryption into `sinks`; a problem is a BlobError naming the blob's file, the version and the path. */
  private async streamBlob(m: Manifest, f: ManifestFile, ...sinks: Array<Transform | NodeJS.WritableStream>): Promise<void> {
    const key = blobKey(f.sha256);
    const file = this.store.describe(key);
    const what = `${m.name}@${m.version} ${f.path}`;
    const src = await this.store.get(key);
    if (src === null) throw new BlobError('missing', 'its blob is missing', file, what);
    const stages: Array<Readable | Transform | NodeJS.WritableStream> = [src];
    if (this.keys !== null) stages.push(decryptStream(this.keys, f.sha256));
    stages.push(...sinks);
    try {
      await (pipeline as (...s: unknown[]) => Promise<void>)(...stages);
    } catch (err) {
      if (err instanceof BlobAuthError) {
        const reason = err.reason === 'tag'
          ? 'tampered or corrupted: the AES-GCM authentication tag of its blob does not match'
          : 'tampered or corrupted: its blob is not an encrypted blob of this registry';
        throw new BlobError('tampered', reason, file, what);
      }
      if (err instanceof ContentMismatchError) throw new BlobError('corrupted', `corrupted or tampered: its blob holds ${err.message}`, file, what);
      throw err;
    }
  }

  /** Writes every file of a version into the folder `dir` (created), each checked against its sha256 and size. */
  private async writeVersion(m: Manifest, dir: string): Promise<number> {
    let bytes = 0;
    mkdirSync(dir, { recursive: true });
    for (const f of m.files) {
      const dest = join(dir, ...f.path.split('/'));
      mkdirSync(dirname(dest), { recursive: true });
      await this.streamBlob(m, f, new HashCounter(f), createWriteStream(dest, { flags: 'wx' }));
      bytes += f.size;
    }
    return bytes;
  }

  /** Writes a version into `outDir` (which must not exist or be empty), atomically: built beside it, then renamed. */
  async pull(ref: string | ResolvedRef, outDir: string): Promise<{ dir: string; name: string; version: string; files: number; bytes: number }> {
    const r = typeof ref === 'string' ? await this.resolveRef(ref) : ref;
    const out = resolve(outDir);
    if (existsSync(out)) {
      if (!statSync(out).isDirectory()) throw new LenguaError(`${out} is a file; --out names a folder`, { field: 'out' });
      if (readdirSync(out).length > 0) throw new LenguaError(`${out} is not empty; pull into a new or empty folder`, { field: 'out' });
    }
    mkdirSync(dirname(out), { recursive: true });
    const tmp = join(dirname(out), `.${basename(out)}.pull-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      const bytes = await this.writeVersion(r.manifest, tmp);
      renameSync(tmp, out);
      return { dir: out, name: r.name, version: r.version, files: r.manifest.files.length, bytes };
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }

  /**
   * A local folder with the version's files, for serving. Built once per version in `cacheDir` (default
   * `$LENGUA_HOME/registry-cache`) in a temporary folder renamed into place; an earlier one is reused
   * when it holds exactly the version's files with their sha256 (`rehash: false`: their sizes only).
   */
  async materialize(ref: string | ResolvedRef, opts: { cacheDir?: string; rehash?: boolean } = {}): Promise<Materialized> {
    const r = typeof ref === 'string' ? await this.resolveRef(ref) : ref;
    const cache = resolve(opts.cacheDir ?? defaultCacheDir());
    mkdirSync(cache, { recursive: true, mode: 0o700 });
    const id = createHash('sha256').update(canonicalJson({ ...r.manifest, mac: undefined })).digest('hex').slice(0, 16);
    const dir = join(cache, `${r.name}@${r.version}-${id}`);
    const result = (reused: boolean): Materialized => ({ dir, name: r.name, version: r.version, reused });
    if (await intact(dir, r.manifest, id, opts.rehash !== false)) return result(true);
    const tmp = join(cache, `.tmp-${r.name}@${r.version}-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      await this.writeVersion(r.manifest, tmp);
      writeFileAtomic(join(tmp, MATERIALIZED_MARKER), JSON.stringify({ name: r.name, version: r.version, id }) + '\n');
      if (existsSync(dir)) {
        // A damaged or partial earlier folder: move it aside first (rename is atomic; the removal is not).
        const old = join(cache, `.old-${r.name}@${r.version}-${process.pid}-${randomBytes(4).toString('hex')}`);
        try {
          renameSync(dir, old);
          rmSync(old, { recursive: true, force: true });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
      }
      try {
        renameSync(tmp, dir);
      } catch (err) {
        // Another process materialized the same version first: use theirs when it is whole.
        if (await intact(dir, r.manifest, id, true)) return result(true);
        throw err;
      }
      return result(false);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }

  // ---- verify ----

  /**
   * Re-reads and re-hashes every blob that the manifests in scope reference (all, `NAME`, or `NAME@REF`),
   * checks the manifests and stage files, and lists blobs nothing references (whole registry only).
   */
  async verify(target?: string): Promise<VerifyReport> {
    const problems: VerifyProblem[] = [];
    const report: VerifyReport = { versions: 0, blobs: 0, bytes: 0, problems, orphans: [] };
    let scope: Array<{ name: string; versions: string[] }>;
    if (target === undefined) {
      scope = await Promise.all((await this.names()).map(async (name) => ({ name, versions: await this.versions(name) })));
    } else if (target.includes('@')) {
      const r = await this.resolveRef(target);
      scope = [{ name: r.name, versions: [r.version] }];
    } else {
      checkName(target);
      const versions = await this.versions(target);
      if (versions.length === 0) throw await this.noModel(target);
      scope = [{ name: target, versions }];
    }
    const checked = new Map<string, VerifyProblem | null>();
    const referenced = new Set<string>();
    for (const { name, versions } of scope) {
      for (const version of versions) {
        let m: Manifest;
        try {
          m = await this.manifest(name, version);
        } catch (err) {
          if (!(err instanceof LenguaError)) throw err;
          problems.push({ kind: 'manifest', name, version, file: this.store.describe(manifestKey(name, version)), message: err.message });
          continue;
        }
        report.versions++;
        for (const f of m.files) {
          referenced.add(f.sha256);
          if (!checked.has(f.sha256)) {
            checked.set(f.sha256, await this.checkBlob(m, f));
            report.blobs++;
            report.bytes += f.size;
          }
          const p = checked.get(f.sha256);
          if (p !== null && p !== undefined) {
            problems.push({ ...p, name, version, path: f.path, message: `${name}@${version} ${f.path}: ${p.message}` });
          }
        }
      }
      for (const stage of STAGES) {
        try {
          const s = await this.readStage(name, stage);
          if (s !== null && s.state.version !== null && !(await this.store.exists(manifestKey(name, s.state.version)))) {
            problems.push({ kind: 'stage', name, stage, file: this.store.describe(stageKey(name, stage)), message: `${name}@${stage} points to ${s.state.version}, which has no manifest` });
          }
        } catch (err) {
          if (!(err instanceof LenguaError)) throw err;
          problems.push({ kind: 'stage', name, stage, file: this.store.describe(stageKey(name, stage)), message: err.message });
        }
      }
    }
    if (target === undefined && !problems.some((p) => p.kind === 'manifest')) {
      for (const k of await this.store.list('blobs/')) {
        const sha = /^blobs\/sha256\/[0-9a-f]{2}\/([0-9a-f]{64})$/.exec(k)?.[1];
        if (sha === undefined || !referenced.has(sha)) report.orphans.push(k);
      }
    }
    return report;
  }

  private async checkBlob(m: Manifest, f: ManifestFile): Promise<VerifyProblem | null> {
    try {
      await this.streamBlob(m, f, new HashCounter(f), devNull());
      return null;
    } catch (err) {
      if (!(err instanceof BlobError)) throw err;
      return { kind: err.kind, blob: f.sha256, file: err.blobFile, message: err.reason };
    }
  }
}

/** The default exporter: infer's registered one, for the task of the architecture. */
function defaultExporter(task: string | null): PushExporter | null {
  const fn = onnxExporter();
  const exportTasks: readonly string[] = ['text-classification', 'token-classification', 'fill-mask', 'feature-extraction'];
  if (fn === null || task === null || !exportTasks.includes(task)) return null;
  return async (modelDir, outDir) => {
    await fn(modelDir, outDir, { task: task as OnnxExportTask });
    return { task };
  };
}

/** Several streams piped in order; errors of any reach the last (which is returned). */
function chain(stages: Array<Readable | Transform>): Readable {
  if (stages.length === 1) return stages[0] as Readable;
  return (pipelineCallback as unknown as (...a: unknown[]) => Readable)(...stages, () => undefined);
}

function bytesReadable(data: Buffer): Readable {
  return Readable.from([data]);
}

function devNull(): NodeJS.WritableStream {
  return createWriteStream('/dev/null');
}

function openForRead(f: FolderFile): Readable {
  const opened = openModelFile(f.dir, f.name);
  if (opened === undefined) throw new LenguaError('disappeared while being pushed', { file: join(f.dir, f.name) });
  return createReadStream(opened.real, { fd: opened.fd, autoClose: true, start: 0 });
}

async function hashModelFile(f: FolderFile): Promise<{ sha256: string; size: number }> {
  const h = new HashCounter();
  await pipeline(openForRead(f), h, devNull());
  return { sha256: h.digest(), size: h.bytes };
}

async function hashPlainFile(path: string): Promise<string> {
  if (!existsSync(path) || !statSync(path).isFile()) throw new LenguaError('no such data file', { file: path, field: 'data' });
  const h = new HashCounter();
  await pipeline(createReadStream(path), h, devNull());
  return h.digest();
}

/** True when `dir` is a whole materialization of `m`: the marker, exactly the version's files, each with its size (and sha256). */
async function intact(dir: string, m: Manifest, id: string, rehash: boolean): Promise<boolean> {
  try {
    const marker = JSON.parse(readFileSync(join(dir, MATERIALIZED_MARKER), 'utf8')) as { id?: unknown };
    if (marker.id !== id) return false;
    const present: string[] = [];
    const walk = (rel: string): void => {
      for (const e of readdirSync(rel === '' ? dir : join(dir, rel), { withFileTypes: true })) {
        const p = rel === '' ? e.name : `${rel}/${e.name}`;
        if (p === MATERIALIZED_MARKER) continue;
        if (e.isDirectory()) walk(p);
        else present.push(p);
      }
    };
    walk('');
    // An extra file (an added onnx/model_quantized.onnx, say) would be served too: the folder must hold exactly the version.
    if (present.length !== m.files.length) return false;
    for (const f of m.files) {
      const p = join(dir, ...f.path.split('/'));
      const st = statSync(p);
      if (!st.isFile() || st.size !== f.size) return false;
      if (rehash) {
        const h = new HashCounter();
        await pipeline(createReadStream(p), h, devNull());
        if (h.digest() !== f.sha256) return false;
      }
    }
    return true;
  } catch {
    return false;
  }
}

/** Free-function forms, for callers that hold a registry (the server). */
export function resolveRef(registry: Registry, ref: string): Promise<ResolvedRef> {
  return registry.resolveRef(ref);
}

export function materialize(ref: ResolvedRef, cacheDir?: string): Promise<Materialized> {
  return ref.registry.materialize(ref, cacheDir !== undefined ? { cacheDir } : {});
}

export function stageVersion(registry: Registry, name: string, stage: Stage): Promise<string | null> {
  return registry.stageVersion(name, stage);
}

