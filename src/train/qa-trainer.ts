/**
 * `QuestionAnsweringTrainer`: transformers' Trainer as `run_qa.py` drives it (its `QuestionAnsweringTrainer`).
 * Training batches are context windows (`prepareQaFeatures`: run_qa's prepare_train_features) with their
 * start/end token labels, the CLS position when a window does not hold the answer; the loss is the model's
 * span loss on [b, 2] labels. Evaluation runs every window of every example, post-processes the start/end
 * logits per example (`postprocessQaPredictions`: utils_qa's n-best pairs, max answer length and, for SQuAD
 * v2, the null score against `nullScoreDiffThreshold`) and scores the answer texts with the official scripts'
 * semantics: `eval_exact_match` and `eval_f1` (×100, as run_qa reports them; SQuAD v1.1, or v2.0's `exact` /
 * `f1` with `version2WithNegative`, plus its HasAns/NoAns splits), and `eval_loss`, the span loss over the
 * windows (run_qa's evaluation has no loss: its validation features carry no labels; these do).
 */
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { LenguaError } from '../errors.js';
import type { QaExample } from '../data/index.js';
import { squadV1, squadV2, type SquadReference } from '../metrics/index.js';
import type { PreTrainedModel } from '../models/index.js';
import type { PreTrainedTokenizer } from '../text/tokenizer/index.js';
import { BaseTrainer, type BaseTrainerOptions, type TrainingData } from './base-trainer.js';
import { collate, evaluationPass } from './data.js';
import { prepareQaFeatures, type QaFeatureOptions, type QaFeatures } from './qa-data.js';
import { postprocessQaPredictions, type QaPostprocessOptions } from './qa-postprocess.js';

/** Examples and their context windows: one training (and evaluation) row per window. */
export interface QaEncodedDataset extends TrainingData {
  examples: QaExample[];
  features: QaFeatures;
}

/** The examples cut into windows (run_qa's max_seq_length / doc_stride) as a Trainer dataset. */
export function encodeQuestionAnswering(examples: readonly QaExample[], tokenizer: PreTrainedTokenizer, options: QaFeatureOptions): QaEncodedDataset {
  const features = prepareQaFeatures(examples, tokenizer, options);
  return { examples: [...examples], features, inputIds: features.inputIds, lengths: features.inputIds.map((r) => r.length) };
}

/** How logits become answers (utils_qa's arguments) and which SQuAD version scores them. */
export interface QaAnswerOptions {
  /** utils_qa's n_best_size: start/end candidates per window and answers kept per example; default 20. */
  nBestSize?: number;
  /** Longest answer in tokens; default 30. */
  maxAnswerLength?: number;
  /** SQuAD v2: unanswerable questions exist; the null answer competes and v2.0 scoring applies. Default false. */
  version2WithNegative?: boolean;
  /** SQuAD v2: answer "" when null score − best span score exceeds this; default 0. */
  nullScoreDiffThreshold?: number;
}

export interface QuestionAnsweringTrainerOptions extends BaseTrainerOptions<QaEncodedDataset>, QaAnswerOptions {}

/** One example's answer, in run_qa's `post_processing_function` shape ("answers" when the example has gold answers). */
export interface QaPrediction {
  id: string;
  prediction_text: string;
  answers?: { text: string[]; answer_start: number[] };
}

export interface QaPredictionOutput {
  predictions: QaPrediction[];
  /** `<prefix>_loss`, `_exact_match`, `_f1` (and v2's splits) when every example has gold answers. */
  metrics: Record<string, number>;
}

/** Start and end logits of every window, each cut to its window's length, and the mean span loss when asked. */
export interface QaLogits {
  startLogits: Float32Array[];
  endLogits: Float32Array[];
  loss: number;
}

/**
 * Runs a QA model over every window in batches of `batchSize` (eval mode, no gradient). With `withLoss` the
 * windows' labels give the mean span loss (batch means weighted by batch size, as transformers averages).
 */
export function questionAnsweringLogits(model: PreTrainedModel, features: QaFeatures, batchSize: number, withLoss: boolean): QaLogits {
  const n = features.inputIds.length;
  const startLogits: Float32Array[] = [];
  const endLogits: Float32Array[] = [];
  const loss = evaluationPass(model, n, batchSize, (indices) => {
    const b = qaBatch(model, features, indices);
    const out = model.forward(b.input) as { logits: Tensor };
    const z = out.logits.to({ device: 'cpu', dtype: 'float32' });
    const w = z.shape[1]!;
    // [b, w, 2] row-major: start logit of (r, j) at 2(r·w + j), its end logit next to it.
    const flat = z.contiguous().data() as Float32Array;
    indices.forEach((f, r) => {
      const len = features.inputIds[f]!.length;
      const s = new Float32Array(len);
      const e = new Float32Array(len);
      for (let j = 0; j < len; j++) {
        s[j] = flat[(r * w + j) * 2]!;
        e[j] = flat[(r * w + j) * 2 + 1]!;
      }
      startLogits.push(s);
      endLogits.push(e);
    });
    return withLoss ? model.loss(out.logits, b.labels).item() : undefined;
  });
  return { startLogits, endLogits, loss };
}

