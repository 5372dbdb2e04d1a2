/**
 * `Trainer`: transformers' Trainer for sequence classifiers — the shared loop of `BaseTrainer` with
 * classification batches (dynamic padding, token types), the model's loss with label smoothing and class
 * weights, the frozen-layer cache under head/freeze, and accuracy/F1/MCC (or multi-label) metrics.
 */
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { LenguaError } from '../errors.js';
import { computeClassificationMetrics } from '../metrics/index.js';
import type { StrategyResult } from './strategy.js';
import { createFrozenForward, type FrozenForward, type FrozenForwardFactory } from './frozen-cache.js';
import { collate, evaluationPass, isMultiLabel, type Batch, type EncodedDataset } from './data.js';
import { BaseTrainer, type BaseTrainerOptions } from './base-trainer.js';

export type { TrainerCallback, TrainerState } from './callbacks.js';
export type { FrozenForward, FrozenForwardFactory, FrozenForwardOptions } from './frozen-cache.js';
export { stepSeed, type TrainOutput } from './base-trainer.js';

export type ComputeMetrics = (p: { logits: number[][]; labels: number[] | number[][] }) => Record<string, number>;

/** Default metrics: accuracy, macro/weighted F1, macro precision/recall, MCC (single-label); subset accuracy and micro/macro F1 (multi-label). */
export function defaultComputeMetrics(numLabels: number): ComputeMetrics {
  return ({ logits, labels }) => {
    if (labels.length === 0) return {};
    if (Array.isArray(labels[0])) return multiLabelMetrics(logits, labels as number[][]);
    const preds = logits.map(argmax);
    const ids = Array.from({ length: numLabels }, (_, i) => i);
    const m = computeClassificationMetrics(labels as number[], preds, { labels: ids });
    return {
      accuracy: m.accuracy,
      macro_f1: m.macro.f1,
      macro_precision: m.macro.precision,
      macro_recall: m.macroRecall,
      weighted_f1: m.weighted.f1,
      mcc: m.mcc,
    };
  };
}

function argmax(row: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if ((row[i] as number) > (row[best] as number)) best = i;
  return best;
}

function multiLabelMetrics(logits: number[][], labels: number[][]): Record<string, number> {
  const k = labels[0]!.length;
  const tp = new Array<number>(k).fill(0);
  const fp = new Array<number>(k).fill(0);
  const fn = new Array<number>(k).fill(0);
  let exact = 0;
  logits.forEach((row, i) => {
    let all = true;
    row.forEach((z, j) => {
      const p = z > 0 ? 1 : 0;
      const y = labels[i]![j]! > 0.5 ? 1 : 0;
      if (p && y) tp[j]!++;
      else if (p) fp[j]!++;
      else if (y) fn[j]!++;
      if (p !== y) all = false;
    });
    if (all) exact++;
  });
  const f1 = (a: number, b: number, c: number): number => (2 * a + b + c === 0 ? 0 : (2 * a) / (2 * a + b + c));
  const sum = (xs: number[]): number => xs.reduce((s, x) => s + x, 0);
  return {
    accuracy: exact / labels.length,
    micro_f1: f1(sum(tp), sum(fp), sum(fn)),
    macro_f1: tp.reduce((s, _, j) => s + f1(tp[j]!, fp[j]!, fn[j]!), 0) / k,
  };
}

export interface TrainerOptions extends BaseTrainerOptions<EncodedDataset> {
  id2label?: Record<number, string>;
  computeMetrics?: ComputeMetrics;
  /** Overrides the frozen-layer cache lookup (tests, or a custom cache). null disables it. */
  frozenForward?: FrozenForwardFactory | null;
}

export class Trainer extends BaseTrainer<EncodedDataset> {
  private readonly computeMetrics: ComputeMetrics;
  private readonly numLabels: number;
  private readonly multiLabel: boolean;
  private readonly withTokenTypes: boolean;
  private readonly padTokenId: number;
  private classWeight: Tensor | null = null;
  private frozen: FrozenForward | null = null;
  private readonly frozenFactory: FrozenForwardFactory | null | undefined;

