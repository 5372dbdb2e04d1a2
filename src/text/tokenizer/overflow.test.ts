// encodePairWindows beyond what train/qa-data.test.ts checks: the windows carry the pair encoding's word and
// sequence ids and offsets unchanged, the first text can be capped, and errors name the caller's fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LenguaError } from '../../errors.js';
import { golden, skipWithoutGolden as skip } from '../../testing/golden.js';
import { AutoTokenizer } from './index.js';
import { encodePairWindows } from './overflow.js';

const CONTEXT = 'one two three four five six seven eight nine ten eleven twelve';

test('each window is the pair encoding with the context cut: ids, offsets, word and sequence ids of the kept positions', { skip }, async () => {
  const tok = await AutoTokenizer.fromPretrained(golden('tokenizers', 'vocab', 'bert-base-uncased'));
  const full = tok.encode('which?', { pair: CONTEXT });
  const r = encodePairWindows(tok, 'which?', CONTEXT, { maxLength: 10, stride: 2 });
  assert.equal(r.secondStart, 4);
  assert.equal(r.secondTokens, 12);
  assert.deepEqual(r.ranges, [[0, 5], [3, 8], [6, 11], [9, 12]]);
  r.windows.forEach((w, k) => {
    const [s, e] = r.ranges[k]!;
    const kept = [0, 1, 2, 3, ...Array.from({ length: e - s }, (_, j) => 4 + s + j), full.ids.length - 1];
    assert.deepEqual(w.ids, kept.map((p) => full.ids[p]));
    assert.deepEqual(w.offsets, kept.map((p) => full.offsets[p]));
    assert.deepEqual(w.wordIds, kept.map((p) => full.wordIds![p]));
    assert.deepEqual(w.sequenceIds, kept.map((p) => full.sequenceIds![p]));
    assert.deepEqual(w.tokenTypeIds, kept.map((p) => full.tokenTypeIds[p]));
    assert.ok(w.ids.length <= 10);
  });
});

test('maxFirstTokens keeps the first text\'s first tokens; errors name the fields given', { skip }, async () => {
  const tok = await AutoTokenizer.fromPretrained(golden('tokenizers', 'vocab', 'bert-base-uncased'));
  const r = encodePairWindows(tok, 'a much longer question than the limit', CONTEXT, { maxLength: 12, stride: 1, maxFirstTokens: 3 });
  assert.deepEqual(tok.convertIdsToTokens(r.windows[0]!.ids), ['[CLS]', 'a', 'much', 'longer', '[SEP]', 'one', 'two', 'three', 'four', 'five', 'six', '[SEP]']);
  assert.equal(r.secondStart, 5);
  const fields = { first: 'question', maxLength: 'maxSeqLen', stride: 'docStride' };
  assert.throws(() => encodePairWindows(tok, 'a much longer question', CONTEXT, { maxLength: 6, stride: 1, fields }), (e: unknown) => e instanceof LenguaError && e.field === 'question' && /maxSeqLen 6/.test(e.message));
  assert.throws(() => encodePairWindows(tok, 'q', CONTEXT, { maxLength: 7, stride: 4, fields }), (e: unknown) => e instanceof LenguaError && e.field === 'docStride');
  assert.throws(() => encodePairWindows(tok, 'q', '', { maxLength: 7, stride: 1 }), (e: unknown) => e instanceof LenguaError && e.field === 'pair');
});
