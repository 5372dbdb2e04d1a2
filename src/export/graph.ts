/**
 * A small ONNX graph builder: named values, initializers, nodes, and graph inputs/outputs with their
 * dims, serialised as an ONNX `ModelProto` through `onnx-proto` (protobufjs-generated from the official
 * `onnx.proto`). The per-family builders (`bert.ts`, `distilbert.ts`) write their graphs with it the way
 * `modeling_*.py` writes a forward: one call per operation.
 *
 * Names follow what `torch.onnx.export` produces, so a graph reads the same in Netron: node
 * `/bert/encoder/layer.0/attention/self/query/MatMul`, its output `…/MatMul_output_0`; initializers carry
 * the model's parameter names (a weight stored transposed for a MatMul gets `.T` appended).
 */
import { constants as buffer } from 'node:buffer';
import onnxProto from 'onnx-proto';
import type { onnx as P } from 'onnx-proto';
import type { Tensor } from '../torch/index.js';
import { LenguaError } from '../errors.js';

const { onnx } = onnxProto;

/** The element types the builders use. */
export type ElemType = 'float32' | 'int64' | 'bool';
/** A dimension: a fixed size or a symbolic name (`batch_size`, `sequence_length`). */
export type Dim = number | string;

const ELEM_TYPE: Record<ElemType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

/** An attribute value, tagged with its ONNX type (an integer-valued float such as epsilon 1 stays a float). */
export type Attr = { int: number } | { float: number } | { ints: number[] } | { floats: number[] } | { string: string };

export const int = (v: number): Attr => ({ int: v });
export const float = (v: number): Attr => ({ float: v });
export const ints = (v: number[]): Attr => ({ ints: v });

/** The largest protobuf message: a model whose weights do not fit must use ONNX external data. */
export const PROTOBUF_LIMIT = 2 ** 31 - 1;

export interface OpOptions {
  attrs?: Record<string, Attr>;
  /** Name of the (first) output value; default `<node name>_output_0`. Graph outputs are named here. */
  output?: string;
  /** Number of outputs (default 1). */
  outputs?: number;
}

export interface ModelOptions {
  opset: number;
  producerName: string;
  producerVersion: string;
  docString?: string;
}

function attribute(name: string, a: Attr): P.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ('int' in a) return { name, type: T.INT, i: a.int };
  if ('float' in a) return { name, type: T.FLOAT, f: a.float };
  if ('ints' in a) return { name, type: T.INTS, ints: a.ints };
  if ('floats' in a) return { name, type: T.FLOATS, floats: a.floats };
  return { name, type: T.STRING, s: new TextEncoder().encode(a.string) };
}

function valueInfo(name: string, type: ElemType, dims: readonly Dim[]): P.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: ELEM_TYPE[type], shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

