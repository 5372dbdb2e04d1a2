// Question-answering heads beyond the bert-synth-qa golden (golden.test.ts): the span loss against a hand
// computation, loading the fixture through AutoModelForQuestionAnswering (with and without a pooler in
// the checkpoint), save/reload of BERT, RoBERTa and DistilBERT QA heads, layerOf, dropout, bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { LenguaError } from '../errors.js';
import { loadCheckpoint, saveCheckpoint } from '../hub/checkpoint.js';
import { readSafetensors } from '../hub/safetensors.js';
import { AutoConfig, AutoModelForQuestionAnswering, modelFromConfig, taskOfArchitecture, type AnyQuestionAnswering, type ModelType } from './auto.js';
import { BertForQuestionAnswering, questionAnsweringLoss, type QuestionAnsweringInput, type QuestionAnsweringOutput } from './bert/index.js';
import { RobertaForQuestionAnswering } from './roberta/index.js';
import { DistilBertForQuestionAnswering } from './distilbert/index.js';
import { logger } from './logging.js';
import { goldenRoot, maxAbsDiff, readTensors } from './testing.js';

const root = goldenRoot();
const skip = root === null ? 'no ../shared/golden' : false;
const fixture = (name: string) => join(root!, 'fixtures', name);

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'lengua-qa-'));
}

/** log softmax(row)[i] in float64. */
function logSoftmaxAt(row: number[], i: number): number {
  const m = Math.max(...row);
  return row[i]! - m - Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
}

function forwardNoGrad(model: AnyQuestionAnswering, input: QuestionAnsweringInput): QuestionAnsweringOutput {
  return torch.noGrad(() => model.forward(input));
}

test('span loss: positions clamped to [0, s], s ignored, mean of start and end (hand computation)', () => {
  const start = [[0.3, -1.2, 2.0, 0.5], [1.0, 0.0, -0.5, 0.25]];
  const end = [[-0.7, 0.1, 0.9, 1.5], [0.2, 2.2, -1.0, 0.4]];
  // Example 1's start (7) lies past the 4 tokens: clamped to 4 = ignore_index, so it drops out of the
  // start mean. Example 0's end (-2) is clamped to 0 (the [CLS] "no answer" position), not ignored.
  const loss = questionAnsweringLoss(torch.tensor(start), torch.tensor(end), [1, 7], [-2, 3]).item();
  const startCe = -logSoftmaxAt(start[0]!, 1);
  const endCe = -(logSoftmaxAt(end[0]!, 0) + logSoftmaxAt(end[1]!, 3)) / 2;
  // float32 log-softmax of O(1) values over 4 terms: rounding is a few 1e-7 of the result.
  assert.ok(Math.abs(loss - (startCe + endCe) / 2) < 1e-6, `${loss} vs ${(startCe + endCe) / 2}`);
  // [b, 1] positions are squeezed like transformers does.
  assert.ok(Math.abs(questionAnsweringLoss(torch.tensor(start), torch.tensor(end), [[1], [7]], [[-2], [3]]).item() - loss) < 1e-7);
  // Every start past the sequence: torch's mean over no targets is NaN, and so is ours.
  assert.ok(Number.isNaN(questionAnsweringLoss(torch.tensor(start), torch.tensor(end), [4, 9], [0, 1]).item()));
  assert.throws(() => questionAnsweringLoss(torch.tensor(start), torch.tensor(end), [1.5, 2], [0, 1]), (e: unknown) => e instanceof LenguaError && e.field === 'start_positions');
  assert.throws(() => questionAnsweringLoss(torch.tensor(start), torch.tensor(end), [1, 2], [0, 1, 2]), (e: unknown) => e instanceof LenguaError && e.field === 'end_positions');
});

