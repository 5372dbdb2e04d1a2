/**
 * Frozen-layer output cache: under `head` and `freeze` the embeddings and the lower k encoder layers
 * never change, so their output for each example is computed once (the first time the example is
 * seen, for the whole dataset at once) and reused in every later epoch and evaluation. A cached
 * epoch then costs only the layers that train.
 *
 * What is cached per example (the smallest thing that suffices):
 * - k < L layers frozen: the hidden states after layer k, unpadded [len, hidden]; batches are
 *   re-padded to the batch's width (dynamic padding) and run through layers k.. + the head;
 * - all L layers frozen, BERT with a frozen pooler (`head`): the pooler output [hidden];
 * - all L layers frozen otherwise (RoBERTa `<s>`, DistilBERT `[CLS]`, BERT with a trainable pooler):
 *   the first token's last hidden state [hidden].
 *
 * Deliberate difference from transformers: the frozen bottom always runs in eval mode (no dropout),
 * for cached and recomputed examples alike. transformers applies dropout in frozen layers in train
 * mode; a cache of dropped-out activations would be one fixed mask reused every epoch, which is
 * neither that nor the eval-mode output. The trainable top keeps the model's mode (dropout on in
 * training).
 *
 * Bound: `maxBytes` (default 2 GiB) of cached tensors in memory across the training and evaluation
 * sets. Examples beyond the bound are not stored: their batches recompute the frozen bottom each time
 * (eval mode, no gradient), so results do not depend on the bound, only speed does. `maxBytes: 0`
 * caches nothing (the reference path the tests compare against). No disk spill: a disk read of
 * [len, 768] float32 rows would cost about what recomputing 10 frozen layers saves only on fast disks.
 *
 * Invalidation: entries are keyed by (dataset object, example index). The frozen weights cannot
 * change (requiresGrad is false and the optimizer never sees them); this is asserted cheaply by a
 * checksum of the first and last frozen tensors, taken at creation and re-checked whenever a dataset
 * is cached and by `verify()`.
 */
import * as torch from '../torch/index.js';
import type { Tensor, DType } from '../torch/index.js';
import { LenguaError } from '../errors.js';
import type { ModelSplit, PreTrainedModel, SplitKind } from '../models/index.js';
import { collate, isMultiLabel, type Batch, type EncodedDataset } from './data.js';

/**
 * How the Trainer computes logits when the bottom of the model is frozen: possibly from cached
 * outputs of the frozen layers. `createFrozenForward` returns the cache below (or null to decline);
 * a custom one can be given to the Trainer (`TrainerOptions.frozenForward`).
 */
export interface FrozenForward {
  /** Logits [batch, labels] for the examples `indices` of `dataset` (whose padded tensors are `batch`). */
  logits(dataset: EncodedDataset, indices: readonly number[], batch: Batch, training: boolean): Tensor;
  dispose?(): void;
}
export interface FrozenForwardOptions {
  model: PreTrainedModel;
  /** Layers (after the embeddings) whose weights are frozen; the embeddings are frozen too. */
  frozenLayers: number;
  maxBytes?: number;
  withTokenTypes: boolean;
}
export type FrozenForwardFactory = (opts: FrozenForwardOptions) => FrozenForward | null;

export const DEFAULT_CACHE_MAX_BYTES = 2 * 1024 ** 3;

/** What one cache entry holds (see the file comment and ModelSplit). */
export type CacheKind = SplitKind;

export interface FrozenCacheOptions {
  maxBytes?: number;
  withTokenTypes: boolean;
  /** Storage precision; float32 (default) keeps the cached path equal to the uncached one within 1e-5. */
  storeDtype?: 'float32' | 'bfloat16';
  /** Examples per batch when a dataset is cached (default: the size of the first batch asked for). */
  buildBatchSize?: number;
}

export interface FrozenCacheStats {
  kind: CacheKind;
  frozenLayers: number;
  cachedExamples: number;
  /** Examples left out by the bound (recomputed whenever their batch comes). */
  uncachedExamples: number;
  bytes: number;
  maxBytes: number;
  /** Time spent building (frozen bottom over whole datasets), ms. */
  buildMs: number;
  /** Batches served wholly from the cache / recomputed. */
  hitBatches: number;
  missBatches: number;
}

interface Entry {
  rows: Array<Tensor | null>;
}

