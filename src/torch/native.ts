// Loads the libtorch addon (native/) once and checks the machine: the BLAS that libtorch really calls, and the
// thread count. Everything else in src/torch goes through the `N` object exported here.
import { createRequire } from 'node:module';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { LenguaError } from '../errors.js';

/**
 * An opaque native tensor handle: a BigInt naming a slot of the addon's handle table (slot index and generation), so
 * no per-tensor malloc outlives dispose() (native/src/binding.cc, "Handles"). A number or boolean operand is a scalar.
 */
export interface NativeHandle {
  readonly __nativeTensor: unique symbol;
}
type H = NativeHandle;
type Num = number | boolean;
type Other = H | number | boolean;

/** The addon's functions (native/src/binding.cc). dtypes are c10::ScalarType codes, devices strings. */
export interface NativeBinding {
  dispose(h: H): void;
  meta(h: H): [number, string, ...number[]];
  liveTensors(): number;
  fromBuffer(data: ArrayBufferView, srcType: number, shape: number[], dstType: number, device?: string): H;
  toBytes(h: H): ArrayBuffer;
  item(h: H): number;
  zeros(shape: number[], dtype: number, device?: string): H;
  ones(shape: number[], dtype: number, device?: string): H;
  empty(shape: number[], dtype: number, device?: string): H;
  full(shape: number[], value: Num, dtype: number, device?: string): H;
  randn(shape: number[], dtype: number, device?: string): H;
  rand(shape: number[], dtype: number, device?: string): H;
  randint(low: number, high: number, shape: number[], dtype: number, device?: string): H;
  randperm(n: number, dtype: number, device?: string): H;
  arange(start: number, end: number, step: number, dtype: number, device?: string): H;
  cat(ts: H[], dim: number): H;
  stack(ts: H[], dim: number): H;
  split(h: H, sizes: number | number[], dim: number): H[];
  where(cond: H, a: Other, b: Other): H;
  add(a: H, b: Other, alpha?: number): H;
  sub(a: H, b: Other, alpha?: number): H;
  rsub(a: H, b: number): H;
  mul(a: H, b: Other): H;
  div(a: H, b: Other): H;
  pow(a: H, b: Other): H;
  eq(a: H, b: Other): H;
  ne(a: H, b: Other): H;
  lt(a: H, b: Other): H;
  le(a: H, b: Other): H;
  gt(a: H, b: Other): H;
  ge(a: H, b: Other): H;
  remainder(a: H, b: Other): H;
  maximum(a: H, b: H): H;
  minimum(a: H, b: H): H;
  logicalAnd(a: H, b: H): H;
  logicalOr(a: H, b: H): H;
  logicalNot(a: H): H;
  neg(a: H): H;
  abs(a: H): H;
  sqrt(a: H): H;
  rsqrt(a: H): H;
  exp(a: H): H;
  log(a: H): H;
  log1p(a: H): H;
  sin(a: H): H;
  cos(a: H): H;
  tanh(a: H): H;
  sigmoid(a: H): H;
  relu(a: H): H;
  silu(a: H): H;
  sign(a: H): H;
  floor(a: H): H;
  round(a: H): H;
  reciprocal(a: H): H;
  gelu(a: H, approximate: string): H;
  clamp(a: H, min?: number, max?: number): H;
  matmul(a: H, b: H): H;
  sum(a: H, dims: number[] | undefined, keepdim: boolean): H;
  mean(a: H, dims: number[] | undefined, keepdim: boolean): H;
  amax(a: H, dims: number[] | undefined, keepdim: boolean): H;
  amin(a: H, dims: number[] | undefined, keepdim: boolean): H;
  argmax(a: H, dim: number | undefined, keepdim: boolean): H;
  argmin(a: H, dim: number | undefined, keepdim: boolean): H;
  var(a: H, dims: number[] | undefined, correction: number, keepdim: boolean): H;
  norm(a: H, p: number, dims: number[] | undefined, keepdim: boolean): H;
  softmax(a: H, dim: number): H;
  logSoftmax(a: H, dim: number): H;
  cumsum(a: H, dim: number): H;
  topk(a: H, k: number, dim: number, largest: boolean): [H, H];
  reshape(a: H, shape: number[]): H;
  view(a: H, shape: number[]): H;
  permute(a: H, dims: number[]): H;
  transpose(a: H, d0: number, d1: number): H;
  contiguous(a: H): H;
  unsqueeze(a: H, d: number): H;
  squeeze(a: H, d?: number): H;
  expand(a: H, shape: number[]): H;
  flatten(a: H, start: number, end: number): H;
  narrow(a: H, dim: number, start: number, length: number): H;
  select(a: H, dim: number, index: number): H;
  indexSelect(a: H, dim: number, index: H): H;
  gather(a: H, dim: number, index: H): H;
  maskedFill(a: H, mask: H, value: Other): H;
  tril(a: H, k: number): H;
  triu(a: H, k: number): H;
  to(a: H, dtype: number | undefined, device: string | undefined): H;
  detach(a: H): H;
  clone(a: H): H;
  copy_(dst: H, src: H): void;
  zero_(a: H): void;
  fill_(a: H, v: Num): void;
  normal_(a: H, mean: number, std: number): void;
  uniform_(a: H, lo: number, hi: number): void;
  add_(a: H, b: Other, alpha?: number): void;
  mul_(a: H, b: Other): void;
  requiresGrad(a: H): boolean;
  setRequiresGrad(a: H, v: boolean): void;
  isLeaf(a: H): boolean;
  hasGrad(a: H): boolean;
  setData(dst: H, src: H): void;
  grad(a: H): H | null;
  setGrad(a: H, g: H | null): void;
  zeroGrad(a: H): void;
  backward(a: H, gradient: H | undefined, retainGraph?: boolean): void;
  setGradEnabled(v: boolean): void;
  isGradEnabled(): boolean;
  linear(x: H, w: H, b?: H): H;
  embedding(w: H, ids: H, paddingIdx?: number): H;
  layerNorm(x: H, shape: number[], w: H | undefined, b: H | undefined, eps: number): H;
  dropout(x: H, p: number, training: boolean): H;
  crossEntropy(logits: H, target: H, weight: H | undefined, reduction: string, ignoreIndex: number, labelSmoothing: number): H;
  bceWithLogits(logits: H, target: H, weight: H | undefined, posWeight: H | undefined, reduction: string): H;
  mseLoss(a: H, b: H, reduction: string): H;
  adamwStep(params: H[], expAvg: H[], expAvgSq: H[], steps: number[], lr: number, beta1: number, beta2: number, eps: number, weightDecay: number): void;
  sgdStep(params: H[], buffers: Array<H | null>, lr: number, momentum: number, dampening: number, weightDecay: number, nesterov: boolean): Array<H | null>;
  clipGradNorm(params: H[], maxNorm: number, normType: number): number;
  manualSeed(seed: number): void;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  cudaAvailable(): boolean;
  cudaDeviceCount(): number;
  version(): string;
  hasMkl(): boolean;
  blasProvider(): string;
}

