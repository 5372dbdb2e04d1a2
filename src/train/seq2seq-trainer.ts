/**
 * `Seq2SeqTrainer`: transformers' Seq2SeqTrainer for T5, BART and Marian — the shared loop of `BaseTrainer`
 * with `DataCollatorForSeq2Seq` batches (labels padded with -100, shifted right into the decoder's inputs) and
 * an evaluation that, with `predictWithGenerate`, decodes every example through the same search as
 * `generate()` (beam search or greedy with the key/value cache, `generationMaxLength`, `generationNumBeams`
 * over the model's generation config) and scores the texts: sacreBLEU's BLEU and chrF for translation,
 * rouge_score's ROUGE-1/2/L/Lsum (Porter stemmer, as `run_summarization.py`) for summarization.
 */
import type { Tensor } from '../torch/index.js';
import { LenguaError } from '../errors.js';
import { generateSeq2Seq, modelGenerationDefaults, shiftRight, type PreTrainedModel, type Seq2SeqLM } from '../models/index.js';
import { resolveGenerationConfig, type GenerationConfig, type GenerationOptions } from '../generation/index.js';
import { generationScores, type GenerationTask } from '../metrics/index.js';
import type { PreTrainedTokenizer } from '../text/tokenizer/index.js';
import { BaseTrainer, round4, type BaseTrainerOptions } from './base-trainer.js';
import { evaluationPass, sequentialBatches } from './data.js';
import { collateSeq2Seq, type Seq2SeqBatch, type Seq2SeqEncodedDataset } from './seq2seq-data.js';

export type Seq2SeqTask = GenerationTask;

/** Scores generated texts against every reference of each example (and may look at the sources). */
export type Seq2SeqComputeMetrics = (p: { predictions: string[]; references: string[][]; sources: string[] }) => Record<string, number>;

/** The metrics of Hugging Face's example scripts for the task (see `generationScores` in src/metrics). */
export function seq2seqMetrics(task: Seq2SeqTask): Seq2SeqComputeMetrics {
  return ({ predictions, references }) => generationScores(task, predictions, references);
}

export interface Seq2SeqTrainerOptions extends BaseTrainerOptions<Seq2SeqEncodedDataset> {
  model: PreTrainedModel & Seq2SeqLM;
  /** Decodes generated ids into the texts the metrics score. */
  tokenizer: PreTrainedTokenizer;
  /** Picks the default metrics (default text2text-generation: BLEU, chrF and ROUGE). */
  task?: Seq2SeqTask;
  computeMetrics?: Seq2SeqComputeMetrics;
  /** Generation options over the model's own (generationMaxLength/generationNumBeams still win, as in transformers). */
  generationOptions?: GenerationOptions;
}

export interface Seq2SeqPrediction {
  /** Generated texts (special tokens skipped). */
  predictions: string[];
  /** Generated token ids (decoder start token left out, EOS kept when it ended the row). */
  ids: number[][];
  /** `test_*` scores when the dataset has references. */
  metrics: Record<string, number>;
}

export class Seq2SeqTrainer extends BaseTrainer<Seq2SeqEncodedDataset> {
  declare readonly model: PreTrainedModel & Seq2SeqLM;
  declare readonly tokenizer: PreTrainedTokenizer;
  private readonly computeMetrics: Seq2SeqComputeMetrics;
  private readonly generationOptions: GenerationOptions | undefined;

  constructor(opts: Seq2SeqTrainerOptions) {
    super(opts);
    if (typeof (opts.model as Partial<Seq2SeqLM>).encode !== 'function') {
      throw new LenguaError(`${opts.model.className} is not an encoder-decoder model (T5, BART, Marian); the Seq2SeqTrainer trains those`, { field: 'model' });
    }
    if (opts.args.classWeights !== undefined && opts.args.classWeights !== null) throw new LenguaError('classWeights apply to classification only', { field: 'classWeights' });
    checkDataset(opts.trainDataset, 'trainDataset');
    if (opts.evalDataset) checkDataset(opts.evalDataset, 'evalDataset');
    this.computeMetrics = opts.computeMetrics ?? seq2seqMetrics(opts.task ?? 'text2text-generation');
    this.generationOptions = opts.generationOptions;
  }

  private batch(ds: Seq2SeqEncodedDataset, indices: readonly number[]): Seq2SeqBatch {
    const b = collateSeq2Seq(ds, indices);
    const dev = this.devices;
    if (dev === 'cpu') return b;
    return { inputIds: b.inputIds.to(dev), attentionMask: b.attentionMask.to(dev), labels: b.labels.to(dev) };
  }

  /** Teacher-forced mean cross-entropy of the batch's label tokens (-100 skipped), with label smoothing. */
  private batchLoss(b: Seq2SeqBatch): Tensor {
    const cfg = this.model.config;
    // The decoder inputs are built here so the model's forward does not also compute an unsmoothed loss.
    const decoderInputIds = shiftRight(b.labels, cfg.decoderStartTokenId, cfg.padTokenId ?? 0);
    const out = this.model.forward({ inputIds: b.inputIds, attentionMask: b.attentionMask, decoderInputIds });
    return this.model.loss(out.logits, b.labels, { labelSmoothing: this.args.labelSmoothingFactor });
  }

