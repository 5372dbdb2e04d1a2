// Expected calibration error and the reliability diagram behind it (Guo et al., "On Calibration of Modern
// Neural Networks", ICML 2017). scikit-learn has no ECE; scripts/metrics-references.py computes the same
// definition directly with numpy for the reference tests.
//
// Definition: confidence = the largest probability in a row, prediction = its class (the first on ties, like
// numpy argmax). Bin k of n holds confidences in (k/n, (k+1)/n], boundaries computed as k * (1/n) with the last
// one exactly 1; a confidence of exactly 0 goes to the first bin. ECE = sum over bins of
// (bin size / N) * |accuracy(bin) - mean confidence(bin)|.
import { LenguaError } from '../errors.js';
import { type Label, checkLabels, indexOf } from './labels.js';
import { checkedProbabilityClasses } from './probabilistic.js';

export interface CalibrationOptions {
  /** Number of equal-width confidence bins (default 15, as Guo et al.). */
  nBins?: number;
  /** Classes of the probability columns, in sorted order. Default: sorted classes of yTrue. */
  labels?: readonly Label[];
}

export interface ReliabilityBin {
  lower: number;
  upper: number;
  count: number;
  /** Mean confidence of the bin's samples; null for an empty bin. */
  confidence: number | null;
  /** Fraction of the bin's samples predicted correctly; null for an empty bin. */
  accuracy: number | null;
}

export interface ReliabilityDiagram {
  bins: ReliabilityBin[];
  /** Expected calibration error. */
  ece: number;
  /** Maximum calibration error: the largest |accuracy - confidence| over non-empty bins. */
  mce: number;
  n: number;
}

/** Per-bin confidence, accuracy and count, with ECE and MCE, from probability rows (columns in sorted label order). */
export function reliabilityDiagram(yTrue: readonly Label[], yProb: ReadonlyArray<readonly number[]>, options: CalibrationOptions = {}): ReliabilityDiagram {
  checkLabels('yTrue', yTrue);
  const nBins = options.nBins ?? 15;
  if (!Number.isInteger(nBins) || nBins < 1 || nBins > 10_000) throw new LenguaError(`nBins must be an integer in 1..10000 (got ${nBins})`, { field: 'nBins' });
  const classes = checkedProbabilityClasses(yTrue, yProb, options.labels);
  const truthIdx = indexOf(classes);
  const step = 1 / nBins;
  const upper = (k: number): number => (k === nBins - 1 ? 1 : (k + 1) * step);
  const count = new Array<number>(nBins).fill(0);
  const confSum = new Array<number>(nBins).fill(0);
  const hitSum = new Array<number>(nBins).fill(0);
  yProb.forEach((row, i) => {
    let best = 0;
    for (let j = 1; j < row.length; j++) if ((row[j] as number) > (row[best] as number)) best = j;
    const conf = row[best] as number;
    // start from the arithmetic guess, then correct against the exact boundaries used by the definition
    let k = Math.min(nBins - 1, Math.max(0, Math.ceil(conf * nBins) - 1));
    while (k > 0 && conf <= k * step) k--;
    while (k < nBins - 1 && conf > upper(k)) k++;
    count[k] = (count[k] as number) + 1;
    confSum[k] = (confSum[k] as number) + conf;
    hitSum[k] = (hitSum[k] as number) + (best === truthIdx.get(yTrue[i] as Label) ? 1 : 0);
  });
  const n = yTrue.length;
  let ece = 0;
  let mce = 0;
  const bins: ReliabilityBin[] = [];
  for (let k = 0; k < nBins; k++) {
    const c = count[k] as number;
    if (c === 0) {
      bins.push({ lower: k * step, upper: upper(k), count: 0, confidence: null, accuracy: null });
      continue;
    }
    const confidence = (confSum[k] as number) / c;
    const accuracy = (hitSum[k] as number) / c;
    const gap = Math.abs(accuracy - confidence);
    ece += (c / n) * gap;
    mce = Math.max(mce, gap);
    bins.push({ lower: k * step, upper: upper(k), count: c, confidence, accuracy });
  }
  return { bins, ece, mce, n };
}

/** Expected calibration error (see the definition at the top of this file). */
export function expectedCalibrationError(yTrue: readonly Label[], yProb: ReadonlyArray<readonly number[]>, options: CalibrationOptions = {}): number {
  return reliabilityDiagram(yTrue, yProb, options).ece;
}
