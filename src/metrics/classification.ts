// Label-based classification metrics with scikit-learn 1.2's semantics (sklearn/metrics/_classification.py):
// same label ordering, `labels` / `pos_label` / `average` / `zero_division` rules, sample weights, and the same
// warnings. Checked against committed scikit-learn references in references.test.ts.
import { LenguaError } from '../errors.js';
import {
  type Label,
  type WarningHandler,
  type ZeroDivision,
  checkLabelOption,
  checkPair,
  checkSampleWeight,
  checkZeroDivision,
  defaultWarningHandler,
  formatLabel,
  indexOf,
  labelKind,
  sortedUnique,
  sum,
} from './labels.js';

export type Average = 'binary' | 'micro' | 'macro' | 'weighted';

export interface AccuracyOptions {
  /** true (default): the fraction correct; false: the (weighted) count correct. */
  normalize?: boolean;
  sampleWeight?: readonly number[];
}

/** Fraction (or weighted count) of samples whose prediction equals the truth. sklearn `accuracy_score`. */
export function accuracyScore(yTrue: readonly Label[], yPred: readonly Label[], options: AccuracyOptions = {}): number {
  checkPair(yTrue, yPred);
  const w = options.sampleWeight;
  checkSampleWeight(w, yTrue.length);
  let hit = 0;
  let total = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const wi = w === undefined ? 1 : (w[i] as number);
    if (yTrue[i] === yPred[i]) hit += wi;
    total += wi;
  }
  if (options.normalize === false) return hit;
  if (total === 0) throw new LenguaError('sampleWeight sums to zero: accuracy is undefined', { field: 'sampleWeight' });
  return hit / total;
}

export interface ConfusionMatrixOptions {
  /** Rows and columns, in this order. Default: sorted unique labels of yTrue and yPred. */
  labels?: readonly Label[];
  sampleWeight?: readonly number[];
  /** Divide by row sums ('true'), column sums ('pred') or the total ('all'); 0 where the sum is 0. */
  normalize?: 'true' | 'pred' | 'all' | null;
}

/** `matrix[i][j]` = (weighted) count of samples with truth `labels[i]` predicted as `labels[j]`. */
export interface ConfusionMatrix {
  labels: Label[];
  matrix: number[][];
}

/** sklearn `confusion_matrix` (returned with its labels). Samples whose truth or prediction is outside `labels` are dropped. */
export function confusionMatrix(yTrue: readonly Label[], yPred: readonly Label[], options: ConfusionMatrixOptions = {}): ConfusionMatrix {
  checkPair(yTrue, yPred);
  checkSampleWeight(options.sampleWeight, yTrue.length);
  const kind = labelKind(yTrue);
  checkLabelOption(options.labels, kind);
  let labels: Label[];
  if (options.labels === undefined) {
    labels = sortedUnique(yTrue, yPred);
  } else {
    labels = [...options.labels];
    if (labels.length === 0) throw new LenguaError("'labels' should contain at least one label", { field: 'labels' });
    const truth = new Set(yTrue);
    if (!labels.some((l) => truth.has(l))) {
      throw new LenguaError(`none of the labels ${labels.map(formatLabel).join(', ')} occurs in yTrue: at least one must`, { field: 'labels' });
    }
  }
  const normalize = options.normalize ?? null;
  if (normalize !== null && normalize !== 'true' && normalize !== 'pred' && normalize !== 'all') {
    throw new LenguaError(`normalize must be 'true', 'pred', 'all' or null (got ${String(normalize)})`, { field: 'normalize' });
  }
  const k = labels.length;
  const idx = indexOf(labels);
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const w = options.sampleWeight;
  for (let i = 0; i < yTrue.length; i++) {
    const a = idx.get(yTrue[i] as Label);
    const b = idx.get(yPred[i] as Label);
    if (a === undefined || b === undefined) continue;
    const row = m[a] as number[];
    row[b] = (row[b] as number) + (w === undefined ? 1 : (w[i] as number));
  }
  if (normalize !== null) normalizeMatrix(m, normalize);
  return { labels, matrix: m };
}

