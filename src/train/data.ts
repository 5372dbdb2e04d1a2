/**
 * From a labelled Dataset to training batches: encoding (truncated, unpadded), the seeded data order
 * (plain shuffle or length-grouped), and dynamic padding to the longest example of each batch.
 */
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { LenguaError } from '../errors.js';
import { mulberry32, shuffleInPlace } from '../data/split.js';
import type { Dataset } from '../data/index.js';
import type { LabelSet } from '../data/index.js';
import type { PreTrainedTokenizer } from '../text/tokenizer/index.js';

/** Tokenized examples, unpadded; labels are ids (single-label) or 0/1 rows (multi-label). */
export interface EncodedDataset {
  inputIds: number[][];
  tokenTypeIds?: number[][];
  labels: number[] | number[][];
  texts: string[];
  lengths: number[];
  /** Padding id for dynamic padding (the tokenizer's pad token). */
  padTokenId?: number;
}

export interface TextClassificationData {
  texts: string[];
  pairs?: string[];
  labels: number[] | number[][];
}

/** Encodes texts (and pairs) with truncation to maxLength; no padding (batches are padded when built). */
export function encodeTexts(data: TextClassificationData, tokenizer: PreTrainedTokenizer, maxLength: number): EncodedDataset {
  if (data.labels.length !== data.texts.length) throw new LenguaError(`${data.texts.length} texts but ${data.labels.length} labels`, { field: 'labels' });
  if (data.pairs !== undefined && data.pairs.length !== data.texts.length) throw new LenguaError(`${data.texts.length} texts but ${data.pairs.length} pairs`, { field: 'pairs' });
  const inputs: Array<string | [string, string]> = data.texts.map((t, i) => (data.pairs !== undefined ? [t, data.pairs[i] as string] : t));
  const enc = tokenizer.encodeBatch(inputs, { truncation: true, maxLength });
  return {
    inputIds: enc.map((e) => e.ids),
    tokenTypeIds: enc.map((e) => e.tokenTypeIds),
    labels: data.labels,
    texts: [...data.texts],
    lengths: enc.map((e) => e.ids.length),
    padTokenId: tokenizer.padTokenId ?? 0,
  };
}

/** Encodes a loaded Dataset with a fixed label set (a label outside it is an error naming it and where it is). */
export function encodeDataset(ds: Dataset, tokenizer: PreTrainedTokenizer, labels: LabelSet, maxLength: number): EncodedDataset {
  const texts: string[] = [];
  const pairs: string[] = [];
  const ids: Array<number | number[]> = [];
  const hasPairs = ds.examples.some((e) => e.textPair !== undefined);
  for (const ex of ds.examples) {
    const where = { file: ex.source.file, line: ex.source.line, field: ds.columns.label ?? 'label' };
    if (ex.label === undefined) throw new LenguaError('the example has no label', where);
    texts.push(ex.text);
    if (hasPairs) pairs.push(ex.textPair ?? '');
    if (ds.multiLabel) ids.push(labels.encodeMulti(typeof ex.label === 'string' ? [ex.label] : ex.label, where));
    else {
      if (typeof ex.label !== 'string') throw new LenguaError('a multi-label example in a single-label dataset', where);
      ids.push(labels.encode(ex.label, where));
    }
  }
  return encodeTexts({ texts, ...(hasPairs ? { pairs } : {}), labels: ids as number[] | number[][] }, tokenizer, maxLength);
}

/** The examples of one epoch in batches: a seeded shuffle, or HF's length-grouped order. */
export function epochBatches(lengths: readonly number[], batchSize: number, seed: number, epoch: number, groupByLength: boolean): number[][] {
  const n = lengths.length;
  // The order depends only on (seed, epoch): a resumed run rebuilds it without saved state.
  const rand = mulberry32((seed ^ Math.imul(epoch + 1, 0x9e3779b1)) >>> 0);
  const order = shuffleInPlace(Array.from({ length: n }, (_, i) => i), rand);
  if (groupByLength) {
    // transformers' LengthGroupedSampler: sort megabatches of 50 batches by length (longest first),
    // and put the batch holding the longest example first (memory errors show up at once).
    const mega = batchSize * 50;
    const sorted: number[] = [];
    for (let s = 0; s < n; s += mega) {
      sorted.push(...order.slice(s, s + mega).sort((a, b) => (lengths[b] as number) - (lengths[a] as number) || a - b));
    }
    order.splice(0, n, ...sorted);
  }
  const batches: number[][] = [];
  for (let s = 0; s < n; s += batchSize) batches.push(order.slice(s, s + batchSize));
  if (groupByLength && batches.length > 1) {
    let best = 0;
    for (let b = 0; b < batches.length; b++) {
      if (Math.max(...batches[b]!.map((i) => lengths[i] as number)) > Math.max(...batches[best]!.map((i) => lengths[i] as number))) best = b;
    }
    [batches[0], batches[best]] = [batches[best] as number[], batches[0] as number[]];
  }
  return batches;
}

