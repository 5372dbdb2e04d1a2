/**
 * `config.json`: what every Hugging Face config has (transformers `PretrainedConfig`) and the bounded
 * reading of the file. Each model family's own config class (`BertConfig`, ...) lives beside its
 * modeling code in `src/models/<family>/configuration.ts`, with Hugging Face's key names and defaults,
 * so a folder written here loads in Python and vice versa.
 *
 * Each config keeps the raw JSON object: keys this code does not model (task_specific_params, summary_*,
 * transformers_version, ...) survive a load/save round trip unchanged. Typed getters read the raw object
 * with the family's default and validate the value; setters write it back under the HF name.
 */
import { join } from 'node:path';
import { LenguaError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { checkJsonDepth, preview } from './json.js';
import { readModelText } from './model-files.js';

export type ProblemType = 'regression' | 'single_label_classification' | 'multi_label_classification';

/** config.json files are small; anything bigger is not a config (or is hostile). */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
/**
 * Upper bounds that keep a typo or a hostile file from allocating absurd tensors. `labels` also bounds
 * what `num_labels` alone makes (one LABEL_i name each, from a few bytes of file): ImageNet-21k has 21 843.
 */
export const CONFIG_LIMITS = { vocab: 10_000_000, hidden: 65_536, layers: 512, heads: 1024, positions: 1_048_576, labels: 100_000 };

export type Json = Record<string, unknown>;

/** Things every HF config has (transformers `PretrainedConfig`). */
export abstract class PretrainedConfig {
  /** The family's `model_type` (bert, roberta, ...). */
  abstract readonly modelType: string;
  /** The JSON object as read (plus edits); `toJSON()` fills defaults on top. */
  protected readonly raw: Json;
  /** Where it was read from, for error messages. */
  readonly source: string;

  constructor(raw: Json = {}, source = 'config.json') {
    // Deeper values would load, then break the JSON.stringify of a save or clone (RangeError).
    checkJsonDepth(raw, { file: source });
    this.raw = { ...raw };
    this.source = source;
    // id2label is the truth for the label count in HF; num_labels alone is also accepted.
    if (this.raw.id2label === undefined && this.raw.num_labels !== undefined) {
      this.numLabels = this.int('num_labels', 2, 1, CONFIG_LIMITS.labels);
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
      throw new LenguaError(`must be an integer in [${min}, ${max}], got ${preview(v)}`, { file: this.source, field: key });
    }
    return v;
  }

  protected num(key: string, def: number, min = -Infinity, max = Infinity): number {
    const v = key in this.raw ? this.raw[key] : def;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      throw new LenguaError(`must be a number in [${min}, ${max}], got ${preview(v)}`, { file: this.source, field: key });
    }
    return v;
  }

  protected optInt(key: string, def: number | null): number | null {
    const v = key in this.raw ? this.raw[key] : def;
    if (v === null || v === undefined) return null;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      throw new LenguaError(`must be a non-negative integer or null, got ${preview(v)}`, { file: this.source, field: key });
    }
    return v;
  }

  protected optNum(key: string, min: number, max: number): number | null {
    const v = this.raw[key];
    if (v === null || v === undefined) return null;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      throw new LenguaError(`must be a number in [${min}, ${max}] or null, got ${preview(v)}`, { file: this.source, field: key });
    }
    return v;
  }

  protected str(key: string, def: string): string {
    const v = key in this.raw ? this.raw[key] : def;
    if (typeof v !== 'string') throw new LenguaError(`must be a string, got ${preview(v)}`, { file: this.source, field: key });
    return v;
  }

  protected bool(key: string, def: boolean): boolean {
    const v = key in this.raw ? this.raw[key] : def;
    if (typeof v !== 'boolean') throw new LenguaError(`must be true or false, got ${preview(v)}`, { file: this.source, field: key });
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
        { file: this.source, field: this.numHeadsKey },
      );
    }
    const pad = this.padTokenId;
    if (pad !== null && pad >= this.vocabSize) {
      throw new LenguaError(`pad_token_id ${pad} is outside the vocabulary (vocab_size ${this.vocabSize})`, { file: this.source, field: 'pad_token_id' });
    }
  }

  /** The family's config key for the number of attention heads (named in errors). */
  protected get numHeadsKey(): string {
    return 'num_attention_heads';
  }

  /** An activation name the models implement (transformers' ACT2FN names). */
  protected activationField(key: string, value: unknown): string {
    if (typeof value !== 'string' || !SUPPORTED_ACTIVATIONS.includes(value)) {
      throw new LenguaError(`unsupported activation ${preview(value)} (supported: ${SUPPORTED_ACTIVATIONS.join(', ')})`, { file: this.source, field: key });
    }
    return value;
  }

  abstract get vocabSize(): number;
  abstract get hiddenSize(): number;
  abstract get numHiddenLayers(): number;
  abstract get numAttentionHeads(): number;
  abstract get maxPositionEmbeddings(): number;

  /** Width of the feed-forward layer (intermediate_size, n_inner, hidden_dim); transformers' usual 4 x hidden by default. */
  protected get mlpWidth(): number {
    return 4 * this.hiddenSize;
  }

  /**
   * About how many parameters a model of this config has (embeddings and layers; biases, norms and heads
   * are small next to them). Loading compares it with the checkpoint before allocating anything, so a
   * few bytes of config.json cannot claim gigabytes of weights that the checkpoint does not hold.
   */
  approxParameterCount(): number {
    const h = this.hiddenSize;
    return (this.vocabSize + this.maxPositionEmbeddings) * h + this.numHiddenLayers * (4 * h * h + 2 * h * this.mlpWidth);
  }

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
    if (entries.length === 0 || entries.length > CONFIG_LIMITS.labels) {
      throw new LenguaError(`must have between 1 and ${CONFIG_LIMITS.labels} entries`, { file: this.source, field: 'id2label' });
    }
    for (const [k, name] of entries) {
      const i = Number(k);
      if (!Number.isInteger(i) || i < 0 || i >= entries.length || typeof name !== 'string') {
        throw new LenguaError(`entry ${preview(k)}: ${preview(name)} is not "<id 0..${entries.length - 1}>": "<label>"`, { file: this.source, field: 'id2label' });
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
        throw new LenguaError(`entry ${preview(name)} must map to a non-negative integer`, { file: this.source, field: 'label2id' });
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
    if (!Number.isInteger(n) || n < 1 || n > CONFIG_LIMITS.labels) throw new LenguaError(`numLabels must be an integer in [1, ${CONFIG_LIMITS.labels}], got ${n}`, { field: 'num_labels' });
    if (this.raw.id2label !== undefined && this.raw.id2label !== null && this.numLabels === n) return;
    const m: Record<number, string> = {};
    for (let i = 0; i < n; i++) m[i] = `LABEL_${i}`;
    this.id2label = m;
  }

  get problemType(): ProblemType | null {
    const v = this.raw.problem_type;
    if (v === undefined || v === null) return null;
    if (v !== 'regression' && v !== 'single_label_classification' && v !== 'multi_label_classification') {
      throw new LenguaError(`must be regression, single_label_classification or multi_label_classification, got ${preview(v)}`, { file: this.source, field: 'problem_type' });
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

/** Activation names as in transformers' ACT2FN that the models implement. */
export const SUPPORTED_ACTIVATIONS: readonly string[] = [
  'gelu', 'gelu_new', 'gelu_pytorch_tanh', 'gelu_fast', 'quick_gelu', 'relu', 'silu', 'swish', 'tanh', 'linear', 'sigmoid',
];

/** Parses a config.json text (already read) into its JSON object. `source` names the file in errors. */
export function parseConfigJson(text: string, source = 'config.json'): Json {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new LenguaError(`not valid JSON: ${(err as Error).message}`, { file: source }, { cause: err });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new LenguaError('must hold a JSON object', { file: source });
  return json as Json;
}

/** Reads `<dir>/config.json` (bounded in size, not through a link out of the folder) into its JSON object; returns the file's path too. */
export function readConfigJson(dir: string): { json: Json; file: string } {
  const file = join(dir, 'config.json');
  const text = readModelText(dir, 'config.json', MAX_CONFIG_BYTES);
  if (text === undefined) throw new LenguaError('no config.json in the model folder', { file });
  return { json: parseConfigJson(text, file), file };
}
