import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadDataset, splitDataset } from '../data/index.js';
import { parseSearchSpace } from './search-space.js';
import { runSearch } from './search.js';
import { crossValidate } from './cv.js';
import { TRANSFORMER_KEYS, transformerRunner, trainingConfig } from './transformer-runner.js';
import { sharedLabels } from './trial.js';
import { goldenRoot } from '../testing/golden.js';

const SAMPLE = resolve(import.meta.dirname, '../../examples/data/tweets-sample.csv');
// The golden tiny BERT (2 layers, hidden 32) with a 3-label head: negative, neutral, positive.
const golden = goldenRoot();
const MODEL = join(golden ?? '', 'fixtures', 'bert-synth-seqcls');
const skip = golden === null ? 'golden references not found (../shared/golden or $LENGUA_GOLDEN)' : false;
const TINY = { numTrainEpochs: 2, perDeviceTrainBatchSize: 8, learningRate: 1e-3, maxLength: 32 };

function small() {
  const ds = loadDataset(SAMPLE);
  return { ...ds, examples: ds.examples.slice(0, 48) };
}

test('a transformer search: the Trainer reports each epoch to the pruner, the best is retrained and saved in the HF layout', { skip }, async () => {
  const { splits } = splitDataset(small(), { val: 0.25, test: 0, seed: 1 });
  const data = { train: splits.train!, validation: splits.validation!, labels: sharedLabels(splits.train!, splits.validation!) };
  const space = parseSearchSpace({ strategy: { values: ['full', 'head'] } }, { knownKeys: TRANSFORMER_KEYS });
  const out = mkdtempSync(join(tmpdir(), 'lengua-tsearch-'));
  const r = await runSearch({ space, method: 'grid', runner: transformerRunner(MODEL), data, baseConfig: TINY, outDir: out, pruner: 'median', metric: 'eval_loss' });
  assert.equal(r.direction, 'minimize');
  assert.equal(r.trials.length, 2);
  // Evaluation every epoch: two reports per unpruned trial, at epochs 1 and 2.
  assert.deepEqual(r.trials[0]!.history.map(([s]) => s), [1, 2]);
  assert.equal(r.trials[0]!.status, 'completed');
  for (const t of r.trials) {
    assert.ok(Number.isFinite(t.value) && t.value! > 0, `trial ${t.trial}: ${t.value}`);
    // A trial that got its whole budget is completed, whatever the pruner said at its last evaluation.
    if (t.status === 'pruned') assert.ok(t.step < 2, `trial ${t.trial} pruned at its last epoch`);
  }
  assert.ok(r.best !== null);
  const saved = join(out, 'best');
  assert.ok(existsSync(join(saved, 'model.safetensors')));
  const cfg = JSON.parse(readFileSync(join(saved, 'config.json'), 'utf8')) as { id2label: Record<string, string> };
  assert.deepEqual(Object.values(cfg.id2label), ['negative', 'neutral', 'positive']);
  const args = JSON.parse(readFileSync(join(saved, 'training_args.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(args.strategy, r.best.config.strategy);
  assert.equal(args.learning_rate, 1e-3);
  // Same configuration, same seed: the retrained model scores what its trial scored.
  assert.ok(Math.abs(r.best.retrained!.metrics.eval_loss! - r.best.value) < 1e-5);
});

test('transformer CV runs one Trainer per fold', { skip }, async () => {
  const r = await crossValidate(small(), { k: 2, runner: transformerRunner(MODEL), config: { ...TINY, numTrainEpochs: 1 } });
  assert.equal(r.folds.length, 2);
  assert.equal(r.folds[0]!.nValidation + r.folds[1]!.nValidation, 48);
  assert.ok(Number.isFinite(r.mean.eval_macro_f1) && Number.isFinite(r.std.eval_loss));
});

test('trial configurations accept transformers snake_case names and name a bad field', () => {
  assert.deepEqual(trainingConfig({ learning_rate: 2e-5, perDeviceTrainBatchSize: 16 }), { learningRate: 2e-5, perDeviceTrainBatchSize: 16 });
  assert.throws(() => trainingConfig({ learningRat: 1 }, 'space.json'), /space\.json, field "learningRat": unknown training argument/);
  assert.throws(() => trainingConfig({ strategy: 'partial' }), /strategy/);
  assert.throws(() => trainingConfig({ outputDir: '/tmp/x' }), /outputDir cannot be set for a trial/);
  assert.throws(() => trainingConfig({ resume_from_checkpoint: true }), /resumeFromCheckpoint cannot be set for a trial/);
});
