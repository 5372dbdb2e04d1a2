// searchSpans against a brute force over every (start, end) pair, in both modes, and the order of equal scores.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LenguaError } from '../../errors.js';
import { searchSpans, topIndices } from './qa-spans.js';

/** A deterministic stream of logits in [-4, 4) (no Math.random: the same cases on every run). */
function stream(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return ((s >>> 8) / 2 ** 24) * 8 - 4;
  };
}

test('exhaustive search = the brute force over all pairs: the topK best valid spans, scores start + end', () => {
  const next = stream(11);
  for (let round = 0; round < 30; round++) {
    const n = 5 + (round % 17);
    const start = Array.from({ length: n }, next);
    const end = Array.from({ length: n }, next);
    const allowed = (k: number): boolean => k >= 3 && k < n - 1;
    const maxAnswerLength = 1 + (round % 5);
    const all: Array<{ s: number; e: number; score: number }> = [];
    for (let s = 0; s < n; s++) for (let e = 0; e < n; e++) if (allowed(s) && allowed(e) && s <= e && e - s < maxAnswerLength) all.push({ s, e, score: start[s]! + end[e]! });
    all.sort((a, b) => b.score - a.score);
    const k = 1 + (round % 4);
    const got = searchSpans(start, end, { topK: k, maxAnswerLength, allowed });
    assert.deepEqual(got.map((x) => [x.start, x.end, x.score]), all.slice(0, k).map((x) => [x.s, x.e, x.score]), `round ${round}`);
  }
});

test('candidates (utils_qa n_best): only pairs of the top starts and top ends, so an invalid best pair leaves nothing', () => {
  const start = [0, 0, 9, 1, 0];
  const end = [0, 8, 0, 0, 2];
  const all = (k: number): boolean => k > 0;
  // Best start 2 is after best end 1: with one candidate per side nothing is valid; exhaustively (2, 4) wins.
  assert.deepEqual(searchSpans(start, end, { topK: 3, maxAnswerLength: 5, allowed: all, candidates: 1 }), []);
  assert.deepEqual(searchSpans(start, end, { topK: 1, maxAnswerLength: 5, allowed: all }).map((x) => [x.start, x.end]), [[2, 4]]);
  assert.deepEqual(searchSpans(start, end, { topK: 1, maxAnswerLength: 5, allowed: all, candidates: 2 }).map((x) => [x.start, x.end]), [[2, 4]]);
  // Ties rank the higher position first, as numpy's argsort()[::-1].
  assert.deepEqual(topIndices([1, 3, 3, 0], 3), [2, 1, 0]);
});

test('equal scores keep the order met: by start then end exhaustively', () => {
  const got = searchSpans([1, 1, 1], [1, 1, 1], { topK: 4, maxAnswerLength: 3, allowed: () => true });
  assert.deepEqual(got.map((x) => [x.start, x.end]), [[0, 0], [0, 1], [0, 2], [1, 1]]);
  assert.throws(() => searchSpans([1], [1], { topK: 0, maxAnswerLength: 3, allowed: () => true }), (e: unknown) => e instanceof LenguaError && e.field === 'topK');
  assert.throws(() => searchSpans([1], [1], { topK: 1, maxAnswerLength: 0, allowed: () => true }), (e: unknown) => e instanceof LenguaError && e.field === 'maxAnswerLength');
});
