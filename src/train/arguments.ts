/**
 * `TrainingArguments`: transformers' names in camelCase, transformers' defaults, one validation
 * function that names the bad field, and a documentation table that drives `lengua train --help`
 * and the config-file reader (JSON or YAML, camelCase or HF snake_case keys).
 */
import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { LenguaError } from '../errors.js';

export type IntervalStrategy = 'no' | 'steps' | 'epoch';
export type SchedulerType = 'linear' | 'cosine' | 'constant' | 'constant_with_warmup';
export type FineTuneStrategy = 'full' | 'head' | 'freeze';

export interface TrainingArguments {
  outputDir: string;
  overwriteOutputDir: boolean;
  learningRate: number;
  numTrainEpochs: number;
  maxSteps: number;
  perDeviceTrainBatchSize: number;
  perDeviceEvalBatchSize: number;
  gradientAccumulationSteps: number;
  weightDecay: number;
  adamBeta1: number;
  adamBeta2: number;
  adamEpsilon: number;
  warmupRatio: number;
  warmupSteps: number;
  lrSchedulerType: SchedulerType;
  maxGradNorm: number;
  nonFinitePatience: number;
  seed: number;
  evalStrategy: IntervalStrategy;
  evalSteps?: number;
  saveStrategy: IntervalStrategy;
  saveSteps?: number;
  saveTotalLimit?: number;
  loadBestModelAtEnd: boolean;
  metricForBestModel: string;
  greaterIsBetter?: boolean;
  earlyStoppingPatience?: number;
  earlyStoppingThreshold: number;
  labelSmoothingFactor: number;
  classWeights?: 'balanced' | number[] | null;
  hiddenDropoutProb?: number;
  attentionProbsDropoutProb?: number;
  classifierDropout?: number;
  groupByLength: boolean;
  loggingSteps: number;
  logFile?: string;
  quiet: boolean;
  maxLength: number;
  maxTargetLength: number;
  predictWithGenerate: boolean;
  generationMaxLength?: number;
  generationNumBeams?: number;
  strategy: FineTuneStrategy;
  freezeLayers?: number;
  layerwiseLrDecay?: number;
  cacheFrozen: boolean;
  cacheMaxBytes?: number;
  resumeFromCheckpoint?: string | boolean;
}

type Kind = 'number' | 'integer' | 'boolean' | 'string' | 'enum' | 'classWeights' | 'resume';

export interface ArgumentDoc {
  /** Shown in --help: number, integer, boolean, string, or the allowed values. */
  type: string;
  default: unknown;
  help: string;
  /** transformers' snake_case name (accepted in config files). */
  hfName: string;
  kind: Kind;
  choices?: readonly string[];
  /** Inclusive lower bound for numbers. */
  min?: number;
  /** Exclusive upper bound for numbers (checked when set). */
  maxExclusive?: number;
  max?: number;
  optional?: boolean;
}

const doc = (d: Omit<ArgumentDoc, 'type'> & { type?: string }): ArgumentDoc => ({
  type: d.type ?? (d.choices ? d.choices.join('|') : d.kind),
  ...d,
});

