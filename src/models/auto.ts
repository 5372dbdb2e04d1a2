/**
 * transformers' Auto classes: read config.json, pick the class for `model_type` and the task, build it,
 * load the weights with HF's renaming rules, warn about new / unused weights, return it in eval mode.
 */
import * as torch from '../torch/index.js';
import type { Device } from '../torch/index.js';
import { LenguaError } from '../errors.js';
import { parseConfigJson, readConfigJson, type Json, type ProblemType } from '../hub/config.js';
import { preview } from '../hub/json.js';
import { loadCheckpoint } from '../hub/checkpoint.js';
import { numel, type SafetensorsFile } from '../hub/safetensors.js';
import { resolveModelDir } from '../hub/resolve.js';
import type { PreTrainedModel } from './pretrained.js';
import type { ModelFamily, Task } from './family.js';
import {
  bertFamily, type BertConfig, type BertForMaskedLM, type BertForQuestionAnswering, type BertForSequenceClassification, type BertForTokenClassification, type BertModel,
} from './bert/index.js';
import {
  robertaFamily, type RobertaConfig, type RobertaForMaskedLM, type RobertaForQuestionAnswering, type RobertaForSequenceClassification, type RobertaForTokenClassification, type RobertaModel,
} from './roberta/index.js';
import {
  distilbertFamily, type DistilBertConfig, type DistilBertForMaskedLM, type DistilBertForQuestionAnswering, type DistilBertForSequenceClassification,
  type DistilBertForTokenClassification, type DistilBertModel,
} from './distilbert/index.js';
import { gpt2Family, type GPT2Config, type GPT2LMHeadModel, type GPT2Model } from './gpt2/index.js';
import { t5Family, type T5Config, type T5ForConditionalGeneration } from './t5/index.js';
import { bartFamily, type BartConfig, type BartForConditionalGeneration, type BartModel } from './bart/index.js';
import { marianFamily, type MarianConfig, type MarianModel, type MarianMTModel } from './marian/index.js';

/** Every family the Auto classes know, by `model_type`. A new family is a folder and a line here. */
export const MODEL_FAMILIES = {
  bert: bertFamily,
  roberta: robertaFamily,
  distilbert: distilbertFamily,
  gpt2: gpt2Family,
  t5: t5Family,
  bart: bartFamily,
  marian: marianFamily,
} as const satisfies Record<string, ModelFamily>;

export type ModelType = keyof typeof MODEL_FAMILIES;
export const MODEL_TYPES = Object.keys(MODEL_FAMILIES) as ModelType[];
export type AnyConfig = BertConfig | RobertaConfig | DistilBertConfig | GPT2Config | T5Config | BartConfig | MarianConfig;
export type { Task };

function family(modelType: unknown, source: string): ModelFamily {
  if (typeof modelType !== 'string' || !Object.hasOwn(MODEL_FAMILIES, modelType)) {
    throw new LenguaError(`model_type ${preview(modelType)} is not supported (supported: ${MODEL_TYPES.join(', ')})`, { file: source, field: 'model_type' });
  }
  return MODEL_FAMILIES[modelType as ModelType];
}

/** Builds the config class that `model_type` names. */
export function configFromDict(json: Json, source = 'config.json'): AnyConfig {
  const C = family(json.model_type, source).config;
  const raw = { ...json };
  delete raw.model_type;
  return new C(raw, source) as AnyConfig;
}

/** Parses a config.json text (already read). `source` names the file in errors. */
export function parseConfig(text: string, source = 'config.json'): AnyConfig {
  return configFromDict(parseConfigJson(text, source), source);
}

/** Reads `<dir>/config.json` (bounded in size). */
export function readConfigFile(dir: string): AnyConfig {
  const { json, file } = readConfigJson(dir);
  return configFromDict(json, file);
}

export interface AutoConfigOptions {
  /** Options for resolving a Hub id (cache dir, offline, revision...), passed to `resolveModelDir`. */
  resolve?: Record<string, unknown>;
  /** HF config keys (snake_case) to override after loading. */
  overrides?: Record<string, unknown>;
}

/** transformers `AutoConfig`: picks the class from `model_type`. */
export const AutoConfig = {
  async fromPretrained(idOrDir: string, opts: AutoConfigOptions = {}): Promise<AnyConfig> {
    const dir = await resolveModelDir(idOrDir, opts.resolve ?? {});
    const cfg = readConfigFile(dir);
    for (const [k, v] of Object.entries(opts.overrides ?? {})) cfg.set(k, v);
    return cfg;
  },
  /** A fresh config of the named family with HF defaults, plus `overrides` (HF key names). */
  forModel(modelType: ModelType, overrides: Json = {}): AnyConfig {
    return configFromDict({ ...overrides, model_type: modelType }, `<${modelType} config>`);
  },
};

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

/** The class of `task` for the config's family, or an error naming the families that have one. */
function classFor(task: Task, config: AnyConfig): new (config: never) => PreTrainedModel {
  const C = family(config.modelType, config.source).classes[task];
  if (C === undefined) {
    const ok = MODEL_TYPES.filter((t) => MODEL_FAMILIES[t].classes[task] !== undefined).join(', ');
    throw new LenguaError(`${AUTO_NAMES[task]} does not support model_type ${config.modelType} (supported: ${ok})`, { file: config.source, field: 'model_type' });
  }
  return C;
}

