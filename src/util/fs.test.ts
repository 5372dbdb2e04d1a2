import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from './fs.js';

test('writeFileAtomic writes content and leaves no temporary file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lengua-fs-'));
  const target = join(dir, 'sub', 'a.json');
  writeFileAtomic(target, '{"a":1}');
  writeFileAtomic(target, '{"a":2}');
  assert.equal(readFileSync(target, 'utf8'), '{"a":2}');
  assert.deepEqual(readdirSync(join(dir, 'sub')), ['a.json']);
});

test('writeFileAtomic cleans up its temporary file when the rename fails', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lengua-fs-'));
  const target = join(dir, 'taken');
  mkdirSync(target); // a directory where the file should go makes rename fail
  writeFileSync(join(target, 'keep.txt'), 'old');
  assert.throws(() => writeFileAtomic(target, 'new'));
  assert.deepEqual(readdirSync(dir), ['taken']);
  assert.equal(readFileSync(join(target, 'keep.txt'), 'utf8'), 'old');
});
