/** What every model's `forward` takes and returns (transformers' `modeling_outputs`, camelCase). */
import type { Tensor, TensorLike } from '../../torch/index.js';

/** What every `forward` accepts. Tensors or nested number arrays ([batch, seq]). */
export interface ForwardInput {
  inputIds: TensorLike;
  attentionMask?: TensorLike | null;
  tokenTypeIds?: TensorLike | null;
  positionIds?: TensorLike | null;
  labels?: TensorLike | null;
  outputHiddenStates?: boolean;
  outputAttentions?: boolean;
}

export interface BaseModelOutput {
  lastHiddenState: Tensor;
  /** BERT base models with a pooler: tanh(dense(h[:, 0])). */
  poolerOutput?: Tensor;
  /** Embedding output then each layer's output (GPT-2: the last one after ln_f). */
  hiddenStates?: Tensor[];
  /** Softmax attention probabilities per layer, [batch, heads, q, k]. */
  attentions?: Tensor[];
}

export interface ModelOutput {
  logits: Tensor;
  loss?: Tensor;
  hiddenStates?: Tensor[];
  attentions?: Tensor[];
}

/** A head's output with the body's optional hidden states and attentions attached. */
export function withExtras(out: ModelOutput, base: BaseModelOutput): ModelOutput {
  if (base.hiddenStates) out.hiddenStates = base.hiddenStates;
  if (base.attentions) out.attentions = base.attentions;
  return out;
}
