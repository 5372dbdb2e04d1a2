/**
 * GPT-2 as an ONNX graph, block by block as `models/gpt2/modeling.ts` (transformers' `modeling_gpt2.py`)
 * computes it: pre-LayerNorm blocks, Conv1D weights stored [in, out], causal attention combined with the
 * padding mask (one additive finfo.min mask, as `causalAttentionMask` builds it), ln_f, and the LM head
 * tied to wte.
 *
 * The text-generation graph is Optimum's merged decoder (`decoder_model_merged.onnx`, what
 * Transformers.js loads): each layer concatenates `past_key_values.{i}.key/value` [b, heads, past, d]
 * before its own keys and values and returns the result as `present.{i}.*`. The first step feeds
 * zero-length past tensors, so one graph serves both steps; `use_cache_branch` is declared (Optimum's and
 * Transformers.js' callers feed it) but the graph needs no If: concatenating an empty past is the no-cache
 * branch. Position ids are an input: the caller computes them (cumsum(mask) - 1, pads 1, as transformers'
 * generate does), since the graph cannot know where a left-padded row starts from one step's ids.
 */
import type { GPT2Config, GPT2LMHeadModel, GPT2Model } from '../models/index.js';
import { int, ints, type Graph } from './graph.js';
import { sub } from './bert.js';
import { activation, conv1d, defaultPositionIds, embedding, FLOAT32_MIN, layerNorm, linear, mergeHeads, sequenceLength, splitHeads, tiedLinear } from './layers.js';

type GPT2Block = GPT2Model['layers'][number];

/** Optimum's symbolic dims for the cache. */
export const GPT2_PAST_DIM = 'past_sequence_length';
export const GPT2_MASK_DIM = 'past_sequence_length + sequence_length';

/** A layer's cache as graph values, [b, heads, len, d] each. */
export interface KeyValue {
  key: string;
  value: string;
}

export interface Gpt2Inputs {
  inputIds: string;
  /** [b, past + s], 0 on padding. */
  attentionMask: string;
  /** [b, s]; null: 0…s-1 (no cache), GPT2Model's default. */
  positionIds: string | null;
  /** One entry per layer; null: no cache inputs (feature-extraction). */
  past: KeyValue[] | null;
}

/**
 * The additive mask [b, 1, s, past + s]: query i (absolute position past + i) may see key j when
 * j ≤ past + i and attention_mask[j] ≠ 0; 0 where allowed, finfo.min elsewhere, as `causalAttentionMask`.
 */
export function gpt2AttentionMask(g: Graph, scope: string, inputs: Gpt2Inputs): string {
  const s = sequenceLength(g, scope, inputs.inputIds);
  const first = inputs.past?.[0];
  // The cache length from the first layer's past key (dim 2); 0 without a cache.
  const past = first === undefined ? g.int64(0) : g.op(scope, 'Gather', [g.op(scope, 'Shape', [first.key]), g.int64(2)], { attrs: { axis: int(0) } });
  const total = g.op(scope, 'Add', [past, s]);
  const queries = g.op(scope, 'Unsqueeze', [g.op(scope, 'Range', [past, total, g.int64(1)]), g.int64([1])]);
  const keys = g.op(scope, 'Unsqueeze', [g.op(scope, 'Range', [g.int64(0), total, g.int64(1)]), g.int64([0])]);
  const causal = g.op(scope, 'LessOrEqual', [keys, queries]); // [s, total]
  const notPad = g.op(scope, 'Unsqueeze', [g.op(scope, 'Not', [g.op(scope, 'Equal', [inputs.attentionMask, g.int64(0)])]), g.int64([1, 2])]);
  const allowed = g.op(scope, 'And', [causal, notPad]); // [b, 1, s, total]
  return g.op(scope, 'Where', [allowed, g.float(0), g.float(FLOAT32_MIN)]);
}

/** The divisor of the scores, as GPT2Attention computes it (√d, times layer index + 1 with scale_attn_by_inverse_layer_idx). */
function attentionScale(config: GPT2Config, layerIdx: number): number {
  let scale = 1;
  if (config.scaleAttnWeights) scale *= Math.sqrt(config.nEmbd / config.numAttentionHeads);
  if (config.scaleAttnByInverseLayerIdx) scale *= layerIdx + 1;
  return scale;
}

