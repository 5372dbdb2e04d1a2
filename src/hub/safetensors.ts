/**
 * The safetensors format (https://github.com/huggingface/safetensors), read and written without any
 * dependency: 8-byte little-endian header length N, N bytes of JSON, then the tensor bytes.
 *
 * Reading validates what the reference Rust crate validates (header size limit, JSON, dtype, shape x
 * item size = byte length, offsets contiguous from 0 to the end of the file) and reports problems as
 * a `LenguaError` naming the file and the tensor. Writing mirrors the Rust crate byte for byte:
 * tensors sorted by descending dtype alignment then name, compact JSON with `__metadata__` first,
 * header padded with spaces to a multiple of 8 so every tensor starts 8-byte aligned.
 *
 * Memory: a file is read into one buffer (no copy per tensor) and tensors are views into it;
 * `readSafetensorsHeader` reads only the header. Files above Node's buffer limit (4 GiB on Node 20)
 * must be sharded; a lazy per-tensor reader would lift that (not needed for the models here).
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { constants as bufferConstants } from 'node:buffer';
import { LenguaError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { checkJsonDepth, preview } from './json.js';

export type SafetensorsDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export interface SafetensorsEntry {
  dtype: SafetensorsDType;
  shape: number[];
  /** Raw little-endian bytes, row-major. May be a view into a larger buffer. */
  data: Uint8Array;
}

export interface SafetensorsFile {
  tensors: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
}

export type SafetensorsInput = Map<string, SafetensorsEntry> | Record<string, SafetensorsEntry>;

/** Same limit as the Rust crate: a header above 100 MB is refused before it is parsed. */
export const MAX_HEADER_BYTES = 100_000_000;

/** Bytes per element. */
export const DTYPE_SIZE: Readonly<Record<SafetensorsDType, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  I16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
};

/**
 * The Rust crate's `Dtype` enum order (increasing alignment); the writer sorts by it descending.
 * Unsupported members (U16, F8_*, U32, U64) keep their slots so the relative order stays identical.
 */
const DTYPE_RANK: Readonly<Record<SafetensorsDType, number>> = {
  BOOL: 0,
  U8: 1,
  I8: 2,
  I16: 5,
  F16: 7,
  BF16: 8,
  I32: 9,
  F32: 11,
  F64: 12,
  I64: 13,
};

const SUPPORTED = Object.keys(DTYPE_SIZE) as SafetensorsDType[];

export function isSafetensorsDType(x: unknown): x is SafetensorsDType {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_SIZE, x);
}

/** A tensor's header entry: where its bytes are, relative to the start of the data section. */
export interface SafetensorsHeaderEntry {
  dtype: SafetensorsDType;
  shape: number[];
  /** [begin, end) byte offsets relative to the data section (which starts at 8 + headerSize). */
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  /** Tensors sorted by name. */
  entries: Map<string, SafetensorsHeaderEntry>;
  metadata: Record<string, string>;
  /** N, the JSON header's length in bytes; the data section starts at byte 8 + N. */
  headerSize: number;
  /** Length of the data section in bytes. */
  dataSize: number;
}

/** Reads a file's whole content with one allocation; works past readFileSync's 2 GiB limit. */
function readWhole(fd: number, size: number, path: string): Uint8Array {
  if (size > bufferConstants.MAX_LENGTH) {
    throw new LenguaError(
      `file is ${size} bytes, above the ${bufferConstants.MAX_LENGTH}-byte limit of one in-memory buffer; save it sharded (maxShardSize) instead`,
      { file: path },
    );
  }
  const out = Buffer.allocUnsafeSlow(size);
  let pos = 0;
  while (pos < size) {
    const n = readSync(fd, out, pos, Math.min(size - pos, 1 << 30), pos);
    if (n === 0) throw new LenguaError(`file shrank while being read (${pos} of ${size} bytes)`, { file: path });
    pos += n;
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

function statOrThrow(path: string): number {
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new Error('not a regular file');
    return st.size;
  } catch (err) {
    throw new LenguaError(`cannot read safetensors file: ${(err as Error).message}`, { file: path }, { cause: err });
  }
}

function withFile<T>(path: string, fn: (fd: number, size: number) => T): T {
  const size = statOrThrow(path);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new LenguaError(`cannot read safetensors file: ${(err as Error).message}`, { file: path }, { cause: err });
  }
  try {
    return fn(fd, size);
  } finally {
    closeSync(fd);
  }
}

