/**
 * Helpers for the model tests (and the benchmark): locate the golden folder, read safetensors into
 * tensors, compare tensors with the golden tolerances.
 */
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { readSafetensors } from '../hub/safetensors.js';
import type { SafetensorsEntry } from '../hub/safetensors.js';

export { goldenRoot, REPO_ROOT } from '../testing/golden.js';

export function entryToTensor(e: SafetensorsEntry): Tensor {
  const dt = { F32: 'float32', F16: 'float16', BF16: 'bfloat16', I64: 'int64', I32: 'int32', BOOL: 'bool' } as const;
  const d = dt[e.dtype as keyof typeof dt];
  if (d === undefined) throw new Error(`unsupported dtype ${e.dtype}`);
  return torch.fromBytes(e.data, d, e.shape);
}

/** Every tensor of a safetensors file, as tensors (kept: the caller disposes). */
export function readTensors(path: string): Map<string, Tensor> {
  const f = readSafetensors(path);
  const out = new Map<string, Tensor>();
  for (const [k, e] of f.tensors) out.set(k, entryToTensor(e).keep());
  return out;
}

/** max |a - b| (both converted to float32 on CPU). */
export function maxAbsDiff(a: Tensor, b: Tensor): number {
  return torch.tidy(() => {
    const x = a.detach().to({ dtype: 'float32', device: 'cpu' });
    const y = b.detach().to({ dtype: 'float32', device: 'cpu' });
    if (x.shape.join(',') !== y.shape.join(',')) throw new Error(`shape [${x.shape}] vs [${y.shape}]`);
    if (x.numel === 0) return 0;
    return x.sub(y).abs().flatten().amax(0).item();
  });
}

export function maxAbs(a: Tensor): number {
  return torch.tidy(() => (a.numel === 0 ? 0 : a.detach().to({ dtype: 'float32', device: 'cpu' }).abs().flatten().amax(0).item()));
}
