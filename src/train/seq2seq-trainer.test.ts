// The Seq2SeqTrainer on a small T5 Lengua builds itself (tokenizer trained here, random weights): the
// DataCollatorForSeq2Seq layout, a loss that ignores label padding, real learning measured by BLEU, evaluation
// that generates exactly what generate() gives each example alone, and the generation arguments reaching the
// search.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../torch/index.js';
import { LenguaError } from '../errors.js';
import { AutoModelForSequenceClassification, torchSeq2SeqLm, type T5ForConditionalGeneration } from '../models/index.js';
import { generate, resolveGenerationConfig } from '../generation/index.js';
import { corpusBleu, corpusChrf, rouge, toReferenceStreams } from '../metrics/index.js';
import type { PreTrainedTokenizer } from '../text/index.js';
import { skipWithoutGolden, golden } from '../testing/golden.js';
import { trainingArguments, type TrainingArguments } from './arguments.js';
import { collateSeq2Seq, encodeSeq2Seq, LABEL_PAD, type Seq2SeqEncodedDataset } from './seq2seq-data.js';
import { Seq2SeqTrainer } from './seq2seq-trainer.js';
import { TINY_PAIRS, tinyTranslationSetup } from './testing/seq2seq.js';

torch.setNumThreads(1);
const root = mkdtempSync(join(tmpdir(), 'lengua-s2s-trainer-'));
after(() => rmSync(root, { recursive: true, force: true }));

let tokenizer: PreTrainedTokenizer;
let model: T5ForConditionalGeneration;
let ds: Seq2SeqEncodedDataset;
before(async () => {
  ({ tokenizer, model } = await tinyTranslationSetup(root));
  ds = encodeSeq2Seq(TINY_PAIRS, tokenizer, { maxSourceLength: 32, maxTargetLength: 32 });
});

function args(over: Partial<TrainingArguments> = {}): TrainingArguments {
  return trainingArguments({ outputDir: join(root, `run-${Math.random().toString(36).slice(2)}`), saveStrategy: 'no', quiet: true, seed: 1, ...over });
}

test('DataCollatorForSeq2Seq: sources padded with pad and masked, labels padded with -100; targets end in EOS within maxTargetLength', () => {
  assert.ok(ds.labels.every((y) => y[y.length - 1] === tokenizer.eosTokenId), 'every target ends in EOS');
  const short = encodeSeq2Seq(TINY_PAIRS, tokenizer, { maxSourceLength: 4, maxTargetLength: 5 });
  assert.ok(short.inputIds.every((x) => x.length <= 4));
  assert.ok(short.labels.every((y) => y.length === 5 && y[4] === tokenizer.eosTokenId), 'truncated targets keep their EOS');
  // Examples of different lengths: 0 is the shortest source here, 1 the longest.
  const idx = [0, 1];
  const b = collateSeq2Seq(ds, idx);
  const ids = b.inputIds.toArray() as number[][];
  const mask = b.attentionMask.toArray() as number[][];
  const labels = b.labels.toArray() as number[][];
  idx.forEach((ex, r) => {
    const n = ds.inputIds[ex]!.length;
    assert.deepEqual(ids[r]!.slice(0, n), ds.inputIds[ex]);
    assert.ok(ids[r]!.slice(n).every((t) => t === ds.padTokenId));
    assert.deepEqual(mask[r], ids[r]!.map((_, j) => (j < n ? 1 : 0)));
    const m = ds.labels[ex]!.length;
    assert.deepEqual(labels[r]!.slice(0, m), ds.labels[ex]);
    assert.ok(labels[r]!.slice(m).every((t) => t === LABEL_PAD));
  });
  assert.notEqual(ds.labels[0]!.length, ds.labels[1]!.length, 'the two targets differ in length, so one of them is padded');
});

