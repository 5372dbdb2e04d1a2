// The Tensor class, creation functions and memory scopes. A Tensor wraps one native handle; every op makes a new
// handle natively and wraps it here, so data never round-trips through JavaScript.
import { LenguaError } from '../errors.js';
import { N, type NativeHandle } from './native.js';

export type DType = 'float32' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'bool';
export type Device = 'cpu' | 'cuda' | `cuda:${number}`;
export type NestedArray = number | boolean | NestedArray[];
export type TypedData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array;
export type TensorLike = Tensor | NestedArray;
export interface TensorOptions {
  dtype?: DType;
  device?: Device;
  requiresGrad?: boolean;
}

// c10::ScalarType codes
const CODE: Record<DType, number> = { float32: 6, float16: 5, bfloat16: 15, int64: 4, int32: 3, bool: 11 };
const FLOAT64 = 7;
const UINT8 = 0;
const NAME = new Map<number, DType>(Object.entries(CODE).map(([k, v]) => [v, k as DType]));
const ITEMSIZE: Record<DType, number> = { float32: 4, float16: 2, bfloat16: 2, int64: 8, int32: 4, bool: 1 };

export function dtypeCode(d: DType): number {
  const c = CODE[d];
  if (c === undefined) throw new LenguaError(`unknown dtype '${String(d)}' (expected one of ${Object.keys(CODE).join(', ')})`);
  return c;
}

export function itemSize(d: DType): number {
  return ITEMSIZE[d];
}

export function isFloating(d: DType): boolean {
  return d === 'float32' || d === 'float16' || d === 'bfloat16';
}

/** Whether a string names a dtype (as opposed to a device). */
export function isDType(s: string): s is DType {
  return Object.hasOwn(CODE, s);
}

// ------------------------------------------------------------------------------------------------ scopes

type Scope = Set<Tensor>;
const scopes: Scope[] = [];

function track(t: Tensor): void {
  const s = scopes[scopes.length - 1];
  if (s !== undefined) {
    s.add(t);
    t._scope = s;
  }
}

function collectTensors(value: unknown, out: Set<Tensor>, seen: Set<object>): void {
  if (value === null || typeof value !== 'object') return;
  if (value instanceof Tensor) {
    out.add(value);
    return;
  }
  if (seen.has(value)) return;
  seen.add(value);
  if (Array.isArray(value)) {
    for (const v of value) collectTensors(v, out, seen);
  } else if (value instanceof Map) {
    for (const [k, v] of value) {
      collectTensors(k, out, seen);
      collectTensors(v, out, seen);
    }
  } else if (value instanceof Set) {
    for (const v of value) collectTensors(v, out, seen);
  } else if (!ArrayBuffer.isView(value)) {
    for (const v of Object.values(value)) collectTensors(v, out, seen);
  }
}

/**
 * Runs fn and disposes every tensor created inside it, except those reachable from its return value (a Tensor,
 * arrays, plain or class objects, Maps, Sets) and those kept with t.keep(). Returned tensors move to the enclosing
 * scope. If fn throws, everything it created is disposed. fn must be synchronous.
 */
export function tidy<T>(fn: () => T): T {
  const scope: Scope = new Set();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    scopes.pop();
    for (const t of scope) t.dispose();
    throw err;
  }
  scopes.pop();
  if (result instanceof Promise) {
    for (const t of scope) t.dispose();
    throw new LenguaError('tidy() takes a synchronous function; it returned a Promise');
  }
  const keep = new Set<Tensor>();
  collectTensors(result, keep, new Set());
  const parent = scopes[scopes.length - 1];
  for (const t of scope) {
    if (keep.has(t)) {
      t._scope = parent ?? null;
      parent?.add(t);
    } else {
      t.dispose();
    }
  }
  return result;
}

/** Runs fn with gradient recording off (torch.no_grad()). */
export function noGrad<T>(fn: () => T): T {
  const prev = N.isGradEnabled();
  N.setGradEnabled(false);
  try {
    return fn();
  } finally {
    N.setGradEnabled(prev);
  }
}

/** Runs fn with gradient recording on (torch.enable_grad()). */
export function enableGrad<T>(fn: () => T): T {
  const prev = N.isGradEnabled();
  N.setGradEnabled(true);
  try {
    return fn();
  } finally {
    N.setGradEnabled(prev);
  }
}

