/**
 * Logits processors and warpers, as transformers' `GenerationMixin._get_logits_processor` lists them and in
 * its order: repetition penalty, no-repeat n-grams, bad words, min length, min new tokens; then, when sampling,
 * temperature, top-k, top-p. Each works in place on one row's float32 scores, given the row's ids so far
 * (the whole row, left padding and prompt included, as transformers' `input_ids`).
 */
import { LenguaError } from '../errors.js';
import type { GenerationConfig } from './config.js';

export type RowProcessor = (ids: readonly number[], scores: Float32Array) => void;

/** RepetitionPenaltyLogitsProcessor: every id already in the row, score < 0 ? score·p : score/p. */
function repetitionPenalty(p: number): RowProcessor {
  return (ids, scores) => {
    const seen = new Set(ids);
    for (const id of seen) {
      if (id >= scores.length) continue;
      const s = scores[id]!;
      scores[id] = s < 0 ? s * p : s / p;
    }
  };
}

/** NoRepeatNGramLogitsProcessor: bans each token that would complete an n-gram the row already holds. */
function noRepeatNgram(n: number): RowProcessor {
  return (ids, scores) => {
    const len = ids.length;
    if (len + 1 < n) return;
    const start = len - n + 1;
    for (let i = 0; i + n <= len; i++) {
      let same = true;
      for (let j = 0; j < n - 1; j++) {
        if (ids[i + j] !== ids[start + j]) {
          same = false;
          break;
        }
      }
      const banned = ids[i + n - 1]!;
      if (same && banned < scores.length) scores[banned] = -Infinity;
    }
  };
}

/** NoBadWordsLogitsProcessor: a sequence's last token is banned when the row ends with the rest of it. */
function badWords(words: number[][]): RowProcessor {
  return (ids, scores) => {
    for (const w of words) {
      const last = w[w.length - 1]!;
      if (last >= scores.length) continue;
      const prefix = w.length - 1;
      if (prefix > ids.length) continue;
      let match = true;
      for (let j = 0; j < prefix; j++) {
        if (ids[ids.length - prefix + j] !== w[j]) {
          match = false;
          break;
        }
      }
      if (match) scores[last] = -Infinity;
    }
  };
}

function banEos(eos: number[], scores: Float32Array): void {
  for (const e of eos) if (e < scores.length) scores[e] = -Infinity;
}

function temperature(t: number): RowProcessor {
  return (_ids, scores) => {
    for (let i = 0; i < scores.length; i++) scores[i] = scores[i]! / t;
  };
}

/** TopKLogitsWarper: scores below the k-th largest become -inf (ties with it are kept). */
function topK(k: number): RowProcessor {
  return (_ids, scores) => {
    if (k >= scores.length) return;
    const sorted = Float32Array.from(scores).sort();
    const kth = sorted[sorted.length - k]!;
    for (let i = 0; i < scores.length; i++) if (scores[i]! < kth) scores[i] = -Infinity;
  };
}

/** TopPLogitsWarper: ascending sort, softmax, cumsum; drop tokens whose cumulative mass ≤ 1 − p, keep at least one. */
function topP(p: number): RowProcessor {
  return (_ids, scores) => {
    const order = Array.from(scores.keys()).sort((a, b) => scores[a]! - scores[b]! || a - b);
    const probs = softmax(scores);
    let cum = 0;
    for (let r = 0; r < order.length - 1; r++) {
      const i = order[r]!;
      cum += probs[i]!;
      if (cum <= 1 - p) scores[i] = -Infinity;
    }
  };
}

/** softmax in float64 (a probability per token). */
export function softmax(scores: Float32Array): Float64Array {
  let max = -Infinity;
  for (const s of scores) if (s > max) max = s;
  const out = new Float64Array(scores.length);
  if (max === -Infinity) return out;
  let sum = 0;
  for (let i = 0; i < scores.length; i++) sum += out[i] = Math.exp(scores[i]! - max);
  for (let i = 0; i < out.length; i++) out[i]! /= sum;
  return out;
}

/** log_softmax into a float32 row, as torch computes it on float32 logits. */
export function logSoftmax(logits: Float32Array): Float32Array {
  let max = -Infinity;
  for (const s of logits) if (s > max) max = s;
  let sum = 0;
  for (const s of logits) sum += Math.exp(s - max);
  const lse = max + Math.log(sum);
  const out = new Float32Array(logits.length);
  for (let i = 0; i < logits.length; i++) out[i] = logits[i]! - lse;
  return out;
}

/**
 * The processors of `config` for one row, in transformers' order. `promptLength` is the (padded) prompt
 * length that min_new_tokens counts from.
 */
/** Every score -inf but `id`'s, which becomes 0 (transformers sets it to 0 as well). */
function force(id: number, scores: Float32Array): void {
  if (id >= scores.length) throw new LenguaError(`forced token ${id} is outside the vocabulary (${scores.length})`, { field: 'forcedTokenId' });
  scores.fill(-Infinity);
  scores[id] = 0;
}

export function buildProcessors(config: GenerationConfig, promptLength: number, maxLength = Infinity): RowProcessor[] {
  const list: RowProcessor[] = [];
  if (config.repetitionPenalty !== 1) list.push(repetitionPenalty(config.repetitionPenalty));
  if (config.noRepeatNgramSize > 0) list.push(noRepeatNgram(config.noRepeatNgramSize));
  if (config.badWordsIds.length > 0) list.push(badWords(config.badWordsIds));
  const eos = config.eosTokenIds;
  if (config.minLength > 0 && eos.length > 0) {
    const min = config.minLength;
    list.push((ids, scores) => {
      if (ids.length < min) banEos(eos, scores);
    });
  }
  if (config.minNewTokens > 0 && eos.length > 0) {
    const min = config.minNewTokens;
    list.push((ids, scores) => {
      if (ids.length - promptLength < min) banEos(eos, scores);
    });
  }
  // transformers' ForcedBOSTokenLogitsProcessor (the first token after the decoder start) and
  // ForcedEOSTokenLogitsProcessor (the last token before max_length), in its order: after the bans, before the warpers.
  if (config.forcedBosTokenId !== null) {
    const bos = config.forcedBosTokenId;
    list.push((ids, scores) => {
      if (ids.length === 1) force(bos, scores);
    });
  }
  if (config.forcedEosTokenId !== null && Number.isFinite(maxLength)) {
    const eosId = config.forcedEosTokenId;
    list.push((ids, scores) => {
      if (ids.length === maxLength - 1) force(eosId, scores);
    });
  }
  if (config.doSample) {
    if (config.temperature !== 1) list.push(temperature(config.temperature));
    if (config.topK > 0) list.push(topK(config.topK));
    if (config.topP < 1) list.push(topP(config.topP));
  }
  return list;
}
