/**
 * API keys for `lengua serve`: the key format, the key file (`keys.json`, hashes only, mode 0600), and
 * `KeyRing`, the server's view of that file — re-read when it changes, with successful verifications
 * cached in memory because scrypt is deliberately slow.
 *
 * A key is `lng_<id>_<secret>`: the id (16 hex digits) is public and finds the entry without a scan; the
 * secret is 32 random bytes in base64url. The file keeps, per key, an scrypt hash of the whole key with
 * its own salt and the scrypt parameters used, so the parameters can be raised for new keys while old
 * ones still verify.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, chmodSync, type Stats } from 'node:fs';
import { stat, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { LenguaError } from '../errors.js';
import { isSystemError, writeFileAtomic } from '../util/fs.js';
import { lenguaHome } from '../util/home.js';

export type KeyScope = 'predict' | 'admin';
export const KEY_SCOPES: readonly KeyScope[] = ['predict', 'admin'];

/** scrypt cost parameters, recorded beside each hash. */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
  keylen: number;
}

/** N = 2^14, r = 8: 16 MiB and about 0.1 s per hash on a small CPU core. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 16384, r: 8, p: 1, keylen: 32 };

/** One key as stored: never the secret. A revoked key keeps its record (for `list --all`) but loses its hash. */
export interface StoredKey {
  id: string;
  name: string;
  scope: KeyScope;
  /** `N/s`, `N/min` or `N/h`; null: no per-key limit. */
  rate: string | null;
  /** ISO 8601. */
  created: string;
  revoked?: string;
  kdf?: { name: 'scrypt' } & ScryptParams;
  /** base64 */
  salt?: string;
  /** base64 */
  hash?: string;
}

export interface KeyFile {
  version: 1;
  keys: StoredKey[];
}

/** A rate as the limiter takes it: at most `max` requests per `windowMs`. */
export interface KeyRate {
  max: number;
  windowMs: number;
}

/** The non-secret face of a key that a request carries (`request.apiKey`). */
export interface ApiKeyInfo {
  name: string;
  id: string;
  scope: KeyScope;
}

export const defaultKeysPath = (): string => join(lenguaHome(), 'keys.json');

const ID_RE = /^[0-9a-f]{16}$/;
const KEY_RE = /^lng_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const RATE_RE = /^([1-9][0-9]{0,6})\/(s|sec|m|min|h|hour)$/;
const WINDOW_MS: Record<string, number> = { s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000, hour: 3_600_000 };
/** Longest Authorization token looked at; a key is 64 characters. */
export const MAX_KEY_LENGTH = 256;
const MAX_FILE_BYTES = 8 * 1024 * 1024;
const MAX_KEYS = 10_000;

/** `{id, secret}` of a well-formed key, or null; never throws, so a bad header says nothing about why. */
export function parseKey(token: string): { id: string; secret: string } | null {
  if (token.length > MAX_KEY_LENGTH) return null;
  const m = KEY_RE.exec(token);
  return m === null ? null : { id: m[1]!, secret: m[2]! };
}

/** `N/s`, `N/min` (or `N/m`), `N/h`, N a whole number from 1 to 9,999,999. */
export function parseRate(text: string, field = '--rate'): KeyRate {
  const m = RATE_RE.exec(text.trim());
  if (m === null) throw new LenguaError(`expected a rate such as 10/s, 600/min or 5000/h, got ${JSON.stringify(text.slice(0, 40))}`, { field });
  return { max: Number(m[1]), windowMs: WINDOW_MS[m[2]!]! };
}

export function checkScope(scope: string, field = '--scope'): KeyScope {
  if (!(KEY_SCOPES as readonly string[]).includes(scope)) throw new LenguaError(`expected ${KEY_SCOPES.join(' or ')}, got ${JSON.stringify(scope.slice(0, 40))}`, { field });
  return scope as KeyScope;
}

export function checkName(name: string, field = '--name'): string {
  if (!NAME_RE.test(name)) throw new LenguaError(`a key name is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit; got ${JSON.stringify(name.slice(0, 80))}`, { field });
  if (ID_RE.test(name)) throw new LenguaError(`${JSON.stringify(name)} looks like a key id (16 hex digits); choose another name`, { field });
  return name;
}

