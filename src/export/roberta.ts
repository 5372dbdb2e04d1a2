/**
 * RoBERTa as an ONNX graph (`models/roberta/modeling.ts`, transformers' `modeling_roberta.py`): BERT's
 * body with padding-aware position ids and no token types, and RoBERTa's classification head.
 */
import type { RobertaForSequenceClassification, RobertaModel } from '../models/index.js';
import { int, type Graph } from './graph.js';
import { bertBody, sub, type BertInputs } from './bert.js';
import { firstToken, linear } from './layers.js';

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
