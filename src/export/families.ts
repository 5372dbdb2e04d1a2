/**
 * Which model exports to which graph: the export tasks (Optimum's names), the graph's inputs and
 * outputs as Optimum's task configs declare them, and the family builder for each model class.
 */
import {
  BertForSequenceClassification, BertModel, DistilBertForSequenceClassification, DistilBertModel, RobertaForSequenceClassification, RobertaModel,
} from '../models/index.js';
import type { PreTrainedModel } from '../models/index.js';
import { LenguaError } from '../errors.js';
import { Graph, type Dim, type ElemType } from './graph.js';
import { bertBody, bertSequenceClassification, type BertInputs } from './bert.js';
import { robertaBody, robertaSequenceClassification } from './roberta.js';
import { distilBody, distilSequenceClassification } from './distilbert.js';

/** Optimum's task names for what is exported so far. */
export const EXPORT_TASKS = ['text-classification', 'feature-extraction'] as const;
export type ExportTask = (typeof EXPORT_TASKS)[number];

/** A graph input or output: name, element type, dims (symbolic where dynamic). */
export interface GraphValue {
  name: string;
  type: ElemType;
  dims: Dim[];
}

export interface BuiltGraph {
  graph: Graph;
  inputs: GraphValue[];
  outputs: GraphValue[];
  /** The module the graph computes (a head model, or the base model for feature-extraction). */
  model: PreTrainedModel;
  task: ExportTask;
}

/** The families and classes that export, for error messages. */
export const EXPORTABLE = 'BertModel, BertForSequenceClassification, RobertaModel, RobertaForSequenceClassification, DistilBertModel, DistilBertForSequenceClassification';

const TEXT_DIMS: Dim[] = ['batch_size', 'sequence_length'];

/** The task a model object exports to by default: its head's, or feature-extraction for a base model. */
export function taskOfModel(model: PreTrainedModel): ExportTask {
  if (model instanceof BertModel || model instanceof DistilBertModel) return 'feature-extraction';
  if (model instanceof BertForSequenceClassification || model instanceof RobertaForSequenceClassification || model instanceof DistilBertForSequenceClassification) {
    return 'text-classification';
  }
  throw new LenguaError(`${model.className} has no ONNX export yet (exported: ${EXPORTABLE})`, { field: 'task' });
}

/** The base model inside a model (itself for a base model; the body of a head). */
export function baseModelOf(model: PreTrainedModel): BertModel | DistilBertModel {
  if (model instanceof BertModel || model instanceof DistilBertModel) return model;
  const m = model as unknown as { body?: unknown; distilbert?: unknown };
  if (m.body instanceof BertModel) return m.body;
  if (m.distilbert instanceof DistilBertModel) return m.distilbert;
  throw new LenguaError(`${model.className} has no ONNX export yet (exported: ${EXPORTABLE})`, { field: 'task' });
}

/** The module the graph of `task` computes: the model, or its base model for feature-extraction. Throws when there is no export. */
export function exportedModule(model: PreTrainedModel, task: ExportTask): PreTrainedModel {
  if (task === 'feature-extraction') return baseModelOf(model);
  if (taskOfModel(model) !== 'text-classification') {
    throw new LenguaError(`${model.className} has no sequence-classification head; export it as feature-extraction or load a *ForSequenceClassification model`, { field: 'task' });
  }
  return model;
}

/** The ONNX graph of `model` for `task` (feature-extraction of a head model exports its base model). */
export function buildGraph(model: PreTrainedModel, task: ExportTask): BuiltGraph {
  const exported = exportedModule(model, task);
  const graph = new Graph(`${exported.className} (${task})`, new Map(exported.namedParameters().map(([name, t]) => [t, name])));
  const withTokenTypes = exported.config.modelType === 'bert';
  const inputs: GraphValue[] = [
    { name: 'input_ids', type: 'int64', dims: TEXT_DIMS },
    { name: 'attention_mask', type: 'int64', dims: TEXT_DIMS },
    ...(withTokenTypes ? [{ name: 'token_type_ids', type: 'int64' as const, dims: TEXT_DIMS }] : []),
  ];
  for (const i of inputs) graph.input(i.name, i.type, i.dims);
  const bertInputs: BertInputs = { inputIds: 'input_ids', attentionMask: 'attention_mask', tokenTypeIds: withTokenTypes ? 'token_type_ids' : null };

  let value: string;
  let output: GraphValue;
  if (task === 'text-classification') {
    if (exported instanceof RobertaForSequenceClassification) value = robertaSequenceClassification(graph, exported, bertInputs);
    else if (exported instanceof BertForSequenceClassification) value = bertSequenceClassification(graph, exported, bertInputs);
    else if (exported instanceof DistilBertForSequenceClassification) value = distilSequenceClassification(graph, exported, bertInputs);
    else throw new LenguaError(`${exported.className} has no ONNX export yet (exported: ${EXPORTABLE})`, { field: 'task' });
    output = { name: 'logits', type: 'float32', dims: ['batch_size', exported.config.numLabels] };
  } else {
    const base = baseModelOf(exported);
    if (base instanceof RobertaModel) value = robertaBody(graph, '', base, bertInputs);
    else if (base instanceof BertModel) value = bertBody(graph, '', base, bertInputs);
    else value = distilBody(graph, '', base, bertInputs);
    output = { name: 'last_hidden_state', type: 'float32', dims: ['batch_size', 'sequence_length', exported.config.hiddenSize] };
  }
  graph.output(value, output.type, output.dims, output.name);
  return { graph, inputs, outputs: [output], model: exported, task };
}
