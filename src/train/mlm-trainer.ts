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
import type { Tensor } from '../torch/index.js';
import { LenguaError } from '../errors.js';
import { BaseTrainer, stepSeed, type BaseTrainerOptions } from './base-trainer.js';
import { evaluationPass } from './data.js';
import { collateMlm, type MaskingOptions, type MlmBatch, type MlmEncodedDataset } from './mlm-data.js';

export interface MaskedLMTrainerOptions extends BaseTrainerOptions<MlmEncodedDataset>, MaskingOptions {}

/** What the masked-LM heads offer besides forward(): the loss with the head run at the masked positions only. */
interface MaskedLMHead {
  maskedLmLoss(input: { inputIds: Tensor; attentionMask: Tensor }, positions: Tensor, targets: Tensor): { loss: Tensor; logits: Tensor };
}

function isMaskedLMHead(m: unknown): m is MaskedLMHead {
  return typeof (m as Partial<MaskedLMHead>).maskedLmLoss === 'function';
}

/** Mixed into the evaluation seeds so they never coincide with a training step's. */
const EVAL_SALT = 0x5bd1e995;

export class MaskedLMTrainer extends BaseTrainer<MlmEncodedDataset> {
  readonly masking: Required<MaskingOptions>;

  constructor(opts: MaskedLMTrainerOptions) {
    super(opts);
    if (!this.model.className.endsWith('ForMaskedLM') || !isMaskedLMHead(this.model)) {
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
    return { inputIds: b.inputIds.to(dev), attentionMask: b.attentionMask.to(dev), labels: b.labels.to(dev), positions: b.positions.to(dev), targets: b.targets.to(dev) };
  }

  /** The loss over the batch's masked tokens and the logits there (the head runs at those positions only). */
  private masked(b: MlmBatch): { loss: Tensor; logits: Tensor } {
    return (this.model as unknown as MaskedLMHead).maskedLmLoss({ inputIds: b.inputIds, attentionMask: b.attentionMask }, b.positions, b.targets);
  }

  protected trainingLoss(indices: readonly number[]): Tensor {
    // One seed per (step, micro-batch): accumulated micro-batches of a step get different masks.
    const b = this.batch(this.trainDataset, indices, stepSeed(stepSeed(this.args.seed, this.state.globalStep), indices[0] ?? 0));
    return this.masked(b).loss;
  }

  /** eval_loss (batch means weighted by batch size, as transformers), perplexity and masked-token accuracy. */
  override async evaluate(ds?: MlmEncodedDataset, opts: { metricKeyPrefix?: string } = {}): Promise<Record<string, number>> {
    const data = ds ?? this.evalDataset;
    if (data === undefined) throw new LenguaError('evaluate(): no dataset given and no evalDataset', { field: 'evalDataset' });
    const prefix = opts.metricKeyPrefix ?? 'eval';
    const started = performance.now();
    let correct = 0;
    let masked = 0;
    // Batches with no masked token have no loss (transformers would log NaN for them): they add nothing.
    let batch = 0;
    const loss = evaluationPass(this.model, data.inputIds.length, this.args.perDeviceEvalBatchSize, (indices) => {
      const b = this.batch(data, indices, stepSeed(this.args.seed ^ EVAL_SALT, batch++));
      const n = b.targets.shape[0]!;
      if (n === 0) return undefined;
      const m = this.masked(b);
      const best = m.logits.argmax(-1);
      const preds = (best.device === 'cpu' ? best : best.to('cpu')).toArray() as number[];
      const targets = (b.targets.device === 'cpu' ? b.targets : b.targets.to('cpu')).toArray() as number[];
      preds.forEach((p, i) => {
        if (p === targets[i]) correct++;
      });
      masked += n;
      return m.loss.item();
    });
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