function normalizeMatrix(m: number[][], how: 'true' | 'pred' | 'all'): void {
  const k = m.length;
  const div = (x: number, d: number): number => {
    const r = x / d;
    return Number.isFinite(r) ? r : 0; // numpy's nan_to_num after 0/0
  };
  if (how === 'true') {
    for (const row of m) {
      const s = sum(row);
      for (let j = 0; j < k; j++) row[j] = div(row[j] as number, s);
    }
  } else if (how === 'pred') {
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (const row of m) s += row[j] as number;
      for (const row of m) row[j] = div(row[j] as number, s);
    }
  } else {
    let s = 0;
    for (const row of m) s += sum(row);
    for (const row of m) for (let j = 0; j < k; j++) row[j] = div(row[j] as number, s);
  }
}

export interface PrfOptions {
  /** null: per-class arrays. 'binary': the class `posLabel` only (needs at most two classes). */
  average?: Average | null;
  /** Classes to report / average over, in this order; may include classes absent from the data. */
  labels?: readonly Label[];
  /** The positive class for average 'binary'. Default 1, as in scikit-learn. */
  posLabel?: Label;
  /** Weight of recall against precision; 1 = F1. */
  beta?: number;
  zeroDivision?: ZeroDivision;
  sampleWeight?: readonly number[];
  /** Where 'warn' zero-division warnings go. Default: process.emitWarning. */
  onWarning?: WarningHandler;
}

export interface PerClassScores {
  labels: Label[];
  precision: number[];
  recall: number[];
  fscore: number[];
  /** (Weighted) number of true samples of each class. */
  support: number[];
}

export interface AveragedScores {
  precision: number;
  recall: number;
  fscore: number;
  /** Always null for an average, as in scikit-learn. */
  support: null;
}

type WarnFor = ReadonlyArray<'precision' | 'recall' | 'f-score'>;

/** The sufficient statistics per label (tp, predicted, true), weighted. */
function labelCounts(
  yTrue: readonly Label[],
  yPred: readonly Label[],
  labels: readonly Label[],
  w: readonly number[] | undefined,
): { tp: number[]; pred: number[]; truth: number[] } {
  const idx = indexOf(labels);
  const k = labels.length;
  const tp = new Array<number>(k).fill(0);
  const pred = new Array<number>(k).fill(0);
  const truth = new Array<number>(k).fill(0);
  for (let i = 0; i < yTrue.length; i++) {
    const wi = w === undefined ? 1 : (w[i] as number);
    const a = idx.get(yTrue[i] as Label);
    const b = idx.get(yPred[i] as Label);
    if (a !== undefined) truth[a] = (truth[a] as number) + wi;
    if (b !== undefined) pred[b] = (pred[b] as number) + wi;
    if (a !== undefined && a === b) tp[a] = (tp[a] as number) + wi;
  }
  return { tp, pred, truth };
}

function prfDivide(
  num: readonly number[],
  den: readonly number[],
  metric: 'precision' | 'recall',
  modifier: string,
  average: Average | null,
  warnFor: WarnFor,
  zeroDivision: ZeroDivision,
  onWarning: WarningHandler,
): number[] {
  let anyZero = false;
  const out = num.map((x, i) => {
    const d = den[i] as number;
    if (d === 0) {
      anyZero = true;
      return zeroDivision === 1 ? 1 : 0;
    }
    return x / d;
  });
  if (anyZero && zeroDivision === 'warn' && warnFor.includes(metric)) {
    const start = warnFor.includes('f-score') ? `${metric[0]?.toUpperCase()}${metric.slice(1)} and F-score are` : `${metric[0]?.toUpperCase()}${metric.slice(1)} is`;
    onWarning(warnMessage(start, modifier, out.length));
  }
  return out;
}

function warnMessage(start: string, modifier: string, size: number): string {
  const where = size === 1 ? 'due to' : 'in labels with';
  return `${start} ill-defined and being set to 0.0 ${where} no ${modifier} samples. Use \`zeroDivision\` to control this behavior.`;
}

function mean(xs: readonly number[], weights?: readonly number[]): number {
  if (weights === undefined) return sum(xs) / xs.length;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i] as number) * (weights[i] as number);
  return s / sum(weights);
}

