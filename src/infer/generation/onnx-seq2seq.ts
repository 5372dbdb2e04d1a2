/**
 * An encoder-decoder model (T5, BART, Marian) on ONNX Runtime: `onnx/encoder_model.onnx` and the merged decoder
 * `onnx/decoder_model_merged.onnx` of an exported folder, with Optimum's names (`encoder_hidden_states`,
 * `encoder_attention_mask`, `past_key_values.{i}.decoder|encoder.key|value` in, `present.*` out). The encoder runs
 * once per call on the sources; the decoder runs the decoder start token, then one token per row against its
 * cache, the cross-attention keys and values of the first step fed back unchanged. No position ids are fed: T5's
 * relative positions and BART's / Marian's absolute ones are computed inside the graphs from the past length (the
 * shape of the cache), as Optimum's merged decoders do; BART's and Marian's tables bound the lengths
 * (max_position_embeddings), checked here before ONNX Runtime would fail on an index out of range.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { LenguaError } from '../../errors.js';
import { readConfigJson, type Json } from '../../hub/index.js';
import type { CausalLm, DecoderSession, DecoderStep } from '../../generation/search.js';
import { loadOrt, openSession } from './ort-session.js';

export const ENCODER_FILE = 'onnx/encoder_model.onnx';
export const SEQ2SEQ_DECODER_FILE = 'onnx/decoder_model_merged.onnx';

export interface Seq2SeqShape {
  numDecoderLayers: number;
  numHeads: number;
  headDim: number;
  dModel: number;
  vocabSize: number;
  decoderStartTokenId: number;
  padTokenId: number;
  /** Tokens a source, and the decoder's input, may hold (BART, Marian: max_position_embeddings; T5: no bound). */
  maxPositions: number;
}

/** The model_type values this file runs (config.json), with the families' transformers defaults below. */
export const SEQ2SEQ_MODEL_TYPES = ['t5', 'bart', 'marian'] as const;

/** Whether an exported folder's config.json model_type is an encoder-decoder model OnnxSeq2SeqLm runs. */
export function isSeq2SeqModelType(modelType: unknown): boolean {
  return (SEQ2SEQ_MODEL_TYPES as readonly unknown[]).includes(modelType);
}

/** transformers' BartConfig / MarianConfig defaults of the fields read here. */
const BART_LIKE_DEFAULTS: Record<'bart' | 'marian', Json> = {
  bart: { decoder_layers: 12, decoder_attention_heads: 16, d_model: 1024, vocab_size: 50265, decoder_start_token_id: 2, pad_token_id: 1, max_position_embeddings: 1024 },
  marian: { decoder_layers: 12, decoder_attention_heads: 16, d_model: 1024, vocab_size: 58101, decoder_start_token_id: 58100, pad_token_id: 58100, max_position_embeddings: 1024, share_encoder_decoder_embeddings: true },
};

function positiveInt(json: Json, key: string, file: string, fallback?: number): number {
  const v = json[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > 10_000_000) throw new LenguaError(`expected a non-negative integer, got ${JSON.stringify(v)}`, { file, field: key });
  return v;
}

/**
 * The shapes of a T5 config.json (d_model, d_kv, num_heads, num_decoder_layers or num_layers, vocab_size), or of a
 * BART / Marian one (decoder_layers, decoder_attention_heads, d_model / heads per head; the logits' width is Marian's
 * decoder_vocab_size when the stacks do not share their embeddings).
 */
export function seq2seqShape(config: Json, file: string): Seq2SeqShape {
  if (config.model_type === 'bart' || config.model_type === 'marian') return bartLikeShape({ ...BART_LIKE_DEFAULTS[config.model_type], ...config }, file);
  if (config.model_type !== 't5') {
    throw new LenguaError(`text-to-text generation on ONNX Runtime supports model_type ${SEQ2SEQ_MODEL_TYPES.join(', ')}, got ${JSON.stringify(config.model_type)}`, { file, field: 'model_type' });
  }
  const layers = positiveInt(config, 'num_layers', file, 6);
  return {
    numDecoderLayers: config.num_decoder_layers === null || config.num_decoder_layers === undefined ? layers : positiveInt(config, 'num_decoder_layers', file),
    numHeads: positiveInt(config, 'num_heads', file, 8),
    headDim: positiveInt(config, 'd_kv', file, 64),
    dModel: positiveInt(config, 'd_model', file, 512),
    vocabSize: positiveInt(config, 'vocab_size', file, 32128),
    decoderStartTokenId: positiveInt(config, 'decoder_start_token_id', file, 0),
    padTokenId: positiveInt(config, 'pad_token_id', file, 0),
    maxPositions: Number.MAX_SAFE_INTEGER,
  };
}

