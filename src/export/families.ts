/**
 * Which model exports to which graph: the export tasks (Optimum's names), the graph's inputs and
 * outputs as Optimum's task configs declare them, and the family builder for each model class.
 */
import {
  BertForMaskedLM, BertForQuestionAnswering, BertForSequenceClassification, BertForTokenClassification, BertModel,
  DistilBertForMaskedLM, DistilBertForQuestionAnswering, DistilBertForSequenceClassification, DistilBertForTokenClassification, DistilBertModel,
  GPT2LMHeadModel, GPT2Model,
  RobertaForMaskedLM, RobertaForQuestionAnswering, RobertaForSequenceClassification, RobertaForTokenClassification, RobertaModel,
  T5ForConditionalGeneration,
  BartForConditionalGeneration, BartLikeForConditionalGeneration, MarianMTModel,
} from '../models/index.js';
import type { PreTrainedModel, Task } from '../models/index.js';
import type { Tensor } from '../torch/index.js';
import { LenguaError } from '../errors.js';
import { Graph, type Dim, type ElemType } from './graph.js';
import { bertBody, bertMaskedLM, bertSequenceClassification, questionAnsweringHead, tokenClassifier, type BertInputs } from './bert.js';
import { robertaBody, robertaMaskedLM, robertaSequenceClassification } from './roberta.js';
import { distilBody, distilMaskedLM, distilSequenceClassification, distilTokenClassification } from './distilbert.js';
import { gpt2Decoder, gpt2FeatureExtraction, GPT2_MASK_DIM, GPT2_PAST_DIM } from './gpt2.js';
import { t5Decoder, t5Encoder, T5_DECODER_DIMS, T5_DECODER_FILE, T5_ENCODER_DIMS, T5_ENCODER_FILE } from './t5.js';
import { bartDecoder, bartDecoderShape, bartEncoder, type BartLike } from './bart.js';

/** Optimum's task names for what is exported. */
export const EXPORT_TASKS = ['text-classification', 'token-classification', 'question-answering', 'fill-mask', 'feature-extraction', 'text-generation', 'text2text-generation'] as const;
export type ExportTask = (typeof EXPORT_TASKS)[number];

/** The Lengua model task (`AutoModelFor…`) whose class each export task computes. */
export const MODEL_TASK: Record<ExportTask, Task> = {
  'text-classification': 'sequence-classification',
  'token-classification': 'token-classification',
  'question-answering': 'question-answering',
  'fill-mask': 'masked-lm',
  'feature-extraction': 'base',
  'text-generation': 'causal-lm',
  'text2text-generation': 'seq2seq-lm',
};

/** The export task of a Lengua model task (config.json's architectures). */
export function exportTaskOf(task: Task): ExportTask {
  return (Object.keys(MODEL_TASK) as ExportTask[]).find((t) => MODEL_TASK[t] === task)!;
}

/** Where the graph goes inside the output folder: Optimum's and Transformers.js' file names. */
export function onnxFileOf(task: ExportTask): string {
  return task === 'text-generation' || task === 'text2text-generation' ? 'onnx/decoder_model_merged.onnx' : 'onnx/model.onnx';
}

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
  /** Encoder-decoder models: the encoder graph, written to its own file beside the decoder. */
  encoder?: { file: string; graph: Graph; inputs: GraphValue[]; outputs: GraphValue[] };
  /** Encoder-decoder models: the sizes validation feeds the merged decoder with (each family names them its own way). */
  seq2seq?: Seq2SeqGraphShape;
}

/** An encoder-decoder's sizes as its exported decoder sees them. */
export interface Seq2SeqGraphShape {
  layers: number;
  heads: number;
  headDim: number;
  /** The logits' width (Marian: decoder_vocab_size). */
  vocab: number;
  /** Ids the encoder takes (Marian with its own decoder vocabulary: vocab_size). */
  sourceVocab: number;
  decoderStartTokenId: number;
}

/** The families and classes that export, for error messages. */
export const EXPORTABLE = 'BERT, RoBERTa, DistilBERT (*Model, *ForSequenceClassification, *ForTokenClassification, *ForQuestionAnswering, *ForMaskedLM), GPT-2 (GPT2Model, GPT2LMHeadModel), T5 (T5ForConditionalGeneration), BART (BartForConditionalGeneration), Marian (MarianMTModel)';

const TEXT_DIMS: Dim[] = ['batch_size', 'sequence_length'];