function prfCore(
  yTrue: readonly Label[],
  yPred: readonly Label[],
  options: PrfOptions,
  defaultAverage: Average | null,
  warnFor: WarnFor,
): PerClassScores | AveragedScores {
  checkPair(yTrue, yPred);
  checkSampleWeight(options.sampleWeight, yTrue.length);
  const kind = labelKind(yTrue);
  checkLabelOption(options.labels, kind);
  const zeroDivision = options.zeroDivision ?? 'warn';
  checkZeroDivision(zeroDivision);
  const beta = options.beta ?? 1;
  if (typeof beta !== 'number' || Number.isNaN(beta) || beta < 0) throw new LenguaError(`beta must be >= 0 (got ${String(beta)})`, { field: 'beta' });
  const average = options.average === undefined ? defaultAverage : options.average;
  if (average !== null && !['binary', 'micro', 'macro', 'weighted'].includes(average)) {
    throw new LenguaError(`average must be one of binary, micro, macro, weighted or null (got ${String(average)})`, { field: 'average' });
  }
  const onWarning = options.onWarning ?? defaultWarningHandler;
  const present = sortedUnique(yTrue, yPred);
  let labels: Label[] = options.labels === undefined ? present : [...options.labels];
  if (average === 'binary') {
    const posLabel = options.posLabel ?? 1;
    if (present.length > 2) {
      throw new LenguaError(
        `the data has ${present.length} classes (${present.map(formatLabel).join(', ')}) but average is 'binary'; choose micro, macro, weighted or null`,
        { field: 'average' },
      );
    }
    if (!present.includes(posLabel) && present.length >= 2) {
      throw new LenguaError(`posLabel ${formatLabel(posLabel)} is not a label of the data; it should be one of ${present.map(formatLabel).join(', ')}`, {
        field: 'posLabel',
      });
    }
    labels = [posLabel];
  }
  const counts = labelCounts(yTrue, yPred, labels, options.sampleWeight);
  let { tp, pred, truth } = counts;
  if (average === 'micro') {
    tp = [sum(tp)];
    pred = [sum(pred)];
    truth = [sum(truth)];
  }
  const beta2 = beta * beta;
  const precision = prfDivide(tp, pred, 'precision', 'predicted', average, warnFor, zeroDivision, onWarning);
  const recall = prfDivide(tp, truth, 'recall', 'true', average, warnFor, zeroDivision, onWarning);
  if (zeroDivision === 'warn' && warnFor.length === 1 && warnFor[0] === 'f-score') {
    if (truth.some((t, i) => t === 0 && pred[i] === 0)) onWarning(warnMessage('F-score is', 'true nor predicted', truth.length));
  }
  const fscore =
    beta === Infinity
      ? [...recall]
      : precision.map((p, i) => {
          const r = recall[i] as number;
          let denom = beta2 * p + r;
          if (denom === 0) denom = 1;
          return ((1 + beta2) * p * r) / denom;
        });
  if (average === null) return { labels, precision, recall, fscore, support: truth };
  let weights: number[] | undefined;
  if (average === 'weighted') {
    weights = truth;
    if (sum(truth) === 0) {
      const z = zeroDivision === 1 ? 1 : 0;
      if (sum(pred) === 0) return { precision: z, recall: z, fscore: z, support: null };
      return { precision: 0, recall: z, fscore: 0, support: null };
    }
  }
  return { precision: mean(precision, weights), recall: mean(recall, weights), fscore: mean(fscore, weights), support: null };
}

/**
 * Precision, recall, F-beta and support: sklearn `precision_recall_fscore_support`. With `average` null
 * (the default here, as in sklearn) it returns per-class arrays in label order.
 */
export function precisionRecallFscoreSupport(yTrue: readonly Label[], yPred: readonly Label[], options?: PrfOptions & { average?: null }): PerClassScores;
export function precisionRecallFscoreSupport(yTrue: readonly Label[], yPred: readonly Label[], options: PrfOptions & { average: Average }): AveragedScores;
export function precisionRecallFscoreSupport(yTrue: readonly Label[], yPred: readonly Label[], options?: PrfOptions): PerClassScores | AveragedScores;
export function precisionRecallFscoreSupport(yTrue: readonly Label[], yPred: readonly Label[], options: PrfOptions = {}): PerClassScores | AveragedScores {
  return prfCore(yTrue, yPred, options, null, ['precision', 'recall', 'f-score']);
}

/** A per-class array when `average` is null, else one number. */
export type Score = number | number[];

function pick(r: PerClassScores | AveragedScores, key: 'precision' | 'recall' | 'fscore'): Score {
  return r[key];
}

/** sklearn `precision_score`. Default average 'binary' with posLabel 1, as in sklearn. */
export function precisionScore(yTrue: readonly Label[], yPred: readonly Label[], options: Omit<PrfOptions, 'beta'> = {}): Score {
  return pick(prfCore(yTrue, yPred, options, 'binary', ['precision']), 'precision');
}