function bartLikeShape(config: Json, file: string): Seq2SeqShape {
  const heads = positiveInt(config, 'decoder_attention_heads', file);
  const dModel = positiveInt(config, 'd_model', file);
  if (heads === 0 || dModel % heads !== 0) throw new LenguaError(`d_model ${dModel} is not a multiple of decoder_attention_heads ${heads}`, { file, field: 'decoder_attention_heads' });
  const vocab = positiveInt(config, 'vocab_size', file);
  const ownDecoderVocab = config.model_type === 'marian' && config.share_encoder_decoder_embeddings === false && config.decoder_vocab_size != null;
  return {
    numDecoderLayers: positiveInt(config, 'decoder_layers', file),
    numHeads: heads,
    headDim: dModel / heads,
    dModel,
    vocabSize: ownDecoderVocab ? positiveInt(config, 'decoder_vocab_size', file) : vocab,
    decoderStartTokenId: positiveInt(config, 'decoder_start_token_id', file),
    padTokenId: positiveInt(config, 'pad_token_id', file),
    maxPositions: positiveInt(config, 'max_position_embeddings', file),
  };
}

export class OnnxSeq2SeqLm {
  private constructor(
    readonly dir: string,
    readonly shape: Seq2SeqShape,
    private readonly ort: typeof Ort,
    private readonly encoder: Ort.InferenceSession,
    private readonly decoder: Ort.InferenceSession,
  ) {}

  /** Loads the encoder and the merged decoder of an exported folder with `threads` intra-op threads each. */
  static async load(dir: string, threads: number): Promise<OnnxSeq2SeqLm> {
    for (const f of [ENCODER_FILE, SEQ2SEQ_DECODER_FILE]) {
      if (!existsSync(join(dir, f))) throw new LenguaError(`no ${f}: export the model with \`lengua export --task text2text-generation\``, { file: dir });
    }
    const { json, file } = readConfigJson(dir);
    const shape = seq2seqShape(json, file);
    const ort = await loadOrt();
    const encoder = await openSession(ort, join(dir, ENCODER_FILE), threads, ['input_ids', 'attention_mask'], ['last_hidden_state']);
    const past: string[] = [];
    const present: string[] = ['logits'];
    for (let i = 0; i < shape.numDecoderLayers; i++) {
      for (const part of ['decoder', 'encoder']) {
        for (const kv of ['key', 'value']) {
          past.push(`past_key_values.${i}.${part}.${kv}`);
          present.push(`present.${i}.${part}.${kv}`);
        }
      }
    }
    let decoder: Ort.InferenceSession;
    try {
      decoder = await openSession(ort, join(dir, SEQ2SEQ_DECODER_FILE), threads, ['input_ids', 'encoder_attention_mask', 'encoder_hidden_states', ...past], present);
    } catch (err) {
      await encoder.release();
      throw err;
    }
    return new OnnxSeq2SeqLm(dir, shape, ort, encoder, decoder);
  }

  /** The model as a CausalLm over decoder tokens for these sources (rows: each source repeated rows / sources times). */
  forSources(sources: readonly (readonly number[])[]): CausalLm {
    if (sources.length === 0) throw new LenguaError('no source to generate from', { field: 'sources' });
    const max = this.shape.maxPositions;
    const long = sources.findIndex((s) => s.length > max);
    if (long >= 0) throw new LenguaError(`source ${long} has ${sources[long]!.length} tokens, more than the model's ${max} positions (max_position_embeddings); truncate it`, { file: this.dir, field: 'sources' });
    return { vocabSize: this.shape.vocabSize, maxPositions: max, start: (rows) => new OnnxSeq2SeqSession(this, sources, rows) };
  }

  /** @internal The encoder's output [rows, len, d_model] for right-padded sources, and their mask. */
  async encode(sources: readonly (readonly number[])[]): Promise<{ hidden: Float32Array; mask: BigInt64Array; len: number }> {
    const len = Math.max(1, ...sources.map((s) => s.length));
    const ids = new BigInt64Array(sources.length * len).fill(BigInt(this.shape.padTokenId));
    const mask = new BigInt64Array(sources.length * len);
    sources.forEach((s, r) => s.forEach((id, t) => {
      ids[r * len + t] = BigInt(id);
      mask[r * len + t] = 1n;
    }));
    const out = await this.encoder.run({ input_ids: this.tensor('int64', ids, [sources.length, len]), attention_mask: this.tensor('int64', mask, [sources.length, len]) });
    return { hidden: out.last_hidden_state!.data as Float32Array, mask, len };
  }

  /** @internal */
  async runDecoder(feeds: Record<string, Ort.Tensor>): Promise<Record<string, Ort.Tensor>> {
    return this.decoder.run(feeds);
  }

  /** @internal */
  tensor(type: 'int64' | 'float32' | 'bool', data: BigInt64Array | Float32Array | Uint8Array, dims: number[]): Ort.Tensor {
    return new this.ort.Tensor(type, data as never, dims);
  }

  async release(): Promise<void> {
    await this.encoder.release();
    await this.decoder.release();
  }
}

