/**
 * `config.json` for the model families Lengua trains (bert, distilbert, roberta, gpt2), with Hugging
 * Face's key names and class defaults, so a folder written here loads in Python and vice versa.
 *
 * Each config keeps the raw JSON object: keys this code does not model (task_specific_params, summary_*,
 * transformers_version, ...) survive a load/save round trip unchanged. Typed getters read the raw object
 * with the family's default and validate the value; setters write it back under the HF name.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LenguaError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';

export type ModelType = 'bert' | 'distilbert' | 'roberta' | 'gpt2';
export type ProblemType = 'regression' | 'single_label_classification' | 'multi_label_classification';
export const MODEL_TYPES: readonly ModelType[] = ['bert', 'distilbert', 'roberta', 'gpt2'];

/** config.json files are small; anything bigger is not a config (or is hostile). */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
/** Upper bounds that keep a typo or a hostile file from allocating absurd tensors. */
const LIMITS = { vocab: 10_000_000, hidden: 65_536, layers: 512, heads: 1024, positions: 1_048_576, labels: 1_000_000 };

type Json = Record<string, unknown>;

/** Things every HF config has (transformers `PretrainedConfig`). */
export abstract class PretrainedConfig {
  abstract readonly modelType: ModelType;
  /** The JSON object as read (plus edits); `toJSON()` fills defaults on top. */
  protected readonly raw: Json;
  /** Where it was read from, for error messages. */
  readonly source: string;

  constructor(raw: Json = {}, source = 'config.json') {
    this.raw = { ...raw };
    this.source = source;
    // id2label is the truth for the label count in HF; num_labels alone is also accepted.
    if (this.raw.id2label === undefined && this.raw.num_labels !== undefined) {
      this.numLabels = this.int('num_labels', 2, 1, LIMITS.labels);
    }
    delete this.raw.num_labels;
    this.validate();
  }

  /** Family defaults (transformers' `*Config.__init__` defaults), under HF key names. */
  protected abstract defaults(): Json;

  protected get<T>(key: string): T {
    return (key in this.raw ? this.raw[key] : this.defaults()[key]) as T;
  }