/** Sequential batches (evaluation / prediction). */
export function sequentialBatches(n: number, batchSize: number): number[][] {
  const out: number[][] = [];
  for (let s = 0; s < n; s += batchSize) out.push(Array.from({ length: Math.min(batchSize, n - s) }, (_, i) => s + i));
  return out;
}

/**
 * One evaluation pass over `n` examples in sequential batches: the model in eval mode (its mode restored after), no
 * gradients, each batch in its own tidy scope. `step` gets a batch's example indices and returns the batch's mean
 * loss, or undefined when it has none (no loss wanted, nothing to score); the result is transformers' eval loss,
 * the batch means weighted by batch size over the batches that gave one (NaN when none did).
 */
export function evaluationPass(model: { training: boolean; eval(): unknown; train(mode?: boolean): unknown }, n: number, batchSize: number, step: (indices: number[]) => number | undefined): number {
  const wasTraining = model.training;
  model.eval();
  let sum = 0;
  let weight = 0;
  try {
    torch.noGrad(() => {
      for (const indices of sequentialBatches(n, batchSize)) {
        const loss = torch.tidy(() => step(indices));
        if (loss === undefined) continue;
        sum += loss * indices.length;
        weight += indices.length;
      }
    });
  } finally {
    model.train(wasTraining);
  }
  return weight > 0 ? sum / weight : NaN;
}

export interface Batch {
  inputIds: Tensor;
  attentionMask: Tensor;
  tokenTypeIds?: Tensor;
  /** int64 [b] for single-label, float32 [b, labels] for multi-label. */
  labels: Tensor;
}

/** Pads the chosen examples to the longest of them (right padding) and builds tensors. */
export function collate(ds: EncodedDataset, indices: readonly number[], opts: { padTokenId: number; withTokenTypes: boolean; multiLabel: boolean }): Batch {
  const width = Math.max(1, ...indices.map((i) => ds.inputIds[i]!.length));
  const b = indices.length;
  const ids = new BigInt64Array(b * width).fill(BigInt(opts.padTokenId));
  const mask = new BigInt64Array(b * width);
  const types = opts.withTokenTypes ? new BigInt64Array(b * width) : null;
  indices.forEach((ex, r) => {
    const row = ds.inputIds[ex]!;
    const tt = ds.tokenTypeIds?.[ex];
    for (let j = 0; j < row.length; j++) {
      ids[r * width + j] = BigInt(row[j]!);
      mask[r * width + j] = 1n;
      if (types !== null && tt !== undefined) types[r * width + j] = BigInt(tt[j] ?? 0);
    }
  });
  let labels: Tensor;
  if (opts.multiLabel) {
    const rows = ds.labels as number[][];
    const f = new Float32Array(indices.flatMap((i) => rows[i]!));
    labels = torch.tensor(f, { shape: [b, rows[indices[0]!]!.length] });
  } else {
    const ys = ds.labels as number[];
    labels = torch.tensor(BigInt64Array.from(indices.map((i) => BigInt(ys[i]!))), { shape: [b] });
  }
  return {
    inputIds: torch.tensor(ids, { shape: [b, width] }),
    attentionMask: torch.tensor(mask, { shape: [b, width] }),
    ...(types !== null ? { tokenTypeIds: torch.tensor(types, { shape: [b, width] }) } : {}),
    labels,
  };
}

/** True when the labels are 0/1 rows (multi-label). */
export function isMultiLabel(ds: EncodedDataset): boolean {
  return ds.labels.length > 0 && Array.isArray(ds.labels[0]);
}
