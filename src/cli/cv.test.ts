import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli, sampleTrainValidation } from './testing.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const { dir, train: TRAIN, validation: VALID, fastConfig: FAST } = sampleTrainValidation('lengua-cli-cv-');

const lengua = (...args: string[]) => runCli(args);

test('lengua cv pools train and eval, prints the per-fold table with mean and std, and says no test file was read', () => {
  const out = join(dir, 'cv');
  const r = lengua('cv', '--model', 'baseline:tfidf-logreg', '--train', TRAIN, '--eval', VALID, '--folds', '3', '--config', FAST, '--out', out, '--metric', 'eval_macro_recall');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /3-fold stratified cross-validation of baseline:tfidf-logreg .* \(345 examples, fold seed 42\)/);
  assert.match(r.stdout, /^fold\s+train\s+valid\s+macro_recall/m);
  assert.match(r.stdout, /^3\s+230\s+115\s/m);
  assert.match(r.stdout, /^std\s/m);
  assert.match(r.stdout, /ddof=1/);
  assert.match(r.stdout, /no test file was read/);
  const saved = JSON.parse(readFileSync(join(out, 'cv-results.json'), 'utf8')) as { folds: Array<{ nValidation: number }>; n: number; metric: string };
  assert.equal(saved.folds.reduce((a, f) => a + f.nValidation, 0), 345);
  assert.equal(saved.metric, 'eval_macro_recall');
  // The HTML report: out-of-fold headline numbers, a per-fold section, the split named.
  const html = readFileSync(join(out, 'cv-report.html'), 'utf8');
  assert.match(html, /id="cross-validation"/);
  assert.match(html, /cross-validation \(out-of-fold\)/);
  assert.match(html, /no test file was read/);
  // Progress names the metric asked for (the baseline's own line would say eval_macro_f1).
  assert.match(r.stderr, /^fold 1\/3: eval_macro_recall 0\.\d{4}$/m);
  assert.ok(!r.stderr.includes('eval_macro_f1'), r.stderr);
  // The report says lengua cv set the split, draws no learning curve, and leads the folds with the metric.
  assert.match(html, /class="banner">[^]*?\(set by lengua cv, not by the user or the file name: each of the 345 examples is predicted by the fold model that did not train on it\)/);
  assert.ok(!html.includes('stated by the user'));
  assert.match(html, /<section id="learning-curves"><h2>Learning curves<\/h2><p class="note">Not drawn: cross-validation trains 3 models/);
  assert.match(html, /<table class="cv"><tr><th>fold<\/th><th>eval_macro_recall<\/th>/);
});

test('lengua cv --json is deterministic with a seed', () => {
  const run = (seed: string) => JSON.parse(lengua('cv', '--model', 'baseline:tfidf-logreg', '--train', TRAIN, '--folds', '2', '--config', FAST, '--seed', seed, '--json').stdout) as { mean: Record<string, number>; folds: Array<{ metrics: Record<string, number> }> };
  const a = run('5');
  const b = run('5');
  assert.deepEqual(a.folds.map((f) => f.metrics.eval_macro_f1), b.folds.map((f) => f.metrics.eval_macro_f1));
  assert.equal(a.folds.length, 2);
});

test('lengua cv refuses test files, unknown config keys and transformer flags on the baseline', () => {
  const testFile = join(dir, 'test.csv');
  writeFileSync(testFile, readFileSync(VALID));
  let r = lengua('cv', '--model', 'baseline:tfidf-logreg', '--train', TRAIN, '--eval', testFile, '--folds', '3');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /test\.csv.*refusing to use a test split/);
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ C: 1, ngrams: [1, 2] }));
  r = lengua('cv', '--model', 'baseline:tfidf-logreg', '--train', TRAIN, '--config', bad);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /bad\.json, field "ngrams": unknown baseline hyperparameter/);
  r = lengua('cv', '--model', 'baseline:tfidf-logreg', '--train', TRAIN, '--learning-rate', '1e-4');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--learning-rate is a training argument of transformer models/);
  r = lengua('cv', '--model', 'baseline:tfidf-logreg', '--train', TRAIN, '--folds', '1');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /k must be an integer of at least 2/);
});
