// Probability-based losses: sklearn 1.2 `log_loss` and `brier_score_loss`, plus a multiclass Brier score that
// scikit-learn 1.2 does not have.
import { LenguaError } from '../errors.js';
import { type Label, checkLabels, checkSampleWeight, compareLabels, formatLabel, indexOf, labelKind, sortedUnique, sum } from './labels.js';

/**
 * The classes that probability columns stand for: `labels` when given, else the sorted classes of yTrue.
 * Columns are always in sorted label order, scikit-learn's convention (log_loss sorts `labels`, roc_auc_score
 * requires them sorted); unsorted `labels` are refused rather than silently reordered.
 */
export function probabilityClasses(yTrue: readonly Label[], labels: readonly Label[] | undefined, width: number, field: string): Label[] {
  let classes: Label[];
  if (labels !== undefined) {
    const k = checkLabels('labels', labels);
    if (k !== labelKind(yTrue)) throw new LenguaError(`labels holds ${k} values but yTrue holds ${labelKind(yTrue)} labels`, { field: 'labels' });
    const sorted = sortedUnique(labels);
    if (sorted.length !== labels.length) throw new LenguaError('labels contains duplicates', { field: 'labels' });
    if (sorted.some((l, i) => compareLabels(l, labels[i] as Label) !== 0)) {
      throw new LenguaError(
        `labels must be in sorted order, the order of the probability columns (${sorted.map(formatLabel).join(', ')}); got ${labels.map(formatLabel).join(', ')}`,
        { field: 'labels' },
      );
    }
    classes = sorted;
    const idx = indexOf(classes);
    yTrue.forEach((t, i) => {
      if (!idx.has(t)) throw new LenguaError(`yTrue[${i}] = ${formatLabel(t)} is not one of the labels ${classes.map(formatLabel).join(', ')}`, { field: 'yTrue' });
    });
    if (classes.length !== width) {
      throw new LenguaError(`${classes.length} labels but ${field} rows have ${width} columns`, { field });
    }
  } else {
    classes = sortedUnique(yTrue);
    if (classes.length !== width) {
      throw new LenguaError(
        `yTrue has ${classes.length} classes (${classes.map(formatLabel).join(', ')}) but ${field} rows have ${width} columns; pass labels to name the columns`,
        { field },
      );
    }
  }
  return classes;
}

/**
 * Checks labels against a probability matrix (one row per sample, rows summing to 1) and returns the
 * classes its columns stand for, in sorted label order.
 */
export function checkedProbabilityClasses(yTrue: readonly Label[], yProb: ReadonlyArray<readonly number[]>, labels: readonly Label[] | undefined): Label[] {
  checkLabels('yTrue', yTrue);
  if (!Array.isArray(yProb) || yProb.length !== yTrue.length) {
    throw new LenguaError(`yTrue has ${yTrue.length} samples but yProb has ${Array.isArray(yProb) ? yProb.length : 'no'} rows`, { field: 'yProb' });
  }
  const width = yProb[0]?.length ?? 0;
  checkProbabilityMatrix(yProb, width, 'yProb');
  checkProbabilityRows(yProb, 'yProb');
  return probabilityClasses(yTrue, labels, width, 'yProb');
}

/** Every row an array of `width` finite numbers. */
export function checkProbabilityMatrix(rows: ReadonlyArray<readonly number[]>, width: number, field: string): void {
  rows.forEach((row, i) => {
    if (!Array.isArray(row)) throw new LenguaError(`${field} row ${i} is not an array`, { field });
    if (row.length !== width) throw new LenguaError(`${field} row ${i} has ${row.length} values, expected ${width} (one per class)`, { field });
    row.forEach((x, j) => {
      if (typeof x !== 'number' || !Number.isFinite(x)) throw new LenguaError(`${field}[${i}][${j}] = ${String(x)} is not a finite number`, { field });
    });
  });
}