/** Rows of a [rows, ...] float32 buffer picked by index (per = values per row). */
function pickRows<T extends Float32Array | BigInt64Array>(t: T, per: number, rows: readonly number[], make: (n: number) => T): T {
  const out = make(rows.length * per);
  rows.forEach((r, i) => out.set(t.subarray(r * per, (r + 1) * per) as never, i * per));
  return out;
}

class OnnxSeq2SeqSession implements DecoderSession {
  private encoded: Promise<{ hidden: Float32Array; mask: BigInt64Array; len: number }>;
  /** present.* of the last step by name. */
  private past = new Map<string, Float32Array>();
  private pastLen = 0;
  /** Cross-attention keys/values per row: the encoder length. */
  private encoderPastLen = 0;

  constructor(
    private readonly model: OnnxSeq2SeqLm,
    sources: readonly (readonly number[])[],
    private rows: number,
  ) {
    if (rows % sources.length !== 0) throw new LenguaError(`${rows} rows for ${sources.length} sources`, { field: 'sources' });
    const per = rows / sources.length;
    const index = Array.from({ length: rows }, (_, r) => Math.floor(r / per));
    this.encoded = model.encode(sources).then((e) => ({
      hidden: pickRows(e.hidden, e.len * model.shape.dModel, index, (n) => new Float32Array(n)),
      mask: pickRows(e.mask, e.len, index, (n) => new BigInt64Array(n)),
      len: e.len,
    }));
  }

  async step(input: DecoderStep): Promise<Float32Array> {
    const { shape } = this.model;
    const enc = await this.encoded;
    const rows = input.ids.length;
    if (rows !== this.rows) throw new LenguaError(`expected ${this.rows} rows, got ${rows}`, { field: 'ids' });
    const n = input.newTokens;
    const total = input.ids[0]!.length;
    if (total !== this.pastLen + n) throw new LenguaError(`the cache holds ${this.pastLen} positions but the step brings ${total - n}`, { field: 'ids' });
    const ids = new BigInt64Array(rows * n);
    for (let r = 0; r < rows; r++) for (let j = 0; j < n; j++) ids[r * n + j] = BigInt(input.ids[r]![total - n + j]!);
    const m = this.model;
    const feeds: Record<string, Ort.Tensor> = {
      input_ids: m.tensor('int64', ids, [rows, n]),
      encoder_attention_mask: m.tensor('int64', enc.mask, [rows, enc.len]),
      encoder_hidden_states: m.tensor('float32', enc.hidden, [rows, enc.len, shape.dModel]),
      use_cache_branch: m.tensor('bool', Uint8Array.of(this.pastLen > 0 ? 1 : 0), [1]),
    };
    for (let i = 0; i < shape.numDecoderLayers; i++) {
      for (const kv of ['key', 'value']) {
        feeds[`past_key_values.${i}.decoder.${kv}`] = m.tensor('float32', this.past.get(`present.${i}.decoder.${kv}`) ?? new Float32Array(0), [rows, shape.numHeads, this.pastLen, shape.headDim]);
        feeds[`past_key_values.${i}.encoder.${kv}`] = m.tensor('float32', this.past.get(`present.${i}.encoder.${kv}`) ?? new Float32Array(0), [rows, shape.numHeads, this.encoderPastLen, shape.headDim]);
      }
    }
    const out = await m.runDecoder(feeds);
    for (const [name, t] of Object.entries(out)) if (name.startsWith('present.')) this.past.set(name, t.data as Float32Array);
    this.pastLen = total;
    this.encoderPastLen = enc.len;
    const logits = out.logits!.data as Float32Array;
    const V = shape.vocabSize;
    if (logits.length !== rows * n * V) throw new LenguaError(`logits have ${logits.length} values, expected ${rows}×${n}×${V}`, { file: m.dir, field: 'logits' });
    if (n === 1) return logits;
    const last = new Float32Array(rows * V);
    for (let r = 0; r < rows; r++) last.set(logits.subarray((r * n + n - 1) * V, (r * n + n) * V), r * V);
    return last;
  }

  reorder(order: readonly number[]): void {
    if (order.length === this.rows && order.every((r, i) => r === i)) return;
    const { shape } = this.model;
    const perHead = shape.numHeads * shape.headDim;
    for (const [name, t] of this.past) {
      const len = name.includes('.decoder.') ? this.pastLen : this.encoderPastLen;
      this.past.set(name, pickRows(t, perHead * len, order, (n) => new Float32Array(n)));
    }
    this.encoded = this.encoded.then((e) => ({
      hidden: pickRows(e.hidden, e.len * shape.dModel, order, (n) => new Float32Array(n)),
      mask: pickRows(e.mask, e.len, order, (n) => new BigInt64Array(n)),
      len: e.len,
    }));
    this.rows = order.length;
  }

  close(): void {
    this.past.clear();
  }
}