const AUTO_NAMES: Record<Task, string> = {
  base: 'AutoModel',
  'sequence-classification': 'AutoModelForSequenceClassification',
  'token-classification': 'AutoModelForTokenClassification',
  'masked-lm': 'AutoModelForMaskedLM',
  'question-answering': 'AutoModelForQuestionAnswering',
  'causal-lm': 'AutoModelForCausalLM',
  'seq2seq-lm': 'AutoModelForSeq2SeqLM',
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
  const C = classFor(task, config);
  const model = new C(config as never);
  if (opts.seed !== undefined) torch.manualSeed(opts.seed);
  model.initWeights();
  return model;
}

/**
 * Parameters a config may claim beyond what its checkpoint holds: new heads and the odd missing
 * module (a pooler) are small; 25M float32 parameters are 100 MB.
 */
const UNBACKED_PARAMETERS = 25_000_000;

/**
 * Refuses, before a single tensor is allocated, a config that describes a model far larger than the
 * weights beside it (vocab_size 1000000 x hidden_size 4096 over a 200 KB checkpoint would allocate
 * 16 GB of fresh weights, then fail on their shapes): memory follows the real files, not a claim.
 */
function checkConfigAgainstCheckpoint(config: AnyConfig, ckpt: SafetensorsFile, dir: string): void {
  let held = 0;
  for (const t of ckpt.tensors.values()) held += numel(t.shape);
  const claimed = config.approxParameterCount();
  if (claimed <= 2 * held + UNBACKED_PARAMETERS) return;
  const millions = (n: number): string => `${(n / 1e6).toFixed(n < 1e7 ? 2 : 0)}M`;
  throw new LenguaError(
    `describes a model of about ${millions(claimed)} parameters (vocabulary ${config.vocabSize}, hidden size ${config.hiddenSize}, ` +
      `${config.numHiddenLayers} layers), but the checkpoint in ${dir} holds ${millions(held)}: config.json and the weights do not belong ` +
      `together, and the memory for the difference is not allocated`,
    { file: config.source },
  );
}

/** `fromPretrained` for a task: folder or Hub id → model in eval mode. */
export async function modelFromPretrained(task: Task, idOrDir: string, opts: FromPretrainedOptions = {}): Promise<PreTrainedModel> {
  const dir = await resolveModelDir(idOrDir, opts.resolve ?? {});
  const config = opts.config ? opts.config.clone() : readConfigFile(dir);
  const labelsChanged = applyLabelOptions(config, opts);
  const C = classFor(task, config);
  const ckpt = loadCheckpoint(dir);
  checkConfigAgainstCheckpoint(config, ckpt, dir);
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

export type AnyBaseModel = BertModel | RobertaModel | DistilBertModel | GPT2Model | BartModel | MarianModel;
export type AnySequenceClassifier = BertForSequenceClassification | RobertaForSequenceClassification | DistilBertForSequenceClassification;
export type AnyTokenClassifier = BertForTokenClassification | RobertaForTokenClassification | DistilBertForTokenClassification;
export type AnyMaskedLM = BertForMaskedLM | RobertaForMaskedLM | DistilBertForMaskedLM;
export type AnyQuestionAnswering = BertForQuestionAnswering | RobertaForQuestionAnswering | DistilBertForQuestionAnswering;
export type AnySeq2SeqLM = T5ForConditionalGeneration | BartForConditionalGeneration | MarianMTModel;

export const AutoModel = autoClass<AnyBaseModel>('base');
export const AutoModelForSequenceClassification = autoClass<AnySequenceClassifier>('sequence-classification');
export const AutoModelForTokenClassification = autoClass<AnyTokenClassifier>('token-classification');
export const AutoModelForMaskedLM = autoClass<AnyMaskedLM>('masked-lm');
export const AutoModelForQuestionAnswering = autoClass<AnyQuestionAnswering>('question-answering');
export const AutoModelForCausalLM = autoClass<GPT2LMHeadModel>('causal-lm');
export const AutoModelForSeq2SeqLM = autoClass<AnySeq2SeqLM>('seq2seq-lm');

/** The task that config.architectures[0] names (for CLIs that load "whatever is in the folder"). */
export function taskOfArchitecture(arch: string | undefined): Task | null {
  if (arch === undefined) return null;
  if (arch.endsWith('ForSequenceClassification')) return 'sequence-classification';
  if (arch.endsWith('ForTokenClassification')) return 'token-classification';
  if (arch.endsWith('ForMaskedLM')) return 'masked-lm';
  if (arch.endsWith('ForQuestionAnswering')) return 'question-answering';
  if (arch.endsWith('LMHeadModel') || arch.endsWith('ForCausalLM')) return 'causal-lm';
  if (arch.endsWith('ForConditionalGeneration') || arch === 'MarianMTModel') return 'seq2seq-lm';
  if (arch.endsWith('Model')) return 'base';
  return null;
}

