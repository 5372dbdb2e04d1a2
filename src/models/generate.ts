/**
 * Greedy decoding for causal LMs: append argmax(logits[last]) until max_new_tokens or EOS. No key/value
 * cache: each step re-runs the prefix, which is exact and simple; the models Lengua trains are small.
 */
import * as torch from '../torch/index.js';
import { LenguaError } from '../errors.js';
import type { GPT2LMHeadModel } from './gpt2/modeling.js';

export interface GenerateOptions {
  /** Tokens to add at most (default 20, like transformers' max_length-based default). */
  maxNewTokens?: number;
  /** Stop after this token (default config.eos_token_id); null never stops early. */
  eosTokenId?: number | null;
}

/** Returns prompt ids followed by the generated ids. */
export function greedyGenerate(model: GPT2LMHeadModel, promptIds: readonly number[], opts: GenerateOptions = {}): number[] {
  const maxNew = opts.maxNewTokens ?? 20;
  if (!Number.isInteger(maxNew) || maxNew < 0) throw new LenguaError(`maxNewTokens must be a non-negative integer, got ${maxNew}`, { field: 'max_new_tokens' });
  if (promptIds.length === 0) throw new LenguaError('the prompt encodes to no tokens', { field: 'prompt' });
  const limit = model.config.maxPositionEmbeddings;
  if (promptIds.length > limit) throw new LenguaError(`the prompt has ${promptIds.length} tokens; the model takes at most ${limit}`, { field: 'prompt' });
  // Refused up front rather than cut short without a word: the position table ends at `limit`.
  if (promptIds.length + maxNew > limit) {
    throw new LenguaError(
      `the prompt (${promptIds.length} tokens) plus ${maxNew} new tokens is more than the ${limit} positions the model has (n_positions); ask for at most ${limit - promptIds.length} new tokens`,
      { field: 'max_new_tokens' },
    );
  }
  const eos = opts.eosTokenId === undefined ? model.config.eosTokenId : opts.eosTokenId;
  const ids = [...promptIds];
  const wasTraining = model.training;
  model.eval();
  try {
    torch.noGrad(() => {
      for (let step = 0; step < maxNew; step++) {
        const next = torch.tidy(() => {
          const { logits } = model.forward({ inputIds: [ids] });
          return logits.select(0, 0).select(0, ids.length - 1).argmax(-1).item();
        });
        ids.push(next);
        if (eos !== null && next === eos) break;
      }
    });
  } finally {
    if (wasTraining) model.train();
  }
  return ids;
}
