import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoConfig, BertConfig, DistilBertConfig, GPT2Config, parseConfig, readConfigFile, RobertaConfig } from './index.js';
import { LenguaError } from '../errors.js';
import { golden, skipWithoutGolden as skip } from '../testing/golden.js';

test('HF defaults per family', () => {
  const b = AutoConfig.forModel('bert');
  assert.ok(b instanceof BertConfig);
  assert.equal(b.hiddenSize, 768);
  assert.equal(b.layerNormEps, 1e-12);
  assert.equal(b.padTokenId, 0);
  assert.equal(b.numLabels, 2);
  assert.deepEqual(b.id2label, { 0: 'LABEL_0', 1: 'LABEL_1' });
  const r = AutoConfig.forModel('roberta');
  assert.ok(r instanceof RobertaConfig);
  assert.equal(r.padTokenId, 1);
  assert.equal(r.vocabSize, 50265);
  const d = AutoConfig.forModel('distilbert') as DistilBertConfig;
  assert.equal(d.dim, 768);
  assert.equal(d.hiddenDim, 3072);
  assert.equal(d.seqClassifDropout, 0.2);
  assert.equal(d.numAttentionHeads, 12);
  const g = AutoConfig.forModel('gpt2', { n_embd: 64, n_head: 4 }) as GPT2Config;
  assert.equal(g.nInner, 256, 'n_inner null -> 4 * n_embd');
  assert.equal(g.activationFunction, 'gelu_new');
  assert.equal(g.layerNormEpsilon, 1e-5);
  assert.equal(g.eosTokenId, 50256);
  assert.equal(g.maxPositionEmbeddings, 1024);
});

test('every golden fixture config parses with the values it states', { skip }, () => {
  const gpt2tiny = readConfigFile(golden('fixtures', 'gpt2-tiny')) as GPT2Config;
  assert.equal(gpt2tiny.nInner, 37);
  assert.equal(gpt2tiny.activationFunction, 'gelu');
  assert.equal(gpt2tiny.padTokenId, 1023);
  const distil = readConfigFile(golden('fixtures', 'distilbert-synth-seqcls')) as DistilBertConfig;
  assert.equal(distil.hiddenDim, 37);
  assert.deepEqual(distil.id2label, { 0: 'negative', 1: 'neutral', 2: 'positive' });
  assert.equal(distil.numLabels, 3);
  const rob = readConfigFile(golden('fixtures', 'roberta-synth-seqcls')) as RobertaConfig;
  assert.equal(rob.layerNormEps, 1e-5);
  assert.equal(rob.typeVocabSize, 1);
  const tiny = readConfigFile(golden('fixtures', 'bert-tiny-seqcls')) as BertConfig;
  assert.equal(tiny.numLabels, 2);
  assert.equal(tiny.typeVocabSize, 16);
});

test('round trip keeps unknown keys and writes HF names', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lengua-cfg-'));
  try {
    const cfg = readConfigFile(golden('fixtures', 'gpt2-fake-lmbuddy'));
    cfg.savePretrained(dir);
    const json = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(json.model_type, 'gpt2');
    assert.deepEqual(json.task_specific_params, { 'text-generation': { do_sample: true, max_length: 50 } });
    assert.equal(json.n_inner, null);
    assert.equal(json.n_embd, 2);
    const again = readConfigFile(dir);
    assert.deepEqual(again.toJSON(), cfg.toJSON());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('numLabels and id2label follow HF rules', () => {
  const c = AutoConfig.forModel('bert', { num_labels: 3 });
  assert.equal(c.numLabels, 3);
  assert.deepEqual(c.id2label, { 0: 'LABEL_0', 1: 'LABEL_1', 2: 'LABEL_2' });
  assert.deepEqual(c.label2id, { LABEL_0: 0, LABEL_1: 1, LABEL_2: 2 });
  c.id2label = { 0: 'neg', 1: 'pos' };
  assert.equal(c.numLabels, 2);
  assert.deepEqual(c.label2id, { neg: 0, pos: 1 });
  const json = c.toJSON();
  assert.deepEqual(json.id2label, { '0': 'neg', '1': 'pos' });
  assert.equal('num_labels' in json, false);
});

test('bad configs fail with the field named', () => {
  const bad = (text: string, field: string) => {
    assert.throws(() => parseConfig(text, 'x/config.json'), (e: unknown) => e instanceof LenguaError && e.field === field && e.file === 'x/config.json');
  };
  bad('{"model_type": "bart2000"}', 'model_type');
  bad('{"model_type": "bert", "hidden_size": 30, "num_attention_heads": 4}', 'num_attention_heads');
  bad('{"model_type": "bert", "hidden_act": "mish2"}', 'hidden_act');
  bad('{"model_type": "gpt2", "n_layer": -1}', 'n_layer');
  bad('{"model_type": "bert", "vocab_size": 1e12}', 'vocab_size');
  bad('{"model_type": "bert", "id2label": {"0": "a", "5": "b"}}', 'id2label');
  bad('{"model_type": "bert", "problem_type": "ranking"}', 'problem_type');
  bad('{"model_type": "bert", "pad_token_id": 40000}', 'pad_token_id');
  bad('{"model_type": "bert", "position_embedding_type": "relative_key"}', 'position_embedding_type');
  assert.throws(() => parseConfig('{oops', 'y.json'), /y\.json: not valid JSON/);
});

test('an oversized config.json is refused before parsing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lengua-cfg-'));
  try {
    writeFileSync(join(dir, 'config.json'), '{"model_type": "bert", "x": "' + 'a'.repeat(5 * 1024 * 1024) + '"}');
    assert.throws(() => readConfigFile(dir), /limit/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('AutoConfig.fromPretrained reads a folder and applies overrides', { skip }, async () => {
  const cfg = await AutoConfig.fromPretrained(golden('fixtures', 'bert-synth-seqcls'), { overrides: { hidden_dropout_prob: 0.3 } });
  assert.ok(cfg instanceof BertConfig);
  assert.equal((cfg as BertConfig).hiddenDropoutProb, 0.3);
  assert.equal(cfg.initializerRange, 0.2);
});