  protected int(key: string, def: number, min: number, max: number): number {
    const v = key in this.raw ? this.raw[key] : def;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new LenguaError(`must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`, { file: this.source, field: key });
    }
    return v;
  }

  protected num(key: string, def: number, min = -Infinity, max = Infinity): number {
    const v = key in this.raw ? this.raw[key] : def;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      throw new LenguaError(`must be a number in [${min}, ${max}], got ${JSON.stringify(v)}`, { file: this.source, field: key });
    }
    return v;
  }

  protected optInt(key: string, def: number | null): number | null {
    const v = key in this.raw ? this.raw[key] : def;
    if (v === null || v === undefined) return null;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      throw new LenguaError(`must be a non-negative integer or null, got ${JSON.stringify(v)}`, { file: this.source, field: key });
    }
    return v;
  }

  protected optNum(key: string, min: number, max: number): number | null {
    const v = this.raw[key];
    if (v === null || v === undefined) return null;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      throw new LenguaError(`must be a number in [${min}, ${max}] or null, got ${JSON.stringify(v)}`, { file: this.source, field: key });
    }
    return v;
  }

  protected str(key: string, def: string): string {
    const v = key in this.raw ? this.raw[key] : def;
    if (typeof v !== 'string') throw new LenguaError(`must be a string, got ${JSON.stringify(v)}`, { file: this.source, field: key });
    return v;
  }

  protected bool(key: string, def: boolean): boolean {
    const v = key in this.raw ? this.raw[key] : def;
    if (typeof v !== 'boolean') throw new LenguaError(`must be true or false, got ${JSON.stringify(v)}`, { file: this.source, field: key });
    return v;
  }

  /** Checks every typed field once so a bad file fails at load, not in the middle of a forward pass. */
  protected validate(): void {
    void this.id2label;
    void this.label2id;
    void this.problemType;
    void this.padTokenId;
    void this.bosTokenId;
    void this.eosTokenId;
    void this.tieWordEmbeddings;
    void this.vocabSize;
    void this.hiddenSize;
    void this.numHiddenLayers;
    void this.initializerRange;
    if (this.hiddenSize % this.numAttentionHeads !== 0) {
      throw new LenguaError(
        `hidden size ${this.hiddenSize} is not a multiple of the number of attention heads ${this.numAttentionHeads}`,
        { file: this.source, field: this.modelType === 'gpt2' ? 'n_head' : this.modelType === 'distilbert' ? 'n_heads' : 'num_attention_heads' },
      );
    }
    const pad = this.padTokenId;
    if (pad !== null && pad >= this.vocabSize) {
      throw new LenguaError(`pad_token_id ${pad} is outside the vocabulary (vocab_size ${this.vocabSize})`, { file: this.source, field: 'pad_token_id' });
    }
  }

  abstract get vocabSize(): number;
  abstract get hiddenSize(): number;
  abstract get numHiddenLayers(): number;
  abstract get numAttentionHeads(): number;
  abstract get maxPositionEmbeddings(): number;

  get initializerRange(): number {
    return this.num('initializer_range', 0.02, 0, 100);
  }
  get architectures(): string[] | null {
    const v = this.raw.architectures;
    if (v === undefined || v === null) return null;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
      throw new LenguaError('must be a list of class names', { file: this.source, field: 'architectures' });
    }
    return v as string[];
  }
  set architectures(v: string[] | null) {
    this.raw.architectures = v;
  }

  /** HF default: 2 labels named LABEL_0 / LABEL_1. Keys are JSON strings of integers. */
  get id2label(): Record<number, string> {
    const v = this.raw.id2label;
    if (v === undefined || v === null) return { 0: 'LABEL_0', 1: 'LABEL_1' };
    if (typeof v !== 'object' || Array.isArray(v)) throw new LenguaError('must be an object {"0": "label", ...}', { file: this.source, field: 'id2label' });
    const out: Record<number, string> = {};
    const entries = Object.entries(v as Json);
    if (entries.length === 0 || entries.length > LIMITS.labels) {
      throw new LenguaError(`must have between 1 and ${LIMITS.labels} entries`, { file: this.source, field: 'id2label' });
    }
    for (const [k, name] of entries) {
      const i = Number(k);
      if (!Number.isInteger(i) || i < 0 || i >= entries.length || typeof name !== 'string') {
        throw new LenguaError(`entry ${JSON.stringify(k)}: ${JSON.stringify(name)} is not "<id 0..${entries.length - 1}>": "<label>"`, { file: this.source, field: 'id2label' });
      }
      out[i] = name;
    }
    return out;
  }
  set id2label(map: Record<number, string>) {
    const obj: Record<string, string> = {};
    for (const [k, name] of Object.entries(map)) obj[String(Number(k))] = name;
    this.raw.id2label = obj;
    const inv: Record<string, number> = {};
    for (const [k, name] of Object.entries(obj)) inv[name] = Number(k);
    this.raw.label2id = inv;
  }
  get label2id(): Record<string, number> {
    const v = this.raw.label2id;
    if (v === undefined || v === null) {
      const out: Record<string, number> = {};
      for (const [k, name] of Object.entries(this.id2label)) out[name] = Number(k);
      return out;
    }
    if (typeof v !== 'object' || Array.isArray(v)) throw new LenguaError('must be an object {"label": 0, ...}', { file: this.source, field: 'label2id' });
    for (const [name, id] of Object.entries(v as Json)) {
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
        throw new LenguaError(`entry ${JSON.stringify(name)} must map to a non-negative integer`, { file: this.source, field: 'label2id' });
      }
    }
    return { ...(v as Record<string, number>) };
  }
  set label2id(map: Record<string, number>) {
    this.raw.label2id = { ...map };
  }
  get numLabels(): number {
    return Object.keys(this.id2label).length;
  }
  /** Like HF: setting num_labels (re)creates LABEL_i names when the count changes. */
  set numLabels(n: number) {
    if (!Number.isInteger(n) || n < 1 || n > LIMITS.labels) throw new LenguaError(`numLabels must be an integer in [1, ${LIMITS.labels}], got ${n}`, { field: 'num_labels' });
    if (this.raw.id2label !== undefined && this.raw.id2label !== null && this.numLabels === n) return;
    const m: Record<number, string> = {};
    for (let i = 0; i < n; i++) m[i] = `LABEL_${i}`;
    this.id2label = m;
  }

  get problemType(): ProblemType | null {
    const v = this.raw.problem_type;
    if (v === undefined || v === null) return null;
    if (v !== 'regression' && v !== 'single_label_classification' && v !== 'multi_label_classification') {
      throw new LenguaError(`must be regression, single_label_classification or multi_label_classification, got ${JSON.stringify(v)}`, { file: this.source, field: 'problem_type' });
    }
    return v;
  }
  set problemType(v: ProblemType | null) {
    this.raw.problem_type = v;
  }
  get padTokenId(): number | null {
    return this.optInt('pad_token_id', this.get<number | null>('pad_token_id') ?? null);
  }
  get bosTokenId(): number | null {
    return this.optInt('bos_token_id', this.get<number | null>('bos_token_id') ?? null);
  }
  get eosTokenId(): number | null {
    return this.optInt('eos_token_id', this.get<number | null>('eos_token_id') ?? null);
  }
  get tieWordEmbeddings(): boolean {
    return this.bool('tie_word_embeddings', true);
  }
  get outputHiddenStates(): boolean {
    return this.bool('output_hidden_states', false);
  }
  get outputAttentions(): boolean {
    return this.bool('output_attentions', false);
  }

  /** Sets any HF key (snake_case) – for options fromPretrained passes through. */
  set(key: string, value: unknown): void {
    if (key === 'num_labels') {
      this.numLabels = value as number;
      return;
    }
    this.raw[key] = value;
    this.validate();
  }

  /** The full config.json object: family defaults overlaid with the stored keys, keys sorted like HF. */
  toJSON(): Json {
    const merged: Json = { ...this.defaults(), ...this.raw, model_type: this.modelType };
    if (merged.id2label === undefined) merged.id2label = { '0': 'LABEL_0', '1': 'LABEL_1' };
    if (merged.label2id === undefined) merged.label2id = this.label2id;
    const out: Json = {};
    for (const k of Object.keys(merged).sort()) out[k] = merged[k];
    return out;
  }

  toJSONString(): string {
    return JSON.stringify(this.toJSON(), null, 2) + '\n';
  }

  /** Writes `config.json` into `dir` (atomically). */
  savePretrained(dir: string): void {
    writeFileAtomic(join(dir, 'config.json'), this.toJSONString());
  }

  clone(): this {
    const C = this.constructor as new (raw: Json, source: string) => this;
    return new C(JSON.parse(JSON.stringify(this.raw)) as Json, this.source);
  }
}