/** A FrozenForward that caches the frozen bottom's outputs per example. */
export class FrozenLayerCache implements FrozenForward {
  /** How many caches this process created (diagnostics: shows the Trainer really found this module). */
  static created = 0;
  private readonly model: PreTrainedModel;
  private readonly split: ModelSplit;
  /** What one entry holds: the model's cut (ModelSplit.kind). */
  get kind(): CacheKind {
    return this.split.kind;
  }
  private readonly k: number;
  private readonly maxBytes: number;
  private readonly withTokenTypes: boolean;
  private readonly storeDtype: DType;
  private readonly buildBatchSize: number | undefined;
  private readonly checkTensors: Tensor[];
  private readonly checksum: number[];
  private readonly entries = new WeakMap<EncodedDataset, Entry>();
  private readonly allEntries: Entry[] = [];
  private bytes = 0;
  private cached = 0;
  private uncached = 0;
  private buildMs = 0;
  private hits = 0;
  private misses = 0;
  private disposed = false;

  constructor(model: PreTrainedModel, frozenLayers: number, opts: FrozenCacheOptions) {
    this.model = model;
    const L = model.numLayers;
    if (!Number.isInteger(frozenLayers) || frozenLayers < 1 || frozenLayers > L) {
      throw new LenguaError(`frozenLayers must be an integer in [1, ${L}], got ${frozenLayers}`, { field: 'frozenLayers' });
    }
    const split = model.splitAt(frozenLayers);
    if (split === null) throw new LenguaError(`${model.className} cannot be split for a frozen-layer cache`);
    this.split = split;
    this.k = frozenLayers;
    this.maxBytes = opts.maxBytes ?? DEFAULT_CACHE_MAX_BYTES;
    if (!(this.maxBytes >= 0)) throw new LenguaError(`cacheMaxBytes must be >= 0, got ${this.maxBytes}`, { field: 'cacheMaxBytes' });
    this.withTokenTypes = opts.withTokenTypes;
    this.storeDtype = opts.storeDtype ?? 'float32';
    this.buildBatchSize = opts.buildBatchSize;
    const frozenParams = split.bottomModules.flatMap((m) => m.parameters());
    if (frozenParams.some((p) => p.requiresGrad)) {
      throw new LenguaError(`the frozen-layer cache needs the embeddings and layers 0..${this.k - 1} frozen (requiresGrad false)`, { field: 'frozenLayers' });
    }
    // Cheap invalidation guard: the first and last frozen tensors' sums.
    this.checkTensors = [frozenParams[0]!, frozenParams[frozenParams.length - 1]!];
    this.checksum = this.sums();
    FrozenLayerCache.created++;
  }

  private sums(): number[] {
    return torch.noGrad(() => torch.tidy(() => this.checkTensors.map((t) => t.sum().item())));
  }

  /** Throws when a frozen weight changed since the cache was created (its entries would be stale). */
  verify(): void {
    const now = this.sums();
    if (now.some((v, i) => v !== this.checksum[i])) {
      throw new LenguaError('frozen weights changed after the frozen-layer cache was built: its entries are stale (a frozen parameter was trained or reloaded)');
    }
  }

  stats(): FrozenCacheStats {
    return {
      kind: this.kind, frozenLayers: this.k, cachedExamples: this.cached, uncachedExamples: this.uncached, bytes: this.bytes,
      maxBytes: this.maxBytes, buildMs: this.buildMs, hitBatches: this.hits, missBatches: this.misses,
    };
  }

  /** Runs fn with the frozen modules in eval mode (no dropout), restoring their modes after. */
  private frozenEval<T>(fn: () => T): T {
    const modes = this.split.bottomModules.map((m) => m.training);
    for (const m of this.split.bottomModules) m.train(false);
    try {
      return fn();
    } finally {
      this.split.bottomModules.forEach((m, i) => m.train(modes[i]!));
    }
  }

  /** The frozen bottom of a padded batch, reduced to what the cache holds: [b, s, h] or [b, h]. No gradient. */
  private bottom(b: Pick<Batch, 'inputIds' | 'attentionMask' | 'tokenTypeIds'>): Tensor {
    return torch.noGrad(() => this.frozenEval(() => this.split.bottom({
      inputIds: b.inputIds, attentionMask: b.attentionMask, ...(this.withTokenTypes && b.tokenTypeIds ? { tokenTypeIds: b.tokenTypeIds } : {}),
    })));
  }

  /** The trainable top on a bottom output (shape as `bottom` returns). */
  private top(bottom: Tensor, mask: Tensor): Tensor {
    return this.split.top(bottom, mask).logits;
  }