test('AutoModelForQuestionAnswering loads the bert-synth-qa fixture; positions, labels [b, 2] and model.loss agree with the manifest loss', { skip }, async () => {
  assert.equal(taskOfArchitecture('BertForQuestionAnswering'), 'question-answering');
  assert.equal(taskOfArchitecture('DistilBertForQuestionAnswering'), 'question-answering');
  const g = readTensors(join(root!, 'models', 'bert-synth-qa', 'golden.safetensors'));
  const manifest = JSON.parse(readFileSync(join(root!, 'models', 'bert-synth-qa', 'manifest.json'), 'utf8')) as { loss: number };
  const { result: model, messages } = await logger.captureAsync(() => AutoModelForQuestionAnswering.fromPretrained(fixture('bert-synth-qa')));
  assert.deepEqual(messages, []);
  assert.ok(model instanceof BertForQuestionAnswering);
  assert.equal(model.training, false);
  assert.equal(model.body.pooler, null, 'no pooler, as transformers (add_pooling_layer=False)');
  const input = { inputIds: g.get('inputs.input_ids')!, attentionMask: g.get('inputs.attention_mask')!, tokenTypeIds: g.get('inputs.token_type_ids')! };
  const start = g.get('inputs.start_positions')!;
  const end = g.get('inputs.end_positions')!;
  const byPositions = forwardNoGrad(model, { ...input, startPositions: start, endPositions: end });
  assert.deepEqual(byPositions.startLogits.shape, [3, 48]);
  assert.deepEqual(byPositions.logits.shape, [3, 48, 2]);
  assert.ok(maxAbsDiff(byPositions.startLogits, g.get('start_logits')!) <= 1e-4);
  assert.ok(maxAbsDiff(byPositions.endLogits, g.get('end_logits')!) <= 1e-4);
  // Forward tolerance of the manifest (1e-4) on the loss as on every output.
  const loss = byPositions.loss!.item();
  assert.ok(Math.abs(loss - manifest.loss) <= 1e-4, `${loss} vs ${manifest.loss}`);
  const labels = torch.stack([start, end], 1);
  const byLabels = forwardNoGrad(model, { ...input, labels });
  // Same operations on the same values (start/end read as strided views instead of copies): float32
  // rounding of a loss near 4 is below 1e-6.
  assert.ok(Math.abs(byLabels.loss!.item() - loss) < 1e-6);
  assert.ok(Math.abs(torch.noGrad(() => model.loss(byLabels.logits, labels)).item() - loss) < 1e-6);
  assert.ok(Math.abs(torch.noGrad(() => model.loss(byLabels.logits, labels.toArray() as number[][])).item() - loss) < 1e-6);

  const bad = (extra: Partial<QuestionAnsweringInput>, field: string) =>
    assert.throws(() => forwardNoGrad(model, { ...input, ...extra }), (e: unknown) => e instanceof LenguaError && e.field === field, field);
  bad({ startPositions: start }, 'end_positions');
  bad({ startPositions: start, endPositions: end, labels }, 'labels');
  bad({ labels: start }, 'labels');
  bad({ startPositions: start.to('float32'), endPositions: end }, 'start_positions');
  assert.throws(() => model.loss(byLabels.logits, labels, { labelSmoothing: 0.1 }), (e: unknown) => e instanceof LenguaError && e.field === 'labelSmoothing');
  for (const t of g.values()) t.dispose();
});