/** Every field: type, default (transformers' where it has one), help, HF name. */
export const TRAINING_ARGUMENT_DOCS: Record<keyof TrainingArguments, ArgumentDoc> = {
  outputDir: doc({ kind: 'string', default: undefined, hfName: 'output_dir', help: 'Folder for checkpoints, the final model, training_args.json and log.jsonl.' }),
  overwriteOutputDir: doc({ kind: 'boolean', default: false, hfName: 'overwrite_output_dir', help: 'Replace what an earlier run left in outputDir (its checkpoints, model, logs); without it a non-empty outputDir is refused unless resuming.' }),
  learningRate: doc({ kind: 'number', default: 5e-5, min: 0, hfName: 'learning_rate', help: 'Peak learning rate of AdamW (reached after warmup).' }),
  numTrainEpochs: doc({ kind: 'number', default: 3, min: 0, hfName: 'num_train_epochs', help: 'Passes over the training data (ignored when maxSteps > 0).' }),
  maxSteps: doc({ kind: 'integer', default: -1, min: -1, hfName: 'max_steps', help: 'Total optimizer steps; overrides numTrainEpochs when > 0.' }),
  perDeviceTrainBatchSize: doc({ kind: 'integer', default: 8, min: 1, hfName: 'per_device_train_batch_size', help: 'Examples per training batch.' }),
  perDeviceEvalBatchSize: doc({ kind: 'integer', default: 8, min: 1, hfName: 'per_device_eval_batch_size', help: 'Examples per evaluation batch.' }),
  gradientAccumulationSteps: doc({ kind: 'integer', default: 1, min: 1, hfName: 'gradient_accumulation_steps', help: 'Batches whose gradients are summed before one optimizer step.' }),
  weightDecay: doc({ kind: 'number', default: 0, min: 0, hfName: 'weight_decay', help: 'AdamW decoupled weight decay; never applied to biases and LayerNorm weights.' }),
  adamBeta1: doc({ kind: 'number', default: 0.9, min: 0, maxExclusive: 1, hfName: 'adam_beta1', help: 'AdamW beta1.' }),
  adamBeta2: doc({ kind: 'number', default: 0.999, min: 0, maxExclusive: 1, hfName: 'adam_beta2', help: 'AdamW beta2.' }),
  adamEpsilon: doc({ kind: 'number', default: 1e-8, min: 0, hfName: 'adam_epsilon', help: 'AdamW epsilon.' }),
  warmupRatio: doc({ kind: 'number', default: 0, min: 0, max: 1, hfName: 'warmup_ratio', help: 'Fraction of the total steps spent warming the learning rate up from 0.' }),
  warmupSteps: doc({ kind: 'integer', default: 0, min: 0, hfName: 'warmup_steps', help: 'Warmup steps; overrides warmupRatio when > 0.' }),
  lrSchedulerType: doc({ kind: 'enum', choices: ['linear', 'cosine', 'constant', 'constant_with_warmup'], default: 'linear', hfName: 'lr_scheduler_type', help: 'Learning-rate schedule after warmup.' }),
  maxGradNorm: doc({ kind: 'number', default: 1, min: 0, hfName: 'max_grad_norm', help: 'Gradient clipping by total norm (0 = off).' }),
  nonFinitePatience: doc({ kind: 'integer', default: 3, min: 1, hfName: 'non_finite_patience', help: 'A step whose loss or gradient is NaN/Inf is skipped (no update) and counted; this many in a row stop the run as diverged, saving nothing.' }),
  seed: doc({ kind: 'integer', default: 42, min: 0, hfName: 'seed', help: 'Seed for weights of a new head, data order and dropout. Same seed, same result.' }),
  evalStrategy: doc({ kind: 'enum', choices: ['no', 'steps', 'epoch'], default: 'no', hfName: 'eval_strategy', help: 'When to evaluate on the eval set.' }),
  evalSteps: doc({ kind: 'integer', default: undefined, min: 1, optional: true, hfName: 'eval_steps', help: 'Evaluate every N steps (evalStrategy steps); default loggingSteps.' }),
  saveStrategy: doc({ kind: 'enum', choices: ['no', 'steps', 'epoch'], default: 'steps', hfName: 'save_strategy', help: 'When to write a checkpoint-<step> folder.' }),
  saveSteps: doc({ kind: 'integer', default: undefined, min: 1, optional: true, hfName: 'save_steps', help: 'Checkpoint every N steps (saveStrategy steps); default 500.' }),
  saveTotalLimit: doc({ kind: 'integer', default: undefined, min: 1, optional: true, hfName: 'save_total_limit', help: 'Keep at most N checkpoints (oldest deleted first; the best one is always kept).' }),
  loadBestModelAtEnd: doc({ kind: 'boolean', default: false, hfName: 'load_best_model_at_end', help: 'Reload the best checkpoint (by metricForBestModel) when training ends.' }),
  metricForBestModel: doc({ kind: 'string', default: 'loss', hfName: 'metric_for_best_model', help: "Eval metric that picks the best model and drives early stopping ('loss', 'accuracy', 'macro_f1', ...; 'eval_' is optional)." }),
  greaterIsBetter: doc({ kind: 'boolean', default: undefined, optional: true, hfName: 'greater_is_better', help: 'Whether a larger metric is better; default false for losses, true otherwise.' }),
  earlyStoppingPatience: doc({ kind: 'integer', default: undefined, min: 1, optional: true, hfName: 'early_stopping_patience', help: 'Stop after N evaluations without improvement (needs evaluation).' }),
  earlyStoppingThreshold: doc({ kind: 'number', default: 0, min: 0, hfName: 'early_stopping_threshold', help: 'An improvement must exceed this to reset the patience counter.' }),
  labelSmoothingFactor: doc({ kind: 'number', default: 0, min: 0, maxExclusive: 1, hfName: 'label_smoothing_factor', help: 'Label smoothing of the cross-entropy loss.' }),
  classWeights: doc({ kind: 'classWeights', type: "'balanced'|number[]", default: null, optional: true, hfName: 'class_weights', help: "Per-class loss weights for imbalanced labels: 'balanced' (n / (classes x count), as scikit-learn) or one number per label." }),
  hiddenDropoutProb: doc({ kind: 'number', default: undefined, min: 0, max: 1, optional: true, hfName: 'hidden_dropout_prob', help: "Override the model's hidden dropout (BERT hidden_dropout_prob, DistilBERT dropout, GPT-2 resid_pdrop, T5 dropout_rate, BART/Marian dropout)." }),
  attentionProbsDropoutProb: doc({ kind: 'number', default: undefined, min: 0, max: 1, optional: true, hfName: 'attention_probs_dropout_prob', help: "Override the model's attention dropout (T5: the same dropout_rate as hidden; BART/Marian attention_dropout)." }),
  classifierDropout: doc({ kind: 'number', default: undefined, min: 0, max: 1, optional: true, hfName: 'classifier_dropout', help: "Override the classifier head's dropout." }),
  groupByLength: doc({ kind: 'boolean', default: false, hfName: 'group_by_length', help: 'Batch examples of similar length together (less padding), in a seeded random order.' }),
  loggingSteps: doc({ kind: 'integer', default: 500, min: 1, hfName: 'logging_steps', help: 'Log the training loss and learning rate every N steps.' }),
  logFile: doc({ kind: 'string', default: undefined, optional: true, hfName: 'log_file', help: 'JSONL file receiving every logged entry; default outputDir/log.jsonl.' }),
  quiet: doc({ kind: 'boolean', default: false, hfName: 'quiet', help: 'No progress output (the JSONL log is still written).' }),
  maxLength: doc({ kind: 'integer', default: 128, min: 1, hfName: 'max_length', help: 'Truncate encoded inputs to this many tokens.' }),
  maxTargetLength: doc({ kind: 'integer', default: 128, min: 2, hfName: 'max_target_length', help: 'Seq2seq: truncate encoded targets to this many tokens (EOS included); maxLength bounds the sources.' }),
  predictWithGenerate: doc({ kind: 'boolean', default: false, hfName: 'predict_with_generate', help: 'Seq2seq: evaluation also generates (beam search or greedy) and scores the texts (BLEU/chrF, ROUGE) besides the loss.' }),
  generationMaxLength: doc({ kind: 'integer', default: undefined, min: 2, optional: true, hfName: 'generation_max_length', help: "Seq2seq: max_length of evaluation's generation (decoder start token included); default the model's generation config (lengua train --task: maxTargetLength)." }),
  generationNumBeams: doc({ kind: 'integer', default: undefined, min: 1, max: 64, optional: true, hfName: 'generation_num_beams', help: "Seq2seq: beams of evaluation's generation; default the model's generation config (1 = greedy)." }),
  strategy: doc({ kind: 'enum', choices: ['full', 'head', 'freeze'], default: 'full', hfName: 'strategy', help: 'full: every weight trains; head: only the classification head; freeze: embeddings and the lower freezeLayers layers frozen. Weights the checkpoint lacked (a masked LM has no pooler) train in every strategy.' }),
  freezeLayers: doc({ kind: 'integer', default: undefined, min: 0, optional: true, hfName: 'freeze_layers', help: 'Layers frozen by strategy freeze (default: all but the top 2).' }),
  layerwiseLrDecay: doc({ kind: 'number', default: 1, min: 0, max: 1, optional: true, hfName: 'layerwise_lr_decay', help: 'Layer-wise learning-rate decay: layer i gets lr x decay^(L - i), embeddings lr x decay^(L + 1); 1 = off.' }),
  cacheFrozen: doc({ kind: 'boolean', default: true, hfName: 'cache_frozen', help: 'Under head/freeze, reuse frozen-layer outputs across epochs when the frozen-layer cache is available.' }),
  cacheMaxBytes: doc({ kind: 'integer', default: undefined, min: 0, optional: true, hfName: 'cache_max_bytes', help: 'Memory bound of the frozen-layer cache.' }),
  resumeFromCheckpoint: doc({ kind: 'resume', type: 'string|boolean', default: undefined, optional: true, hfName: 'resume_from_checkpoint', help: 'Resume from a checkpoint folder, or true for the latest checkpoint in outputDir.' }),
};