  /** Computes and stores the frozen bottom of every example of `dataset` (within the bound), in length-sorted batches. */
  build(dataset: EncodedDataset, batchSize = this.buildBatchSize ?? 32): void {
    if (this.disposed) throw new LenguaError('the frozen-layer cache was disposed');
    if (this.entries.has(dataset)) return;
    this.verify();
    const t0 = performance.now();
    const n = dataset.inputIds.length;
    const entry: Entry = { rows: new Array<Tensor | null>(n).fill(null) };
    this.entries.set(dataset, entry);
    this.allEntries.push(entry);
    // Length-sorted batches waste little on padding; each batch's intermediates are freed at once.
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => dataset.lengths[a]! - dataset.lengths[b]! || a - b);
    const padTokenId = dataset.padTokenId ?? this.model.config.padTokenId ?? 0;
    const multiLabel = isMultiLabel(dataset);
    const elem = this.storeDtype === 'float32' ? 4 : 2;
    const dev = this.model.device;
    const rowBytes = (len: number) => (this.kind === 'hidden' ? Math.max(1, len) : 1) * this.split.hiddenSize * elem;
    for (let s = 0; s < n; s += batchSize) {
      const idx = order.slice(s, s + batchSize);
      // Ascending lengths: once the shortest example left does not fit, none does; skip the work.
      if (this.bytes + rowBytes(dataset.inputIds[idx[0]!]!.length) > this.maxBytes) {
        this.uncached += n - s;
        break;
      }
      torch.tidy(() => {
        let b = collate(dataset, idx, { padTokenId, withTokenTypes: this.withTokenTypes, multiLabel });
        if (dev !== 'cpu') b = { inputIds: b.inputIds.to(dev), attentionMask: b.attentionMask.to(dev), ...(b.tokenTypeIds ? { tokenTypeIds: b.tokenTypeIds.to(dev) } : {}), labels: b.labels };
        const h = this.bottom(b);
        idx.forEach((ex, r) => {
          const len = dataset.inputIds[ex]!.length;
          let row = h.select(0, r);
          if (this.kind === 'hidden') row = row.narrow(0, 0, Math.max(1, len));
          const size = rowBytes(len);
          if (this.bytes + size > this.maxBytes) {
            this.uncached++;
            return;
          }
          // A copy of its own (not a view pinning the whole batch's storage).
          entry.rows[ex] = (this.storeDtype === 'float32' ? row.clone() : row.to(this.storeDtype)).keep();
          this.bytes += size;
          this.cached++;
        });
      });
    }
    this.buildMs += performance.now() - t0;
  }

  logits(dataset: EncodedDataset, indices: readonly number[], batch: Batch, _training: boolean): Tensor {
    if (!this.entries.has(dataset)) this.build(dataset, this.buildBatchSize ?? Math.max(indices.length, 1));
    const entry = this.entries.get(dataset)!;
    const rows = indices.map((i) => entry.rows[i] ?? null);
    if (rows.some((r) => r === null)) {
      // Some example is over the bound: recompute the whole batch's bottom (same eval-mode path).
      this.misses++;
      return this.top(this.bottom(batch), batch.attentionMask);
    }
    this.hits++;
    const full = rows as Tensor[];
    let stacked: Tensor;
    if (this.kind === 'hidden') {
      const width = batch.attentionMask.shape[1]!;
      const hidden = full[0]!.shape[1]!;
      stacked = torch.stack(full.map((r) => {
        const len = r.shape[0]!;
        return len >= width ? r : torch.cat([r, torch.zeros([width - len, hidden], { dtype: r.dtype, device: r.device })], 0);
      }));
    } else {
      stacked = torch.stack(full);
    }
    if (stacked.dtype !== 'float32') stacked = stacked.to('float32');
    return this.top(stacked, batch.attentionMask);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const e of this.allEntries) for (const r of e.rows) r?.dispose();
    this.allEntries.length = 0;
    this.bytes = 0;
  }
}

/**
 * The Trainer's default FrozenForwardFactory: a FrozenLayerCache, or null (decline: the Trainer runs
 * the full forward) when nothing is frozen or the model has no cut (`splitAt` returns null).
 */
export function createFrozenForward(opts: FrozenForwardOptions & { storeDtype?: 'float32' | 'bfloat16' }): FrozenLayerCache | null {
  const m = opts.model;
  if (opts.frozenLayers < 1 || m.splitAt(opts.frozenLayers) === null) return null;
  return new FrozenLayerCache(m, opts.frozenLayers, {
    withTokenTypes: opts.withTokenTypes,
    ...(opts.maxBytes !== undefined ? { maxBytes: opts.maxBytes } : {}),
    ...(opts.storeDtype !== undefined ? { storeDtype: opts.storeDtype } : {}),
  });
}
