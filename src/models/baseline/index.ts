/** The reference baseline: TF-IDF word + char_wb n-grams with L2 logistic regression (scikit-learn's semantics). */
export {
  TfidfLogReg, TfidfAnalyzer, resolveOptions, checkId2Label, argmax, joinPair,
  BASELINE_FILE, BASELINE_WEIGHTS, BASELINE_FORMAT, BASELINE_TYPE,
  type TfidfLogRegOptions, type ResolvedTfidfLogRegOptions, type FitInfo,
} from './tfidf-logreg.js';
export { fitTfidf, transformTfidf, compareCodePoints, vocabularyIndex, type Csr, type TfidfOptions, type TfidfState } from './tfidf.js';
export { fitLogReg, predictProbaLogReg, type LogRegModel, type LogRegOptions, type LogRegFit } from './logreg.js';
export { lbfgs, type LbfgsOptions, type LbfgsResult, type ObjectiveFn } from './lbfgs.js';
