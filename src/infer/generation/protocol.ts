/** Messages between TextGenerationPipeline (main thread) and its generation worker. */
import type { GenerationOptions } from '../../generation/config.js';

export interface GenerationWorkerStart {
  dir: string;
  threads: number;
}

export interface GenerationRequest {
  id: number;
  prompts: string[];
  options: GenerationOptions;
  /** Post a 'tokens' message after every step (streaming). */
  stream: boolean;
}

export interface GeneratedRow {
  /** Prompt ids (no padding) followed by the generated ids. */
  ids: number[];
  generatedIds: number[];
  /** The decoded new text (special tokens skipped). */
  text: string;
  finishReason: 'eos' | 'length' | 'stop';
}

export type GenerationReply =
  | { type: 'loaded' }
  | { type: 'failed'; message: string; file?: string; field?: string }
  | { type: 'tokens'; id: number; tokens: Array<number | null>; texts: Array<string | null> }
  | { type: 'done'; id: number; rows: GeneratedRow[] }
  | { type: 'error'; id: number; message: string; field?: string; file?: string };
