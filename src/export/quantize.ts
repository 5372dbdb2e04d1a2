/**
 * int8 dynamic quantization of an exported graph, as `onnxruntime.quantization.quantize_dynamic` does it
 * (and Optimum's `ORTQuantizer` with a dynamic config, and Transformers.js' `q8` files): every MatMul whose
 * B is a float 2-D initializer gets int8 weights, symmetric, one scale per output column; its activation
 * is quantized at run time to uint8 by `DynamicQuantizeLinear`; the product runs in `MatMulInteger`
 * (int32), is cast to float and multiplied by `a_scale · b_scale`. Everything else (embeddings Gather,
 * LayerNormalization, Softmax, GELU, the attention products of two activations) stays float32.
 *
 * Why the MatMulInteger ("QOperator" / IntegerOps) form and not QDQ: ONNX Runtime's CPU provider fuses exactly
 * this pattern (DynamicQuantizeLinear → MatMulInteger → Cast → Mul, with the bias Add) into its
 * `MatMulIntegerToFloat` / `DynamicQuantizeMatMul` kernels (every one of them, a test checks), which run u8·s8
 * products on VNNI/AVX2; it is the form `quantize_dynamic` writes and what Transformers.js' `model_quantized.onnx` (`dtype: 'q8'`) files hold,
 * so onnxruntime-web runs them too. The QDQ form is ORT's format for static quantization (calibrated
 * activation scales); a QDQ graph with run-time activation scales has no fused CPU kernel to land on and
 * would dequantize back to a float MatMul. Every op used is in the default ONNX domain (opset ≥ 11), so
 * `onnx.checker` accepts the file.
 *
 * Why 7-bit weights by default (`reduceRange`, [-64, 64], as Transformers.js' quantize script and ORT's advice
 * for x86): on AVX2 without VNNI, ORT's u8·s8 kernel sums pairs of products in int16 with saturation
 * (`vpmaddubsw`); 255 · 64 · 2 = 32640 fits, 255 · 127 · 2 does not. With 7 bits the integer products are
 * exact on every CPU, so the quantized model computes the same thing everywhere.
 *
 * The word-embedding Gather is not quantized (Optimum's dynamic default quantizes MatMul only): it would
 * shrink the file by 3/4 of the embedding table, but adds a dequantization per lookup and speeds up nothing.
 */
