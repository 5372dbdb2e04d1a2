// Public face of the evaluation stage: judging a trained classifier on a labelled split (the numbers
// come from src/metrics), the once-only test-set record, and the HTML report.
export { loadClassifier, baselineClassifier, type TextClassifier, type LoadClassifierOptions } from './classifier.js';
export {
  evaluateClassifier, inferSplit, hashDataset, sha256File, checkTestDiscipline, recordEvaluation, readEvaluations, summarizeResult,
  EVALUATIONS_FILE, type EvaluateOptions, type EvaluationResult, type ExamplePrediction, type EvaluationRecord, type SplitName,
} from './evaluate.js';
export { renderReport, readTrainingLog, type ReportOptions, type LogEntry } from './report/index.js';
export {
  evaluateSeq2Seq, summarizeSeq2Seq, isEncoderDecoderConfig, seq2seqCorpusScores, seq2seqSentenceScores, rankingScore, SEQ2SEQ_EVAL_TASKS,
  type Seq2SeqEvalTask, type Seq2SeqGenerator, type GeneratedText, type Seq2SeqEvaluationResult, type Seq2SeqEvaluateOptions, type Seq2SeqExample, type LengthSummary,
} from './seq2seq.js';
export { renderSeq2SeqReport, type Seq2SeqReportOptions } from './report/seq2seq.js';
// Token classification (NER) and extractive QA: a model's predictions on a labelled file, scored and recorded.
export {
  evaluateTokenClassification, summarizeTokenResult, charEntities, checkGoldTags,
  type WordTagger, type CharEntity, type TokenSentencePrediction, type TokenEvaluationResult, type TokenEvaluateOptions,
} from './token-classification.js';
export { renderTokenReport, type TokenReportOptions } from './token-report.js';
export { evaluateQuestionAnswering, summarizeQaResult, qaMetrics, type QaAnswerer, type QaEvaluationResult, type QaEvaluateOptions, type QaPredictionRecord } from './qa.js';
