// Everything that applies to one set of predictions, in one call: used by `lengua metrics` and the Trainer.
import { LenguaError } from '../errors.js';
import { reliabilityDiagram, type ReliabilityDiagram } from './calibration.js';
import { accuracyScore, cohenKappaScore, confusionMatrix, matthewsCorrcoef, precisionRecallFscoreSupport, type ConfusionMatrix } from './classification.js';
import { type Label, type WarningHandler, checkLabelOption, checkPair, compareLabels, labelKind, sortedUnique, sum } from './labels.js';
import { brierScoreLoss, checkProbabilityMatrix, checkProbabilityRows, logLoss, multiclassBrierScore } from './probabilistic.js';
import { rocAucScore, weightedOvrAverage } from './ranking.js';

export interface ClassMetrics {
  label: Label;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface AverageMetrics {
  precision: number;
  recall: number;
  f1: number;
}

export interface ProbabilityMetrics {
  logLoss: number;
  /** Binary ROC-AUC for two classes, else one-vs-rest macro; null when undefined (a class with no true sample). */
  rocAuc: number | null;
  /** One-vs-rest weighted by class frequency (equal to rocAuc for two classes); null when undefined. */
  rocAucWeighted: number | null;
  /** Multiclass Brier score: mean over samples of the summed squared error over classes (in [0, 2]). */
  brier: number;
  /** sklearn's binary `brier_score_loss` for the greater label, when there are two classes. */
  brierBinary: number | null;
  /** Expected calibration error (15 bins by default). */
  ece: number;
  reliability: ReliabilityDiagram;
}

export interface ClassificationMetrics {
  n: number;
  /** The classes, in report order. Probability columns are in the sorted order of these. */
  labels: Label[];
  accuracy: number;
  perClass: ClassMetrics[];
  micro: AverageMetrics;
  macro: AverageMetrics;
  weighted: AverageMetrics;
  /** Recall averaged over classes with equal weight: the TweetEval sentiment metric. */
  macroRecall: number;
  /** Scores of the positive class when `posLabel` is given (binary average). */
  binary: (AverageMetrics & { posLabel: Label }) | null;
  mcc: number;
  kappa: number;
  confusionMatrix: ConfusionMatrix;
  probability: ProbabilityMetrics | null;
  /** Zero-division and undefined-metric notes (values were set to 0 as scikit-learn's default does). */
  warnings: string[];
}

export interface ComputeOptions {
  /** Probability rows, one per sample, columns in the sorted order of the classes. */
  probabilities?: ReadonlyArray<readonly number[]>;
  /** The classes to report, in this order. Default: sorted labels of yTrue and yPred (plus the probability columns' classes). */
  labels?: readonly Label[];
  /** Adds `binary`: precision/recall/F1 of this class. */
  posLabel?: Label;
  sampleWeight?: readonly number[];
  /** Number of calibration bins (default 15). */
  nBins?: number;
}

/** Every label and probability metric that applies to these predictions. */
export function computeClassificationMetrics(yTrue: readonly Label[], yPred: readonly Label[], options: ComputeOptions = {}): ClassificationMetrics {
  checkPair(yTrue, yPred);
  checkLabelOption(options.labels, labelKind(yTrue));
  const warnings: string[] = [];
  const onWarning: WarningHandler = (m) => {
    if (!warnings.includes(m)) warnings.push(m);
  };
  const labels = options.labels !== undefined ? [...options.labels] : sortedUnique(yTrue, yPred);
  if (options.labels !== undefined) {
    const known = new Set(labels);
    const unknown = sortedUnique(yTrue, yPred).filter((l) => !known.has(l));
    if (unknown.length > 0) throw new LenguaError(`labels do not include ${unknown.map(String).join(', ')}, which occur in the data`, { field: 'labels' });
  }
  const sampleWeight = options.sampleWeight;
  const common = { labels, sampleWeight, zeroDivision: 'warn' as const, onWarning };
  const per = precisionRecallFscoreSupport(yTrue, yPred, { ...common, average: null });
  const avg = (average: 'micro' | 'macro' | 'weighted'): AverageMetrics => {
    const r = precisionRecallFscoreSupport(yTrue, yPred, { ...common, average });
    return { precision: r.precision, recall: r.recall, f1: r.fscore };
  };
  const macro = avg('macro');
  let binary: ClassificationMetrics['binary'] = null;
  if (options.posLabel !== undefined) {
    if (!labels.includes(options.posLabel)) throw new LenguaError(`posLabel ${String(options.posLabel)} is not one of the labels`, { field: 'posLabel' });
    const r = precisionRecallFscoreSupport(yTrue, yPred, { ...common, labels: [options.posLabel], average: 'micro' });
    binary = { posLabel: options.posLabel, precision: r.precision, recall: r.recall, f1: r.fscore };
  }
  let probability: ProbabilityMetrics | null = null;
  if (options.probabilities !== undefined) {
    probability = probabilityMetrics(yTrue, options.probabilities, [...labels].sort(compareLabels), options, warnings);
  }
  return {
    n: yTrue.length,
    labels,
    accuracy: accuracyScore(yTrue, yPred, { sampleWeight }),
    perClass: labels.map((label, i) => ({
      label,
      precision: per.precision[i] as number,
      recall: per.recall[i] as number,
      f1: per.fscore[i] as number,
      support: per.support[i] as number,
    })),
    micro: avg('micro'),
    macro,
    weighted: avg('weighted'),
    macroRecall: macro.recall,
    binary,
    mcc: matthewsCorrcoef(yTrue, yPred, { sampleWeight }),
    kappa: cohenKappaScore(yTrue, yPred, { labels, sampleWeight }),
    confusionMatrix: confusionMatrix(yTrue, yPred, { labels, sampleWeight }),
    probability,
    warnings,
  };
}

function probabilityMetrics(
  yTrue: readonly Label[],
  probs: ReadonlyArray<readonly number[]>,
  classes: Label[],
  options: ComputeOptions,
  warnings: string[],
): ProbabilityMetrics {
  if (!Array.isArray(probs) || probs.length !== yTrue.length) {
    throw new LenguaError(`yTrue has ${yTrue.length} samples but probabilities has ${Array.isArray(probs) ? probs.length : 'no'} rows`, { field: 'probabilities' });
  }
  checkProbabilityMatrix(probs, classes.length, 'probabilities');
  checkProbabilityRows(probs, 'probabilities');
  const sampleWeight = options.sampleWeight;
  const undefinedAs = (what: string, f: () => number): number | null => {
    try {
      const v = f();
      if (Number.isNaN(v)) throw new LenguaError('not defined for these samples');
      return v;
    } catch (err) {
      if (!(err instanceof LenguaError)) throw err;
      warnings.push(`${what} is not defined: ${err.message}`);
      return null;
    }
  };
  const two = classes.length === 2;
  const positive = probs.map((r) => r[1] as number);
  let rocAuc: number | null;
  let rocAucWeighted: number | null;
  if (two) {
    rocAuc = undefinedAs('ROC-AUC', () => rocAucScore(yTrue, positive, { sampleWeight }) as number);
    rocAucWeighted = rocAuc;
  } else {
    // one pass over the classes for both averages
    let perClass: number[] = [];
    rocAuc = undefinedAs('ROC-AUC', () => {
      perClass = rocAucScore(yTrue, probs, { multiClass: 'ovr', average: null, labels: classes, sampleWeight }) as number[];
      return sum(perClass) / perClass.length;
    });
    const classWeight = classes.map((c) => yTrue.reduce<number>((s, t, i) => s + (t === c ? (sampleWeight === undefined ? 1 : (sampleWeight[i] as number)) : 0), 0));
    rocAucWeighted = rocAuc === null ? null : weightedOvrAverage(perClass, classWeight);
  }
  const reliability = reliabilityDiagram(yTrue, probs, { labels: classes, nBins: options.nBins });
  return {
    logLoss: logLoss(yTrue, probs, { labels: classes, sampleWeight }),
    rocAuc,
    rocAucWeighted,
    brier: multiclassBrierScore(yTrue, probs, { labels: classes }),
    brierBinary: two ? brierScoreLoss(yTrue, positive, { posLabel: classes[1], sampleWeight }) : null,
    ece: reliability.ece,
    reliability,
  };
}