test("the loss ignores label padding: a batch's loss is the token-weighted mean of its examples' and equals the model's own loss from labels", () => {
  const trainer = new Seq2SeqTrainer({ model, args: args(), trainDataset: ds, tokenizer });
  model.eval();
  const lossOf = (indices: number[]): number => torch.noGrad(() => torch.tidy(() => (trainer as unknown as { trainingLoss(i: number[]): torch.Tensor }).trainingLoss(indices).item()));
  const idx = [0, 1, 2, 3];
  const together = lossOf(idx);
  const tokens = idx.map((i) => ds.labels[i]!.length);
  const weighted = idx.reduce((s, i, k) => s + lossOf([i]) * tokens[k]!, 0) / tokens.reduce((a, b) => a + b, 0);
  // float32 sums of ~100 terms of size ~5: a relative error of a few 1e-7 each; 1e-5 leaves room for any kernel order.
  assert.ok(Math.abs(together - weighted) <= 1e-5 * Math.abs(weighted), `${together} vs ${weighted}`);
  const b = collateSeq2Seq(ds, idx);
  const own = torch.noGrad(() => torch.tidy(() => model.forward({ inputIds: b.inputIds, attentionMask: b.attentionMask, labels: b.labels }).loss!.item()));
  assert.ok(Math.abs(together - own) <= 1e-6 * Math.abs(own), `${together} vs the model's ${own}`);
});

test('training lowers the loss and raises BLEU; predictWithGenerate scores exactly what generate() gives each example alone', async () => {
  const a = args({ learningRate: 1e-2, maxSteps: 150, perDeviceTrainBatchSize: 6, perDeviceEvalBatchSize: 4, loggingSteps: 50, predictWithGenerate: true, generationMaxLength: 24 });
  const trainer = new Seq2SeqTrainer({ model, args: a, trainDataset: ds, evalDataset: ds, tokenizer, task: 'translation' });
  const before = await trainer.evaluate();
  await trainer.train();
  const after = await trainer.evaluate();
  assert.ok(after.eval_loss! < before.eval_loss! / 4, `loss ${before.eval_loss} → ${after.eval_loss}`);
  assert.ok(after.eval_bleu! > 30 && after.eval_bleu! > before.eval_bleu! + 25, `BLEU ${before.eval_bleu} → ${after.eval_bleu}`);
  for (const k of ['eval_loss', 'eval_bleu', 'eval_chrf', 'eval_gen_len', 'eval_runtime']) assert.ok(k in after, k);

  // Batched with padded sources (batch 4, then 2) = each source alone through the search.
  const pred = await trainer.predict(ds);
  const config = resolveGenerationConfig({ eosTokenId: 1, padTokenId: 0, maxLength: 24 });
  for (const [i, src] of ds.inputIds.entries()) {
    const [alone] = await generate(torchSeq2SeqLm(model, [src]), [[0]], config);
    assert.deepEqual(pred.ids[i], alone!.generated, `example ${i}`);
    assert.equal(pred.predictions[i], tokenizer.decode(alone!.generated, { skipSpecialTokens: true }).trim());
  }
  const streams = toReferenceStreams(ds.references);
  assert.equal(pred.metrics.test_bleu, corpusBleu(pred.predictions, streams).score);
  assert.equal(pred.metrics.test_chrf, corpusChrf(pred.predictions, streams).score);
  assert.equal(after.eval_bleu, pred.metrics.test_bleu, 'evaluate and predict generate the same texts');
  const genLen = pred.ids.reduce((s, r) => s + r.filter((t) => t !== 0).length, 0) / pred.ids.length;
  assert.ok(Math.abs(pred.metrics.test_gen_len! - genLen) < 1e-4);
  assert.ok(pred.ids.some((r) => r[r.length - 1] === 1 && r.length < 23), 'the trained model stops with EOS before max length');

  // generationMaxLength / generationNumBeams reach the search; summarization scores ROUGE.
  const short = new Seq2SeqTrainer({ model, args: args({ predictWithGenerate: true, generationMaxLength: 4, generationNumBeams: 3 }), trainDataset: ds, tokenizer, task: 'summarization' });
  const p2 = await short.predict(ds);
  const beam = resolveGenerationConfig({ eosTokenId: 1, padTokenId: 0, maxLength: 4, numBeams: 3 });
  for (const [i, src] of ds.inputIds.entries()) {
    assert.ok(p2.ids[i]!.length <= 3, `max length 4 counts the decoder start: ${p2.ids[i]}`);
    const [alone] = await generate(torchSeq2SeqLm(model, [src]), [[0]], beam);
    assert.deepEqual(p2.ids[i], alone!.generated, `beam search, example ${i}`);
  }
  assert.deepEqual(Object.keys(p2.metrics).filter((k) => k.startsWith('test_rouge')), ['test_rouge1', 'test_rouge2', 'test_rougeL', 'test_rougeLsum']);
  assert.equal(p2.metrics.test_rouge1, rouge(p2.predictions, ds.references, { useStemmer: true }).rouge1);
  assert.ok(!('test_bleu' in p2.metrics));
});