const APT_HINT = 'apt-get install libtorch-dev libopenblas0-pthread g++ make';

function addonPath(): string {
  const override = process.env.LENGUA_TORCH_ADDON;
  if (override) return resolve(override);
  // src/torch/native.ts and dist/torch/native.js both sit two levels below the package root.
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'native', 'build', 'Release', 'lengua_torch.node');
}

function loadAddon(): NativeBinding {
  const path = addonPath();
  if (!existsSync(path)) {
    throw new LenguaError(
      `the libtorch binding is not built (${path} is missing): run \`npm run build:native\` ` +
        `(it needs libtorch and a C++ compiler: \`${APT_HINT}\`, or LIBTORCH=/path/to/libtorch)`,
    );
  }
  try {
    return createRequire(import.meta.url)(path) as NativeBinding;
  } catch (err) {
    throw new LenguaError(
      `the libtorch binding ${path} failed to load: ${(err as Error).message}. Rebuild it with \`npm run build:native\` ` +
        `after installing libtorch (\`${APT_HINT}\`)`,
      {},
      { cause: err },
    );
  }
}

export type BlasKind = 'openblas' | 'mkl' | 'blis' | 'accelerate' | 'reference' | 'unknown';

/** The BLAS family of a library file path (after symlinks are resolved). */
export function classifyBlasPath(path: string, hasMkl = false): BlasKind {
  if (/openblas/i.test(path)) return 'openblas';
  if (/mkl/i.test(path)) return 'mkl';
  if (/blis/i.test(path)) return 'blis';
  if (/Accelerate|vecLib/.test(path)) return 'accelerate';
  if (/libtorch_cpu/.test(path)) return hasMkl ? 'mkl' : 'unknown'; // a BLAS linked statically into libtorch
  if (/\/lib(c?blas)\.so/.test(path)) return 'reference';
  return 'unknown';
}

