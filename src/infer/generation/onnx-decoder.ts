/**
 * A causal LM on ONNX Runtime: `onnx/decoder_model_merged.onnx` of an exported folder (Optimum's names:
 * `past_key_values.{i}.key/value` in, `present.{i}.key/value` out, `use_cache_branch`). The first step runs
 * the whole padded prompt with zero-length past; every later step runs one token per row against the cache.
 * onnxruntime-node is imported on first use, so code that never generates does not load it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { LenguaError } from '../../errors.js';
import { readConfigJson, type Json } from '../../hub/index.js';
import type { CausalLm, DecoderSession, DecoderStep } from '../../generation/search.js';
import { loadOrt, openSession } from './ort-session.js';

// Where it lived first; infer code imports it from here.
export { modelGenerationOptions } from '../../generation/model-options.js';

export const DECODER_FILE = 'onnx/decoder_model_merged.onnx';

export interface DecoderShape {
  numLayers: number;
  numHeads: number;
  headDim: number;
  vocabSize: number;
  maxPositions: number;
}

function positiveInt(json: Json, key: string, file: string): number {
  const v = json[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1 || v > 10_000_000) throw new LenguaError(`expected a positive integer, got ${JSON.stringify(v)}`, { file, field: key });
  return v;
}

/** The cache shape from a GPT-2 config.json (n_layer, n_head, n_embd, vocab_size, n_positions). */
export function decoderShape(config: Json, file: string): DecoderShape {
  if (config.model_type !== 'gpt2') throw new LenguaError(`text generation on ONNX Runtime supports model_type gpt2, got ${JSON.stringify(config.model_type)}`, { file, field: 'model_type' });
  const numLayers = positiveInt(config, 'n_layer', file);
  const numHeads = positiveInt(config, 'n_head', file);
  const hidden = positiveInt(config, 'n_embd', file);
  if (hidden % numHeads !== 0) throw new LenguaError(`n_embd ${hidden} is not a multiple of n_head ${numHeads}`, { file, field: 'n_embd' });
  return { numLayers, numHeads, headDim: hidden / numHeads, vocabSize: positiveInt(config, 'vocab_size', file), maxPositions: positiveInt(config, 'n_positions', file) };
}

export class OnnxCausalLm implements CausalLm {
  readonly vocabSize: number;
  readonly maxPositions: number;
  private constructor(
    readonly file: string,
    readonly shape: DecoderShape,
    private readonly ort: typeof Ort,
    private readonly session: Ort.InferenceSession,
  ) {
    this.vocabSize = shape.vocabSize;
    this.maxPositions = shape.maxPositions;
  }

  /** Loads `dir/onnx/decoder_model_merged.onnx` with `threads` intra-op threads and checks its inputs and outputs. */
  static async load(dir: string, threads: number): Promise<OnnxCausalLm> {
    const file = join(dir, DECODER_FILE);
    if (!existsSync(file)) throw new LenguaError(`no ${DECODER_FILE}: export the model with \`lengua export --task text-generation\``, { file: dir });
    const { json, file: configFile } = readConfigJson(dir);
    const shape = decoderShape(json, configFile);
    const ort = await loadOrt();
    const need = ['input_ids', 'attention_mask', 'position_ids', 'use_cache_branch'];
    const outs = ['logits'];
    for (let i = 0; i < shape.numLayers; i++) {
      need.push(`past_key_values.${i}.key`, `past_key_values.${i}.value`);
      outs.push(`present.${i}.key`, `present.${i}.value`);
    }
    const session = await openSession(ort, file, threads, need, outs, ` (config.json says n_layer ${shape.numLayers})`);
    return new OnnxCausalLm(file, shape, ort, session);
  }

  start(rows: number): DecoderSession {
    return new OnnxDecoderSession(this, rows);
  }

  /** @internal */
  async run(feeds: Record<string, Ort.Tensor>): Promise<Record<string, Ort.Tensor>> {
    return this.session.run(feeds);
  }

