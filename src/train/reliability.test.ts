// The Trainer never loses a finished run, never saves NaN weights, and refuses data it cannot learn
// from (issue 9, items 1, 3 and 4), on the tiny golden BERT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../torch/index.js';
import { LenguaError } from '../errors.js';
import { entryToFloat32, readSafetensors } from '../hub/safetensors.js';
import { Trainer, trainingArguments, type TrainingArguments } from './index.js';
import { GOLDEN, tinySetup } from './testing/task.js';

torch.setNumThreads(1);
const skip = GOLDEN === null ? 'no ../shared/golden' : false;

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'lengua-reliability-'));
}

const args = (outputDir: string, over: Partial<TrainingArguments> = {}): TrainingArguments =>
  trainingArguments({ outputDir, learningRate: 1e-3, maxSteps: 4, perDeviceTrainBatchSize: 16, loggingSteps: 1, saveStrategy: 'steps', saveSteps: 2, quiet: true, ...over });

test('a learning rate that diverges: updates with NaN/Inf are skipped, the run stops with an error, no NaN weights are saved', { skip }, async () => {
  const out = tmp();
  try {
    const s = await tinySetup();
    const trainer = new Trainer({ model: s.model, args: args(out, { learningRate: 1e10, maxSteps: 30 }), trainDataset: s.train, tokenizer: s.tokenizer });
    await assert.rejects(trainer.train(), (err: Error) => {
      assert.ok(err instanceof LenguaError);
      assert.match(err.message, /training diverged at step \d+: the loss or gradient was NaN\/Inf 3 steps in a row/);
      assert.match(err.message, /learning rate \(it is 10000000000\)/);
      return true;
    });
    const log = readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    assert.equal(log.filter((e) => e.nonfinite_step === 1).length, 3, 'each skipped step is logged');
    // Whatever was saved holds finite weights only; the final model was not saved.
    assert.ok(!existsSync(join(out, 'model.safetensors')));
    for (const ck of readdirSync(out).filter((n) => n.startsWith('checkpoint-'))) {
      for (const [name, e] of readSafetensors(join(out, ck, 'model.safetensors')).tensors) {
        const v = entryToFloat32(e);
        assert.ok(v.every(Number.isFinite), `${ck}/${name} is finite`);
      }
    }
    // The weights in memory are still finite (skipped steps never touched them), but saving is refused
    // once a weight is not: set one to NaN by hand.
    const [name, p] = s.model.namedParameters()[0]!;
    torch.noGrad(() => p.fill_(Number.NaN));
    await assert.rejects(trainer.saveModel(join(out, 'final')), new RegExp(`weight ${name.replace(/\./g, '\\.')} holds NaN: not saving`));
    assert.ok(!existsSync(join(out, 'final', 'model.safetensors')));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('with a larger nonFinitePatience the run goes on past skipped steps and counts them', { skip }, async () => {
  const out = tmp();
  try {
    const s = await tinySetup();
    const trainer = new Trainer({ model: s.model, args: args(out, { learningRate: 1e10, maxSteps: 6, nonFinitePatience: 100, saveStrategy: 'no' }), trainDataset: s.train, tokenizer: s.tokenizer });
    const r = await trainer.train();
    assert.ok(r.metrics.train_nonfinite_steps! >= 1 && r.metrics.train_nonfinite_steps! <= 6, JSON.stringify(r.metrics));
    assert.ok(Number.isFinite(r.trainingLoss), 'the training loss averages the finite steps only');
    for (const [n, p] of s.model.namedParameters()) assert.ok(Number.isFinite(p.abs().amax().item()), `${n} finite`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('training into a folder that holds a finished run is refused; overwriteOutputDir replaces it, resuming continues it', { skip }, async () => {
  const out = tmp();
  try {
    const s = await tinySetup(64, 8);
    const first = new Trainer({ model: s.model, args: args(out), trainDataset: s.train, tokenizer: s.tokenizer });
    await first.train();
    await first.saveModel();
    const saved = readFileSync(join(out, 'model.safetensors'));
    writeFileSync(join(out, 'notes.md'), 'mine');

    const again = await tinySetup(64, 8);
    const second = new Trainer({ model: again.model, args: args(out, { seed: 7 }), trainDataset: again.train, tokenizer: again.tokenizer });
    await assert.rejects(second.train(), /output folder .* is not empty .*holds a trained model.*overwriteOutputDir: true/);
    assert.deepEqual(readFileSync(join(out, 'model.safetensors')), saved, 'the finished run is untouched');

    const resumed = new Trainer({ model: again.model, args: args(out, { maxSteps: 6 }), trainDataset: again.train, tokenizer: again.tokenizer });
    assert.equal((await resumed.train({ resumeFromCheckpoint: true })).globalStep, 6);

    const replaced = new Trainer({ model: again.model, args: args(out, { overwriteOutputDir: true, saveStrategy: 'no' }), trainDataset: again.train, tokenizer: again.tokenizer });
    await replaced.train();
    assert.deepEqual(readdirSync(out).filter((n) => !n.startsWith('.')).sort(), ['log.jsonl', 'notes.md'], 'the old checkpoints and model are gone, other files stay');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('a classifier is not trained on one class: the error names the label', { skip }, async () => {
  const s = await tinySetup(32, 8);
  const oneClass = { ...s.train, labels: s.train.labels.map(() => 2) };
  assert.throws(
    () => new Trainer({ model: s.model, args: args(tmp()), trainDataset: oneClass, id2label: { 0: 'neg', 1: 'neu', 2: 'pos' } }),
    /need at least 2 labels to train a classifier; every training example has label "pos"/,
  );
});
