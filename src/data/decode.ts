import { createReadStream, readFileSync, statSync } from 'node:fs';
import { TextDecoder } from 'node:util';
import { LenguaError } from '../errors.js';

export type TextEncoding = 'utf8' | 'latin1';

/** Files larger than this are refused by readTextFile, which reads the whole file into memory. */
export const MAX_FILE_BYTES = 1024 * 1024 * 1024;

/** How the bytes are actually decoded: the encoding asked for, unless a byte-order mark says otherwise. */
type Decoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'latin1';

/**
 * Byte-order marks, longest first: FF FE 00 00 is UTF-32LE, not a UTF-16LE BOM followed by U+0000.
 * A BOM decides the encoding whatever `encoding` says: no ISO-8859-1 file starts with "ÿþ" + NUL or
 * "ï»¿", and reading a UTF-16 file byte by byte gives garbage.
 */
const BOMS: ReadonlyArray<{ bytes: readonly number[]; decoding: Decoding | 'UTF-32LE' | 'UTF-32BE' }> = [
  { bytes: [0x00, 0x00, 0xfe, 0xff], decoding: 'UTF-32BE' },
  { bytes: [0xff, 0xfe, 0x00, 0x00], decoding: 'UTF-32LE' },
  { bytes: [0xef, 0xbb, 0xbf], decoding: 'utf-8' },
  { bytes: [0xff, 0xfe], decoding: 'utf-16le' },
  { bytes: [0xfe, 0xff], decoding: 'utf-16be' },
];

const NAMES: Record<Decoding, string> = { 'utf-8': 'UTF-8', 'utf-16le': 'UTF-16LE', 'utf-16be': 'UTF-16BE', latin1: 'ISO-8859-1' };

/**
 * Decodes a file's bytes piece by piece (a whole file, or the chunks of a read stream), so that large
 * files are never held at once. UTF-8 is strict: a byte sequence that is not UTF-8 is an error naming
 * the line (and byte column) of the first bad byte, instead of a silent U+FFFD. A byte-order mark is
 * dropped and decides the encoding: UTF-8, UTF-16LE or UTF-16BE (unpaired surrogates are errors);
 * UTF-32 is refused with the advice to convert. `latin1` is true ISO-8859-1 (every byte is the code
 * point of the same value), not the WHATWG "latin1" label, which means windows-1252.
 */
export class TextChunkDecoder {
  private decoding: Decoding | undefined;
  private decoder: TextDecoder | undefined;
  /** Bytes not decoded yet: the start of the file before the BOM can be told, or an incomplete character. */
  private carry: Uint8Array = new Uint8Array(0);
  /** File offset of `carry[0]`. */
  private offset = 0;
  /** Line breaks decoded so far, and the file offset where the current line starts (for byte columns). */
  private lines = 0;
  private lineStart = 0;
  /** The first bytes of the file, kept to tell BOM-less UTF-16 apart in an error message. */
  private head: Uint8Array | undefined;

  constructor(
    readonly file: string,
    readonly encoding: TextEncoding = 'utf8',
  ) {}

  /** Decodes the next bytes; returns the text they complete (an incomplete character waits for the next call). */
  write(bytes: Uint8Array): string {
    return this.decode(bytes, false);
  }

  /** Decodes what is left; an incomplete character at the end of the file is an error. */
  end(): string {
    return this.decode(new Uint8Array(0), true);
  }

  private decode(bytes: Uint8Array, final: boolean): string {
    let piece = this.carry.length === 0 ? bytes : concat(this.carry, bytes);
    if (this.decoding === undefined) {
      // The BOM (at most 4 bytes) and the BOM-less UTF-16 check look at the first HEAD_BYTES: wait for
      // them (unless the file is shorter), so the outcome does not depend on how the bytes arrive.
      if (piece.length < HEAD_BYTES && !final) {
        this.carry = piece.slice();
        return '';
      }
      piece = this.start(piece);
    }
    const cut = final ? piece.length : completeLength(piece, this.decoding!);
    const part = piece.subarray(0, cut);
    let text: string;
    if (this.decoding === 'latin1') {
      text = Buffer.from(part.buffer, part.byteOffset, part.byteLength).toString('latin1');
    } else {
      try {
        text = this.decoder!.decode(part);
      } catch (err) {
        throw this.invalid(part, err);
      }
    }
    this.count(part, text);
    this.offset += cut;
    this.carry = piece.subarray(cut).slice();
    return text;
  }