export const ARGUMENT_NAMES = Object.keys(TRAINING_ARGUMENT_DOCS) as Array<keyof TrainingArguments>;

const HF_TO_CAMEL = new Map<string, keyof TrainingArguments>(ARGUMENT_NAMES.map((k) => [TRAINING_ARGUMENT_DOCS[k].hfName, k]));
// transformers' older name for eval_strategy.
HF_TO_CAMEL.set('evaluation_strategy', 'evalStrategy');

/** Maps a camelCase or snake_case key to its field, or null. */
export function argumentName(key: string): keyof TrainingArguments | null {
  if ((ARGUMENT_NAMES as string[]).includes(key)) return key as keyof TrainingArguments;
  return HF_TO_CAMEL.get(key) ?? null;
}

function bad(field: string, msg: string, file?: string): LenguaError {
  return new LenguaError(msg, { field, ...(file !== undefined ? { file } : {}) });
}

/** Checks and converts one value by its doc; strings (from flags) are parsed. */
export function coerceArgument(name: keyof TrainingArguments, value: unknown, file?: string): unknown {
  const d = TRAINING_ARGUMENT_DOCS[name];
  if (value === undefined || (value === null && d.optional)) return undefined;
  switch (d.kind) {
    case 'number':
    case 'integer': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isFinite(n)) throw bad(name, `must be a number, got ${JSON.stringify(value)}`, file);
      if (d.kind === 'integer' && !Number.isInteger(n)) throw bad(name, `must be an integer, got ${n}`, file);
      if (d.min !== undefined && n < d.min) throw bad(name, `must be >= ${d.min}, got ${n}`, file);
      if (d.max !== undefined && n > d.max) throw bad(name, `must be <= ${d.max}, got ${n}`, file);
      if (d.maxExclusive !== undefined && n >= d.maxExclusive) throw bad(name, `must be < ${d.maxExclusive}, got ${n}`, file);
      return n;
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true') return true;
      if (value === 'false') return false;
      throw bad(name, `must be true or false, got ${JSON.stringify(value)}`, file);
    case 'string':
      if (typeof value !== 'string' || value === '') throw bad(name, `must be a non-empty string, got ${JSON.stringify(value)}`, file);
      return value;
    case 'enum':
      if (typeof value !== 'string' || !d.choices!.includes(value)) throw bad(name, `must be one of ${d.choices!.join(', ')}, got ${JSON.stringify(value)}`, file);
      return value;
    case 'classWeights': {
      if (value === null) return null;
      if (value === 'balanced') return value;
      let v = value;
      if (typeof v === 'string') v = v.split(',').map((s) => (s.trim() === '' ? NaN : Number(s)));
      if (!Array.isArray(v) || v.length === 0 || v.some((x) => typeof x !== 'number' || !Number.isFinite(x) || x < 0)) {
        throw bad(name, `must be 'balanced' or a list of non-negative numbers (one per label), got ${JSON.stringify(value)}`, file);
      }
      return v;
    }
    case 'resume':
      if (typeof value === 'boolean') return value;
      if (value === 'true') return true;
      if (value === 'false') return false;
      if (typeof value === 'string' && value !== '') return value;
      throw bad(name, `must be a checkpoint folder or true, got ${JSON.stringify(value)}`, file);
  }
}

