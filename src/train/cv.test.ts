import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { loadDataset, type Dataset } from '../data/index.js';
import { crossValidate, formatCvTable, onlyMetric, sampleStd } from './cv.js';
import { baselineRunner } from './baseline-runner.js';
import { argmax, poolDatasets, refuseTestFile, type TrialRunner } from './trial.js';

const SAMPLE = resolve(import.meta.dirname, '../../examples/data/tweets-sample.csv');
// Word n-grams only: the same model family at a fraction of the cost, so the folds train in well under a second.
const FAST = { charNgrams: null };

/** The real baseline, recording what each fold was given. */
function recording(): { runner: TrialRunner; seen: Array<{ train: Dataset; validation: Dataset }> } {
  const inner = baselineRunner();
  const seen: Array<{ train: Dataset; validation: Dataset }> = [];
  return {
    seen,
    runner: { ...inner, run: (config, data, hooks, opts) => (seen.push({ train: data.train, validation: data.validation }), inner.run(config, data, hooks, opts)) },
  };
}

const key = (e: { source: { file: string; line: number } }) => `${e.source.file}:${e.source.line}`;

test('k-fold CV trains k models; every example is validated exactly once; folds are stratified', async () => {
  const ds = loadDataset(SAMPLE);
  const { runner, seen } = recording();
  const r = await crossValidate(ds, { k: 4, seed: 3, runner, config: FAST });
  assert.equal(r.folds.length, 4);
  assert.equal(seen.length, 4);
  const validated = seen.flatMap((s) => s.validation.examples.map(key));
  assert.equal(validated.length, ds.examples.length);
  assert.equal(new Set(validated).size, ds.examples.length, 'no example validated twice');
  for (const s of seen) {
    // Train and validation of a fold are disjoint and together the whole pool.
    const v = new Set(s.validation.examples.map(key));
    assert.ok(s.train.examples.every((e) => !v.has(key(e))));
    assert.equal(s.train.examples.length + s.validation.examples.length, ds.examples.length);
  }
  // Per-label counts of any two folds' validation parts differ by at most one (the sample has no duplicate texts).
  for (const label of ds.labels.names) {
    const counts = r.folds.map((f) => f.validationLabels[label]!);
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `${label}: ${counts.join(', ')}`);
    assert.equal(counts.reduce((a, b) => a + b, 0), ds.examples.filter((e) => e.label === label).length);
  }
  // Fold sizes differ by at most one too.
  const sizes = r.folds.map((f) => f.nValidation);
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= ds.labels.size);
  // Mean and sample std are those of the per-fold values.
  const xs = r.folds.map((f) => f.metrics.eval_macro_f1!);
  assert.ok(Math.abs(r.mean.eval_macro_f1! - xs.reduce((a, b) => a + b) / 4) < 1e-12);
  assert.ok(Math.abs(r.std.eval_macro_f1! - sampleStd(xs)) < 1e-12);
  assert.equal(r.stdKind, 'sample (ddof=1)');
  // The baseline learns something on every fold (three balanced classes: chance is 1/3).
  assert.ok(xs.every((x) => x > 0.45), xs.join(', '));
  const table = formatCvTable(r);
  assert.match(table, /4-fold stratified cross-validation/);
  assert.match(table, /^mean /m);
  assert.match(table, /no test file was read/);
});

test('the same seed gives the same folds and metrics; another seed other folds', async () => {
  const ds = loadDataset(SAMPLE);
  const a = recording();
  const b = recording();
  const c = recording();
  const ra = await crossValidate(ds, { k: 3, seed: 11, runner: a.runner, config: FAST });
  const rb = await crossValidate(ds, { k: 3, seed: 11, runner: b.runner, config: FAST });
  await crossValidate(ds, { k: 3, seed: 12, runner: c.runner, config: FAST });
  const folds = (x: typeof a) => x.seen.map((s) => s.validation.examples.map(key).join('|'));
  assert.deepEqual(folds(a), folds(b));
  assert.notDeepEqual(folds(a), folds(c));
  assert.deepEqual(ra.folds.map((f) => f.metrics), rb.folds.map((f) => f.metrics));
});

