/**
 * BERT as an ONNX graph, layer by layer as `models/bert/modeling.ts` (and transformers'
 * `modeling_bert.py`) computes it. RoBERTa (`roberta.ts`) reuses the body with its own position ids
 * and head, as its modeling does.
 */
import type { BertConfig, BertForMaskedLM, BertForQuestionAnswering, BertForSequenceClassification, BertForTokenClassification, BertModel } from '../models/index.js';
import type { Graph } from './graph.js';
import { int } from './graph.js';
import {
  activation, additiveAttentionMask, defaultPositionIds, embedding, firstToken, layerNorm, linear, mergeHeads, splitHeads, tiedLinear,
} from './layers.js';

type BertEmbeddings = BertModel['embeddings'];
type BertLayer = BertModel['layers'][number];
type BertSelfAttention = BertLayer['attention']['self'];
type BertResidualOutput = BertLayer['output'];

/** `scope.name`, or `name` at the top level. */
export function sub(scope: string, name: string): string {
  return scope === '' ? name : `${scope}.${name}`;
}

/** The graph's inputs as values, as the body reads them. */
export interface BertInputs {
  inputIds: string;
  attentionMask: string;
  /** null: no token_type_ids input (RoBERTa): row 0 of the table is added, as Lengua does for absent token types. */
  tokenTypeIds: string | null;
}

/** `BertEmbeddings.forward`: word + position + token type embeddings, then LayerNorm (dropout is off in inference). */
export function bertEmbeddings(g: Graph, scope: string, m: BertEmbeddings, ids: string, tokenTypeIds: string | null, positionIds: string): string {
  let x = embedding(g, sub(scope, 'word_embeddings'), m.word_embeddings, ids);
  x = g.op(scope, 'Add', [x, embedding(g, sub(scope, 'position_embeddings'), m.position_embeddings, positionIds)]);
  const types = tokenTypeIds === null
    ? g.op(sub(scope, 'token_type_embeddings'), 'Gather', [g.param(m.token_type_embeddings.weight), g.int64(0)], { attrs: { axis: int(0) } })
    : embedding(g, sub(scope, 'token_type_embeddings'), m.token_type_embeddings, tokenTypeIds);
  x = g.op(scope, 'Add', [x, types]);
  return layerNorm(g, sub(scope, 'LayerNorm'), x, m.LayerNorm);
}

/** `BertSelfAttention.forward`: softmax(q kᵀ / √d + mask) v, heads merged. */
export function bertSelfAttention(g: Graph, scope: string, m: BertSelfAttention, x: string, mask: string, config: BertConfig): string {
  const heads = config.numAttentionHeads;
  const headDim = config.hiddenSize / heads;
  const q = splitHeads(g, scope, linear(g, sub(scope, 'query'), x, m.query), heads, headDim);
  const kT = splitHeads(g, scope, linear(g, sub(scope, 'key'), x, m.key), heads, headDim, true);
  const v = splitHeads(g, scope, linear(g, sub(scope, 'value'), x, m.value), heads, headDim);
  let scores = g.op(scope, 'Div', [g.op(scope, 'MatMul', [q, kT]), g.float(Math.sqrt(headDim))]);
  scores = g.op(scope, 'Add', [scores, mask]);
  const probs = g.op(scope, 'Softmax', [scores], { attrs: { axis: int(-1) } });
  return mergeHeads(g, scope, g.op(scope, 'MatMul', [probs, v]), config.hiddenSize);
}

/** `BertSelfOutput` / `BertOutput`: LayerNorm(dense(x) + residual). */
export function bertResidualOutput(g: Graph, scope: string, m: BertResidualOutput, x: string, residual: string): string {
  const y = g.op(scope, 'Add', [linear(g, sub(scope, 'dense'), x, m.dense), residual]);
  return layerNorm(g, sub(scope, 'LayerNorm'), y, m.LayerNorm);
}

