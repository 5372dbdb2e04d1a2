/**
 * What transformers' extractive question-answering heads (`BertForQuestionAnswering`,
 * `RobertaForQuestionAnswering`, `DistilBertForQuestionAnswering`) share: `qa_outputs`, a
 * Linear(hidden, 2) on every token, split into start and end logits, and the span loss
 * `(CE(start, clamp(start_positions, 0, s)) + CE(end, clamp(end_positions, 0, s))) / 2` with
 * ignore_index = s, so a position past the sequence (a span cut off by truncation) is ignored.
 * It lives beside BERT because BERT defines the head; DistilBERT imports it from here.
 */
import * as torch from '../../torch/index.js';
import { F } from '../../torch/index.js';
import type { Tensor, TensorLike, Device } from '../../torch/index.js';
import { LenguaError } from '../../errors.js';
import type { PretrainedConfig } from '../../hub/config.js';
import { asTensor } from '../modeling/inputs.js';
import type { LossOptions } from '../modeling/losses.js';
import { withExtras, type ForwardInput, type ModelOutput } from '../modeling/outputs.js';
import type { TransformerBody } from '../modeling/body.js';

/** A QA forward's inputs: transformers' `start_positions` / `end_positions` ([batch] token indices, inclusive). */
export interface QuestionAnsweringInput extends ForwardInput {
  startPositions?: TensorLike | null;
  endPositions?: TensorLike | null;
}

/** transformers' `QuestionAnsweringModelOutput`, plus `logits`: qa_outputs' [b, s, 2], what `loss` takes. */
export interface QuestionAnsweringOutput extends ModelOutput {
  /** [batch, seq]: padding positions included, unmasked, as transformers returns them. */
  startLogits: Tensor;
  endLogits: Tensor;
}

/** transformers splits qa_outputs into exactly two logits per token (DistilBERT raises otherwise; BERT fails on the unpack). */
export function checkSpanLabels(config: PretrainedConfig): void {
  if (config.numLabels !== 2) {
    throw new LenguaError(`a question-answering head has num_labels 2 (start and end logits), got ${config.numLabels}`, { file: config.source, field: 'num_labels' });
  }
}

function isIntegerArray(x: unknown): boolean {
  return Array.isArray(x) ? x.every(isIntegerArray) : typeof x === 'number' && Number.isInteger(x);
}

/** Token indices for `batch` examples as int64 [batch]; [batch, 1] is squeezed like transformers does. */
function positionTensor(x: TensorLike, batch: number, device: Device, field: string): Tensor {
  if (x instanceof torch.Tensor ? x.dtype !== 'int64' && x.dtype !== 'int32' : !isIntegerArray(x)) {
    throw new LenguaError('must hold integer token indices', { field });
  }
  let t = asTensor(x, 'int64', device, field);
  if (t.ndim === 2 && t.shape[1] === 1) t = t.squeeze(-1);
  if (t.ndim !== 1 || t.shape[0] !== batch) {
    throw new LenguaError(`must have shape [${batch}] (one token index per example), got [${t.shape.join(', ')}]`, { field });
  }
  return t;
}

/**
 * The span loss on [b, s] start and end logits. Positions are clamped to [0, s] and s is the ignored
 * index, exactly as transformers; a batch whose positions are all ignored gives NaN, as torch's mean does.
 */
export function questionAnsweringLoss(startLogits: Tensor, endLogits: Tensor, startPositions: TensorLike, endPositions: TensorLike): Tensor {
  const [b, s] = startLogits.shape as [number, number];
  const ce = (logits: Tensor, positions: TensorLike, field: string): Tensor =>
    F.crossEntropy(logits, positionTensor(positions, b, logits.device, field).clamp(0, s), { ignoreIndex: s });
  return ce(startLogits, startPositions, 'start_positions').add(ce(endLogits, endPositions, 'end_positions')).div(2);
}

/**
 * `PreTrainedModel.loss` of a QA head: `logits` is qa_outputs' [b, s, 2] and `labels` is [b, 2]
 * (start, end) per example, the form a Trainer batch carries. transformers' Trainer applies neither
 * label smoothing nor class weights to QA (its model has no `labels`), so they are refused, not dropped.
 */
export function spanLoss(logits: Tensor, labels: TensorLike, opts: LossOptions = {}): Tensor {
  if ((opts.labelSmoothing ?? 0) !== 0) throw new LenguaError('question answering takes no label smoothing', { field: 'labelSmoothing' });
  if (opts.classWeight != null) throw new LenguaError('question answering takes no class weights', { field: 'classWeights' });
  if (logits.ndim !== 3 || logits.shape[2] !== 2) throw new LenguaError(`QA logits must have shape [batch, seq, 2], got [${logits.shape.join(', ')}]`, { field: 'logits' });
  const b = logits.shape[0]!;
  const y = asTensor(labels, 'int64', logits.device, 'labels');
  if (y.ndim !== 2 || y.shape[0] !== b || y.shape[1] !== 2) {
    throw new LenguaError(`QA labels must have shape [${b}, 2] (start and end token per example), got [${y.shape.join(', ')}]`, { field: 'labels' });
  }
  return questionAnsweringLoss(logits.select(2, 0), logits.select(2, 1), y.select(1, 0), y.select(1, 1));
}

/** Start and end positions of a QA input, or null: both or neither, and not together with `labels`. */
function spanTargets(input: QuestionAnsweringInput): { start: TensorLike; end: TensorLike } | { labels: TensorLike } | null {
  const hasStart = input.startPositions != null;
  const hasEnd = input.endPositions != null;
  if (hasStart !== hasEnd) throw new LenguaError('give both startPositions and endPositions for the loss, or neither', { field: hasStart ? 'end_positions' : 'start_positions' });
  if (hasStart && input.labels != null) throw new LenguaError('give startPositions/endPositions or labels ([batch, 2]), not both', { field: 'labels' });
  if (hasStart) return { start: input.startPositions!, end: input.endPositions! };
  return input.labels != null ? { labels: input.labels } : null;
}

/** Every QA head's forward: the body, `head` on its last hidden state ([b, s, 2]), the split, the loss when positions are given. */
export function forwardQuestionAnswering<C extends PretrainedConfig, M>(
  body: TransformerBody<C, M>, input: QuestionAnsweringInput, head: (h: Tensor) => Tensor,
): QuestionAnsweringOutput {
  const targets = spanTargets(input);
  return torch.tidy(() => {
    const base = body.run(body.prepare(input));
    const logits = head(base.lastHiddenState);
    const out: QuestionAnsweringOutput = { logits, startLogits: logits.select(2, 0).contiguous(), endLogits: logits.select(2, 1).contiguous() };
    if (targets !== null) {
      out.loss = 'labels' in targets ? spanLoss(logits, targets.labels) : questionAnsweringLoss(out.startLogits, out.endLogits, targets.start, targets.end);
    }
    withExtras(out, base);
    return out;
  });
}
