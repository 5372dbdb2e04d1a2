/**
 * Lengua: the Hugging Face NLP workflow for TypeScript on Node.js.
 *
 * The package's public API, named one by one and grouped the way a transformers user looks for them
 * (`import { AutoTokenizer, AutoModelForSequenceClassification, Trainer } from 'lengua'`). Everything
 * else in src/ is internal and may change. `torch` is the small PyTorch-like tensor API, as a namespace.
 * Importing never loads libtorch: the native binding is loaded by the first tensor operation.
 */

import { registerOnnxExporter } from './infer/index.js';
import { exportToOnnx, type ExportOptions } from './export/index.js';

// Errors: every bad input names its file, line and field.
export { LenguaError } from './errors.js';

// Text: normalization, words and n-grams, Hugging Face tokenizers.
export { normalize, NORMALIZE_PRESETS } from './text/normalize.js';
export type { NormalizeOptions, NormalizePreset } from './text/normalize.js';
export { tokenizeWords, wordNgrams, charNgrams } from './text/index.js';
export type { WordToken, WordTokenizeOptions } from './text/index.js';
export { AutoTokenizer, PreTrainedTokenizer } from './text/index.js';
export type { Encoding, EncodeOptions, DecodeOptions, SpecialTokens, TruncationStrategy, PaddingStrategy } from './text/index.js';
export type { FromPretrainedOptions as TokenizerFromPretrainedOptions } from './text/index.js';
// Training a tokenizer (BPE, WordPiece, Unigram) on your own corpus, as Hugging Face `tokenizers` trains one.
export { trainTokenizer, saveTrainedTokenizer } from './text/tokenizer/train/index.js';
export type { TrainTokenizerOptions, TrainedTokenizer } from './text/tokenizer/train/index.js';

// Datasets: loading labelled text and CoNLL files, label sets, splits, leakage and inspection.
export { loadDataset, loadConll, loadSeq2SeqData, loadSquadJsonl, LabelSet, splitDataset, stratifiedKFold, leakageReport, inspectDataset, writeSplits } from './data/index.js';
export type { Dataset, Example, LoadOptions, SplitOptions, SplitResult, ConllDataset, QaExample, InspectReport, LeakageReport } from './data/index.js';

// Hugging Face formats: safetensors, checkpoints, model ids.
export { readSafetensors, writeSafetensors, loadCheckpoint, saveCheckpoint, resolveModelDir } from './hub/index.js';
export type { SafetensorsFile, SafetensorsEntry, ResolveOptions } from './hub/index.js';

// Models: the Auto classes, each family's config, model and heads, and the reference baseline.
export {
  AutoConfig, AutoModel, AutoModelForSequenceClassification, AutoModelForTokenClassification, AutoModelForMaskedLM, AutoModelForCausalLM, AutoModelForQuestionAnswering,
  PretrainedConfig, PreTrainedModel,
  BertConfig, BertModel, BertForSequenceClassification, BertForTokenClassification, BertForMaskedLM,
  RobertaConfig, RobertaModel, RobertaForSequenceClassification, RobertaForTokenClassification, RobertaForMaskedLM,
  DistilBertConfig, DistilBertModel, DistilBertForSequenceClassification, DistilBertForTokenClassification, DistilBertForMaskedLM,
  GPT2Config, GPT2Model, GPT2LMHeadModel,
  AutoModelForSeq2SeqLM, T5Config, T5ForConditionalGeneration, BartConfig, BartForConditionalGeneration, MarianConfig, MarianMTModel,
  greedyGenerate, torchCausalLm, torchSeq2SeqLm, logger,
} from './models/index.js';
export type {
  AnyConfig, ModelType, Task, ProblemType, FromPretrainedOptions, SavePretrainedOptions, ForwardInput, ModelOutput, BaseModelOutput,
  GenerateOptions, LogSink,
} from './models/index.js';
export { TfidfLogReg } from './models/baseline/index.js';
export type { TfidfLogRegOptions } from './models/baseline/index.js';

// Training: the Trainer and its arguments, callbacks, cross-validation and hyperparameter search.
export { Trainer, Seq2SeqTrainer, TokenClassificationTrainer, encodeTokenClassification, QuestionAnsweringTrainer, encodeQuestionAnswering, MaskedLMTrainer, encodeMlm, trainingArguments, readArgumentsFile, EarlyStoppingCallback, encodeDataset, encodeTexts, encodeSeq2Seq, trainBaseline } from './train/index.js';
export type {
  TrainingArguments, TrainerOptions, TrainerCallback, TrainerState, TrainOutput, ComputeMetrics, EncodedDataset, FineTuneStrategy,
  TrainBaselineOptions, TrainBaselineResult, QuestionAnsweringTrainerOptions, QaPrediction, MaskedLMTrainerOptions, MlmEncodedDataset, MaskingOptions,
} from './train/index.js';
export { crossValidate, runSearch, transformerRunner, baselineRunner, parseSearchSpace, loadSearchSpace } from './train/index.js';
export type { CvOptions, CvResult, SearchOptions, SearchResult, SearchSpace } from './train/index.js';

