// Behaviour of the model classes beyond the goldens: save/reload, weight-name normalization and
// warnings, new heads, dropout modes, the three sequence-classification losses, heads, bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { LenguaError } from '../errors.js';
import { loadCheckpoint, saveCheckpoint } from '../hub/checkpoint.js';
import type { SafetensorsEntry } from '../hub/safetensors.js';
import { readSafetensors } from '../hub/safetensors.js';
import {
  AutoConfig, AutoModel, AutoModelForCausalLM, AutoModelForMaskedLM, AutoModelForSequenceClassification, AutoModelForTokenClassification,
  modelFromPretrained,
} from './auto.js';
import type { Task } from './auto.js';
import { logger } from './logging.js';
import { greedyGenerate } from './generate.js';
import { goldenRoot, maxAbsDiff, readTensors } from './testing.js';
import type { ModelOutput } from './modeling/outputs.js';

const root = goldenRoot();
const skip = root === null ? 'no ../shared/golden' : false;
const fixture = (name: string) => join(root!, 'fixtures', name);
const golden = (name: string) => readTensors(join(root!, 'models', name, 'golden.safetensors'));

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'lengua-models-'));
}

/** Writes a copy of a fixture checkpoint with its keys / values transformed (config + tokenizer copied as is). */
function rewriteFixture(name: string, edit: (tensors: Map<string, SafetensorsEntry>) => Map<string, SafetensorsEntry>): string {
  const dir = tmp();
  const ck = loadCheckpoint(fixture(name));
  saveCheckpoint(dir, edit(new Map(ck.tensors)));
  for (const f of readdirSync(fixture(name))) {
    if (f.endsWith('.json') || f.endsWith('.txt')) {
      if (f === 'model.safetensors.index.json') continue;
      writeFileSync(join(dir, f), readFileSync(join(fixture(name), f)));
    }
  }
  return dir;
}

function logits(model: { forward(i: object): object }, input: object): Tensor {
  return torch.noGrad(() => (model.forward(input) as ModelOutput).logits);
}

const bertInputs = (g: Map<string, Tensor>) => ({
  inputIds: g.get('inputs.input_ids')!,
  attentionMask: g.get('inputs.attention_mask')!,
  tokenTypeIds: g.get('inputs.token_type_ids')!,
});