/** Defaults merged with `partial`, every field validated (the error names the field). */
export function trainingArguments(partial: Partial<TrainingArguments> & { outputDir: string }): TrainingArguments {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(partial)) {
    if (argumentName(key) !== key) throw bad(key, 'is not a training argument');
  }
  for (const name of ARGUMENT_NAMES) {
    const given = (partial as Record<string, unknown>)[name];
    const v = given === undefined ? TRAINING_ARGUMENT_DOCS[name].default : coerceArgument(name, given);
    if (v !== undefined) out[name] = v;
  }
  if (typeof partial.outputDir !== 'string' || partial.outputDir === '') throw bad('outputDir', 'is required');
  const args = out as unknown as TrainingArguments;
  if (args.maxSteps === 0) throw bad('maxSteps', 'must be > 0, or -1 to train numTrainEpochs epochs');
  if (args.maxSteps < 0 && !(args.numTrainEpochs > 0)) throw bad('numTrainEpochs', 'must be > 0 when maxSteps is not set');
  if (args.loadBestModelAtEnd) {
    if (args.evalStrategy === 'no') throw bad('loadBestModelAtEnd', 'needs evaluation: set evalStrategy to steps or epoch');
    if (args.saveStrategy !== args.evalStrategy) {
      throw bad('saveStrategy', `must match evalStrategy (${args.evalStrategy}) when loadBestModelAtEnd is set, got ${args.saveStrategy}`);
    }
    if (args.evalStrategy === 'steps') {
      const ev = args.evalSteps ?? args.loggingSteps;
      const sv = args.saveSteps ?? 500;
      if (sv % ev !== 0) throw bad('saveSteps', `must be a multiple of evalSteps (${ev}) when loadBestModelAtEnd is set, got ${sv}`);
    }
  }
  if (args.earlyStoppingPatience !== undefined && args.evalStrategy === 'no') {
    throw bad('earlyStoppingPatience', 'needs evaluation: set evalStrategy to steps or epoch');
  }
  if (args.freezeLayers !== undefined && args.strategy !== 'freeze') throw bad('freezeLayers', `applies to strategy freeze only (strategy is ${args.strategy})`);
  return args;
}