function activationField(cfg: PretrainedConfig & { source: string }, key: string, value: unknown): string {
  if (typeof value !== 'string' || !SUPPORTED_ACTIVATIONS.includes(value)) {
    throw new LenguaError(`unsupported activation ${JSON.stringify(value)} (supported: ${SUPPORTED_ACTIVATIONS.join(', ')})`, { file: cfg.source, field: key });
  }
  return value;
}

/** Activation names as in transformers' ACT2FN that the models implement. */
export const SUPPORTED_ACTIVATIONS: readonly string[] = [
  'gelu', 'gelu_new', 'gelu_pytorch_tanh', 'gelu_fast', 'quick_gelu', 'relu', 'silu', 'swish', 'tanh', 'linear', 'sigmoid',
];

/** transformers `BertConfig`. */
export class BertConfig extends PretrainedConfig {
  readonly modelType: ModelType = 'bert';
  protected defaults(): Json {
    return {
      vocab_size: 30522, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072,
      hidden_act: 'gelu', hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1, max_position_embeddings: 512,
      type_vocab_size: 2, initializer_range: 0.02, layer_norm_eps: 1e-12, pad_token_id: 0,
      position_embedding_type: 'absolute', use_cache: true, classifier_dropout: null,
    };
  }
  protected override validate(): void {
    super.validate();
    void this.intermediateSize;
    void this.hiddenAct;
    void this.typeVocabSize;
    void this.layerNormEps;
    void this.hiddenDropoutProb;
    void this.attentionProbsDropoutProb;
    void this.classifierDropout;
    const pet = this.get<unknown>('position_embedding_type');
    if (pet !== 'absolute') {
      throw new LenguaError(`only "absolute" position embeddings are implemented, got ${JSON.stringify(pet)}`, { file: this.source, field: 'position_embedding_type' });
    }
  }
  get vocabSize(): number { return this.int('vocab_size', this.get('vocab_size'), 1, LIMITS.vocab); }
  get hiddenSize(): number { return this.int('hidden_size', this.get('hidden_size'), 1, LIMITS.hidden); }
  get numHiddenLayers(): number { return this.int('num_hidden_layers', this.get('num_hidden_layers'), 0, LIMITS.layers); }
  get numAttentionHeads(): number { return this.int('num_attention_heads', this.get('num_attention_heads'), 1, LIMITS.heads); }
  get intermediateSize(): number { return this.int('intermediate_size', this.get('intermediate_size'), 1, LIMITS.hidden * 8); }
  get maxPositionEmbeddings(): number { return this.int('max_position_embeddings', this.get('max_position_embeddings'), 1, LIMITS.positions); }
  get typeVocabSize(): number { return this.int('type_vocab_size', this.get('type_vocab_size'), 1, LIMITS.vocab); }
  get hiddenAct(): string { return activationField(this, 'hidden_act', this.get('hidden_act')); }
  get layerNormEps(): number { return this.num('layer_norm_eps', this.get('layer_norm_eps'), 0, 1); }
  get hiddenDropoutProb(): number { return this.num('hidden_dropout_prob', this.get('hidden_dropout_prob'), 0, 1); }
  get attentionProbsDropoutProb(): number { return this.num('attention_probs_dropout_prob', this.get('attention_probs_dropout_prob'), 0, 1); }
  get classifierDropout(): number | null { return this.optNum('classifier_dropout', 0, 1); }
}

