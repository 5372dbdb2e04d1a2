/**
 * Checking and converting a forward's inputs, once, the same way for every family: ids in range of
 * their tables, masks and ids of the same shape as input_ids, position ids within the position table.
 */
import * as torch from '../../torch/index.js';
import type { Tensor, TensorLike, DType, Device } from '../../torch/index.js';
import { LenguaError } from '../../errors.js';
import type { ForwardInput } from './outputs.js';

/** Converts a user input to a tensor of the wanted dtype on the model's device. */
export function asTensor(x: TensorLike, dtype: DType, device: Device, field: string): Tensor {
  let t: Tensor;
  if (x instanceof torch.Tensor) {
    t = x;
  } else {
    if (typeof x !== 'number' && typeof x !== 'boolean' && !Array.isArray(x)) {
      throw new LenguaError(`must be a Tensor or a nested array of numbers`, { field });
    }
    try {
      t = torch.tensor(x, { dtype });
    } catch (err) {
      throw new LenguaError(`is not a rectangular array of numbers: ${(err as Error).message}`, { field }, { cause: err });
    }
  }
  if (t.dtype !== dtype) t = t.to(dtype);
  if (t.device !== device) t = t.to(device);
  return t;
}

/** Integer ids ([batch, seq]): int32/int64 tensors are kept, other inputs become int64. */
export function asIds(x: TensorLike, device: Device, field: string): Tensor {
  if (x instanceof torch.Tensor && (x.dtype === 'int64' || x.dtype === 'int32')) {
    if (x.ndim !== 2) throw new LenguaError(`must have shape [batch, seq], got [${x.shape.join(', ')}]`, { field });
    return x.device === device ? x : x.to(device);
  }
  const t = asTensor(x, 'int64', device, field);
  if (t.ndim !== 2) throw new LenguaError(`must have shape [batch, seq], got [${t.shape.join(', ')}]`, { field });
  return t;
}

export function checkSameShape(t: Tensor, ref: readonly number[], field: string): void {
  if (t.shape.length !== ref.length || t.shape.some((v, i) => v !== ref[i])) {
    throw new LenguaError(`shape [${t.shape.join(', ')}] does not match input_ids [${ref.join(', ')}]`, { field });
  }
}

/** Rejects ids outside the embedding table before libtorch sees them (it would abort on CUDA). */
export function checkIdRange(ids: Tensor, size: number, field: string): void {
  if (ids.numel === 0) return;
  const lo = ids.amin(0).amin(0).item();
  const hi = ids.amax(0).amax(0).item();
  if (lo < 0 || hi >= size) throw new LenguaError(`ids must lie in [0, ${size - 1}], found ${lo < 0 ? lo : hi}`, { field });
}

/** A 0/1 attention mask of input_ids' shape ([batch, seq]) on `device`, or null. */
export function asMask(mask: TensorLike | null | undefined, shape: readonly number[], device: Device): Tensor | null {
  if (mask == null) return null;
  const m = asTensor(mask, 'int64', device, 'attention_mask');
  checkSameShape(m, shape, 'attention_mask');
  return m;
}

/** A forward's inputs, checked and on the model's device. */
export interface PreparedInput {
  ids: Tensor;
  mask: Tensor | null;
  tokenTypeIds: Tensor | null;
  positionIds: Tensor | null;
  outputHiddenStates: boolean;
  outputAttentions: boolean;
}

/** The table sizes an input is checked against. */
export interface InputSpec {
  device: Device;
  vocabSize: number;
  maxPositions: number;
  /** Size of the table token_type_ids index; null when the model takes no token types (they are refused). */
  tokenTypes: number | null;
  /** The config's defaults for outputHiddenStates / outputAttentions. */
  outputHiddenStates: boolean;
  outputAttentions: boolean;
  className: string;
}

export function prepareInput(input: ForwardInput, spec: InputSpec): PreparedInput {
  const ids = asIds(input.inputIds, spec.device, 'input_ids');
  checkIdRange(ids, spec.vocabSize, 'input_ids');
  const mask = asMask(input.attentionMask, ids.shape, spec.device);
  let tt: Tensor | null = null;
  if (input.tokenTypeIds != null) {
    if (spec.tokenTypes === null) throw new LenguaError(`${spec.className} takes no token_type_ids`, { field: 'token_type_ids' });
    tt = asIds(input.tokenTypeIds, spec.device, 'token_type_ids');
    checkSameShape(tt, ids.shape, 'token_type_ids');
    checkIdRange(tt, spec.tokenTypes, 'token_type_ids');
  }
  let pos: Tensor | null = null;
  if (input.positionIds != null) {
    pos = asIds(input.positionIds, spec.device, 'position_ids');
    checkSameShape(pos, ids.shape, 'position_ids');
    checkIdRange(pos, spec.maxPositions, 'position_ids');
  }
  return {
    ids, mask, tokenTypeIds: tt, positionIds: pos,
    outputHiddenStates: input.outputHiddenStates ?? spec.outputHiddenStates,
    outputAttentions: input.outputAttentions ?? spec.outputAttentions,
  };
}

/** 0, 1, …, s-1 for every row: [b, s]. */
export function defaultPositionIds(b: number, s: number, device: Device): Tensor {
  return torch.arange(0, s, 1, { dtype: 'int64', device }).unsqueeze(0).expand([b, s]);
}