/** Rows must be probabilities: each value in [0, 1] and each row summing to 1 within `tolerance`. */
export function checkProbabilityRows(rows: ReadonlyArray<readonly number[]>, field: string, tolerance = 1e-4): void {
  rows.forEach((row, i) => {
    for (const x of row) {
      if (x < 0 || x > 1) throw new LenguaError(`${field} row ${i} holds ${x}: probabilities must lie in [0, 1]`, { field });
    }
    const s = sum(row);
    if (Math.abs(s - 1) > tolerance) throw new LenguaError(`${field} row ${i} sums to ${s}, not 1 (tolerance ${tolerance})`, { field });
  });
}

function checkVector(values: readonly number[], n: number, field: string): void {
  if (!Array.isArray(values) || values.length !== n) {
    throw new LenguaError(`yTrue has ${n} samples but ${field} has ${Array.isArray(values) ? values.length : 'no'} values`, { field });
  }
  values.forEach((x, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new LenguaError(`${field}[${i}] = ${String(x)} is not a finite number`, { field });
  });
}

export interface LogLossOptions {
  /** The classes of the columns, in sorted order. Default: sorted classes of yTrue. */
  labels?: readonly Label[];
  /** Clip probabilities to [eps, 1 - eps]. 'auto' (default, as sklearn 1.2) = float64 machine epsilon 2.22e-16. */
  eps?: number | 'auto';
  /** true (default): mean loss; false: summed loss. */
  normalize?: boolean;
  sampleWeight?: readonly number[];
}

/**
 * Cross-entropy of the true class, sklearn 1.2 `log_loss`: probabilities are clipped to [eps, 1 - eps] and each
 * row renormalised to sum 1 (1.2 does not reject rows that do not sum to 1). `yProb` is a row per sample, or
 * for two classes one probability per sample for the greater label.
 */
export function logLoss(yTrue: readonly Label[], yProb: readonly number[] | ReadonlyArray<readonly number[]>, options: LogLossOptions = {}): number {
  checkLabels('yTrue', yTrue);
  const n = yTrue.length;
  if (!Array.isArray(yProb) || yProb.length !== n) {
    throw new LenguaError(`yTrue has ${n} samples but yProb has ${Array.isArray(yProb) ? yProb.length : 'no'} rows`, { field: 'yProb' });
  }
  checkSampleWeight(options.sampleWeight, n);
  const epsOpt = options.eps ?? 'auto';
  const eps = epsOpt === 'auto' ? Number.EPSILON : epsOpt;
  if (typeof eps !== 'number' || !(eps >= 0 && eps < 0.5)) throw new LenguaError(`eps must be 'auto' or a number in [0, 0.5) (got ${String(epsOpt)})`, { field: 'eps' });
  const clip = (p: number): number => Math.min(Math.max(p, eps), 1 - eps);
  let rows: number[][];
  if (Array.isArray(yProb[0])) {
    const width = (yProb[0] as readonly number[]).length;
    checkProbabilityMatrix(yProb as ReadonlyArray<readonly number[]>, width, 'yProb');
    rows = (yProb as ReadonlyArray<readonly number[]>).map((r) => r.map(clip));
  } else {
    checkVector(yProb as readonly number[], n, 'yProb');
    rows = (yProb as readonly number[]).map((p) => {
      const c = clip(p);
      return [1 - c, c];
    });
  }
  const width = rows[0]?.length ?? 0;
  const given = options.labels;
  const classCount = given !== undefined ? given.length : sortedUnique(yTrue).length;
  if (classCount === 1) {
    throw new LenguaError(
      given === undefined
        ? `yTrue contains only one label (${formatLabel(yTrue[0] as Label)}); pass all the labels explicitly with labels`
        : 'labels must contain at least two labels for log loss',
      { field: 'labels' },
    );
  }
  const classes = probabilityClasses(yTrue, given, width, 'yProb');
  const idx = indexOf(classes);
  const loss = yTrue.map((t, i) => {
    const row = rows[i] as number[];
    return -Math.log((row[idx.get(t) as number] as number) / sum(row));
  });
  const w = options.sampleWeight;
  if (options.normalize === false) return w === undefined ? sum(loss) : loss.reduce((s, x, i) => s + x * (w[i] as number), 0);
  if (w === undefined) return sum(loss) / n;
  const total = sum(w);
  if (total === 0) throw new LenguaError('sampleWeight sums to zero', { field: 'sampleWeight' });
  return loss.reduce((s, x, i) => s + x * (w[i] as number), 0) / total;
}