function bytesOf(data: Float32Array | BigInt64Array | Uint8Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** One ONNX graph under construction. */
export class Graph {
  private readonly nodes: P.INodeProto[] = [];
  private readonly initializers: P.ITensorProto[] = [];
  private readonly inputs: P.IValueInfoProto[] = [];
  private readonly outputs: P.IValueInfoProto[] = [];
  /** Every value name in use (inputs, initializers, node outputs): names must be unique in a graph. */
  private readonly values = new Set<string>();
  private readonly nodeNames = new Set<string>();
  private readonly constants = new Map<string, string>();
  /** Bytes of initializer data so far. */
  weightBytes = 0;

  /**
   * @param name the graph's name
   * @param paramNames the model's parameter names by tensor (`namedParameters()`): initializers are named after them
   */
  constructor(
    readonly name: string,
    private readonly paramNames: ReadonlyMap<Tensor, string>,
  ) {}

  private claim(name: string): string {
    if (this.values.has(name)) throw new Error(`ONNX value name ${name} is used twice`);
    this.values.add(name);
    return name;
  }

  /** A graph input. */
  input(name: string, type: ElemType, dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(this.claim(name), type, dims));
    return name;
  }

  /**
   * Declares `value` a graph output of the given type and dims, under `name` (the value is renamed
   * where it is produced, as torch.onnx names outputs; a value that is a graph input or an initializer,
   * or that other nodes read, gets an Identity node instead). Returns the output's name.
   */
  output(value: string, type: ElemType, dims: readonly Dim[], name: string = value): string {
    if (!this.values.has(value)) throw new Error(`graph output ${value} is not a value of the graph`);
    if (name !== value) {
      const producer = this.nodes.find((n) => n.output?.includes(value));
      const read = this.nodes.some((n) => n.input?.includes(value));
      if (producer !== undefined && !read) {
        this.claim(name);
        this.values.delete(value);
        producer.output = producer.output!.map((o) => (o === value ? name : o));
      } else {
        this.op('', 'Identity', [value], { output: name });
      }
    }
    this.outputs.push(valueInfo(name, type, dims));
    return name;
  }

  /** An initializer from raw little-endian data. */
  initializer(name: string, type: ElemType, dims: readonly number[], data: Float32Array | BigInt64Array | Uint8Array): string {
    const raw = bytesOf(data);
    this.initializers.push({ name: this.claim(name), dataType: ELEM_TYPE[type], dims: [...dims], rawData: raw });
    this.weightBytes += raw.byteLength;
    return name;
  }

  /**
   * A model parameter as an initializer under its state-dict name, as stored (embedding tables,
   * biases, LayerNorm weights), or transposed to [in, out] for a MatMul (a Linear's weight): `.T`.
   */
  param(t: Tensor, opts: { transpose?: boolean } = {}): string {
    const base = this.paramNames.get(t);
    if (base === undefined) throw new Error('a tensor the graph uses is not a parameter of the model');
    const name = opts.transpose === true ? `${base}.T` : base;
    if (this.values.has(name)) return name;
    const src = t.to({ dtype: 'float32', device: 'cpu' });
    const view = opts.transpose === true ? src.transpose(0, 1).contiguous() : src.contiguous();
    const data = view.toBytes(); // float32, little-endian, row-major: ONNX raw_data as is
    const dims = [...view.shape];
    if (view !== src) view.dispose();
    if (src !== t) src.dispose();
    return this.initializer(name, 'float32', dims, data);
  }

  /** A float32 constant (a scalar unless `dims` is given), shared by every use of the same value. */
  float(value: number | readonly number[], dims: readonly number[] = []): string {
    const values = typeof value === 'number' ? [value] : [...value];
    return this.constant('float32', values, dims);
  }

  /** An int64 constant: a scalar for a number, a 1-D tensor for an array. */
  int64(value: number | readonly number[]): string {
    return typeof value === 'number' ? this.constant('int64', [value], []) : this.constant('int64', [...value], [value.length]);
  }

  private constant(type: 'float32' | 'int64', values: number[], dims: readonly number[]): string {
    const key = `${type}:${dims.join('x')}:${values.join(',')}`;
    const known = this.constants.get(key);
    if (known !== undefined) return known;
    const name = `/Constant_${type === 'float32' ? 'float' : 'int64'}_${this.constants.size}`;
    const data = type === 'float32' ? Float32Array.from(values) : BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializer(name, type, dims, data);
    this.constants.set(key, name);
    return name;
  }

  /**
   * Adds a node `opType` in `scope` (a module path such as `bert.encoder.layer.0.attention.self`),
   * named like torch.onnx names it; returns its output value names.
   */
  ops(scope: string, opType: string, inputs: readonly string[], opts: OpOptions = {}): string[] {
    for (const i of inputs) if (i !== '' && !this.values.has(i)) throw new Error(`${scope} ${opType}: input ${i} is not a value of the graph`);
    const prefix = scope === '' ? '' : '/' + scope.split('.').join('/').replace(/\/(\d+)(?=\/|$)/g, '.$1');
    let name = `${prefix}/${opType}`;
    for (let k = 1; this.nodeNames.has(name); k++) name = `${prefix}/${opType}_${k}`;
    this.nodeNames.add(name);
    const n = opts.outputs ?? 1;
    const outputs = Array.from({ length: n }, (_, k) => this.claim(k === 0 && opts.output !== undefined ? opts.output : `${name}_output_${k}`));
    this.nodes.push({
      name, opType, input: [...inputs], output: outputs,
      attribute: Object.entries(opts.attrs ?? {}).map(([k, v]) => attribute(k, v)),
    });
    return outputs;
  }

  /** `ops` for the usual single-output node. */
  op(scope: string, opType: string, inputs: readonly string[], opts: OpOptions = {}): string {
    return this.ops(scope, opType, inputs, opts)[0]!;
  }

  get nodeCount(): number {
    return this.nodes.length;
  }

  /** The ONNX ModelProto (IR version 8, the default domain at `opset`). */
  toModel(opts: ModelOptions): P.ModelProto {
    if (this.outputs.length === 0) throw new Error('the graph has no outputs');
    return onnx.ModelProto.create({
      irVersion: 8,
      producerName: opts.producerName,
      producerVersion: opts.producerVersion,
      ...(opts.docString !== undefined ? { docString: opts.docString } : {}),
      opsetImport: [{ domain: '', version: opts.opset }],
      graph: { name: this.name, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    });
  }

  /** The serialised model, every initializer inside it. Refuses weights that cannot fit one protobuf message (see `toFiles`). */
  serialize(opts: ModelOptions): Uint8Array {
    checkProtobufSize(this.weightBytes);
    return onnx.ModelProto.encode(this.toModel(opts)).finish();
  }

  /**
   * The model file, and its external data file when the weights exceed `threshold` bytes (by default, when
   * they would not fit protobuf's 2 GB): then every initializer of at least 1 KiB (onnx.save's default
   * `size_threshold`) moves to `location` (a file name beside the model), at offsets aligned to 4096
   * bytes, and its TensorProto keeps `data_location: EXTERNAL` with `location`/`offset`/`length`, as the
   * ONNX external data spec writes it. The initializers' bytes are moved, not copied twice: the graph
   * should not be serialised again afterwards.
   */
  toFiles(opts: ModelOptions, location: string, threshold: number = EXTERNAL_DATA_THRESHOLD): { model: Uint8Array; data: Uint8Array | null } {
    if (!needsExternalData(this.weightBytes, threshold)) return { model: this.serialize(opts), data: null };
    const moved = this.initializers.filter((t) => (t.rawData?.byteLength ?? 0) >= EXTERNAL_MIN_BYTES);
    let size = 0;
    const offsets = moved.map((t) => {
      const at = align(size);
      size = at + t.rawData!.byteLength;
      return at;
    });
    if (size > MAX_EXTERNAL_DATA) {
      throw new LenguaError(
        `the weights take ${(size / 2 ** 30).toFixed(2)} GiB; the external data file is written from one buffer, at most ${(MAX_EXTERNAL_DATA / 2 ** 30).toFixed(0)} GiB in Node.js`,
        { field: 'weights' },
      );
    }
    const data = new Uint8Array(size);
    moved.forEach((t, k) => {
      const raw = t.rawData!;
      data.set(raw, offsets[k]!);
      delete t.rawData;
      t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
      t.externalData = [
        { key: 'location', value: location },
        { key: 'offset', value: String(offsets[k]) },
        { key: 'length', value: String(raw.byteLength) },
      ];
    });
    const model = onnx.ModelProto.encode(this.toModel(opts)).finish();
    checkProtobufSize(model.byteLength);
    return { model, data };
  }
}

/** Initializers smaller than this stay inside the model file (onnx.save's `size_threshold` default). */
const EXTERNAL_MIN_BYTES = 1024;
/** Offsets in the external data file are multiples of this (the page size; ONNX Runtime can map it). */
const EXTERNAL_ALIGN = 4096;
const align = (n: number): number => Math.ceil(n / EXTERNAL_ALIGN) * EXTERNAL_ALIGN;
/** The largest external data file written (one Node.js buffer: 4 GiB in Node 20). */
const MAX_EXTERNAL_DATA = buffer.MAX_LENGTH;

/** Leave room for the graph itself (nodes, names, shapes): a few MB at most for the families here. */
export const EXTERNAL_DATA_THRESHOLD = PROTOBUF_LIMIT - 16 * 2 ** 20;

/** Whether weights of `weightBytes` go to an external data file: over protobuf's 2 GB (minus room for the graph), or over `threshold`. */
export function needsExternalData(weightBytes: number, threshold: number = EXTERNAL_DATA_THRESHOLD): boolean {
  return weightBytes > Math.min(threshold, EXTERNAL_DATA_THRESHOLD);
}

/** Refuses a model file over protobuf's 2 GB limit (weights inside it): larger weights go to external data (`Graph.toFiles`). */
export function checkProtobufSize(bytes: number, source?: string): void {
  if (bytes > EXTERNAL_DATA_THRESHOLD) {
    throw new LenguaError(
      `the model takes ${(bytes / 2 ** 30).toFixed(2)} GiB; one ONNX file holds at most 2 GB (protobuf's limit): its weights must go to ONNX external data (model.onnx_data)`,
      source !== undefined ? { file: source } : {},
    );
  }
}