  constructor(opts: TrainerOptions) {
    super(opts);
    this.numLabels = this.model.config.numLabels;
    this.multiLabel = isMultiLabel(opts.trainDataset);
    checkDataset(opts.trainDataset, this.numLabels, this.multiLabel, 'trainDataset');
    if (opts.evalDataset) checkDataset(opts.evalDataset, this.numLabels, this.multiLabel, 'evalDataset');
    if (!this.multiLabel && this.numLabels > 1) checkTwoClasses(opts.trainDataset, opts.id2label ?? this.model.config.id2label);
    if (opts.id2label !== undefined) {
      this.model.config.id2label = opts.id2label;
    }
    // The model's loss follows problem_type (transformers' rule when it is unset: one label is regression).
    if (this.multiLabel) this.model.config.problemType = 'multi_label_classification';
    else if (this.model.config.problemType === null) this.model.config.problemType = this.numLabels === 1 ? 'regression' : 'single_label_classification';
    this.withTokenTypes = this.model.acceptsTokenTypeIds && opts.trainDataset.tokenTypeIds !== undefined;
    this.padTokenId = opts.trainDataset.padTokenId ?? opts.tokenizer?.padTokenId ?? this.model.config.padTokenId ?? 0;
    this.computeMetrics = opts.computeMetrics ?? defaultComputeMetrics(this.numLabels);
    this.frozenFactory = opts.frozenForward;
    this.setupClassWeights();
  }

  private setupClassWeights(): void {
    const cw = this.args.classWeights;
    if (cw === undefined || cw === null) return;
    if (this.multiLabel) throw new LenguaError('classWeights apply to single-label classification only', { field: 'classWeights' });
    let w: number[];
    if (cw === 'balanced') {
      const counts = new Array<number>(this.numLabels).fill(0);
      for (const y of this.trainDataset.labels as number[]) counts[y]!++;
      const n = this.trainDataset.labels.length;
      // scikit-learn's 'balanced': n / (classes x count); a class absent from the data gets weight 0 (it never appears as a target).
      w = counts.map((c) => (c === 0 ? 0 : n / (this.numLabels * c)));
    } else {
      if (cw.length !== this.numLabels) throw new LenguaError(`classWeights has ${cw.length} numbers but the model has ${this.numLabels} labels`, { field: 'classWeights' });
      w = cw;
    }
    this.classWeight = torch.tensor(new Float32Array(w), { device: this.devices }).keep();
  }

  /** The training loss: the model's task loss, with the Trainer's label smoothing and class weights. */
  private loss(logits: Tensor, labels: Tensor): Tensor {
    return this.model.loss(logits, labels, { labelSmoothing: this.args.labelSmoothingFactor, classWeight: this.classWeight });
  }

  private batch(ds: EncodedDataset, indices: readonly number[]): Batch {
    const b = collate(ds, indices, { padTokenId: this.padTokenId, withTokenTypes: this.withTokenTypes, multiLabel: this.multiLabel });
    const dev = this.devices;
    if (dev === 'cpu') return b;
    return {
      inputIds: b.inputIds.to(dev),
      attentionMask: b.attentionMask.to(dev),
      ...(b.tokenTypeIds ? { tokenTypeIds: b.tokenTypeIds.to(dev) } : {}),
      labels: b.labels.to(dev),
    };
  }

  private logits(ds: EncodedDataset, indices: readonly number[], b: Batch, training: boolean): Tensor {
    if (this.frozen !== null) return this.frozen.logits(ds, indices, b, training);
    const out = this.model.forward({
      inputIds: b.inputIds,
      attentionMask: b.attentionMask,
      ...(b.tokenTypeIds ? { tokenTypeIds: b.tokenTypeIds } : {}),
    }) as { logits: Tensor };
    return out.logits;
  }

  protected override async prepareTraining(strategy: StrategyResult): Promise<void> {
    if (!this.args.cacheFrozen || strategy.frozenLayers === 0 || this.frozenFactory === null) return;
    const factory = this.frozenFactory ?? createFrozenForward;
    this.frozen = factory({
      model: this.model,
      frozenLayers: strategy.frozenLayers,
      withTokenTypes: this.withTokenTypes,
      ...(this.args.cacheMaxBytes !== undefined ? { maxBytes: this.args.cacheMaxBytes } : {}),
    });
  }

  protected override finishTraining(): void {
    this.frozen?.dispose?.();
    this.frozen = null;
  }