export function isGradEnabled(): boolean {
  return N.isGradEnabled();
}

/** Native tensors not yet freed (disposed or collected). For leak tests. */
export function liveTensors(): number {
  return N.liveTensors();
}

// ------------------------------------------------------------------------------------------------ Tensor

type Other = Tensor | number | boolean;
const h = (o: Other): NativeHandle | number | boolean => (o instanceof Tensor ? o.handle : o);

function normDims(dim: number | number[] | undefined): number[] | undefined {
  return dim === undefined ? undefined : Array.isArray(dim) ? dim : [dim];
}

// The safety net: a tensor never disposed is freed when V8 collects its Tensor object. A FinalizationRegistry (on V8's
// heap) rather than an N-API finaliser per handle: those are small mallocs that outlive the tensor and fragment the
// heap between large activations (native/src/binding.cc, "Handles"). dispose() unregisters, so a synchronous loop
// that disposes everything leaves nothing waiting in the registry.
const collected = new FinalizationRegistry<NativeHandle>((handle) => N.dispose(handle));

export class Tensor {
  /** @internal */ _h: NativeHandle | null;
  /** @internal */ _scope: Scope | null = null;
  private _meta: [number, string, ...number[]] | undefined;

  /** @internal Wraps a native handle; use the creation functions instead. */
  constructor(handle: NativeHandle) {
    this._h = handle;
    collected.register(this, handle, this);
    track(this);
  }

  /** @internal The native handle; throws if disposed. */
  get handle(): NativeHandle {
    if (this._h === null) throw new Error('Tensor has been disposed: it was freed by dispose() or by an enclosing tidy()');
    return this._h;
  }

  private get meta(): [number, string, ...number[]] {
    if (this._meta === undefined) this._meta = N.meta(this.handle);
    return this._meta;
  }

  get shape(): number[] {
    return this.meta.slice(2) as number[];
  }
  get ndim(): number {
    return this.meta.length - 2;
  }
  get numel(): number {
    let n = 1;
    for (let i = 2; i < this.meta.length; i++) n *= this.meta[i] as number;
    return n;
  }
  get dtype(): DType {
    const code = this.meta[0];
    const name = NAME.get(code);
    if (name !== undefined) return name;
    if (code === FLOAT64) return 'float64' as DType; // only from Float64Array inputs kept as-is (never by default)
    return `scalar_type_${code}` as DType;
  }
  get device(): Device {
    return this.meta[1] as Device;
  }
  /** Size of one dimension (negative counts from the end). */
  size(dim: number): number {
    const nd = this.ndim;
    const d = dim < 0 ? dim + nd : dim;
    if (d < 0 || d >= nd) throw new Error(`dimension ${dim} out of range for a tensor with ${nd} dimensions`);
    return this.meta[d + 2] as number;
  }

  get isDisposed(): boolean {
    return this._h === null;
  }

  get requiresGrad(): boolean {
    return N.requiresGrad(this.handle);
  }
  set requiresGrad(v: boolean) {
    N.setRequiresGrad(this.handle, v);
  }
  /** requires_grad_() */
  requiresGrad_(v = true): this {
    N.setRequiresGrad(this.handle, v);
    return this;
  }
  get isLeaf(): boolean {
    return N.isLeaf(this.handle);
  }

  /** The gradient, as a new handle each call (dispose it or let tidy() do it), or null. */
  get grad(): Tensor | null {
    const g = N.grad(this.handle);
    return g === null ? null : new Tensor(g);
  }
  /** Sets or clears (null) the gradient. */
  setGrad(g: Tensor | null): void {
    N.setGrad(this.handle, g === null ? null : g.handle);
  }

  /** Frees the native memory now. Idempotent. */
  dispose(): void {
    if (this._h === null) return;
    collected.unregister(this);
    N.dispose(this._h);
    this._h = null;
    this._scope?.delete(this);
    this._scope = null;
  }

  /** Exempts this tensor from every enclosing tidy() scope. */
  keep(): this {
    if (this._h === null) throw new Error('keep(): Tensor has been disposed');
    this._scope?.delete(this);
    this._scope = null;
    return this;
  }

  // ---------------------------------------------------------------- data out

