/** train/: the Trainer (transformers' loop on libtorch), its arguments, strategies, schedules and checkpoints. */
export {
  TRAINING_ARGUMENT_DOCS, ARGUMENT_NAMES, trainingArguments, readArgumentsFile, argumentName, coerceArgument, greaterIsBetter, metricKey, toHfDict,
  type TrainingArguments, type ArgumentDoc, type IntervalStrategy, type SchedulerType, type FineTuneStrategy,
} from './arguments.js';
export {
  Trainer, defaultComputeMetrics, stepSeed,
  type TrainerOptions, type TrainerState, type TrainerCallback, type TrainOutput, type ComputeMetrics,
  type FrozenForward, type FrozenForwardFactory, type FrozenForwardOptions,
} from './trainer.js';
export { EarlyStoppingCallback } from './callbacks.js';
export { encodeDataset, encodeTexts, epochBatches, sequentialBatches, collate, isMultiLabel, type EncodedDataset, type TextClassificationData, type Batch } from './data.js';
export { applyStrategy, applyDropoutOverrides, frozenLayerCount, type ParamGroup, type StrategyResult } from './strategy.js';
export { lrLambda, warmupStepsFor, type ScheduleSpec } from './scheduler.js';
export { listCheckpoints, latestCheckpoint, writeCheckpointDir, rotateCheckpoints, type CheckpointRef } from './checkpoint.js';
export { Progress } from './progress.js';
// Cross-validation and hyperparameter search.
export { crossValidate, formatCvTable, type CvOptions, type CvResult, type FoldResult } from './cv.js';
export { runSearch, resultsCsv, formatSearchTable, type SearchOptions, type SearchResult, type TrialRecord } from './search.js';
export { transformerRunner } from './transformer-runner.js';
export { baselineRunner } from './baseline-runner.js';
export { makePruner, MedianPruner, SuccessiveHalvingPruner, NoPruner, type Pruner, type PrunerName } from './pruning.js';
export { parseSearchSpace, loadSearchSpace, type SearchSpace } from './search-space.js';
export type { TrialRunner, TrialResult, TrialData } from './trial.js';
export { trainBaseline, type TrainBaselineOptions, type TrainBaselineResult } from './baseline.js';
// Encoder-decoders (T5, BART, Marian): translation and summarization.
export { Seq2SeqTrainer, seq2seqMetrics, type Seq2SeqTrainerOptions, type Seq2SeqTask, type Seq2SeqComputeMetrics, type Seq2SeqPrediction } from './seq2seq-trainer.js';
export { encodeSeq2Seq, collateSeq2Seq, LABEL_PAD, type Seq2SeqEncodedDataset, type Seq2SeqEncodeOptions, type Seq2SeqBatch } from './seq2seq-data.js';
export { BaseTrainer, type BaseTrainerOptions, type TrainingData } from './base-trainer.js';
// Token classification (NER): word-to-subword label alignment and entity-level evaluation.
export { TokenClassificationTrainer, tokenClassificationScores, type TokenClassificationTrainerOptions, type TokenPrediction } from './token-trainer.js';
export { encodeTokenClassification, collateTokenClassification, wordTags, type TaggedSentence, type TokenEncodeOptions, type TokenEncodedDataset, type TokenBatch } from './token-data.js';
// Extractive QA (SQuAD/XQuAD): run_qa's windowed features and utils_qa's answer post-processing.
export { prepareQaFeatures, windowRanges, type QaFeatures, type QaFeatureOptions } from './qa-data.js';
export { postprocessQaPredictions, type QaPostprocessOptions, type QaPostprocessResult, type QaCandidate } from './qa-postprocess.js';
export {
  QuestionAnsweringTrainer, encodeQuestionAnswering, questionAnsweringLogits, answersFromLogits, questionAnsweringScores,
  type QuestionAnsweringTrainerOptions, type QaEncodedDataset, type QaAnswerOptions, type QaPrediction, type QaPredictionOutput, type QaLogits,
} from './qa-trainer.js';
// Masked-LM pretraining (run_mlm.py): grouped or line-by-line data, DataCollatorForLanguageModeling masking, the model card.
export { encodeMlm, maskTokens, collateMlm, MAX_MLM_TEXTS, type MlmEncodedDataset, type MlmEncodeOptions, type MaskingOptions, type MlmBatch } from './mlm-data.js';
export { MaskedLMTrainer, type MaskedLMTrainerOptions } from './mlm-trainer.js';
export { renderPretrainingCard, type PretrainingCard, type CorpusSource, type CorpusFile } from './model-card.js';