/** What a head is called in errors (`… has no token-classification head`). */
const HEAD_NAME: Record<ExportTask, string> = {
  'text-classification': 'sequence-classification', 'token-classification': 'token-classification', 'question-answering': 'question-answering', 'fill-mask': 'masked-LM',
  'feature-extraction': 'base-model', 'text-generation': 'causal-LM', 'text2text-generation': 'seq2seq-LM',
};

/** The task a model object exports to by default: its head's, or feature-extraction for a base model. */
export function taskOfModel(model: PreTrainedModel): ExportTask {
  if (model instanceof BertModel || model instanceof DistilBertModel || model instanceof GPT2Model) return 'feature-extraction';
  if (model instanceof BertForSequenceClassification || model instanceof RobertaForSequenceClassification || model instanceof DistilBertForSequenceClassification) {
    return 'text-classification';
  }
  if (model instanceof BertForTokenClassification || model instanceof DistilBertForTokenClassification) return 'token-classification';
  // RobertaForQuestionAnswering is a BertForQuestionAnswering on a RobertaModel body.
  if (model instanceof BertForQuestionAnswering || model instanceof DistilBertForQuestionAnswering) return 'question-answering';
  if (model instanceof BertForMaskedLM || model instanceof RobertaForMaskedLM || model instanceof DistilBertForMaskedLM) return 'fill-mask';
  if (model instanceof GPT2LMHeadModel) return 'text-generation';
  if (model instanceof T5ForConditionalGeneration || model instanceof BartForConditionalGeneration || model instanceof MarianMTModel) return 'text2text-generation';
  throw new LenguaError(`${model.className} has no ONNX export yet (exported: ${EXPORTABLE})`, { field: 'task' });
}

/** The base model inside a model (itself for a base model; the body of a head). */
export function baseModelOf(model: PreTrainedModel): BertModel | DistilBertModel | GPT2Model {
  if (model instanceof BertModel || model instanceof DistilBertModel || model instanceof GPT2Model) return model;
  const m = model as unknown as { body?: unknown; distilbert?: unknown; transformer?: unknown };
  if (m.body instanceof BertModel) return m.body;
  if (m.distilbert instanceof DistilBertModel) return m.distilbert;
  if (m.transformer instanceof GPT2Model) return m.transformer;
  throw new LenguaError(`${model.className} has no ONNX export yet (exported: ${EXPORTABLE})`, { field: 'task' });
}

/** The module the graph of `task` computes: the model, or its base model for feature-extraction. Throws when there is no export. */
export function exportedModule(model: PreTrainedModel, task: ExportTask): PreTrainedModel {
  if (task === 'feature-extraction' && (model instanceof T5ForConditionalGeneration || model instanceof BartLikeForConditionalGeneration)) {
    throw new LenguaError(`${model.className} exports as text2text-generation (its encoder is onnx/encoder_model.onnx)`, { field: 'task' });
  }
  if (task === 'feature-extraction') return baseModelOf(model);
  if (taskOfModel(model) !== task) {
    throw new LenguaError(
      `${model.className} has no ${HEAD_NAME[task]} head; export it as ${taskOfModel(model)} (or feature-extraction), or load a model with that head`,
      { field: 'task' },
    );
  }
  return model;
}

