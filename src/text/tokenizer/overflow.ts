/**
 * Overflowing windows of a text pair, as the Rust `tokenizers` crate makes them for
 * `tokenizer(question, context, truncation='only_second', max_length=L, stride=S, return_overflowing_tokens=True)`:
 * the first text is kept whole in every window, the second is cut into windows of at most
 * L - (first text + special tokens) tokens, consecutive windows sharing S tokens.
 *
 * The pair is encoded once with its special tokens and no truncation, then split into a frame (specials and
 * first text before the second text, specials after it) and the second text's tokens; window k holds tokens
 * [k·(w - S), min(that + w, n)) of the second text, and the last window is the first that reaches the end
 * (`Encoding::truncate`). Truncation acts after tokenization there too, so the spliced windows are token for
 * token the fast tokenizer's overflowing encodings, with their offsets, word ids and sequence ids.
 *
 * Extractive QA builds on this in training (`train/qa-data.ts`) and inference (`infer/question-answering.ts`).
 */
import { LenguaError } from '../../errors.js';
import type { PreTrainedTokenizer } from './tokenizer.js';
import type { Encoding } from './types.js';

export interface PairWindowOptions {
  /** Tokens per window, special tokens included (transformers' max_length / max_seq_len). */
  maxLength: number;
  /** Second-text tokens shared by consecutive windows (transformers' stride / doc_stride). */
  stride: number;
  /** Keep at most this many tokens of the first text (its first ones); default: all (the fast tokenizers' only_second). */
  maxFirstTokens?: number;
  /** Field names for errors (default `text`, `pair`, `maxLength`, `stride`): a caller names its own options. */
  fields?: { first?: string; second?: string; maxLength?: string; stride?: string };
}

export interface PairWindows {
  /** One encoding per window, unpadded: ids, tokens, type ids, offsets into the original texts, word and sequence ids. */
  windows: Encoding[];
  /** Per window: [start, end) of its second-text tokens in the second text's token list. */
  ranges: Array<[number, number]>;
  /** Position of the first second-text token in every window (the leading frame's length). */
  secondStart: number;
  /** Tokens of the second text in all (before windowing). */
  secondTokens: number;
}

/** `tokenizers`' Encoding::truncate ranges: starts step by (w - stride); stop at the first window reaching n. */
export function windowRanges(n: number, w: number, stride: number): Array<[number, number]> {
  if (n <= w) return [[0, n]];
  const out: Array<[number, number]> = [];
  for (let s = 0; ; s += w - stride) {
    const e = Math.min(s + w, n);
    out.push([s, e]);
    if (e === n) return out;
  }
}

const pick = <T>(arr: readonly T[], pos: readonly number[]): T[] => pos.map((k) => arr[k]!);

/** Overflowing windows of (first, second), truncating only the second text; see the file comment. */
export function encodePairWindows(tokenizer: PreTrainedTokenizer, first: string, second: string, opts: PairWindowOptions): PairWindows {
  const f = { first: 'text', second: 'pair', maxLength: 'maxLength', stride: 'stride', ...opts.fields };
  const { maxLength, stride } = opts;
  if (!Number.isSafeInteger(maxLength) || maxLength < 1) throw new LenguaError(`${f.maxLength} must be a positive integer, got ${maxLength}`, { field: f.maxLength });
  if (!Number.isSafeInteger(stride) || stride < 0) throw new LenguaError(`${f.stride} must be a non-negative integer, got ${stride}`, { field: f.stride });
  const maxFirst = opts.maxFirstTokens ?? Infinity;
  if (maxFirst !== Infinity && (!Number.isSafeInteger(maxFirst) || maxFirst < 1)) {
    throw new LenguaError(`the limit on the ${f.first}'s tokens must be a positive integer, got ${maxFirst}`, { field: f.first });
  }
  const enc = tokenizer.encode(first, { pair: second });
  const seq = enc.sequenceIds;
  if (seq === undefined) throw new LenguaError('the tokenizer gives no sequence ids for pairs', { field: f.second });
  const ctx = seq.flatMap((s, k) => (s === 1 ? [k] : []));
  if (ctx.length === 0) throw new LenguaError(`the ${f.second} has no tokens`, { field: f.second });
  const ctxStart = ctx[0]!;
  const ctxEnd = ctx[ctx.length - 1]! + 1;
  if (ctx.length !== ctxEnd - ctxStart) throw new LenguaError(`the ${f.second}'s tokens are not contiguous in the pair encoding`, { field: f.second });
  // The first text's tokens past maxFirstTokens leave every window (the slow tokenizers' max_query_length).
  let seen = 0;
  const inFrame = seq.map((s, k) => (k >= ctxStart && k < ctxEnd ? false : s !== 0 || seen++ < maxFirst));
  const frame = inFrame.filter(Boolean).length;
  const w = maxLength - frame;
  if (w < 1) {
    throw new LenguaError(`the ${f.first} and the special tokens take ${frame} tokens, leaving no room for the ${f.second} in ${f.maxLength} ${maxLength}`, { field: f.first });
  }
  const n = ctxEnd - ctxStart;
  // tokenizers refuses a stride that does not move the window forward.
  if (n > w && stride >= w) {
    throw new LenguaError(`${f.stride} ${stride} must be smaller than the ${w} tokens of the ${f.second} a window holds (${f.maxLength} ${maxLength})`, { field: f.stride });
  }
  const secondStart = inFrame.slice(0, ctxStart).filter(Boolean).length;
  const ranges = windowRanges(n, w, stride);
  const windows = ranges.map(([s, e]) => {
    const pos = [...enc.ids.keys()].filter((k) => inFrame[k] || (k >= ctxStart + s && k < ctxStart + e));
    const win: Encoding = {
      ids: pick(enc.ids, pos), tokens: pick(enc.tokens, pos), attentionMask: pos.map(() => 1), tokenTypeIds: pick(enc.tokenTypeIds, pos),
      offsets: pick(enc.offsets, pos).map(([a, b]) => [a, b]), specialTokensMask: pick(enc.specialTokensMask, pos), sequenceIds: pick(seq, pos),
    };
    if (enc.wordIds !== undefined) win.wordIds = pick(enc.wordIds, pos);
    return win;
  });
  return { windows, ranges, secondStart, secondTokens: n };
}