  protected trainingLoss(indices: readonly number[]): Tensor {
    const b = this.batch(this.trainDataset, indices);
    return this.loss(this.logits(this.trainDataset, indices, b, true), b.labels);
  }

  /** Loss and metrics on a dataset (default: the eval set), keys prefixed `eval_` (or metricKeyPrefix). */
  override async evaluate(ds?: EncodedDataset, opts: { metricKeyPrefix?: string } = {}): Promise<Record<string, number>> {
    const data = ds ?? this.evalDataset;
    if (data === undefined) throw new LenguaError('evaluate(): no dataset given and no evalDataset', { field: 'evalDataset' });
    const prefix = opts.metricKeyPrefix ?? 'eval';
    const started = performance.now();
    const { logits, loss } = this.run(data, true);
    const metrics: Record<string, number> = { [`${prefix}_loss`]: loss };
    for (const [k, v] of Object.entries(this.computeMetrics({ logits, labels: data.labels }))) metrics[`${prefix}_${k}`] = v;
    return this.finishEvaluation(metrics, prefix, started, data.inputIds.length);
  }

  /** Logits for every example (and loss/metrics when the dataset has labels). */
  async predict(ds: EncodedDataset): Promise<{ logits: number[][]; labels?: number[] | number[][]; metrics?: Record<string, number> }> {
    const hasLabels = ds.labels.length === ds.inputIds.length && ds.labels.length > 0;
    const { logits, loss } = this.run(ds, hasLabels);
    if (!hasLabels) return { logits };
    const metrics: Record<string, number> = { test_loss: loss };
    for (const [k, v] of Object.entries(this.computeMetrics({ logits, labels: ds.labels }))) metrics[`test_${k}`] = v;
    return { logits, labels: ds.labels, metrics };
  }

  private run(ds: EncodedDataset, withLoss: boolean): { logits: number[][]; loss: number } {
    const logits: number[][] = [];
    const loss = evaluationPass(this.model, ds.inputIds.length, this.args.perDeviceEvalBatchSize, (indices) => {
      const b = this.batch(ds, indices);
      const z = this.logits(ds, indices, b, false);
      logits.push(...((z.device === 'cpu' ? z : z.to('cpu')).toArray() as number[][]));
      return withLoss ? this.loss(z, b.labels).item() : undefined;
    });
    return { logits, loss };
  }


  /** Frees the tensors the Trainer holds (class weights); the model stays usable. */
  dispose(): void {
    this.classWeight?.dispose();
    this.classWeight = null;
  }

}

/**
 * A classifier trained on one class only ever predicts it: refused, as the baseline refuses it. (A
 * regression model, numLabels 1, is exempt.)
 */
function checkTwoClasses(ds: EncodedDataset, id2label: Record<number, string>): void {
  const seen = new Set<number>();
  for (const y of ds.labels) {
    seen.add(y as number);
    if (seen.size > 1) return;
  }
  if (seen.size === 0) return; // an empty set is refused by train() with its own message
  const id = [...seen][0]!;
  throw new LenguaError(
    `need at least 2 labels to train a classifier; every training example has label ${JSON.stringify(id2label[id] ?? id)}. Add examples of the other labels (a model trained on one class always predicts it).`,
    { field: 'trainDataset' },
  );
}

function checkDataset(ds: EncodedDataset, numLabels: number, multiLabel: boolean, field: string): void {
  const n = ds.inputIds.length;
  if (ds.labels.length !== n) throw new LenguaError(`${n} examples but ${ds.labels.length} labels`, { field });
  if (ds.lengths.length !== n) throw new LenguaError(`${n} examples but ${ds.lengths.length} lengths`, { field });
  if (n > 0 && isMultiLabel(ds) !== multiLabel) throw new LenguaError('the training and evaluation sets disagree on multi-label', { field });
  ds.labels.forEach((y, i) => {
    if (Array.isArray(y)) {
      if (y.length !== numLabels) throw new LenguaError(`example ${i}: ${y.length} label columns, the model has ${numLabels} labels`, { field });
    } else if (numLabels > 1 && (!Number.isInteger(y) || y < 0 || y >= numLabels)) {
      throw new LenguaError(`example ${i}: label id ${y} outside 0..${numLabels - 1}`, { field });
    }
  });
}
