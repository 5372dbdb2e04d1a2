/**
 * A model cut in two after layer k: the frozen bottom (embeddings and layers 0..k-1) and the trainable
 * top (the other layers and the head). The frozen-layer cache (`src/train/frozen-cache.ts`) runs the
 * bottom once per example and the top every step; the model says where the cut is and what crosses it.
 */
import type { Tensor, TensorLike, nn } from '../../torch/index.js';
import type { ForwardInput, ModelOutput } from './outputs.js';

/**
 * What crosses the cut, per example:
 * - `hidden`: the hidden states after layer k, [seq, hidden] (k < L);
 * - `first-token`: the first token's last hidden state, [hidden] (all L layers frozen and the head reads only it);
 * - `pooled`: BERT's pooler output, [hidden] (all layers and the pooler frozen).
 */
export type SplitKind = 'hidden' | 'first-token' | 'pooled';

export interface ModelSplit {
  readonly kind: SplitKind;
  readonly hiddenSize: number;
  /** The modules of the bottom: every parameter in them must be frozen for a cache to be valid. */
  readonly bottomModules: nn.Module[];
  /** The bottom on a batch: [b, s, h] for `hidden`, [b, h] otherwise. Runs in the modules' current mode. */
  bottom(input: ForwardInput): Tensor;
  /** The top on what `bottom` returned (rows may be re-padded: `attentionMask` says which positions are real). */
  top(x: Tensor, attentionMask: TensorLike | null, labels?: TensorLike | null): ModelOutput;
}
