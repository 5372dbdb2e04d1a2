import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../torch/index.js';
import { readSafetensors } from '../hub/safetensors.js';
import { Trainer, encodeTexts, trainingArguments, type TrainingArguments, type TrainerCallback } from './index.js';
import { mulberry32 } from '../data/index.js';
import { GOLDEN, tinySetup } from './testing/task.js';
import { assertSameTraining, logitsOf, weightsOf } from './testing/same-training.js';

torch.setNumThreads(1);
const skip = GOLDEN === null ? 'no ../shared/golden' : false;

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'lengua-train-'));
}

function weights(model: { namedParameters(): Array<[string, torch.Tensor]> }): Map<string, Buffer> {
  return new Map(model.namedParameters().map(([n, t]) => [n, Buffer.from(t.toBytes())]));
}

const base = (outputDir: string, over: Partial<TrainingArguments> = {}): TrainingArguments =>
  trainingArguments({ outputDir, learningRate: 1e-3, numTrainEpochs: 4, perDeviceTrainBatchSize: 16, perDeviceEvalBatchSize: 32, loggingSteps: 5, saveStrategy: 'no', quiet: true, ...over });

test('fine-tuning the tiny golden BERT on a keyword task beats the majority baseline and the loss falls', { skip }, async () => {
  const out = tmp();
  try {
    const s = await tinySetup();
    const counts = [0, 0, 0];
    for (const y of s.eval.labels as number[]) counts[y]!++;
    const majority = Math.max(...counts) / s.eval.labels.length;
    const trainer = new Trainer({ model: s.model, args: base(out, { evalStrategy: 'epoch' }), trainDataset: s.train, evalDataset: s.eval, tokenizer: s.tokenizer });
    const before = await trainer.evaluate();
    const r = await trainer.train();
    const after = await trainer.evaluate();
    assert.equal(r.globalStep, 4 * Math.ceil(240 / 16));
    assert.ok(after.eval_accuracy! >= majority + 0.3, `accuracy ${after.eval_accuracy} vs majority ${majority}`);
    assert.ok(after.eval_loss! < before.eval_loss! - 0.2, `eval loss ${before.eval_loss} -> ${after.eval_loss}`);
    // The logged training loss curve goes down: mean of the last three entries below the first three.
    const losses = trainer.state.logHistory.filter((e) => e.loss !== undefined).map((e) => e.loss!);
    assert.ok(losses.length >= 8);
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.ok(mean(losses.slice(-3)) < mean(losses.slice(0, 3)) - 0.1, `losses ${losses.join(', ')}`);
    // The JSONL log holds every logged entry with HF's keys.
    const lines = readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    assert.ok(lines.some((e) => e.loss !== undefined && e.learning_rate !== undefined && e.epoch !== undefined && e.step !== undefined));
    // A fresh train() starts the log: the 4 epoch evaluations and the one after training.
    assert.equal(lines.filter((e) => e.eval_accuracy !== undefined).length, 4 + 1);
    assert.ok(lines.some((e) => e.train_loss !== undefined));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('same seed, same weights bit for bit (same process, so same threads and kernel); another seed, other weights', { skip }, async () => {
  const run = async (seed: number): Promise<Map<string, Buffer>> => {
    const out = tmp();
    try {
      const s = await tinySetup(64, 8);
      await new Trainer({ model: s.model, args: base(out, { seed, numTrainEpochs: 1, groupByLength: true }), trainDataset: s.train }).train();
      return weights(s.model);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  };
  const a = await run(1);
  const b = await run(1);
  const c = await run(2);
  for (const [k, v] of a) assert.ok(v.equals(b.get(k)!), `${k} differs between identical runs`);
  assert.ok([...a].some(([k, v]) => !v.equals(c.get(k)!)), 'another seed gave the same weights');
});

test('head and freeze keep frozen weights bit-identical and train the rest', { skip }, async () => {
  for (const [strategy, freezeLayers] of [['head', undefined], ['freeze', 1]] as const) {
    const out = tmp();
    try {
      const s = await tinySetup(48, 8);
      const before = weights(s.model);
      const trainer = new Trainer({
        model: s.model,
        args: base(out, { strategy, numTrainEpochs: 1, ...(freezeLayers !== undefined ? { freezeLayers } : {}) }),
        trainDataset: s.train,
      });
      await trainer.train();
      const after = weights(s.model);
      const frozen = new Set(trainer.strategy!.frozen);
      for (const [k, v] of before) {
        const changed = !v.equals(after.get(k)!);
        const isFrozen = strategy === 'head' ? k.startsWith('bert.') : k.startsWith('bert.embeddings.') || k.startsWith('bert.encoder.layer.0.');
        assert.equal(frozen.has(k), isFrozen, `${strategy}: ${k} frozen?`);
        if (isFrozen) assert.ok(!changed, `${strategy}: frozen ${k} changed`);
        else if (!k.endsWith('LayerNorm.bias')) assert.ok(changed, `${strategy}: trainable ${k} did not change`);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
});

test('checkpoints: HF layout, no pickle, saveTotalLimit rotation keeps the best, early stopping restores the best model', { skip }, async () => {
  const out = tmp();
  try {
    const s = await tinySetup(64, 16);
    // A scripted metric (a user computeMetrics) makes the best evaluation known: the 2nd of 5.
    const script = [0.5, 0.9, 0.6, 0.55, 0.4, 0.3];
    let calls = 0;
    const seen: number[] = [];
    const spy: TrainerCallback = { onEvaluate: (st) => void seen.push(st.globalStep) };
    const args = base(out, {
      numTrainEpochs: 10, evalStrategy: 'steps', evalSteps: 2, saveStrategy: 'steps', saveSteps: 2, saveTotalLimit: 2,
      loadBestModelAtEnd: true, metricForBestModel: 'score', earlyStoppingPatience: 3, loggingSteps: 2,
    });
    const trainer = new Trainer({ model: s.model, args, trainDataset: s.train, evalDataset: s.eval, tokenizer: s.tokenizer, computeMetrics: () => ({ score: script[calls++]! }), callbacks: [spy] });
    const r = await trainer.train();
    // Stops after 3 evaluations without improvement on the best (step 4): evaluations at 2,4,6,8,10.
    assert.deepEqual(seen, [2, 4, 6, 8, 10]);
    assert.equal(r.globalStep, 10);
    assert.equal(trainer.state.bestMetric, 0.9);
    assert.equal(trainer.state.bestModelCheckpoint, join(out, 'checkpoint-4'));
    // Rotation: limit 2 keeps the newest and the best.
    assert.deepEqual(readdirSync(out).filter((d) => d.startsWith('checkpoint-')).sort(), ['checkpoint-10', 'checkpoint-4']);
    const ck = join(out, 'checkpoint-10');
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'optimizer.safetensors', 'optimizer.json', 'scheduler.json', 'rng_state.json', 'trainer_state.json', 'training_args.json']) {
      assert.ok(existsSync(join(ck, f)), `checkpoint lacks ${f}`);
    }
    assert.ok(!readdirSync(ck).some((f) => /\.(bin|pt|pth|pkl)$/.test(f)));
    const ts = JSON.parse(readFileSync(join(ck, 'trainer_state.json'), 'utf8')) as Record<string, unknown>;
    for (const k of ['global_step', 'epoch', 'log_history', 'best_metric', 'best_model_checkpoint']) assert.ok(k in ts, `trainer_state.json lacks ${k}`);
    const targs = JSON.parse(readFileSync(join(ck, 'training_args.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(targs.learning_rate, 1e-3);
    assert.equal(targs.save_total_limit, 2);
    // The optimizer moments are in safetensors, one pair per trained parameter.
    const opt = readSafetensors(join(ck, 'optimizer.safetensors'));
    assert.equal(opt.tensors.size, 2 * s.model.namedParameters().length);
    // Best-model restore: the model now holds exactly checkpoint-4's weights.
    const best = readSafetensors(join(out, 'checkpoint-4', 'model.safetensors'));
    for (const [name, t] of s.model.namedParameters()) assert.ok(Buffer.from(t.toBytes()).equals(Buffer.from(best.tensors.get(name)!.data)), `${name} is not the best checkpoint's`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('resuming from a checkpoint in-process ends with the same weights, bit for bit, as one uninterrupted run on the same thread count', { skip }, async () => {
  const outA = tmp();
  const outB = tmp();
  try {
    const over: Partial<TrainingArguments> = { numTrainEpochs: 6, gradientAccumulationSteps: 2, warmupRatio: 0.2, weightDecay: 0.01, saveStrategy: 'steps', saveSteps: 3, evalStrategy: 'epoch' };
    const a = await tinySetup(64, 16);
    await new Trainer({ model: a.model, args: base(outA, over), trainDataset: a.train, evalDataset: a.eval }).train();
    // Interrupted run: stop after the first checkpoint, then a fresh model and Trainer resume.
    const b1 = await tinySetup(64, 16);
    const stopper: TrainerCallback = { onStepEnd: (st) => ({ shouldStop: st.globalStep >= 4 }) };
    await new Trainer({ model: b1.model, args: base(outB, over), trainDataset: b1.train, evalDataset: b1.eval, callbacks: [stopper] }).train();
    assert.deepEqual(readdirSync(outB).filter((d) => d.startsWith('checkpoint-')), ['checkpoint-3']);
    const b2 = await tinySetup(64, 16);
    const t2 = new Trainer({ model: b2.model, args: base(outB, over), trainDataset: b2.train, evalDataset: b2.eval });
    const r = await t2.train({ resumeFromCheckpoint: true });
    assert.equal(r.globalStep, 12);
    const wa = weights(a.model);
    for (const [k, v] of weights(b2.model)) assert.ok(v.equals(wa.get(k)!), `${k} differs after resume`);
  } finally {
    rmSync(outA, { recursive: true, force: true });
    rmSync(outB, { recursive: true, force: true });
  }
});

test('resuming with another thread count trains the same model up to float32 rounding', { skip }, async () => {
  // Bit identity (the test above, resume.test.ts) needs the same thread count and BLAS kernel: both
  // decide the order of float additions. A run resumed on another machine still trains the same model.
  const outA = tmp();
  const outB = tmp();
  try {
    const over: Partial<TrainingArguments> = { numTrainEpochs: 4, warmupRatio: 0.2, weightDecay: 0.01, saveStrategy: 'steps', saveSteps: 4 };
    torch.setNumThreads(2);
    const a = await tinySetup(64, 16);
    const ra = await new Trainer({ model: a.model, args: base(outA, over), trainDataset: a.train }).train();
    torch.setNumThreads(1);
    const b1 = await tinySetup(64, 16);
    const stopper: TrainerCallback = { onStepEnd: (st) => ({ shouldStop: st.globalStep >= 4 }) };
    await new Trainer({ model: b1.model, args: base(outB, over), trainDataset: b1.train, callbacks: [stopper] }).train();
    torch.setNumThreads(2);
    const b2 = await tinySetup(64, 16);
    const rb = await new Trainer({ model: b2.model, args: base(outB, over), trainDataset: b2.train }).train({ resumeFromCheckpoint: true });
    assert.equal(rb.globalStep, ra.globalStep);
    const d = assertSameTraining(
      { weights: weightsOf(a.model), logits: logitsOf(a.model, a.eval) },
      { weights: weightsOf(b2.model), logits: logitsOf(b2.model, b2.eval) },
      { maxLr: 1e-3, steps: ra.globalStep },
    );
    console.log(`# resume 2 threads -> 1 -> 2 vs 2 throughout: weights ${d.weights.toExponential(2)}, key bias ${d.zeroGradient.toExponential(2)}, logits ${d.logits.toExponential(2)}`);
  } finally {
    torch.setNumThreads(1);
    rmSync(outA, { recursive: true, force: true });
    rmSync(outB, { recursive: true, force: true });
  }
});

test('multi-label data trains with BCE and reports subset accuracy and F1', { skip }, async () => {
  const out = tmp();
  try {
    const s = await tinySetup(8, 8);
    const make = (n: number, seed: number): { texts: string[]; labels: number[][] } => {
      const rand = mulberry32(seed);
      const texts: string[] = [];
      const labels: number[][] = [];
      for (let i = 0; i < n; i++) {
        const row = [0, 1, 2].map(() => (rand() < 0.5 ? 1 : 0));
        const toks = Array.from({ length: 4 }, () => 'abcdefgh'[Math.floor(rand() * 8)]!);
        row.forEach((v, j) => v && toks.splice(Math.floor(rand() * (toks.length + 1)), 0, 'xyz'[j]!));
        texts.push(toks.join(' '));
        labels.push(row);
      }
      return { texts, labels };
    };
    const train = encodeTexts(make(320, 1), s.tokenizer, 32);
    const dev = encodeTexts(make(80, 2), s.tokenizer, 32);
    const trainer = new Trainer({ model: s.model, args: base(out, { numTrainEpochs: 8, learningRate: 2e-3 }), trainDataset: train, evalDataset: dev });
    await trainer.train();
    const m = await trainer.evaluate();
    assert.equal(s.model.config.problemType, 'multi_label_classification');
    // Chance for an exact 3-label match is 1/8.
    assert.ok(m.eval_accuracy! > 0.6, `subset accuracy ${m.eval_accuracy}`);
    assert.ok(m.eval_micro_f1! > 0.8, `micro F1 ${m.eval_micro_f1}`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