/** True when a larger value of the best-model metric is better. */
export function greaterIsBetter(args: TrainingArguments): boolean {
  if (args.greaterIsBetter !== undefined) return args.greaterIsBetter;
  return !/loss$/.test(metricKey(args));
}

/** metricForBestModel as an eval key: 'accuracy' → 'eval_accuracy'. */
export function metricKey(args: TrainingArguments): string {
  const m = args.metricForBestModel;
  return m.startsWith('eval_') ? m : `eval_${m}`;
}

/** The arguments in transformers' snake_case (training_args.json). */
export function toHfDict(args: TrainingArguments): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of ARGUMENT_NAMES) {
    const v = args[name];
    out[TRAINING_ARGUMENT_DOCS[name].hfName] = v === undefined ? null : v;
  }
  return out;
}

/** The text of a config file (training arguments, or a baseline's options); over 1 MB is refused as a mistake. */
export function readConfigText(path: string): string {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new LenguaError('config file not found', { file: path });
  }
  if (size > 1_000_000) throw new LenguaError(`config file is ${size} bytes, over the 1 MB limit`, { file: path });
  return readFileSync(path, 'utf8');
}

/** Reads the fields of a JSON or YAML config file; unknown keys are errors naming the key and file. */
export function readArgumentsFile(path: string): Partial<TrainingArguments> {
  const text = readConfigText(path);
  const ext = extname(path).toLowerCase();
  let data: unknown;
  try {
    data = ext === '.yaml' || ext === '.yml' ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new LenguaError(`cannot parse ${ext === '.yaml' || ext === '.yml' ? 'YAML' : 'JSON'}: ${(err as Error).message}`, { file: path }, { cause: err });
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new LenguaError('a config file must hold an object of training arguments', { file: path });
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    const name = argumentName(k);
    if (name === null) throw new LenguaError(`unknown training argument "${k}"`, { file: path, field: k });
    out[name] = coerceArgument(name, v, path);
  }
  return out as Partial<TrainingArguments>;
}