/** `BertLayer.forward`: attention (+ its output block), intermediate (dense → act), output block. */
export function bertLayer(g: Graph, scope: string, layer: BertLayer, x: string, mask: string, config: BertConfig): string {
  const attScope = sub(scope, 'attention');
  const context = bertSelfAttention(g, sub(attScope, 'self'), layer.attention.self, x, mask, config);
  const a = bertResidualOutput(g, sub(attScope, 'output'), layer.attention.output, context, x);
  const interScope = sub(scope, 'intermediate');
  const inter = activation(g, interScope, linear(g, sub(interScope, 'dense'), a, layer.intermediate.dense), config.hiddenAct);
  return bertResidualOutput(g, sub(scope, 'output'), layer.output, inter, a);
}

/**
 * `BertModel` without the pooler: the last hidden state [batch, seq, hidden]. `positionIds` computes the
 * positions from input_ids (BERT: 0..s-1; RoBERTa: padding-aware).
 */
export function bertBody(
  g: Graph, scope: string, body: BertModel, inputs: BertInputs,
  positionIds: (g: Graph, scope: string, ids: string) => string = defaultPositionIds,
): string {
  const config = body.config;
  const embScope = sub(scope, 'embeddings');
  let h = bertEmbeddings(g, embScope, body.embeddings, inputs.inputIds, inputs.tokenTypeIds, positionIds(g, embScope, inputs.inputIds));
  const mask = additiveAttentionMask(g, scope, inputs.attentionMask);
  body.layers.forEach((layer, i) => {
    h = bertLayer(g, sub(scope, `encoder.layer.${i}`), layer, h, mask, config);
  });
  return h;
}

/** `BertForSequenceClassification`: pooler (dense → tanh on the first token) → classifier. */
export function bertSequenceClassification(g: Graph, model: BertForSequenceClassification, inputs: BertInputs): string {
  const scope = model.baseModelPrefix;
  const h = bertBody(g, scope, model.body, inputs);
  const pooler = model.body.pooler!;
  const poolScope = sub(scope, 'pooler');
  const pooled = g.op(poolScope, 'Tanh', [linear(g, sub(poolScope, 'dense'), firstToken(g, poolScope, h), pooler.dense)]);
  return linear(g, 'classifier', pooled, model.classifier);
}

/**
 * `BertForTokenClassification` (and RoBERTa's, given its body's output `h`): classifier on every token,
 * [batch, seq, num_labels].
 */
export function tokenClassifier(g: Graph, model: BertForTokenClassification, h: string): string {
  return linear(g, 'classifier', h, model.classifier);
}

/** `BertForMaskedLM`: cls.predictions — transform (dense → act → LayerNorm), then the decoder tied to the word embeddings + bias. */
export function bertMaskedLM(g: Graph, model: BertForMaskedLM, inputs: BertInputs): string {
  const h = bertBody(g, model.baseModelPrefix, model.body, inputs);
  const p = model.cls.predictions;
  const scope = 'cls.predictions';
  const tScope = sub(scope, 'transform');
  const t = layerNorm(g, sub(tScope, 'LayerNorm'), activation(g, tScope, linear(g, sub(tScope, 'dense'), h, p.transform.dense), model.config.hiddenAct), p.transform.LayerNorm);
  return tiedLinear(g, sub(scope, 'decoder'), t, p.decoder?.weight ?? model.body.embeddings.word_embeddings.weight, p.bias);
}

/**
 * The extractive QA head of BERT, RoBERTa and DistilBERT (`*ForQuestionAnswering`): `qa_outputs` on every token
 * ([batch, seq, 2]), split into start and end logits [batch, seq] as transformers' `logits.split(1, -1)` + squeeze.
 */
export function questionAnsweringHead(g: Graph, model: Pick<BertForQuestionAnswering, 'qa_outputs'>, h: string): { start: string; end: string } {
  const logits = linear(g, 'qa_outputs', h, model.qa_outputs);
  const pick = (k: number): string => g.op('qa_outputs', 'Gather', [logits, g.int64(k)], { attrs: { axis: int(2) } });
  return { start: pick(0), end: pick(1) };
}