/** sklearn `recall_score`. Default average 'binary' with posLabel 1, as in sklearn. */
export function recallScore(yTrue: readonly Label[], yPred: readonly Label[], options: Omit<PrfOptions, 'beta'> = {}): Score {
  return pick(prfCore(yTrue, yPred, options, 'binary', ['recall']), 'recall');
}

/** sklearn `fbeta_score` (beta required). */
export function fbetaScore(yTrue: readonly Label[], yPred: readonly Label[], options: PrfOptions & { beta: number }): Score {
  return pick(prfCore(yTrue, yPred, options, 'binary', ['f-score']), 'fscore');
}

/** sklearn `f1_score`. Default average 'binary' with posLabel 1, as in sklearn. */
export function f1Score(yTrue: readonly Label[], yPred: readonly Label[], options: Omit<PrfOptions, 'beta'> = {}): Score {
  return pick(prfCore(yTrue, yPred, { ...options, beta: 1 }, 'binary', ['f-score']), 'fscore');
}

/** Recall averaged over classes with equal weight: the official TweetEval sentiment metric. */
export function macroRecall(yTrue: readonly Label[], yPred: readonly Label[], options: Omit<PrfOptions, 'beta' | 'average'> = {}): number {
  return recallScore(yTrue, yPred, { ...options, average: 'macro' }) as number;
}

/** Matthews correlation coefficient (multiclass form, R_K); 0 when undefined, as sklearn `matthews_corrcoef`. */
export function matthewsCorrcoef(yTrue: readonly Label[], yPred: readonly Label[], options: { sampleWeight?: readonly number[] } = {}): number {
  const { matrix } = confusionMatrix(yTrue, yPred, { sampleWeight: options.sampleWeight });
  const k = matrix.length;
  const tSum = matrix.map((row) => sum(row));
  const pSum = new Array<number>(k).fill(0);
  let nCorrect = 0;
  for (let i = 0; i < k; i++) {
    const row = matrix[i] as number[];
    for (let j = 0; j < k; j++) pSum[j] = (pSum[j] as number) + (row[j] as number);
    nCorrect += row[i] as number;
  }
  const n = sum(pSum);
  const dot = (a: number[], b: number[]): number => a.reduce((s, x, i) => s + x * (b[i] as number), 0);
  const covYtYp = nCorrect * n - dot(tSum, pSum);
  const covYpYp = n ** 2 - dot(pSum, pSum);
  const covYtYt = n ** 2 - dot(tSum, tSum);
  if (covYpYp * covYtYt === 0) return 0;
  return covYtYp / Math.sqrt(covYtYt * covYpYp);
}

export interface KappaOptions {
  labels?: readonly Label[];
  /** Disagreement weights: none (default), 'linear' |i-j| or 'quadratic' (i-j)^2 over the label order. */
  weights?: 'linear' | 'quadratic' | null;
  sampleWeight?: readonly number[];
}

/** Cohen's kappa between two annotations (sklearn `cohen_kappa_score`); NaN when undefined (0/0), as sklearn. */
export function cohenKappaScore(y1: readonly Label[], y2: readonly Label[], options: KappaOptions = {}): number {
  const weights = options.weights ?? null;
  if (weights !== null && weights !== 'linear' && weights !== 'quadratic') {
    throw new LenguaError(`weights must be 'linear', 'quadratic' or null (got ${String(weights)})`, { field: 'weights' });
  }
  const { matrix } = confusionMatrix(y1, y2, { labels: options.labels, sampleWeight: options.sampleWeight });
  const k = matrix.length;
  const sum0 = new Array<number>(k).fill(0);
  const sum1 = matrix.map((row) => sum(row));
  for (const row of matrix) for (let j = 0; j < k; j++) sum0[j] = (sum0[j] as number) + (row[j] as number);
  const total = sum(sum0);
  let num = 0;
  let den = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const w = weights === null ? (i === j ? 0 : 1) : weights === 'linear' ? Math.abs(i - j) : (i - j) ** 2;
      const expected = ((sum0[i] as number) * (sum1[j] as number)) / total;
      num += w * ((matrix[i] as number[])[j] as number);
      den += w * expected;
    }
  }
  return 1 - num / den;
}