/** The ONNX graph of `model` for `task` (feature-extraction of a head model exports its base model). */
export function buildGraph(model: PreTrainedModel, task: ExportTask): BuiltGraph {
  const exported = exportedModule(model, task);
  if (exported instanceof BartForConditionalGeneration || exported instanceof MarianMTModel) return buildBart(exported as BartLike, task);
  const graph = new Graph(`${exported.className} (${task})`, new Map(exported.namedParameters().map(([name, t]) => [t, name])));
  if (exported instanceof GPT2LMHeadModel || exported instanceof GPT2Model) return buildGpt2(graph, exported, task);
  if (exported instanceof T5ForConditionalGeneration) return buildT5(graph, exported, task);
  const withTokenTypes = exported.config.modelType === 'bert';
  const inputs: GraphValue[] = [
    { name: 'input_ids', type: 'int64', dims: TEXT_DIMS },
    { name: 'attention_mask', type: 'int64', dims: TEXT_DIMS },
    ...(withTokenTypes ? [{ name: 'token_type_ids', type: 'int64' as const, dims: TEXT_DIMS }] : []),
  ];
  for (const i of inputs) graph.input(i.name, i.type, i.dims);
  const bertInputs: BertInputs = { inputIds: 'input_ids', attentionMask: 'attention_mask', tokenTypeIds: withTokenTypes ? 'token_type_ids' : null };
  const unexported = (): never => {
    throw new LenguaError(`${exported.className} has no ONNX export yet (exported: ${EXPORTABLE})`, { field: 'task' });
  };

  let value: string;
  let output: GraphValue;
  if (task === 'text-classification') {
    if (exported instanceof RobertaForSequenceClassification) value = robertaSequenceClassification(graph, exported, bertInputs);
    else if (exported instanceof BertForSequenceClassification) value = bertSequenceClassification(graph, exported, bertInputs);
    else if (exported instanceof DistilBertForSequenceClassification) value = distilSequenceClassification(graph, exported, bertInputs);
    else return unexported();
    output = { name: 'logits', type: 'float32', dims: ['batch_size', exported.config.numLabels] };
  } else if (task === 'token-classification') {
    // RobertaForTokenClassification is a BertForTokenClassification on a RobertaModel body: only the body differs.
    if (exported instanceof RobertaForTokenClassification) value = tokenClassifier(graph, exported, robertaBody(graph, exported.baseModelPrefix, exported.body as RobertaModel, bertInputs));
    else if (exported instanceof BertForTokenClassification) value = tokenClassifier(graph, exported, bertBody(graph, exported.baseModelPrefix, exported.body, bertInputs));
    else if (exported instanceof DistilBertForTokenClassification) value = distilTokenClassification(graph, exported, bertInputs);
    else return unexported();
    output = { name: 'logits', type: 'float32', dims: ['batch_size', 'sequence_length', exported.config.numLabels] };
  } else if (task === 'question-answering') {
    // Two outputs, start_logits and end_logits [batch, seq], as Optimum's question-answering config names them.
    let h: string;
    if (exported instanceof RobertaForQuestionAnswering) h = robertaBody(graph, exported.baseModelPrefix, exported.body as RobertaModel, bertInputs);
    else if (exported instanceof BertForQuestionAnswering) h = bertBody(graph, exported.baseModelPrefix, exported.body, bertInputs);
    else if (exported instanceof DistilBertForQuestionAnswering) h = distilBody(graph, exported.baseModelPrefix, exported.distilbert, bertInputs);
    else return unexported();
    const { start, end } = questionAnsweringHead(graph, exported as BertForQuestionAnswering | DistilBertForQuestionAnswering, h);
    const outputs: GraphValue[] = [
      { name: 'start_logits', type: 'float32', dims: TEXT_DIMS },
      { name: 'end_logits', type: 'float32', dims: TEXT_DIMS },
    ];
    graph.output(start, 'float32', TEXT_DIMS, 'start_logits');
    graph.output(end, 'float32', TEXT_DIMS, 'end_logits');
    return { graph, inputs, outputs, model: exported, task };
  } else if (task === 'fill-mask') {
    if (exported instanceof RobertaForMaskedLM) value = robertaMaskedLM(graph, exported, bertInputs);
    else if (exported instanceof BertForMaskedLM) value = bertMaskedLM(graph, exported, bertInputs);
    else if (exported instanceof DistilBertForMaskedLM) value = distilMaskedLM(graph, exported, bertInputs);
    else return unexported();
    output = { name: 'logits', type: 'float32', dims: ['batch_size', 'sequence_length', exported.config.vocabSize] };
  } else if (task === 'feature-extraction') {
    const base = baseModelOf(exported);
    if (base instanceof RobertaModel) value = robertaBody(graph, '', base, bertInputs);
    else if (base instanceof BertModel) value = bertBody(graph, '', base, bertInputs);
    else if (base instanceof DistilBertModel) value = distilBody(graph, '', base, bertInputs);
    else return unexported();
    output = { name: 'last_hidden_state', type: 'float32', dims: ['batch_size', 'sequence_length', exported.config.hiddenSize] };
  } else {
    return unexported();
  }
  graph.output(value, output.type, output.dims, output.name);
  return { graph, inputs, outputs: [output], model: exported, task };
}

/**
 * GPT-2: feature-extraction (GPT2Model → last_hidden_state, inputs input_ids and attention_mask, positions
 * 0…s-1 as the model's default) or text-generation with a KV cache, as Optimum's merged decoder names it
 * (see gpt2.ts and the README for the contract).
 */
