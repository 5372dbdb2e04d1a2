/**
 * `MaskedLMTrainer`: transformers' Trainer as `run_mlm.py` drives it — the shared loop of `BaseTrainer` over
 * `DataCollatorForLanguageModeling` (or `…ForWholeWordMask`) batches of a `*ForMaskedLM` model. Evaluation
 * reports `eval_loss`, `eval_perplexity` = exp(eval_loss) and `eval_accuracy` (the argmax at masked positions equals
 * the original token), the three figures run_mlm reports.
 *
 * Masks come from a PRNG seeded per step (training) and per evaluation batch (evaluation): training sees new
 * masks at every step and a resumed run replays them; evaluation masks the same tokens every time, so
 * successive eval_loss values compare the model, not the luck of the draw. (transformers draws evaluation masks
 * from torch's generator, so its eval_loss moves a little between identical evaluations.)
 */
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { LenguaError } from '../errors.js';
import { BaseTrainer, stepSeed, type BaseTrainerOptions } from './base-trainer.js';
import { sequentialBatches } from './data.js';
import { LABEL_PAD } from './seq2seq-data.js';
import { collateMlm, type MaskingOptions, type MlmBatch, type MlmEncodedDataset } from './mlm-data.js';

export interface MaskedLMTrainerOptions extends BaseTrainerOptions<MlmEncodedDataset>, MaskingOptions {}

/** Mixed into the evaluation seeds so they never coincide with a training step's. */
const EVAL_SALT = 0x5bd1e995;

export class MaskedLMTrainer extends BaseTrainer<MlmEncodedDataset> {
  readonly masking: Required<MaskingOptions>;

  constructor(opts: MaskedLMTrainerOptions) {
    super(opts);
    if (!this.model.className.endsWith('ForMaskedLM')) {
      throw new LenguaError(`masked-LM training needs a *ForMaskedLM model, got ${this.model.className}`, { field: 'model' });
    }
    if (opts.args.classWeights !== undefined && opts.args.classWeights !== null) throw new LenguaError('classWeights apply to sequence classification only', { field: 'classWeights' });
    this.masking = { mlmProbability: opts.mlmProbability ?? 0.15, wholeWordMask: opts.wholeWordMask ?? false };
    if (!(this.masking.mlmProbability > 0 && this.masking.mlmProbability < 1)) {
      throw new LenguaError(`mlmProbability must be in (0, 1), got ${this.masking.mlmProbability}`, { field: 'mlmProbability' });
    }
    const vocab = this.model.config.vocabSize;
    for (const [field, ds] of [['trainDataset', opts.trainDataset], ['evalDataset', opts.evalDataset]] as const) {
      if (ds === undefined) continue;
      if (ds.inputIds.length === 0) throw new LenguaError('no examples (every text was empty?)', { field });
      if (ds.vocabSize > vocab) throw new LenguaError(`the tokenizer has ${ds.vocabSize} tokens but the model's vocabulary has ${vocab}`, { field: 'vocab_size' });
    }
  }

  private batch(ds: MlmEncodedDataset, indices: readonly number[], seed: number): MlmBatch {
    const b = collateMlm(ds, indices, seed, this.masking);
    const dev = this.devices;
    if (dev === 'cpu') return b;
    return { inputIds: b.inputIds.to(dev), attentionMask: b.attentionMask.to(dev), labels: b.labels.to(dev) };
  }

  private logits(b: MlmBatch): Tensor {
    return (this.model.forward({ inputIds: b.inputIds, attentionMask: b.attentionMask }) as { logits: Tensor }).logits;
  }

  protected trainingLoss(indices: readonly number[]): Tensor {
    // One seed per (step, micro-batch): accumulated micro-batches of a step get different masks.
    const b = this.batch(this.trainDataset, indices, stepSeed(stepSeed(this.args.seed, this.state.globalStep), indices[0] ?? 0));
    return this.model.loss(this.logits(b), b.labels);
  }

  /** eval_loss (batch means weighted by batch size, as transformers), perplexity and masked-token accuracy. */
  override async evaluate(ds?: MlmEncodedDataset, opts: { metricKeyPrefix?: string } = {}): Promise<Record<string, number>> {
    const data = ds ?? this.evalDataset;
    if (data === undefined) throw new LenguaError('evaluate(): no dataset given and no evalDataset', { field: 'evalDataset' });
    const prefix = opts.metricKeyPrefix ?? 'eval';
    const started = performance.now();
    const wasTraining = this.model.training;
    this.model.eval();
    let lossSum = 0;
    let lossExamples = 0;
    let correct = 0;
    let masked = 0;
    try {
      torch.noGrad(() => {
        sequentialBatches(data.inputIds.length, this.args.perDeviceEvalBatchSize).forEach((indices, k) => {
          torch.tidy(() => {
            const b = this.batch(data, indices, stepSeed(this.args.seed ^ EVAL_SALT, k));
            const z = this.logits(b);
            const labels = (b.labels.device === 'cpu' ? b.labels : b.labels.to('cpu')).toArray() as number[][];
            const best = z.argmax(-1);
            const preds = (best.device === 'cpu' ? best : best.to('cpu')).toArray() as number[][];
            let n = 0;
            labels.forEach((row, r) => row.forEach((y, j) => {
              if (y === LABEL_PAD) return;
              n++;
              if (preds[r]![j] === y) correct++;
            }));
            masked += n;
            // A batch with no masked token has no loss (transformers would log NaN for it); it adds nothing.
            if (n > 0) {
              lossSum += this.model.loss(z, b.labels).item() * indices.length;
              lossExamples += indices.length;
            }
          });
        });
      });
    } finally {
      this.model.train(wasTraining);
    }
    const loss = lossExamples > 0 ? lossSum / lossExamples : NaN;
    const metrics: Record<string, number> = {
      [`${prefix}_loss`]: loss,
      // run_mlm's perplexity = exp(eval_loss) (inf on overflow), under the prefix so metricForBestModel can name it.
      [`${prefix}_perplexity`]: Math.exp(loss),
      [`${prefix}_accuracy`]: masked > 0 ? correct / masked : NaN,
      [`${prefix}_masked_tokens`]: masked,
    };
    return this.finishEvaluation(metrics, prefix, started, data.inputIds.length);
  }
}
