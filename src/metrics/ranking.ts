// ROC-AUC as sklearn 1.2's `roc_auc_score` (sklearn/metrics/_ranking.py, _base.py): the ROC curve has one
// point per distinct score (tied scores move together), and the area is the trapezoidal rule over it, so
// ties count half. Multiclass: one-vs-rest (macro / weighted / micro) or one-vs-one (Hand & Till).
import { LenguaError } from '../errors.js';
import { type Label, checkLabels, checkSampleWeight, formatLabel, indexOf, sortedUnique, sum } from './labels.js';
import { checkProbabilityMatrix, probabilityClasses } from './probabilistic.js';

/** Trapezoidal area under the ROC curve given cumulative (fp, tp) at each distinct threshold, from (0, 0). */
function trapezoid(fps: Float64Array, tps: Float64Array, points: number): number {
  const fpLast = fps[points - 1] as number;
  const tpLast = tps[points - 1] as number;
  if (!(fpLast > 0) || !(tpLast > 0)) return NaN; // all weight on one class: sklearn warns and gets NaN
  let area = 0;
  for (let k = 1; k < points; k++) {
    const dx = (fps[k] as number) / fpLast - (fps[k - 1] as number) / fpLast;
    area += (dx * ((tps[k] as number) / tpLast + (tps[k - 1] as number) / tpLast)) / 2;
  }
  return area;
}

/**
 * Area under the ROC curve for a boolean truth and a score (higher = more positive), as sklearn's
 * `_binary_roc_auc_score`: one curve point per distinct score, trapezoidal area.
 */
export function binaryRocAuc(isPositive: ArrayLike<boolean>, score: ArrayLike<number>, sampleWeight?: ArrayLike<number>): number {
  const n = isPositive.length;
  let nPos = 0;
  for (let i = 0; i < n; i++) if (isPositive[i] === true) nPos++;
  if (nPos === 0 || nPos === n) throw new LenguaError('only one class is present in yTrue: ROC-AUC is not defined in that case');
  const fps = new Float64Array(n + 1);
  const tps = new Float64Array(n + 1);
  let points = 1;
  if (sampleWeight === undefined) {
    // Unweighted: sort each class's scores natively (no comparator), then walk both from the top, one point per
    // distinct score. Counts are integers, so this is exactly sklearn's cumulative sums.
    const pos = new Float64Array(nPos);
    const neg = new Float64Array(n - nPos);
    let a = 0;
    let b = 0;
    for (let i = 0; i < n; i++) {
      if (isPositive[i] === true) pos[a++] = score[i] as number;
      else neg[b++] = score[i] as number;
    }
    pos.sort();
    neg.sort();
    let i = pos.length - 1;
    let j = neg.length - 1;
    let tp = 0;
    let fp = 0;
    while (i >= 0 || j >= 0) {
      const s = Math.max(i >= 0 ? (pos[i] as number) : -Infinity, j >= 0 ? (neg[j] as number) : -Infinity);
      while (i >= 0 && pos[i] === s) {
        tp++;
        i--;
      }
      while (j >= 0 && neg[j] === s) {
        fp++;
        j--;
      }
      fps[points] = fp;
      tps[points] = tp;
      points++;
    }
    return trapezoid(fps, tps, points);
  }
  // Weighted: zero-weight samples add no threshold (sklearn drops them); weights accumulate in descending score
  // order (sklearn sorts stably ascending and reverses, which only reorders within ties).
  const order = Uint32Array.from({ length: n }, (_, i) => i).filter((i) => sampleWeight[i] !== 0);
  const sc = Float64Array.from(score);
  order.sort((x, y) => (sc[y] as number) - (sc[x] as number));
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k] as number;
    const w = sampleWeight[i] as number;
    if (isPositive[i] === true) tp += w;
    else fp += w;
    const next = order[k + 1];
    if (next === undefined || sc[next] !== sc[i]) {
      fps[points] = fp;
      tps[points] = tp;
      points++;
    }
  }
  return trapezoid(fps, tps, points);
}

export interface RocAucOptions {
  /** Multiclass strategy: 'ovr' one-vs-rest, 'ovo' one-vs-one (Hand & Till 2001). Required for multiclass. */
  multiClass?: 'ovr' | 'ovo';
  /** Multiclass averaging. 'micro' only with 'ovr'. null: per-class scores (ovr only). Default 'macro'. */
  average?: 'macro' | 'weighted' | 'micro' | null;
  /** The classes of the score columns, in sorted order (scikit-learn's column order). Default: sorted yTrue. */
  labels?: readonly Label[];
  /** Not supported with 'ovo', as in sklearn. */
  sampleWeight?: readonly number[];
}

/**
 * sklearn `roc_auc_score`. Binary: `yScore` is one score per sample for the greater label (sorted order), e.g.
 * the positive-class probability. Multiclass: `yScore` is a probability row per sample (rows sum to 1).
 * Returns a per-class array only for `average: null`.
 */
