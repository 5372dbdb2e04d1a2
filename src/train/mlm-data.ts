/**
 * Masked-language-modelling data: transformers' `run_mlm.py` preprocessing and its two collators.
 *
 * - `encodeMlm` tokenizes texts with their special tokens and, by default, concatenates them and cuts the
 *   stream into blocks of `maxLength` tokens (run_mlm's `group_texts`; the last partial block is dropped
 *   unless it is the only one). `lineByLine` keeps one text per example instead, truncated to `maxLength`.
 * - `maskTokens` is `DataCollatorForLanguageModeling.torch_mask_tokens`: each non-special token is chosen
 *   with probability `mlmProbability` (15 %); a chosen token becomes the mask token 80 % of the time, a random
 *   token 10 %, and stays itself 10 %; the labels keep the original id at chosen positions and -100 elsewhere.
 * - With `wholeWordMask` the choice is made per word, as `DataCollatorForWholeWordMask` does: words are
 *   shuffled and taken whole while they fit in round(tokens × probability) tokens (at least one), then the
 *   same 80/10/10 applies to every token of the chosen words. Words come from the tokenizer's word ids
 *   (the pre-tokenizer's words), so this works for byte-level BPE as well as for WordPiece's "##" pieces.
 *
 * Masking is drawn from a seeded PRNG, not from torch: the Trainer seeds it with the step number, so each
 * step sees fresh masks (dynamic masking, as the collator gives) and a resumed run replays them exactly.
 */
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { LenguaError } from '../errors.js';
import { mulberry32 } from '../data/index.js';
import type { PreTrainedTokenizer } from '../text/tokenizer/index.js';
import type { TrainingData } from './base-trainer.js';
import { LABEL_PAD } from './seq2seq-data.js';

export interface MlmEncodeOptions {
  /** Tokens per example (run_mlm's max_seq_length). */
  maxLength: number;
  /** One example per text (truncated), instead of concatenated blocks. Default false. */
  lineByLine?: boolean;
}

export interface MlmEncodedDataset extends TrainingData {
  inputIds: number[][];
  lengths: number[];
  /** 1 where the token is a special token (never masked). */
  specialTokensMask: number[][];
  /** Per position: true where a new word starts (specials are words of their own). */
  wordStarts: boolean[][];
  padTokenId: number;
  maskTokenId: number;
  /** Random replacements are drawn from ids [0, vocabSize). */
  vocabSize: number;
}

export interface MaskingOptions {
  /** Default 0.15. */
  mlmProbability?: number;
  /** Choose whole words (DataCollatorForWholeWordMask). Default false. */
  wholeWordMask?: boolean;
}

/** Largest number of texts one call encodes; a corpus beyond this belongs in shards. */
export const MAX_MLM_TEXTS = 5_000_000;

/** Tokenizes `texts` for masked-LM training (see the file comment). */
export function encodeMlm(texts: readonly string[], tokenizer: PreTrainedTokenizer, opts: MlmEncodeOptions): MlmEncodedDataset {
  const { maxLength } = opts;
  if (!Number.isInteger(maxLength) || maxLength < 2) throw new LenguaError(`maxLength must be an integer ≥ 2, got ${maxLength}`, { field: 'maxLength' });
  if (texts.length > MAX_MLM_TEXTS) throw new LenguaError(`${texts.length} texts is over the limit of ${MAX_MLM_TEXTS}`, { field: 'texts' });
  const maskTokenId = tokenizer.maskTokenId;
  if (maskTokenId === null) throw new LenguaError('the tokenizer has no mask token: masked-LM training needs one ([MASK] or <mask>)', { file: tokenizer.dir, field: 'mask_token' });
  const padTokenId = tokenizer.padTokenId ?? 0;
  const ds: MlmEncodedDataset = { inputIds: [], lengths: [], specialTokensMask: [], wordStarts: [], padTokenId, maskTokenId, vocabSize: tokenizer.vocabSize };
  const push = (ids: number[], special: number[], starts: boolean[]): void => {
    ds.inputIds.push(ids);
    ds.specialTokensMask.push(special);
    ds.wordStarts.push(starts);
    ds.lengths.push(ids.length);
  };
  let ids: number[] = [];
  let special: number[] = [];
  let starts: boolean[] = [];
  for (const text of texts) {
    if (text.trim() === '') continue;
    const e = tokenizer.encode(text);
    const words = e.wordIds ?? e.ids.map(() => null);
    const s = e.ids.map((_, i) => e.specialTokensMask[i] === 1 || words[i] === null || i === 0 || words[i] !== words[i - 1]);
    if (opts.lineByLine) {
      // Truncation keeps the closing special token, as the tokenizer's truncation does.
      const n = Math.min(e.ids.length, maxLength);
      const cut = (xs: readonly number[] | readonly boolean[]): Array<number | boolean> => (e.ids.length <= maxLength ? [...xs] : [...xs.slice(0, n - 1), xs[xs.length - 1]!]);
      push(cut(e.ids) as number[], cut(e.specialTokensMask) as number[], cut(s) as boolean[]);
      continue;
    }
    ids.push(...e.ids);
    special.push(...e.specialTokensMask);
    starts.push(...s);
    while (ids.length >= maxLength) {
      push(ids.slice(0, maxLength), special.slice(0, maxLength), starts.slice(0, maxLength));
      // A word cut by the block boundary starts the next block.
      const rest = starts.slice(maxLength);
      if (rest.length > 0) rest[0] = true;
      ids = ids.slice(maxLength);
      special = special.slice(maxLength);
      starts = rest;
    }
  }
  // group_texts drops the remainder, unless nothing else was made.
  if (!opts.lineByLine && ds.inputIds.length === 0 && ids.length > 0) push(ids, special, starts);
  return ds;
}

