// The seam between model selection (cross-validation, search) and whatever trains a model.
import { basename } from 'node:path';
import { LenguaError } from '../errors.js';
import { LabelSet, type Dataset } from '../data/index.js';
import { computeClassificationMetrics } from '../metrics/index.js';

/** What a trial trains on and is scored on. Both sets share `labels`, so label ids agree. */
export interface TrialData {
  train: Dataset;
  validation: Dataset;
  labels: LabelSet;
}

export interface TrialHooks {
  /**
   * Called at each intermediate evaluation with a comparable budget `step` (an epoch, or the share of
   * the training data used, scaled to the runner's steps) and the validation metrics; `'prune'` asks
   * the runner to stop now and return what it has.
   */
  report(step: number, metrics: Record<string, number>): 'continue' | 'prune';
}

export interface TrialOptions {
  /** Save the trained model here (a folder), e.g. the retrained best configuration. Trials that are not kept pass nothing. */
  saveDir?: string;
  /** A scratch folder the runner may use (checkpoints, logs). */
  workDir?: string;
  /** Print progress lines (a runner is quiet otherwise). */
  log?: (line: string) => void;
  /** Return the final model's class probabilities on the validation set (cross-validation's out-of-fold predictions). */
  wantProbabilities?: boolean;
}

export interface TrialResult {
  /** Validation metrics at the end (or at the last evaluation before pruning), keys like `eval_macro_recall`. */
  metrics: Record<string, number>;
  /** True when the runner stopped because a hook asked it to. */
  pruned: boolean;
  /** The last budget step reported. */
  step: number;
  modelDir?: string;
  /** With `wantProbabilities`: one row per validation example, columns in `data.labels` id order. */
  probabilities?: number[][];
}

/**
 * Trains one configuration and scores it on `data.validation`. Implementations: the transformer
 * runner (the Trainer) and the baseline runner (TF-IDF + logistic regression).
 */
export interface TrialRunner {
  /** What the results name the model as, e.g. `baseline:tfidf-logreg` or a model folder. */
  readonly model: string;
  /** The hyperparameter names a configuration may set (a search space naming any other key is an error). */
  readonly knownKeys: readonly string[];
  /** Keys that take integers (a continuous search range on them is an error). */
  readonly integerKeys?: readonly string[];
  /** Checks one hyperparameter value up front, so a bad search space fails before any trial runs. */
  checkValue?(key: string, value: unknown): void;
  run(config: Record<string, unknown>, data: TrialData, hooks: TrialHooks, opts?: TrialOptions): Promise<TrialResult>;
}

export const NEVER_PRUNE: TrialHooks = { report: () => 'continue' };

/**
 * The flat validation metrics every runner reports, with Hugging Face's `eval_` prefix: loss (log loss
 * of the probabilities), accuracy, macro/weighted/micro F1, macro precision and recall, MCC, kappa.
 */
export function validationMetrics(labels: readonly number[], probabilities: readonly (readonly number[])[], nLabels: number, prefix = 'eval'): Record<string, number> {
  if (labels.length !== probabilities.length) throw new LenguaError(`${labels.length} labels but ${probabilities.length} probability rows`);
  const classes = Array.from({ length: nLabels }, (_, i) => i);
  const preds = probabilities.map(argmax);
  // Rows renormalized: a model's softmax sums to 1 up to rounding, which the metrics check strictly.
  const probs = probabilities.map((row) => {
    const s = row.reduce((a, b) => a + b, 0);
    return row.map((p) => p / s);
  });
  const m = computeClassificationMetrics(labels, preds, { labels: classes, probabilities: probs });
  const out: Record<string, number> = {
    loss: m.probability?.logLoss ?? Number.NaN,
    accuracy: m.accuracy,
    macro_f1: m.macro.f1,
    macro_precision: m.macro.precision,
    macro_recall: m.macroRecall,
    weighted_f1: m.weighted.f1,
    micro_f1: m.micro.f1,
    mcc: m.mcc,
    kappa: m.kappa,
  };
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [`${prefix}_${k}`, v]));
}

/** Softmax of each row of logits (max-shifted, so large logits do not overflow). */
export function softmaxRows(logits: readonly (readonly number[])[]): number[][] {
  return logits.map((row) => {
    const m = Math.max(...row);
    const e = row.map((z) => Math.exp(z - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / s);
  });
}

export function argmax(row: readonly number[]): number {
  let best = 0;
  for (let j = 1; j < row.length; j++) if (row[j]! > row[best]!) best = j;
  return best;
}

/** The label ids of a single-label dataset under `labels`; unlabelled or multi-label examples are errors naming the line. */
export function labelIds(ds: Dataset, labels: LabelSet): number[] {
  return ds.examples.map((e) => {
    if (typeof e.label !== 'string') {
      throw new LenguaError(e.label === undefined ? 'example has no label' : 'cross-validation and search support single-label data only', {
        file: e.source.file,
        line: e.source.line,
      });
    }
    return labels.encode(e.label, { file: e.source.file, line: e.source.line });
  });
}

/**
 * One label set for a training file and a validation file: the labels of both, in the order
 * `LabelSet.fromLabels` gives (sorted, or numeric), so ids do not depend on which file has which label.
 */
export function sharedLabels(...sets: Dataset[]): LabelSet {
  return LabelSet.fromLabels(sets.flatMap((d) => d.examples.map((e) => e.label)));
}

/** Train and validation files pooled into one dataset for cross-validation (examples keep their source file and line). */
export function poolDatasets(a: Dataset, b?: Dataset): Dataset {
  if (b === undefined) return a;
  if (a.multiLabel || b.multiLabel) throw new LenguaError('cross-validation supports single-label data only', { file: a.multiLabel ? a.path : b.path });
  return { ...a, examples: [...a.examples, ...b.examples], labels: sharedLabels(a, b), path: `${a.path}+${b.path}`, skipped: [...a.skipped, ...b.skipped] };
}

/**
 * Test-split discipline: model selection must never see a test split. A data file whose name says
 * `test` (test.csv, tweets_test.jsonl, test_text.txt, ...) is refused with an error naming it.
 */
export function refuseTestFile(path: string, role: string): void {
  const name = basename(path).toLowerCase();
  if (/(^|[^a-z])test([^a-z]|$)/u.test(name)) {
    throw new LenguaError(
      `refusing to use a test split for ${role}: cross-validation and search select on train/validation only, and a test split is evaluated once, at the end (lengua evaluate --split test)`,
      { file: path, field: role },
    );
  }
}

/** The line CV and search print and record about test-split discipline. */
export const TEST_DISCIPLINE_NOTE =
  'Selection used train/validation data only; no test file was read. Evaluate the chosen model on the test split once, at the end.';