export function rocAucScore(yTrue: readonly Label[], yScore: readonly number[] | ReadonlyArray<readonly number[]>, options: RocAucOptions = {}): number | number[] {
  checkLabels('yTrue', yTrue);
  if (!Array.isArray(yScore) || yScore.length !== yTrue.length) {
    throw new LenguaError(`yTrue has ${yTrue.length} samples but yScore has ${Array.isArray(yScore) ? yScore.length : 'no'} rows`);
  }
  checkSampleWeight(options.sampleWeight, yTrue.length);
  const present = sortedUnique(yTrue);
  const is2d = Array.isArray(yScore[0]);
  if (!is2d) {
    const s = yScore as readonly number[];
    s.forEach((x, i) => {
      if (typeof x !== 'number' || !Number.isFinite(x)) throw new LenguaError(`yScore[${i}] = ${String(x)} is not a finite number`, { field: 'yScore' });
    });
    if (present.length > 2) {
      throw new LenguaError(`yTrue has ${present.length} classes: multiclass ROC-AUC needs a probability row per sample, not one score`, { field: 'yScore' });
    }
    if (present.length < 2) throw new LenguaError('only one class is present in yTrue: ROC-AUC is not defined in that case');
    const pos = present[1] as Label;
    return binaryRocAuc(
      yTrue.map((t) => t === pos),
      s,
      options.sampleWeight,
    );
  }
  const rows = yScore as ReadonlyArray<readonly number[]>;
  const width = rows[0]?.length ?? 0;
  if (present.length <= 2 && width <= 2) {
    throw new LenguaError(`binary ROC-AUC takes one score per sample (the column of the greater label ${formatLabel(present[present.length - 1] as Label)}), not rows of ${width}`, {
      field: 'yScore',
    });
  }
  const multiClass = options.multiClass;
  if (multiClass !== 'ovr' && multiClass !== 'ovo') {
    throw new LenguaError(`multiclass ROC-AUC needs multiClass 'ovr' or 'ovo' (got ${String(multiClass)})`, { field: 'multiClass' });
  }
  const average = options.average === undefined ? 'macro' : options.average;
  if (multiClass === 'ovo' && (average === null || average === 'micro')) {
    throw new LenguaError(`average ${String(average)} is not available with multiClass 'ovo': use macro or weighted`, { field: 'average' });
  }
  if (average !== null && !['macro', 'weighted', 'micro'].includes(average)) {
    throw new LenguaError(`average must be macro, weighted, micro or null (got ${String(average)})`, { field: 'average' });
  }
  const classes = probabilityClasses(yTrue, options.labels, width, 'yScore');
  checkProbabilityMatrix(rows, width, 'yScore');
  for (let i = 0; i < rows.length; i++) {
    const s = sum(rows[i] as number[]);
    // numpy.allclose(1, s): |1 - s| <= 1e-8 + 1e-5 * |s|
    if (!(Math.abs(1 - s) <= 1e-8 + 1e-5 * Math.abs(s))) {
      throw new LenguaError(`yScore row ${i} sums to ${s}: multiclass ROC-AUC needs probabilities that sum to 1 over classes`, { field: 'yScore' });
    }
  }
  const idx = indexOf(classes);
  const code = yTrue.map((t) => idx.get(t) as number);
  const k = classes.length;
  if (multiClass === 'ovo') {
    if (options.sampleWeight !== undefined) throw new LenguaError("sampleWeight is not supported with multiClass 'ovo'", { field: 'sampleWeight' });
    const uniq = [...new Set(code)].sort((a, b) => a - b);
    const pairScores: number[] = [];
    const prevalence: number[] = [];
    for (let ai = 0; ai < uniq.length; ai++) {
      for (let bi = ai + 1; bi < uniq.length; bi++) {
        const a = uniq[ai] as number;
        const b = uniq[bi] as number;
        const sel = code.map((c, i) => (c === a || c === b ? i : -1)).filter((i) => i >= 0);
        prevalence.push(sel.length / code.length);
        const aScore = binaryRocAuc(
          sel.map((i) => code[i] === a),
          sel.map((i) => (rows[i] as number[])[a] as number),
        );
        const bScore = binaryRocAuc(
          sel.map((i) => code[i] === b),
          sel.map((i) => (rows[i] as number[])[b] as number),
        );
        pairScores.push((aScore + bScore) / 2);
      }
    }
    if (average === 'weighted') return pairScores.reduce((s, x, i) => s + x * (prevalence[i] as number), 0) / sum(prevalence);
    return sum(pairScores) / pairScores.length;
  }
  const w = options.sampleWeight;
  if (average === 'micro') {
    const truth: boolean[] = [];
    const scores: number[] = [];
    const weights: number[] | undefined = w === undefined ? undefined : [];
    for (let i = 0; i < code.length; i++) {
      for (let c = 0; c < k; c++) {
        truth.push(code[i] === c);
        scores.push((rows[i] as number[])[c] as number);
        weights?.push(w?.[i] as number);
      }
    }
    return binaryRocAuc(truth, scores, weights);
  }
  const perClass: number[] = [];
  const classWeight: number[] = [];
  for (let c = 0; c < k; c++) {
    const truth = code.map((x) => x === c);
    if (!truth.includes(true)) {
      throw new LenguaError(`class ${formatLabel(classes[c] as Label)} never occurs in yTrue: its one-vs-rest ROC-AUC is not defined`, { field: 'labels' });
    }
    perClass.push(binaryRocAuc(truth, rows.map((r) => r[c] as number), w));
    classWeight.push(truth.reduce((s, t, i) => s + (t ? (w === undefined ? 1 : (w[i] as number)) : 0), 0));
  }
  if (average === null) return perClass;
  return average === 'weighted' ? weightedOvrAverage(perClass, classWeight) : sum(perClass) / k;
}

/** sklearn's 'weighted' average of one-vs-rest scores: weights = (weighted) true count per class; 0 if they sum to ~0. */
export function weightedOvrAverage(perClass: readonly number[], classWeight: readonly number[]): number {
  const total = sum(classWeight);
  if (Math.abs(total) <= 1e-8) return 0;
  return perClass.reduce((s, x, c) => s + (classWeight[c] === 0 ? 0 : x) * (classWeight[c] as number), 0) / total;
}
