// T5: its config, the encoder-decoder model with its LM head, and its entry in the Auto registry.
import type { ModelFamily } from '../family.js';
import { T5Config } from './configuration.js';
import { T5ForConditionalGeneration } from './modeling.js';

export { T5Config } from './configuration.js';
export * from './modeling.js';

export const t5Family: ModelFamily = {
  modelType: 't5',
  config: T5Config,
  classes: { 'seq2seq-lm': T5ForConditionalGeneration },
};
