// Test helper: Lengua's libtorch GPT-2 as a CausalLm for the engine-independent search (full recompute each
// step, no cache) — the CLI's torch engine — so the search is checked on libtorch and ONNX Runtime alike.
import type { GPT2LMHeadModel } from '../../models/index.js';
import { torchCausalLm } from '../../cli/generate.js';
import type { CausalLm } from './search.js';
import type { GenerationOptions } from './config.js';

export function TorchCausalLm(model: GPT2LMHeadModel): CausalLm {
  return torchCausalLm(model);
}

/** One case of a `*-generate` golden manifest (../shared/golden/README-part2.md). */
export interface GoldenGenerationCase {
  setting: string;
  generate_kwargs: Record<string, unknown>;
  sequences: number[][];
  best_hypothesis?: Array<{ normalized_score: number }>;
}

/** A golden case's `generate_kwargs` (transformers' names) as Lengua's generation options. */
export function goldenGenerationOptions(k: Record<string, unknown>): GenerationOptions {
  return {
    maxLength: k.max_length as number,
    doSample: false,
    numBeams: k.num_beams as number,
    numReturnSequences: k.num_return_sequences as number,
    repetitionPenalty: k.repetition_penalty as number,
    noRepeatNgramSize: k.no_repeat_ngram_size as number,
    eosTokenId: k.eos_token_id as number,
    padTokenId: k.pad_token_id as number,
    ...(k.length_penalty !== undefined ? { lengthPenalty: k.length_penalty as number } : {}),
    ...(k.early_stopping !== undefined ? { earlyStopping: k.early_stopping as boolean } : {}),
  };
}
