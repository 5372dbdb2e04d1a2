/**
 * Word-tagged sentences (CoNLL) as token-classification batches: transformers' `tokenize_and_align_labels`
 * of `run_ner.py` and `DataCollatorForTokenClassification`.
 *
 * Words are tokenized as pre-split words (`is_split_into_words=True`): each word goes through the
 * normalizer, pre-tokenizer and model on its own, so no subword spans two words. A byte-level BPE
 * (RoBERTa) sees each word after a space, as transformers' required `add_prefix_space=True` makes it.
 * The first subword of a word carries the word's label; its other subwords carry -100 (or, with
 * labelAllTokens, the label with B- turned into I-); special tokens carry -100. Each example keeps the
 * word index of every position so predictions map back to words.
 */
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { LenguaError } from '../errors.js';
import type { PreTrainedTokenizer } from '../text/tokenizer/index.js';
import type { TrainingData } from './base-trainer.js';
import { LABEL_PAD } from './seq2seq-data.js';

/** One sentence: its words and (for training and evaluation) one tag per word. */
export interface TaggedSentence {
  tokens: readonly string[];
  tags?: readonly string[];
  /** 1-based line of the first word in `file` (CoNLL puts one word per line), for error messages. */
  line?: number;
}

export interface TokenEncodeOptions {
  /** Longest input in tokens, special tokens included; later subwords are cut (as truncation=True does). */
  maxLength: number;
  /** Label every subword (B- turned into I- after the first), transformers' `label_all_tokens`; default false. */
  labelAllTokens?: boolean;
  /** The file the sentences came from, named in errors. */
  file?: string;
}

export interface TokenEncodedDataset extends TrainingData {
  /** Token ids with special tokens, unpadded. */
  inputIds: number[][];
  /** Per position: a label id, or -100 where the loss skips it. Empty rows when the sentences had no tags. */
  labels: number[][];
  /** Per position: the index of the word it belongs to, null for special tokens. */
  wordIds: Array<Array<number | null>>;
  /** Per word: the position of its first subword, or -1 when truncation (or an empty tokenization) left it out. */
  firstTokens: number[][];
  lengths: number[];
  /** The words and their gold tags (empty arrays for untagged sentences). */
  words: string[][];
  tags: string[][];
  /** Label names by id. */
  labelNames: string[];
  padTokenId: number;
  /** Words that got no position (cut by maxLength or tokenized to nothing): they are predicted O. */
  droppedWords: number;
}

/** The special tokens the tokenizer puts before and after a single sequence ([CLS] … [SEP], <s> … </s>). */
function specialFrame(tokenizer: PreTrainedTokenizer): { before: number[]; after: number[] } {
  const probe = 'a';
  const withSpecials = tokenizer.encode(probe);
  const plain = tokenizer.encode(probe, { addSpecialTokens: false }).ids;
  const inner = withSpecials.specialTokensMask.map((m, i) => (m === 0 ? i : -1)).filter((i) => i >= 0);
  if (plain.length === 0 || inner.length !== plain.length || inner[inner.length - 1]! - inner[0]! !== inner.length - 1) {
    throw new LenguaError('cannot place words between this tokenizer\'s special tokens (its template is not [prefix] sequence [suffix])', { file: tokenizer.dir, field: 'post_processor' });
  }
  return { before: withSpecials.ids.slice(0, inner[0]), after: withSpecials.ids.slice(inner[inner.length - 1]! + 1) };
}

/**
 * How a pre-split word is tokenized: after a space when the tokenizer's leading space is part of the first
 * token (byte-level BPE: transformers refuses is_split_into_words there unless add_prefix_space=True, which
 * treats every word as following a space); as is otherwise (WordPiece drops the space anyway).
 */
function wordEncoder(tokenizer: PreTrainedTokenizer): (word: string) => number[] {
  const spaced = tokenizer.tokenize(' a').join('\u0000') !== tokenizer.tokenize('a').join('\u0000');
  const cache = new Map<string, number[]>();
  return (word) => {
    let ids = cache.get(word);
    if (ids === undefined) {
      ids = tokenizer.encode(spaced ? ` ${word}` : word, { addSpecialTokens: false }).ids;
      cache.set(word, ids);
    }
    return ids;
  };
}

/** For each label id, the id of its I- form when the label is B-X and I-X exists (run_ner.py's b_to_i_label). */
function bToI(labels: readonly string[]): number[] {
  return labels.map((l, i) => {
    if (!l.startsWith('B-')) return i;
    const j = labels.indexOf(`I-${l.slice(2)}`);
    return j >= 0 ? j : i;
  });
}

