/**
 * T5 as two ONNX graphs, Optimum's layout for encoder-decoder models (what Transformers.js loads):
 *
 * - `encoder_model.onnx`: input_ids, attention_mask → last_hidden_state, as `T5Stack` (the encoder) computes it.
 * - `decoder_model_merged.onnx`: input_ids (the new decoder tokens), encoder_attention_mask,
 *   encoder_hidden_states, `past_key_values.{i}.decoder.key/value` (the decoder's own cache) and
 *   `past_key_values.{i}.encoder.key/value` (the cross-attention keys and values of the encoder output),
 *   use_cache_branch → logits and `present.{i}.decoder.*` / `present.{i}.encoder.*`.
 *
 * One decoder graph serves the first step and the later ones without an If node, as the GPT-2 graph does: the
 * first step feeds zero-length pasts. The decoder's own keys and values are concatenated after its past. The
 * cross-attention projects the encoder output only when its past is empty: the encoder output is sliced to
 * zero rows otherwise, so a later step costs no projection, and concatenating (past, projected) gives the
 * keys and values in both cases. The relative-position bias is computed in the graph from the lengths, the
 * decoder's queries starting at its past length, with transformers' bucket formula.
 */
import type { T5Config, T5ForConditionalGeneration } from '../models/index.js';
import type { T5Attention, T5Block, T5DenseActDense, T5LayerNorm } from '../models/t5/index.js';
import { int, ints, type Graph } from './graph.js';
import { sub } from './bert.js';
import { activation, additiveAttentionMask, embedding, FLOAT32_MIN, linear, mergeHeads, sequenceLength, splitHeads, tiedLinear } from './layers.js';

export const T5_ENCODER_FILE = 'onnx/encoder_model.onnx';
export const T5_DECODER_FILE = 'onnx/decoder_model_merged.onnx';
/** Optimum's symbolic dims. */
const ENC_DIMS = ['batch_size', 'encoder_sequence_length'];
const DEC_DIMS = ['batch_size', 'decoder_sequence_length'];

interface KeyValue {
  key: string;
  value: string;
}

/** `T5LayerNorm`: weight · x / sqrt(mean(x²) + eps). */
function t5LayerNorm(g: Graph, scope: string, x: string, m: T5LayerNorm): string {
  const variance = g.op(scope, 'ReduceMean', [g.op(scope, 'Mul', [x, x])], { attrs: { axes: ints([-1]), keepdims: int(1) } });
  const inv = g.op(scope, 'Reciprocal', [g.op(scope, 'Sqrt', [g.op(scope, 'Add', [variance, g.float(m.eps)])])]);
  return g.op(scope, 'Mul', [g.op(scope, 'Mul', [x, inv]), g.param(m.weight)]);
}

function feedForward(g: Graph, scope: string, x: string, m: T5DenseActDense, config: T5Config): string {
  const h = m.wi !== null
    ? activation(g, scope, linear(g, sub(scope, 'wi'), x, m.wi), config.denseActFn)
    : g.op(scope, 'Mul', [activation(g, scope, linear(g, sub(scope, 'wi_0'), x, m.wi_0!), config.denseActFn), linear(g, sub(scope, 'wi_1'), x, m.wi_1!)]);
  return linear(g, sub(scope, 'wo'), h, m.wo);
}

/**
 * The [1, heads, q, k] bias of each relative-position bucket (transformers' `_relative_position_bucket` then
 * the bias embedding), queries at positions qStart…qStart+q-1, keys at 0…k-1.
 */
function positionBias(g: Graph, scope: string, m: T5Attention, config: T5Config, qStart: string, qLen: string, kLen: string, bidirectional: boolean): string {
  const q = g.op(scope, 'Unsqueeze', [g.op(scope, 'Range', [qStart, g.op(scope, 'Add', [qStart, qLen]), g.int64(1)]), g.int64([1])]);
  const k = g.op(scope, 'Unsqueeze', [g.op(scope, 'Range', [g.int64(0), kLen, g.int64(1)]), g.int64([0])]);
  let rel = g.op(scope, 'Sub', [k, q]); // [q, k]: k - q
  let n = config.relativeAttentionNumBuckets;
  let bucket: string | null = null;
  if (bidirectional) {
    n = Math.floor(n / 2);
    bucket = g.op(scope, 'Mul', [g.op(scope, 'Cast', [g.op(scope, 'Greater', [rel, g.int64(0)])], { attrs: { to: int(7) } }), g.int64(n)]);
    rel = g.op(scope, 'Abs', [rel]);
  } else {
    rel = g.op(scope, 'Neg', [g.op(scope, 'Min', [rel, g.int64(0)])]);
  }
  const maxExact = Math.floor(n / 2);
  const small = g.op(scope, 'Less', [rel, g.int64(maxExact)]);
  // log(rel / max_exact) / log(max_distance / max_exact) * (n - max_exact), in float32 as torch computes it;
  // rel is raised to 1 where it is 0 so the unused branch of the Where stays finite.
  const relF = g.op(scope, 'Cast', [g.op(scope, 'Max', [rel, g.int64(1)])], { attrs: { to: int(1) } });
  const logRatio = g.op(scope, 'Log', [g.op(scope, 'Div', [relF, g.float(maxExact)])]);
  const scaled = g.op(scope, 'Mul', [g.op(scope, 'Div', [logRatio, g.float(Math.log(config.relativeAttentionMaxDistance / maxExact))]), g.float(n - maxExact)]);
  const large = g.op(scope, 'Min', [g.op(scope, 'Add', [g.op(scope, 'Cast', [scaled], { attrs: { to: int(7) } }), g.int64(maxExact)]), g.int64(n - 1)]);
  let ids = g.op(scope, 'Where', [small, rel, large]);
  if (bucket !== null) ids = g.op(scope, 'Add', [bucket, ids]);
  const values = embedding(g, sub(scope, 'relative_attention_bias'), m.relative_attention_bias!, ids); // [q, k, heads]
  return g.op(scope, 'Unsqueeze', [g.op(scope, 'Transpose', [values], { attrs: { perm: ints([2, 0, 1]) } }), g.int64([0])]);
}