/** Reads and validates a whole `.safetensors` file; tensor data are views into one buffer. */
export function readSafetensors(path: string): SafetensorsFile {
  return withFile(path, (fd, size) => readSafetensorsFd(fd, size, path));
}

/** `readSafetensors` on an opened file of `size` bytes (e.g. a checked model-folder file). */
export function readSafetensorsFd(fd: number, size: number, sourceName: string): SafetensorsFile {
  return parseSafetensors(readWhole(fd, size, sourceName), sourceName);
}

/**
 * Reads and validates only the header (dtype, shape and offsets of every tensor) without loading the
 * tensor bytes: cheap inspection of large checkpoints.
 */
export function readSafetensorsHeader(path: string): SafetensorsHeader {
  return withFile(path, (fd, size) => readSafetensorsHeaderFd(fd, size, path));
}

/** `readSafetensorsHeader` on an opened file of `size` bytes. */
export function readSafetensorsHeaderFd(fd: number, size: number, sourceName: string): SafetensorsHeader {
  const prefix = new Uint8Array(8);
  const got = size >= 8 ? readSync(fd, prefix, 0, 8, 0) : 0;
  // headerLength checks N against the real file size before N bytes are allocated.
  const n = headerLength(prefix.subarray(0, got), size, sourceName);
  const json = new Uint8Array(n);
  let pos = 0;
  while (pos < n) {
    const k = readSync(fd, json, pos, n - pos, 8 + pos);
    if (k === 0) throw new LenguaError('file shrank while being read', { file: sourceName });
    pos += k;
  }
  return parseHeader(json, size - 8 - n, sourceName);
}

/** Validates the 8-byte length prefix against the file size; returns N. */
function headerLength(prefix: Uint8Array, fileSize: number, sourceName: string): number {
  const where = { file: sourceName };
  if (prefix.byteLength < 8 || fileSize < 8) {
    throw new LenguaError(`not a safetensors file: ${fileSize} bytes, fewer than the 8-byte header length`, where);
  }
  const n64 = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) {
    throw new LenguaError(`header length ${n64} bytes is over the ${MAX_HEADER_BYTES}-byte limit (corrupt or not a safetensors file)`, where);
  }
  const n = Number(n64);
  if (n + 8 > fileSize) {
    throw new LenguaError(
      `header length ${n} runs past the end of the file (${fileSize} bytes; header would end at byte ${n + 8}); the file is truncated or not safetensors`,
      where,
    );
  }
  return n;
}

