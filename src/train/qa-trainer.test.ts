// QuestionAnsweringTrainer on the tiny golden QA BERT: it learns a context-only synthetic QA task (exact match
// from near 0 to high), its reported EM/F1 are the SQuAD scripts' scores of the answers it returns, windows
// shorter than the context still find the answer, and SQuAD v2 scoring applies with version2WithNegative.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoModelForQuestionAnswering } from '../models/index.js';
import { AutoTokenizer } from '../text/tokenizer/index.js';
import { squadV1, squadV2 } from '../metrics/index.js';
import { trainingArguments } from './arguments.js';
import { QuestionAnsweringTrainer, encodeQuestionAnswering, questionAnsweringLogits } from './qa-trainer.js';
import { GOLDEN_QA, TINY_QA_MODEL, qaTask } from './testing/qa.js';

const skip = GOLDEN_QA === null ? 'no goldens' : false;
const root = mkdtempSync(join(tmpdir(), 'lengua-qa-trainer-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('QuestionAnsweringTrainer learns the task; EM/F1 are squadV1 of its predictions; best model by f1', { skip }, async () => {
  const tokenizer = await AutoTokenizer.fromPretrained(TINY_QA_MODEL);
  const model = await AutoModelForQuestionAnswering.fromPretrained(TINY_QA_MODEL);
  const train = encodeQuestionAnswering(qaTask(240, 1), tokenizer, { maxLength: 64, docStride: 16 });
  const evalDs = encodeQuestionAnswering(qaTask(60, 2), tokenizer, { maxLength: 64, docStride: 16 });
  assert.equal(evalDs.inputIds.length, 60, 'one window per example at 64 tokens');
  const out = join(root, 'v1');
  const args = trainingArguments({
    outputDir: out, maxSteps: 150, learningRate: 1e-2, perDeviceTrainBatchSize: 32, perDeviceEvalBatchSize: 32, evalStrategy: 'steps', evalSteps: 50,
    saveStrategy: 'steps', saveSteps: 50, loadBestModelAtEnd: true, metricForBestModel: 'f1', seed: 1, quiet: true, loggingSteps: 50,
    hiddenDropoutProb: 0, attentionProbsDropoutProb: 0,
  });
  const trainer = new QuestionAnsweringTrainer({ model, args, trainDataset: train, evalDataset: evalDs, tokenizer, maxAnswerLength: 10 });
  const before = await trainer.evaluate();
  assert.ok(before.eval_exact_match! < 20, `untrained EM ${before.eval_exact_match}`);
  await trainer.train();
  const after = await trainer.evaluate();
  assert.ok(after.eval_exact_match! > 85, `trained EM ${after.eval_exact_match}`);
  assert.ok(after.eval_f1! >= after.eval_exact_match!);
  assert.ok(after.eval_loss! < before.eval_loss!, `loss ${before.eval_loss} -> ${after.eval_loss}`);

  // The best checkpoint by eval_f1 was reloaded: the final evaluation reproduces the best logged f1.
  const logged = readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>).filter((e) => e.eval_f1 !== undefined && e.step! > 0);
  assert.equal(logged.length >= 3, true);
  assert.equal(trainer.state.bestMetric, Math.max(...logged.slice(0, 3).map((e) => e.eval_f1!)));
  assert.equal(after.eval_f1, trainer.state.bestMetric);

  // predict: one {id, prediction_text, answers} per example, scored exactly as squadV1 scores them.
  const p = await trainer.predict(evalDs, { metricKeyPrefix: 'eval' });
  assert.deepEqual(p.predictions.map((x) => x.id), evalDs.examples.map((e) => e.id));
  assert.deepEqual(p.predictions.map((x) => x.answers?.text), evalDs.examples.map((e) => e.answers!.text));
  const s = squadV1(p.predictions.map((x) => ({ id: x.id, answers: x.answers!.text })), Object.fromEntries(p.predictions.map((x) => [x.id, x.prediction_text])));
  assert.equal(p.metrics.eval_exact_match, s.exactMatch);
  assert.equal(p.metrics.eval_f1, s.f1);
  assert.equal(p.metrics.eval_exact_match, after.eval_exact_match);
  // Every prediction is a span of its own context.
  p.predictions.forEach((x, i) => assert.ok(evalDs.examples[i]!.context.includes(x.prediction_text), x.prediction_text));

  // Short windows: a context cut into overlapping windows still yields the answers (post-processing over windows).
  const short = encodeQuestionAnswering(evalDs.examples, tokenizer, { maxLength: 20, docStride: 4 });
  assert.ok(short.inputIds.length > 2 * evalDs.examples.length, `${short.inputIds.length} windows`);
  const ps = await trainer.predict(short);
  assert.ok(ps.metrics.test_exact_match! > 60, `windowed EM ${ps.metrics.test_exact_match}`);
  assert.equal(ps.metrics.test_exact_match, squadV1(ps.predictions.map((x) => ({ id: x.id, answers: x.answers!.text })), Object.fromEntries(ps.predictions.map((x) => [x.id, x.prediction_text]))).exactMatch);

  // Unlabelled examples are answered without metrics.
  const unlabelled = encodeQuestionAnswering(evalDs.examples.slice(0, 3).map(({ answers: _a, ...e }) => e), tokenizer, { maxLength: 64, docStride: 16 });
  const pu = await trainer.predict(unlabelled);
  assert.deepEqual(pu.metrics, {});
  assert.equal(pu.predictions.length, 3);
  assert.equal(pu.predictions[0]!.answers, undefined);
});