/** `T5Attention` on given keys and values: scores unscaled, plus the bias, softmax, the output projection. */
function attend(g: Graph, scope: string, m: T5Attention, config: T5Config, x: string, kv: KeyValue, bias: string): string {
  const q = splitHeads(g, scope, linear(g, sub(scope, 'q'), x, m.q), config.numHeads, config.dKv);
  const scores = g.op(scope, 'MatMul', [q, g.op(scope, 'Transpose', [kv.key], { attrs: { perm: ints([0, 1, 3, 2]) } })]);
  const probs = g.op(scope, 'Softmax', [g.op(scope, 'Add', [scores, bias])], { attrs: { axis: int(-1) } });
  return linear(g, sub(scope, 'o'), mergeHeads(g, scope, g.op(scope, 'MatMul', [probs, kv.value]), config.numHeads * config.dKv), m.o);
}

function project(g: Graph, scope: string, m: T5Attention, config: T5Config, x: string): KeyValue {
  return {
    key: splitHeads(g, scope, linear(g, sub(scope, 'k'), x, m.k), config.numHeads, config.dKv),
    value: splitHeads(g, scope, linear(g, sub(scope, 'v'), x, m.v), config.numHeads, config.dKv),
  };
}

/** `T5Stack` (the encoder): input_ids, attention_mask → the output after final_layer_norm. */
export function t5Encoder(g: Graph, model: T5ForConditionalGeneration, inputIds: string, attentionMask: string): string {
  const config = model.config;
  let h = embedding(g, 'encoder.embed_tokens', model.shared, inputIds);
  const s = sequenceLength(g, 'encoder', inputIds);
  let bias: string | null = null;
  model.encoder.block.items.forEach((block: T5Block, i) => {
    const scope = `encoder.block.${i}`;
    const [selfLayer, ff] = [block.layer.items[0]!, block.layer.items[block.layer.items.length - 1]!] as unknown as [
      { SelfAttention: T5Attention; layer_norm: T5LayerNorm }, { DenseReluDense: T5DenseActDense; layer_norm: T5LayerNorm },
    ];
    const attnScope = sub(scope, 'layer.0.SelfAttention');
    bias ??= g.op(attnScope, 'Add', [positionBias(g, attnScope, selfLayer.SelfAttention, config, g.int64(0), s, s, true), additiveAttentionMask(g, attnScope, attentionMask)]);
    const normed = t5LayerNorm(g, sub(scope, 'layer.0.layer_norm'), h, selfLayer.layer_norm);
    h = g.op(scope, 'Add', [h, attend(g, attnScope, selfLayer.SelfAttention, config, normed, project(g, attnScope, selfLayer.SelfAttention, config, normed), bias)]);
    const ffScope = sub(scope, 'layer.1');
    h = g.op(scope, 'Add', [h, feedForward(g, sub(ffScope, 'DenseReluDense'), t5LayerNorm(g, sub(ffScope, 'layer_norm'), h, ff.layer_norm), ff.DenseReluDense, config)]);
  });
  return t5LayerNorm(g, 'encoder.final_layer_norm', h, model.encoder.final_layer_norm);
}

export interface T5DecoderInputs {
  inputIds: string;
  encoderAttentionMask: string;
  encoderHiddenStates: string;
  past: Array<{ decoder: KeyValue; encoder: KeyValue }>;
}

