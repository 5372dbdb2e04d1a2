// Public face of the models stage: BERT, DistilBERT, RoBERTa and GPT-2 with their heads, the Auto
// classes (transformers' names, camelCase) and the config classes they read.
export {
  AutoModel, AutoModelForSequenceClassification, AutoModelForTokenClassification, AutoModelForMaskedLM,
  AutoModelForCausalLM, modelFromConfig, modelFromPretrained, taskOfArchitecture,
} from './auto.js';
export type { FromPretrainedOptions, Task, AnyBaseModel, AnySequenceClassifier, AnyTokenClassifier, AnyMaskedLM } from './auto.js';
export {
  AutoConfig, BertConfig, DistilBertConfig, GPT2Config, RobertaConfig, PretrainedConfig, parseConfig, readConfigFile,
} from '../hub/config.js';
export type { AnyConfig, ModelType, ProblemType } from '../hub/config.js';
export { PreTrainedModel, TOKENIZER_FILES } from './pretrained.js';
export type { LoadWeightsOptions, SavePretrainedOptions } from './pretrained.js';
export {
  BertModel, BertForSequenceClassification, BertForTokenClassification, BertForMaskedLM, robertaPositionIds,
  BertModel as RobertaModel, BertForSequenceClassification as RobertaForSequenceClassification,
  BertForTokenClassification as RobertaForTokenClassification, BertForMaskedLM as RobertaForMaskedLM,
} from './bert.js';
export {
  DistilBertModel, DistilBertForSequenceClassification, DistilBertForTokenClassification, DistilBertForMaskedLM,
} from './distilbert.js';
export { GPT2Model, GPT2LMHeadModel } from './gpt2.js';
export type { ForwardInput, ModelOutput, BaseModelOutput } from './common.js';
export { logger } from './logging.js';
export type { LogSink } from './logging.js';
export { greedyGenerate } from './generate.js';
export type { GenerateOptions } from './generate.js';