/** Parses and validates the JSON header against the size of the data section that follows it. */
function parseHeader(json: Uint8Array, dataLen: number, sourceName: string): SafetensorsHeader {
  const where = { file: sourceName };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(json);
  } catch {
    throw new LenguaError('header is not valid UTF-8', where);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    throw new LenguaError(`header is not valid JSON: ${(err as Error).message}`, where);
  }
  checkJsonDepth(header, where);
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new LenguaError('header must be a JSON object of tensor name -> {dtype, shape, data_offsets}', where);
  }

  const metadata: Record<string, string> = {};
  const infos: Array<[string, SafetensorsHeaderEntry]> = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new LenguaError('__metadata__ must be an object of string values', { ...where, field: '__metadata__' });
      }
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') {
          throw new LenguaError(`__metadata__ values must be strings, got ${preview(v)}`, { ...where, field: `__metadata__.${k}` });
        }
        metadata[k] = v;
      }
      continue;
    }
    const field = { ...where, field: name };
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new LenguaError('tensor entry must be an object {dtype, shape, data_offsets}', field);
    }
    const e = value as Record<string, unknown>;
    if (!isSafetensorsDType(e.dtype)) {
      throw new LenguaError(`unknown or unsupported dtype ${preview(e.dtype)} (supported: ${SUPPORTED.join(', ')})`, field);
    }
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      throw new LenguaError(`shape must be an array of non-negative integers, got ${preview(e.shape)}`, field);
    }
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isSafeInteger(o) && (o as number) >= 0)) {
      throw new LenguaError(`data_offsets must be [begin, end] non-negative integers, got ${preview(off)}`, field);
    }
    infos.push([name, { dtype: e.dtype, shape: (e.shape as number[]).slice(), dataOffsets: [off[0] as number, off[1] as number] }]);
  }

  // Offsets must tile the data section exactly: sorted by offset, each begins where the previous ended
  // (a gap or an overlap is an error, as in the Rust crate), and the last ends at the end of the file.
  const byOffset = infos.slice().sort(([, a], [, b]) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  let cursor = 0;
  for (const [name, info] of byOffset) {
    const field = { ...where, field: name };
    const [begin, end] = info.dataOffsets;
    if (end < begin) throw new LenguaError(`data_offsets [${begin}, ${end}] end before they begin`, field);
    if (end > dataLen) throw new LenguaError(`data_offsets [${begin}, ${end}] run past the end of the data (${dataLen} bytes)`, field);
    if (begin < cursor) throw new LenguaError(`data_offsets [${begin}, ${end}] overlap the previous tensor, which ends at ${cursor}`, field);
    if (begin > cursor) throw new LenguaError(`data_offsets [${begin}, ${end}] leave a gap: the previous tensor ends at ${cursor}`, field);
    // Checked at every step, as the Rust crate's checked_mul: [2^40, 2^40, 0] overflows, its 0 does not save it.
    let nbytes = DTYPE_SIZE[info.dtype];
    for (const d of info.shape) {
      nbytes *= d;
      if (!Number.isSafeInteger(nbytes)) throw new LenguaError(`shape ${preview(info.shape)} overflows`, field);
    }
    if (nbytes !== end - begin) {
      throw new LenguaError(
        `shape ${preview(info.shape)} x ${info.dtype} (${DTYPE_SIZE[info.dtype]} bytes) = ${nbytes} bytes, but data_offsets span ${end - begin}`,
        field,
      );
    }
    cursor = end;
  }
  if (cursor !== dataLen) {
    throw new LenguaError(`tensors cover ${cursor} bytes of data but the file holds ${dataLen} after the header (trailing bytes or a truncated header)`, where);
  }
  const entries = new Map(infos.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { entries, metadata, headerSize: json.byteLength, dataSize: dataLen };
}

/** Parses safetensors bytes. `sourceName` names the file in error messages. Data are views into `bytes`. */
export function parseSafetensors(bytes: Uint8Array, sourceName = '<buffer>'): SafetensorsFile {
  const n = headerLength(bytes.subarray(0, 8), bytes.byteLength, sourceName);
  const dataStart = 8 + n;
  const header = parseHeader(bytes.subarray(8, dataStart), bytes.byteLength - dataStart, sourceName);
  const tensors = new Map<string, SafetensorsEntry>();
  for (const [name, e] of header.entries) {
    tensors.set(name, { dtype: e.dtype, shape: e.shape, data: bytes.subarray(dataStart + e.dataOffsets[0], dataStart + e.dataOffsets[1]) });
  }
  return { tensors, metadata: header.metadata };
}

function entriesOf(tensors: SafetensorsInput): Array<[string, SafetensorsEntry]> {
  return tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
}

/** Checks one entry before it is written; a writer must never produce a file its reader refuses. */
export function validateEntry(name: string, t: SafetensorsEntry): number {
  const field = { field: name };
  if (name === '' || name === '__metadata__') throw new LenguaError('invalid tensor name', field);
  if (!isSafetensorsDType(t.dtype)) {
    throw new LenguaError(`unknown dtype ${preview(t.dtype)} (supported: ${SUPPORTED.join(', ')})`, field);
  }
  if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new LenguaError(`shape must be non-negative integers, got ${preview(t.shape)}`, field);
  }
  const nbytes = t.shape.reduce((a, d) => a * d, 1) * DTYPE_SIZE[t.dtype];
  if (!(t.data instanceof Uint8Array) || t.data.byteLength !== nbytes) {
    throw new LenguaError(
      `data has ${t.data?.byteLength} bytes but shape ${preview(t.shape)} x ${t.dtype} needs ${nbytes}`,
      field,
    );
  }
  return nbytes;
}