  /** A copy of the data: float32→Float32Array, int64→BigInt64Array, int32→Int32Array, bool→Uint8Array,
   *  float16/bfloat16→Uint16Array (raw bits). */
  data(): TypedData {
    const buf = N.toBytes(this.handle);
    switch (this.dtype) {
      case 'float32':
        return new Float32Array(buf);
      case 'int64':
        return new BigInt64Array(buf);
      case 'int32':
        return new Int32Array(buf);
      case 'bool':
        return new Uint8Array(buf);
      case 'float16':
      case 'bfloat16':
        return new Uint16Array(buf);
      default:
        if (this.meta[0] === FLOAT64) return new Float64Array(buf);
        return new Uint8Array(buf);
    }
  }

  /** Raw little-endian contiguous CPU bytes. */
  toBytes(): Uint8Array {
    return new Uint8Array(N.toBytes(this.handle));
  }

  /** Nested JS arrays of numbers (int64 as number, bool as boolean). */
  toArray(): NestedArray {
    const dt = this.dtype;
    let flat: ArrayLike<number | bigint>;
    if (dt === 'float16' || dt === 'bfloat16') {
      const f = tidy(() => this.to('float32'));
      flat = f.data() as Float32Array;
      f.dispose();
    } else {
      flat = this.data() as ArrayLike<number | bigint>;
    }
    const conv = dt === 'bool' ? (v: number | bigint) => v !== 0 : (v: number | bigint) => Number(v);
    const shape = this.shape;
    if (shape.length === 0) return conv(flat[0] as number | bigint);
    let pos = 0;
    const build = (d: number): NestedArray[] => {
      const n = shape[d] as number;
      const out: NestedArray[] = new Array<NestedArray>(n);
      for (let i = 0; i < n; i++) out[i] = d === shape.length - 1 ? conv(flat[pos++] as number | bigint) : build(d + 1);
      return out;
    };
    return build(0);
  }

  item(): number {
    return N.item(this.handle);
  }

  // ---------------------------------------------------------------- elementwise

  add(o: Other, alpha?: number): Tensor {
    return new Tensor(N.add(this.handle, h(o), alpha));
  }
  sub(o: Other, alpha?: number): Tensor {
    return new Tensor(N.sub(this.handle, h(o), alpha));
  }
  /** number - this */
  rsub(o: number): Tensor {
    return new Tensor(N.rsub(this.handle, o));
  }
  mul(o: Other): Tensor {
    return new Tensor(N.mul(this.handle, h(o)));
  }
  div(o: Other): Tensor {
    return new Tensor(N.div(this.handle, h(o)));
  }
  pow(o: Other): Tensor {
    return new Tensor(N.pow(this.handle, h(o)));
  }
  remainder(o: Other): Tensor {
    return new Tensor(N.remainder(this.handle, h(o)));
  }
  maximum(o: Tensor): Tensor {
    return new Tensor(N.maximum(this.handle, o.handle));
  }
  minimum(o: Tensor): Tensor {
    return new Tensor(N.minimum(this.handle, o.handle));
  }
  neg(): Tensor {
    return new Tensor(N.neg(this.handle));
  }
  abs(): Tensor {
    return new Tensor(N.abs(this.handle));
  }
  sqrt(): Tensor {
    return new Tensor(N.sqrt(this.handle));
  }
  rsqrt(): Tensor {
    return new Tensor(N.rsqrt(this.handle));
  }
  exp(): Tensor {
    return new Tensor(N.exp(this.handle));
  }
  log(): Tensor {
    return new Tensor(N.log(this.handle));
  }
  log1p(): Tensor {
    return new Tensor(N.log1p(this.handle));
  }
  sin(): Tensor {
    return new Tensor(N.sin(this.handle));
  }
  cos(): Tensor {
    return new Tensor(N.cos(this.handle));
  }
  tanh(): Tensor {
    return new Tensor(N.tanh(this.handle));
  }
  sigmoid(): Tensor {
    return new Tensor(N.sigmoid(this.handle));
  }
  relu(): Tensor {
    return new Tensor(N.relu(this.handle));
  }
  silu(): Tensor {
    return new Tensor(N.silu(this.handle));
  }
  sign(): Tensor {
    return new Tensor(N.sign(this.handle));
  }
  floor(): Tensor {
    return new Tensor(N.floor(this.handle));
  }
  round(): Tensor {
    return new Tensor(N.round(this.handle));
  }
  reciprocal(): Tensor {
    return new Tensor(N.reciprocal(this.handle));
  }
  /** GELU: 'none' = exact (erf), 'tanh' = the tanh approximation (GPT-2's gelu_new). */
  gelu(approximate: 'none' | 'tanh' = 'none'): Tensor {
    return new Tensor(N.gelu(this.handle, approximate));
  }
  clamp(min?: number, max?: number): Tensor {
    return new Tensor(N.clamp(this.handle, min, max));
  }
  eq(o: Other): Tensor {
    return new Tensor(N.eq(this.handle, h(o)));
  }
  ne(o: Other): Tensor {
    return new Tensor(N.ne(this.handle, h(o)));
  }
  lt(o: Other): Tensor {
    return new Tensor(N.lt(this.handle, h(o)));
  }
  le(o: Other): Tensor {
    return new Tensor(N.le(this.handle, h(o)));
  }
  gt(o: Other): Tensor {
    return new Tensor(N.gt(this.handle, h(o)));
  }
  ge(o: Other): Tensor {
    return new Tensor(N.ge(this.handle, h(o)));
  }
  logicalNot(): Tensor {
    return new Tensor(N.logicalNot(this.handle));
  }
  logicalAnd(o: Tensor): Tensor {
    return new Tensor(N.logicalAnd(this.handle, o.handle));
  }
  logicalOr(o: Tensor): Tensor {
    return new Tensor(N.logicalOr(this.handle, o.handle));
  }
  matmul(o: Tensor): Tensor {
    return new Tensor(N.matmul(this.handle, o.handle));
  }