  /** @internal */
  tensor(type: 'int64' | 'float32' | 'bool', data: BigInt64Array | Float32Array | Uint8Array, dims: number[]): Ort.Tensor {
    return new this.ort.Tensor(type, data as never, dims);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

class OnnxDecoderSession implements DecoderSession {
  /** present.* of the last step, per layer [key, value], each [rows, heads, past, headDim]. */
  private past: Float32Array[] = [];
  private pastLen = 0;

  constructor(
    private readonly model: OnnxCausalLm,
    private rows: number,
  ) {}

  async step(input: DecoderStep): Promise<Float32Array> {
    const { shape } = this.model;
    const rows = input.ids.length;
    if (rows !== this.rows) throw new LenguaError(`expected ${this.rows} rows, got ${rows}`, { field: 'ids' });
    const n = input.newTokens;
    const total = input.ids[0]!.length;
    if (total !== this.pastLen + n) throw new LenguaError(`the cache holds ${this.pastLen} positions but the step brings ${total - n}`, { field: 'ids' });
    const ids = new BigInt64Array(rows * n);
    const pos = new BigInt64Array(rows * n);
    const mask = new BigInt64Array(rows * total);
    for (let r = 0; r < rows; r++) {
      const row = input.ids[r]!;
      const p = input.positionIds[r]!;
      for (let j = 0; j < n; j++) {
        ids[r * n + j] = BigInt(row[total - n + j]!);
        pos[r * n + j] = BigInt(p[total - n + j]!);
      }
      const m = input.attentionMask[r]!;
      for (let j = 0; j < total; j++) mask[r * total + j] = BigInt(m[j]!);
    }
    const m = this.model;
    const feeds: Record<string, Ort.Tensor> = {
      input_ids: m.tensor('int64', ids, [rows, n]),
      attention_mask: m.tensor('int64', mask, [rows, total]),
      position_ids: m.tensor('int64', pos, [rows, n]),
      use_cache_branch: m.tensor('bool', Uint8Array.of(this.pastLen > 0 ? 1 : 0), [1]),
    };
    const dims = [rows, shape.numHeads, this.pastLen, shape.headDim];
    for (let i = 0; i < shape.numLayers; i++) {
      feeds[`past_key_values.${i}.key`] = m.tensor('float32', this.past[2 * i] ?? new Float32Array(0), dims);
      feeds[`past_key_values.${i}.value`] = m.tensor('float32', this.past[2 * i + 1] ?? new Float32Array(0), dims);
    }
    const out = await m.run(feeds);
    for (let i = 0; i < shape.numLayers; i++) {
      this.past[2 * i] = out[`present.${i}.key`]!.data as Float32Array;
      this.past[2 * i + 1] = out[`present.${i}.value`]!.data as Float32Array;
    }
    this.pastLen = total;
    const logits = out.logits!.data as Float32Array;
    const V = shape.vocabSize;
    if (logits.length !== rows * n * V) throw new LenguaError(`logits have ${logits.length} values, expected ${rows}×${n}×${V}`, { file: m.file, field: 'logits' });
    if (n === 1) return logits;
    const last = new Float32Array(rows * V);
    for (let r = 0; r < rows; r++) last.set(logits.subarray((r * n + n - 1) * V, (r * n + n) * V), r * V);
    return last;
  }

  reorder(rows: readonly number[]): void {
    if (this.pastLen === 0) return;
    const per = this.model.shape.numHeads * this.pastLen * this.model.shape.headDim;
    const identity = rows.length === this.rows && rows.every((r, i) => r === i);
    if (identity) return;
    this.past = this.past.map((t) => {
      const out = new Float32Array(rows.length * per);
      rows.forEach((r, i) => out.set(t.subarray(r * per, (r + 1) * per), i * per));
      return out;
    });
    this.rows = rows.length;
  }

  close(): void {
    this.past = [];
  }
}
