/**
 * DistilBERT as an ONNX graph, as `models/distilbert/modeling.ts` (transformers'
 * `modeling_distilbert.py`) computes it: no token types, q scaled before the product, padding masked
 * with Where (masked_fill), post-LayerNorm blocks.
 */
import type {
  DistilBertConfig, DistilBertForMaskedLM, DistilBertForSequenceClassification, DistilBertForTokenClassification, DistilBertModel,
} from '../models/index.js';
import { int, type Graph } from './graph.js';
import { sub } from './bert.js';
import {
  activation, defaultPositionIds, embedding, FLOAT32_MIN, firstToken, layerNorm, linear, mergeHeads, splitHeads, tiedLinear,
} from './layers.js';

type DistilEmbeddings = DistilBertModel['embeddings'];
type TransformerBlock = DistilBertModel['layers'][number];

/** The graph's inputs as values. */
export interface DistilBertInputs {
  inputIds: string;
  attentionMask: string;
}

/** `DistilEmbeddings.forward`: LayerNorm(word + position embeddings). */
export function distilEmbeddings(g: Graph, scope: string, m: DistilEmbeddings, ids: string): string {
  const pos = defaultPositionIds(g, scope, ids);
  const x = g.op(scope, 'Add', [embedding(g, sub(scope, 'word_embeddings'), m.word_embeddings, ids), embedding(g, sub(scope, 'position_embeddings'), m.position_embeddings, pos)]);
  return layerNorm(g, sub(scope, 'LayerNorm'), x, m.LayerNorm);
}

/** `MultiHeadSelfAttention.forward`: softmax(masked_fill((q / √d) kᵀ, pad, finfo.min)) v → out_lin. */
export function distilAttention(g: Graph, scope: string, m: TransformerBlock['attention'], x: string, masked: string, config: DistilBertConfig): string {
  const heads = config.numAttentionHeads;
  const headDim = config.dim / heads;
  const q = g.op(scope, 'Div', [splitHeads(g, scope, linear(g, sub(scope, 'q_lin'), x, m.q_lin), heads, headDim), g.float(Math.sqrt(headDim))]);
  const kT = splitHeads(g, scope, linear(g, sub(scope, 'k_lin'), x, m.k_lin), heads, headDim, true);
  const v = splitHeads(g, scope, linear(g, sub(scope, 'v_lin'), x, m.v_lin), heads, headDim);
  const scores = g.op(scope, 'Where', [masked, g.float(FLOAT32_MIN), g.op(scope, 'MatMul', [q, kT])]);
  const probs = g.op(scope, 'Softmax', [scores], { attrs: { axis: int(-1) } });
  return linear(g, sub(scope, 'out_lin'), mergeHeads(g, scope, g.op(scope, 'MatMul', [probs, v]), config.dim), m.out_lin);
}

/** `TransformerBlock.forward`: sa_layer_norm(attention + x), output_layer_norm(ffn + sa). */
export function distilBlock(g: Graph, scope: string, block: TransformerBlock, x: string, masked: string, config: DistilBertConfig): string {
  const a = distilAttention(g, sub(scope, 'attention'), block.attention, x, masked, config);
  const sa = layerNorm(g, sub(scope, 'sa_layer_norm'), g.op(scope, 'Add', [a, x]), block.sa_layer_norm);
  const ffnScope = sub(scope, 'ffn');
  const f = linear(g, sub(ffnScope, 'lin2'), activation(g, ffnScope, linear(g, sub(ffnScope, 'lin1'), sa, block.ffn.lin1), config.activation), block.ffn.lin2);
  return layerNorm(g, sub(scope, 'output_layer_norm'), g.op(scope, 'Add', [f, sa]), block.output_layer_norm);
}

/** `DistilBertModel`: the last hidden state. The mask is true where the key is padding, [batch, 1, 1, seq]. */
export function distilBody(g: Graph, scope: string, body: DistilBertModel, inputs: DistilBertInputs): string {
  const config = body.config;
  let h = distilEmbeddings(g, sub(scope, 'embeddings'), body.embeddings, inputs.inputIds);
  const masked = g.op(scope, 'Unsqueeze', [g.op(scope, 'Equal', [inputs.attentionMask, g.int64(0)]), g.int64([1, 2])]);
  body.layers.forEach((block, i) => {
    h = distilBlock(g, sub(scope, `transformer.layer.${i}`), block, h, masked, config);
  });
  return h;
}

/** `DistilBertForSequenceClassification`: h[:, 0] → pre_classifier → ReLU → classifier. */
export function distilSequenceClassification(g: Graph, model: DistilBertForSequenceClassification, inputs: DistilBertInputs): string {
  const h = distilBody(g, model.baseModelPrefix, model.distilbert, inputs);
  const pooled = g.op('pre_classifier', 'Relu', [linear(g, 'pre_classifier', firstToken(g, 'pre_classifier', h), model.pre_classifier)]);
  return linear(g, 'classifier', pooled, model.classifier);
}

/** `DistilBertForTokenClassification`: classifier on every token, [batch, seq, num_labels]. */
export function distilTokenClassification(g: Graph, model: DistilBertForTokenClassification, inputs: DistilBertInputs): string {
  return linear(g, 'classifier', distilBody(g, model.baseModelPrefix, model.distilbert, inputs), model.classifier);
}

/** `DistilBertForMaskedLM`: vocab_transform → act → vocab_layer_norm → vocab_projector (weight tied to the word embeddings, own bias). */
export function distilMaskedLM(g: Graph, model: DistilBertForMaskedLM, inputs: DistilBertInputs): string {
  const h = distilBody(g, model.baseModelPrefix, model.distilbert, inputs);
  const t = activation(g, 'vocab_transform', linear(g, 'vocab_transform', h, model.vocab_transform), model.config.activation);
  const x = layerNorm(g, 'vocab_layer_norm', t, model.vocab_layer_norm);
  const p = model.vocab_projector;
  return tiedLinear(g, 'vocab_projector', x, p.weight ?? model.distilbert.embeddings.word_embeddings.weight, p.bias);
}