/** Bounds on parameters read from a file, so a hand-edited file cannot ask for gigabytes per request. */
function checkParams(p: ScryptParams, where: { file: string; field: string }): void {
  const ok =
    Number.isSafeInteger(p.N) && p.N >= 1024 && p.N <= 1 << 20 && (p.N & (p.N - 1)) === 0 &&
    Number.isSafeInteger(p.r) && p.r >= 1 && p.r <= 32 &&
    Number.isSafeInteger(p.p) && p.p >= 1 && p.p <= 16 &&
    Number.isSafeInteger(p.keylen) && p.keylen >= 16 && p.keylen <= 64 &&
    128 * p.N * p.r <= 256 * 1024 * 1024;
  if (!ok) throw new LenguaError('scrypt parameters out of range (N a power of two in [2^10, 2^20], r in [1, 32], p in [1, 16], keylen in [16, 64], 128·N·r <= 256 MiB)', where);
}

function scryptAsync(key: string, salt: Buffer, p: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(key, salt, p.keylen, { N: p.N, r: p.r, p: p.p, maxmem: 2 * 128 * p.N * p.r + (1 << 20) }, (err, out) => (err ? reject(err) : resolve(out)));
  });
}

/** Whether `key` is the key whose hash `entry` holds: scrypt with the entry's salt and parameters, then a constant-time compare. */
export async function verifyKey(key: string, entry: StoredKey): Promise<boolean> {
  if (entry.revoked !== undefined || entry.kdf === undefined || entry.salt === undefined || entry.hash === undefined) return false;
  const want = Buffer.from(entry.hash, 'base64');
  const got = await scryptAsync(key, Buffer.from(entry.salt, 'base64'), entry.kdf);
  return got.length === want.length && timingSafeEqual(got, want);
}

// ---- the key file ----

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Parses and checks a key file's text; every problem names the file and the field. */
export function parseKeyFile(text: string, file: string): KeyFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    // JSON.parse's own message quotes the text; the file holds hashes, not secrets, but say nothing of it anyway.
    throw new LenguaError('not valid JSON (a key file written by `lengua keys`)', { file });
  }
  if (!isObject(raw) || raw.version !== 1 || !Array.isArray(raw.keys)) throw new LenguaError('expected {"version": 1, "keys": [...]}', { file });
  if (raw.keys.length > MAX_KEYS) throw new LenguaError(`holds ${raw.keys.length} keys; at most ${MAX_KEYS}`, { file, field: 'keys' });
  const ids = new Set<string>();
  const active = new Set<string>();
  const keys = raw.keys.map((k: unknown, i): StoredKey => {
    const field = (f: string): { file: string; field: string } => ({ file, field: `keys[${i}].${f}` });
    if (!isObject(k)) throw new LenguaError('expected an object', { file, field: `keys[${i}]` });
    if (typeof k.id !== 'string' || !ID_RE.test(k.id)) throw new LenguaError('expected 16 hex digits', field('id'));
    if (ids.has(k.id)) throw new LenguaError(`id ${k.id} appears twice`, field('id'));
    ids.add(k.id);
    if (typeof k.name !== 'string' || !NAME_RE.test(k.name)) throw new LenguaError('expected a key name (letters, digits, . _ -)', field('name'));
    if (!(KEY_SCOPES as readonly unknown[]).includes(k.scope)) throw new LenguaError(`expected ${KEY_SCOPES.join(' or ')}`, field('scope'));
    const scope = k.scope as KeyScope;
    if (k.rate !== null && (typeof k.rate !== 'string' || !RATE_RE.test(k.rate))) throw new LenguaError('expected a rate such as 10/s, 600/min or 5000/h, or null', field('rate'));
    if (typeof k.created !== 'string') throw new LenguaError('expected an ISO 8601 time', field('created'));
    const entry: StoredKey = { id: k.id, name: k.name, scope, rate: k.rate, created: k.created };
    if (k.revoked !== undefined) {
      if (typeof k.revoked !== 'string') throw new LenguaError('expected an ISO 8601 time', field('revoked'));
      entry.revoked = k.revoked;
      return entry;
    }
    if (active.has(k.name)) throw new LenguaError(`two keys in use are named ${JSON.stringify(k.name)}`, field('name'));
    active.add(k.name);
    const kdf = k.kdf;
    if (!isObject(kdf) || kdf.name !== 'scrypt') throw new LenguaError('expected {"name": "scrypt", "N", "r", "p", "keylen"}', field('kdf'));
    const params = { N: Number(kdf.N), r: Number(kdf.r), p: Number(kdf.p), keylen: Number(kdf.keylen) };
    checkParams(params, field('kdf'));
    if (typeof k.salt !== 'string' || Buffer.from(k.salt, 'base64').length < 16) throw new LenguaError('expected a base64 salt of at least 16 bytes', field('salt'));
    if (typeof k.hash !== 'string' || Buffer.from(k.hash, 'base64').length !== params.keylen) throw new LenguaError(`expected a base64 hash of ${params.keylen} bytes`, field('hash'));
    return { ...entry, kdf: { name: 'scrypt', ...params }, salt: k.salt, hash: k.hash };
  });
  return { version: 1, keys };
}