/** `torch_mask_tokens` on one example: the masked ids and the labels (-100 where not chosen). */
export function maskTokens(
  ds: MlmEncodedDataset, index: number, rand: () => number, opts: MaskingOptions = {},
): { inputIds: number[]; labels: number[] } {
  const p = opts.mlmProbability ?? 0.15;
  if (!(p > 0 && p < 1)) throw new LenguaError(`mlmProbability must be in (0, 1), got ${p}`, { field: 'mlmProbability' });
  const ids = ds.inputIds[index]!;
  const special = ds.specialTokensMask[index]!;
  const chosen = opts.wholeWordMask ? wholeWordChoice(ds.wordStarts[index]!, special, p, rand) : ids.map((_, i) => special[i] !== 1 && rand() < p);
  const inputIds = [...ids];
  const labels = ids.map(() => LABEL_PAD);
  for (let i = 0; i < ids.length; i++) {
    if (!chosen[i] || special[i] === 1) continue;
    labels[i] = ids[i]!;
    const r = rand();
    if (r < 0.8) inputIds[i] = ds.maskTokenId;
    // The collator draws bernoulli(0.5) among the remaining 20 %: half random, half unchanged.
    else if (r < 0.9) inputIds[i] = Math.floor(rand() * ds.vocabSize);
  }
  return { inputIds, labels };
}

/** DataCollatorForWholeWordMask._whole_word_mask: whole words, shuffled, while they fit the budget. */
function wholeWordChoice(starts: readonly boolean[], special: readonly number[], p: number, rand: () => number): boolean[] {
  const words: number[][] = [];
  for (let i = 0; i < starts.length; i++) {
    if (special[i] === 1) continue;
    if (starts[i] || words.length === 0) words.push([i]);
    else words[words.length - 1]!.push(i);
  }
  for (let i = words.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [words[i], words[j]] = [words[j]!, words[i]!];
  }
  // transformers counts every token of the example here, special tokens included.
  const budget = Math.max(1, Math.round(starts.length * p));
  const chosen = starts.map(() => false);
  let covered = 0;
  for (const w of words) {
    if (covered >= budget) break;
    if (covered + w.length > budget) continue;
    for (const i of w) chosen[i] = true;
    covered += w.length;
  }
  return chosen;
}

export interface MlmBatch {
  inputIds: Tensor;
  attentionMask: Tensor;
  /** Original ids at masked positions, -100 elsewhere (padding included). */
  labels: Tensor;
  /** The masked positions as flat indices into the [b·s] tokens, and their original ids (int64, [n]). */
  positions: Tensor;
  targets: Tensor;
}

/** Masks the chosen examples with a PRNG seeded by `seed` and pads them to the longest (right padding). */
export function collateMlm(ds: MlmEncodedDataset, indices: readonly number[], seed: number, opts: MaskingOptions = {}): MlmBatch {
  const rand = mulberry32(seed);
  const b = indices.length;
  const width = Math.max(1, ...indices.map((i) => ds.inputIds[i]!.length));
  const ids = new BigInt64Array(b * width).fill(BigInt(ds.padTokenId));
  const mask = new BigInt64Array(b * width);
  const labels = new BigInt64Array(b * width).fill(BigInt(LABEL_PAD));
  const positions: bigint[] = [];
  const targets: bigint[] = [];
  indices.forEach((ex, r) => {
    const m = maskTokens(ds, ex, rand, opts);
    m.inputIds.forEach((t, j) => {
      ids[r * width + j] = BigInt(t);
      mask[r * width + j] = 1n;
      labels[r * width + j] = BigInt(m.labels[j]!);
      if (m.labels[j] !== LABEL_PAD) {
        positions.push(BigInt(r * width + j));
        targets.push(BigInt(m.labels[j]!));
      }
    });
  });
  return {
    inputIds: torch.tensor(ids, { shape: [b, width] }),
    attentionMask: torch.tensor(mask, { shape: [b, width] }),
    labels: torch.tensor(labels, { shape: [b, width] }),
    positions: torch.tensor(BigInt64Array.from(positions), { shape: [positions.length] }),
    targets: torch.tensor(BigInt64Array.from(targets), { shape: [targets.length] }),
  };
}
