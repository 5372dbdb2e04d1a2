// `lengua evaluate` on an extractive QA folder (child processes): a model trained here answers as the trainer's own
// evaluation does (same windows, logits, post-processing), predictions.jsonl rescores (squadV1/squadV2) to metrics.json,
// a test split is evaluated once, and QA flags are refused for other models.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliAsync } from './testing.js';
import { squadV1, squadV2 } from '../metrics/index.js';
import { AutoModelForQuestionAnswering } from '../models/index.js';
import { AutoTokenizer } from '../text/tokenizer/index.js';
import { trainingArguments } from '../train/arguments.js';
import { QuestionAnsweringTrainer, encodeQuestionAnswering } from '../train/qa-trainer.js';
import { GOLDEN_QA, TINY_QA_MODEL, qaTask, toSquadJsonl } from '../train/testing/qa.js';
import { TINY_MODEL } from '../train/testing/task.js';

const skip = GOLDEN_QA === null ? 'no goldens' : false;
const root = mkdtempSync(join(tmpdir(), 'lengua-cli-eval-qa-'));
after(() => rmSync(root, { recursive: true, force: true }));

const lengua = (argv: string[]): Promise<{ code: number; out: string; err: string }> => runCliAsync(argv, { LENGUA_NUM_THREADS: '1' });

type Line = { split: string; id: string; question: string; prediction: string; answers: string[]; em: number; f1: number };
const readLines = (file: string): Line[] => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);

const model = join(root, 'qa-model');
const dev = qaTask(40, 12);
const devFile = join(root, 'validation.jsonl');
let trainerMetrics: Record<string, number> = {};
before(async () => {
  if (skip !== false) return;
  writeFileSync(devFile, toSquadJsonl(dev));
  const tokenizer = await AutoTokenizer.fromPretrained(TINY_QA_MODEL);
  const m = await AutoModelForQuestionAnswering.fromPretrained(TINY_QA_MODEL);
  const feats = { maxLength: 32, docStride: 8 };
  const args = trainingArguments({ outputDir: model, maxSteps: 60, learningRate: 1e-2, perDeviceTrainBatchSize: 32, perDeviceEvalBatchSize: 16, saveStrategy: 'no', seed: 3, quiet: true, hiddenDropoutProb: 0 });
  const trainer = new QuestionAnsweringTrainer({ model: m, args, trainDataset: encodeQuestionAnswering(qaTask(200, 11), tokenizer, feats), tokenizer, maxAnswerLength: 8 });
  await trainer.train();
  await trainer.saveModel(model);
  // The trainer's own scores on windows of 32 tokens with stride 8 (several windows per context).
  trainerMetrics = (await trainer.predict(encodeQuestionAnswering(dev, tokenizer, feats), { metricKeyPrefix: 'eval' })).metrics;
});

test('evaluate scores a QA folder as the trainer does; predictions.jsonl rescores to metrics.json', { skip }, async () => {
  const out = join(root, 'eval-val');
  const r = await lengua(['evaluate', '--model', model, '--data', devFile, '--out', out, '--max-seq-length', '32', '--doc-stride', '8', '--max-answer-length', '8', '--batch-size', '16', '--json']);
  assert.equal(r.code, 0, r.err);
  const summary = JSON.parse(r.out) as { metrics: Record<string, number>; split: string; n: number; settings: Record<string, unknown>; task: string };
  assert.equal(summary.task, 'question-answering');
  assert.equal(summary.split, 'validation');
  assert.equal(summary.n, 40);
  assert.equal(summary.settings.maxSeqLength, 32);
  // The same code path as the trainer's evaluation: identical scores.
  assert.equal(summary.metrics.exact_match, trainerMetrics.eval_exact_match);
  assert.equal(summary.metrics.f1, trainerMetrics.eval_f1);
  const lines = readLines(join(out, 'predictions.jsonl'));
  assert.deepEqual(lines.map((l) => l.id), dev.map((e) => e.id));
  const s = squadV1(lines.map((l) => ({ id: l.id, answers: l.answers })), Object.fromEntries(lines.map((l) => [l.id, l.prediction])));
  assert.equal(summary.metrics.exact_match, s.exactMatch);
  assert.equal(summary.metrics.f1, s.f1);
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')).metrics, summary.metrics);

  // SQuAD v2 scoring of a file with unanswerable questions (the metrics follow squadV2 of the lines).
  const v2File = join(root, 'v2-dev.jsonl');
  writeFileSync(v2File, toSquadJsonl(qaTask(30, 13, { unanswerable: 1 })));
  const v = await lengua(['evaluate', '--model', model, '--data', v2File, '--out', join(root, 'eval-v2'), '--max-seq-length', '32', '--doc-stride', '8', '--version-2-with-negative', '--json']);
  assert.equal(v.code, 0, v.err);
  const vm = (JSON.parse(v.out) as { metrics: Record<string, number> }).metrics;
  const vl = readLines(join(root, 'eval-v2', 'predictions.jsonl'));
  const s2 = squadV2(vl.map((l) => ({ id: l.id, answers: l.answers })), Object.fromEntries(vl.map((l) => [l.id, l.prediction])));
  assert.equal(vm.exact_match, s2.exact);
  assert.equal(vm.f1, s2.f1);
  assert.equal(vm.NoAns_total, s2.noAnsTotal);
  assert.equal(vm.HasAns_total, s2.hasAnsTotal);
  // Without the flag, unanswerable questions are refused by line.
  const no = await lengua(['evaluate', '--model', model, '--data', v2File, '--out', join(root, 'eval-v1-bad'), '--max-seq-length', '32', '--doc-stride', '8']);
  assert.notEqual(no.code, 0);
  assert.match(no.err, /v2-dev\.jsonl:\d+, field "answers": question "q\d+" has no answer: scoring unanswerable questions needs --version-2-with-negative/);
});

