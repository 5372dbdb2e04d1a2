// Public face of the metrics: scikit-learn 1.2-compatible classification metrics, calibration,
// conlleval-style entity scores for NER, and seq2seq metrics (sacreBLEU's BLEU and chrF, rouge_score's ROUGE).
export type { Label, ZeroDivision, WarningHandler } from './labels.js';
export { compareLabels, sortedUnique } from './labels.js';
export {
  accuracyScore,
  confusionMatrix,
  precisionRecallFscoreSupport,
  precisionScore,
  recallScore,
  f1Score,
  fbetaScore,
  macroRecall,
  matthewsCorrcoef,
  cohenKappaScore,
} from './classification.js';
export type {
  Average,
  AccuracyOptions,
  ConfusionMatrixOptions,
  ConfusionMatrix,
  PrfOptions,
  PerClassScores,
  AveragedScores,
  Score,
  KappaOptions,
} from './classification.js';
export { classificationReport } from './report.js';
export type { ReportOptions, ReportRow, ReportDict } from './report.js';
export { rocAucScore, binaryRocAuc } from './ranking.js';
export type { RocAucOptions } from './ranking.js';
export { logLoss, brierScoreLoss, multiclassBrierScore } from './probabilistic.js';
export type { LogLossOptions, BrierOptions } from './probabilistic.js';
export { expectedCalibrationError, reliabilityDiagram } from './calibration.js';
export type { CalibrationOptions, ReliabilityBin, ReliabilityDiagram } from './calibration.js';
export { entityMetrics, extractEntities } from './ner.js';
export type { TagScheme, Entity, EntityScores, TypeScores, EntityMetrics, EntityOptions } from './ner.js';
export { computeClassificationMetrics } from './summary.js';
export type { ClassificationMetrics, ClassMetrics, AverageMetrics, ProbabilityMetrics, ComputeOptions } from './summary.js';
export { corpusBleu, sentenceBleu, computeBleu, tokenize13a, toReferenceStreams } from './bleu.js';
export type { BleuOptions, BleuScore, BleuSmoothing, BleuTokenizer } from './bleu.js';
export { corpusChrf, sentenceChrf } from './chrf.js';
export type { ChrfOptions, ChrfScore } from './chrf.js';
export { rouge, rougeScore, rougeScoreMulti, rougeTokenize } from './rouge.js';
export { generationScores, type GenerationTask } from './generation-scores.js';
export type { RougeType, RougeTriple, RougeOptions, RougeScoreOptions } from './rouge.js';
export { porterStem } from './porter.js';
export { normalizeAnswer, squadExactMatch, squadF1, squadV2Exact, squadV2F1, squadV1, squadV2, findBestThresh } from './squad.js';
export type { SquadReference, SquadPredictions, SquadV1Score, SquadV2Options, SquadV2Score } from './squad.js';