  protected trainingLoss(indices: readonly number[]): Tensor {
    return this.batchLoss(this.batch(this.trainDataset, indices));
  }

  /** The generation config evaluation and predict use: the model's, then generationOptions, then the arguments. */
  generationConfig(): GenerationConfig {
    const fromArgs: GenerationOptions = {
      ...(this.args.generationMaxLength !== undefined ? { maxLength: this.args.generationMaxLength } : {}),
      ...(this.args.generationNumBeams !== undefined ? { numBeams: this.args.generationNumBeams } : {}),
    };
    const c = resolveGenerationConfig(modelGenerationDefaults(this.model), this.generationOptions, fromArgs);
    if (c.numReturnSequences !== 1) throw new LenguaError('evaluation scores one text per example: numReturnSequences must be 1', { field: 'numReturnSequences' });
    return c;
  }

  /** Generates a text for every example, in batches of perDeviceEvalBatchSize, in eval mode without gradients. */
  async generateTexts(ds: Seq2SeqEncodedDataset): Promise<{ predictions: string[]; ids: number[][] }> {
    const config = this.generationConfig();
    const wasTraining = this.model.training;
    this.model.eval();
    const ids: number[][] = [];
    try {
      for (const indices of sequentialBatches(ds.inputIds.length, this.args.perDeviceEvalBatchSize)) {
        const sources = indices.map((i) => ds.inputIds[i]!);
        const rows = await generateSeq2Seq(this.model, sources, config);
        ids.push(...rows.map((r) => r.generated));
      }
    } finally {
      this.model.train(wasTraining);
    }
    return { predictions: this.tokenizer.batchDecode(ids, { skipSpecialTokens: true }).map((t) => t.trim()), ids };
  }

  private teacherForcedLoss(ds: Seq2SeqEncodedDataset): number {
    return evaluationPass(this.model, ds.inputIds.length, this.args.perDeviceEvalBatchSize, (indices) => this.batchLoss(this.batch(ds, indices)).item());
  }


  private score(predictions: string[], ids: number[][], ds: Seq2SeqEncodedDataset, prefix: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(this.computeMetrics({ predictions, references: ds.references, sources: ds.sources }))) out[`${prefix}_${k}`] = v;
    // transformers' run_translation / run_summarization: the mean count of non-pad generated tokens.
    const pad = this.model.config.padTokenId;
    out[`${prefix}_gen_len`] = round4(ids.reduce((s, r) => s + r.filter((t) => t !== pad).length, 0) / Math.max(1, ids.length));
    return out;
  }

  /** Loss, and with predictWithGenerate the generated texts' scores and gen_len; keys prefixed `eval_`. */
  override async evaluate(ds?: Seq2SeqEncodedDataset, opts: { metricKeyPrefix?: string } = {}): Promise<Record<string, number>> {
    const data = ds ?? this.evalDataset;
    if (data === undefined) throw new LenguaError('evaluate(): no dataset given and no evalDataset', { field: 'evalDataset' });
    const prefix = opts.metricKeyPrefix ?? 'eval';
    const started = performance.now();
    const metrics: Record<string, number> = { [`${prefix}_loss`]: this.teacherForcedLoss(data) };
    if (this.args.predictWithGenerate) {
      const { predictions, ids } = await this.generateTexts(data);
      Object.assign(metrics, this.score(predictions, ids, data, prefix));
    }
    return this.finishEvaluation(metrics, prefix, started, data.inputIds.length);
  }

  /** Generated texts for every example (always generating, whatever predictWithGenerate says), with `test_*` scores. */
  async predict(ds: Seq2SeqEncodedDataset, opts: { metricKeyPrefix?: string } = {}): Promise<Seq2SeqPrediction> {
    const prefix = opts.metricKeyPrefix ?? 'test';
    const { predictions, ids } = await this.generateTexts(ds);
    const metrics: Record<string, number> = { [`${prefix}_loss`]: this.teacherForcedLoss(ds), ...this.score(predictions, ids, ds, prefix) };
    return { predictions, ids, metrics };
  }
}

function checkDataset(ds: Seq2SeqEncodedDataset, field: string): void {
  const n = ds.inputIds.length;
  if (ds.labels.length !== n) throw new LenguaError(`${n} sources but ${ds.labels.length} targets`, { field });
  if (ds.lengths.length !== n) throw new LenguaError(`${n} sources but ${ds.lengths.length} lengths`, { field });
  if (ds.references.length !== n) throw new LenguaError(`${n} sources but ${ds.references.length} reference lists`, { field });
  ds.labels.forEach((y, i) => {
    if (y.length === 0) throw new LenguaError(`example ${i} has an empty target`, { field });
    if (ds.inputIds[i]!.length === 0) throw new LenguaError(`example ${i} has an empty source`, { field });
  });
}