/** Tokenizes pre-split words and aligns their tags to subwords (see the file comment). */
export function encodeTokenClassification(
  sentences: readonly TaggedSentence[],
  tokenizer: PreTrainedTokenizer,
  labels: readonly string[],
  opts: TokenEncodeOptions,
): TokenEncodedDataset {
  const frame = specialFrame(tokenizer);
  const budget = opts.maxLength - frame.before.length - frame.after.length;
  if (!Number.isInteger(opts.maxLength) || budget < 1) {
    throw new LenguaError(`maxLength must be an integer that leaves room for a token besides the ${frame.before.length + frame.after.length} special tokens, got ${opts.maxLength}`, { field: 'maxLength' });
  }
  const labelId = new Map(labels.map((l, i) => [l, i]));
  if (labelId.size !== labels.length) throw new LenguaError('the label list repeats a label', { field: 'labels' });
  const toI = bToI(labels);
  const pad = tokenizer.padTokenId;
  if (pad === null) throw new LenguaError('the tokenizer has no pad token; batches are padded with it', { file: tokenizer.dir, field: 'pad_token' });
  const encodeWord = wordEncoder(tokenizer);
  const out: TokenEncodedDataset = {
    inputIds: [], labels: [], wordIds: [], firstTokens: [], lengths: [], words: [], tags: [], labelNames: [...labels], padTokenId: pad, droppedWords: 0,
  };
  sentences.forEach((s, si) => {
    const tagged = s.tags !== undefined;
    const where = (w: number): { file?: string; line?: number; field: string } => ({
      ...(opts.file !== undefined ? { file: opts.file } : {}),
      ...(s.line !== undefined ? { line: s.line + w } : {}),
      field: 'tag',
    });
    if (tagged && s.tags!.length !== s.tokens.length) throw new LenguaError(`sentence ${si} has ${s.tokens.length} words but ${s.tags!.length} tags`, where(0));
    const ids = [...frame.before];
    const lab = frame.before.map(() => LABEL_PAD);
    const wids: Array<number | null> = frame.before.map(() => null);
    const first: number[] = [];
    s.tokens.forEach((word, w) => {
      let id = -1;
      if (tagged) {
        const tag = s.tags![w]!;
        const found = labelId.get(tag);
        if (found === undefined) throw new LenguaError(`tag "${tag}" is not among the model's labels (${labels.join(', ')})`, where(w));
        id = found;
      }
      const pieces = encodeWord(word);
      const room = budget - (ids.length - frame.before.length);
      first.push(pieces.length > 0 && room > 0 ? ids.length : -1);
      pieces.slice(0, Math.max(0, room)).forEach((p, k) => {
        ids.push(p);
        wids.push(w);
        lab.push(!tagged ? LABEL_PAD : k === 0 ? id : opts.labelAllTokens ? toI[id]! : LABEL_PAD);
      });
    });
    ids.push(...frame.after);
    lab.push(...frame.after.map(() => LABEL_PAD));
    wids.push(...frame.after.map(() => null));
    out.droppedWords += first.filter((f) => f < 0).length;
    out.inputIds.push(ids);
    out.labels.push(tagged ? lab : []);
    out.wordIds.push(wids);
    out.firstTokens.push(first);
    out.lengths.push(ids.length);
    out.words.push([...s.tokens]);
    out.tags.push(tagged ? [...s.tags!] : []);
  });
  return out;
}

export interface TokenBatch {
  inputIds: Tensor;
  attentionMask: Tensor;
  /** Labels padded with -100 (all -100 for untagged examples). */
  labels: Tensor;
}

/** `DataCollatorForTokenClassification`: pads ids with the pad id and labels with -100 to the batch's longest. */
export function collateTokenClassification(ds: TokenEncodedDataset, indices: readonly number[]): TokenBatch {
  const b = indices.length;
  const w = Math.max(1, ...indices.map((i) => ds.inputIds[i]!.length));
  const ids = new BigInt64Array(b * w).fill(BigInt(ds.padTokenId));
  const mask = new BigInt64Array(b * w);
  const labels = new BigInt64Array(b * w).fill(BigInt(LABEL_PAD));
  indices.forEach((ex, r) => {
    ds.inputIds[ex]!.forEach((t, j) => {
      ids[r * w + j] = BigInt(t);
      mask[r * w + j] = 1n;
    });
    (ds.labels[ex] ?? []).forEach((y, j) => (labels[r * w + j] = BigInt(y)));
  });
  return {
    inputIds: torch.tensor(ids, { shape: [b, w] }),
    attentionMask: torch.tensor(mask, { shape: [b, w] }),
    labels: torch.tensor(labels, { shape: [b, w] }),
  };
}

/**
 * Word-level tags from per-position label ids (argmax) of one example: each word takes its first subword's
 * label; a word without a position is predicted O.
 */
export function wordTags(ds: TokenEncodedDataset, example: number, positionLabels: readonly number[]): string[] {
  return ds.firstTokens[example]!.map((p) => (p < 0 ? 'O' : ds.labelNames[positionLabels[p]!] ?? 'O'));
}