test('version2WithNegative: the null answer competes and v2.0 scores (HasAns/NoAns) are reported', { skip }, async () => {
  const tokenizer = await AutoTokenizer.fromPretrained(TINY_QA_MODEL);
  const model = await AutoModelForQuestionAnswering.fromPretrained(TINY_QA_MODEL);
  const train = encodeQuestionAnswering(qaTask(240, 3, { unanswerable: 0.5 }), tokenizer, { maxLength: 64, docStride: 16 });
  const evalDs = encodeQuestionAnswering(qaTask(60, 4, { unanswerable: 0.5 }), tokenizer, { maxLength: 64, docStride: 16 });
  const noAns = evalDs.examples.filter((e) => e.answers!.text.length === 0).length;
  assert.ok(noAns > 5 && noAns < 40, `${noAns} unanswerable`);
  const args = trainingArguments({
    outputDir: join(root, 'v2'), maxSteps: 150, learningRate: 1e-2, perDeviceTrainBatchSize: 32, saveStrategy: 'no', seed: 2, quiet: true, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0,
  });
  const trainer = new QuestionAnsweringTrainer({ model, args, trainDataset: train, evalDataset: evalDs, tokenizer, version2WithNegative: true, maxAnswerLength: 10 });
  await trainer.train();
  const p = await trainer.predict(evalDs, { metricKeyPrefix: 'eval' });
  const s = squadV2(p.predictions.map((x) => ({ id: x.id, answers: x.answers!.text })), Object.fromEntries(p.predictions.map((x) => [x.id, x.prediction_text])));
  assert.equal(p.metrics.eval_exact_match, s.exact);
  assert.equal(p.metrics.eval_f1, s.f1);
  assert.equal(p.metrics.eval_NoAns_total, noAns);
  assert.equal(p.metrics.eval_HasAns_total, 60 - noAns);
  assert.ok(p.predictions.some((x) => x.prediction_text === ''), 'some null answers');
  assert.ok(s.exact > 55, `v2 EM ${s.exact}`);

  // A very high threshold never answers "": every no-answer question is wrong, as v2.0 scores it.
  const never = new QuestionAnsweringTrainer({ model, args, trainDataset: train, tokenizer, version2WithNegative: true, nullScoreDiffThreshold: 1e9 });
  const pn = await never.predict(evalDs, { metricKeyPrefix: 'eval' });
  assert.ok(pn.predictions.every((x) => x.prediction_text !== ''));
  assert.equal(pn.metrics.eval_NoAns_exact, 0);

  // v1 refuses unanswerable questions rather than scoring them as misses.
  assert.throws(() => new QuestionAnsweringTrainer({ model, args, trainDataset: train, tokenizer }), /has no answer: an unanswerable question needs version2WithNegative/);
});

test('questionAnsweringLogits gives the same logits in any batch size (padding is masked by attention)', { skip }, async () => {
  const tokenizer = await AutoTokenizer.fromPretrained(TINY_QA_MODEL);
  const model = await AutoModelForQuestionAnswering.fromPretrained(TINY_QA_MODEL);
  const ds = encodeQuestionAnswering(qaTask(12, 5), tokenizer, { maxLength: 64, docStride: 16 });
  const one = questionAnsweringLogits(model, ds.features, 1, true);
  const all = questionAnsweringLogits(model, ds.features, 12, true);
  // float32 sums over at most 32 hidden units of O(1) values: agreement far inside 1e-4 whatever the kernel order.
  one.startLogits.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - all.startLogits[i]![j]!) < 1e-4)));
  one.endLogits.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - all.endLogits[i]![j]!) < 1e-4)));
  // (The loss is not compared: transformers' span loss takes softmax over padded positions too, so it depends on the batch's width.)
  assert.ok(Number.isFinite(one.loss) && Number.isFinite(all.loss));
  assert.equal(one.startLogits[0]!.length, ds.inputIds[0]!.length);
});
