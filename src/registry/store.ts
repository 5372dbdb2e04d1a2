/**
 * Where the registry keeps its bytes. Everything goes through `RegistryStore`, a flat map of '/'-separated
 * keys to objects, so that an S3-compatible store can replace the folder: blobs are written whole (put),
 * and the small JSON refs — manifests and stage files, the commit points of push and promote — through
 * putRef, which is atomic and conditional (compare-and-swap on the ref's etag).
 *
 * `LocalStore` keeps the keys as files under one folder. A blob is written to a temporary sibling and
 * renamed into place; a ref goes through writeFileAtomic under a short lock file, so two processes that
 * promote at once cannot both read the same state and lose one of the writes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { LenguaError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';

/** A ref as read: its bytes and an opaque tag that changes whenever they do. */
export interface RefRead {
  data: Buffer;
  etag: string;
}

export interface PutRefOptions {
  /** `null`: write only if the ref does not exist yet; a string: only if its etag is still this; left out: always. */
  ifMatch?: string | null;
}

export interface RegistryStore {
  /** Where the store is, for messages (a folder, a bucket URL). */
  readonly location: string;
  /** Where one key lives, for messages that must name the exact file or object. */
  describe(key: string): string;
  /** The object's bytes as a stream, or null when there is none. */
  get(key: string): Promise<Readable | null>;
  /** Stores a whole object; readers never see part of it. */
  put(key: string, body: Readable | Uint8Array): Promise<void>;
  exists(key: string): Promise<boolean>;
  /** Every key under `prefix` (a folder-like prefix ending in '/', or '' for all), sorted. */
  list(prefix: string): Promise<string[]>;
  delete(key: string): Promise<void>;
  /** A small JSON ref, or null when there is none. */
  getRef(key: string): Promise<RefRead | null>;
  /** Atomically replaces a ref (readers see the old bytes or the new); throws RefConflictError when ifMatch fails. */
  putRef(key: string, data: Uint8Array, opts?: PutRefOptions): Promise<void>;
}

/** A conditional putRef found the ref changed (or present, or absent) since it was read. */
export class RefConflictError extends LenguaError {
  constructor(
    readonly key: string,
    readonly exists: boolean,
    where: string,
  ) {
    super(exists ? 'was changed or created by another process meanwhile' : 'was removed by another process meanwhile', { file: where });
    this.name = 'RefConflictError';
  }
}

/** Keys: '/'-separated segments of safe characters; no segment is empty or starts with '.', so no key names a hidden or parent path. */
const KEY = /^[A-Za-z0-9_][A-Za-z0-9._@+-]*(?:\/[A-Za-z0-9_][A-Za-z0-9._@+-]*)*$/;
const MAX_KEY_LENGTH = 1024;
/** Refs are small JSON; anything bigger is not one of ours. */
export const MAX_REF_BYTES = 16 * 1024 * 1024;

export function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length > MAX_KEY_LENGTH || !KEY.test(key)) throw new LenguaError(`invalid store key ${JSON.stringify(String(key).slice(0, 200))}`);
}

