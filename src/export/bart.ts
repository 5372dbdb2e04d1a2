/**
 * BART and Marian (`BartForConditionalGeneration`, `MarianMTModel`) as the two ONNX graphs of Optimum's
 * encoder-decoder layout, with the names and the merged-decoder contract of `t5.ts`:
 *
 * - `encoder_model.onnx`: input_ids, attention_mask → last_hidden_state (`BartEncoder`: token embedding ×
 *   embed_scale, positions, layernorm_embedding for BART, post-LayerNorm layers; no final norm).
 * - `decoder_model_merged.onnx`: input_ids, encoder_attention_mask, encoder_hidden_states,
 *   `past_key_values.{i}.decoder|encoder.key|value`, use_cache_branch → logits and `present.*`.
 *
 * The two families share one builder as their models share `models/bart/modeling.ts`; what differs is read from
 * the modules: the position table (BART's learned one, read at position + 2; Marian's fixed sinusoidal buffer,
 * read at the position itself), whether `layernorm_embedding` exists, one token table or one per stack.
 * The decoder's positions start at its past length, read from the shape of the self-attention cache inside the
 * graph (as Optimum's export of `BartLearnedPositionalEmbedding(past_key_values_length)` does), so the caller feeds
 * no position ids. The cross-attention projects the encoder output only while its past is empty (t5.ts).
 */
import type { Tensor } from '../torch/index.js';
import { BartLearnedPositionalEmbedding } from '../models/index.js';
import type { BartLikeConfig, BartLikeForConditionalGeneration, PositionTable } from '../models/index.js';
import type { BartAttention, BartDecoderLayer, BartEncoderLayer, BartStack } from '../models/bart/index.js';
import { int, ints, type Graph } from './graph.js';
import { sub } from './bert.js';
import { activation, additiveAttentionMask, embedding, FLOAT32_MIN, layerNorm, linear, mergeHeads, sequenceLength, splitHeads, tiedLinear } from './layers.js';

export type BartLike = BartLikeForConditionalGeneration<BartLikeConfig>;

interface KeyValue {
  key: string;
  value: string;
}

export interface BartDecoderInputs {
  inputIds: string;
  encoderAttentionMask: string;
  encoderHiddenStates: string;
  past: Array<{ decoder: KeyValue; encoder: KeyValue }>;
}

/** dims[axis] of a value, an int64 scalar. */
function dimOf(g: Graph, scope: string, t: string, axis: number): string {
  return g.op(scope, 'Gather', [g.op(scope, 'Shape', [t]), g.int64(axis)], { attrs: { axis: int(0) } });
}

/**
 * Token embedding × embed_scale + the rows of positions start…start+s-1, then layernorm_embedding (BART).
 * The position table is the learned `nn.Embedding` (a parameter, read with fairseq's offset of 2) or Marian's
 * fixed buffer (no offset); both are `weight` on the module.
 */
function embed(g: Graph, scope: string, stack: BartStack, config: BartLikeConfig, ids: string, start: string): string {
  let h = embedding(g, sub(scope, 'embed_tokens'), stack.tokens, ids);
  // transformers multiplies by the Python float sqrt(d_model); torch rounds it to float32 for a float32 tensor, as here.
  if (config.scaleEmbedding) h = g.op(scope, 'Mul', [h, g.float(Math.sqrt(config.dModel))]);
  const table = stack.embed_positions as PositionTable & { weight: Tensor };
  const offset = table instanceof BartLearnedPositionalEmbedding ? BartLearnedPositionalEmbedding.OFFSET : 0;
  const posScope = sub(scope, 'embed_positions');
  const from = offset === 0 ? start : g.op(posScope, 'Add', [start, g.int64(offset)]);
  const to = g.op(posScope, 'Add', [from, sequenceLength(g, posScope, ids)]);
  const positions = g.op(posScope, 'Gather', [g.param(table.weight), g.op(posScope, 'Range', [from, to, g.int64(1)])], { attrs: { axis: int(0) } });
  h = g.op(scope, 'Add', [h, positions]);
  return stack.layernorm_embedding === null ? h : layerNorm(g, sub(scope, 'layernorm_embedding'), h, stack.layernorm_embedding);
}

