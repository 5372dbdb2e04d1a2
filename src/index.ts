/**
 * Lengua: the Hugging Face NLP workflow for TypeScript on Node.js.
 *
 * Flat exports in Transformers.js style (`import { AutoTokenizer, AutoModelForSequenceClassification } from 'lengua'`),
 * plus one namespace per stage of the data flow (`import { data, text } from 'lengua'`).
 * Importing never loads libtorch: the native binding is loaded by the first tensor operation.
 */
export * from './errors.js';
export * from './text/index.js';
export * from './data/index.js';
export * from './hub/index.js';
export * from './models/index.js';
export * from './eval/index.js';
export * from './train/index.js';
export * as torch from './torch/index.js';
// Names two stages both define, made explicit.
export type { FromPretrainedOptions } from './models/index.js';
export type { FromPretrainedOptions as TokenizerFromPretrainedOptions } from './text/index.js';
export type { TagScheme } from './data/index.js';

export * as text from './text/index.js';
export * as data from './data/index.js';
export * as hub from './hub/index.js';
export * as models from './models/index.js';
export * as evaluation from './eval/index.js';
export * as train from './train/index.js';
