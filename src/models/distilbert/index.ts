// DistilBERT: its config, model and heads, and its entry in the Auto registry.
import type { ModelFamily } from '../family.js';
import { DistilBertConfig } from './configuration.js';
import { DistilBertForMaskedLM, DistilBertForQuestionAnswering, DistilBertForSequenceClassification, DistilBertForTokenClassification, DistilBertModel } from './modeling.js';

export { DistilBertConfig } from './configuration.js';
export * from './modeling.js';

export const distilbertFamily: ModelFamily = {
  modelType: 'distilbert',
  config: DistilBertConfig,
  classes: {
    base: DistilBertModel, 'sequence-classification': DistilBertForSequenceClassification,
    'token-classification': DistilBertForTokenClassification, 'masked-lm': DistilBertForMaskedLM, 'question-answering': DistilBertForQuestionAnswering,
  },
};