function buildGpt2(graph: Graph, model: GPT2Model | GPT2LMHeadModel, task: ExportTask): BuiltGraph {
  const config = model.config;
  if (task === 'feature-extraction') {
    const inputs: GraphValue[] = [
      { name: 'input_ids', type: 'int64', dims: TEXT_DIMS },
      { name: 'attention_mask', type: 'int64', dims: TEXT_DIMS },
    ];
    for (const i of inputs) graph.input(i.name, i.type, i.dims);
    const output: GraphValue = { name: 'last_hidden_state', type: 'float32', dims: ['batch_size', 'sequence_length', config.hiddenSize] };
    graph.output(gpt2FeatureExtraction(graph, baseModelOf(model) as GPT2Model, 'input_ids', 'attention_mask'), output.type, output.dims, output.name);
    return { graph, inputs, outputs: [output], model, task };
  }
  const lm = model as GPT2LMHeadModel;
  const heads = config.numAttentionHeads;
  const headDim = config.hiddenSize / heads;
  const layers = config.numHiddenLayers;
  const inputs: GraphValue[] = [
    { name: 'input_ids', type: 'int64', dims: TEXT_DIMS },
    { name: 'attention_mask', type: 'int64', dims: ['batch_size', GPT2_MASK_DIM] },
    { name: 'position_ids', type: 'int64', dims: TEXT_DIMS },
  ];
  for (let i = 0; i < layers; i++) {
    for (const kv of ['key', 'value']) inputs.push({ name: `past_key_values.${i}.${kv}`, type: 'float32', dims: ['batch_size', heads, GPT2_PAST_DIM, headDim] });
  }
  inputs.push({ name: 'use_cache_branch', type: 'bool', dims: [1] });
  for (const i of inputs) graph.input(i.name, i.type, i.dims);
  const past = Array.from({ length: layers }, (_, i) => ({ key: `past_key_values.${i}.key`, value: `past_key_values.${i}.value` }));
  const built = gpt2Decoder(graph, lm, { inputIds: 'input_ids', attentionMask: 'attention_mask', positionIds: 'position_ids', past });
  const outputs: GraphValue[] = [{ name: 'logits', type: 'float32', dims: ['batch_size', 'sequence_length', config.vocabSize] }];
  graph.output(built.logits, 'float32', outputs[0]!.dims, 'logits');
  built.presents.forEach((p, i) => {
    for (const kv of ['key', 'value'] as const) {
      const o: GraphValue = { name: `present.${i}.${kv}`, type: 'float32', dims: ['batch_size', heads, GPT2_MASK_DIM, headDim] };
      graph.output(p[kv], o.type, o.dims, o.name);
      outputs.push(o);
    }
  });
  return { graph, inputs, outputs, model, task };
}

/** T5: the merged decoder (this graph) and the encoder (its own graph and file), with Optimum's names. */
function buildT5(graph: Graph, model: T5ForConditionalGeneration, task: ExportTask): BuiltGraph {
  const config = model.config;
  const encoderGraph = new Graph(`${model.className} encoder (${task})`, new Map(model.namedParameters().map(([name, t]) => [t, name])));
  const encInputs: GraphValue[] = [
    { name: 'input_ids', type: 'int64', dims: T5_ENCODER_DIMS },
    { name: 'attention_mask', type: 'int64', dims: T5_ENCODER_DIMS },
  ];
  for (const i of encInputs) encoderGraph.input(i.name, i.type, i.dims);
  const encOutput: GraphValue = { name: 'last_hidden_state', type: 'float32', dims: [...T5_ENCODER_DIMS, config.dModel] };
  encoderGraph.output(t5Encoder(encoderGraph, model, 'input_ids', 'attention_mask'), encOutput.type, encOutput.dims, encOutput.name);

  const layers = config.numDecoderLayers;
  const { inputs, outputs } = seq2seqDecoderIo(config.dModel, { layers, heads: config.numHeads, headDim: config.dKv, vocab: config.vocabSize });
  for (const i of inputs) graph.input(i.name, i.type, i.dims);
  const past = Array.from({ length: layers }, (_, i) => ({
    decoder: { key: `past_key_values.${i}.decoder.key`, value: `past_key_values.${i}.decoder.value` },
    encoder: { key: `past_key_values.${i}.encoder.key`, value: `past_key_values.${i}.encoder.value` },
  }));
  const logits = t5Decoder(graph, model, { inputIds: 'input_ids', encoderAttentionMask: 'encoder_attention_mask', encoderHiddenStates: 'encoder_hidden_states', past });
  for (const o of outputs) graph.output(o.name === 'logits' ? logits : o.name, o.type, o.dims, o.name);
  return {
    graph, inputs, outputs, model, task, encoder: { file: T5_ENCODER_FILE, graph: encoderGraph, inputs: encInputs, outputs: [encOutput] },
    seq2seq: { layers, heads: config.numHeads, headDim: config.dKv, vocab: config.vocabSize, sourceVocab: config.vocabSize, decoderStartTokenId: config.decoderStartTokenId },
  };
}