// Metrics: scikit-learn-compatible classification metrics, calibration, conlleval-style entity scores, sacreBLEU's BLEU and chrF, rouge_score's ROUGE.
export {
  accuracyScore, precisionScore, recallScore, f1Score, fbetaScore, precisionRecallFscoreSupport, confusionMatrix, matthewsCorrcoef,
  cohenKappaScore, classificationReport, rocAucScore, logLoss, brierScoreLoss, expectedCalibrationError, reliabilityDiagram,
  entityMetrics, computeClassificationMetrics,
  corpusBleu, sentenceBleu, corpusChrf, rouge,
} from './metrics/index.js';
export type { Label, Average, ClassificationMetrics, EntityMetrics, BleuOptions, BleuScore, ChrfOptions, ChrfScore, RougeOptions } from './metrics/index.js';

// Evaluation: a trained model judged on a split (classifier, encoder-decoder, NER, extractive QA), the once-only test record, the HTML report.
export { loadClassifier, evaluateClassifier, renderReport, evaluateSeq2Seq, evaluateTokenClassification, evaluateQuestionAnswering, type Seq2SeqEvaluationResult } from './eval/index.js';
export type { TokenEvaluationResult, QaEvaluationResult } from './eval/index.js';
export type { TextClassifier, EvaluationResult } from './eval/index.js';

// Generation: transformers' decoding loop (greedy, sampling, beam search) over any engine's CausalLm.
export { generate, resolveGenerationConfig } from './generation/index.js';
export type { GenerationOptions, GenerationConfig, CausalLm, DecoderSession, DecoderStep, GeneratedSequence } from './generation/index.js';

// Tensors, autograd, nn modules and optimizers on libtorch (PyTorch's names).
export * as torch from './torch/index.js';

// Inference on ONNX Runtime, without libtorch: pipeline() for the encoder tasks and text generation, as transformers names them.
export {
  pipeline, PIPELINE_TASKS, TextClassificationPipeline, TokenClassificationPipeline, FillMaskPipeline, FeatureExtractionPipeline,
  ZeroShotClassificationPipeline, TextGenerationPipeline, Text2TextGenerationPipeline, QuestionAnsweringPipeline, registerOnnxExporter, onnxCacheDir,
} from './infer/index.js';
export type {
  PipelineTask, PipelineOptions, TextClassificationOptions, TextClassificationOutput, TextPair, FunctionToApply, TokenClassificationOptions,
  TokenEntity, EntityGroup, AggregationStrategy, FillMaskOptions, FillMaskOutput, FeatureExtractionOptions, Pooling,
  ZeroShotClassificationOptions, ZeroShotClassificationOutput, TextGenerationPipelineOptions, TextGenerationCallOptions, TextGenerationOutput,
  OnnxExporter, OnnxDtype, Text2TextTask, Text2TextOutput, Text2TextCallOptions, QuestionAnsweringOptions, QuestionAnsweringOutput, QuestionAnsweringInput,
} from './infer/index.js';

// Export to ONNX (what `lengua export` runs).
export { exportToOnnx };
export type { ExportOptions, ExportResult } from './export/index.js';

// Deployment: the inference server and the model registry, as `lengua serve` and `lengua registry` use them.
export { LenguaServer } from './serve/server.js';
export type { ServerOptions, ModelSpec } from './serve/server.js';
export { Registry } from './registry/index.js';
// The document assistant (`lengua assist`): BM25 and embedding retrieval, an extractive or generative reader, citations.
export { Assistant } from './assist/index.js';
export type { AssistantOptions, AskOptions, AssistantAnswer, Citation } from './assist/index.js';
export type { ResolvedRef, Manifest, PushOptions } from './registry/index.js';

// pipeline() given a training folder exports it on the fly; src/infer cannot import the export stage
// (it would bring libtorch into the inference path), so the package entry lends it the exporter.
registerOnnxExporter(async (modelDir, outDir, { task }) => {
  await exportToOnnx(modelDir, outDir, { task: task as NonNullable<ExportOptions['task']> });
});