test('a classifier, class weights and mismatched datasets are refused with the field named', { skip: skipWithoutGolden }, async () => {
  const classifier = await AutoModelForSequenceClassification.fromPretrained(golden('fixtures', 'bert-synth-seqcls'));
  assert.throws(() => new Seq2SeqTrainer({ model: classifier as never, args: args(), trainDataset: ds, tokenizer }), (e: unknown) => e instanceof LenguaError && /not an encoder-decoder/.test(e.message) && e.field === 'model');
  assert.throws(() => new Seq2SeqTrainer({ model, args: args({ classWeights: 'balanced' }), trainDataset: ds, tokenizer }), (e: unknown) => e instanceof LenguaError && e.field === 'classWeights');
  const broken = { ...ds, labels: ds.labels.slice(1) };
  assert.throws(() => new Seq2SeqTrainer({ model, args: args(), trainDataset: broken, tokenizer }), (e: unknown) => e instanceof LenguaError && e.field === 'trainDataset' && /6 sources but 5 targets/.test(e.message));
  assert.throws(() => encodeSeq2Seq(TINY_PAIRS, tokenizer, { maxSourceLength: 1, maxTargetLength: 8 }), (e: unknown) => e instanceof LenguaError && e.field === 'maxSourceLength');
});

test('strategies: head trains the decoder alone (encoder and embeddings frozen and unchanged), freeze also the top encoder layers', async () => {
  const { tokenizer: tok, model: m } = await tinyTranslationSetup(join(root, 'strategies'));
  const data = encodeSeq2Seq(TINY_PAIRS, tok, { maxSourceLength: 32, maxTargetLength: 32 });
  const snapshot = (): Map<string, number[]> => new Map(m.namedParameters().map(([n, p]) => [n, Array.from(p.detach().flatten().toArray() as number[])]));
  const before = snapshot();
  const head = new Seq2SeqTrainer({ model: m, args: args({ strategy: 'head', maxSteps: 3, learningRate: 1e-2 }), trainDataset: data, tokenizer: tok });
  await head.train();
  const trainable = head.strategy!.trainable;
  assert.ok(trainable.length > 0 && trainable.every((n) => n.startsWith('decoder.')), `trainable: ${trainable.join(', ')}`);
  assert.ok(!trainable.includes('decoder.embed_tokens.weight') && !trainable.includes('shared.weight'), 'the shared (tied) embeddings stay frozen');
  const after = snapshot();
  for (const [n, v] of before) {
    const changed = v.some((x, i) => x !== after.get(n)![i]);
    assert.equal(changed, trainable.includes(n), `${n} ${changed ? 'changed' : 'unchanged'}`);
  }
  const freeze = new Seq2SeqTrainer({ model: m, args: args({ strategy: 'freeze', freezeLayers: 1, maxSteps: 1 }), trainDataset: data, tokenizer: tok });
  await freeze.train();
  const t2 = freeze.strategy!.trainable;
  assert.ok(t2.some((n) => n.startsWith('encoder.block.1.')) && !t2.some((n) => n.startsWith('encoder.block.0.')) && t2.some((n) => n.startsWith('decoder.')));
});
