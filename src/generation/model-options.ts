// A model folder's own generation defaults, as transformers reads them: every engine (libtorch, ONNX Runtime)
// and the Seq2SeqTrainer start from the same options.
import { join } from 'node:path';
import { LenguaError } from '../errors.js';
import { readModelText, type Json } from '../hub/index.js';
import { optionsFromJson, type GenerationOptions } from './config.js';

/**
 * The model's own generation defaults: `generation_config.json` when the folder has one, else the token ids
 * of config.json (transformers' `GenerationConfig.from_model_config`).
 */
export function modelGenerationOptions(dir: string, config: Json): GenerationOptions {
  const text = readModelText(dir, 'generation_config.json', 1_000_000);
  const file = join(dir, text !== undefined ? 'generation_config.json' : 'config.json');
  if (text === undefined) return optionsFromJson(config, file, true);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new LenguaError(`not valid JSON: ${(err as Error).message}`, { file }, { cause: err });
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new LenguaError('expected a JSON object', { file });
  return optionsFromJson(json as Record<string, unknown>, file);
}