/** Byte-compatible with the Rust crate's `serialize` (and so with Python's `safetensors.torch.save_file`). */
export function serializeSafetensors(tensors: SafetensorsInput, metadata?: Record<string, string>): Uint8Array {
  const list = entriesOf(tensors);
  const seen = new Set<string>();
  for (const [name, t] of list) {
    if (seen.has(name)) throw new LenguaError('duplicate tensor name', { field: name });
    seen.add(name);
    validateEntry(name, t);
  }
  list.sort(([an, a], [bn, b]) => DTYPE_RANK[b.dtype] - DTYPE_RANK[a.dtype] || (an < bn ? -1 : an > bn ? 1 : 0));

  // Build the JSON by hand so the key order is exactly the crate's: __metadata__, then offset order.
  const parts: string[] = [];
  if (metadata !== undefined && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new LenguaError(`metadata values must be strings, got ${preview(v)}`, { field: k });
    }
    parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
  }
  let offset = 0;
  for (const [name, t] of list) {
    const end = offset + t.data.byteLength;
    parts.push(`${JSON.stringify(name)}:{"dtype":"${t.dtype}","shape":${JSON.stringify(t.shape)},"data_offsets":[${offset},${end}]}`);
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const padded = Math.ceil(json.byteLength / 8) * 8;
  if (padded > MAX_HEADER_BYTES) throw new LenguaError(`header would be ${padded} bytes, over the ${MAX_HEADER_BYTES}-byte limit`);

  const out = new Uint8Array(8 + padded + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.byteLength, 8 + padded);
  let pos = 8 + padded;
  for (const [, t] of list) {
    out.set(t.data, pos);
    pos += t.data.byteLength;
  }
  return out;
}

/** Serializes and writes atomically (temp file + rename): readers never see a half-written file. */
export function writeSafetensors(path: string, tensors: SafetensorsInput, metadata?: Record<string, string>): void {
  writeFileAtomic(path, serializeSafetensors(tensors, metadata));
}

