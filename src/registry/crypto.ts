/**
 * Encryption at rest for the registry: AES-256-GCM per blob (a random 12-byte IV each, the blob's address
 * as additional authenticated data, the tag checked before a blob counts as read), and HMAC-SHA256 over
 * the JSON refs (manifests, stage files) so that a ref edited on disk is refused too.
 *
 * One 32-byte key is given; HKDF-SHA256 derives a separate subkey for each job, so the key that encrypts
 * blobs never authenticates refs and the key check stored in registry.json reveals nothing of either.
 * Keys never appear in messages: errors name where the key came from, never its bytes.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual, type DecipherGCM, type Hash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { LenguaError } from '../errors.js';

export const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Marks an encrypted blob and its layout: magic, IV, ciphertext, tag. */
const MAGIC = Buffer.from('LGE1', 'ascii');
export const ENCRYPTED_HEADER_BYTES = MAGIC.length + IV_BYTES;
export const ENCRYPTION_OVERHEAD = ENCRYPTED_HEADER_BYTES + TAG_BYTES;
const MAX_KEY_FILE_BYTES = 4096;

/** The subkeys of one registry key. */
export interface RegistryKeys {
  /** AES-256-GCM key of the blobs. */
  readonly blob: Buffer;
  /** HMAC key of the refs. */
  readonly mac: Buffer;
  /** What registry.json stores to tell a wrong key from tampering: HMAC of a constant under its own subkey. */
  readonly check: string;
}

/**
 * A key from text: 64 hex digits, or base64 / base64url of 32 bytes (surrounding whitespace ignored).
 * `source` names where it came from (a flag and file, an environment variable) for the error.
 */
export function parseKey(text: string, source: string): Buffer {
  const t = text.trim();
  let key: Buffer | null = null;
  if (/^[0-9a-fA-F]{64}$/.test(t)) key = Buffer.from(t, 'hex');
  else if (/^[A-Za-z0-9+/]{43}=?$/.test(t)) key = Buffer.from(t, 'base64');
  else if (/^[A-Za-z0-9_-]{43}=?$/.test(t)) key = Buffer.from(t, 'base64url');
  if (key === null || key.length !== KEY_BYTES) {
    // The length helps a user who pasted the wrong thing; the characters themselves are never shown.
    throw new LenguaError(`${source}: the key must be ${KEY_BYTES} bytes written as 64 hex digits or as base64 (44 characters); got ${t.length} characters that are neither`);
  }
  return key;
}

