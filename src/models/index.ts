// Public face of the models stage: the Auto classes (transformers' names, camelCase), each family's
// config, model and heads (one folder per family), PreTrainedModel and the types of its interface.
export {
  AutoConfig, AutoModel, AutoModelForSequenceClassification, AutoModelForTokenClassification, AutoModelForMaskedLM,
  AutoModelForQuestionAnswering, AutoModelForCausalLM, AutoModelForSeq2SeqLM, MODEL_FAMILIES, MODEL_TYPES, configFromDict, modelFromConfig, modelFromPretrained, parseConfig, readConfigFile,
  taskOfArchitecture,
} from './auto.js';
export type {
  AnyConfig, AutoConfigOptions, FromPretrainedOptions, ModelType, Task, AnyBaseModel, AnySequenceClassifier, AnyTokenClassifier, AnyMaskedLM, AnyQuestionAnswering, AnySeq2SeqLM,
} from './auto.js';
export type { ModelFamily } from './family.js';
export { PretrainedConfig } from '../hub/config.js';
export type { ProblemType } from '../hub/config.js';
export { PreTrainedModel, TOKENIZER_FILES } from './pretrained.js';
export type { BodyLayout, DropoutLayout, DropoutOverrides, LoadWeightsOptions, ParamPlace, SavePretrainedOptions } from './pretrained.js';
export { BertConfig, BertModel, BertForSequenceClassification, BertForTokenClassification, BertForMaskedLM, BertForQuestionAnswering, questionAnsweringLoss } from './bert/index.js';
export type { QuestionAnsweringInput, QuestionAnsweringOutput } from './bert/index.js';
export {
  RobertaConfig, RobertaModel, RobertaForSequenceClassification, RobertaForTokenClassification, RobertaForMaskedLM, RobertaForQuestionAnswering, robertaPositionIds,
} from './roberta/index.js';
export {
  DistilBertConfig, DistilBertModel, DistilBertForSequenceClassification, DistilBertForTokenClassification, DistilBertForMaskedLM, DistilBertForQuestionAnswering,
} from './distilbert/index.js';
export { GPT2Config, GPT2Model, GPT2LMHeadModel } from './gpt2/index.js';
export { T5Config, T5ForConditionalGeneration, relativePositionBuckets, shiftRight } from './t5/index.js';
export type { Seq2SeqInput, Seq2SeqLMOutput, BlockCache, StackOutput } from './t5/index.js';
export type { Seq2SeqLM } from './modeling/seq2seq.js';
export {
  BartConfig, BartLikeConfig, BartModel, BartForConditionalGeneration, BartLikeModel, BartLikeForConditionalGeneration, BartLearnedPositionalEmbedding,
} from './bart/index.js';
export type { BodySpec, PositionTable, Seq2SeqModelOutput } from './bart/index.js';
export { MarianConfig, MarianModel, MarianMTModel, marianSinusoidalTable } from './marian/index.js';
export type { ForwardInput, ModelOutput, BaseModelOutput } from './modeling/outputs.js';
export type { LossOptions } from './modeling/losses.js';
export type { ModelSplit, SplitKind } from './modeling/split.js';
export { logger } from './logging.js';
export type { LogSink } from './logging.js';
export { greedyGenerate } from './generate.js';
export { torchCausalLm, torchSeq2SeqLm, generateSeq2Seq, modelGenerationDefaults } from './generation.js';
export type { GenerateOptions } from './generate.js';