  // ---------------------------------------------------------------- reductions

  sum(dim?: number | number[], keepdim = false): Tensor {
    return new Tensor(N.sum(this.handle, normDims(dim), keepdim));
  }
  mean(dim?: number | number[], keepdim = false): Tensor {
    return new Tensor(N.mean(this.handle, normDims(dim), keepdim));
  }
  /** Max over dims (all dims when omitted). */
  amax(dim?: number | number[], keepdim = false): Tensor {
    return new Tensor(N.amax(this.handle, normDims(dim), keepdim));
  }
  amin(dim?: number | number[], keepdim = false): Tensor {
    return new Tensor(N.amin(this.handle, normDims(dim), keepdim));
  }
  argmax(dim?: number, keepdim = false): Tensor {
    return new Tensor(N.argmax(this.handle, dim, keepdim));
  }
  argmin(dim?: number, keepdim = false): Tensor {
    return new Tensor(N.argmin(this.handle, dim, keepdim));
  }
  /** Variance; unbiased (Bessel) by default like PyTorch. */
  var(dim?: number | number[], opts: { unbiased?: boolean; keepdim?: boolean } = {}): Tensor {
    return new Tensor(N.var(this.handle, normDims(dim), opts.unbiased === false ? 0 : 1, opts.keepdim ?? false));
  }
  norm(p = 2, dim?: number | number[], keepdim = false): Tensor {
    return new Tensor(N.norm(this.handle, p, normDims(dim), keepdim));
  }
  softmax(dim: number): Tensor {
    return new Tensor(N.softmax(this.handle, dim));
  }
  logSoftmax(dim: number): Tensor {
    return new Tensor(N.logSoftmax(this.handle, dim));
  }
  cumsum(dim: number): Tensor {
    return new Tensor(N.cumsum(this.handle, dim));
  }
  /** [values, indices] of the k largest (or smallest) along dim, sorted. */
  topk(k: number, dim = -1, largest = true): [Tensor, Tensor] {
    const [v, i] = N.topk(this.handle, k, dim, largest);
    return [new Tensor(v), new Tensor(i)];
  }

  // ---------------------------------------------------------------- shape and indexing