/** Names of a model's parameters and buffers by tensor: BART's final_logits_bias and Marian's fixed position table are buffers. */
function tensorNames(model: PreTrainedModel): Map<Tensor, string> {
  return new Map([...model.namedParameters(), ...model.namedBuffers()].map(([name, t]) => [t, name]));
}

/** The merged decoder's inputs and outputs of an encoder-decoder model, Optimum's names and dims (T5, BART, Marian alike). */
function seq2seqDecoderIo(dModel: number, shape: { layers: number; heads: number; headDim: number; vocab: number }): { inputs: GraphValue[]; outputs: GraphValue[] } {
  const inputs: GraphValue[] = [
    { name: 'encoder_attention_mask', type: 'int64', dims: T5_ENCODER_DIMS },
    { name: 'input_ids', type: 'int64', dims: T5_DECODER_DIMS },
    { name: 'encoder_hidden_states', type: 'float32', dims: [...T5_ENCODER_DIMS, dModel] },
  ];
  const outputs: GraphValue[] = [{ name: 'logits', type: 'float32', dims: [...T5_DECODER_DIMS, shape.vocab] }];
  for (let i = 0; i < shape.layers; i++) {
    for (const part of ['decoder', 'encoder']) {
      for (const kv of ['key', 'value']) {
        const past = part === 'decoder' ? 'past_decoder_sequence_length' : 'encoder_sequence_length_out';
        inputs.push({ name: `past_key_values.${i}.${part}.${kv}`, type: 'float32', dims: ['batch_size', shape.heads, past, shape.headDim] });
        const present = part === 'decoder' ? 'past_decoder_sequence_length + 1' : 'encoder_sequence_length_out';
        outputs.push({ name: `present.${i}.${part}.${kv}`, type: 'float32', dims: ['batch_size', shape.heads, present, shape.headDim] });
      }
    }
  }
  inputs.push({ name: 'use_cache_branch', type: 'bool', dims: [1] });
  return { inputs, outputs };
}

/** BART / Marian: the merged decoder (this graph) and the encoder (its own graph and file), as T5 (see bart.ts). */
function buildBart(model: BartLike, task: ExportTask): BuiltGraph {
  const config = model.config;
  const names = tensorNames(model);
  const encoderGraph = new Graph(`${model.className} encoder (${task})`, names);
  const encInputs: GraphValue[] = [
    { name: 'input_ids', type: 'int64', dims: T5_ENCODER_DIMS },
    { name: 'attention_mask', type: 'int64', dims: T5_ENCODER_DIMS },
  ];
  for (const i of encInputs) encoderGraph.input(i.name, i.type, i.dims);
  const encOutput: GraphValue = { name: 'last_hidden_state', type: 'float32', dims: [...T5_ENCODER_DIMS, config.dModel] };
  encoderGraph.output(bartEncoder(encoderGraph, model, 'input_ids', 'attention_mask'), encOutput.type, encOutput.dims, encOutput.name);

  const graph = new Graph(`${model.className} (${task})`, names);
  const shape = bartDecoderShape(config);
  const { inputs, outputs } = seq2seqDecoderIo(config.dModel, shape);
  for (const i of inputs) graph.input(i.name, i.type, i.dims);
  const past = Array.from({ length: shape.layers }, (_, i) => ({
    decoder: { key: `past_key_values.${i}.decoder.key`, value: `past_key_values.${i}.decoder.value` },
    encoder: { key: `past_key_values.${i}.encoder.key`, value: `past_key_values.${i}.encoder.value` },
  }));
  const logits = bartDecoder(graph, model, { inputIds: 'input_ids', encoderAttentionMask: 'encoder_attention_mask', encoderHiddenStates: 'encoder_hidden_states', past });
  for (const o of outputs) graph.output(o.name === 'logits' ? logits : o.name, o.type, o.dims, o.name);
  return {
    graph, inputs, outputs, model, task,
    encoder: { file: T5_ENCODER_FILE, graph: encoderGraph, inputs: encInputs, outputs: [encOutput] },
    seq2seq: { ...shape, sourceVocab: config.vocabSize, decoderStartTokenId: config.decoderStartTokenId },
  };
}

export { T5_DECODER_FILE };
