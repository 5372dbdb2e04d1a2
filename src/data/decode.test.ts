import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LenguaError } from '../errors.js';
import { TextChunkDecoder, decodeBytes, firstInvalidUtf8, readTextChunks, readTextFile, splitLines } from './decode.js';

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

/** `text` as UTF-16 bytes with a byte-order mark, as Windows Notepad and Excel ("Unicode text") save it. */
function utf16(text: string, endian: 'le' | 'be'): Buffer {
  const le = Buffer.from(`\ufeff${text}`, 'utf16le');
  if (endian === 'le') return le;
  const be = Buffer.from(le);
  be.swap16();
  return be;
}

test('UTF-16LE and UTF-16BE files with a BOM are decoded, not reported as invalid UTF-8', () => {
  const text = 'text,label\nCañón 😀 “quoted”,pos\n';
  for (const endian of ['le', 'be'] as const) {
    const file = join(dir, `utf16${endian}.csv`);
    writeFileSync(file, utf16(text, endian));
    assert.equal(readTextFile(file), text);
    // The BOM decides: asking for latin1 does not turn UTF-16 into garbage.
    assert.equal(readTextFile(file, 'latin1'), text);
  }
  const file = join(dir, 'utf16-bad.txt');
  // Line 2 holds a high surrogate (U+D83D) followed by "x" instead of its low half.
  writeFileSync(file, Buffer.concat([utf16('ok\n', 'le'), Buffer.from([0x3d, 0xd8, 0x78, 0x00])]));
  assert.throws(
    () => readTextFile(file),
    (err: unknown) => err instanceof LenguaError && err.line === 2 && /invalid UTF-16LE: unpaired surrogate 0xd83d/.test(err.message) && !/latin1/.test(err.message),
  );
  const odd = join(dir, 'utf16-odd.txt');
  writeFileSync(odd, Buffer.concat([utf16('ab', 'be'), Buffer.from([0x00])]));
  assert.throws(() => readTextFile(odd), /invalid UTF-16BE: the file ends in the middle of a character/);
});

test('UTF-32 files are refused with the advice to convert to UTF-8; BOM-less UTF-16 is named, never "latin1"', () => {
  const le = join(dir, 'utf32le.txt');
  writeFileSync(le, Buffer.from([0xff, 0xfe, 0x00, 0x00, 0x61, 0x00, 0x00, 0x00]));
  assert.throws(
    () => readTextFile(le),
    (err: unknown) => err instanceof LenguaError && err.file === le && /UTF-32LE .*convert it to UTF-8/.test(err.message),
  );
  const be = join(dir, 'utf32be.txt');
  writeFileSync(be, Buffer.from([0x00, 0x00, 0xfe, 0xff, 0x00, 0x00, 0x00, 0x61]));
  assert.throws(() => readTextFile(be, 'latin1'), /UTF-32BE .*convert it to UTF-8/);
  const bomless = join(dir, 'bomless.csv');
  writeFileSync(bomless, Buffer.from('text,label\nCañón,pos\n', 'utf16le'));
  assert.throws(
    () => readTextFile(bomless),
    (err: unknown) => err instanceof LenguaError && /looks like UTF-16LE without a byte-order mark/.test(err.message) && !/latin1/.test(err.message),
  );
});

test('chunked decoding equals whole-file decoding at every cut, including inside characters and the BOM', () => {
  const text = 'añ😀€\r\nx\u0301y\n';
  for (const bytes of [Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), Buffer.from(text), utf16(text, 'le'), utf16(text, 'be')]) {
    const whole = decodeBytes(bytes, 'f');
    assert.equal(whole, text);
    for (let step = 1; step <= 5; step++) {
      const d = new TextChunkDecoder('f');
      let out = '';
      for (let i = 0; i < bytes.length; i += step) out += d.write(bytes.subarray(i, i + step));
      out += d.end();
      assert.equal(out, whole, `step ${step}`);
    }
  }
  // The error names the same line and byte column however the bytes arrive.
  const bad = Buffer.concat([Buffer.from('uno\ndós\nad'), Buffer.from([0xf3]), Buffer.from('s\n')]);
  for (let step = 1; step <= 4; step++) {
    const d = new TextChunkDecoder('f');
    assert.throws(
      () => {
        for (let i = 0; i < bad.length; i += step) d.write(bad.subarray(i, i + step));
        d.end();
      },
      (err: unknown) => err instanceof LenguaError && err.line === 3 && /byte 0xf3 at byte column 3 \(offset 11\)/.test(err.message),
    );
  }
});

test('readTextChunks streams a file in pieces that join to readTextFile', async () => {
  const file = join(dir, 'chunks.txt');
  const text = Array.from({ length: 500 }, (_, i) => `línea ${i} 😀`).join('\n');
  writeFileSync(file, utf16(text, 'le'));
  let joined = '';
  let pieces = 0;
  for await (const piece of readTextChunks(file, 'utf8', 64)) {
    joined += piece;
    pieces++;
  }
  assert.equal(joined, readTextFile(file));
  assert.ok(pieces > 100, `${pieces} pieces`);
  await assert.rejects(async () => {
    for await (const _ of readTextChunks(join(dir, 'nope.txt'))) void _;
  }, /nope\.txt: file not found/);
});

test('the encoding is decided on the first 512 bytes however they arrive (BOM-less UTF-16 with an emoji included)', () => {
  // "text,label" in UTF-16LE without a BOM, then a line holding an emoji (whose low surrogate has a 0 byte
  // at an even offset). Cut into 1-byte pieces, the first 4 bytes alone used to decide differently.
  const bytes = Buffer.from('text,label\n"😀 hola",pos\n', 'utf16le');
  for (const step of [1, 3, 4, 64, bytes.length]) {
    const d = new TextChunkDecoder('f');
    assert.throws(
      () => {
        for (let i = 0; i < bytes.length; i += step) d.write(bytes.subarray(i, i + step));
        d.end();
      },
      /looks like UTF-16LE without a byte-order mark/,
      `step ${step}`,
    );
  }
});