function project(g: Graph, scope: string, m: BartAttention, x: string): KeyValue {
  const headDim = m.embedDim / m.numHeads;
  return {
    key: splitHeads(g, scope, linear(g, sub(scope, 'k_proj'), x, m.k_proj), m.numHeads, headDim),
    value: splitHeads(g, scope, linear(g, sub(scope, 'v_proj'), x, m.v_proj), m.numHeads, headDim),
  };
}

/** `BartAttention` on given keys and values: (q · kᵀ) · head_dim^-0.5 + mask, softmax, · v, out_proj (Lengua's order of operations). */
function attend(g: Graph, scope: string, m: BartAttention, x: string, kv: KeyValue, mask: string | null): string {
  const headDim = m.embedDim / m.numHeads;
  const q = splitHeads(g, scope, linear(g, sub(scope, 'q_proj'), x, m.q_proj), m.numHeads, headDim);
  const product = g.op(scope, 'MatMul', [q, g.op(scope, 'Transpose', [kv.key], { attrs: { perm: ints([0, 1, 3, 2]) } })]);
  let scores = g.op(scope, 'Mul', [product, g.float(headDim ** -0.5)]);
  if (mask !== null) scores = g.op(scope, 'Add', [scores, mask]);
  const probs = g.op(scope, 'Softmax', [scores], { attrs: { axis: int(-1) } });
  return linear(g, sub(scope, 'out_proj'), mergeHeads(g, scope, g.op(scope, 'MatMul', [probs, kv.value]), m.embedDim), m.out_proj);
}

/** Post-LayerNorm feed-forward: final_layer_norm(h + fc2(act(fc1(h)))). */
function feedForward(g: Graph, scope: string, layer: BartEncoderLayer | BartDecoderLayer, config: BartLikeConfig, h: string): string {
  const inner = activation(g, sub(scope, 'fc1'), linear(g, sub(scope, 'fc1'), h, layer.fc1), config.activationFunction);
  return layerNorm(g, sub(scope, 'final_layer_norm'), g.op(scope, 'Add', [h, linear(g, sub(scope, 'fc2'), inner, layer.fc2)]), layer.final_layer_norm);
}

/** `BartEncoder` (and Marian's): input_ids, attention_mask → last_hidden_state. */
export function bartEncoder(g: Graph, model: BartLike, inputIds: string, attentionMask: string): string {
  const config = model.config;
  const stack = model.model.encoder;
  let h = embed(g, 'encoder', stack, config, inputIds, g.int64(0));
  const mask = additiveAttentionMask(g, 'encoder', attentionMask);
  (stack.layers.items as BartEncoderLayer[]).forEach((layer, i) => {
    const scope = `encoder.layers.${i}`;
    const attnScope = sub(scope, 'self_attn');
    const a = attend(g, attnScope, layer.self_attn, h, project(g, attnScope, layer.self_attn, h), mask);
    h = layerNorm(g, sub(scope, 'self_attn_layer_norm'), g.op(scope, 'Add', [h, a]), layer.self_attn_layer_norm);
    h = feedForward(g, scope, layer, config, h);
  });
  return h;
}

/**
 * The decoder with its cache: logits (lm_head or the tied decoder token table, plus final_logits_bias); each
 * layer's present decoder and encoder keys/values are graph values named `present.{i}.decoder|encoder.key|value`.
 */
