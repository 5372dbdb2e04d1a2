/**
 * What the encoder-decoder families (T5, BART, Marian) share: the shape of their key/value cache, their
 * forward's input and output, transformers' shift-right of the labels, the loss over decoder positions, and
 * the small interface generation drives them through.
 */
import * as torch from '../../torch/index.js';
import { F } from '../../torch/index.js';
import type { Tensor, TensorLike } from '../../torch/index.js';
import { asIds } from './inputs.js';
import type { LossOptions } from './losses.js';
import type { ForwardInput } from './outputs.js';

/** Keys and values of one attention for the tokens seen so far (decoder self-attention) or of the encoder output (cross-attention). */
export interface KeyValue {
  key: Tensor;
  value: Tensor;
}

/** One block's cache: its self-attention keys/values so far and its cross-attention keys/values of the encoder output. */
export interface BlockCache {
  self: KeyValue;
  cross: KeyValue | null;
}

export interface StackOutput {
  lastHiddenState: Tensor;
  /** Input of each block, then the stack's output (transformers' all_hidden_states). */
  hiddenStates?: Tensor[];
  attentions?: Tensor[];
  crossAttentions?: Tensor[];
  /** Per block, for the next decoding step (empty for an encoder that keeps none). */
  cache: BlockCache[];
}

/**
 * An attention's keys and values with the cache: cross-attention projects the encoder output once (`kvInput`) and
 * reuses the cached projection after; self-attention appends the new tokens' projection to the cache.
 */
export function attentionKeyValue(x: Tensor, kvInput: Tensor | undefined, past: KeyValue | null, project: (t: Tensor) => KeyValue): KeyValue {
  if (kvInput !== undefined) return past ?? project(kvInput);
  const { key, value } = project(x);
  return past ? { key: torch.cat([past.key, key], 2), value: torch.cat([past.value, value], 2) } : { key, value };
}

/** What a seq2seq `forward` takes: the encoder's inputs, and the decoder's (or labels to shift right into them). */
export interface Seq2SeqInput extends ForwardInput {
  decoderInputIds?: TensorLike | null;
  decoderAttentionMask?: TensorLike | null;
  /** A computed encoder output (generation runs the encoder once). */
  encoderOutputs?: StackOutput | null;
  /** The decoder's cache from the previous step. */
  pastKeyValues?: BlockCache[] | null;
}

export interface Seq2SeqLMOutput {
  logits: Tensor;
  loss?: Tensor;
  /** The decoder's output (before the LM head and any scaling it applies). */
  lastHiddenState: Tensor;
  encoderLastHiddenState: Tensor;
  encoderOutputs: StackOutput;
  encoderHiddenStates?: Tensor[];
  encoderAttentions?: Tensor[];
  decoderHiddenStates?: Tensor[];
  decoderAttentions?: Tensor[];
  crossAttentions?: Tensor[];
  pastKeyValues: BlockCache[];
}

/**
 * transformers `_shift_right` / `shift_tokens_right`: decoder_start_token_id, then the labels without their
 * last token; -100 becomes pad.
 */
/** A seq2seq LM's output from its logits and its two stacks' outputs (the optional lists only when asked for). */
export function seq2seqLMOutput(logits: Tensor, enc: StackOutput, dec: StackOutput): Seq2SeqLMOutput {
  return {
    logits, lastHiddenState: dec.lastHiddenState, encoderLastHiddenState: enc.lastHiddenState, encoderOutputs: enc, pastKeyValues: dec.cache,
    ...(enc.hiddenStates ? { encoderHiddenStates: enc.hiddenStates } : {}),
    ...(enc.attentions ? { encoderAttentions: enc.attentions } : {}),
    ...(dec.hiddenStates ? { decoderHiddenStates: dec.hiddenStates } : {}),
    ...(dec.attentions ? { decoderAttentions: dec.attentions } : {}),
    ...(dec.crossAttentions ? { crossAttentions: dec.crossAttentions } : {}),
  };
}

export function shiftRight(labels: Tensor, decoderStartTokenId: number, padTokenId: number): Tensor {
  const [b, s] = labels.shape as [number, number];
  const start = torch.full([b, 1], decoderStartTokenId, { dtype: 'int64', device: labels.device });
  const shifted = torch.cat([start, labels.narrow(1, 0, s - 1)], 1);
  return shifted.maskedFill(shifted.eq(-100), padTokenId);
}

/** Cross-entropy over every label position (no shift: the decoder inputs are the shifted labels), -100 ignored. */
export function seq2seqLoss(logits: Tensor, labels: TensorLike, opts: LossOptions = {}): Tensor {
  const [b, s, v] = logits.shape as [number, number, number];
  const y = asIds(labels, logits.device, 'labels');
  return F.crossEntropy(logits.reshape([b * s, v]), y.reshape([b * s]), { ignoreIndex: -100, labelSmoothing: opts.labelSmoothing ?? 0 });
}

/**
 * What generation needs of an encoder-decoder LM (T5ForConditionalGeneration, BartForConditionalGeneration,
 * MarianMTModel): its table sizes, the encoder alone, and a forward that takes the encoder output and the cache.
 */
export interface Seq2SeqLM {
  readonly config: { readonly vocabSize: number; readonly padTokenId: number | null; readonly maxPositionEmbeddings: number; readonly decoderStartTokenId: number };
  encode(inputIds: TensorLike, attentionMask?: TensorLike | null): StackOutput;
  forward(input: Seq2SeqInput): Seq2SeqLMOutput;
}
