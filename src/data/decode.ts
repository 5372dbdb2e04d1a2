import { readFileSync, statSync } from 'node:fs';
import { LenguaError } from '../errors.js';

export type TextEncoding = 'utf8' | 'latin1';

/** Files larger than this are refused: everything here is read into memory at once. */
export const MAX_FILE_BYTES = 1024 * 1024 * 1024;

/**
 * Reads a whole text file. UTF-8 is decoded strictly: a byte sequence that is not UTF-8 is an error
 * naming the line (and byte column) of the first bad byte, instead of a silent U+FFFD. A leading BOM
 * is dropped. `latin1` is true ISO-8859-1 (every byte is the code point of the same value), not the
 * WHATWG "latin1" label, which means windows-1252.
 */
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
    if (err instanceof LenguaError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new LenguaError('file not found', { file: path }, { cause: err });
    throw new LenguaError(`cannot read file (${code ?? String(err)})`, { file: path }, { cause: err });
  }
  return decodeBytes(bytes, path, encoding);
}

export function decodeBytes(bytes: Uint8Array, file: string, encoding: TextEncoding = 'utf8'): string {
  if (encoding === 'latin1') return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  try {
    // ignoreBOM: false (the default) strips one leading U+FEFF.
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    const at = firstInvalidUtf8(bytes);
    const line = lineOfByte(bytes, at);
    const col = at - lineStart(bytes, at) + 1;
    const hex = bytes[at]?.toString(16).padStart(2, '0') ?? '??';
    throw new LenguaError(
      `invalid UTF-8: byte 0x${hex} at byte column ${col} (offset ${at}); if the file is ISO-8859-1, read it with encoding latin1`,
      { file, line },
      { cause: err },
    );
  }
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

function lineOfByte(b: Uint8Array, at: number): number {
  let line = 1;
  for (let i = 0; i < at && i < b.length; i++) if (b[i] === 0x0a) line++;
  return line;
}

function lineStart(b: Uint8Array, at: number): number {
  let i = Math.min(at, b.length);
  while (i > 0 && b[i - 1] !== 0x0a) i--;
  return i;
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