/** The decoder with its cache: logits and each block's present decoder and encoder keys/values, named as Optimum names them. */
export function t5Decoder(g: Graph, model: T5ForConditionalGeneration, inputs: T5DecoderInputs): string {
  const config = model.config;
  const s = sequenceLength(g, 'decoder', inputs.inputIds);
  const first = inputs.past[0]!;
  const shapeAt = (t: string, axis: number): string => g.op('decoder', 'Gather', [g.op('decoder', 'Shape', [t]), g.int64(axis)], { attrs: { axis: int(0) } });
  const pastLen = shapeAt(first.decoder.key, 2);
  const total = g.op('decoder', 'Add', [pastLen, s]);
  // Causal: query at past + i sees keys 0…past + i.
  const qPos = g.op('decoder', 'Unsqueeze', [g.op('decoder', 'Range', [pastLen, total, g.int64(1)]), g.int64([1])]);
  const kPos = g.op('decoder', 'Unsqueeze', [g.op('decoder', 'Range', [g.int64(0), total, g.int64(1)]), g.int64([0])]);
  const causal = g.op('decoder', 'Where', [g.op('decoder', 'LessOrEqual', [kPos, qPos]), g.float(0), g.float(FLOAT32_MIN)]);
  const crossMask = additiveAttentionMask(g, 'decoder', inputs.encoderAttentionMask);
  // The encoder output to project: all of it on the first step (empty encoder past), none of it later.
  const encLen = shapeAt(inputs.encoderHiddenStates, 1);
  const take = g.op('decoder', 'Where', [g.op('decoder', 'Equal', [shapeAt(first.encoder.key, 2), g.int64(0)]), encLen, g.int64(0)]);
  const encoderRows = g.op('decoder', 'Slice', [inputs.encoderHiddenStates, g.int64([0]), g.op('decoder', 'Unsqueeze', [take, g.int64([0])]), g.int64([1])]);

  let h = embedding(g, 'decoder.embed_tokens', model.shared, inputs.inputIds);
  let selfBias: string | null = null;
  model.decoder.block.items.forEach((block: T5Block, i) => {
    const scope = `decoder.block.${i}`;
    const [selfLayer, crossLayer, ff] = block.layer.items as unknown as [
      { SelfAttention: T5Attention; layer_norm: T5LayerNorm }, { EncDecAttention: T5Attention; layer_norm: T5LayerNorm }, { DenseReluDense: T5DenseActDense; layer_norm: T5LayerNorm },
    ];
    const past = inputs.past[i]!;
    const selfScope = sub(scope, 'layer.0.SelfAttention');
    selfBias ??= g.op(selfScope, 'Add', [positionBias(g, selfScope, selfLayer.SelfAttention, config, pastLen, s, total, false), causal]);
    const normed = t5LayerNorm(g, sub(scope, 'layer.0.layer_norm'), h, selfLayer.layer_norm);
    const fresh = project(g, selfScope, selfLayer.SelfAttention, config, normed);
    const selfKv = {
      key: g.op(selfScope, 'Concat', [past.decoder.key, fresh.key], { attrs: { axis: int(2) }, output: `present.${i}.decoder.key` }),
      value: g.op(selfScope, 'Concat', [past.decoder.value, fresh.value], { attrs: { axis: int(2) }, output: `present.${i}.decoder.value` }),
    };
    h = g.op(scope, 'Add', [h, attend(g, selfScope, selfLayer.SelfAttention, config, normed, selfKv, selfBias)]);

    const crossScope = sub(scope, 'layer.1.EncDecAttention');
    const projected = project(g, crossScope, crossLayer.EncDecAttention, config, encoderRows);
    const crossKv = {
      key: g.op(crossScope, 'Concat', [past.encoder.key, projected.key], { attrs: { axis: int(2) }, output: `present.${i}.encoder.key` }),
      value: g.op(crossScope, 'Concat', [past.encoder.value, projected.value], { attrs: { axis: int(2) }, output: `present.${i}.encoder.value` }),
    };
    const crossNormed = t5LayerNorm(g, sub(scope, 'layer.1.layer_norm'), h, crossLayer.layer_norm);
    h = g.op(scope, 'Add', [h, attend(g, crossScope, crossLayer.EncDecAttention, config, crossNormed, crossKv, crossMask)]);

    const ffScope = sub(scope, 'layer.2');
    h = g.op(scope, 'Add', [h, feedForward(g, sub(ffScope, 'DenseReluDense'), t5LayerNorm(g, sub(ffScope, 'layer_norm'), h, ff.layer_norm), ff.DenseReluDense, config)]);
  });
  const out = t5LayerNorm(g, 'decoder.final_layer_norm', h, model.decoder.final_layer_norm);
  if (model.lm_head !== null) return linear(g, 'lm_head', out, model.lm_head);
  return tiedLinear(g, 'lm_head', g.op('lm_head', 'Mul', [out, g.float(config.dModel ** -0.5)]), model.shared.weight, null);
}

/** The graphs' inputs and outputs, with Optimum's names and symbolic dims. */
export function t5EncoderIo(config: T5Config): { inputs: Array<{ name: string; type: 'int64'; dims: string[] }>; output: { name: string; dims: Array<string | number> } } {
  return {
    inputs: [{ name: 'input_ids', type: 'int64', dims: ENC_DIMS }, { name: 'attention_mask', type: 'int64', dims: ENC_DIMS }],
    output: { name: 'last_hidden_state', dims: [...ENC_DIMS, config.dModel] },
  };
}

export { DEC_DIMS as T5_DECODER_DIMS, ENC_DIMS as T5_ENCODER_DIMS };