  reshape(shape: number[]): Tensor {
    return new Tensor(N.reshape(this.handle, shape));
  }
  view(shape: number[]): Tensor {
    return new Tensor(N.view(this.handle, shape));
  }
  permute(dims: number[]): Tensor {
    return new Tensor(N.permute(this.handle, dims));
  }
  transpose(d0: number, d1: number): Tensor {
    return new Tensor(N.transpose(this.handle, d0, d1));
  }
  contiguous(): Tensor {
    return new Tensor(N.contiguous(this.handle));
  }
  unsqueeze(d: number): Tensor {
    return new Tensor(N.unsqueeze(this.handle, d));
  }
  squeeze(d?: number): Tensor {
    return new Tensor(N.squeeze(this.handle, d));
  }
  expand(shape: number[]): Tensor {
    return new Tensor(N.expand(this.handle, shape));
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return new Tensor(N.flatten(this.handle, startDim, endDim));
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return new Tensor(N.narrow(this.handle, dim, start, length));
  }
  select(dim: number, index: number): Tensor {
    return new Tensor(N.select(this.handle, dim, index));
  }
  indexSelect(dim: number, index: Tensor): Tensor {
    return new Tensor(N.indexSelect(this.handle, dim, index.handle));
  }
  gather(dim: number, index: Tensor): Tensor {
    return new Tensor(N.gather(this.handle, dim, index.handle));
  }
  maskedFill(mask: Tensor, value: number | Tensor): Tensor {
    return new Tensor(N.maskedFill(this.handle, mask.handle, h(value)));
  }
  /** Lower triangle (torch.tril). */
  tril(diagonal = 0): Tensor {
    return new Tensor(N.tril(this.handle, diagonal));
  }
  triu(diagonal = 0): Tensor {
    return new Tensor(N.triu(this.handle, diagonal));
  }

  /** Converts dtype and/or device (a new tensor; the same data when nothing changes, like PyTorch). */
  to(target: DType | Device | { dtype?: DType; device?: Device }): Tensor {
    let dtype: DType | undefined;
    let device: Device | undefined;
    if (typeof target === 'string') {
      if (isDType(target)) dtype = target;
      else device = target as Device;
    } else {
      dtype = target.dtype;
      device = target.device;
    }
    return new Tensor(N.to(this.handle, dtype === undefined ? undefined : dtypeCode(dtype), device));
  }
  float(): Tensor {
    return this.to('float32');
  }
  long(): Tensor {
    return this.to('int64');
  }
  detach(): Tensor {
    return new Tensor(N.detach(this.handle));
  }
  clone(): Tensor {
    return new Tensor(N.clone(this.handle));
  }

  // ---------------------------------------------------------------- in place

  /** In-place copy (broadcasting, casting). Use inside noGrad() for parameters. */
  copy_(src: Tensor): this {
    N.copy_(this.handle, src.handle);
    return this;
  }
  zero_(): this {
    N.zero_(this.handle);
    return this;
  }
  fill_(v: number | boolean): this {
    N.fill_(this.handle, v);
    return this;
  }
  add_(o: Other, alpha?: number): this {
    N.add_(this.handle, h(o), alpha);
    return this;
  }
  mul_(o: Other): this {
    N.mul_(this.handle, h(o));
    return this;
  }
  normal_(mean = 0, std = 1): this {
    N.normal_(this.handle, mean, std);
    return this;
  }
  uniform_(a = 0, b = 1): this {
    N.uniform_(this.handle, a, b);
    return this;
  }

  /** Makes this handle refer to src's data (PyTorch's `t.data = src`): dtype/device/shape may change. */
  setData_(src: Tensor): this {
    N.setData(this.handle, src.handle);
    this._meta = undefined;
    return this;
  }

  // ---------------------------------------------------------------- autograd

  backward(gradient?: Tensor, opts: { retainGraph?: boolean } = {}): void {
    N.backward(this.handle, gradient?.handle, opts.retainGraph);
  }

  toString(): string {
    if (this._h === null) return 'Tensor(disposed)';
    return `Tensor(shape=[${this.shape.join(', ')}], dtype=${this.dtype}, device=${this.device})`;
  }
}

// ------------------------------------------------------------------------------------------------ creation

function devOf(opts?: TensorOptions): string | undefined {
  return opts?.device;
}

function finish(t: Tensor, opts?: TensorOptions): Tensor {
  if (opts?.requiresGrad) N.setRequiresGrad(t.handle, true);
  return t;
}

function checkShape(shape: number[], where: string): number[] {
  if (!Array.isArray(shape)) throw new LenguaError(`${where}: shape must be an array of integers`);
  for (const s of shape) {
    if (!Number.isInteger(s) || s < 0) throw new LenguaError(`${where}: shape [${shape.join(', ')}] must hold non-negative integers`);
  }
  return shape;
}