/** transformers `RobertaConfig`: BERT's fields with RoBERTa's vocabulary and special ids. */
export class RobertaConfig extends BertConfig {
  override readonly modelType: ModelType = 'roberta';
  protected override defaults(): Json {
    return { ...super.defaults(), vocab_size: 50265, pad_token_id: 1, bos_token_id: 0, eos_token_id: 2 };
  }
  protected override validate(): void {
    super.validate();
    if (this.padTokenId === null) throw new LenguaError('RoBERTa needs a pad_token_id (positions count from it)', { file: this.source, field: 'pad_token_id' });
    if (this.maxPositionEmbeddings <= this.padTokenId + 1) {
      throw new LenguaError(`max_position_embeddings ${this.maxPositionEmbeddings} leaves no positions after pad_token_id ${this.padTokenId}`, { file: this.source, field: 'max_position_embeddings' });
    }
  }
}

/** transformers `DistilBertConfig` (its own names: dim, n_heads, n_layers, hidden_dim). */
export class DistilBertConfig extends PretrainedConfig {
  readonly modelType: ModelType = 'distilbert';
  protected defaults(): Json {
    return {
      vocab_size: 30522, max_position_embeddings: 512, sinusoidal_pos_embds: false, n_layers: 6, n_heads: 12, dim: 768,
      hidden_dim: 3072, dropout: 0.1, attention_dropout: 0.1, activation: 'gelu', initializer_range: 0.02,
      qa_dropout: 0.1, seq_classif_dropout: 0.2, pad_token_id: 0,
    };
  }
  protected override validate(): void {
    super.validate();
    void this.hiddenDim;
    void this.activation;
    void this.sinusoidalPosEmbds;
    void this.dropout;
    void this.attentionDropout;
    void this.seqClassifDropout;
    void this.qaDropout;
  }
  get vocabSize(): number { return this.int('vocab_size', this.get('vocab_size'), 1, LIMITS.vocab); }
  get hiddenSize(): number { return this.int('dim', this.get('dim'), 1, LIMITS.hidden); }
  get dim(): number { return this.hiddenSize; }
  get numHiddenLayers(): number { return this.int('n_layers', this.get('n_layers'), 0, LIMITS.layers); }
  get numAttentionHeads(): number { return this.int('n_heads', this.get('n_heads'), 1, LIMITS.heads); }
  get hiddenDim(): number { return this.int('hidden_dim', this.get('hidden_dim'), 1, LIMITS.hidden * 8); }
  get maxPositionEmbeddings(): number { return this.int('max_position_embeddings', this.get('max_position_embeddings'), 1, LIMITS.positions); }
  get sinusoidalPosEmbds(): boolean { return this.bool('sinusoidal_pos_embds', false); }
  get activation(): string { return activationField(this, 'activation', this.get('activation')); }
  get dropout(): number { return this.num('dropout', this.get('dropout'), 0, 1); }
  get attentionDropout(): number { return this.num('attention_dropout', this.get('attention_dropout'), 0, 1); }
  get qaDropout(): number { return this.num('qa_dropout', this.get('qa_dropout'), 0, 1); }
  get seqClassifDropout(): number { return this.num('seq_classif_dropout', this.get('seq_classif_dropout'), 0, 1); }
}

