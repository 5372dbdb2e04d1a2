// utils_qa.postprocess_qa_predictions semantics on hand-built logits with known answers, then end to end:
// XQuAD features with their gold positions as logits must give back the gold answers (EM 100).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AutoTokenizer } from '../text/tokenizer/index.js';
import { LenguaError } from '../errors.js';
import { goldenRoot, REPO_ROOT } from '../testing/golden.js';
import { loadSquadJsonl, type QaExample } from '../data/index.js';
import { squadV1 } from '../metrics/index.js';
import { prepareQaFeatures } from './qa-data.js';
import { postprocessQaPredictions } from './qa-postprocess.js';

//            0123456789012345678901234567
const CONTEXT = 'alpha beta gamma delta omega';
const EX: QaExample = { id: 'e1', question: 'q', context: CONTEXT };
// Word offsets in CONTEXT.
const W: Array<[number, number]> = [[0, 5], [6, 10], [11, 16], [17, 22], [23, 28]];
// Two windows of [CLS] q [SEP] ctx... [SEP]: the first holds alpha beta gamma, the second gamma delta omega.
const FEATURES = {
  exampleIds: ['e1', 'e1'],
  offsets: [
    [null, null, null, W[0]!, W[1]!, W[2]!, null],
    [null, null, null, W[2]!, W[3]!, W[4]!, null],
  ],
};
const flat = (n: number, v = 0): number[] => new Array<number>(n).fill(v);
function logits(peaks: Record<number, number>, n = 7): number[] {
  const out = flat(n);
  for (const [k, v] of Object.entries(peaks)) out[Number(k)] = v;
  return out;
}

test('an answer found only in the second window', () => {
  const r = postprocessQaPredictions([EX], FEATURES, [logits({}), logits({ 4: 5 })], [logits({}), logits({ 5: 4 })]);
  assert.equal(r.predictions.get('e1'), 'delta omega');
  const best = r.nbest.get('e1')![0]!;
  assert.deepEqual(best.offsets, [17, 28]);
  assert.equal(best.score, 9);
  assert.equal(best.startLogit, 5);
  const probs = r.nbest.get('e1')!.map((c) => c.probability);
  assert.ok(Math.abs(probs.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  assert.ok(r.nbest.get('e1')!.every((c, k, a) => k === 0 || a[k - 1]!.score >= c.score));
  assert.equal(r.scoreDiff.size, 0);
});

test('question and special tokens, end before start and over-long spans are skipped', () => {
  // Highest logits on [CLS]/question/[SEP] (null offsets): ignored.
  let r = postprocessQaPredictions([EX], FEATURES, [logits({ 0: 9, 1: 9, 3: 1 }), logits({})], [logits({ 6: 9, 2: 9, 4: 1 }), logits({})]);
  assert.equal(r.predictions.get('e1'), 'alpha beta');
  // The best start is after the best end: the valid pair with the next end wins.
  r = postprocessQaPredictions([EX], FEATURES, [logits({ 5: 9 }), logits({})], [logits({ 3: 9, 5: 2 }), logits({})]);
  assert.equal(r.predictions.get('e1'), 'gamma');
  // maxAnswerLength 2 rules out alpha..gamma (3 tokens).
  r = postprocessQaPredictions([EX], FEATURES, [logits({ 3: 9, 4: 1 }), logits({})], [logits({ 5: 9, 4: 2 }), logits({})], { maxAnswerLength: 2 });
  assert.equal(r.predictions.get('e1'), 'alpha beta');
  // nBest 1: only the top start and top end are paired; when that pair is invalid the answer is "empty".
  r = postprocessQaPredictions([EX], FEATURES, [logits({ 5: 9, 3: 8 }), flat(7, -1)], [logits({ 3: 9, 5: 8 }), flat(7, -1)], { nBest: 1 });
  assert.equal(r.predictions.get('e1'), 'empty');
});

test('SQuAD v2: the smallest null score over windows against the best span, with the threshold', () => {
  const start = [logits({ 0: 3, 4: 2 }), logits({ 0: 1 })];
  const end = [logits({ 0: 3, 5: 2 }), logits({ 0: 1.5 })];
  // Null = min(3+3, 1+1.5) = 2.5; best span beta..gamma = 4 -> diff -1.5 <= 0: answer.
  let r = postprocessQaPredictions([EX], FEATURES, start, end, { versionTwo: true });
  assert.equal(r.predictions.get('e1'), 'beta gamma');
  assert.equal(r.scoreDiff.get('e1'), -1.5);
  assert.ok(r.nbest.get('e1')!.some((c) => c.text === '' && c.score === 2.5));
  // A higher null in both windows: 5 + 5 = 10 vs 4 -> "".
  r = postprocessQaPredictions([EX], FEATURES, [logits({ 0: 5, 4: 2 }), logits({ 0: 5 })], [logits({ 0: 5, 5: 2 }), logits({ 0: 5 })], { versionTwo: true });
  assert.equal(r.predictions.get('e1'), '');
  assert.equal(r.scoreDiff.get('e1'), 6);
  assert.equal(r.nbest.get('e1')![0]!.text, '');
  // ... unless the threshold is above the difference.
  r = postprocessQaPredictions([EX], FEATURES, [logits({ 0: 5, 4: 2 }), logits({ 0: 5 })], [logits({ 0: 5, 5: 2 }), logits({ 0: 5 })], { versionTwo: true, nullScoreDiffThreshold: 6 });
  assert.equal(r.predictions.get('e1'), 'beta gamma');
});

test('mismatched inputs are LenguaErrors naming the field', () => {
  assert.throws(() => postprocessQaPredictions([EX], FEATURES, [logits({})], [logits({})]), (e: unknown) => e instanceof LenguaError && e.field === 'startLogits');
  assert.throws(() => postprocessQaPredictions([EX], { ...FEATURES, exampleIds: ['e1', 'zz'] }, [logits({}), logits({})], [logits({}), logits({})]), (e: unknown) => e instanceof LenguaError && e.field === 'features.exampleIds');
  assert.throws(() => postprocessQaPredictions([EX], FEATURES, [logits({}), logits({})], [logits({}), logits({})], { nBest: 0 }), (e: unknown) => e instanceof LenguaError && e.field === 'nBest');
});

const GOLDEN = goldenRoot();
const XQUAD = join(REPO_ROOT, '..', 'shared', 'data', 'xquad-en-es');
const skip = GOLDEN === null || !existsSync(XQUAD) ? 'no goldens or no xquad data' : false;

test('XQuAD en end to end: gold positions as logits give the gold answers back (EM 100, F1 100)', { skip }, async () => {
  const tok = await AutoTokenizer.fromPretrained(join(GOLDEN!, 'tokenizers', 'vocab', 'bert-base-uncased'));
  const examples = loadSquadJsonl(join(XQUAD, 'validation.en.jsonl'));
  const f = prepareQaFeatures(examples, tok, { maxLength: 128, docStride: 32, padToMaxLength: true });
  // One-hot logits at the labelled positions; CLS-labelled windows put their peak on CLS, which has no offsets.
  const start = f.startPositions.map((p) => logits({ [p]: 10 }, 128));
  const end = f.endPositions.map((p) => logits({ [p]: 10 }, 128));
  const r = postprocessQaPredictions(examples, f, start, end, { maxAnswerLength: 64 });
  const score = squadV1(examples.map((e) => ({ id: e.id, answers: e.answers!.text })), r.predictions);
  assert.equal(score.exactMatch, 100);
  assert.equal(score.f1, 100);
  for (const e of examples) assert.equal(r.predictions.get(e.id), e.answers!.text[0]);
});