function flattenNested(data: NestedArray): { flat: Array<number | boolean>; shape: number[] } {
  const shape: number[] = [];
  let probe: NestedArray = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0] as NestedArray;
  }
  const flat: Array<number | boolean> = [];
  const walk = (v: NestedArray, d: number, path: string): void => {
    if (d === shape.length) {
      if (Array.isArray(v)) throw new LenguaError(`tensor(): ragged nested array at ${path || 'top'}: expected a number`);
      if (typeof v !== 'number' && typeof v !== 'boolean') throw new LenguaError(`tensor(): element at ${path || 'top'} is ${typeof v}, expected a number or boolean`);
      flat.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[d]) {
      throw new LenguaError(`tensor(): ragged nested array at ${path || 'top'}: expected ${shape[d]} elements`);
    }
    for (let i = 0; i < v.length; i++) walk(v[i] as NestedArray, d + 1, `${path}[${i}]`);
  };
  walk(data, 0, '');
  return { flat, shape };
}

/**
 * A tensor from nested arrays or a TypedArray (copied). Inferred dtypes: booleans → bool, all integers → int64,
 * otherwise float32; Float32Array/Float64Array → float32, Int32Array → int32, BigInt64Array → int64,
 * Uint8Array → bool; Uint16Array needs dtype float16 or bfloat16 (raw bits).
 */
export function tensor(data: NestedArray | TypedData, opts: TensorOptions & { shape?: number[] } = {}): Tensor {
  if (ArrayBuffer.isView(data)) {
    let src: number;
    let natural: DType;
    if (data instanceof Float32Array) [src, natural] = [CODE.float32, 'float32'];
    else if (data instanceof Float64Array) [src, natural] = [FLOAT64, 'float32'];
    else if (data instanceof Int32Array) [src, natural] = [CODE.int32, 'int32'];
    else if (data instanceof BigInt64Array) [src, natural] = [CODE.int64, 'int64'];
    else if (data instanceof Uint8Array) [src, natural] = [CODE.bool, 'bool'];
    else if (data instanceof Uint16Array) {
      if (opts.dtype !== 'float16' && opts.dtype !== 'bfloat16') {
        throw new LenguaError('tensor(): a Uint16Array holds raw float16/bfloat16 bits: pass { dtype: "float16" } or "bfloat16"');
      }
      [src, natural] = [CODE[opts.dtype], opts.dtype];
    } else throw new LenguaError(`tensor(): unsupported TypedArray ${(data as object).constructor.name}`);
    if (data instanceof Uint8Array && opts.dtype !== undefined && opts.dtype !== 'bool') src = UINT8;
    const shape = checkShape(opts.shape ?? [data.length], 'tensor()');
    const dst = opts.dtype === undefined ? dtypeCode(natural) : dtypeCode(opts.dtype);
    return finish(new Tensor(N.fromBuffer(data, src, shape, dst, devOf(opts))), opts);
  }
  const { flat, shape: inferred } = flattenNested(data);
  const shape = opts.shape ? checkShape(opts.shape, 'tensor()') : inferred;
  let dtype = opts.dtype;
  if (dtype === undefined) {
    if (flat.length > 0 && flat.every((v) => typeof v === 'boolean')) dtype = 'bool';
    else if (flat.every((v) => typeof v === 'number' && Number.isInteger(v))) dtype = 'int64';
    else dtype = 'float32';
  }
  const buf = new Float64Array(flat.length);
  for (let i = 0; i < flat.length; i++) buf[i] = Number(flat[i]);
  return finish(new Tensor(N.fromBuffer(buf, FLOAT64, shape, dtypeCode(dtype), devOf(opts))), opts);
}

/** A tensor from raw little-endian bytes (copied), e.g. a safetensors slice. */
export function fromBytes(bytes: Uint8Array, dtype: DType, shape: number[], opts: { device?: Device } = {}): Tensor {
  const code = dtypeCode(dtype);
  return new Tensor(N.fromBuffer(bytes, code, checkShape(shape, 'fromBytes()'), code, opts.device));
}

