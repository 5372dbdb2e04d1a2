/**
 * The building blocks every family's graph uses, each the ONNX form of one torch module or function of
 * `src/models/modeling/`: Linear, LayerNorm, the activations of transformers' ACT2FN, the additive
 * attention mask, position ids, splitting and merging attention heads.
 */
import type { nn, Tensor } from '../torch/index.js';
import { LenguaError } from '../errors.js';
import { float, int, ints, type Graph } from './graph.js';

/** torch.finfo(torch.float32).min: the additive mask value transformers (and Lengua) use. */
export const FLOAT32_MIN = -3.4028234663852886e38;

/** `nn.Linear`: x @ W^T + b, the weight stored transposed ([in, out]) for MatMul. */
export function linear(g: Graph, scope: string, x: string, m: nn.Linear): string {
  const y = g.op(scope, 'MatMul', [x, g.param(m.weight, { transpose: true })]);
  return m.bias === null ? y : g.op(scope, 'Add', [y, g.param(m.bias)]);
}

/**
 * `F.linear(x, W, b)` where W [out, in] is also another module's weight (an LM decoder tied to the word
 * embeddings): MatMul by Transpose(W) so the file holds the table once; ONNX Runtime folds the
 * Transpose of the initializer when it loads the session.
 */
export function tiedLinear(g: Graph, scope: string, x: string, weight: Tensor, bias: Tensor | null): string {
  const wT = g.op(scope, 'Transpose', [g.param(weight)], { attrs: { perm: ints([1, 0]) } });
  const y = g.op(scope, 'MatMul', [x, wT]);
  return bias === null ? y : g.op(scope, 'Add', [y, g.param(bias)]);
}

/** GPT-2's `Conv1D`: x @ W + b with W stored [in, out] already, as MatMul wants it. */
export function conv1d(g: Graph, scope: string, x: string, m: { weight: Tensor; bias: Tensor }): string {
  return g.op(scope, 'Add', [g.op(scope, 'MatMul', [x, g.param(m.weight)]), g.param(m.bias)]);
}

/** `nn.LayerNorm` over the last dimension: one LayerNormalization node (opset 17). */
export function layerNorm(g: Graph, scope: string, x: string, m: nn.LayerNorm): string {
  if (m.normalizedShape.length !== 1) throw new Error('only LayerNorm over the last dimension is exported');
  return g.op(scope, 'LayerNormalization', [x, g.param(m.weight), g.param(m.bias)], { attrs: { axis: int(-1), epsilon: float(m.eps) } });
}

/**
 * transformers' ACT2FN by config name (the same names as `models/modeling/activations.ts`). `gelu` is
 * the exact erf form, x · 0.5 · (1 + erf(x / √2)), written with Div/Erf/Add/Mul as torch.onnx does at
 * opset 17 (the Gelu operator arrives in opset 20).
 */
export function activation(g: Graph, scope: string, x: string, name: string): string {
  switch (name) {
    case 'gelu': {
      const erf = g.op(scope, 'Erf', [g.op(scope, 'Div', [x, g.float(Math.SQRT2)])]);
      return g.op(scope, 'Mul', [g.op(scope, 'Mul', [x, g.op(scope, 'Add', [erf, g.float(1)])]), g.float(0.5)]);
    }
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
    case 'gelu_fast': {
      // 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))
      const cube = g.op(scope, 'Mul', [g.op(scope, 'Mul', [x, x]), x]);
      const inner = g.op(scope, 'Mul', [g.op(scope, 'Add', [x, g.op(scope, 'Mul', [cube, g.float(0.044715)])]), g.float(Math.sqrt(2 / Math.PI))]);
      const t = g.op(scope, 'Add', [g.op(scope, 'Tanh', [inner]), g.float(1)]);
      return g.op(scope, 'Mul', [g.op(scope, 'Mul', [x, g.float(0.5)]), t]);
    }
    case 'quick_gelu':
      return g.op(scope, 'Mul', [x, g.op(scope, 'Sigmoid', [g.op(scope, 'Mul', [x, g.float(1.702)])])]);
    case 'relu':
      return g.op(scope, 'Relu', [x]);
    case 'silu':
    case 'swish':
      return g.op(scope, 'Mul', [x, g.op(scope, 'Sigmoid', [x])]);
    case 'tanh':
      return g.op(scope, 'Tanh', [x]);
    case 'sigmoid':
      return g.op(scope, 'Sigmoid', [x]);
    case 'linear':
      return x;
    default:
      throw new LenguaError(`activation ${JSON.stringify(name)} has no ONNX export`, { field: 'activation' });
  }
}

/** The sequence length of a [batch, seq] input as an int64 scalar. */
export function sequenceLength(g: Graph, scope: string, ids: string): string {
  return g.op(scope, 'Gather', [g.op(scope, 'Shape', [ids]), g.int64(1)], { attrs: { axis: int(0) } });
}

/** 0, 1, …, s-1 as [1, s] (broadcast over the batch): the default position ids. */
export function defaultPositionIds(g: Graph, scope: string, ids: string): string {
  const s = sequenceLength(g, scope, ids);
  return g.op(scope, 'Unsqueeze', [g.op(scope, 'Range', [g.int64(0), s, g.int64(1)]), g.int64([0])]);
}

/** `embedding(ids)`: rows of an embedding table. */
export function embedding(g: Graph, scope: string, m: nn.Embedding, ids: string): string {
  return g.op(scope, 'Gather', [g.param(m.weight), ids], { attrs: { axis: int(0) } });
}

/** `extendedAttentionMask`: (1 - mask) · finfo.min as float, [batch, 1, 1, seq], added to the scores. */
export function additiveAttentionMask(g: Graph, scope: string, mask: string): string {
  const m = g.op(scope, 'Cast', [mask], { attrs: { to: int(1) } });
  const inv = g.op(scope, 'Sub', [g.float(1), m]);
  return g.op(scope, 'Unsqueeze', [g.op(scope, 'Mul', [inv, g.float(FLOAT32_MIN)]), g.int64([1, 2])]);
}

/** [b, s, heads·d] → [b, heads, s, d] (`keyTransposed`: [b, heads, d, s], the key as the scores' product needs it). */
export function splitHeads(g: Graph, scope: string, x: string, heads: number, headDim: number, keyTransposed = false): string {
  const r = g.op(scope, 'Reshape', [x, g.int64([0, 0, heads, headDim])]);
  return g.op(scope, 'Transpose', [r], { attrs: { perm: ints(keyTransposed ? [0, 2, 3, 1] : [0, 2, 1, 3]) } });
}

/** [b, heads, s, d] → [b, s, heads·d]. */
export function mergeHeads(g: Graph, scope: string, x: string, hidden: number): string {
  const t = g.op(scope, 'Transpose', [x], { attrs: { perm: ints([0, 2, 1, 3]) } });
  return g.op(scope, 'Reshape', [t, g.int64([0, 0, hidden])]);
}

/** h[:, 0]: the first token's hidden state, [b, hidden]. */
export function firstToken(g: Graph, scope: string, h: string): string {
  return g.op(scope, 'Gather', [h, g.int64(0)], { attrs: { axis: int(1) } });
}
