// torch.nn.functional: each function is one native libtorch call (same kernels and gradients as PyTorch).
import { LenguaError } from '../errors.js';
import { N } from './native.js';
import { Tensor } from './tensor.js';

export type Reduction = 'mean' | 'sum' | 'none';

function checkReduction(r: Reduction, fn: string): Reduction {
  if (r !== 'mean' && r !== 'sum' && r !== 'none') throw new LenguaError(`${fn}: reduction must be 'mean', 'sum' or 'none', got '${String(r)}'`);
  return r;
}

/** y = x W^T + b, W is [out, in]. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return new Tensor(N.linear(x.handle, weight.handle, bias?.handle));
}

/** Rows of weight for each id. The paddingIdx row gets a zero gradient (its value is not changed here). */
export function embedding(ids: Tensor, weight: Tensor, paddingIdx?: number | null): Tensor {
  return new Tensor(N.embedding(weight.handle, ids.handle, paddingIdx ?? undefined));
}

export function layerNorm(x: Tensor, normalizedShape: number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  return new Tensor(N.layerNorm(x.handle, normalizedShape, weight?.handle, bias?.handle, eps));
}

/** Inverted dropout: zeroes with probability p and scales by 1/(1-p) when training; identity otherwise. */
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  if (!(p >= 0 && p <= 1)) throw new LenguaError(`dropout(): p must be in [0, 1], got ${p}`);
  return new Tensor(N.dropout(x.handle, p, training));
}

export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  return x.gelu(approximate);
}
export function relu(x: Tensor): Tensor {
  return x.relu();
}
export function softmax(x: Tensor, dim: number): Tensor {
  return x.softmax(dim);
}
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return x.logSoftmax(dim);
}

export interface CrossEntropyOptions {
  ignoreIndex?: number;
  labelSmoothing?: number;
  weight?: Tensor | null;
  reduction?: Reduction;
}

/** logits [N, C] (or [N, C, d...]) with int64 class targets [N] (or [N, d...]), or class probabilities. */
export function crossEntropy(logits: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  const ls = opts.labelSmoothing ?? 0;
  if (!(ls >= 0 && ls <= 1)) throw new LenguaError(`crossEntropy(): labelSmoothing must be in [0, 1], got ${ls}`);
  return new Tensor(
    N.crossEntropy(logits.handle, target.handle, opts.weight?.handle, checkReduction(opts.reduction ?? 'mean', 'crossEntropy()'), opts.ignoreIndex ?? -100, ls),
  );
}

export interface BceOptions {
  posWeight?: Tensor | null;
  weight?: Tensor | null;
  reduction?: Reduction;
}

export function binaryCrossEntropyWithLogits(logits: Tensor, target: Tensor, opts: BceOptions = {}): Tensor {
  return new Tensor(
    N.bceWithLogits(logits.handle, target.handle, opts.weight?.handle, opts.posWeight?.handle, checkReduction(opts.reduction ?? 'mean', 'binaryCrossEntropyWithLogits()')),
  );
}

export function mseLoss(input: Tensor, target: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  return new Tensor(N.mseLoss(input.handle, target.handle, checkReduction(opts.reduction ?? 'mean', 'mseLoss()')));
}
