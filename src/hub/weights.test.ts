import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeKey, planWeightLoading } from './weights.js';

const shapes = (entries: Array<[string, number[]]>) => new Map<string, readonly number[]>(entries);

test('LayerNorm.gamma / beta become weight / bias', () => {
  assert.equal(normalizeKey('bert.embeddings.LayerNorm.gamma'), 'bert.embeddings.LayerNorm.weight');
  assert.equal(normalizeKey('bert.encoder.layer.0.output.LayerNorm.beta'), 'bert.encoder.layer.0.output.LayerNorm.bias');
  assert.equal(normalizeKey('classifier.weight'), 'classifier.weight');
});

test('a base checkpoint gets the prefix when loaded into a head model; head keys are missing', () => {
  const plan = planWeightLoading({
    modelShapes: shapes([['bert.embeddings.LayerNorm.weight', [4]], ['bert.pooler.dense.weight', [4, 4]], ['classifier.weight', [2, 4]]]),
    checkpointShapes: shapes([['embeddings.LayerNorm.gamma', [4]], ['pooler.dense.weight', [4, 4]]]),
    basePrefix: 'bert',
  });
  assert.deepEqual([...plan.assign], [['bert.embeddings.LayerNorm.weight', 'embeddings.LayerNorm.gamma'], ['bert.pooler.dense.weight', 'pooler.dense.weight']]);
  assert.deepEqual(plan.missing, ['classifier.weight']);
  assert.deepEqual(plan.unexpected, []);
});

test('a head checkpoint loses the prefix when loaded into a base model; head keys are unexpected', () => {
  const plan = planWeightLoading({
    modelShapes: shapes([['h.0.attn.c_attn.weight', [2, 6]], ['wte.weight', [10, 2]]]),
    checkpointShapes: shapes([['transformer.h.0.attn.c_attn.weight', [2, 6]], ['transformer.wte.weight', [10, 2]], ['score.weight', [2, 2]], ['transformer.h.0.attn.bias', [1, 1, 4, 4]]]),
    basePrefix: 'transformer',
  });
  assert.equal(plan.assign.get('wte.weight'), 'transformer.wte.weight');
  assert.equal(plan.assign.get('h.0.attn.c_attn.weight'), 'transformer.h.0.attn.c_attn.weight');
  assert.deepEqual(plan.unexpected, ['score.weight'], 'the causal-mask buffer is ignored silently');
  assert.deepEqual(plan.missing, []);
});

test('tied lm_head is skipped whether present or absent; aliases fill a missing name', () => {
  const model = shapes([['transformer.wte.weight', [10, 2]], ['cls.predictions.bias', [10]]]);
  const withHead = planWeightLoading({
    modelShapes: model,
    checkpointShapes: shapes([['transformer.wte.weight', [10, 2]], ['lm_head.weight', [10, 2]], ['cls.predictions.decoder.bias', [10]]]),
    basePrefix: 'transformer',
    tiedKeys: ['lm_head.weight'],
    aliases: { 'cls.predictions.decoder.bias': 'cls.predictions.bias' },
  });
  assert.deepEqual(withHead.unexpected, []);
  assert.deepEqual(withHead.missing, []);
  assert.equal(withHead.assign.get('cls.predictions.bias'), 'cls.predictions.decoder.bias');
});

test('shape disagreements are reported, not assigned', () => {
  const plan = planWeightLoading({
    modelShapes: shapes([['classifier.weight', [5, 4]], ['classifier.bias', [5]]]),
    checkpointShapes: shapes([['classifier.weight', [2, 4]], ['classifier.bias', [2]]]),
    basePrefix: 'bert',
  });
  assert.equal(plan.assign.size, 0);
  assert.deepEqual(plan.missing, []);
  assert.deepEqual(plan.mismatched.map((m) => [m.name, m.checkpointShape, m.modelShape]), [
    ['classifier.bias', [2], [5]],
    ['classifier.weight', [2, 4], [5, 4]],
  ]);
});
