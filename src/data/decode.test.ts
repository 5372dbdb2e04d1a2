import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LenguaError } from '../errors.js';
import { decodeBytes, firstInvalidUtf8, readTextFile, splitLines } from './decode.js';

const dir = mkdtempSync(join(tmpdir(), 'lengua-decode-'));

test('invalid UTF-8 is an error naming the file, the line and the byte', () => {
  const file = join(dir, 'bad.txt');
  // Line 3 holds "ó" in Latin-1 (0xF3), which is not UTF-8.
  writeFileSync(file, Buffer.concat([Buffer.from('uno\ndós\nad'), Buffer.from([0xf3]), Buffer.from('s\n')]));
  assert.throws(
    () => readTextFile(file),
    (err: unknown) =>
      err instanceof LenguaError && err.file === file && err.line === 3 && /invalid UTF-8: byte 0xf3 at byte column 3/.test(err.message),
  );
  assert.equal(readTextFile(file, 'latin1').split('\n')[2], 'adós');
});

test('a UTF-8 BOM is dropped; latin1 maps every byte to the same code point (not windows-1252)', () => {
  const file = join(dir, 'bom.txt');
  writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('text,label\n')]));
  assert.equal(readTextFile(file), 'text,label\n');
  // 0x80 is U+0080 in ISO-8859-1 but "€" in windows-1252.
  assert.equal(decodeBytes(Uint8Array.from([0x80, 0xe9]), 'x', 'latin1'), '\u0080é');
});

test('firstInvalidUtf8 rejects overlong forms, surrogates, truncated sequences and accepts valid text', () => {
  assert.equal(firstInvalidUtf8(Buffer.from('añ😀€')), Buffer.byteLength('añ😀€'));
  assert.equal(firstInvalidUtf8(Uint8Array.from([0x41, 0xc0, 0x80])), 1); // overlong NUL
  assert.equal(firstInvalidUtf8(Uint8Array.from([0xed, 0xa0, 0x80])), 0); // UTF-16 surrogate
  assert.equal(firstInvalidUtf8(Uint8Array.from([0x41, 0x42, 0xe2, 0x82])), 2); // cut short
  assert.equal(firstInvalidUtf8(Uint8Array.from([0xf4, 0x90, 0x80, 0x80])), 0); // above U+10FFFF
});

test('missing file and directory are errors naming the path', () => {
  assert.throws(() => readTextFile(join(dir, 'nope.csv')), (e: unknown) => e instanceof LenguaError && /nope\.csv: file not found/.test(e.message));
  assert.throws(() => readTextFile(dir), /is a directory/);
});

test('splitLines: a final newline ends the last line, CRLF is accepted', () => {
  assert.deepEqual(splitLines('a\nb\n'), ['a', 'b']);
  assert.deepEqual(splitLines('a\nb'), ['a', 'b']);
  assert.deepEqual(splitLines('a\r\n\r\nb\r\n'), ['a', '', 'b']);
  assert.deepEqual(splitLines(''), []);
});