/** `GPT2Attention.forward` with a cache: the output and the layer's present key/value [b, heads, past + s, d]. */
export function gpt2Attention(
  g: Graph, scope: string, m: GPT2Block['attn'], x: string, mask: string, config: GPT2Config, layerIdx: number, past: KeyValue | null, presentNames: KeyValue | null,
): { out: string; present: KeyValue } {
  const e = config.nEmbd;
  const heads = config.numAttentionHeads;
  const headDim = e / heads;
  const [q, k, v] = g.ops(scope, 'Split', [conv1d(g, sub(scope, 'c_attn'), x, m.c_attn), g.int64([e, e, e])], { attrs: { axis: int(2) }, outputs: 3 }) as [string, string, string];
  let key = splitHeads(g, scope, k, heads, headDim);
  let value = splitHeads(g, scope, v, heads, headDim);
  if (past !== null) {
    key = g.op(scope, 'Concat', [past.key, key], { attrs: { axis: int(2) }, ...(presentNames !== null ? { output: presentNames.key } : {}) });
    value = g.op(scope, 'Concat', [past.value, value], { attrs: { axis: int(2) }, ...(presentNames !== null ? { output: presentNames.value } : {}) });
  }
  const kT = g.op(scope, 'Transpose', [key], { attrs: { perm: ints([0, 1, 3, 2]) } });
  let w = g.op(scope, 'MatMul', [splitHeads(g, scope, q, heads, headDim), kT]);
  const scale = attentionScale(config, layerIdx);
  if (scale !== 1) w = g.op(scope, 'Div', [w, g.float(scale)]);
  const probs = g.op(scope, 'Softmax', [g.op(scope, 'Add', [w, mask])], { attrs: { axis: int(-1) } });
  const ctx = mergeHeads(g, scope, g.op(scope, 'MatMul', [probs, value]), e);
  return { out: conv1d(g, sub(scope, 'c_proj'), ctx, m.c_proj), present: { key, value } };
}

/** `GPT2Block.forward`: h = x + attn(ln_1(x)); out = h + mlp(ln_2(h)). */
export function gpt2Block(
  g: Graph, scope: string, block: GPT2Block, x: string, mask: string, config: GPT2Config, layerIdx: number, past: KeyValue | null, presentNames: KeyValue | null,
): { out: string; present: KeyValue } {
  const a = gpt2Attention(g, sub(scope, 'attn'), block.attn, layerNorm(g, sub(scope, 'ln_1'), x, block.ln_1), mask, config, layerIdx, past, presentNames);
  const h = g.op(scope, 'Add', [a.out, x]);
  const mlpScope = sub(scope, 'mlp');
  const inner = activation(g, mlpScope, conv1d(g, sub(mlpScope, 'c_fc'), layerNorm(g, sub(scope, 'ln_2'), h, block.ln_2), block.mlp.c_fc), config.activationFunction);
  return { out: g.op(scope, 'Add', [conv1d(g, sub(mlpScope, 'c_proj'), inner, block.mlp.c_proj), h]), present: a.present };
}

/** `GPT2Model.forward`: wte + wpe, the blocks, ln_f; the last hidden state and each layer's present key/value. */
export function gpt2Body(g: Graph, scope: string, body: GPT2Model, inputs: Gpt2Inputs, presentNames: KeyValue[] | null = null): { hidden: string; presents: KeyValue[] } {
  const config = body.config;
  const pos = inputs.positionIds ?? defaultPositionIds(g, scope, inputs.inputIds);
  let h = g.op(scope, 'Add', [embedding(g, sub(scope, 'wte'), body.wte, inputs.inputIds), embedding(g, sub(scope, 'wpe'), body.wpe, pos)]);
  const mask = gpt2AttentionMask(g, scope, inputs);
  const presents: KeyValue[] = [];
  body.layers.forEach((block, i) => {
    const r = gpt2Block(g, sub(scope, `h.${i}`), block, h, mask, config, i, inputs.past?.[i] ?? null, presentNames?.[i] ?? null);
    h = r.out;
    presents.push(r.present);
  });
  return { hidden: layerNorm(g, sub(scope, 'ln_f'), h, body.ln_f), presents };
}

/** GPT2Model for feature-extraction: last_hidden_state from input_ids and attention_mask (positions 0…s-1). */
export function gpt2FeatureExtraction(g: Graph, body: GPT2Model, inputIds: string, attentionMask: string): string {
  return gpt2Body(g, '', body, { inputIds, attentionMask, positionIds: null, past: null }).hidden;
}

/**
 * `GPT2LMHeadModel` with a KV cache: logits (h · wteᵀ, or lm_head when untied) and each layer's
 * present key/value, named `present.{i}.key/value` where they are produced.
 */
export function gpt2Decoder(g: Graph, model: GPT2LMHeadModel, inputs: Gpt2Inputs): { logits: string; presents: KeyValue[] } {
  const names = (inputs.past ?? []).map((_, i) => ({ key: `present.${i}.key`, value: `present.${i}.value` }));
  const { hidden, presents } = gpt2Body(g, model.baseModelPrefix, model.transformer, inputs, names);
  const logits = model.lm_head === null ? tiedLinear(g, 'lm_head', hidden, model.transformer.wte.weight, null) : linear(g, 'lm_head', hidden, model.lm_head);
  return { logits, presents };
}