function etagOf(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

const LOCK_WAIT_MS = 10_000;
/** A ref lock is held for milliseconds; one older than this was left by a killed process. */
const LOCK_STALE_MS = 30_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The registry as a folder: key `a/b/c` is the file `ROOT/a/b/c`. */
export class LocalStore implements RegistryStore {
  readonly location: string;

  constructor(root: string) {
    this.location = resolve(root);
  }

  describe(key: string): string {
    return this.path(key);
  }

  private path(key: string): string {
    checkKey(key);
    return join(this.location, ...key.split('/'));
  }

  private tmpFor(path: string): string {
    return join(dirname(path), `.${path.slice(dirname(path).length + 1)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  }

  async get(key: string): Promise<Readable | null> {
    const path = this.path(key);
    const stream = createReadStream(path);
    // Open first, so a missing key is null here rather than an error on the first read.
    return new Promise((res, rej) => {
      stream.once('open', () => res(stream));
      stream.once('error', (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? res(null) : rej(err)));
    });
  }

  async put(key: string, body: Readable | Uint8Array): Promise<void> {
    const path = this.path(key);
    if (body instanceof Uint8Array) {
      writeFileAtomic(path, body);
      return;
    }
    mkdirSync(dirname(path), { recursive: true });
    const tmp = this.tmpFor(path);
    try {
      await pipeline(body, createWriteStream(tmp, { flags: 'wx' }));
      const fd = openSync(tmp, 'r');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, path);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      return statSync(this.path(key)).isFile();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return false;
      throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    if (prefix !== '') checkKey(prefix.replace(/\/$/, ''));
    const out: string[] = [];
    const walk = (dir: string, keyPrefix: string): void => {
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return;
        throw err;
      }
      for (const e of entries) {
        // Hidden names are temporaries and locks of writes in progress (or killed): never keys.
        if (e.name.startsWith('.')) continue;
        if (e.isDirectory()) walk(join(dir, e.name), `${keyPrefix}${e.name}/`);
        else if (e.isFile() && KEY.test(`${keyPrefix}${e.name}`)) out.push(`${keyPrefix}${e.name}`);
      }
    };
    walk(prefix === '' ? this.location : this.path(prefix.replace(/\/$/, '')), prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`);
    return out.sort();
  }

  async delete(key: string): Promise<void> {
    rmSync(this.path(key), { force: true });
  }

  async getRef(key: string): Promise<RefRead | null> {
    const path = this.path(key);
    let data: Buffer;
    try {
      const size = statSync(path).size;
      if (size > MAX_REF_BYTES) throw new LenguaError(`${size} bytes; a registry ref is at most ${MAX_REF_BYTES}`, { file: path });
      data = readFileSync(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw err;
    }
    return { data, etag: etagOf(data) };
  }

  async putRef(key: string, data: Uint8Array, opts: PutRefOptions = {}): Promise<void> {
    const path = this.path(key);
    mkdirSync(dirname(path), { recursive: true });
    const lock = join(dirname(path), `.${path.slice(dirname(path).length + 1)}.lock`);
    await this.acquire(lock);
    try {
      if (opts.ifMatch !== undefined) {
        const current = await this.getRef(key);
        const ok = opts.ifMatch === null ? current === null : current !== null && current.etag === opts.ifMatch;
        if (!ok) throw new RefConflictError(key, current !== null, path);
      }
      writeFileAtomic(path, data);
    } finally {
      rmSync(lock, { force: true });
    }
  }

  /** Takes the lock file (exclusive create); a lock whose process is gone, or that is old, is taken over. */
  private async acquire(lock: string): Promise<void> {
    const deadline = Date.now() + LOCK_WAIT_MS;
    const me = `${JSON.stringify({ pid: process.pid, host: hostname(), time: Date.now() })}\n`;
    for (;;) {
      try {
        const fd = openSync(lock, 'wx');
        try {
          writeSync(fd, me);
        } finally {
          closeSync(fd);
        }
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      let owner: { pid?: unknown; host?: unknown; time?: unknown } = {};
      let age = 0;
      try {
        owner = JSON.parse(readFileSync(lock, 'utf8')) as typeof owner;
        age = Date.now() - statSync(lock).mtimeMs;
      } catch {
        // Being written or just removed: look again.
      }
      const dead = owner.host === hostname() && typeof owner.pid === 'number' && !alive(owner.pid);
      if (dead || age > LOCK_STALE_MS) {
        rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new LenguaError(`locked by process ${String(owner.pid ?? '?')} on ${String(owner.host ?? '?')} for more than ${LOCK_WAIT_MS / 1000} s; if no lengua process is running, remove the lock file`, { file: lock });
      }
      await sleep(5 + Math.random() * 20);
    }
  }
}

/** Reads a whole stream (bounded). */
export async function readAll(stream: Readable, max: number, where: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of stream) {
    n += (chunk as Buffer).length;
    if (n > max) {
      stream.destroy();
      throw new LenguaError(`more than ${max} bytes`, { file: where });
    }
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts);
}

/** A stream of bytes, for put. */
export function bytesStream(data: Uint8Array): Readable {
  return Readable.from([Buffer.from(data)]);
}