/** Windows `indices` padded to the longest (token types when the model takes them) and their [b, 2] start/end labels. */
function qaBatch(model: PreTrainedModel, f: QaFeatures, indices: readonly number[]): { input: { inputIds: Tensor; attentionMask: Tensor; tokenTypeIds?: Tensor }; labels: Tensor } {
  const withTokenTypes = model.acceptsTokenTypeIds;
  // The classification collate pads ids, mask and token types; its labels (start positions) are replaced by [b, 2].
  const c = collate({ inputIds: f.inputIds, tokenTypeIds: f.tokenTypeIds, labels: f.startPositions, texts: [], lengths: [] }, indices, { padTokenId: f.padTokenId, withTokenTypes, multiLabel: false });
  const spans = BigInt64Array.from(indices.flatMap((i) => [BigInt(f.startPositions[i]!), BigInt(f.endPositions[i]!)]));
  let labels = torch.tensor(spans, { shape: [indices.length, 2] });
  const dev = model.device;
  const move = (t: Tensor): Tensor => (dev === 'cpu' ? t : t.to(dev));
  labels = move(labels);
  return {
    input: { inputIds: move(c.inputIds), attentionMask: move(c.attentionMask), ...(c.tokenTypeIds ? { tokenTypeIds: move(c.tokenTypeIds) } : {}) },
    labels,
  };
}

/** Answer texts per example from window logits (utils_qa's postprocess_qa_predictions with these options). */
export function answersFromLogits(examples: readonly QaExample[], features: QaFeatures, logits: Pick<QaLogits, 'startLogits' | 'endLogits'>, options: QaAnswerOptions = {}): Map<string, string> {
  const post: QaPostprocessOptions = {
    ...(options.nBestSize !== undefined ? { nBest: options.nBestSize } : {}),
    ...(options.maxAnswerLength !== undefined ? { maxAnswerLength: options.maxAnswerLength } : {}),
    ...(options.nullScoreDiffThreshold !== undefined ? { nullScoreDiffThreshold: options.nullScoreDiffThreshold } : {}),
    versionTwo: options.version2WithNegative === true,
  };
  return postprocessQaPredictions(examples, features, logits.startLogits, logits.endLogits, post).predictions;
}

/**
 * SQuAD scores of answer texts under run_qa's metric names, ×100: v1.1 `exact_match` / `f1`, or with
 * `version2` v2.0's `exact` (named `exact_match` here too) / `f1` and the HasAns_/NoAns_ splits that apply.
 * Every example needs gold answers (an empty list only under v2: unanswerable).
 */
export function questionAnsweringScores(examples: readonly QaExample[], predictions: ReadonlyMap<string, string>, version2: boolean): Record<string, number> {
  const refs: SquadReference[] = examples.map((ex, i) => {
    if (ex.answers === undefined) throw new LenguaError(`example "${ex.id}" has no answers to score against`, { field: `examples[${i}].answers` });
    return { id: ex.id, answers: ex.answers.text };
  });
  if (!version2) {
    const s = squadV1(refs, predictions);
    return { exact_match: s.exactMatch, f1: s.f1 };
  }
  const s = squadV2(refs, predictions);
  const out: Record<string, number> = { exact_match: s.exact, f1: s.f1 };
  if (s.hasAnsTotal !== undefined) Object.assign(out, { HasAns_exact: s.hasAnsExact!, HasAns_f1: s.hasAnsF1!, HasAns_total: s.hasAnsTotal });
  if (s.noAnsTotal !== undefined) Object.assign(out, { NoAns_exact: s.noAnsExact!, NoAns_f1: s.noAnsF1!, NoAns_total: s.noAnsTotal });
  return out;
}

export class QuestionAnsweringTrainer extends BaseTrainer<QaEncodedDataset> {
  readonly answerOptions: QaAnswerOptions;

