/**
 * Source → target pairs as training batches for an encoder-decoder: the preprocessing of transformers'
 * `run_translation.py` / `run_summarization.py` (a source prefix such as T5's "translate English to Spanish: ",
 * sources truncated to maxSourceLength, targets to maxTargetLength and ending in EOS) and
 * `DataCollatorForSeq2Seq` (sources padded with the pad id and masked, labels padded with -100 so the loss
 * ignores them; the model shifts the labels right into its decoder inputs).
 */
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { LenguaError } from '../errors.js';
import type { PreTrainedTokenizer } from '../text/tokenizer/index.js';
import type { TrainingData } from './base-trainer.js';

/** transformers' label_pad_token_id: positions the cross-entropy skips. */
export const LABEL_PAD = -100;

export interface Seq2SeqEncodedDataset extends TrainingData {
  /** Source token ids, unpadded (prefix included, EOS at the end). */
  inputIds: number[][];
  /** Target token ids, unpadded (EOS at the end). */
  labels: number[][];
  /** Source lengths (length-grouped batches). */
  lengths: number[];
  sources: string[];
  /** Every reference of each target (the target first), for BLEU, chrF and ROUGE. */
  references: string[][];
  padTokenId: number;
}

export interface Seq2SeqPairs {
  source: string;
  target: string;
  references?: string[];
}

export interface Seq2SeqEncodeOptions {
  maxSourceLength: number;
  maxTargetLength: number;
  /** Put before every source (T5's task prefix: "translate English to Spanish: ", "summarize: "). */
  sourcePrefix?: string;
  /** The target side's tokenizer when it differs (Marian's target vocabulary); default the source's. */
  targetTokenizer?: PreTrainedTokenizer;
}

export function encodeSeq2Seq(pairs: readonly Seq2SeqPairs[], tokenizer: PreTrainedTokenizer, opts: Seq2SeqEncodeOptions): Seq2SeqEncodedDataset {
  for (const [name, v] of [['maxSourceLength', opts.maxSourceLength], ['maxTargetLength', opts.maxTargetLength]] as const) {
    if (!Number.isInteger(v) || v < 2) throw new LenguaError(`must be an integer >= 2 (room for a token and EOS), got ${v}`, { field: name });
  }
  const prefix = opts.sourcePrefix ?? '';
  const sources = pairs.map((p) => prefix + p.source);
  const src = tokenizer.encodeBatch(sources, { truncation: true, maxLength: opts.maxSourceLength });
  const targetTokenizer = opts.targetTokenizer ?? tokenizer;
  const tgt = targetTokenizer.encodeBatch(pairs.map((p) => p.target), { truncation: true, maxLength: opts.maxTargetLength });
  // A model learns to stop only from targets that end in EOS. T5's and Marian's tokenizers append it; one
  // trained here without a post-processor does not, so it is appended (within maxTargetLength) when missing.
  const eos = targetTokenizer.eosTokenId;
  const withEos = (ids: number[]): number[] => (eos === null || ids[ids.length - 1] === eos ? ids : [...ids.slice(0, opts.maxTargetLength - 1), eos]);
  const pad = tokenizer.padTokenId;
  if (pad === null) throw new LenguaError('the tokenizer has no pad token; an encoder-decoder pads its sources with it', { field: 'pad_token' });
  return {
    inputIds: src.map((e) => e.ids),
    labels: tgt.map((e) => withEos(e.ids)),
    lengths: src.map((e) => e.ids.length),
    sources: pairs.map((p) => p.source),
    references: pairs.map((p) => (p.references !== undefined && p.references.length > 0 ? [...p.references] : [p.target])),
    padTokenId: pad,
  };
}

export interface Seq2SeqBatch {
  inputIds: Tensor;
  attentionMask: Tensor;
  /** Targets padded with -100. */
  labels: Tensor;
}

/** `DataCollatorForSeq2Seq`: pads to the longest source and the longest target of the batch. */
export function collateSeq2Seq(ds: Seq2SeqEncodedDataset, indices: readonly number[]): Seq2SeqBatch {
  const b = indices.length;
  const sw = Math.max(1, ...indices.map((i) => ds.inputIds[i]!.length));
  const tw = Math.max(1, ...indices.map((i) => ds.labels[i]!.length));
  const ids = new BigInt64Array(b * sw).fill(BigInt(ds.padTokenId));
  const mask = new BigInt64Array(b * sw);
  const labels = new BigInt64Array(b * tw).fill(BigInt(LABEL_PAD));
  indices.forEach((ex, r) => {
    ds.inputIds[ex]!.forEach((t, j) => {
      ids[r * sw + j] = BigInt(t);
      mask[r * sw + j] = 1n;
    });
    ds.labels[ex]!.forEach((t, j) => (labels[r * tw + j] = BigInt(t)));
  });
  return {
    inputIds: torch.tensor(ids, { shape: [b, sw] }),
    attentionMask: torch.tensor(mask, { shape: [b, sw] }),
    labels: torch.tensor(labels, { shape: [b, tw] }),
  };
}