/** A key file: the text forms of parseKey, or exactly 32 raw bytes. Warns (through `warn`) when others may read it. */
export function readKeyFile(path: string, warn?: (line: string) => void): Buffer {
  const source = `--encryption-key-file ${path}`;
  let size: number;
  let mode: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new LenguaError(`${source}: not a file`, { field: 'encryption-key-file' });
    size = st.size;
    mode = st.mode;
  } catch (err) {
    if (err instanceof LenguaError) throw err;
    throw new LenguaError(`${source}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { field: 'encryption-key-file' }, { cause: err });
  }
  if (size > MAX_KEY_FILE_BYTES) throw new LenguaError(`${source}: ${size} bytes; a key file holds one key of ${KEY_BYTES} bytes`, { field: 'encryption-key-file' });
  if ((mode & 0o077) !== 0) warn?.(`warning: ${path} can be read by other users (mode ${(mode & 0o777).toString(8)}); chmod 600 it`);
  const bytes = readFileSync(path);
  // 32 bytes can only be a raw key: the text forms are 43 characters or more.
  if (bytes.length === KEY_BYTES) return Buffer.from(bytes);
  return parseKey(bytes.toString('latin1'), source);
}

/** Derives the subkeys of a 32-byte key. */
export function deriveKeys(key: Uint8Array): RegistryKeys {
  if (key.length !== KEY_BYTES) throw new LenguaError(`the registry key must be ${KEY_BYTES} bytes, got ${key.length}`);
  const sub = (info: string): Buffer => Buffer.from(hkdfSync('sha256', key, Buffer.from('lengua-registry/1'), Buffer.from(info), 32));
  const checkKey = sub('key-check');
  return {
    blob: sub('blob-aes-256-gcm'),
    mac: sub('ref-hmac-sha256'),
    check: createHmac('sha256', checkKey).update('lengua registry key check').digest('hex'),
  };
}

/** True when `check` (from registry.json) is this key's check value; compared in constant time. */
export function keyMatches(keys: RegistryKeys, check: string): boolean {
  const a = Buffer.from(keys.check, 'hex');
  const b = Buffer.from(/^[0-9a-f]{64}$/.test(check) ? check : '', 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The additional authenticated data of a blob: its address, so a blob moved to another address fails its tag. */
function aad(address: string): Buffer {
  return Buffer.from(`lengua-registry blob ${address}`);
}

/** A stream that encrypts: writes the header, then the ciphertext, then the tag. */
export function encryptStream(keys: RegistryKeys, address: string): Transform {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keys.blob, iv);
  cipher.setAAD(aad(address));
  let started = false;
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      if (!started) {
        started = true;
        this.push(Buffer.concat([MAGIC, iv]));
      }
      cb(null, cipher.update(chunk));
    },
    flush(cb: TransformCallback) {
      if (!started) this.push(Buffer.concat([MAGIC, iv]));
      const last = cipher.final();
      if (last.length > 0) this.push(last);
      cb(null, cipher.getAuthTag());
    },
  });
}

/** Encrypts a small buffer (the same format as encryptStream). */
export function encryptBytes(keys: RegistryKeys, address: string, data: Uint8Array): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keys.blob, iv);
  cipher.setAAD(aad(address));
  return Buffer.concat([MAGIC, iv, cipher.update(data), cipher.final(), cipher.getAuthTag()]);
}

/** Why a blob could not be decrypted; the caller names the blob and the version. */
export class BlobAuthError extends Error {
  constructor(readonly reason: 'format' | 'tag') {
    super(reason === 'format' ? 'not an encrypted blob of this registry (bad header or too short)' : 'authentication failed: the stored bytes were changed');
    this.name = 'BlobAuthError';
  }
}

/**
 * A stream that decrypts. It holds back the last 16 bytes (the tag) and checks them at the end; until
 * then what it emits is unauthenticated, so callers write it to a temporary place and keep it only when
 * the stream ends without error (and the plaintext's sha256 matches).
 */
export function decryptStream(keys: RegistryKeys, address: string): Transform {
  let header: Buffer = Buffer.alloc(0);
  let decipher: DecipherGCM | null = null;
  let tail: Buffer = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      let data = chunk;
      if (decipher === null) {
        header = Buffer.concat([header, data]);
        if (header.length < ENCRYPTED_HEADER_BYTES) return cb();
        if (!header.subarray(0, MAGIC.length).equals(MAGIC)) return cb(new BlobAuthError('format'));
        decipher = createDecipheriv('aes-256-gcm', keys.blob, header.subarray(MAGIC.length, ENCRYPTED_HEADER_BYTES));
        decipher.setAAD(aad(address));
        data = header.subarray(ENCRYPTED_HEADER_BYTES);
      }
      const all = tail.length > 0 ? Buffer.concat([tail, data]) : data;
      const keep = Math.max(0, all.length - TAG_BYTES);
      tail = Buffer.from(all.subarray(keep));
      cb(null, keep > 0 ? decipher.update(all.subarray(0, keep)) : undefined);
    },
    flush(cb: TransformCallback) {
      if (decipher === null || tail.length < TAG_BYTES) return cb(new BlobAuthError('format'));
      try {
        decipher.setAuthTag(tail);
        cb(null, decipher.final());
      } catch {
        cb(new BlobAuthError('tag'));
      }
    },
  });
}

/** The bytes that went through a HashCounter are not the ones expected. */
export class ContentMismatchError extends Error {
  constructor(
    readonly expected: { sha256: string; size: number },
    readonly actual: { sha256: string; size: number },
  ) {
    super(actual.size !== expected.size ? `${actual.size} bytes where ${expected.size} were recorded` : `sha256 ${actual.sha256} where ${expected.sha256} was recorded`);
    this.name = 'ContentMismatchError';
  }
}

/**
 * A pass-through stream that hashes (sha256) and counts what flows through it. Given `expect`, it fails
 * at the end (ContentMismatchError) when the content differs, so a write fed by it is never committed.
 */
export class HashCounter extends Transform {
  private readonly hash: Hash = createHash('sha256');
  bytes = 0;
  private hex: string | null = null;

  constructor(private readonly expect?: { sha256: string; size: number }) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    const sha256 = this.digest();
    if (this.expect !== undefined && (sha256 !== this.expect.sha256 || this.bytes !== this.expect.size)) {
      cb(new ContentMismatchError(this.expect, { sha256, size: this.bytes }));
      return;
    }
    cb();
  }

  /** The sha256 (hex) of everything that went through; call after the stream ended. */
  digest(): string {
    this.hex ??= this.hash.digest('hex');
    return this.hex;
  }
}

/** JSON with object keys sorted at every level: the bytes a MAC is computed over. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The MAC of a ref (every field but `mac`), bound to its key in the store so a ref cannot be copied to another name. */
export function refMac(keys: RegistryKeys, storeKey: string, body: Record<string, unknown>): string {
  const { mac: _mac, ...rest } = body;
  return createHmac('sha256', keys.mac).update(storeKey).update('\0').update(canonicalJson(rest)).digest('hex');
}

/** True when `body.mac` is the MAC of the rest of `body` (constant-time comparison). */
export function refMacValid(keys: RegistryKeys, storeKey: string, body: Record<string, unknown>): boolean {
  const mac = body.mac;
  if (typeof mac !== 'string' || !/^[0-9a-f]{64}$/.test(mac)) return false;
  return timingSafeEqual(Buffer.from(mac, 'hex'), Buffer.from(refMac(keys, storeKey, body), 'hex'));
}
