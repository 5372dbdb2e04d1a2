/**
 * transformers' Auto classes: read config.json, pick the class for `model_type` and the task, build it,
 * load the weights with HF's renaming rules, warn about new / unused weights, return it in eval mode.
 */
import * as torch from '../torch/index.js';
import type { Device } from '../torch/index.js';
import { LenguaError } from '../errors.js';
import { AutoConfig, readConfigFile } from '../hub/config.js';
import type { AnyConfig, BertConfig, DistilBertConfig, GPT2Config, ModelType, ProblemType, RobertaConfig } from '../hub/config.js';
import { loadCheckpoint } from '../hub/checkpoint.js';
import { resolveModelDir } from '../hub/resolve.js';
import type { PreTrainedModel } from './pretrained.js';
import { BertForMaskedLM, BertForSequenceClassification, BertForTokenClassification, BertModel } from './bert.js';
import {
  DistilBertForMaskedLM, DistilBertForSequenceClassification, DistilBertForTokenClassification, DistilBertModel,
} from './distilbert.js';
import { GPT2LMHeadModel, GPT2Model } from './gpt2.js';

export type Task = 'base' | 'sequence-classification' | 'token-classification' | 'masked-lm' | 'causal-lm';

export interface FromPretrainedOptions {
  /** Number of labels of a classification head; a head of another size is created new (warned). */
  numLabels?: number;
  id2label?: Record<number, string>;
  label2id?: Record<string, number>;
  problemType?: ProblemType;
  /** Other config.json keys to override (HF names), e.g. `{ hidden_dropout_prob: 0.2 }`. */
  configOverrides?: Record<string, unknown>;
  /** Use this config instead of the folder's config.json. */
  config?: AnyConfig;
  /**
   * Replace head weights whose shape differs from the checkpoint instead of failing. Defaults to true
   * when numLabels / id2label is given (the point of those options is a new head).
   */
  ignoreMismatchedSizes?: boolean;
  /** Seed for the weights that are newly initialised (torch.manualSeed). */
  seed?: number;
  /** Move the model there after loading. */
  device?: Device;
  /** Passed to `resolveModelDir` (cache dir, offline, revision, ...). */
  resolve?: Record<string, unknown>;
}

type Ctor = new (config: never) => PreTrainedModel;

const CLASSES: Record<Task, Partial<Record<ModelType, Ctor>>> = {
  base: { bert: BertModel, roberta: BertModel, distilbert: DistilBertModel, gpt2: GPT2Model },
  'sequence-classification': {
    bert: BertForSequenceClassification, roberta: BertForSequenceClassification, distilbert: DistilBertForSequenceClassification,
  },
  'token-classification': {
    bert: BertForTokenClassification, roberta: BertForTokenClassification, distilbert: DistilBertForTokenClassification,
  },
  'masked-lm': { bert: BertForMaskedLM, roberta: BertForMaskedLM, distilbert: DistilBertForMaskedLM },
  'causal-lm': { gpt2: GPT2LMHeadModel },
};

const AUTO_NAMES: Record<Task, string> = {
  base: 'AutoModel',
  'sequence-classification': 'AutoModelForSequenceClassification',
  'token-classification': 'AutoModelForTokenClassification',
  'masked-lm': 'AutoModelForMaskedLM',
  'causal-lm': 'AutoModelForCausalLM',
};

function applyLabelOptions(config: AnyConfig, opts: FromPretrainedOptions): boolean {
  let changed = false;
  if (opts.id2label !== undefined) {
    const before = JSON.stringify(config.id2label);
    config.id2label = opts.id2label;
    changed ||= before !== JSON.stringify(config.id2label);
    if (opts.numLabels !== undefined && opts.numLabels !== config.numLabels) {
      throw new LenguaError(`numLabels ${opts.numLabels} disagrees with id2label, which has ${config.numLabels} entries`, { field: 'num_labels' });
    }
  } else if (opts.numLabels !== undefined) {
    changed ||= opts.numLabels !== config.numLabels;
    config.numLabels = opts.numLabels;
  }
  if (opts.label2id !== undefined) config.label2id = opts.label2id;
  if (opts.problemType !== undefined) config.problemType = opts.problemType;
  for (const [k, v] of Object.entries(opts.configOverrides ?? {})) config.set(k, v);
  return changed;
}

