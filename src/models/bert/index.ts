// BERT: its config, model and heads, and its entry in the Auto registry.
import type { ModelFamily } from '../family.js';
import { BertConfig } from './configuration.js';
import { BertForMaskedLM, BertForQuestionAnswering, BertForSequenceClassification, BertForTokenClassification, BertModel } from './modeling.js';

export { BertConfig } from './configuration.js';
export * from './modeling.js';
export * from './question-answering.js';

export const bertFamily: ModelFamily = {
  modelType: 'bert',
  config: BertConfig,
  classes: {
    base: BertModel, 'sequence-classification': BertForSequenceClassification, 'token-classification': BertForTokenClassification, 'masked-lm': BertForMaskedLM,
    'question-answering': BertForQuestionAnswering,
  },
};