/** transformers `GPT2Config` (n_embd, n_layer, n_head, n_positions, n_inner, activation_function, ...). */
export class GPT2Config extends PretrainedConfig {
  readonly modelType: ModelType = 'gpt2';
  protected defaults(): Json {
    return {
      vocab_size: 50257, n_positions: 1024, n_embd: 768, n_layer: 12, n_head: 12, n_inner: null,
      activation_function: 'gelu_new', resid_pdrop: 0.1, embd_pdrop: 0.1, attn_pdrop: 0.1, layer_norm_epsilon: 1e-5,
      initializer_range: 0.02, summary_type: 'cls_index', summary_use_proj: true, summary_activation: null,
      summary_proj_to_labels: true, summary_first_dropout: 0.1, scale_attn_weights: true, use_cache: true,
      bos_token_id: 50256, eos_token_id: 50256, scale_attn_by_inverse_layer_idx: false, reorder_and_upcast_attn: false,
    };
  }
  protected override validate(): void {
    super.validate();
    void this.nInner;
    void this.activationFunction;
    void this.layerNormEpsilon;
    void this.residPdrop;
    void this.embdPdrop;
    void this.attnPdrop;
    void this.scaleAttnWeights;
    void this.scaleAttnByInverseLayerIdx;
  }
  get vocabSize(): number { return this.int('vocab_size', this.get('vocab_size'), 1, LIMITS.vocab); }
  get hiddenSize(): number { return this.int('n_embd', this.get('n_embd'), 1, LIMITS.hidden); }
  get nEmbd(): number { return this.hiddenSize; }
  get numHiddenLayers(): number { return this.int('n_layer', this.get('n_layer'), 0, LIMITS.layers); }
  get numAttentionHeads(): number { return this.int('n_head', this.get('n_head'), 1, LIMITS.heads); }
  get maxPositionEmbeddings(): number { return this.int('n_positions', this.get('n_positions'), 1, LIMITS.positions); }
  /** MLP width: `n_inner`, or 4 * n_embd when null (HF rule). */
  get nInner(): number {
    const v = this.optInt('n_inner', null);
    if (v === null) return 4 * this.hiddenSize;
    if (v < 1 || v > LIMITS.hidden * 8) throw new LenguaError(`must be null or an integer in [1, ${LIMITS.hidden * 8}]`, { file: this.source, field: 'n_inner' });
    return v;
  }
  get activationFunction(): string { return activationField(this, 'activation_function', this.get('activation_function')); }
  get layerNormEpsilon(): number { return this.num('layer_norm_epsilon', this.get('layer_norm_epsilon'), 0, 1); }
  get residPdrop(): number { return this.num('resid_pdrop', this.get('resid_pdrop'), 0, 1); }
  get embdPdrop(): number { return this.num('embd_pdrop', this.get('embd_pdrop'), 0, 1); }
  get attnPdrop(): number { return this.num('attn_pdrop', this.get('attn_pdrop'), 0, 1); }
  get scaleAttnWeights(): boolean { return this.bool('scale_attn_weights', true); }
  get scaleAttnByInverseLayerIdx(): boolean { return this.bool('scale_attn_by_inverse_layer_idx', false); }
}

export type AnyConfig = BertConfig | RobertaConfig | DistilBertConfig | GPT2Config;

const CONFIG_CLASSES: Record<ModelType, new (raw: Json, source: string) => AnyConfig> = {
  bert: BertConfig,
  roberta: RobertaConfig,
  distilbert: DistilBertConfig,
  gpt2: GPT2Config,
};

/** Parses a config.json text (already read). `source` names the file in errors. */
export function parseConfig(text: string, source = 'config.json'): AnyConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new LenguaError(`not valid JSON: ${(err as Error).message}`, { file: source }, { cause: err });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new LenguaError('must hold a JSON object', { file: source });
  return configFromDict(json as Json, source);
}

/** Builds the config class that `model_type` names. */
export function configFromDict(json: Json, source = 'config.json'): AnyConfig {
  const type = json.model_type;
  if (typeof type !== 'string' || !(MODEL_TYPES as readonly string[]).includes(type)) {
    throw new LenguaError(`model_type ${JSON.stringify(type)} is not supported (supported: ${MODEL_TYPES.join(', ')})`, { file: source, field: 'model_type' });
  }
  const C = CONFIG_CLASSES[type as ModelType];
  const raw = { ...json };
  delete raw.model_type;
  return new C(raw, source);
}

/** Reads `<dir>/config.json` (bounded in size). */
export function readConfigFile(dir: string): AnyConfig {
  const file = join(dir, 'config.json');
  if (!existsSync(file)) throw new LenguaError('no config.json in the model folder', { file });
  const size = statSync(file).size;
  if (size > MAX_CONFIG_BYTES) throw new LenguaError(`config.json is ${size} bytes; the limit is ${MAX_CONFIG_BYTES}`, { file });
  return parseConfig(readFileSync(file, 'utf8'), file);
}

export interface AutoConfigOptions {
  /** Options for resolving a Hub id (cache dir, offline, revision...), passed to `resolveModelDir`. */
  resolve?: Record<string, unknown>;
  /** HF config keys (snake_case) or camelCase aliases to override after loading. */
  overrides?: Record<string, unknown>;
}

/** transformers `AutoConfig`: picks the class from `model_type`. */
export const AutoConfig = {
  async fromPretrained(idOrDir: string, opts: AutoConfigOptions = {}): Promise<AnyConfig> {
    const { resolveModelDir } = await import('./resolve.js');
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
