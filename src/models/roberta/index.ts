// RoBERTa: its config, model and heads, and its entry in the Auto registry.
import type { ModelFamily } from '../family.js';
import { RobertaConfig } from './configuration.js';
import { RobertaForMaskedLM, RobertaForQuestionAnswering, RobertaForSequenceClassification, RobertaForTokenClassification, RobertaModel } from './modeling.js';

export { RobertaConfig } from './configuration.js';
export * from './modeling.js';

export const robertaFamily: ModelFamily = {
  modelType: 'roberta',
  config: RobertaConfig,
  classes: {
    base: RobertaModel, 'sequence-classification': RobertaForSequenceClassification, 'token-classification': RobertaForTokenClassification, 'masked-lm': RobertaForMaskedLM,
    'question-answering': RobertaForQuestionAnswering,
  },
};
