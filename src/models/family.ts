/** What a model family registers with the Auto classes: its `model_type`, its config class and a class per task. */
import type { Json, PretrainedConfig } from '../hub/config.js';
import type { PreTrainedModel } from './pretrained.js';

export type Task = 'base' | 'sequence-classification' | 'token-classification' | 'masked-lm' | 'question-answering' | 'causal-lm' | 'seq2seq-lm';

export interface ModelFamily {
  modelType: string;
  config: new (raw: Json, source: string) => PretrainedConfig;
  classes: Partial<Record<Task, new (config: never) => PreTrainedModel>>;
}
