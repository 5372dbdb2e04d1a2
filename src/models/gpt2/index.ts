// GPT-2: its config, model and LM head, and its entry in the Auto registry.
import type { ModelFamily } from '../family.js';
import { GPT2Config } from './configuration.js';
import { GPT2LMHeadModel, GPT2Model } from './modeling.js';

export { GPT2Config } from './configuration.js';
export * from './modeling.js';

export const gpt2Family: ModelFamily = {
  modelType: 'gpt2',
  config: GPT2Config,
  classes: { base: GPT2Model, 'causal-lm': GPT2LMHeadModel },
};