// ---------------------------------------------------------------------------------------------
// Conversions between raw entries and typed arrays (copies, so alignment of the source never matters).

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m === 0 ? s * Infinity : NaN;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function floatToHalf(x: number): number {
  // Round-to-nearest-even conversion through the float32 bit pattern.
  f32Scratch[0] = x;
  const bits = u32Scratch[0] as number;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let r = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    if (rem > half || (rem === half && (r & 1) !== 0)) r++;
    return sign | r;
  }
  let r = mant >>> 13;
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (r & 1) !== 0)) {
    r++;
    if (r === 0x400) {
      r = 0;
      e++;
      if (e >= 31) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | r;
}

function bf16ToFloat(h: number): number {
  u32Scratch[0] = h << 16;
  return f32Scratch[0] as number;
}

function floatToBf16(x: number): number {
  f32Scratch[0] = x;
  const bits = u32Scratch[0] as number;
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0) return ((bits >>> 16) | 0x40) & 0xffff; // keep NaN a NaN
  const rounded = bits + 0x7fff + ((bits >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

/** Number of elements of a shape. */
export function numel(shape: readonly number[]): number {
  return shape.reduce((a, d) => a * d, 1);
}

/** Any floating or integer entry as float32 values (I64 beyond 2^24 loses precision, as a cast would). */
export function entryToFloat32(t: SafetensorsEntry): Float32Array {
  const n = numel(t.shape);
  const dv = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const out = new Float32Array(n);
  switch (t.dtype) {
    case 'F32':
      for (let i = 0; i < n; i++) out[i] = dv.getFloat32(i * 4, true);
      break;
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = dv.getFloat64(i * 8, true);
      break;
    case 'F16':
      for (let i = 0; i < n; i++) out[i] = halfToFloat(dv.getUint16(i * 2, true));
      break;
    case 'BF16':
      for (let i = 0; i < n; i++) out[i] = bf16ToFloat(dv.getUint16(i * 2, true));
      break;
    case 'I64':
      for (let i = 0; i < n; i++) out[i] = Number(dv.getBigInt64(i * 8, true));
      break;
    case 'I32':
      for (let i = 0; i < n; i++) out[i] = dv.getInt32(i * 4, true);
      break;
    case 'I16':
      for (let i = 0; i < n; i++) out[i] = dv.getInt16(i * 2, true);
      break;
    case 'I8':
      for (let i = 0; i < n; i++) out[i] = dv.getInt8(i);
      break;
    case 'U8':
    case 'BOOL':
      for (let i = 0; i < n; i++) out[i] = dv.getUint8(i);
      break;
  }
  return out;
}

/** Integer entries (I64, I32, I16, I8, U8, BOOL) as BigInt64Array. */
export function entryToBigInt64(t: SafetensorsEntry): BigInt64Array {
  const n = numel(t.shape);
  const dv = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const out = new BigInt64Array(n);
  switch (t.dtype) {
    case 'I64':
      for (let i = 0; i < n; i++) out[i] = dv.getBigInt64(i * 8, true);
      return out;
    case 'I32':
      for (let i = 0; i < n; i++) out[i] = BigInt(dv.getInt32(i * 4, true));
      return out;
    case 'I16':
      for (let i = 0; i < n; i++) out[i] = BigInt(dv.getInt16(i * 2, true));
      return out;
    case 'I8':
      for (let i = 0; i < n; i++) out[i] = BigInt(dv.getInt8(i));
      return out;
    case 'U8':
    case 'BOOL':
      for (let i = 0; i < n; i++) out[i] = BigInt(dv.getUint8(i));
      return out;
    default:
      throw new LenguaError(`expected an integer tensor, got ${t.dtype}`);
  }
}

function checkShape(shape: readonly number[], length: number): number[] {
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0) || numel(shape) !== length) {
    throw new LenguaError(`shape ${preview(shape)} does not hold ${length} values`);
  }
  return shape.slice();
}

/**
 * Builds an entry from values. Floating dtypes take numbers (F16/BF16 round to nearest even);
 * I64 takes numbers or bigints; BOOL takes any truthy/falsy numbers.
 */
export function makeEntry(
  dtype: SafetensorsDType,
  shape: readonly number[],
  values: ArrayLike<number> | ArrayLike<bigint>,
): SafetensorsEntry {
  const n = values.length;
  const s = checkShape(shape, n);
  const data = new Uint8Array(n * DTYPE_SIZE[dtype]);
  const dv = new DataView(data.buffer);
  const num = (i: number): number => Number(values[i]);
  for (let i = 0; i < n; i++) {
    switch (dtype) {
      case 'F32':
        dv.setFloat32(i * 4, num(i), true);
        break;
      case 'F64':
        dv.setFloat64(i * 8, num(i), true);
        break;
      case 'F16':
        dv.setUint16(i * 2, floatToHalf(num(i)), true);
        break;
      case 'BF16':
        dv.setUint16(i * 2, floatToBf16(num(i)), true);
        break;
      case 'I64': {
        const v = values[i];
        dv.setBigInt64(i * 8, typeof v === 'bigint' ? v : BigInt(Math.trunc(v as number)), true);
        break;
      }
      case 'I32':
        dv.setInt32(i * 4, num(i), true);
        break;
      case 'I16':
        dv.setInt16(i * 2, num(i), true);
        break;
      case 'I8':
        dv.setInt8(i, num(i));
        break;
      case 'U8':
        dv.setUint8(i, num(i));
        break;
      case 'BOOL':
        dv.setUint8(i, num(i) !== 0 ? 1 : 0);
        break;
    }
  }
  return { dtype, shape: s, data };
}