import onnxProto from 'onnx-proto';
import type { onnx as P } from 'onnx-proto';
import { rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { LenguaError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';
import type { BuiltGraph } from './families.js';
import { validationBatches, type ValidationBatch } from './validate.js';

const { onnx } = onnxProto;
const DT = onnx.TensorProto.DataType;

/** Where the quantized graph goes inside the output folder (the Transformers.js `q8` file). */
export const QUANTIZED_ONNX_FILE = 'onnx/model_quantized.onnx';

export const QUANTIZE_MODES = ['int8'] as const;
export type QuantizeMode = (typeof QUANTIZE_MODES)[number];

export interface QuantizeOptions {
  /** One weight scale per output column (default true, as `quantize_dynamic(per_channel=True)`); false: one per matrix. */
  perChannel?: boolean;
  /** 7-bit weights [-64, 64] (default true; see the file comment); false: [-127, 127]. */
  reduceRange?: boolean;
}

export interface QuantizedMatMul {
  /** The float MatMul node replaced. */
  node: string;
  weight: string;
  /** [K, N] of the weight. */
  shape: [number, number];
  /** ‖dequantized W − W‖_F / ‖W‖_F: the weight rounding error, exactly. */
  weightRelError: number;
}

export interface QuantizeReport {
  matmuls: QuantizedMatMul[];
  /** MatMuls left in float32 (both inputs are activations: the attention products). */
  floatMatMuls: number;
  /** The longest chain of quantized MatMuls from an input to an output (the depth the error compounds over). */
  depth: number;
  perChannel: boolean;
  reduceRange: boolean;
  /** Initializer bytes before and after. */
  weightBytes: { before: number; after: number };
}

/** A float32 initializer's values (raw_data or float_data), copied to an aligned array. */
function floatValues(t: P.ITensorProto, where: string): Float32Array {
  const n = (t.dims ?? []).reduce<number>((a, d) => a * Number(d), 1);
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    throw new LenguaError(`initializer ${t.name} is stored as external data, which the quantizer does not read`, { file: where });
  }
  if (t.rawData !== undefined && t.rawData !== null && t.rawData.byteLength > 0) {
    if (t.rawData.byteLength !== n * 4) throw new LenguaError(`initializer ${t.name} holds ${t.rawData.byteLength} bytes for ${n} float32 values`, { file: where });
    const copy = new Uint8Array(t.rawData); // raw_data may start at any offset of the protobuf buffer
    return new Float32Array(copy.buffer, 0, n);
  }
  const fd = t.floatData ?? [];
  if (fd.length !== n) throw new LenguaError(`initializer ${t.name} holds ${fd.length} values for dims [${(t.dims ?? []).join(', ')}]`, { file: where });
  return Float32Array.from(fd);
}

function bytesOf(a: Float32Array | Int8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function tensorBytes(t: P.ITensorProto): number {
  if (t.rawData !== undefined && t.rawData !== null && t.rawData.byteLength > 0) return t.rawData.byteLength;
  return 4 * ((t.floatData?.length ?? 0) + (t.int32Data?.length ?? 0)) + 8 * (t.int64Data?.length ?? 0);
}

/**
 * Symmetric int8 quantization of a [K, N] row-major weight, per column or per tensor, as ORT's
 * `quantize_data(symmetric=True)`: scale = 2·max|w| / (qmax − qmin) (1 where the column is all zeros),
 * q = clamp(round(w / scale), qmin, qmax), zero point 0. Rounds half to even like numpy.
 */
export function quantizeWeight(w: Float32Array, k: number, n: number, opts: { perChannel: boolean; reduceRange: boolean }): { q: Int8Array; scale: Float32Array; relError: number } {
  const [qmin, qmax] = opts.reduceRange ? [-64, 64] : [-127, 127];
  const cols = opts.perChannel ? n : 1;
  const absmax = new Float64Array(cols);
  for (let r = 0; r < k; r++) {
    for (let c = 0; c < n; c++) {
      const a = Math.abs(w[r * n + c]!);
      const j = opts.perChannel ? c : 0;
      if (a > absmax[j]!) absmax[j] = a;
    }
  }
  const scale = new Float32Array(cols);
  for (let j = 0; j < cols; j++) scale[j] = absmax[j]! > 0 ? Math.fround((2 * absmax[j]!) / (qmax - qmin)) : 1;
  const q = new Int8Array(k * n);
  let err2 = 0;
  let norm2 = 0;
  for (let r = 0; r < k; r++) {
    for (let c = 0; c < n; c++) {
      const i = r * n + c;
      const s = scale[opts.perChannel ? c : 0]!;
      const x = Math.fround(w[i]! / s);
      let v = Math.round(x);
      if (v - x === 0.5 && v % 2 !== 0) v -= 1; // half to even
      v = Math.min(qmax, Math.max(qmin, v));
      q[i] = v;
      const d = v * s - w[i]!;
      err2 += d * d;
      norm2 += w[i]! * w[i]!;
    }
  }
  return { q, scale, relError: norm2 > 0 ? Math.sqrt(err2 / norm2) : 0 };
}

/**
 * Returns the dynamic-quantized copy of `model` (the input is not modified; float initializers that
 * only quantized MatMuls read are dropped from the copy). `source` names the file in errors.
 */
export function quantizeDynamic(model: P.IModelProto, opts: QuantizeOptions = {}, source = 'model'): { model: P.ModelProto; report: QuantizeReport } {
  const perChannel = opts.perChannel ?? true;
  const reduceRange = opts.reduceRange ?? true;
  const graph = model.graph;
  if (graph === undefined || graph === null) throw new LenguaError('the model has no graph', { file: source });
  const opset = (model.opsetImport ?? []).find((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx');
  if (opset === undefined || Number(opset.version) < 11) {
    throw new LenguaError(`DynamicQuantizeLinear needs opset 11 or later; the model imports opset ${opset?.version ?? 'none'}`, { file: source, field: 'opset_import' });
  }
  const nodes = graph.node ?? [];
  const inits = new Map<string, P.ITensorProto>((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const readers = new Map<string, number>();
  for (const nd of nodes) for (const i of nd.input ?? []) readers.set(i, (readers.get(i) ?? 0) + 1);
  for (const o of graph.output ?? []) readers.set(o.name ?? '', (readers.get(o.name ?? '') ?? 0) + 1);

  // Every value name in use: the new ones must not collide.
  const taken = new Set<string>([...inits.keys(), ...(graph.input ?? []).map((i) => i.name ?? '')]);
  for (const nd of nodes) {
    for (const o of nd.output ?? []) taken.add(o);
    taken.add(nd.name ?? '');
  }
  const fresh = (name: string): string => {
    let s = name;
    for (let k = 1; taken.has(s); k++) s = `${name}_${k}`;
    taken.add(s);
    return s;
  };

  const isQuantizable = (nd: P.INodeProto): boolean => {
    if (nd.opType !== 'MatMul' || (nd.domain ?? '') !== '' || nd.input?.length !== 2) return false;
    const b = inits.get(nd.input[1]!);
    return b !== undefined && b.dataType === DT.FLOAT && (b.dims ?? []).length === 2 && !inits.has(nd.input[0]!);
  };

  const newNodes: P.INodeProto[] = [];
  const newInits: P.ITensorProto[] = [];
  const quantizedWeights = new Map<string, { q: string; scale: string; zp: string }>();
  const quantizedActs = new Map<string, { q: string; scale: string; zp: string }>();
  const report: QuantizeReport = { matmuls: [], floatMatMuls: 0, depth: 0, perChannel, reduceRange, weightBytes: { before: 0, after: 0 } };
  // Depth: the most quantized MatMuls on any path to a value (nodes are in topological order, as ONNX requires).
  const depthOf = new Map<string, number>();
  const depthIn = (nd: P.INodeProto): number => Math.max(0, ...(nd.input ?? []).map((i) => depthOf.get(i) ?? 0));

  for (const nd of nodes) {
    if (!isQuantizable(nd)) {
      if (nd.opType === 'MatMul') report.floatMatMuls++;
      const d = depthIn(nd);
      for (const o of nd.output ?? []) depthOf.set(o, d);
      newNodes.push(nd);
      continue;
    }
    const [a, bName] = [nd.input![0]!, nd.input![1]!];
    const out = nd.output![0]!;
    const name = nd.name !== undefined && nd.name !== null && nd.name !== '' ? nd.name : fresh(`${out}_MatMul`);
    const b = inits.get(bName)!;
    const [k, n] = (b.dims ?? []).map(Number) as [number, number];

    let wq = quantizedWeights.get(bName);
    if (wq === undefined) {
      const { q, scale, relError } = quantizeWeight(floatValues(b, source), k, n, { perChannel, reduceRange });
      wq = { q: fresh(`${bName}_quantized`), scale: fresh(`${bName}_scale`), zp: fresh(`${bName}_zero_point`) };
      const cols = perChannel ? [n] : [];
      newInits.push(
        { name: wq.q, dataType: DT.INT8, dims: [k, n], rawData: bytesOf(q) },
        { name: wq.scale, dataType: DT.FLOAT, dims: cols, rawData: bytesOf(scale) },
        { name: wq.zp, dataType: DT.INT8, dims: cols, rawData: new Uint8Array(perChannel ? n : 1) },
      );
      quantizedWeights.set(bName, wq);
      report.matmuls.push({ node: name, weight: bName, shape: [k, n], weightRelError: relError });
    } else {
      report.matmuls.push({ node: name, weight: bName, shape: [k, n], weightRelError: report.matmuls.find((m) => m.weight === bName)!.weightRelError });
    }

    // One DynamicQuantizeLinear per activation, shared by the MatMuls that read it (query, key and value),
    // as quantize_dynamic does: the activation is scanned and rounded once.
    let aq = quantizedActs.get(a);
    if (aq === undefined) {
      aq = { q: fresh(`${a}_quantized`), scale: fresh(`${a}_scale`), zp: fresh(`${a}_zero_point`) };
      newNodes.push({ name: fresh(`${a}_QuantizeLinear`), opType: 'DynamicQuantizeLinear', input: [a], output: [aq.q, aq.scale, aq.zp] });
      quantizedActs.set(a, aq);
    }
    // The pattern ORT fuses into MatMulIntegerToFloat: its own scale Mul per MatMul (the fusion requires it).
    const scales = fresh(`${name}_quant_scales`);
    const int32 = fresh(`${out}_quantized`);
    const asFloat = fresh(`${out}_quantized_cast`);
    newNodes.push(
      { name: fresh(`${name}_quant_scales_mul`), opType: 'Mul', input: [aq.scale, wq.scale], output: [scales] },
      { name: fresh(`${name}_quant`), opType: 'MatMulInteger', input: [aq.q, wq.q, aq.zp, wq.zp], output: [int32] },
      { name: fresh(`${name}_quant_output_cast`), opType: 'Cast', input: [int32], output: [asFloat], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: DT.FLOAT }] },
      // The float MatMul's output name is kept: the nodes that read it are unchanged.
      { name: fresh(`${name}_quant_output_scale_mul`), opType: 'Mul', input: [asFloat, scales], output: [out] },
    );
    depthOf.set(out, depthIn(nd) + 1);
  }
  report.depth = Math.max(0, ...(graph.output ?? []).map((o) => depthOf.get(o.name ?? '') ?? 0));

  // Float weights only the replaced MatMuls read are dropped; one read elsewhere too stays.
  const stillRead = new Set<string>();
  for (const nd of newNodes) for (const i of nd.input ?? []) stillRead.add(i);
  for (const o of graph.output ?? []) stillRead.add(o.name ?? '');
  const keptInits = (graph.initializer ?? []).filter((t) => !quantizedWeights.has(t.name ?? '') || stillRead.has(t.name ?? ''));
  const initializer = [...keptInits, ...newInits];
  report.weightBytes = {
    before: (graph.initializer ?? []).reduce((s, t) => s + tensorBytes(t), 0),
    after: initializer.reduce((s, t) => s + tensorBytes(t), 0),
  };
  const copy = onnx.ModelProto.create({
    ...model,
    graph: onnx.GraphProto.create({ ...graph, node: newNodes, initializer }),
  });
  return { model: copy, report };
}

/** The serialised quantized model (the same as `quantizeDynamic` on the decoded bytes, then encoded). */
export function quantizeBytes(bytes: Uint8Array, opts: QuantizeOptions = {}, source = 'model'): { bytes: Uint8Array; report: QuantizeReport } {
  let decoded: P.ModelProto;
  try {
    decoded = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new LenguaError(`not an ONNX model: ${(err as Error).message}`, { file: source }, { cause: err });
  }
  const { model, report } = quantizeDynamic(decoded, opts, source);
  return { bytes: onnx.ModelProto.encode(model).finish(), report };
}

// ---------------------------------------------------------------------------------------------------
// Validation of the quantized file against the float file, both in ONNX Runtime.

/**
 * The default bound on the relative error of the quantized output, per quantized MatMul on the deepest
 * path: `rtol = QUANTIZED_RTOL_PER_MATMUL · √depth`.
 *
 * Why: one quantized product x·W has a relative RMS error ≈ √(ρa² / (12 · 255²) + ρw² / (12 · 128²)), where
 * ρ is the value range over the RMS value (255 uint8 steps span the activation's range, 128 steps of 7 bits
 * span each weight column's ±max). For weight columns of a few hundred roughly Gaussian values ρw ≈ 6–7, and
 * for LayerNorm outputs with a few outlier features ρa ≈ 10–20: 1.5 % + 1.1–2.3 % in quadrature ≈ 2–3 %.
 * Rounding errors of successive layers are independent, so along `depth` quantized products (the longest
 * chain: 4 per BERT layer — value, attention output, intermediate, output — plus pooler and classifier) they add in
 * quadrature (LayerNorm keeps each layer's scale): ≈ 3 % · √depth. A gross failure (a mis-scaled,
 * transposed or mis-signed weight, a wrong zero point) moves the output by its own size, a relative error
 * near 1 or more. 5 % per product keeps a margin above the estimate (BERT-base: depth 50 → 0.35; a
 * 2-layer model: depth 10 → 0.16) and far below a failure.
 */
export const QUANTIZED_RTOL_PER_MATMUL = 0.05;

export interface QuantizedValidationCase {
  batch: number;
  sequenceLength: number;
  /** ‖int8 − fp32‖₂ / ‖fp32‖₂ over the real (unpadded) positions. */
  relError: number;
  maxAbsDiff: number;
  /** Rows whose argmax agrees (logits only). */
  argmaxAgree?: number;
}

export interface QuantizedValidationReport {
  output: string;
  /** The largest relative error over the batches. */
  relError: number;
  rtol: number;
  maxAbsDiff: number;
  /** Fraction of rows with the same argmax (logits only): informative, as random-id batches may tie. */
  argmaxAgreement?: number;
  cases: QuantizedValidationCase[];
}

export interface ValidateQuantizedOptions {
  /** Largest accepted relative error (default QUANTIZED_RTOL_PER_MATMUL · √depth). */
  rtol?: number;
  threads?: number;
}

function int64Tensor(ort: typeof import('onnxruntime-node'), rows: number[][]): OrtTensor {
  return new ort.Tensor('int64', BigInt64Array.from(rows.flat().map((v) => BigInt(v))), [rows.length, rows[0]?.length ?? 0]);
}

/** Relative L2 error, max |diff| and argmax agreement of `got` against `want` over the real positions. */
export function compareOutputs(got: Float32Array, want: Float32Array, dims: readonly number[], mask: number[][], perRow: boolean): Omit<QuantizedValidationCase, 'batch' | 'sequenceLength'> {
  const [b, s] = [dims[0]!, dims[1]!];
  const width = perRow ? dims.slice(1).reduce((x, y) => x * y, 1) : dims.slice(2).reduce((x, y) => x * y, 1);
  let err2 = 0;
  let norm2 = 0;
  let maxAbs = 0;
  let agree = 0;
  const visit = (off: number): void => {
    for (let j = 0; j < width; j++) {
      const d = got[off + j]! - want[off + j]!;
      if (!Number.isFinite(d)) {
        err2 = Infinity;
        maxAbs = Infinity;
      }
      err2 += d * d;
      norm2 += want[off + j]! * want[off + j]!;
      maxAbs = Math.max(maxAbs, Math.abs(d));
    }
  };
  for (let r = 0; r < b; r++) {
    if (perRow) {
      visit(r * width);
      let ag = 0;
      let aw = 0;
      for (let j = 1; j < width; j++) {
        if (got[r * width + j]! > got[r * width + ag]!) ag = j;
        if (want[r * width + j]! > want[r * width + aw]!) aw = j;
      }
      if (ag === aw) agree++;
    } else {
      for (let t = 0; t < s; t++) if (mask[r]![t] === 1) visit((r * s + t) * width);
    }
  }
  const relError = norm2 > 0 ? Math.sqrt(err2 / norm2) : err2 === 0 ? 0 : Infinity;
  return { relError, maxAbsDiff: maxAbs, ...(perRow ? { argmaxAgree: agree } : {}) };
}

/**
 * Runs the float and the quantized file in ONNX Runtime on the export's validation batches and bounds the
 * relative error of the quantized output (see QUANTIZED_RTOL_PER_MATMUL). Throws a LenguaError naming the
 * file, the output, the error and the batch when it is beyond the bound, or when the quantized session's
 * inputs and outputs are not the float one's.
 */
export async function validateQuantized(floatFile: string, quantizedFile: string, built: BuiltGraph, depth: number, opts: ValidateQuantizedOptions = {}): Promise<QuantizedValidationReport> {
  const rtol = opts.rtol ?? QUANTIZED_RTOL_PER_MATMUL * Math.sqrt(Math.max(1, depth));
  if (!(rtol > 0 && Number.isFinite(rtol))) throw new LenguaError(`rtol must be a positive number, got ${rtol}`, { field: 'rtol' });
  const threads = opts.threads ?? Math.max(1, Math.min(4, availableParallelism()));
  const ort = await import('onnxruntime-node');
  const sessionOptions: InferenceSession.SessionOptions = { intraOpNumThreads: threads, interOpNumThreads: 1, executionProviders: ['cpu'] };
  const fp32 = await ort.InferenceSession.create(floatFile, sessionOptions);
  let int8: InferenceSession;
  try {
    int8 = await ort.InferenceSession.create(quantizedFile, sessionOptions);
  } catch (err) {
    await fp32.release();
    throw new LenguaError(`ONNX Runtime cannot load the quantized graph: ${(err as Error).message}`, { file: quantizedFile }, { cause: err });
  }
  try {
    const same = (x: readonly string[], y: readonly string[]): boolean => x.length === y.length && x.every((v, i) => v === y[i]);
    if (!same(int8.inputNames, fp32.inputNames) || !same(int8.outputNames, fp32.outputNames)) {
      throw new LenguaError(`the quantized graph has inputs [${int8.inputNames.join(', ')}] and outputs [${int8.outputNames.join(', ')}]; the float graph [${fp32.inputNames.join(', ')}] and [${fp32.outputNames.join(', ')}]`, { file: quantizedFile });
    }
    // Every output is bounded (question answering: start_logits and end_logits, each one case per batch).
    const outputs = built.outputs.map((o) => o.name);
    const output = outputs.join(', ');
    const perRow = output === 'logits';
    const cases: QuantizedValidationCase[] = [];
    for (const batch of validationBatches(built.model)) {
      const feeds = feedsOf(ort, batch, fp32.inputNames);
      const wants = await fp32.run(feeds);
      const gots = await int8.run(feeds);
      for (const name of outputs) {
        const want = wants[name]!;
        const c = compareOutputs(gots[name]!.data as Float32Array, want.data as Float32Array, want.dims, batch.attentionMask, perRow);
        const one = { batch: batch.inputIds.length, sequenceLength: batch.inputIds[0]!.length, ...c };
        cases.push(one);
        if (!(c.relError <= rtol)) {
          throw new LenguaError(
            `output "${name}" of the int8 model differs from the float model by ${(100 * c.relError).toFixed(1)} % (relative L2; bound ${(100 * rtol).toFixed(1)} % ` +
              `for ${depth} quantized MatMuls in depth) on a batch of ${one.batch} × ${one.sequenceLength} tokens`,
            { file: quantizedFile, field: name },
          );
        }
      }
    }
    const rows = cases.reduce((s, c) => s + c.batch, 0);
    return {
      output, rtol, cases,
      relError: Math.max(...cases.map((c) => c.relError)),
      maxAbsDiff: Math.max(...cases.map((c) => c.maxAbsDiff)),
      ...(perRow ? { argmaxAgreement: cases.reduce((s, c) => s + (c.argmaxAgree ?? 0), 0) / rows } : {}),
    };
  } finally {
    await fp32.release();
    await int8.release();
  }
}

function feedsOf(ort: typeof import('onnxruntime-node'), batch: ValidationBatch, names: readonly string[]): Record<string, OrtTensor> {
  const feeds: Record<string, OrtTensor> = { input_ids: int64Tensor(ort, batch.inputIds), attention_mask: int64Tensor(ort, batch.attentionMask) };
  if (names.includes('token_type_ids')) feeds.token_type_ids = int64Tensor(ort, batch.tokenTypeIds);
  return feeds;
}

export interface QuantizedExport {
  /** Relative to the output folder: `onnx/model_quantized.onnx`. */
  file: string;
  bytes: number;
  report: QuantizeReport;
  validation: QuantizedValidationReport;
  seconds: number;
}

/**
 * The `quantize: 'int8'` step of an export: quantizes the float graph's bytes, writes
 * `onnx/model_quantized.onnx` beside `onnx/model.onnx`, and validates it against the float file. On a
 * failed validation the quantized file is removed and the LenguaError thrown.
 */
export async function exportQuantized(floatFile: string, floatBytes: Uint8Array, built: BuiltGraph, opts: ValidateQuantizedOptions & QuantizeOptions = {}): Promise<QuantizedExport> {
  const t0 = performance.now();
  const file = join(dirname(floatFile), basename(QUANTIZED_ONNX_FILE));
  const { bytes, report } = quantizeBytes(floatBytes, opts, floatFile);
  writeFileAtomic(file, bytes);
  try {
    const validation = await validateQuantized(floatFile, file, built, report.depth, opts);
    return { file: QUANTIZED_ONNX_FILE, bytes: bytes.byteLength, report, validation, seconds: (performance.now() - t0) / 1000 };
  } catch (err) {
    rmSync(file, { force: true });
    throw err;
  }
}