  /** Reads the BOM (or its absence) and returns the bytes after it. */
  private start(piece: Uint8Array): Uint8Array {
    this.head = piece.slice(0, HEAD_BYTES);
    const bom = BOMS.find((b) => b.bytes.every((x, i) => piece[i] === x));
    if (bom?.decoding === 'UTF-32LE' || bom?.decoding === 'UTF-32BE') {
      throw new LenguaError(
        `the file is ${bom.decoding} (it starts with a ${bom.decoding} byte-order mark), which is not read here; convert it to UTF-8, e.g. iconv -f ${bom.decoding} -t UTF-8`,
        { file: this.file, line: 1 },
      );
    }
    if (bom === undefined) {
      const utf16 = bomlessUtf16(piece);
      if (utf16 !== undefined) {
        throw new LenguaError(
          `the file looks like ${utf16} without a byte-order mark (every other byte is 0); convert it to UTF-8, e.g. iconv -f ${utf16} -t UTF-8, or save it as UTF-16 with a byte-order mark`,
          { file: this.file, line: 1 },
        );
      }
    }
    this.decoding = (bom?.decoding as Decoding | undefined) ?? (this.encoding === 'latin1' ? 'latin1' : 'utf-8');
    if (this.decoding !== 'latin1') this.decoder = new TextDecoder(this.decoding, { fatal: true, ignoreBOM: true });
    const skip = bom?.bytes.length ?? 0;
    this.offset += skip;
    this.lineStart = skip;
    return piece.subarray(skip);
  }

  private count(part: Uint8Array, text: string): void {
    if (this.decoding === 'utf-16le' || this.decoding === 'utf-16be') {
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.lines++;
      return;
    }
    const b = Buffer.from(part.buffer, part.byteOffset, part.byteLength);
    let last = -1;
    for (let i = b.indexOf(0x0a); i >= 0; i = b.indexOf(0x0a, i + 1)) {
      this.lines++;
      last = i;
    }
    if (last >= 0) this.lineStart = this.offset + last + 1;
  }

  /** The error for undecodable bytes in `part` (which starts at `this.offset`), with line and position. */
  private invalid(part: Uint8Array, cause: unknown): LenguaError {
    if (this.decoding === 'utf-8') {
      const at = firstInvalidUtf8(part);
      let line = this.lines + 1;
      let lineStart = this.lineStart;
      for (let i = 0; i < at; i++) {
        if (part[i] === 0x0a) {
          line++;
          lineStart = this.offset + i + 1;
        }
      }
      const offset = this.offset + at;
      const hex = part[at]?.toString(16).padStart(2, '0') ?? '??';
      const utf16 = this.head !== undefined ? bomlessUtf16(this.head) : undefined;
      const advice =
        utf16 !== undefined
          ? `the file looks like ${utf16} without a byte-order mark; convert it to UTF-8`
          : 'if the file is ISO-8859-1, read it with encoding latin1';
      return new LenguaError(`invalid UTF-8: byte 0x${hex} at byte column ${offset - lineStart + 1} (offset ${offset}); ${advice}`, { file: this.file, line }, { cause });
    }
    const le = this.decoding === 'utf-16le';
    const units = part.length >> 1;
    let line = this.lines + 1;
    for (let u = 0; u < units; u++) {
      const c = le ? part[2 * u]! | (part[2 * u + 1]! << 8) : (part[2 * u]! << 8) | part[2 * u + 1]!;
      if (c === 0x0a) line++;
      const high = c >= 0xd800 && c <= 0xdbff;
      const low = c >= 0xdc00 && c <= 0xdfff;
      const next = u + 1 < units ? (le ? part[2 * u + 2]! | (part[2 * u + 3]! << 8) : (part[2 * u + 2]! << 8) | part[2 * u + 3]!) : -1;
      if (low || (high && !(next >= 0xdc00 && next <= 0xdfff))) {
        return new LenguaError(
          `invalid ${NAMES[this.decoding!]}: unpaired surrogate 0x${c.toString(16)} at offset ${this.offset + 2 * u}`,
          { file: this.file, line },
          { cause },
        );
      }
      if (high) u++;
    }
    return new LenguaError(
      `invalid ${NAMES[this.decoding!]}: the file ends in the middle of a character (an odd number of bytes, or a lone high surrogate)`,
      { file: this.file, line },
      { cause },
    );
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** How many leading bytes of `b` end on a character boundary (the rest waits for more bytes). */
function completeLength(b: Uint8Array, decoding: Decoding): number {
  const n = b.length;
  if (decoding === 'latin1') return n;
  if (decoding === 'utf-16le' || decoding === 'utf-16be') {
    let cut = n - (n % 2);
    if (cut >= 2) {
      const c = decoding === 'utf-16le' ? b[cut - 2]! | (b[cut - 1]! << 8) : (b[cut - 2]! << 8) | b[cut - 1]!;
      if (c >= 0xd800 && c <= 0xdbff) cut -= 2; // a high surrogate waits for its pair
    }
    return cut;
  }
  // UTF-8: find the lead byte of the last sequence; cut before it if the sequence is not complete.
  for (let i = n - 1; i >= Math.max(0, n - 4); i--) {
    const c = b[i]!;
    if (c < 0x80) return n;
    if (c >= 0xc0) {
      const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
      return i + need > n ? i : n;
    }
  }
  return n; // only continuation bytes: invalid, and the decoder will say where
}

/** How much of the start of a file decides its encoding (BOM, or BOM-less UTF-16). */
const HEAD_BYTES = 512;

/**
 * UTF-16 without a BOM: among the first bytes, at least half of those at odd offsets are 0 and hardly
 * any at even ones (little-endian text that is mostly ASCII-range; a few characters such as the halves
 * of an emoji have a 0 byte on the other side), or the reverse. Real UTF-8 and ISO-8859-1 text has no NULs.
 */
function bomlessUtf16(b: Uint8Array): 'UTF-16LE' | 'UTF-16BE' | undefined {
  const pairs = Math.min(b.length, HEAD_BYTES) >> 1;
  if (pairs < 2) return undefined;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < pairs; i++) {
    if (b[2 * i] === 0) evenZeros++;
    if (b[2 * i + 1] === 0) oddZeros++;
  }
  if (oddZeros >= pairs / 2 && evenZeros <= oddZeros / 8) return 'UTF-16LE';
  if (evenZeros >= pairs / 2 && oddZeros <= evenZeros / 8) return 'UTF-16BE';
  return undefined;
}

function statForRead(path: string): void {
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new LenguaError('is a directory, expected a data file', { file: path });
  } catch (err) {
    throw readError(path, err);
  }
}