export function zeros(shape: number[], opts: TensorOptions = {}): Tensor {
  return finish(new Tensor(N.zeros(checkShape(shape, 'zeros()'), dtypeCode(opts.dtype ?? 'float32'), devOf(opts))), opts);
}
export function ones(shape: number[], opts: TensorOptions = {}): Tensor {
  return finish(new Tensor(N.ones(checkShape(shape, 'ones()'), dtypeCode(opts.dtype ?? 'float32'), devOf(opts))), opts);
}
/** Uninitialised memory. */
export function empty(shape: number[], opts: TensorOptions = {}): Tensor {
  return finish(new Tensor(N.empty(checkShape(shape, 'empty()'), dtypeCode(opts.dtype ?? 'float32'), devOf(opts))), opts);
}
export function full(shape: number[], value: number | boolean, opts: TensorOptions = {}): Tensor {
  const dtype = opts.dtype ?? (typeof value === 'boolean' ? 'bool' : 'float32');
  return finish(new Tensor(N.full(checkShape(shape, 'full()'), value, dtypeCode(dtype), devOf(opts))), opts);
}
export function randn(shape: number[], opts: TensorOptions = {}): Tensor {
  return finish(new Tensor(N.randn(checkShape(shape, 'randn()'), dtypeCode(opts.dtype ?? 'float32'), devOf(opts))), opts);
}
export function rand(shape: number[], opts: TensorOptions = {}): Tensor {
  return finish(new Tensor(N.rand(checkShape(shape, 'rand()'), dtypeCode(opts.dtype ?? 'float32'), devOf(opts))), opts);
}
/** Integers uniform in [low, high). */
export function randint(low: number, high: number, shape: number[], opts: TensorOptions = {}): Tensor {
  return new Tensor(N.randint(low, high, checkShape(shape, 'randint()'), dtypeCode(opts.dtype ?? 'int64'), devOf(opts)));
}
export function randperm(n: number, opts: TensorOptions = {}): Tensor {
  return new Tensor(N.randperm(n, dtypeCode(opts.dtype ?? 'int64'), devOf(opts)));
}
export function zerosLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  return zeros(t.shape, { dtype: t.dtype, device: t.device, ...opts });
}
export function onesLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  return ones(t.shape, { dtype: t.dtype, device: t.device, ...opts });
}
export function fullLike(t: Tensor, value: number, opts: TensorOptions = {}): Tensor {
  return full(t.shape, value, { dtype: t.dtype, device: t.device, ...opts });
}

/** arange(end) or arange(start, end, step?). int64 when all arguments are integers, else float32 (like PyTorch). */
export function arange(end: number, opts?: TensorOptions): Tensor;
export function arange(start: number, end: number, step?: number, opts?: TensorOptions): Tensor;
export function arange(a: number, b?: number | TensorOptions, step = 1, opts: TensorOptions = {}): Tensor {
  if (typeof b === 'object') return arange(0, a, 1, b);
  const [start, end] = b === undefined ? [0, a] : [a, b];
  const dtype = opts.dtype ?? ([start, end, step].every(Number.isInteger) ? 'int64' : 'float32');
  return finish(new Tensor(N.arange(start, end, step, dtypeCode(dtype), devOf(opts))), opts);
}

export function cat(tensors: Tensor[], dim = 0): Tensor {
  return new Tensor(N.cat(tensors.map((t) => t.handle), dim));
}
export function stack(tensors: Tensor[], dim = 0): Tensor {
  return new Tensor(N.stack(tensors.map((t) => t.handle), dim));
}
/** Splits into chunks of `size` (the last may be smaller) or into the given sizes. Views of t. */
export function split(t: Tensor, sizeOrSizes: number | number[], dim = 0): Tensor[] {
  return N.split(t.handle, sizeOrSizes, dim).map((x) => new Tensor(x));
}
/** cond ? a : b, elementwise with broadcasting. */
export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  return new Tensor(N.where(cond.handle, h(a), h(b)));
}
export function matmul(a: Tensor, b: Tensor): Tensor {
  return a.matmul(b);
}
export function maximum(a: Tensor, b: Tensor): Tensor {
  return a.maximum(b);
}
export function minimum(a: Tensor, b: Tensor): Tensor {
  return a.minimum(b);
}

// ------------------------------------------------------------------------------------------------ runtime

export function manualSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0) throw new LenguaError(`manualSeed(): seed must be a non-negative integer, got ${seed}`);
  N.manualSeed(seed);
}
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new LenguaError(`setNumThreads(): expected an integer >= 1, got ${n}`);
  N.setNumThreads(n);
}
export function getNumThreads(): number {
  return N.getNumThreads();
}
export const cuda = {
  isAvailable(): boolean {
    return N.cudaAvailable();
  },
  deviceCount(): number {
    return N.cudaDeviceCount();
  },
};