  constructor(opts: QuestionAnsweringTrainerOptions) {
    super(opts);
    if (opts.args.classWeights !== undefined && opts.args.classWeights !== null) throw new LenguaError('classWeights apply to sequence classification only', { field: 'classWeights' });
    if (opts.args.labelSmoothingFactor !== 0) throw new LenguaError('question answering takes no label smoothing (run_qa has none)', { field: 'labelSmoothingFactor' });
    if (this.model.config.numLabels !== 2) throw new LenguaError(`a question-answering model has 2 outputs per token (start, end), this one has ${this.model.config.numLabels}; load it with AutoModelForQuestionAnswering`, { field: 'num_labels' });
    const { nBestSize, maxAnswerLength, version2WithNegative, nullScoreDiffThreshold } = opts;
    for (const [name, v] of [['nBestSize', nBestSize], ['maxAnswerLength', maxAnswerLength]] as const) {
      if (v !== undefined && (!Number.isInteger(v) || v < 1 || v > 10_000)) throw new LenguaError(`must be an integer in [1, 10000], got ${v}`, { field: name });
    }
    if (nullScoreDiffThreshold !== undefined && !Number.isFinite(nullScoreDiffThreshold)) throw new LenguaError(`must be a finite number, got ${nullScoreDiffThreshold}`, { field: 'nullScoreDiffThreshold' });
    this.answerOptions = {
      ...(nBestSize !== undefined ? { nBestSize } : {}),
      ...(maxAnswerLength !== undefined ? { maxAnswerLength } : {}),
      ...(version2WithNegative !== undefined ? { version2WithNegative } : {}),
      ...(nullScoreDiffThreshold !== undefined ? { nullScoreDiffThreshold } : {}),
    };
    checkDataset(opts.trainDataset, 'trainDataset', version2WithNegative === true, true);
    if (opts.evalDataset) checkDataset(opts.evalDataset, 'evalDataset', version2WithNegative === true, true);
  }

  protected trainingLoss(indices: readonly number[]): Tensor {
    const b = qaBatch(this.model, this.trainDataset.features, indices);
    return this.model.loss((this.model.forward(b.input) as { logits: Tensor }).logits, b.labels);
  }

  /** Answers for every example and, when `scored`, the loss and SQuAD scores under `prefix`. */
  private run(ds: QaEncodedDataset, prefix: string, scored: boolean): QaPredictionOutput {
    const logits = questionAnsweringLogits(this.model, ds.features, this.args.perDeviceEvalBatchSize, scored);
    const answers = answersFromLogits(ds.examples, ds.features, logits, this.answerOptions);
    const predictions: QaPrediction[] = ds.examples.map((ex) => ({
      id: ex.id,
      prediction_text: answers.get(ex.id)!,
      ...(ex.answers !== undefined ? { answers: { text: [...ex.answers.text], answer_start: [...ex.answers.answerStart] } } : {}),
    }));
    if (!scored) return { predictions, metrics: {} };
    const metrics: Record<string, number> = { [`${prefix}_loss`]: logits.loss };
    for (const [k, v] of Object.entries(questionAnsweringScores(ds.examples, answers, this.answerOptions.version2WithNegative === true))) metrics[`${prefix}_${k}`] = v;
    return { predictions, metrics };
  }

  /** Span loss over the windows and SQuAD exact match / F1 over the examples; keys prefixed `eval_` (or metricKeyPrefix). */
  override async evaluate(ds?: QaEncodedDataset, opts: { metricKeyPrefix?: string } = {}): Promise<Record<string, number>> {
    const data = ds ?? this.evalDataset;
    if (data === undefined) throw new LenguaError('evaluate(): no dataset given and no evalDataset', { field: 'evalDataset' });
    checkDataset(data, 'evalDataset', this.answerOptions.version2WithNegative === true, true);
    const prefix = opts.metricKeyPrefix ?? 'eval';
    const started = performance.now();
    const { metrics } = this.run(data, prefix, true);
    return this.finishEvaluation(metrics, prefix, started, data.inputIds.length);
  }

  /** One answer per example ({id, prediction_text, answers}); with gold answers on every example also the `test_*` (or metricKeyPrefix) scores. */
  async predict(ds: QaEncodedDataset, opts: { metricKeyPrefix?: string } = {}): Promise<QaPredictionOutput> {
    const v2 = this.answerOptions.version2WithNegative === true;
    checkDataset(ds, 'dataset', v2, false);
    const labelled = ds.examples.length > 0 && ds.examples.every((ex) => ex.answers !== undefined && (v2 || ex.answers.text.length > 0));
    return this.run(ds, opts.metricKeyPrefix ?? 'test', labelled);
  }
}

function checkDataset(ds: QaEncodedDataset, field: string, version2: boolean, needAnswers: boolean): void {
  const f = ds.features;
  const n = f.inputIds.length;
  if (ds.inputIds !== f.inputIds && ds.inputIds.length !== n) throw new LenguaError(`${n} windows but ${ds.inputIds.length} inputIds rows`, { field });
  for (const [what, len] of [['lengths', ds.lengths.length], ['offsets', f.offsets.length], ['exampleIds', f.exampleIds.length], ['startPositions', f.startPositions.length], ['endPositions', f.endPositions.length], ['tokenTypeIds', f.tokenTypeIds.length]] as const) {
    if (len !== n) throw new LenguaError(`${n} windows but ${len} ${what}`, { field });
  }
  if (!needAnswers) return;
  ds.examples.forEach((ex, i) => {
    if (ex.answers === undefined) throw new LenguaError(`example "${ex.id}" has no answers`, { field: `${field}.examples[${i}].answers` });
    if (!version2 && ex.answers.text.length === 0) {
      throw new LenguaError(`example "${ex.id}" has no answer: an unanswerable question needs version2WithNegative (SQuAD v2)`, { field: `${field}.examples[${i}].answers` });
    }
  });
}