/** The key file at `path`; a missing file is an empty one. */
export function readKeyFile(path: string): KeyFile {
  let text: string;
  try {
    if (statSync(path).size > MAX_FILE_BYTES) throw new LenguaError(`larger than ${MAX_FILE_BYTES} bytes; not a key file`, { file: path });
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (isSystemError(err) && err.code === 'ENOENT') return { version: 1, keys: [] };
    throw err;
  }
  return parseKeyFile(text, path);
}

/** Writes the key file atomically, readable by its owner only (0600, from the first byte: umask 077 while writing). */
export function writeKeyFile(path: string, file: KeyFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // process.umask(mask) may only be called on the main thread; elsewhere the chmod below still applies.
  const old = isMainThread ? process.umask(0o077) : undefined;
  try {
    writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`);
  } finally {
    if (old !== undefined) process.umask(old);
  }
  chmodSync(path, 0o600);
}

/**
 * Runs `fn` holding `path.lock` (created with O_EXCL), so two `lengua keys` commands at once do not
 * lose each other's change. A lock older than 30 s is from a process that died: taken over.
 */
export async function withKeyFileLock<T>(path: string, fn: () => Promise<T> | T): Promise<T> {
  const lock = `${path}.lock`;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      break;
    } catch (err) {
      if (!isSystemError(err) || err.code !== 'EEXIST') throw err;
      let st: Stats | undefined;
      try {
        st = statSync(lock);
      } catch {
        continue; // released between our open and stat
      }
      if (Date.now() - st.mtimeMs > 30_000) {
        rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new LenguaError(`another lengua keys command holds ${lock}; if none is running, delete that file`, { file: path });
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

export interface CreateKeyOptions {
  name: string;
  scope: KeyScope;
  rate?: string | null;
  params?: ScryptParams;
}

/** Adds a key to the file at `path` and returns it: the only time the secret exists outside the client. */
export async function createKey(path: string, opts: CreateKeyOptions): Promise<{ key: string; entry: StoredKey }> {
  const name = checkName(opts.name);
  const scope = checkScope(opts.scope);
  const rate = opts.rate === undefined || opts.rate === null ? null : opts.rate.trim();
  if (rate !== null) parseRate(rate);
  const params = opts.params ?? DEFAULT_SCRYPT;
  checkParams(params, { file: path, field: 'scrypt' });
  return withKeyFileLock(path, async () => {
    const file = readKeyFile(path);
    if (file.keys.some((k) => k.revoked === undefined && k.name === name)) throw new LenguaError(`a key named ${JSON.stringify(name)} exists; revoke it first or choose another name`, { field: '--name' });
    let id: string;
    do id = randomBytes(8).toString('hex');
    while (file.keys.some((k) => k.id === id));
    const key = `lng_${id}_${randomBytes(32).toString('base64url')}`;
    const salt = randomBytes(16);
    const hash = await scryptAsync(key, salt, params);
    const entry: StoredKey = {
      id, name, scope, rate, created: new Date().toISOString(),
      kdf: { name: 'scrypt', ...params }, salt: salt.toString('base64'), hash: hash.toString('base64'),
    };
    file.keys.push(entry);
    writeKeyFile(path, file);
    return { key, entry };
  });
}

/** Revokes the key in use named `nameOrId` (or with that id): its hash is dropped, its record kept. */
export async function revokeKey(path: string, nameOrId: string): Promise<StoredKey> {
  return withKeyFileLock(path, () => {
    const file = readKeyFile(path);
    const entry = file.keys.find((k) => k.revoked === undefined && k.id === nameOrId) ?? file.keys.find((k) => k.revoked === undefined && k.name === nameOrId);
    if (entry === undefined) {
      const gone = file.keys.some((k) => k.id === nameOrId || k.name === nameOrId);
      throw new LenguaError(`${gone ? 'already revoked' : 'no key named'} ${JSON.stringify(nameOrId.slice(0, 80))}${gone ? '' : ' (by name or id)'} in ${path}`, { field: 'NAME|ID' });
    }
    entry.revoked = new Date().toISOString();
    delete entry.kdf;
    delete entry.salt;
    delete entry.hash;
    writeKeyFile(path, file);
    return { ...entry };
  });
}

/** The non-secret fields of a key, for `keys list --json` and logs. */
export function publicFields(k: StoredKey): Omit<StoredKey, 'kdf' | 'salt' | 'hash'> {
  return { id: k.id, name: k.name, scope: k.scope, rate: k.rate, created: k.created, ...(k.revoked !== undefined ? { revoked: k.revoked } : {}) };
}

// ---- the server's view ----

/** Why a presented key was refused (the audit log's `reason`). */
export type KeyRefusal = 'malformed' | 'unknown_key' | 'revoked_key' | 'bad_secret';

export type KeyCheck = { ok: true; key: ApiKeyInfo; rate: KeyRate | null } | { ok: false; reason: KeyRefusal; keyId?: string };

export interface KeyRingOptions {
  /** Stat the file at most this often (ms; default 1000). */
  reloadIntervalMs?: number;
  /** Successful verifications remembered (default 10,000). */
  cacheSize?: number;
  /** Told when the file changed and was read, or could not be (the last good keys stay). */
  onReload?: (event: { ok: true; keys: number } | { ok: false; error: string }) => void;
}

interface Active {
  entry: StoredKey;
  info: ApiKeyInfo;
  rate: KeyRate | null;
}

/**
 * The keys a server accepts, from a key file that it re-reads when its inode, size or mtime change
 * (checked at most once per `reloadIntervalMs`, on the request path). A file that fails to parse keeps the
 * last good keys; a deleted file means no keys (revoking everything by deleting the file works).
 */
export class KeyRing {
  private byId = new Map<string, Active>();
  private revoked = new Set<string>();
  /** SHA-256 of a presented key → its id, for keys verified since the file was last read. Memory only. */
  private verified = new Map<string, string>();
  private inflight = new Map<string, Promise<boolean>>();
  /** Bumped on each reload, so a verification that straddles one is not cached. */
  private generation = 0;
  private signature = '';
  private lastCheck = 0;
  private checking: Promise<void> | null = null;
  private readonly interval: number;
  private readonly cacheSize: number;

  private constructor(
    readonly path: string,
    private readonly opts: KeyRingOptions,
  ) {
    this.interval = opts.reloadIntervalMs ?? 1000;
    this.cacheSize = opts.cacheSize ?? 10_000;
  }

  /** Reads the file now. A missing file at start is an error naming `--keys`; a broken one, naming the file and field. */
  static async open(path: string, opts: KeyRingOptions = {}): Promise<KeyRing> {
    const ring = new KeyRing(path, opts);
    let st;
    try {
      st = await stat(path);
    } catch (err) {
      if (isSystemError(err) && err.code === 'ENOENT') throw new LenguaError(`${path} does not exist; create a key with \`lengua keys create --name NAME --scope predict --keys ${path}\``, { field: '--keys' });
      throw err;
    }
    ring.install(await ring.read(st), signatureOf(st));
    ring.lastCheck = Date.now();
    return ring;
  }

  get size(): number {
    return this.byId.size;
  }

  /** Re-reads the file if it changed and the last look is older than the interval. Never throws. */
  async refresh(now = Date.now()): Promise<void> {
    if (this.checking !== null) return this.checking;
    if (now - this.lastCheck < this.interval) return;
    this.lastCheck = now;
    this.checking = this.statFile().finally(() => {
      this.checking = null;
    });
    return this.checking;
  }

  private async statFile(): Promise<void> {
    let st;
    try {
      st = await stat(this.path);
    } catch (err) {
      if (isSystemError(err) && err.code === 'ENOENT') {
        if (this.signature !== 'missing') {
          this.install({ version: 1, keys: [] }, 'missing');
          this.opts.onReload?.({ ok: false, error: `${this.path} was deleted: no key is accepted until it is back` });
        }
        return;
      }
      this.opts.onReload?.({ ok: false, error: `${this.path}: ${(err as Error).message}` });
      return;
    }
    const sig = signatureOf(st);
    if (sig === this.signature) return;
    try {
      const file = await this.read(st);
      this.install(file, sig);
      this.opts.onReload?.({ ok: true, keys: this.byId.size });
    } catch (err) {
      // Remember the broken version so it is reported once, not on every look.
      this.signature = sig;
      this.opts.onReload?.({ ok: false, error: `${(err as Error).message}; the last good keys stay in use` });
    }
  }

  private async read(st: Stats): Promise<KeyFile> {
    if (st.size > MAX_FILE_BYTES) throw new LenguaError(`larger than ${MAX_FILE_BYTES} bytes; not a key file`, { file: this.path });
    return parseKeyFile(await readFile(this.path, 'utf8'), this.path);
  }

  private install(file: KeyFile, signature: string): void {
    const byId = new Map<string, Active>();
    const revoked = new Set<string>();
    for (const k of file.keys) {
      if (k.revoked !== undefined) revoked.add(k.id);
      else byId.set(k.id, { entry: k, info: { name: k.name, id: k.id, scope: k.scope }, rate: k.rate === null ? null : parseRate(k.rate) });
    }
    this.byId = byId;
    this.revoked = revoked;
    // Forget every verification: a revoked or re-hashed key must be checked against the new file.
    this.verified.clear();
    this.inflight.clear();
    this.generation++;
    this.signature = signature;
  }

  /** The answer for a key verified since the file was last read, without hashing; null when it is not one. */
  cachedVerify(token: string): KeyCheck | null {
    const parsed = parseKey(token);
    if (parsed === null || this.verified.size === 0) return null;
    return this.cacheHit(createHash('sha256').update(token).digest('base64'), parsed.id);
  }

  private cacheHit(digest: string, id: string): KeyCheck | null {
    const active = this.byId.get(id);
    if (active === undefined || this.verified.get(digest) !== id) return null;
    // Most recently used last: the Map's order is the eviction order.
    this.verified.delete(digest);
    this.verified.set(digest, id);
    return { ok: true, key: active.info, rate: active.rate };
  }

  /** Whether the presented key is accepted: a cached verification, else scrypt (one at a time per distinct key). */
  async verify(token: string): Promise<KeyCheck> {
    const parsed = parseKey(token);
    if (parsed === null) return { ok: false, reason: 'malformed' };
    const active = this.byId.get(parsed.id);
    if (active === undefined) return { ok: false, reason: this.revoked.has(parsed.id) ? 'revoked_key' : 'unknown_key', keyId: parsed.id };
    const digest = createHash('sha256').update(token).digest('base64');
    const hit = this.cacheHit(digest, parsed.id);
    if (hit !== null) return hit;
    let pending = this.inflight.get(digest);
    if (pending === undefined) {
      const generation = this.generation;
      // A failing scrypt (out of memory) refuses the key rather than failing the request with a 500.
      pending = verifyKey(token, active.entry).catch(() => false).then((ok) => {
        if (ok && generation === this.generation) {
          if (this.verified.size >= this.cacheSize) this.verified.delete(this.verified.keys().next().value!);
          this.verified.set(digest, parsed.id);
        }
        return ok;
      });
      const mine = pending;
      void mine.finally(() => {
        if (this.inflight.get(digest) === mine) this.inflight.delete(digest);
      });
      this.inflight.set(digest, mine);
    }
    const ok = await pending;
    // The file may have changed while scrypt ran: answer from the keys now in force.
    const now = this.byId.get(parsed.id);
    if (!ok || now === undefined || now.entry !== active.entry) return { ok: false, reason: now === undefined && this.revoked.has(parsed.id) ? 'revoked_key' : 'bad_secret', keyId: parsed.id };
    return { ok: true, key: now.info, rate: now.rate };
  }

  /** Verified keys held in memory (for tests). */
  get cached(): number {
    return this.verified.size;
  }
}

function signatureOf(st: Stats): string {
  return `${st.ino}:${st.size}:${st.mtimeMs}`;
}
