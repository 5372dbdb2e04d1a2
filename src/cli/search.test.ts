import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli, sampleTrainValidation } from './testing.js';
import { golden } from '../testing/golden.js';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const { dir, train: TRAIN, validation: VALID, fastConfig: FAST } = sampleTrainValidation('lengua-cli-search-');

const lengua = (...args: string[]) => runCli(args);

interface Results {
  trials: Array<{ trial: number; status: string; value: number | null; step: number; config: Record<string, unknown> }>;
  best: { trial: number; config: Record<string, unknown>; value: number } | null;
  pruner: string;
}

test('lengua search (grid, halving) prints the table, writes JSON and CSV, and saves the retrained best model', () => {
  const space = join(dir, 'space.yaml');
  writeFileSync(space, 'C:\n  values: [0.01, 1, 10]\nsublinearTf:\n  values: [true, false]\n');
  const out = join(dir, 'grid');
  const r = lengua('search', '--model', 'baseline:tfidf-logreg', '--train', TRAIN, '--eval', VALID, '--space', space, '--config', FAST, '--out', out, '--pruner', 'halving', '--eta', '2');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /grid search of baseline:tfidf-logreg: 6 trials \(\d completed, \d pruned, 0 failed\), pruner halving/);
  assert.match(r.stdout, /^trial\s+C\s+sublinearTf\s+macro_recall\s+status\s+step\s+seconds$/m);
  assert.match(r.stdout, /no test file was read/);
  const res = JSON.parse(readFileSync(join(out, 'search-results.json'), 'utf8')) as Results;
  assert.equal(res.trials.length, 6);
  assert.ok(res.trials.some((t) => t.status === 'pruned'), 'halving stops some trials');
  const completed = res.trials.filter((t) => t.status === 'completed');
  const top = Math.max(...completed.map((t) => t.value!));
  assert.equal(res.best!.value, top);
  assert.match(r.stdout, new RegExp(`^${res.best!.trial}\\*`, 'm'));
  assert.equal(readFileSync(join(out, 'search-results.csv'), 'utf8').trimEnd().split('\n').length, 7);
  assert.ok(existsSync(join(out, 'best', 'lengua-baseline.json')));
  const best = JSON.parse(readFileSync(join(out, 'best', 'search-best.json'), 'utf8')) as { config: Record<string, unknown>; selectedOn: string };
  assert.deepEqual(best.config, res.best!.config);
  assert.equal(best.selectedOn, VALID);
});

test('lengua search --method random is seeded; bad spaces and methods are clear errors', () => {
  const space = join(dir, 'space.json');
  writeFileSync(space, JSON.stringify({ C: { loguniform: [0.1, 100] } }));
  const run = (seed: string) => {
    const r = lengua('search', '--model', 'baseline:tfidf-logreg', '--train', TRAIN, '--eval', VALID, '--space', space, '--config', FAST, '--out', join(dir, `random-${seed}-${Math.random()}`), '--method', 'random', '--trials', '2', '--seed', seed, '--no-retrain', '--json');
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as Results;
  };
  const a = run('3');
  assert.deepEqual(a.trials.map((t) => t.config), run('3').trials.map((t) => t.config));
  assert.ok(a.trials.every((t) => (t.config.C as number) >= 0.1 && (t.config.C as number) <= 100));
  let r = lengua('search', '--model', 'baseline:tfidf-logreg', '--train', TRAIN, '--eval', VALID, '--space', space, '--out', join(dir, 'x'));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /space\.json, field "C": grid search needs \{"values": \[\.\.\.\]\}/);
  const typo = join(dir, 'typo.json');
  writeFileSync(typo, JSON.stringify({ learningRate: { values: [1e-5] } }));
  r = lengua('search', '--model', 'baseline:tfidf-logreg', '--train', TRAIN, '--eval', VALID, '--space', typo, '--out', join(dir, 'y'));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /typo\.json, field "learningRate": unknown hyperparameter "learningRate"; known: .*C/);
  // Values are checked before any trial runs: by the baseline's own rules, and by TrainingArguments' for transformers.
  const negative = join(dir, 'negative.json');
  writeFileSync(negative, JSON.stringify({ C: { values: [1, -1] } }));
  r = lengua('search', '--model', 'baseline:tfidf-logreg', '--train', TRAIN, '--eval', VALID, '--space', negative, '--out', join(dir, 'n'));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /negative\.json, field "C": -1: must be a positive number/);
  const strategy = join(dir, 'strategy.yaml');
  writeFileSync(strategy, 'strategy:\n  values: [head, partial]\nperDeviceTrainBatchSize:\n  values: [8]\n');
  // The space is checked before the model is opened, so any model reference does here (goldens or not).
  r = lengua('search', '--model', golden('fixtures', 'bert-synth-seqcls'), '--train', TRAIN, '--eval', VALID, '--space', strategy, '--out', join(dir, 's'));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /strategy\.yaml, field "strategy": "partial": must be one of full, head, freeze/);
  r = lengua('search', '--model', 'baseline:tfidf-logreg', '--train', TRAIN, '--eval', join(dir, 'sst2_test.csv'), '--space', space, '--out', join(dir, 'z'));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /refusing to use a test split/);
});
