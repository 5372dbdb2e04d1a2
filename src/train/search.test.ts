import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadDataset, splitDataset } from '../data/index.js';
import { TfidfLogReg } from '../models/baseline/tfidf-logreg.js';
import { baselineRunner, BASELINE_KEYS } from './baseline-runner.js';
import { parseSearchSpace } from './search-space.js';
import { SuccessiveHalvingPruner } from './pruning.js';
import { runSearch, type SearchResult } from './search.js';
import { labelIds, sharedLabels, validationMetrics, type TrialData } from './trial.js';

const SAMPLE = resolve(import.meta.dirname, '../../examples/data/tweets-sample.csv');
const FAST = { charNgrams: null };

function data(): TrialData {
  const ds = loadDataset(SAMPLE);
  const { splits } = splitDataset(ds, { val: 0.25, test: 0, seed: 5 });
  const train = splits.train!;
  const validation = splits.validation!;
  return { train, validation, labels: sharedLabels(train, validation) };
}

const out = () => mkdtempSync(join(tmpdir(), 'lengua-search-'));

test('grid search runs every configuration, writes the results table, and retrains and saves the best', async () => {
  const space = parseSearchSpace({ C: { values: [0.001, 1, 30] }, wordNgrams: { values: [[1, 1], [1, 2]] } }, { knownKeys: BASELINE_KEYS });
  const d = data();
  const dir = out();
  const r = await runSearch({ space, method: 'grid', runner: baselineRunner(), data: d, baseConfig: FAST, outDir: dir, metric: 'eval_macro_recall' });
  assert.equal(r.trials.length, 6);
  assert.ok(r.trials.every((t) => t.status === 'completed'));
  assert.deepEqual(r.trials.map((t) => t.config.C), [0.001, 0.001, 1, 1, 30, 30]);
  // The best is the completed trial with the highest validation macro recall (the first of equals).
  const values = r.trials.map((t) => t.value!);
  const bestIndex = values.indexOf(Math.max(...values));
  assert.equal(r.best!.trial, bestIndex + 1);
  assert.notEqual(r.best!.config.C, 0.001, 'almost no regularization budget cannot win');
  assert.deepEqual(r.best!.config, { ...FAST, ...r.trials[bestIndex]!.config });
  // Retraining the same configuration on the same data reproduces the trial's metrics.
  assert.deepEqual(r.best!.retrained!.metrics, r.trials[bestIndex]!.metrics);
  // The saved model is that model: reloaded, it scores the same on validation.
  const model = TfidfLogReg.load(join(dir, 'best'));
  const again = validationMetrics(labelIds(d.validation, d.labels), model.predictProba(d.validation.examples.map((e) => e.text)), d.labels.size);
  assert.ok(Math.abs(again.eval_macro_recall! - r.best!.value) < 1e-12);
  const bestJson = JSON.parse(readFileSync(join(dir, 'best', 'search-best.json'), 'utf8')) as { config: unknown; note: string; selectedOn: string };
  assert.deepEqual(bestJson.config, r.best!.config);
  assert.match(bestJson.note, /no test file was read/);
  // Results on disk: the JSON is the returned result; the CSV has a header and one row per trial.
  const saved = JSON.parse(readFileSync(join(dir, 'search-results.json'), 'utf8')) as SearchResult;
  assert.deepEqual(saved.trials.map((t) => t.value), values);
  const csv = readFileSync(join(dir, 'search-results.csv'), 'utf8').trimEnd().split('\n');
  assert.equal(csv.length, 7);
  assert.match(csv[0]!, /^trial,status,eval_macro_recall,step,seconds,C,wordNgrams,/);
  assert.match(csv[1]!, /^1,completed,[0-9.]+,1,[0-9.]+,0\.001,"\[1,1\]",/);
});

test('random search is deterministic with a seed', async () => {
  const space = parseSearchSpace({ C: { loguniform: [0.01, 100] }, sublinearTf: { values: [true, false] } }, { knownKeys: BASELINE_KEYS });
  const d = data();
  const run = (seed: number) => runSearch({ space, method: 'random', trials: 3, seed, runner: baselineRunner(), data: d, baseConfig: FAST, outDir: out(), retrainBest: false });
  const [a, b, c] = [await run(9), await run(9), await run(10)];
  assert.deepEqual(a.trials.map((t) => [t.config, t.value]), b.trials.map((t) => [t.config, t.value]));
  assert.notDeepEqual(a.trials.map((t) => t.config), c.trials.map((t) => t.config));
  assert.equal(a.best!.retrained, undefined);
  for (const t of a.trials) assert.ok((t.config.C as number) >= 0.01 && (t.config.C as number) <= 100);
});

test('successive halving prunes bad trials early; pruned trials never win; decisions replay from the histories', async () => {
  const space = parseSearchSpace({ C: { loguniform: [1e-4, 100] } }, { knownKeys: BASELINE_KEYS });
  const d = data();
  const r = await runSearch({
    space, method: 'random', trials: 8, seed: 1, runner: baselineRunner(), data: d, baseConfig: { ...FAST, budgetSteps: 4 },
    pruner: 'halving', prunerOptions: { minResource: 1, eta: 2 }, outDir: out(), retrainBest: false,
  });
  const pruned = r.trials.filter((t) => t.status === 'pruned');
  assert.ok(pruned.length >= 2, `pruned ${pruned.length}`);
  assert.ok(pruned.every((t) => t.step < 4 && t.history.length === t.step));
  assert.ok(r.trials.filter((t) => t.status === 'completed').every((t) => t.step === 4));
  assert.equal(r.trials.find((t) => t.trial === r.best!.trial)!.status, 'completed');
  // A fresh pruner fed the recorded histories makes the same decisions.
  const replay = new SuccessiveHalvingPruner({ direction: 'maximize', minResource: 1, eta: 2 });
  for (const t of r.trials) {
    const decisions = t.history.map(([step, v]) => replay.report(t.trial, step, v));
    assert.equal(decisions.at(-1) === 'prune' && t.step < 4 ? 'pruned' : 'completed', t.status);
    replay.finish(t.trial);
  }
});

test('a failing trial is recorded and the search goes on; an unknown metric stops it', async () => {
  const d = data();
  const space = parseSearchSpace({ C: { values: [-1, 1] } }, { knownKeys: BASELINE_KEYS });
  const dir = out();
  const r = await runSearch({ space, method: 'grid', runner: baselineRunner(), data: d, baseConfig: FAST, outDir: dir, retrainBest: false });
  assert.equal(r.trials[0]!.status, 'failed');
  assert.match(r.trials[0]!.error!, /C/);
  assert.equal(r.trials[1]!.status, 'completed');
  assert.equal(r.best!.trial, 2);
  assert.ok(!existsSync(join(dir, 'best')));
  await assert.rejects(
    runSearch({ space, method: 'grid', runner: baselineRunner(), data: d, baseConfig: FAST, outDir: out(), metric: 'eval_f2' }),
    /no metric "eval_f2"/,
  );
  await assert.rejects(runSearch({ space, method: 'random', runner: baselineRunner(), data: d, outDir: out() }), /--trials/);
});