/** Which label is positive when `posLabel` is not given: sklearn's `_check_pos_label_consistency` rules. */
function resolvePosLabel(classes: readonly Label[], posLabel: Label | undefined): Label {
  if (posLabel !== undefined) return posLabel;
  if (classes.some((c) => typeof c === 'string')) {
    throw new LenguaError(`yTrue takes values ${classes.map(formatLabel).join(', ')} and posLabel is not given: name the positive class`, { field: 'posLabel' });
  }
  const key = classes.join(',');
  if (['0,1', '-1,1', '0', '-1', '1'].includes(key)) return 1;
  return classes[classes.length - 1] as Label; // sklearn: for other numeric classes, the greater one
}

export interface BrierOptions {
  sampleWeight?: readonly number[];
  /** The class `yProb` is the probability of. Default: 1 for {0,1} / {-1,1} labels, else the greater number; required for strings. */
  posLabel?: Label;
}

/** Binary Brier score, sklearn `brier_score_loss`: mean of (1[y = posLabel] - p)^2. */
export function brierScoreLoss(yTrue: readonly Label[], yProb: readonly number[], options: BrierOptions = {}): number {
  checkLabels('yTrue', yTrue);
  checkVector(yProb, yTrue.length, 'yProb');
  checkSampleWeight(options.sampleWeight, yTrue.length);
  const classes = sortedUnique(yTrue);
  if (classes.length > 2) {
    throw new LenguaError(`brierScoreLoss is binary only (yTrue has ${classes.length} classes); use multiclassBrierScore`, { field: 'yTrue' });
  }
  yProb.forEach((p, i) => {
    if (p < 0 || p > 1) throw new LenguaError(`yProb[${i}] = ${p}: probabilities must lie in [0, 1]`, { field: 'yProb' });
  });
  const pos = resolvePosLabel(classes, options.posLabel);
  const w = options.sampleWeight;
  let s = 0;
  let total = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const y = yTrue[i] === pos ? 1 : 0;
    const wi = w === undefined ? 1 : (w[i] as number);
    s += (y - (yProb[i] as number)) ** 2 * wi;
    total += wi;
  }
  if (total === 0) throw new LenguaError('sampleWeight sums to zero', { field: 'sampleWeight' });
  return s / total;
}

/**
 * Multiclass Brier score: mean over samples of sum over classes of (p_k - 1[y = k])^2 (Brier 1950), in [0, 2].
 * scikit-learn 1.2 has no multiclass Brier; note that for two classes this is twice `brierScoreLoss`.
 * Rows must be probabilities (in [0, 1], summing to 1 within 1e-4); columns in sorted label order.
 */
export function multiclassBrierScore(yTrue: readonly Label[], yProb: ReadonlyArray<readonly number[]>, options: { labels?: readonly Label[] } = {}): number {
  const classes = checkedProbabilityClasses(yTrue, yProb, options.labels);
  const idx = indexOf(classes);
  let total = 0;
  yTrue.forEach((t, i) => {
    const c = idx.get(t) as number;
    let s = 0;
    (yProb[i] as readonly number[]).forEach((p, k) => (s += (p - (k === c ? 1 : 0)) ** 2));
    total += s;
  });
  return total / yTrue.length;
}
