import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MedianPruner, SuccessiveHalvingPruner, makePruner, median, metricDirection } from './pruning.js';

test('the direction follows the metric: losses are minimized, scores maximized', () => {
  assert.equal(metricDirection('eval_loss'), 'minimize');
  assert.equal(metricDirection('eval_macro_recall'), 'maximize');
  assert.equal(metricDirection('eval_accuracy'), 'maximize');
  assert.equal(metricDirection('eval_loss', true), 'maximize');
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
});

test('median stopping prunes a trial below the median of completed trials at the same step, after the warm-up', () => {
  const p = new MedianPruner({ direction: 'maximize', warmupSteps: 2, startupTrials: 2 });
  // Two completed trials: values at steps 1..3.
  for (const [trial, values] of [[1, [0.5, 0.6, 0.7]], [2, [0.3, 0.4, 0.5]]] as const) {
    values.forEach((v, i) => assert.equal(p.report(trial, i + 1, v), 'continue', 'fewer than startupTrials completed: never prune'));
    p.finish(trial, 'completed');
  }
  assert.equal(p.medianAt(2), 0.5);
  // Trial 3 is bad from the start, but step 1 is inside the warm-up.
  assert.equal(p.report(3, 1, 0.1), 'continue');
  assert.equal(p.report(3, 2, 0.45), 'prune'); // median at step 2 is (0.6 + 0.4) / 2 = 0.5
  p.finish(3, 'pruned');
  // Pruned trials never join the reference: the median at step 2 stays 0.5.
  assert.equal(p.medianAt(2), 0.5);
  assert.equal(p.report(4, 2, 0.5), 'continue'); // equal to the median is not worse
  assert.equal(p.report(4, 3, 0.61), 'continue'); // median at 3 is 0.6
  // A completed trial's value at a step it skipped is its last value before it (steps need not match).
  assert.equal(p.report(5, 2.5, 0.49), 'prune');
  // A diverged loss is pruned at once.
  assert.equal(new MedianPruner({ direction: 'minimize', warmupSteps: 10 }).report(1, 1, Number.NaN), 'prune');
});

test('median stopping for a loss prunes values above the median', () => {
  const p = new MedianPruner({ direction: 'minimize' });
  p.report(1, 1, 1.0);
  p.finish(1, 'completed');
  assert.equal(p.report(2, 1, 0.9), 'continue');
  assert.equal(p.report(3, 1, 1.1), 'prune');
});

test('successive halving keeps the top 1/eta at each rung (asynchronously, as trials arrive)', () => {
  const p = new SuccessiveHalvingPruner({ direction: 'maximize', minResource: 1, eta: 2 });
  assert.deepEqual([0, 1, 2].map((k) => p.rungBudget(k)), [1, 2, 4]);
  // Trial 1 is the first at every rung: it always goes on.
  assert.equal(p.report(1, 1, 0.6), 'continue');
  assert.equal(p.report(1, 2, 0.7), 'continue');
  assert.equal(p.report(1, 3, 0.72), 'continue'); // step 3 is no rung
  assert.equal(p.report(1, 4, 0.75), 'continue');
  p.finish(1);
  // Trial 2 at rung 0: 2 values, keep floor(2/2) = 1: must beat 0.6.
  assert.equal(p.report(2, 1, 0.5), 'prune');
  p.finish(2);
  // Trial 3 at rung 0: 3 values {0.6, 0.5, 0.65}, keep 1: 0.65 is the best, goes on.
  assert.equal(p.report(3, 1, 0.65), 'continue');
  // Rung 1: {0.7, 0.69}: keep 1, 0.69 < 0.7 → pruned.
  assert.equal(p.report(3, 2, 0.69), 'prune');
  p.finish(3);
  // Trial 4 at rung 0: {0.6, 0.5, 0.65, 0.62}, keep 2 (threshold 0.62): 0.62 goes on.
  assert.equal(p.report(4, 1, 0.62), 'continue');
  assert.deepEqual(p.rungValues(), [[0.6, 0.5, 0.65, 0.62], [0.7, 0.69], [0.75]]);
});

test('successive halving for a loss, and a jump over several rungs is judged at each', () => {
  const p = new SuccessiveHalvingPruner({ direction: 'minimize', minResource: 1, eta: 3 });
  assert.equal(p.report(1, 1, 0.9), 'continue');
  assert.equal(p.report(1, 3, 0.8), 'continue');
  p.finish(1);
  assert.equal(p.report(2, 1, 0.85), 'continue'); // {0.9, 0.85}: keep max(1, 0) = 1 → best is 0.85
  p.finish(2);
  // Trial 3 reports first at step 3: it enters rungs 0 and 1 with 0.95, worst at rung 0 → pruned there.
  assert.equal(p.report(3, 3, 0.95), 'prune');
  assert.deepEqual(p.rungValues(), [[0.9, 0.85, 0.95], [0.8]]);
});

test('makePruner names the pruners and rejects others', () => {
  assert.equal(makePruner('none', { direction: 'maximize' }).report(1, 1, 0), 'continue');
  assert.equal(makePruner('median', { direction: 'maximize' }).name, 'median');
  assert.equal(makePruner('halving', { direction: 'maximize', eta: 2 }).name, 'halving');
  assert.throws(() => makePruner('hyperband', { direction: 'maximize' }), /unknown pruner "hyperband"/);
  assert.throws(() => new SuccessiveHalvingPruner({ direction: 'maximize', eta: 1 }), /eta/);
  const p = new MedianPruner({ direction: 'maximize' });
  p.report(1, 2, 0.5);
  assert.throws(() => p.report(1, 2, 0.6), /steps must increase/);
});
