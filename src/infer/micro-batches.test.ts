// How an encoder pipeline cuts its inputs into forward passes: longest first, every input exactly once,
// at most batchSize rows, and never more padding than MAX_PADDING of a pass (unless a pass has one row).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_PADDING, microBatches } from './base.js';

function padding(lengths: number[], rows: number[]): number {
  const seq = Math.max(...rows.map((i) => lengths[i]!));
  return rows.reduce((s, i) => s + seq - lengths[i]!, 0) / (rows.length * seq);
}

test('equal lengths fill whole micro-batches of batchSize, in input order', () => {
  assert.deepEqual(microBatches([5, 5, 5, 5, 5], 2), [[0, 1], [2, 3], [4]]);
});

test('a long input does not pad short ones: it runs alone', () => {
  assert.deepEqual(microBatches([3, 40, 3, 3], 32), [[1], [0, 2, 3]]);
});

test('every input once, longest first, padding within the bound (random tweet-like lengths)', () => {
  let seed = 7;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let round = 0; round < 50; round++) {
    const lengths = Array.from({ length: 1 + Math.floor(rand() * 80) }, () => 3 + Math.floor(rand() * 60));
    const batches = microBatches(lengths, 16);
    assert.deepEqual(batches.flat().sort((a, b) => a - b), lengths.map((_, i) => i));
    const flat = batches.flat();
    for (let k = 1; k < flat.length; k++) assert.ok(lengths[flat[k - 1]!]! >= lengths[flat[k]!]!);
    for (const rows of batches) {
      assert.ok(rows.length <= 16);
      assert.ok(padding(lengths, rows) <= MAX_PADDING + 1e-12, `padding ${padding(lengths, rows)} in ${JSON.stringify(rows.map((i) => lengths[i]))}`);
    }
  }
});

test('maxPadding 1 gives the plain cut by batchSize (the pipeline as it was)', () => {
  assert.deepEqual(microBatches([10, 2, 7, 1, 30], 2, 1), [[4, 0], [2, 1], [3]]);
});