test('save then reload gives identical outputs and keeps HF key names and shapes', { skip }, async () => {
  const cases: Array<[string, Task, string]> = [
    ['bert-synth-seqcls', 'sequence-classification', 'bert-synth-seqcls'],
    ['roberta-synth-seqcls', 'sequence-classification', 'roberta-synth-seqcls'],
    ['distilbert-synth-seqcls', 'sequence-classification', 'distilbert-synth-seqcls'],
    ['gpt2-tiny', 'causal-lm', 'gpt2-tiny-lm'],
  ];
  for (const [fx, task, gname] of cases) {
    const g = golden(gname);
    const model = await modelFromPretrained(task, fixture(fx));
    const input = { inputIds: g.get('inputs.input_ids')!, attentionMask: g.get('inputs.attention_mask')! };
    const before = logits(model, input);
    const dir = tmp();
    try {
      await model.savePretrained(dir);
      const files = readdirSync(dir).sort();
      assert.ok(files.includes('config.json') && files.includes('model.safetensors'), files.join(','));
      assert.ok(files.includes('tokenizer.json'), 'tokenizer files copied from the source folder');
      const saved = readSafetensors(join(dir, 'model.safetensors')).tensors;
      const orig = loadCheckpoint(fixture(fx)).tensors;
      // gpt2-tiny stores GPT2Model names; a GPT2LMHeadModel saves them under transformer.
      const norm = (k: string) => (fx === 'gpt2-tiny' ? `transformer.${k}` : k);
      assert.deepEqual([...saved.keys()].sort(), [...orig.keys()].map(norm).sort(), `${fx} keys`);
      for (const [k, e] of orig) assert.deepEqual(saved.get(norm(k))!.shape, e.shape, `${fx} ${k} shape`);
      const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
      assert.deepEqual(cfg.architectures, [model.className]);
      const { result: again, messages } = await logger.captureAsync(() => modelFromPretrained(task, dir));
      assert.deepEqual(messages, []);
      const after = logits(again, input);
      assert.equal(maxAbsDiff(before, after), 0, `${fx}: reloaded outputs are identical`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('legacy LayerNorm.gamma/beta names, F16 weights and a base checkpoint without prefix load', { skip }, async () => {
  const g = golden('bert-synth-seqcls');
  const ref = logits(await AutoModelForSequenceClassification.fromPretrained(fixture('bert-synth-seqcls')), bertInputs(g));
  const legacy = rewriteFixture('bert-synth-seqcls', (t) => new Map([...t].map(([k, v]) => [k.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta'), v])));
  try {
    const { result, messages } = await logger.captureAsync(() => AutoModelForSequenceClassification.fromPretrained(legacy));
    assert.deepEqual(messages, []);
    assert.equal(maxAbsDiff(logits(result, bertInputs(g)), ref), 0);
  } finally {
    rmSync(legacy, { recursive: true, force: true });
  }
  // F16 checkpoint: converted to float32 on load.
  const half = rewriteFixture('bert-synth-seqcls', (t) => new Map([...t].map(([k, v]) => {
    const x = torch.fromBytes(v.data, 'float32', v.shape).to('float16');
    return [k, { dtype: 'F16' as const, shape: v.shape, data: x.toBytes() }];
  })));
  try {
    const m = await AutoModelForSequenceClassification.fromPretrained(half);
    assert.equal(m.parameters()[0]!.dtype, 'float32');
    const d = maxAbsDiff(logits(m, bertInputs(g)), ref);
    assert.ok(d > 0 && d < 5e-2, `f16 weights give close logits (${d})`);
  } finally {
    rmSync(half, { recursive: true, force: true });
  }
});

test('missing pooler is newly initialised and warned; unused head weights are warned', { skip }, async () => {
  const noPooler = rewriteFixture('bert-synth-seqcls', (t) => new Map([...t].filter(([k]) => !k.includes('pooler'))));
  try {
    const { messages } = await logger.captureAsync(() => AutoModelForSequenceClassification.fromPretrained(noPooler));
    assert.equal(messages.length, 1);
    assert.match(messages[0]!, /newly initialized: \['bert\.pooler\.dense\.bias', 'bert\.pooler\.dense\.weight'\]/);
  } finally {
    rmSync(noPooler, { recursive: true, force: true });
  }
  // Base model from a classification checkpoint: classifier unused, prefix stripped, outputs equal the golden.
  const g = golden('bert-synth-seqcls');
  const { result: base, messages } = await logger.captureAsync(() => AutoModel.fromPretrained(fixture('bert-synth-seqcls')));
  assert.equal(messages.length, 1);
  assert.match(messages[0]!, /were not used when initializing BertModel: \['classifier\.bias', 'classifier\.weight'\]/);
  // Heads without a pooler leave a checkpoint's pooler unused without a word, as transformers does
  // (`_keys_to_ignore_on_load_unexpected`); the token classifier's own head loads from the checkpoint.
  const { result: tagger, messages: m3 } = await logger.captureAsync(() => AutoModelForTokenClassification.fromPretrained(fixture('bert-synth-seqcls')));
  assert.deepEqual(m3, []);
  assert.ok(!tagger.namedParameters().some(([n]) => n.includes('pooler')));
  const out = torch.noGrad(() => base.forward(bertInputs(g))) as { lastHiddenState: Tensor; poolerOutput: Tensor };
  assert.ok(maxAbsDiff(out.lastHiddenState, g.get('last_hidden_state')!) < 1e-4);
  assert.ok(maxAbsDiff(out.poolerOutput, g.get('pooler_output')!) < 1e-4);
  // GPT2Model from a GPT2LMHeadModel checkpoint (transformer. prefix): nothing to warn about.
  const { result: gpt, messages: m2 } = await logger.captureAsync(() => AutoModel.fromPretrained(fixture('gpt2-synth-lm')));
  assert.deepEqual(m2, []);
  assert.equal(gpt.className, 'GPT2Model');
  assert.ok(gpt.namedParameters().some(([n]) => n === 'h.0.attn.c_attn.weight'));
});

test('numLabels / id2label override creates a new, seeded, warned head', { skip }, async () => {
  const load = () => logger.captureAsync(() => AutoModelForSequenceClassification.fromPretrained(fixture('bert-tiny-seqcls'), {
    id2label: { 0: 'a', 1: 'b', 2: 'c', 3: 'd', 4: 'e' }, seed: 7,
  }));
  const { result: m, messages } = await load();
  assert.equal(m.config.numLabels, 5);
  assert.deepEqual(m.config.label2id, { a: 0, b: 1, c: 2, d: 3, e: 4 });
  assert.equal(messages.length, 1);
  assert.match(messages[0]!, /newly initialized because the shapes did not match:\n- classifier\.bias: found shape \[2\] in the checkpoint and \[5\] in the model instantiated/);
  const w = new Map(m.namedParameters()).get('classifier.weight')!;
  assert.deepEqual(w.shape, [5, 32]);
  const std = torch.tidy(() => Math.sqrt(w.pow(2).mean().item()));
  assert.ok(std > 0.01 && std < 0.03, `N(0, initializer_range 0.02): rms ${std}`);
  assert.equal(torch.tidy(() => new Map(m.namedParameters()).get('classifier.bias')!.abs().sum().item()), 0);
  const { result: m2 } = await load();
  assert.equal(maxAbsDiff(w, new Map(m2.namedParameters()).get('classifier.weight')!), 0, 'same seed, same head');
  // Without the override a shape mismatch is an error that names the key.
  await assert.rejects(
    AutoModelForSequenceClassification.fromPretrained(fixture('bert-tiny-seqcls'), { numLabels: 5, ignoreMismatchedSizes: false }),
    (e: unknown) => e instanceof LenguaError && /classifier\.(bias|weight)/.test(e.message),
  );
});

test('train mode applies dropout, eval mode is deterministic', { skip }, async () => {
  const g = golden('bert-synth-seqcls');
  const m = await AutoModelForSequenceClassification.fromPretrained(fixture('bert-synth-seqcls'));
  const evalOut = logits(m, bertInputs(g));
  assert.ok(maxAbsDiff(evalOut, g.get('logits')!) < 1e-4);
  m.train();
  const a = logits(m, bertInputs(g));
  const b = logits(m, bertInputs(g));
  assert.ok(maxAbsDiff(a, b) > 1e-3, 'two training-mode passes differ');
  assert.ok(maxAbsDiff(a, evalOut) > 1e-3);
  m.eval();
  assert.equal(maxAbsDiff(logits(m, bertInputs(g)), evalOut), 0);
});

test('regression and multi-label losses match hand-computed values', { skip }, async () => {
  const g = golden('distilbert-synth-seqcls');
  const inputs = { inputIds: g.get('inputs.input_ids')!, attentionMask: g.get('inputs.attention_mask')! };
  // multi-label: labels shaped like the logits (nested arrays) -> BCE with logits.
  const ml = await AutoModelForSequenceClassification.fromPretrained(fixture('distilbert-synth-seqcls'));
  const targets = [[1, 0, 1], [0, 0, 1], [1, 1, 0]];
  const out = torch.noGrad(() => ml.forward({ ...inputs, labels: targets }));
  assert.equal(ml.config.problemType, 'multi_label_classification');
  const z = out.logits.toArray() as number[][];
  let bce = 0;
  z.forEach((row, i) => row.forEach((x, j) => {
    const y = targets[i]![j]!;
    const p = 1 / (1 + Math.exp(-x));
    bce += -(y * Math.log(p) + (1 - y) * Math.log(1 - p));
  }));
  assert.ok(Math.abs(out.loss!.item() - bce / 9) < 1e-5, `BCE ${out.loss!.item()} vs ${bce / 9}`);
  // single-label with integer tensor labels: CE, the golden loss.
  const sl = await AutoModelForSequenceClassification.fromPretrained(fixture('distilbert-synth-seqcls'));
  const o2 = torch.noGrad(() => sl.forward({ ...inputs, labels: g.get('inputs.labels')! }));
  assert.equal(sl.config.problemType, 'single_label_classification');
  assert.ok(Math.abs(o2.loss!.item() - g.get('loss')!.item()) < 1e-5);
  // regression: one label -> MSE against float targets; a new 1-output head, warned.
  const { result: reg, messages } = await logger.captureAsync(() => AutoModelForSequenceClassification.fromPretrained(fixture('distilbert-synth-seqcls'), { numLabels: 1, seed: 1 }));
  assert.equal(messages.length, 1);
  const y = [0.5, -1.25, 2];
  const o3 = torch.noGrad(() => reg.forward({ ...inputs, labels: y }));
  assert.equal(reg.config.problemType, 'regression');
  const p = (o3.logits.toArray() as number[][]).map((r) => r[0]!);
  const mse = p.reduce((s, v, i) => s + (v - y[i]!) ** 2, 0) / 3;
  assert.ok(Math.abs(o3.loss!.item() - mse) < 1e-5, `MSE ${o3.loss!.item()} vs ${mse}`);
});

test('token classification and masked LM heads: shapes, ignore -100, tied decoder', { skip }, async () => {
  const g = golden('roberta-synth-seqcls');
  const ids = g.get('inputs.input_ids')!;
  const mask = g.get('inputs.attention_mask')!;
  const { result: tok, messages } = await logger.captureAsync(() => AutoModelForTokenClassification.fromPretrained(fixture('roberta-synth-seqcls'), { numLabels: 4, seed: 3 }));
  assert.equal(tok.className, 'RobertaForTokenClassification');
  assert.equal(messages.length, 2, messages.join('\n---\n')); // classifier.dense/out_proj unused; classifier new
  const labels = (mask.toArray() as number[][]).map((row) => row.map((m, j) => (m === 1 ? j % 4 : -100)));
  const o = tok.forward({ inputIds: ids, attentionMask: mask, labels });
  assert.deepEqual(o.logits.shape, [3, 19, 4]);
  // Hand-computed CE over the non-ignored positions.
  const lg = o.logits.toArray() as number[][][];
  let sum = 0;
  let n = 0;
  labels.forEach((row, i) => row.forEach((y, j) => {
    if (y === -100) return;
    const z = lg[i]![j]!;
    const mx = Math.max(...z);
    const lse = mx + Math.log(z.reduce((s, v) => s + Math.exp(v - mx), 0));
    sum += lse - z[y]!;
    n++;
  }));
  assert.ok(Math.abs(o.loss!.item() - sum / n) < 1e-5);

  for (const fx of ['bert-synth-seqcls', 'roberta-synth-seqcls', 'distilbert-synth-seqcls']) {
    const { result: mlm, messages: mm } = await logger.captureAsync(() => AutoModelForMaskedLM.fromPretrained(fixture(fx), { seed: 4 }));
    assert.ok(mm.some((x) => x.includes('newly initialized')), `${fx}: MLM head is new`);
    const names = mlm.namedParameters().map(([k]) => k);
    assert.ok(!names.some((k) => k.includes('decoder.weight') || k === 'vocab_projector.weight'), `${fx}: decoder tied, not a parameter`);
    const gx = golden(fx);
    const ids2 = gx.get('inputs.input_ids')!;
    const lab = (ids2.toArray() as number[][]).map((r) => r.map((v, j) => (j === 1 ? v : -100)));
    const out = mlm.forward({ inputIds: ids2, attentionMask: gx.get('inputs.attention_mask')!, labels: lab });
    assert.deepEqual(out.logits.shape, [3, ids2.shape[1]!, mlm.config.vocabSize]);
    out.loss!.backward();
    const emb = mlm.namedParameters().find(([k]) => k.endsWith('embeddings.word_embeddings.weight'))![1];
    const grad = emb.grad!;
    // Rows of tokens that never occur in the input still get gradient through the tied decoder.
    const row = grad.select(0, mlm.config.vocabSize - 1);
    assert.ok(row.abs().sum().item() > 0, `${fx}: tied decoder feeds the embedding gradient`);
  }
});

test('bad inputs fail clearly', { skip }, async () => {
  const m = await AutoModelForSequenceClassification.fromPretrained(fixture('bert-synth-seqcls'));
  assert.throws(() => m.forward({ inputIds: [[2, 99999]] }), (e: unknown) => e instanceof LenguaError && e.field === 'input_ids');
  assert.throws(() => m.forward({ inputIds: [[2, 3]], attentionMask: [[1, 1, 1]] }), (e: unknown) => e instanceof LenguaError && e.field === 'attention_mask');
  assert.throws(() => m.forward({ inputIds: [[2, 3]], tokenTypeIds: [[0, 5]] }), (e: unknown) => e instanceof LenguaError && e.field === 'token_type_ids');
  assert.throws(() => m.forward({ inputIds: [new Array(65).fill(5)] }), /max_position_embeddings 64/);
  assert.throws(() => m.forward({ inputIds: [[2, 3], [4]] }), (e: unknown) => e instanceof LenguaError && e.field === 'input_ids');
  assert.throws(() => m.forward({ inputIds: [2, 3] }), (e: unknown) => e instanceof LenguaError && /\[batch, seq\]/.test(e.message));
  await assert.rejects(AutoModelForCausalLM.fromPretrained(fixture('bert-synth-seqcls')), /AutoModelForCausalLM does not support model_type bert/);
  await assert.rejects(AutoModelForSequenceClassification.fromPretrained(join(root!, 'no-such-model-folder')), LenguaError);
});

test('fromConfig builds transformers-initialised weights (seeded), plain arrays work as inputs', () => {
  const cfg = AutoConfig.forModel('gpt2', { n_embd: 16, n_head: 2, n_layer: 2, vocab_size: 50, n_positions: 32 });
  torch.manualSeed(0);
  const a = AutoModelForCausalLM.fromConfig(cfg, { seed: 11 });
  const b = AutoModelForCausalLM.fromConfig(cfg, { seed: 11 });
  const pa = new Map(a.namedParameters());
  const pb = new Map(b.namedParameters());
  for (const [k, t] of pa) assert.equal(maxAbsDiff(t, pb.get(k)!), 0, k);
  assert.equal(torch.tidy(() => pa.get('transformer.h.0.ln_1.weight')!.sub(1).abs().sum().item()), 0);
  const rms = (k: string) => torch.tidy(() => Math.sqrt(pa.get(k)!.pow(2).mean().item()));
  assert.ok(Math.abs(rms('transformer.h.0.mlp.c_fc.weight') - 0.02) < 0.004);
  assert.ok(Math.abs(rms('transformer.h.0.mlp.c_proj.weight') - 0.02 / Math.sqrt(4)) < 0.003, 'scaled residual init');
  assert.equal(a.training, true, 'like transformers, a model built from a config starts in train mode');
  a.eval();
  const out = torch.noGrad(() => a.forward({ inputIds: [[1, 2, 3]], attentionMask: [[1, 1, 1]] }));
  assert.deepEqual(out.logits.shape, [1, 3, 50]);
  // Causality: the logits at position 0 do not depend on later tokens.
  const out2 = torch.noGrad(() => a.forward({ inputIds: [[1, 7, 9]] }));
  assert.ok(maxAbsDiff(out.logits.select(1, 0), out2.logits.select(1, 0)) < 1e-6);
  const ids = greedyGenerate(a, [1, 2], { maxNewTokens: 3, eosTokenId: null });
  assert.equal(ids.length, 5);
  // A training step inside tidy leaves no tensor handle behind.
  a.train();
  const step = () => torch.tidy(() => a.forward({ inputIds: [[1, 2, 3, 4]], labels: [[1, 2, 3, 4]], outputHiddenStates: true }).loss!.backward());
  step();
  const live = torch.liveTensors();
  step();
  step();
  assert.equal(torch.liveTensors(), live);
});