function readError(path: string, err: unknown): LenguaError {
  if (err instanceof LenguaError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new LenguaError('file not found', { file: path }, { cause: err });
  if (code === 'EISDIR') return new LenguaError('is a directory, expected a data file', { file: path }, { cause: err });
  return new LenguaError(`cannot read file (${code ?? String(err)})`, { file: path }, { cause: err });
}

/** Reads and decodes a whole text file (see TextChunkDecoder for the encodings and their errors). */
export function readTextFile(path: string, encoding: TextEncoding = 'utf8'): string {
  let bytes: Buffer;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new LenguaError('is a directory, expected a data file', { file: path });
    if (st.size > MAX_FILE_BYTES) {
      throw new LenguaError(`file is ${st.size} bytes, over the limit of ${MAX_FILE_BYTES} bytes`, { file: path });
    }
    bytes = readFileSync(path);
  } catch (err) {
    throw readError(path, err);
  }
  return decodeBytes(bytes, path, encoding);
}

export function decodeBytes(bytes: Uint8Array, file: string, encoding: TextEncoding = 'utf8'): string {
  const d = new TextChunkDecoder(file, encoding);
  const text = d.write(bytes);
  return text + d.end();
}

/**
 * Reads a text file as a stream of decoded pieces (about `chunkBytes` each), for inputs too large to
 * hold: the same decoding and errors as readTextFile, without its size limit.
 */
export async function* readTextChunks(path: string, encoding: TextEncoding = 'utf8', chunkBytes = 1 << 20): AsyncGenerator<string> {
  statForRead(path);
  const d = new TextChunkDecoder(path, encoding);
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: chunkBytes })) {
      const text = d.write(chunk as Buffer);
      if (text !== '') yield text;
    }
  } catch (err) {
    throw readError(path, err);
  }
  const text = d.end();
  if (text !== '') yield text;
}

/** Offset of the first byte that does not start or continue a well-formed UTF-8 sequence. */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  const n = b.length;
  while (i < n) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0; // no overlong forms
      if (c === 0xed) hi = 0x9f; // no surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f; // nothing above U+10FFFF
    } else return i;
    for (let k = 1; k <= need; k++) {
      const d = b[i + k];
      if (d === undefined) return i;
      const min = k === 1 ? lo : 0x80;
      const max = k === 1 ? hi : 0xbf;
      if (d < min || d > max) return i;
    }
    i += need + 1;
  }
  return n;
}

/**
 * Splits decoded text into lines on LF (a CR before the LF is dropped). A final newline ends the
 * last line rather than starting an empty one, so "a\nb\n" and "a\nb" both give two lines.
 */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}
