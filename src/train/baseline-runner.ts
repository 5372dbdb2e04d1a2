// The trial runner for the TF-IDF + logistic-regression baseline: fast enough to cross-validate and search on a laptop.
import { LenguaError } from '../errors.js';
import { mulberry32, shuffleInPlace } from '../data/index.js';
import { TfidfLogReg, joinPair, resolveOptions, type TfidfLogRegOptions } from '../models/baseline/index.js';
import { labelIds, validationMetrics, type TrialRunner } from './trial.js';

export const BASELINE_MODEL = 'baseline:tfidf-logreg';

/** The baseline's hyperparameters (TfidfLogReg's options) plus the budget knobs used by pruning. */
export const BASELINE_KEYS = [
  'C', 'wordNgrams', 'charNgrams', 'minDf', 'maxDf', 'maxIter', 'tol', 'sublinearTf', 'maxFeatures', 'classWeight',
  /** Intermediate evaluations: step s of budgetSteps fits on the first s/budgetSteps of the (shuffled, label-balanced) training data. */
  'budgetSteps',
  /** Seed of that data order. */
  'seed',
] as const;

const FIT_KEYS = new Set(['C', 'wordNgrams', 'charNgrams', 'minDf', 'maxDf', 'maxIter', 'tol', 'sublinearTf', 'maxFeatures', 'classWeight']);

/** Checks a baseline configuration's keys (values are checked by TfidfLogReg, which names the field). */
export function checkBaselineConfig(config: Record<string, unknown>, file?: string): void {
  for (const key of Object.keys(config)) {
    if (!(BASELINE_KEYS as readonly string[]).includes(key)) {
      throw new LenguaError(`unknown baseline hyperparameter "${key}"; known: ${BASELINE_KEYS.join(', ')}`, { file, field: key });
    }
  }
  const steps = config.budgetSteps;
  if (steps !== undefined && (!Number.isInteger(steps) || (steps as number) < 1 || (steps as number) > 100)) {
    throw new LenguaError(`must be an integer in [1, 100], got ${JSON.stringify(steps)}`, { file, field: 'budgetSteps' });
  }
  const seed = config.seed;
  if (seed !== undefined && !Number.isInteger(seed)) throw new LenguaError(`must be an integer, got ${JSON.stringify(seed)}`, { file, field: 'seed' });
}

/**
 * An order of the training examples whose every prefix has each label in about its overall share:
 * labels' examples are shuffled (seeded), then interleaved by their rank within the label.
 */
export function balancedOrder(labels: readonly number[], seed: number): number[] {
  const rand = mulberry32(seed);
  const byLabel = new Map<number, number[]>();
  labels.forEach((l, i) => {
    const list = byLabel.get(l);
    if (list) list.push(i);
    else byLabel.set(l, [i]);
  });
  const keyed: Array<[number, number]> = [];
  for (const l of [...byLabel.keys()].sort((a, b) => a - b)) {
    const members = shuffleInPlace(byLabel.get(l)!, rand);
    members.forEach((i, r) => keyed.push([(r + 0.5) / members.length, i]));
  }
  keyed.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return keyed.map(([, i]) => i);
}

/**
 * The baseline as a trial runner. With `budgetSteps` R > 1 it fits R times, on growing shares of the
 * training data (1/R, 2/R, ..., all), and reports validation metrics after each, so a pruner can stop
 * a bad configuration after a cheap fit on little data (the budget of successive halving is the data).
 */
export function baselineRunner(): TrialRunner {
  return {
    model: BASELINE_MODEL,
    knownKeys: BASELINE_KEYS,
    integerKeys: ['maxIter', 'maxFeatures', 'budgetSteps', 'seed'],
    checkValue(key, value) {
      checkBaselineConfig({ [key]: value });
      if (FIT_KEYS.has(key)) resolveOptions({ [key]: value } as TfidfLogRegOptions);
    },
    async run(config, data, hooks, opts = {}) {
      checkBaselineConfig(config);
      const fitOpts = Object.fromEntries(Object.entries(config).filter(([k]) => FIT_KEYS.has(k))) as TfidfLogRegOptions;
      const steps = (config.budgetSteps as number | undefined) ?? 1;
      const seed = (config.seed as number | undefined) ?? 42;
      // Text pairs become one text, as the baseline trains them (`lengua train --model baseline:tfidf-logreg`).
      const trainTexts = data.train.examples.map((e) => joinPair(e.text, e.textPair));
      const trainLabels = labelIds(data.train, data.labels);
      const validTexts = data.validation.examples.map((e) => joinPair(e.text, e.textPair));
      const validLabels = labelIds(data.validation, data.labels);
      const order = steps > 1 ? balancedOrder(trainLabels, seed) : trainLabels.map((_, i) => i);
      const id2label = data.labels.id2label;
      let model: TfidfLogReg | undefined;
      let metrics: Record<string, number> = {};
      let probabilities: number[][] = [];
      let pruned = false;
      let step = 0;
      for (step = 1; step <= steps; step++) {
        const n = Math.max(1, Math.round((trainTexts.length * step) / steps));
        const idx = order.slice(0, n);
        model = TfidfLogReg.fit(idx.map((i) => trainTexts[i]!), idx.map((i) => trainLabels[i]!), id2label, fitOpts);
        probabilities = model.predictProba(validTexts);
        metrics = validationMetrics(validLabels, probabilities, data.labels.size);
        opts.log?.(`  step ${step}/${steps}: fit on ${n} examples, eval_macro_f1 ${metrics.eval_macro_f1!.toFixed(4)}`);
        if (hooks.report(step, metrics) === 'prune' && step < steps) {
          pruned = true;
          break;
        }
      }
      if (opts.saveDir !== undefined && model !== undefined && !pruned) model.save(opts.saveDir);
      return {
        metrics,
        pruned,
        step: Math.min(step, steps),
        ...(opts.saveDir !== undefined && !pruned ? { modelDir: opts.saveDir } : {}),
        ...(opts.wantProbabilities ? { probabilities } : {}),
      };
    },
  };
}