/**
 * Which BLAS libtorch calls. `provider` is the file that provides sgemm_ to the addon's libraries (dladdr); when it
 * is unknown, the process memory map (/proc/self/maps text) is the fallback. Debian's libtorch calls libblas.so.3,
 * which update-alternatives points at OpenBLAS (…/openblas-pthread/libblas.so.3) or at the reference BLAS
 * (…/blas/libblas.so.3), 30x slower. The map alone can mislead: OpenBLAS's liblapack may be mapped while sgemm_
 * comes from the reference BLAS, so the provider wins when known.
 */
export function classifyBlas(maps: string, hasMkl = false, provider = ''): { kind: BlasKind; path: string } {
  if (provider !== '') {
    let real = provider;
    try {
      real = realpathSync(provider);
    } catch {
      // keep the name as loaded
    }
    const kind = classifyBlasPath(real, hasMkl);
    if (kind !== 'unknown') return { kind, path: real };
  }
  const paths = new Set<string>();
  for (const line of maps.split('\n')) {
    const i = line.indexOf('/');
    if (i >= 0) paths.add(line.slice(i).trim());
  }
  for (const kind of ['openblas', 'mkl', 'blis', 'reference'] as const) {
    const path = [...paths].find((p) => classifyBlasPath(p) === kind && !/libtorch_cpu/.test(p));
    if (path !== undefined) return { kind, path };
  }
  if (hasMkl) return { kind: 'mkl', path: '(linked into libtorch)' };
  return { kind: 'unknown', path: provider };
}

function readMaps(): string {
  try {
    return readFileSync('/proc/self/maps', 'utf8');
  } catch {
    return ''; // not Linux: no memory map to read
  }
}

function libtorchPathFrom(maps: string): string {
  for (const line of maps.split('\n')) {
    const i = line.indexOf('/');
    if (i >= 0 && /libtorch_cpu\.(so|dylib)/.test(line)) return line.slice(i).trim();
  }
  return '';
}

let loaded: NativeBinding | undefined;
let loadedBlas: { kind: BlasKind; path: string } = { kind: 'unknown', path: '' };
let loadedLibtorchPath = '';

/**
 * Loads the addon on first use, not at import: tokenizing, evaluating a baseline or serving ONNX must
 * work on a machine without libtorch. A missing build or a slow BLAS fails here, loudly.
 */
function init(): NativeBinding {
  if (loaded !== undefined) return loaded;
  // OpenMP threads spin while they wait by default; on a shared or busy machine that made training
  // 5-10x slower (measured with 2 threads at load 12: 56-82 s against 8 s for the same 20 steps).
  // libgomp reads this when libtorch loads, so it is set before the addon is required; a user's own
  // value wins. The benchmarks run both Lengua and PyTorch under the same policy.
  process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
  const n = loadAddon();
  const maps = readMaps();
  const blas = classifyBlas(maps, n.hasMkl(), n.blasProvider());
  if (blas.kind === 'reference' && process.env.LENGUA_ALLOW_SLOW_BLAS !== '1') {
    throw new LenguaError(
      `libtorch is using the reference BLAS (${blas.path}), which trains about 30x slower than OpenBLAS. ` +
        `Install OpenBLAS: \`apt-get install libopenblas0-pthread\` (update-alternatives then points libblas.so.3 at it), ` +
        `or set LENGUA_ALLOW_SLOW_BLAS=1 to run slowly anyway`,
    );
  }
  // libtorch starts with one thread on some machines; use every core unless LENGUA_NUM_THREADS says otherwise.
  const requestedThreads = Number(process.env.LENGUA_NUM_THREADS ?? '');
  n.setNumThreads(Number.isInteger(requestedThreads) && requestedThreads > 0 ? requestedThreads : availableParallelism());
  loadedBlas = blas;
  loadedLibtorchPath = libtorchPathFrom(maps);
  loaded = n;
  return n;
}

/** The addon, loaded on first property access (the binding's functions ignore `this`). */
export const N: NativeBinding = new Proxy({} as NativeBinding, {
  get: (_target, prop) => Reflect.get(init(), prop) as unknown,
});

/** The BLAS libtorch calls (loads the addon). */
export function blasInUse(): { kind: BlasKind; path: string } {
  init();
  return loadedBlas;
}

/** The libtorch_cpu library the addon loaded (loads the addon). */
export function libtorchLocation(): string {
  init();
  return loadedLibtorchPath;
}
