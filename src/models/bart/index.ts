// BART: its config, the encoder-decoder body (shared with Marian) and the LM, and its entry in the Auto registry.
import type { ModelFamily } from '../family.js';
import { BartConfig } from './configuration.js';
import { BartForConditionalGeneration, BartModel } from './modeling.js';

export { BartConfig, BartLikeConfig } from './configuration.js';
export * from './modeling.js';

export const bartFamily: ModelFamily = {
  modelType: 'bart',
  config: BartConfig,
  classes: { base: BartModel, 'seq2seq-lm': BartForConditionalGeneration },
};