export function bartDecoder(g: Graph, model: BartLike, inputs: BartDecoderInputs): string {
  const config = model.config;
  const stack = model.model.decoder;
  const first = inputs.past[0]!;
  const s = sequenceLength(g, 'decoder', inputs.inputIds);
  const pastLen = dimOf(g, 'decoder', first.decoder.key, 2);
  const total = g.op('decoder', 'Add', [pastLen, s]);
  // Causal: query at past + i sees keys 0…past + i (no decoder padding mask: Optimum's merged decoder has none).
  const qPos = g.op('decoder', 'Unsqueeze', [g.op('decoder', 'Range', [pastLen, total, g.int64(1)]), g.int64([1])]);
  const kPos = g.op('decoder', 'Unsqueeze', [g.op('decoder', 'Range', [g.int64(0), total, g.int64(1)]), g.int64([0])]);
  const causal = g.op('decoder', 'Where', [g.op('decoder', 'LessOrEqual', [kPos, qPos]), g.float(0), g.float(FLOAT32_MIN)]);
  const crossMask = additiveAttentionMask(g, 'decoder', inputs.encoderAttentionMask);
  // The encoder output to project: all of it on the first step (empty encoder past), none of it later.
  const encLen = dimOf(g, 'decoder', inputs.encoderHiddenStates, 1);
  const take = g.op('decoder', 'Where', [g.op('decoder', 'Equal', [dimOf(g, 'decoder', first.encoder.key, 2), g.int64(0)]), encLen, g.int64(0)]);
  const encoderRows = g.op('decoder', 'Slice', [inputs.encoderHiddenStates, g.int64([0]), g.op('decoder', 'Unsqueeze', [take, g.int64([0])]), g.int64([1])]);

  let h = embed(g, 'decoder', stack, config, inputs.inputIds, pastLen);
  (stack.layers.items as BartDecoderLayer[]).forEach((layer, i) => {
    const scope = `decoder.layers.${i}`;
    const past = inputs.past[i]!;
    const selfScope = sub(scope, 'self_attn');
    const fresh = project(g, selfScope, layer.self_attn, h);
    const selfKv = {
      key: g.op(selfScope, 'Concat', [past.decoder.key, fresh.key], { attrs: { axis: int(2) }, output: `present.${i}.decoder.key` }),
      value: g.op(selfScope, 'Concat', [past.decoder.value, fresh.value], { attrs: { axis: int(2) }, output: `present.${i}.decoder.value` }),
    };
    h = layerNorm(g, sub(scope, 'self_attn_layer_norm'), g.op(scope, 'Add', [h, attend(g, selfScope, layer.self_attn, h, selfKv, causal)]), layer.self_attn_layer_norm);

    const crossScope = sub(scope, 'encoder_attn');
    const projected = project(g, crossScope, layer.encoder_attn, encoderRows);
    const crossKv = {
      key: g.op(crossScope, 'Concat', [past.encoder.key, projected.key], { attrs: { axis: int(2) }, output: `present.${i}.encoder.key` }),
      value: g.op(crossScope, 'Concat', [past.encoder.value, projected.value], { attrs: { axis: int(2) }, output: `present.${i}.encoder.value` }),
    };
    h = layerNorm(g, sub(scope, 'encoder_attn_layer_norm'), g.op(scope, 'Add', [h, attend(g, crossScope, layer.encoder_attn, h, crossKv, crossMask)]), layer.encoder_attn_layer_norm);
    h = feedForward(g, scope, layer, config, h);
  });
  const logits = model.lm_head !== null ? linear(g, 'lm_head', h, model.lm_head) : tiedLinear(g, 'lm_head', h, stack.tokens.weight, null);
  return g.op('lm_head', 'Add', [logits, g.param(model.final_logits_bias)]);
}

/** Decoder attention shape (the cache's dims) and logits width of a BART-like config. */
export function bartDecoderShape(config: BartLikeConfig): { layers: number; heads: number; headDim: number; vocab: number } {
  const heads = config.decoderAttentionHeads;
  return { layers: config.decoderLayers, heads, headDim: config.dModel / heads, vocab: config.targetVocabSize };
}
