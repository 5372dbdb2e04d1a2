/**
 * `TokenClassificationTrainer`: transformers' Trainer as `run_ner.py` drives it — the shared loop of
 * `BaseTrainer` over `DataCollatorForTokenClassification` batches, the model's token loss (-100 skipped,
 * label smoothing from the arguments), and an evaluation at the level of words: each word takes the argmax
 * of its first subword, and the word tags are scored with conlleval / seqeval semantics (`entityMetrics`,
 * IOB2, default mode): `eval_precision`, `eval_recall`, `eval_f1` (micro over entities, seqeval's overall_*)
 * and `eval_accuracy` (word tags equal to the gold tags).
 *
 * run_ner.py scores only the words whose first subword survived truncation; here a word cut by maxLength is
 * predicted O and still scored, so the metrics describe the whole evaluation file.
 */
import type { Tensor } from '../torch/index.js';
import { LenguaError } from '../errors.js';
import { entityMetrics } from '../metrics/index.js';
import { BaseTrainer, type BaseTrainerOptions } from './base-trainer.js';
import { evaluationPass } from './data.js';
import { collateTokenClassification, wordTags, type TokenBatch, type TokenEncodedDataset } from './token-data.js';

export type TokenClassificationTrainerOptions = BaseTrainerOptions<TokenEncodedDataset>;

export interface TokenPrediction {
  /** Predicted tags per sentence, one per word. */
  predictions: string[][];
  /** `<prefix>_loss`, `_precision`, `_recall`, `_f1`, `_accuracy` when the sentences have gold tags. */
  metrics: Record<string, number>;
}

/** Entity-level scores of word tags (IOB2, conlleval semantics), under run_ner.py's metric names. */
export function tokenClassificationScores(gold: ReadonlyArray<readonly string[]>, predicted: ReadonlyArray<readonly string[]>): Record<string, number> {
  const m = entityMetrics(gold, predicted, { scheme: 'IOB2' });
  return { precision: m.micro.precision, recall: m.micro.recall, f1: m.micro.f1, accuracy: m.accuracy };
}

export class TokenClassificationTrainer extends BaseTrainer<TokenEncodedDataset> {
  constructor(opts: TokenClassificationTrainerOptions) {
    super(opts);
    if (opts.args.classWeights !== undefined && opts.args.classWeights !== null) throw new LenguaError('classWeights apply to sequence classification only', { field: 'classWeights' });
    const names = opts.trainDataset.labelNames;
    const cfg = this.model.config;
    if (cfg.numLabels !== names.length) {
      throw new LenguaError(`the model has ${cfg.numLabels} labels but the data has ${names.length} (${names.join(', ')}); load the model with their id2label`, { field: 'id2label' });
    }
    names.forEach((n, i) => {
      if (cfg.id2label[i] !== n) throw new LenguaError(`the model's label ${i} is ${JSON.stringify(cfg.id2label[i])} but the data's is ${JSON.stringify(n)}`, { field: 'id2label' });
    });
    checkDataset(opts.trainDataset, names, 'trainDataset', true);
    if (opts.evalDataset) checkDataset(opts.evalDataset, names, 'evalDataset', true);
  }

  private batch(ds: TokenEncodedDataset, indices: readonly number[]): TokenBatch {
    const b = collateTokenClassification(ds, indices);
    const dev = this.devices;
    if (dev === 'cpu') return b;
    return { inputIds: b.inputIds.to(dev), attentionMask: b.attentionMask.to(dev), labels: b.labels.to(dev) };
  }

  private logits(b: TokenBatch): Tensor {
    return (this.model.forward({ inputIds: b.inputIds, attentionMask: b.attentionMask }) as { logits: Tensor }).logits;
  }

  protected trainingLoss(indices: readonly number[]): Tensor {
    const b = this.batch(this.trainDataset, indices);
    return this.model.loss(this.logits(b), b.labels, { labelSmoothing: this.args.labelSmoothingFactor });
  }

  /** Word tags of every sentence and, when `withLoss`, the mean loss (batch means weighted by batch size, as transformers). */
  private run(ds: TokenEncodedDataset, withLoss: boolean): { predictions: string[][]; loss: number } {
    const predictions: string[][] = [];
    const loss = evaluationPass(this.model, ds.inputIds.length, this.args.perDeviceEvalBatchSize, (indices) => {
      const b = this.batch(ds, indices);
      const z = this.logits(b);
      const best = z.argmax(-1);
      const rows = (best.device === 'cpu' ? best : best.to('cpu')).toArray() as number[][];
      indices.forEach((ex, r) => predictions.push(wordTags(ds, ex, rows[r]!)));
      return withLoss ? this.model.loss(z, b.labels).item() : undefined;
    });
    return { predictions, loss };
  }


  private scored(ds: TokenEncodedDataset, prefix: string, withLoss: boolean): TokenPrediction {
    const { predictions, loss } = this.run(ds, withLoss);
    if (!withLoss) return { predictions, metrics: {} };
    const metrics: Record<string, number> = { [`${prefix}_loss`]: loss };
    for (const [k, v] of Object.entries(tokenClassificationScores(ds.tags, predictions))) metrics[`${prefix}_${k}`] = v;
    return { predictions, metrics };
  }

  /** Loss and entity-level precision / recall / F1 and word accuracy; keys prefixed `eval_` (or metricKeyPrefix). */
  override async evaluate(ds?: TokenEncodedDataset, opts: { metricKeyPrefix?: string } = {}): Promise<Record<string, number>> {
    const data = ds ?? this.evalDataset;
    if (data === undefined) throw new LenguaError('evaluate(): no dataset given and no evalDataset', { field: 'evalDataset' });
    checkDataset(data, this.trainDataset.labelNames, 'evalDataset', true);
    const prefix = opts.metricKeyPrefix ?? 'eval';
    const started = performance.now();
    const { metrics } = this.scored(data, prefix, true);
    return this.finishEvaluation(metrics, prefix, started, data.inputIds.length);
  }

  /** Word-level tags for every sentence; with gold tags also the `test_*` (or metricKeyPrefix) scores. */
  async predict(ds: TokenEncodedDataset, opts: { metricKeyPrefix?: string } = {}): Promise<TokenPrediction> {
    checkDataset(ds, this.trainDataset.labelNames, 'dataset', false);
    const tagged = ds.tags.length > 0 && ds.tags.every((t, i) => t.length === ds.words[i]!.length && t.length > 0);
    return this.scored(ds, opts.metricKeyPrefix ?? 'test', tagged);
  }
}

function checkDataset(ds: TokenEncodedDataset, names: readonly string[], field: string, needTags: boolean): void {
  const n = ds.inputIds.length;
  for (const [what, len] of [['lengths', ds.lengths.length], ['wordIds', ds.wordIds.length], ['firstTokens', ds.firstTokens.length], ['words', ds.words.length]] as const) {
    if (len !== n) throw new LenguaError(`${n} examples but ${len} ${what}`, { field });
  }
  if (ds.labelNames.join('\u0000') !== names.join('\u0000')) throw new LenguaError(`its labels (${ds.labelNames.join(', ')}) are not the training set's (${names.join(', ')})`, { field });
  if (!needTags) return;
  if (ds.labels.length !== n || ds.tags.length !== n) throw new LenguaError(`${n} examples but ${ds.labels.length} label rows and ${ds.tags.length} tag rows`, { field });
  ds.tags.forEach((t, i) => {
    if (t.length !== ds.words[i]!.length) throw new LenguaError(`example ${i} has ${ds.words[i]!.length} words but ${t.length} tags`, { field });
  });
}