test('a pooler in a BERT QA checkpoint loads silently (transformers ignores it); a seqcls checkpoint warns about its classifier only', { skip }, async () => {
  const dir = tmp();
  try {
    const tensors = new Map(loadCheckpoint(fixture('bert-synth-qa')).tensors);
    tensors.set('bert.pooler.dense.weight', { dtype: 'F32', shape: [32, 32], data: torch.randn([32, 32]).toBytes() });
    tensors.set('bert.pooler.dense.bias', { dtype: 'F32', shape: [32], data: torch.randn([32]).toBytes() });
    saveCheckpoint(dir, tensors);
    copyFileSync(join(fixture('bert-synth-qa'), 'config.json'), join(dir, 'config.json'));
    const { result: withPooler, messages } = await logger.captureAsync(() => AutoModelForQuestionAnswering.fromPretrained(dir));
    assert.deepEqual(messages, []);
    const plain = await AutoModelForQuestionAnswering.fromPretrained(fixture('bert-synth-qa'));
    const input = { inputIds: [[2, 65, 802, 3, 62, 802, 795, 3]], tokenTypeIds: [[0, 0, 0, 0, 1, 1, 1, 1]] };
    assert.equal(maxAbsDiff(forwardNoGrad(withPooler, input).startLogits, forwardNoGrad(plain, input).startLogits), 0);

    // A BERT sequence-classification checkpoint (pooler + classifier): the pooler is dropped silently,
    // the classifier is reported unused and qa_outputs newly initialised, as transformers does.
    const { messages: m2 } = await logger.captureAsync(() => AutoModelForQuestionAnswering.fromPretrained(fixture('bert-synth-seqcls'), { numLabels: 2 }));
    assert.equal(m2.length, 2, m2.join('\n'));
    assert.match(m2[0]!, /not used when initializing BertForQuestionAnswering: \['classifier\.bias', 'classifier\.weight'\]/);
    assert.match(m2[1]!, /newly initialized: \['qa_outputs\.bias', 'qa_outputs\.weight'\]/);
    assert.ok(!m2.some((m) => m.includes('pooler')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const TINY: Record<'bert' | 'roberta' | 'distilbert', Record<string, unknown>> = {
  bert: { vocab_size: 60, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 20, max_position_embeddings: 40 },
  roberta: { vocab_size: 60, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 20, max_position_embeddings: 40, pad_token_id: 1, type_vocab_size: 1 },
  distilbert: { vocab_size: 60, dim: 16, n_layers: 2, n_heads: 2, hidden_dim: 20, max_position_embeddings: 40 },
};

for (const [type, cls, prefix] of [
  ['bert', BertForQuestionAnswering, 'bert'], ['roberta', RobertaForQuestionAnswering, 'roberta'], ['distilbert', DistilBertForQuestionAnswering, 'distilbert'],
] as const) {
  test(`${cls.name}: a tiny random model saved and reloaded gives the same logits, under transformers' names`, async () => {
    const dir = tmp();
    try {
      const model = modelFromConfig('question-answering', AutoConfig.forModel(type as ModelType, TINY[type]), { seed: 11 }) as AnyQuestionAnswering;
      assert.ok(model instanceof cls);
      model.eval();
      const input = { inputIds: [[0, 5, 6, 7, 8, 2], [0, 9, 10, 2, 1, 1]], attentionMask: [[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]] };
      const before = forwardNoGrad(model, input);
      assert.deepEqual(before.startLogits.shape, [2, 6]);
      await model.savePretrained(dir);
      const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { architectures: string[] };
      assert.deepEqual(config.architectures, [cls.name]);
      const keys = [...readSafetensors(join(dir, 'model.safetensors')).tensors.keys()].sort();
      assert.deepEqual(keys, model.namedParameters().map(([n]) => n).sort());
      assert.ok(keys.includes('qa_outputs.weight') && keys.includes('qa_outputs.bias'));
      assert.ok(keys.every((k) => k.startsWith(`${prefix}.`) || k.startsWith('qa_outputs.')), keys.join(', '));
      assert.ok(!keys.some((k) => k.includes('pooler')));
      assert.ok(readdirSync(dir).includes('model.safetensors'));

      const { result: again, messages } = await logger.captureAsync(() => AutoModelForQuestionAnswering.fromPretrained(dir));
      assert.deepEqual(messages, []);
      assert.ok(again instanceof cls);
      const after = forwardNoGrad(again, input);
      // The same weights through the same kernels in the same process: bit-identical.
      assert.equal(maxAbsDiff(after.startLogits, before.startLogits), 0);
      assert.equal(maxAbsDiff(after.endLogits, before.endLogits), 0);
      // start/end are the two columns of qa_outputs' output.
      assert.equal(maxAbsDiff(after.logits.select(2, 1), after.endLogits), 0);

      // The strategies see qa_outputs as the head and the body where it is.
      assert.deepEqual(again.layerOf('qa_outputs.weight'), { kind: 'head' });
      const layerKey = keys.find((k) => k.includes('layer.1.'))!;
      assert.deepEqual(again.layerOf(layerKey), { kind: 'layer', index: 1 });
      assert.deepEqual(again.layerOf(`${prefix}.embeddings.word_embeddings.weight`), { kind: 'embeddings' });

      // Gradients reach the head and the body.
      const out = again.forward({ ...input, startPositions: [1, 2], endPositions: [3, 9] });
      out.loss!.backward();
      for (const [name, p] of again.namedParameters()) {
        // Zero in exact arithmetic, so only rounding noise in float32: key biases shift every score of a
        // softmax row alike, and qa_outputs.bias does the same to every logit of a CE row (sum(p - onehot) = 0).
        if (name === 'qa_outputs.bias' || (name.endsWith('.bias') && /key|k_lin/.test(name))) continue;
        if (name.includes('position_embeddings') || name.includes('token_type') || name.includes('word_embeddings')) continue; // rows of unseen ids are zero
        assert.ok(p.grad !== null && (p.grad as Tensor).abs().sum().item() > 0, `${name} has a gradient`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('QA heads need num_labels 2; dropout overrides reach DistilBERT qa_dropout and refuse a BERT classifier dropout', () => {
  assert.throws(
    () => modelFromConfig('question-answering', AutoConfig.forModel('bert', { ...TINY.bert, num_labels: 3 })),
    (e: unknown) => e instanceof LenguaError && e.field === 'num_labels',
  );
  assert.throws(
    () => modelFromConfig('question-answering', AutoConfig.forModel('distilbert', { ...TINY.distilbert, num_labels: 1 })),
    (e: unknown) => e instanceof LenguaError && e.field === 'num_labels',
  );
  const distil = modelFromConfig('question-answering', AutoConfig.forModel('distilbert', TINY.distilbert)) as DistilBertForQuestionAnswering;
  distil.setDropout({ classifier: 0.4 });
  assert.equal(distil.dropout.p, 0.4);
  assert.equal(distil.config.qaDropout, 0.4);
  assert.equal(distil.config.seqClassifDropout, 0.2, 'seq_classif_dropout is not the QA head');
  const bert = modelFromConfig('question-answering', AutoConfig.forModel('bert', TINY.bert)) as BertForQuestionAnswering;
  assert.throws(() => bert.setDropout({ classifier: 0.3 }), (e: unknown) => e instanceof LenguaError && e.field === 'classifierDropout');
  bert.setDropout({ hidden: 0.05 });
  assert.equal(bert.config.hiddenDropoutProb, 0.05);
});
