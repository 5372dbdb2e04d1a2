import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../torch/index.js';
import { F } from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { AutoModelForCausalLM, AutoModelForSequenceClassification, BertForSequenceClassification, type PreTrainedModel } from '../models/index.js';
import { goldenRoot } from '../testing/golden.js';
import { mulberry32 } from '../data/split.js';
import { collate, type EncodedDataset } from './data.js';
import { applyStrategy } from './strategy.js';
import { trainingArguments, type TrainingArguments } from './arguments.js';
import { FrozenLayerCache, createFrozenForward } from './frozen-cache.js';
import { Trainer } from './trainer.js';
import { tinySetup } from './testing/task.js';
import { ZERO_GRADIENT, assertSameTraining, logitsOf, weightsOf, type TrainedRun } from './testing/same-training.js';

const GOLDEN = goldenRoot();
const skip = GOLDEN === null ? 'no ../shared/golden' : false;
const fixture = (name: string) => join(GOLDEN ?? '/nonexistent', 'fixtures', name);
const TOL = 1e-5;

/** Random examples of lengths 2..maxLen (ids avoid the special/pad range), 3 labels. */
function randomDataset(n: number, vocab: number, seed: number, withTypes: boolean, pad: number, maxLen = 12): EncodedDataset {
  const rand = mulberry32(seed);
  const inputIds: number[][] = [];
  const tokenTypeIds: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const len = 2 + Math.floor(rand() * (maxLen - 1));
    inputIds.push(Array.from({ length: len }, () => 5 + Math.floor(rand() * (vocab - 5))));
    tokenTypeIds.push(Array.from({ length: len }, (_, j) => (withTypes && j >= len / 2 ? 1 : 0)));
    labels.push(Math.floor(rand() * 3));
  }
  return { inputIds, ...(withTypes ? { tokenTypeIds } : {}), labels, texts: inputIds.map(() => ''), lengths: inputIds.map((r) => r.length), padTokenId: pad };
}

function args(strategy: TrainingArguments['strategy'], freezeLayers?: number): TrainingArguments {
  return trainingArguments({ outputDir: '/nonexistent', strategy, ...(freezeLayers !== undefined ? { freezeLayers } : {}) });
}