test('the ONNX export answers as libtorch does when every context fits one window', { skip }, async () => {
  const exp = join(root, 'qa-onnx');
  const e = await lengua(['export', '--model', model, '--out', exp]);
  assert.equal(e.code, 0, e.err);
  const flags = ['--data', devFile, '--max-seq-length', '64', '--doc-stride', '16', '--max-answer-length', '8', '--json'];
  const onnx = await lengua(['evaluate', '--model', exp, '--out', join(root, 'eval-onnx'), ...flags]);
  assert.equal(onnx.code, 0, onnx.err);
  const torch = await lengua(['evaluate', '--model', model, '--out', join(root, 'eval-torch'), ...flags]);
  assert.equal(torch.code, 0, torch.err);
  const o = JSON.parse(onnx.out) as { engine: string; metrics: Record<string, number> };
  const t = JSON.parse(torch.out) as { engine: string; metrics: Record<string, number> };
  assert.match(o.engine, /^onnx/);
  assert.match(t.engine, /^torch/);
  // One window per context (64 tokens): both take the span with the highest start + end logit; the logits agree to
  // ~1e-6, far below the gaps between the best spans of a trained model, so the answers are the same.
  const ol = readLines(join(root, 'eval-onnx', 'predictions.jsonl'));
  const tl = readLines(join(root, 'eval-torch', 'predictions.jsonl'));
  assert.deepEqual(ol.map((l) => l.prediction), tl.map((l) => l.prediction));
  assert.deepEqual(o.metrics, t.metrics);
  const s = squadV1(ol.map((l) => ({ id: l.id, answers: l.answers })), Object.fromEntries(ol.map((l) => [l.id, l.prediction])));
  assert.equal(o.metrics.f1, s.f1);
});

test('a QA test split is evaluated once; QA flags are refused for other models', { skip }, async () => {
  const copy = join(root, 'golden-copy');
  cpSync(TINY_QA_MODEL, copy, { recursive: true });
  const testFile = join(root, 'test.jsonl');
  writeFileSync(testFile, toSquadJsonl(qaTask(10, 14)));
  const args = ['evaluate', '--model', copy, '--data', testFile, '--max-seq-length', '64', '--doc-stride', '16'];
  const first = await lengua(args);
  assert.equal(first.code, 0, first.err);
  assert.match(first.out, /exact_match\s+\[test\]/);
  const second = await lengua(args);
  assert.notEqual(second.code, 0);
  assert.match(second.err, /this model's test split was already evaluated/);
  const ml = await lengua(['evaluate', '--model', copy, '--data', devFile, '--max-length', '64']);
  assert.match(ml.err, /--max-length: a question-answering model takes --max-seq-length/);
  const other = await lengua(['evaluate', '--model', TINY_MODEL, '--data', devFile, '--doc-stride', '16']);
  assert.notEqual(other.code, 0);
  assert.match(other.err, /--doc-stride apply to question-answering models/);
});
