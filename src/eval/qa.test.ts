// Per-question SQuAD scores (qaExampleScores) averaged by qaMetrics equal the official scripts' overall scores
// (squadV1 / squadV2, themselves tested against Python), edge cases included: several gold answers, a gold answer
// that normalizes to "" (v2 drops it), unanswerable questions, punctuation and articles, Spanish text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { squadV1, squadV2 } from '../metrics/index.js';
import type { QaExample } from '../data/index.js';
import { evaluateQuestionAnswering, qaExampleScores, qaMetrics, qaPredictionRecord } from './qa.js';

const CASES: Array<{ answers: string[]; prediction: string }> = [
  { answers: ['Denver Broncos'], prediction: 'the Denver Broncos' },
  { answers: ['1857', 'in 1857'], prediction: '1857.' },
  { answers: ['Nikola Tesla'], prediction: 'Tesla' },
  { answers: ['el río Rin'], prediction: 'río Rin' },
  { answers: ['¿qué?'], prediction: 'qué' },
  { answers: ['the', 'a cat'], prediction: 'cat' },
  { answers: ['the'], prediction: '' },
  { answers: ['three'], prediction: 'four' },
];

test('qaMetrics of per-question scores equals squadV1 exactly', () => {
  const records = CASES.map((c, i) => ({ id: `q${i}`, question: '?', prediction: c.prediction, answers: c.answers, ...qaExampleScores(c.prediction, c.answers, false) }));
  const s = squadV1(CASES.map((c, i) => ({ id: `q${i}`, answers: c.answers })), Object.fromEntries(CASES.map((c, i) => [`q${i}`, c.prediction])));
  const m = qaMetrics(records, false);
  assert.equal(m.exact_match, s.exactMatch);
  assert.equal(m.f1, s.f1);
  assert.deepEqual(Object.keys(m), ['exact_match', 'f1']);
  assert.ok(s.exactMatch > 0 && s.exactMatch < 100 && s.f1 > s.exactMatch, `${s.exactMatch} ${s.f1}`);
  assert.throws(() => qaExampleScores('x', [], false), /needs a gold answer/);
});

test('v2: unanswerable questions and golds that normalize to "" follow squadV2, with HasAns/NoAns', () => {
  const cases = [...CASES, { answers: [], prediction: '' }, { answers: [], prediction: 'Denver' }];
  const records = cases.map((c, i) => ({ id: `q${i}`, question: '?', prediction: c.prediction, answers: c.answers, ...qaExampleScores(c.prediction, c.answers, true) }));
  const s = squadV2(cases.map((c, i) => ({ id: `q${i}`, answers: c.answers })), Object.fromEntries(cases.map((c, i) => [`q${i}`, c.prediction])));
  const m = qaMetrics(records, true);
  assert.equal(m.exact_match, s.exact);
  assert.equal(m.f1, s.f1);
  assert.equal(m.HasAns_exact, s.hasAnsExact);
  assert.equal(m.HasAns_f1, s.hasAnsF1);
  assert.equal(m.NoAns_exact, s.noAnsExact);
  assert.equal(m.NoAns_total, 2);
  // Gold "the" normalizes to "": v2 keeps "" as the right answer, so the empty prediction is exact (v1: it is not).
  assert.equal(qaExampleScores('', ['the'], true).em, 1);
  assert.equal(qaExampleScores('', ['the'], false).em, 1);
  assert.equal(qaExampleScores('cat', ['the', 'a cat'], true).em, 1);
});

test('evaluateQuestionAnswering: answers from any engine, scored and recorded; unlabelled or missing answers refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lengua-eval-qa-'));
  try {
    const file = join(dir, 'dev.jsonl');
    writeFileSync(file, 'x\n');
    const examples: QaExample[] = [
      { id: 'a', question: 'who?', context: 'mr bo ka', answers: { text: ['bo ka'], answerStart: [3] } },
      { id: 'b', question: 'where?', context: 'in te', answers: { text: ['te'], answerStart: [3] } },
    ];
    const r = await evaluateQuestionAnswering(async (exs) => new Map(exs.map((e) => [e.id, e.id === 'a' ? 'bo' : 'te'])), examples, {
      dataFile: file, version2WithNegative: false, model: { name: 'm', kind: 'k' }, engine: 'test', settings: {},
    });
    assert.equal(r.split, 'validation');
    assert.equal(r.n, 2);
    assert.deepEqual(r.predictions[0], qaPredictionRecord(examples[0]!, 'bo', false));
    assert.equal(r.metrics.exact_match, 50);
    assert.equal(r.metrics.f1, (100 * (2 / 3 + 1)) / 2);
    await assert.rejects(
      evaluateQuestionAnswering(async () => new Map([['a', 'bo']]), examples, { dataFile: file, version2WithNegative: false, model: { name: 'm', kind: 'k' }, engine: 'test', settings: {} }),
      /the engine gave no answer for question "b"/,
    );
    const { answers: _a, ...bare } = examples[1]!;
    await assert.rejects(
      evaluateQuestionAnswering(async () => new Map(), [examples[0]!, bare], { dataFile: file, version2WithNegative: false, model: { name: 'm', kind: 'k' }, engine: 'test', settings: {} }),
      /dev\.jsonl:2, field "answers": question "b" has no "answers"/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
