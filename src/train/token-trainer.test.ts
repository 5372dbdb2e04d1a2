// The TokenClassificationTrainer on the tiny golden BERT: it learns a context-only NER task (entity F1 far
// above its start), its metrics are entityMetrics of the word tags predict() gives, its loss skips the -100
// positions, and mismatched labels are refused.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../torch/index.js';
import { LenguaError } from '../errors.js';
import { AutoModelForTokenClassification } from '../models/index.js';
import { AutoTokenizer } from '../text/tokenizer/index.js';
import { entityMetrics } from '../metrics/index.js';
import { trainingArguments, type TrainingArguments } from './arguments.js';
import { collateTokenClassification, encodeTokenClassification, LABEL_PAD } from './index.js';
import { TokenClassificationTrainer } from './token-trainer.js';
import { NER_LABELS, nerTask } from './testing/ner.js';
import { GOLDEN, TINY_MODEL } from './testing/task.js';

torch.setNumThreads(1);
const skip = GOLDEN === null ? 'no goldens' : false;
const root = mkdtempSync(join(tmpdir(), 'lengua-token-trainer-'));
after(() => rmSync(root, { recursive: true, force: true }));

const id2label = Object.fromEntries(NER_LABELS.map((l, i) => [i, l]));
const label2id = Object.fromEntries(NER_LABELS.map((l, i) => [l, i]));

function args(over: Partial<TrainingArguments> = {}): TrainingArguments {
  return trainingArguments({ outputDir: join(root, `run-${Math.random().toString(36).slice(2)}`), saveStrategy: 'no', quiet: true, seed: 1, ...over });
}

async function setup(): Promise<{ trainer: TokenClassificationTrainer; train: ReturnType<typeof encodeTokenClassification>; dev: ReturnType<typeof encodeTokenClassification> }> {
  const tokenizer = await AutoTokenizer.fromPretrained(TINY_MODEL);
  const model = await AutoModelForTokenClassification.fromPretrained(TINY_MODEL, { id2label, label2id, seed: 1 });
  const train = encodeTokenClassification(nerTask(200, 1), tokenizer, NER_LABELS, { maxLength: 64 });
  const dev = encodeTokenClassification(nerTask(60, 2), tokenizer, NER_LABELS, { maxLength: 64 });
  const a = args({ maxSteps: 300, learningRate: 5e-3, perDeviceTrainBatchSize: 16 });
  return { trainer: new TokenClassificationTrainer({ model, args: a, trainDataset: train, evalDataset: dev, tokenizer }), train, dev };
}

test('learns entities from context: eval_f1 rises far above its start and is entityMetrics of the predicted word tags', { skip }, async () => {
  const { trainer, dev } = await setup();
  const before = await trainer.evaluate();
  await trainer.train();
  const after = await trainer.evaluate();
  for (const k of ['eval_loss', 'eval_precision', 'eval_recall', 'eval_f1', 'eval_accuracy']) assert.ok(Number.isFinite(after[k]), k);
  // The random head tags tokens at random: few of 60 entities are right. The trained one finds nearly all.
  assert.ok(before.eval_f1! < 0.3, `f1 before ${before.eval_f1}`);
  assert.ok(after.eval_f1! > 0.85, `f1 after ${after.eval_f1}`);
  assert.ok(after.eval_loss! < before.eval_loss! / 5, `loss ${before.eval_loss} → ${after.eval_loss}`);

  const p = await trainer.predict(dev, { metricKeyPrefix: 'eval' });
  assert.equal(p.predictions.length, dev.words.length);
  p.predictions.forEach((tags, i) => assert.equal(tags.length, dev.words[i]!.length));
  const m = entityMetrics(dev.tags, p.predictions, { scheme: 'IOB2' });
  assert.equal(after.eval_f1, m.micro.f1);
  assert.equal(after.eval_precision, m.micro.precision);
  assert.equal(after.eval_recall, m.micro.recall);
  assert.equal(after.eval_accuracy, m.accuracy);
  assert.equal(p.metrics.eval_f1, after.eval_f1);

  // Untagged sentences: tags, no metrics.
  const tokenizer = await AutoTokenizer.fromPretrained(TINY_MODEL);
  const bare = encodeTokenClassification(dev.words.slice(0, 3).map((tokens) => ({ tokens })), tokenizer, NER_LABELS, { maxLength: 64 });
  const q = await trainer.predict(bare);
  assert.deepEqual(q.predictions, p.predictions.slice(0, 3));
  assert.deepEqual(q.metrics, {});
});

test('the evaluation loss is the mean cross-entropy over first subwords only (-100 skipped)', { skip }, async () => {
  const { trainer, dev } = await setup();
  const n = 8;
  const small = { ...dev, inputIds: dev.inputIds.slice(0, n), labels: dev.labels.slice(0, n), wordIds: dev.wordIds.slice(0, n), firstTokens: dev.firstTokens.slice(0, n), lengths: dev.lengths.slice(0, n), words: dev.words.slice(0, n), tags: dev.tags.slice(0, n) };
  trainer.model.eval();
  const b = collateTokenClassification(small, [...Array(n).keys()]);
  const logits = torch.noGrad(() => (trainer.model.forward({ inputIds: b.inputIds, attentionMask: b.attentionMask }) as { logits: torch.Tensor }).logits.toArray() as number[][][]);
  let sum = 0;
  let count = 0;
  small.labels.forEach((row, i) => row.forEach((y, j) => {
    if (y === LABEL_PAD) return;
    const z = logits[i]![j]!;
    const mx = Math.max(...z);
    sum += mx + Math.log(z.reduce((s, v) => s + Math.exp(v - mx), 0)) - z[y]!;
    count++;
  }));
  assert.equal(count, small.words.reduce((s, w) => s + w.length, 0), 'one scored position per word');
  const m = await trainer.evaluate(small);
  // float32 log-softmax over 5 labels and a mean of ~60 terms: relative error well under 1e-5.
  assert.ok(Math.abs(m.eval_loss! - sum / count) <= 1e-5 * Math.max(1, sum / count), `${m.eval_loss} vs ${sum / count}`);
});

test('a model whose labels are not the data\'s, and class weights, are refused', { skip }, async () => {
  const tokenizer = await AutoTokenizer.fromPretrained(TINY_MODEL);
  const train = encodeTokenClassification(nerTask(4, 1), tokenizer, NER_LABELS, { maxLength: 64 });
  const three = await AutoModelForTokenClassification.fromPretrained(TINY_MODEL, { seed: 1 });
  assert.throws(() => new TokenClassificationTrainer({ model: three, args: args(), trainDataset: train }), (e: unknown) => e instanceof LenguaError && /the model has 3 labels but the data has 5/.test(e.message));
  const swapped = NER_LABELS.slice().reverse();
  const other = await AutoModelForTokenClassification.fromPretrained(TINY_MODEL, { id2label: Object.fromEntries(swapped.map((l, i) => [i, l])), seed: 1 });
  assert.throws(() => new TokenClassificationTrainer({ model: other, args: args(), trainDataset: train }), /the model's label 0 is "I-PER" but the data's is "O"/);
  const ok = await AutoModelForTokenClassification.fromPretrained(TINY_MODEL, { id2label, label2id, seed: 1 });
  assert.throws(() => new TokenClassificationTrainer({ model: ok, args: args({ classWeights: 'balanced' }), trainDataset: train }), /classWeights apply to sequence classification only/);
});