/** Builds the model class for `task` from a config, with fresh transformers-style weights. */
export function modelFromConfig(task: Task, config: AnyConfig, opts: { seed?: number } = {}): PreTrainedModel {
  const C = CLASSES[task][config.modelType];
  if (C === undefined) {
    const ok = Object.keys(CLASSES[task]).join(', ');
    throw new LenguaError(`${AUTO_NAMES[task]} does not support model_type ${config.modelType} (supported: ${ok})`, { file: config.source, field: 'model_type' });
  }
  const model = new C(config as never);
  if (opts.seed !== undefined) torch.manualSeed(opts.seed);
  model.initWeights();
  return model;
}

/** `fromPretrained` for a task: folder or Hub id → model in eval mode. */
export async function modelFromPretrained(task: Task, idOrDir: string, opts: FromPretrainedOptions = {}): Promise<PreTrainedModel> {
  const dir = await resolveModelDir(idOrDir, opts.resolve ?? {});
  const config = opts.config ? opts.config.clone() : readConfigFile(dir);
  const labelsChanged = applyLabelOptions(config, opts);
  const C = CLASSES[task][config.modelType];
  if (C === undefined) {
    const ok = Object.keys(CLASSES[task]).join(', ');
    throw new LenguaError(`${AUTO_NAMES[task]} does not support model_type ${config.modelType} (supported: ${ok})`, { file: config.source, field: 'model_type' });
  }
  const ckpt = loadCheckpoint(dir);
  const model = new C(config as never);
  if (opts.seed !== undefined) torch.manualSeed(opts.seed);
  model.loadWeights(ckpt, { source: idOrDir, ignoreMismatchedSizes: opts.ignoreMismatchedSizes ?? labelsChanged });
  model.sourceDir = dir;
  model.eval();
  if (opts.device !== undefined && opts.device !== 'cpu') model.to(opts.device);
  return model;
}

function autoClass<M extends PreTrainedModel>(task: Task) {
  return {
    /** Loads a folder (or a Hub id) like transformers' `from_pretrained`. */
    fromPretrained(idOrDir: string, opts: FromPretrainedOptions = {}): Promise<M> {
      return modelFromPretrained(task, idOrDir, opts) as Promise<M>;
    },
    /** A model with fresh weights (transformers `from_config`). */
    fromConfig(config: AnyConfig, opts: { seed?: number } = {}): M {
      return modelFromConfig(task, config, opts) as M;
    },
  };
}

export type AnyBaseModel = BertModel | DistilBertModel | GPT2Model;
export type AnySequenceClassifier = BertForSequenceClassification | DistilBertForSequenceClassification;
export type AnyTokenClassifier = BertForTokenClassification | DistilBertForTokenClassification;
export type AnyMaskedLM = BertForMaskedLM | DistilBertForMaskedLM;

export const AutoModel = autoClass<AnyBaseModel>('base');
export const AutoModelForSequenceClassification = autoClass<AnySequenceClassifier>('sequence-classification');
export const AutoModelForTokenClassification = autoClass<AnyTokenClassifier>('token-classification');
export const AutoModelForMaskedLM = autoClass<AnyMaskedLM>('masked-lm');
export const AutoModelForCausalLM = autoClass<GPT2LMHeadModel>('causal-lm');

/** The task that config.architectures[0] names (for CLIs that load "whatever is in the folder"). */
export function taskOfArchitecture(arch: string | undefined): Task | null {
  if (arch === undefined) return null;
  if (arch.endsWith('ForSequenceClassification')) return 'sequence-classification';
  if (arch.endsWith('ForTokenClassification')) return 'token-classification';
  if (arch.endsWith('ForMaskedLM')) return 'masked-lm';
  if (arch.endsWith('LMHeadModel') || arch.endsWith('ForCausalLM')) return 'causal-lm';
  if (arch.endsWith('Model')) return 'base';
  return null;
}

export { AutoConfig };
export type { BertConfig, DistilBertConfig, GPT2Config, RobertaConfig };
