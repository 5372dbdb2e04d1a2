/**
 * RoBERTa as an ONNX graph (`models/roberta/modeling.ts`, transformers' `modeling_roberta.py`): BERT's
 * body with padding-aware position ids and no token types, and RoBERTa's classification head.
 */
import type { RobertaForMaskedLM, RobertaForSequenceClassification, RobertaModel } from '../models/index.js';
import { int, type Graph } from './graph.js';
import { bertBody, sub, type BertInputs } from './bert.js';
import { activation, firstToken, layerNorm, linear, tiedLinear } from './layers.js';

/**
 * `robertaPositionIds`: pads get `pad`, real tokens count up from pad + 1 —
 * cumsum(ids != pad) · (ids != pad) + pad, with Equal/Not/Cast/CumSum/Mul/Add.
 */
export function robertaPositionIds(g: Graph, scope: string, ids: string, pad: number): string {
  const notPad = g.op(scope, 'Not', [g.op(scope, 'Equal', [ids, g.int64(pad)])]);
  const mask = g.op(scope, 'Cast', [notPad], { attrs: { to: int(7) } });
  const counted = g.op(scope, 'CumSum', [mask, g.int64(1)]);
  return g.op(scope, 'Add', [g.op(scope, 'Mul', [counted, mask]), g.int64(pad)]);
}

/** `RobertaModel` without a pooler: the last hidden state. */
export function robertaBody(g: Graph, scope: string, body: RobertaModel, inputs: BertInputs): string {
  const pad = body.config.padTokenId!;
  return bertBody(g, scope, body, inputs, (gr, s, ids) => robertaPositionIds(gr, s, ids, pad));
}

/** `RobertaForSequenceClassification`: RobertaClassificationHead on `<s>` (dense → tanh → out_proj). */
export function robertaSequenceClassification(g: Graph, model: RobertaForSequenceClassification, inputs: BertInputs): string {
  const h = robertaBody(g, model.baseModelPrefix, model.body as RobertaModel, inputs);
  const head = model.classifier;
  const features = g.op('classifier', 'Tanh', [linear(g, sub('classifier', 'dense'), firstToken(g, 'classifier', h), head.dense)]);
  return linear(g, sub('classifier', 'out_proj'), features, head.out_proj);
}

/** `RobertaForMaskedLM`: lm_head — dense → gelu (erf) → layer_norm → decoder tied to the word embeddings + bias. */
export function robertaMaskedLM(g: Graph, model: RobertaForMaskedLM, inputs: BertInputs): string {
  const h = robertaBody(g, model.baseModelPrefix, model.body as RobertaModel, inputs);
  const head = model.lm_head;
  const x = layerNorm(g, sub('lm_head', 'layer_norm'), activation(g, 'lm_head', linear(g, sub('lm_head', 'dense'), h, head.dense), 'gelu'), head.layer_norm);
  return tiedLinear(g, sub('lm_head', 'decoder'), x, head.decoder?.weight ?? model.body.embeddings.word_embeddings.weight, head.bias);
}