/** Logits, loss and trainable gradients of one batch through `logits` (fresh grads). */
function run(model: PreTrainedModel, trainable: Tensor[], b: ReturnType<typeof collate>, logitsOf: () => Tensor): { logits: Float32Array; loss: number; grads: Float32Array[] } {
  for (const p of trainable) p.setGrad(null);
  return torch.tidy(() => {
    const logits = logitsOf();
    const loss = F.crossEntropy(logits, b.labels);
    loss.backward();
    return { logits: logits.detach().data() as Float32Array, loss: loss.item(), grads: trainable.map((p) => p.grad!.data() as Float32Array) };
  });
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const CASES = [
  { name: 'bert-synth-seqcls', types: true, pad: 0, vocab: 1124 },
  { name: 'distilbert-synth-seqcls', types: false, pad: 0, vocab: 1124 },
  { name: 'roberta-synth-seqcls', types: false, pad: 1, vocab: 1028 },
] as const;

test('cached path equals the uncached forward (logits, loss, trainable gradients) for every kind of cache', { skip }, async () => {
  for (const c of CASES) {
    for (const [strategy, k, kind] of [['freeze', 1, 'hidden'], ['freeze', 2, 'first-token'], ['head', undefined, c.name.startsWith('bert') ? 'pooled' : 'first-token']] as const) {
      const model = await AutoModelForSequenceClassification.fromPretrained(fixture(c.name));
      const st = applyStrategy(model, args(strategy, k));
      const trainable = st.groups.flatMap((g) => g.params);
      const ds = randomDataset(20, c.vocab, 3, c.types, c.pad);
      const ff = createFrozenForward({ model, frozenLayers: st.frozenLayers, withTokenTypes: c.types })!;
      assert.ok(ff instanceof FrozenLayerCache);
      assert.equal(ff.kind, kind, `${c.name} ${strategy}`);
      // Reference: the plain forward with dropout off everywhere (the cache's frozen bottom is always eval-mode).
      model.eval();
      let worst = 0;
      for (const idx of [[0, 1, 2, 3, 4, 5, 6], [19, 7, 11], [8, 9, 10, 12, 13, 14, 15, 16, 17, 18]]) {
        const b = collate(ds, idx, { padTokenId: c.pad, withTokenTypes: c.types, multiLabel: false });
        const ref = run(model, trainable, b, () => (model.forward({ inputIds: b.inputIds, attentionMask: b.attentionMask, ...(b.tokenTypeIds ? { tokenTypeIds: b.tokenTypeIds } : {}) }) as { logits: Tensor }).logits);
        // Twice: the first call builds the cache (whole dataset), the second is served from it.
        for (let rep = 0; rep < 2; rep++) {
          const got = run(model, trainable, b, () => ff.logits(ds, idx, b, false));
          const d = Math.max(maxDiff(ref.logits, got.logits), Math.abs(ref.loss - got.loss), ...ref.grads.map((g, i) => maxDiff(g, got.grads[i]!)));
          worst = Math.max(worst, d);
          assert.ok(d <= TOL, `${c.name} ${strategy} k=${k}: max diff ${d}`);
        }
      }
      const s = ff.stats();
      assert.equal(s.cachedExamples, 20);
      assert.ok(s.hitBatches >= 6, `hits ${s.hitBatches}`);
      console.log(`# ${c.name} ${strategy}${k !== undefined ? ` k=${k}` : ''} (${kind}): max |cached - uncached| over logits, loss, grads = ${worst.toExponential(2)}; ${s.bytes} bytes for 20 examples`);
      ff.dispose();
      model.dispose();
    }
  }
});

test('with dropout on in the trainable top, the cached path equals the bound-0 recompute path for the same seed', { skip }, async () => {
  const model = await AutoModelForSequenceClassification.fromPretrained(fixture('bert-synth-seqcls'));
  const st = applyStrategy(model, args('freeze', 1));
  const trainable = st.groups.flatMap((g) => g.params);
  const ds = randomDataset(16, 1124, 5, true, 0);
  const cached = new FrozenLayerCache(model, 1, { withTokenTypes: true });
  const none = new FrozenLayerCache(model, 1, { withTokenTypes: true, maxBytes: 0 });
  model.train();
  const idx = [3, 1, 4, 15, 9, 2, 6, 5];
  const b = collate(ds, idx, { padTokenId: 0, withTokenTypes: true, multiLabel: false });
  torch.manualSeed(11);
  const a = run(model, trainable, b, () => cached.logits(ds, idx, b, true)); // builds
  torch.manualSeed(11);
  const a2 = run(model, trainable, b, () => cached.logits(ds, idx, b, true)); // from the cache
  torch.manualSeed(11);
  const r = run(model, trainable, b, () => none.logits(ds, idx, b, true));
  torch.manualSeed(12);
  const other = run(model, trainable, b, () => none.logits(ds, idx, b, true));
  for (const x of [a, a2]) {
    assert.ok(maxDiff(x.logits, r.logits) <= TOL);
    x.grads.forEach((g, i) => assert.ok(maxDiff(g, r.grads[i]!) <= TOL));
  }
  assert.ok(maxDiff(other.logits, r.logits) > 1e-4, 'dropout in the top must be live in training');
  assert.equal(none.stats().cachedExamples, 0);
  assert.equal(none.stats().uncachedExamples, 16);
  const bert = model as BertForSequenceClassification;
  assert.ok(bert.body.embeddings.training && bert.body.encoder.layer.items[0]!.training, 'modes restored after the frozen bottom ran');
  cached.dispose();
  none.dispose();
  model.dispose();
});

test('the memory bound: entries stop at maxBytes, the rest is recomputed with the same results', { skip }, async () => {
  const model = await AutoModelForSequenceClassification.fromPretrained(fixture('distilbert-synth-seqcls'));
  applyStrategy(model, args('freeze', 1));
  model.eval();
  const ds = randomDataset(30, 1124, 9, false, 0);
  const hidden = (model.config as unknown as { dim: number }).dim;
  const total = ds.lengths.reduce((s, l) => s + l, 0) * hidden * 4;
  const bound = Math.floor(total / 3);
  const small = new FrozenLayerCache(model, 1, { withTokenTypes: false, maxBytes: bound });
  const big = new FrozenLayerCache(model, 1, { withTokenTypes: false });
  const all = Array.from({ length: 30 }, (_, i) => i);
  for (let s = 0; s < 30; s += 6) {
    const idx = all.slice(s, s + 6);
    const b = collate(ds, idx, { padTokenId: 0, withTokenTypes: false, multiLabel: false });
    const x = torch.tidy(() => small.logits(ds, idx, b, false).data() as Float32Array);
    const y = torch.tidy(() => big.logits(ds, idx, b, false).data() as Float32Array);
    assert.ok(maxDiff(x, y) <= TOL);
  }
  const s = small.stats();
  assert.ok(s.bytes <= bound, `${s.bytes} > ${bound}`);
  assert.ok(s.cachedExamples > 0 && s.uncachedExamples > 0 && s.cachedExamples + s.uncachedExamples === 30, JSON.stringify(s));
  assert.ok(s.missBatches > 0);
  assert.equal(big.stats().bytes, total, 'unpadded float32 rows: sum of lengths x hidden x 4 bytes');
  small.dispose();
  big.dispose();
  model.dispose();
});

test('stale entries are detected; unsupported models and unfrozen bottoms are declined', { skip }, async () => {
  const model = await AutoModelForSequenceClassification.fromPretrained(fixture('bert-synth-seqcls'));
  // Nothing frozen yet: the bottom requires gradients.
  assert.throws(() => new FrozenLayerCache(model, 1, { withTokenTypes: true }), /frozen \(requiresGrad false\)/);
  applyStrategy(model, args('freeze', 1));
  assert.equal(createFrozenForward({ model, frozenLayers: 0, withTokenTypes: true }), null);
  assert.throws(() => new FrozenLayerCache(model, 3, { withTokenTypes: true }), /frozenLayers must be an integer in \[1, 2\]/);
  assert.throws(() => new FrozenLayerCache(model, 1, { withTokenTypes: true, maxBytes: -1 }), /cacheMaxBytes/);
  const ff = new FrozenLayerCache(model, 1, { withTokenTypes: true });
  ff.verify();
  torch.noGrad(() => (model as BertForSequenceClassification).body.embeddings.word_embeddings.weight.add_(torch.ones([1]).mul(1e-3)));
  assert.throws(() => ff.verify(), /frozen weights changed/);
  assert.throws(() => ff.build(randomDataset(4, 1124, 1, true, 0)), /frozen weights changed/);
  ff.dispose();
  model.dispose();
  const gpt2 = await AutoModelForCausalLM.fromPretrained(join(GOLDEN ?? '/nonexistent', 'fixtures', 'gpt2-tiny'));
  assert.equal(createFrozenForward({ model: gpt2, frozenLayers: 1, withTokenTypes: false }), null);
  gpt2.dispose();
});

test('Trainer: freeze with cacheFrozen true vs false (dropout off) trains the same model; frozen weights bit-identical', { skip }, async () => {
  const lr = 1e-3;
  const results: Array<TrainedRun & { epochMs: number[]; frozen: string[]; steps: number }> = [];
  for (const cacheFrozen of [false, true]) {
    const out = mkdtempSync(join(tmpdir(), 'lengua-frozen-'));
    try {
      const s = await tinySetup(240, 30);
      const epochMs: number[] = [];
      let t = performance.now();
      const trainer = new Trainer({
        model: s.model, trainDataset: s.train, evalDataset: s.eval, tokenizer: s.tokenizer,
        args: trainingArguments({
          outputDir: out, strategy: 'freeze', freezeLayers: 1, numTrainEpochs: 3, learningRate: lr, perDeviceTrainBatchSize: 16,
          hiddenDropoutProb: 0, attentionProbsDropoutProb: 0, classifierDropout: 0, cacheFrozen, evalStrategy: 'epoch', saveStrategy: 'no', quiet: true,
        }),
        callbacks: [{ onEpochEnd: () => { const n = performance.now(); epochMs.push(n - t); t = n; } }],
      });
      const before = FrozenLayerCache.created;
      const r = await trainer.train();
      assert.equal(FrozenLayerCache.created - before, cacheFrozen ? 1 : 0, 'the Trainer found and used the cache');
      // What a user relies on: the trained model's predictions, computed by the plain forward in both cases.
      results.push({ weights: weightsOf(s.model), logits: logitsOf(s.model, s.eval), epochMs, frozen: trainer.strategy!.frozen, steps: r.globalStep });
      s.model.dispose();
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
  const [plain, cached] = results as [typeof results[0], typeof results[0]];
  assert.equal(plain.steps, cached.steps);
  assert.equal([...plain.weights.keys()].filter((k) => !plain.frozen.includes(k) && ZERO_GRADIENT.test(k)).length, 1, 'the trainable top layer has one key bias');
  // Both paths are the same maths in another order: equal up to float32 rounding, frozen weights exactly.
  const d = assertSameTraining(plain, cached, { maxLr: lr, steps: plain.steps, frozen: plain.frozen });
  console.log(`# Trainer freeze k=1, tiny BERT, 240 examples: epoch ms without cache ${plain.epochMs.map((x) => x.toFixed(0)).join(', ')}; with cache ${cached.epochMs.map((x) => x.toFixed(0)).join(', ')}; max trainable weight diff ${d.weights.toExponential(2)}, key bias ${d.zeroGradient.toExponential(2)}, validation logits ${d.logits.toExponential(2)}`);
});

test('bfloat16 storage halves the bytes and equals rounding the frozen output to bfloat16', { skip }, async () => {
  const model = await AutoModelForSequenceClassification.fromPretrained(fixture('bert-synth-seqcls'));
  applyStrategy(model, args('freeze', 1));
  model.eval();
  const ds = randomDataset(12, 1124, 4, true, 0);
  const f32 = new FrozenLayerCache(model, 1, { withTokenTypes: true });
  const bf16 = new FrozenLayerCache(model, 1, { withTokenTypes: true, storeDtype: 'bfloat16' });
  const idx = Array.from({ length: 12 }, (_, i) => i);
  const b = collate(ds, idx, { padTokenId: 0, withTokenTypes: true, multiLabel: false });
  const x = torch.tidy(() => f32.logits(ds, idx, b, false).data() as Float32Array);
  const y = torch.tidy(() => bf16.logits(ds, idx, b, false).data() as Float32Array);
  // The same maths by hand: the frozen bottom's output rounded to bfloat16 and back, then the top.
  // bf16 storage must change nothing else, so the two agree as closely as the f32 cache agrees with
  // the plain forward (TOL); how far bf16 is from f32 is a property of the model, only reported.
  const z = torch.noGrad(() => torch.tidy(() => {
    const split = model.splitAt(1)!;
    const h = split.bottom({ inputIds: b.inputIds, attentionMask: b.attentionMask, tokenTypeIds: b.tokenTypeIds! });
    return split.top(h.to('bfloat16').to('float32'), b.attentionMask).logits.data() as Float32Array;
  }));
  assert.equal(bf16.stats().bytes * 2, f32.stats().bytes);
  assert.ok(maxDiff(y, z) <= TOL, `bf16 cache vs rounding by hand: ${maxDiff(y, z)}`);
  const d = maxDiff(x, y);
  assert.ok(d > 0, 'bf16 storage rounds');
  console.log(`# bf16 cache storage on tiny BERT: max |logits bf16 - f32| = ${d.toExponential(2)}`);
  f32.dispose();
  bf16.dispose();
  model.dispose();
});