test('out-of-fold probabilities: each example scored by the fold model that held it out', async () => {
  const ds = loadDataset(SAMPLE);
  const r = await crossValidate(ds, { k: 3, runner: baselineRunner(), config: FAST, outOfFold: true });
  const oof = r.outOfFold!;
  assert.equal(oof.length, ds.examples.length);
  assert.ok(oof.every((row) => row.length === 3 && Math.abs(row.reduce((a, b) => a + b) - 1) < 1e-9));
  // Pooled accuracy of the out-of-fold predictions is the size-weighted mean of the fold accuracies.
  const correct = oof.filter((row, i) => argmax(row) === ds.labels.encode(ds.examples[i]!.label as string)).length;
  const weighted = r.folds.reduce((a, f) => a + f.metrics.eval_accuracy! * f.nValidation, 0);
  assert.ok(Math.abs(correct - weighted) < 1e-9, `${correct} vs ${weighted}`);
});

test('sample standard deviation uses ddof=1', () => {
  assert.equal(sampleStd([1, 2, 3, 4]), Math.sqrt(5 / 3));
  assert.equal(sampleStd([5]), 0);
});

test('train and validation files pool into one CV set with one label set; test files are refused', () => {
  const ds = loadDataset(SAMPLE);
  const half = Math.floor(ds.examples.length / 2);
  const a = { ...ds, examples: ds.examples.slice(0, half).filter((e) => e.label !== 'positive'), path: 'a.csv' };
  const b = { ...ds, examples: ds.examples.slice(half), path: 'b.csv' };
  const pool = poolDatasets(a, b);
  assert.equal(pool.examples.length, a.examples.length + b.examples.length);
  assert.deepEqual(pool.labels.names, ['negative', 'neutral', 'positive']);
  for (const name of ['test.csv', 'data/tweets_test.jsonl', 'test_text.txt', 'sst2-test.tsv']) {
    assert.throws(() => refuseTestFile(name, 'train'), /refusing to use a test split/);
  }
  for (const name of ['train.csv', 'validation.csv', 'contest.csv', 'latest.jsonl']) refuseTestFile(name, 'train');
});

test('progress lines name the metric asked for, not the runner\'s default one', async () => {
  const ds = loadDataset(SAMPLE);
  const lines: string[] = [];
  const r = await crossValidate(ds, { k: 3, runner: baselineRunner(), config: FAST, metric: 'eval_macro_recall', log: (l) => lines.push(l) });
  // The baseline runner reports eval_macro_f1 in its own lines; with another metric asked for, none is shown.
  assert.ok(!lines.some((l) => l.includes('eval_macro_f1')), lines.join('\n'));
  assert.ok(lines.some((l) => /^ {2}step 1\/1: fit on \d+ examples$/.test(l)), lines.join('\n'));
  r.folds.forEach((f, i) => assert.ok(lines.includes(`fold ${i + 1}/3: eval_macro_recall ${f.metrics.eval_macro_recall!.toFixed(4)}`)));
  // Asked for eval_macro_f1, the runner's reading stays.
  const f1: string[] = [];
  await crossValidate(ds, { k: 2, runner: baselineRunner(), config: FAST, log: (l) => f1.push(l) });
  assert.ok(f1.some((l) => /step 1\/1: fit on \d+ examples, eval_macro_f1 0\.\d{4}$/.test(l)), f1.join('\n'));
});

test('onlyMetric drops other metrics\' readings and keeps the rest of the line', () => {
  const out: string[] = [];
  const log = onlyMetric((l) => out.push(l), 'eval_loss');
  log('  step 2/3: fit on 10 examples, eval_macro_f1 0.6139');
  log('  epoch 1: eval_loss 0.93, eval_accuracy 0.51, eval_mcc -0.02, 5 s');
  log('  trained 40 steps (2.00 epochs)');
  assert.deepEqual(out, ['  step 2/3: fit on 10 examples', '  epoch 1: eval_loss 0.93, 5 s', '  trained 40 steps (2.00 epochs)']);
});
