// Lengua's tensor library: a small, typed, PyTorch-like API over libtorch (native/). See README.md here.
//
// What it adds to the basic PyTorch-like surface (nothing here changes existing behaviour):
// - Tensor: size(dim), isLeaf, requiresGrad_(), setGrad(g|null), setData_(src), rsub(n), remainder, maximum,
//   minimum, log1p, sin, cos, silu, sign, floor, round, reciprocal, argmin, norm(p, dim, keepdim), topk, tril, triu,
//   float(), long(), add_, mul_, normal_, uniform_; amax/amin accept no dim (all dims); var(dim, {unbiased, keepdim});
//   backward(gradient, { retainGraph }); maskedFill also takes a Tensor value.
// - Creation: empty, randint, randperm, fullLike, matmul, maximum, minimum. enableGrad(fn).
// - nn: Module.registerBuffer, namedBuffers, namedChildren; init.constant_. Linear/Embedding/LayerNorm expose their
//   constructor arguments. Module.to(device) moves tensors in place (the same Tensor objects stay valid).
// - optim: SGD takes `dampening`; optimizers have dispose() (frees state) and `stepCount`; AdamW groups carry
//   betas/eps too; stateDict().groups[i].params are parameter indices (as in PyTorch).
import { N, blasInUse, libtorchLocation } from './native.js';

export {
  Tensor,
  tensor,
  fromBytes,
  zeros,
  ones,
  empty,
  full,
  arange,
  randn,
  rand,
  randint,
  randperm,
  zerosLike,
  onesLike,
  fullLike,
  cat,
  stack,
  split,
  where,
  matmul,
  maximum,
  minimum,
  tidy,
  noGrad,
  enableGrad,
  isGradEnabled,
  liveTensors,
  manualSeed,
  setNumThreads,
  getNumThreads,
  cuda,
  dtypeCode,
  itemSize,
  isFloating,
} from './tensor.js';
export type { DType, Device, NestedArray, TypedData, TensorLike, TensorOptions } from './tensor.js';
export type { Reduction, CrossEntropyOptions, BceOptions } from './functional.js';
export type { AdamWOptions, AdamWGroup, AdamWStateDict, AdamWParamState, SGDOptions, SGDGroup, SGDStateDict } from './optim.js';
export { classifyBlas, type BlasKind } from './native.js';
export * as F from './functional.js';
export * as nn from './nn.js';
export * as optim from './optim.js';
export { Module, Linear, Embedding, LayerNorm, Dropout } from './nn.js';
export { AdamW, SGD, clipGradNorm } from './optim.js';

export interface BackendInfo {
  libtorchVersion: string;
  /** The BLAS libtorch calls: 'openblas', 'mkl', 'reference' (30x slower), … */
  blas: string;
  /** The library file that provides it, when known. */
  blasPath: string;
  openblas: boolean;
  threads: number;
  cuda: boolean;
  libtorchPath: string;
}

export function backendInfo(): BackendInfo {
  const blas = blasInUse();
  return {
    libtorchVersion: N.version(),
    blas: blas.kind,
    blasPath: blas.path,
    openblas: blas.kind === 'openblas',
    threads: N.getNumThreads(),
    cuda: N.cudaAvailable(),
    libtorchPath: libtorchLocation(),
  };
}
