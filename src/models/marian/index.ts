// Marian: its config, the model on BART's body with sinusoidal positions, and its entry in the Auto registry.
import type { ModelFamily } from '../family.js';
import { MarianConfig } from './configuration.js';
import { MarianModel, MarianMTModel } from './modeling.js';

export { MarianConfig } from './configuration.js';
export * from './modeling.js';

export const marianFamily: ModelFamily = {
  modelType: 'marian',
  config: MarianConfig,
  classes: { base: MarianModel, 'seq2seq-lm': MarianMTModel },
};
