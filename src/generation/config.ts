/**
 * Generation options, named as transformers' `GenerationConfig` in camelCase, and their resolution:
 * transformers' defaults < `generation_config.json` (or, without it, the token ids of `config.json`, as
 * `GenerationConfig.from_model_config` does) < the call's options. Every value is checked and bounded here,
 * so the decoding loop never sees a bad one.
 */
import { LenguaError } from '../errors.js';

export interface GenerationOptions {
  /** Total length incl. the (padded) prompt; transformers' default 20. `maxNewTokens` wins when both are set. */
  maxLength?: number;
  maxNewTokens?: number;
  /** EOS is banned while the sequence (incl. the prompt) is shorter than this. */
  minLength?: number;
  /** EOS is banned until this many tokens were generated. */
  minNewTokens?: number;
  doSample?: boolean;
  temperature?: number;
  /** Sampling keeps the k most likely tokens (transformers' default 50; 0 turns it off). */
  topK?: number;
  topP?: number;
  repetitionPenalty?: number;
  noRepeatNgramSize?: number;
  numBeams?: number;
  lengthPenalty?: number;
  earlyStopping?: boolean | 'never';
  numReturnSequences?: number;
  eosTokenId?: number | number[] | null;
  padTokenId?: number | null;
  bosTokenId?: number | null;
  /** Encoder-decoder models: the first decoder token (the prompt of every row). */
  decoderStartTokenId?: number | null;
  /** The first generated token is forced to this one (Marian / mBART / BART target languages or BOS). */
  forcedBosTokenId?: number | null;
  /** The last token a row can get before maxLength is forced to this one (BART's EOS). */
  forcedEosTokenId?: number | null;
  badWordsIds?: number[][] | null;
  /** Generation of a row stops once its generated text contains one of these. */
  stopStrings?: string | string[] | null;
  /** Seeds the sampler: the same seed, prompt and options give the same tokens. */
  seed?: number;
}

/** The resolved configuration the decoding loop runs with (plain data: it crosses to the worker thread). */
export interface GenerationConfig {
  maxLength: number;
  maxNewTokens: number | null;
  minLength: number;
  minNewTokens: number;
  doSample: boolean;
  temperature: number;
  topK: number;
  topP: number;
  repetitionPenalty: number;
  noRepeatNgramSize: number;
  numBeams: number;
  lengthPenalty: number;
  earlyStopping: boolean | 'never';
  numReturnSequences: number;
  eosTokenIds: number[];
  padTokenId: number | null;
  bosTokenId: number | null;
  decoderStartTokenId: number | null;
  forcedBosTokenId: number | null;
  forcedEosTokenId: number | null;
  badWordsIds: number[][];
  stopStrings: string[];
  seed: number | null;
}

/** transformers' GenerationConfig defaults. */
export const DEFAULT_GENERATION_CONFIG: GenerationConfig = {
  maxLength: 20,
  maxNewTokens: null,
  minLength: 0,
  minNewTokens: 0,
  doSample: false,
  temperature: 1,
  topK: 50,
  topP: 1,
  repetitionPenalty: 1,
  noRepeatNgramSize: 0,
  numBeams: 1,
  lengthPenalty: 1,
  earlyStopping: false,
  numReturnSequences: 1,
  eosTokenIds: [],
  padTokenId: null,
  bosTokenId: null,
  decoderStartTokenId: null,
  forcedBosTokenId: null,
  forcedEosTokenId: null,
  badWordsIds: [],
  stopStrings: [],
  seed: null,
};

/** Bounds on one request, so a bad argument fails at once instead of exhausting memory or time. */
export const GENERATION_LIMITS = {
  length: 1_048_576,
  beams: 64,
  returnSequences: 64,
  badWords: 10_000,
  badWordLength: 64,
  stopStrings: 64,
  stopStringChars: 1000,
  ngram: 64,
};

const SNAKE: Record<keyof GenerationOptions, string> = {
  maxLength: 'max_length',
  maxNewTokens: 'max_new_tokens',
  minLength: 'min_length',
  minNewTokens: 'min_new_tokens',
  doSample: 'do_sample',
  temperature: 'temperature',
  topK: 'top_k',
  topP: 'top_p',
  repetitionPenalty: 'repetition_penalty',
  noRepeatNgramSize: 'no_repeat_ngram_size',
  numBeams: 'num_beams',
  lengthPenalty: 'length_penalty',
  earlyStopping: 'early_stopping',
  numReturnSequences: 'num_return_sequences',
  eosTokenId: 'eos_token_id',
  padTokenId: 'pad_token_id',
  bosTokenId: 'bos_token_id',
  decoderStartTokenId: 'decoder_start_token_id',
  forcedBosTokenId: 'forced_bos_token_id',
  forcedEosTokenId: 'forced_eos_token_id',
  badWordsIds: 'bad_words_ids',
  stopStrings: 'stop_strings',
  seed: 'seed',
};

/** Reads the generation keys of a `generation_config.json` (snake_case) into options; unknown keys are kept by transformers and ignored here. */
export function optionsFromJson(json: Record<string, unknown>, file: string, tokenIdsOnly = false): GenerationOptions {
  const out: Record<string, unknown> = {};
  for (const [camel, snake] of Object.entries(SNAKE)) {
    if (tokenIdsOnly && !snake.endsWith('_token_id')) continue;
    const v = json[snake];
    if (v === undefined) continue;
    // null means "not set" in transformers' files (top_k: null, eos_token_id: null, ...).
    if (v === null && !['eosTokenId', 'padTokenId', 'bosTokenId', 'decoderStartTokenId', 'forcedBosTokenId', 'forcedEosTokenId'].includes(camel)) continue;
    out[camel] = v;
  }
  try {
    checkOptions(out as GenerationOptions);
  } catch (err) {
    if (err instanceof LenguaError) throw new LenguaError(err.message.replace(/^field "[^"]*": /, ''), { file, field: SNAKE[err.field as keyof GenerationOptions] ?? err.field }, { cause: err });
    throw err;
  }
  return out as GenerationOptions;
}

function int(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new LenguaError(`expected an integer in [${min}, ${max}], got ${JSON.stringify(v)}`, { field });
  }
  return v;
}

function num(v: unknown, field: string, ok: (x: number) => boolean, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw new LenguaError(`expected ${what}, got ${JSON.stringify(v)}`, { field });
  return v;
}

function tokenId(v: unknown, field: string): number {
  return int(v, field, 0, 2 ** 31 - 1);
}

const KNOWN = new Set(Object.keys(SNAKE));

/** Checks the options' types and ranges (LenguaError naming the option); returns them. */
export function checkOptions(o: GenerationOptions): GenerationOptions {
  if (o === null || typeof o !== 'object') throw new LenguaError('generation options must be an object', { field: 'options' });
  for (const k of Object.keys(o)) {
    if (!KNOWN.has(k) && (o as Record<string, unknown>)[k] !== undefined) throw new LenguaError(`unknown generation option (known: ${[...KNOWN].join(', ')})`, { field: k });
  }
  const L = GENERATION_LIMITS;
  if (o.maxLength !== undefined) int(o.maxLength, 'maxLength', 1, L.length);
  if (o.maxNewTokens !== undefined) int(o.maxNewTokens, 'maxNewTokens', 0, L.length);
  if (o.minLength !== undefined) int(o.minLength, 'minLength', 0, L.length);
  if (o.minNewTokens !== undefined) int(o.minNewTokens, 'minNewTokens', 0, L.length);
  if (o.doSample !== undefined && typeof o.doSample !== 'boolean') throw new LenguaError(`expected true or false, got ${JSON.stringify(o.doSample)}`, { field: 'doSample' });
  if (o.temperature !== undefined) num(o.temperature, 'temperature', (x) => x > 0, 'a number > 0');
  if (o.topK !== undefined) int(o.topK, 'topK', 0, 2 ** 31 - 1);
  if (o.topP !== undefined) num(o.topP, 'topP', (x) => x > 0 && x <= 1, 'a number in (0, 1]');
  if (o.repetitionPenalty !== undefined) num(o.repetitionPenalty, 'repetitionPenalty', (x) => x > 0, 'a number > 0');
  if (o.noRepeatNgramSize !== undefined) int(o.noRepeatNgramSize, 'noRepeatNgramSize', 0, L.ngram);
  if (o.numBeams !== undefined) int(o.numBeams, 'numBeams', 1, L.beams);
  if (o.lengthPenalty !== undefined) num(o.lengthPenalty, 'lengthPenalty', () => true, 'a finite number');
  if (o.earlyStopping !== undefined && typeof o.earlyStopping !== 'boolean' && o.earlyStopping !== 'never') {
    throw new LenguaError(`expected true, false or "never", got ${JSON.stringify(o.earlyStopping)}`, { field: 'earlyStopping' });
  }
  if (o.numReturnSequences !== undefined) int(o.numReturnSequences, 'numReturnSequences', 1, L.returnSequences);
  if (o.eosTokenId !== undefined && o.eosTokenId !== null) {
    const ids = Array.isArray(o.eosTokenId) ? o.eosTokenId : [o.eosTokenId];
    if (ids.length > 1024) throw new LenguaError(`at most 1024 EOS ids, got ${ids.length}`, { field: 'eosTokenId' });
    ids.forEach((id, i) => tokenId(id, `eosTokenId[${i}]`));
  }
  if (o.padTokenId !== undefined && o.padTokenId !== null) tokenId(o.padTokenId, 'padTokenId');
  if (o.bosTokenId !== undefined && o.bosTokenId !== null) tokenId(o.bosTokenId, 'bosTokenId');
  for (const k of ['decoderStartTokenId', 'forcedBosTokenId', 'forcedEosTokenId'] as const) if (o[k] !== undefined && o[k] !== null) tokenId(o[k], k);
  if (o.badWordsIds !== undefined && o.badWordsIds !== null) {
    if (!Array.isArray(o.badWordsIds) || o.badWordsIds.length > L.badWords) throw new LenguaError(`expected at most ${L.badWords} lists of token ids`, { field: 'badWordsIds' });
    o.badWordsIds.forEach((w, i) => {
      if (!Array.isArray(w) || w.length === 0 || w.length > L.badWordLength) throw new LenguaError(`expected a non-empty list of at most ${L.badWordLength} token ids`, { field: `badWordsIds[${i}]` });
      w.forEach((id, j) => tokenId(id, `badWordsIds[${i}][${j}]`));
    });
  }
  if (o.stopStrings !== undefined && o.stopStrings !== null) {
    const s = typeof o.stopStrings === 'string' ? [o.stopStrings] : o.stopStrings;
    if (!Array.isArray(s) || s.length > L.stopStrings) throw new LenguaError(`expected a string or at most ${L.stopStrings} strings`, { field: 'stopStrings' });
    s.forEach((x, i) => {
      if (typeof x !== 'string' || x.length === 0 || x.length > L.stopStringChars) throw new LenguaError(`expected a string of 1 to ${L.stopStringChars} characters`, { field: `stopStrings[${i}]` });
    });
  }
  if (o.seed !== undefined) int(o.seed, 'seed', 0, Number.MAX_SAFE_INTEGER);
  return o;
}

/** Merges layers of options (later wins; `undefined` leaves a value as it is) over transformers' defaults. */
export function resolveGenerationConfig(...layers: Array<GenerationOptions | undefined>): GenerationConfig {
  const c: GenerationConfig = { ...DEFAULT_GENERATION_CONFIG };
  for (const o of layers) {
    if (o === undefined) continue;
    checkOptions(o);
    if (o.maxLength !== undefined) {
      c.maxLength = o.maxLength;
      // transformers: a later max_length replaces an earlier max_new_tokens only when given on its own.
      if (o.maxNewTokens === undefined) c.maxNewTokens = null;
    }
    if (o.maxNewTokens !== undefined) c.maxNewTokens = o.maxNewTokens;
    if (o.minLength !== undefined) c.minLength = o.minLength;
    if (o.minNewTokens !== undefined) c.minNewTokens = o.minNewTokens;
    if (o.doSample !== undefined) c.doSample = o.doSample;
    if (o.temperature !== undefined) c.temperature = o.temperature;
    if (o.topK !== undefined) c.topK = o.topK;
    if (o.topP !== undefined) c.topP = o.topP;
    if (o.repetitionPenalty !== undefined) c.repetitionPenalty = o.repetitionPenalty;
    if (o.noRepeatNgramSize !== undefined) c.noRepeatNgramSize = o.noRepeatNgramSize;
    if (o.numBeams !== undefined) c.numBeams = o.numBeams;
    if (o.lengthPenalty !== undefined) c.lengthPenalty = o.lengthPenalty;
    if (o.earlyStopping !== undefined) c.earlyStopping = o.earlyStopping;
    if (o.numReturnSequences !== undefined) c.numReturnSequences = o.numReturnSequences;
    if (o.eosTokenId !== undefined) c.eosTokenIds = o.eosTokenId === null ? [] : Array.isArray(o.eosTokenId) ? [...o.eosTokenId] : [o.eosTokenId];
    if (o.padTokenId !== undefined) c.padTokenId = o.padTokenId;
    if (o.bosTokenId !== undefined) c.bosTokenId = o.bosTokenId;
    if (o.decoderStartTokenId !== undefined) c.decoderStartTokenId = o.decoderStartTokenId;
    if (o.forcedBosTokenId !== undefined) c.forcedBosTokenId = o.forcedBosTokenId;
    if (o.forcedEosTokenId !== undefined) c.forcedEosTokenId = o.forcedEosTokenId;
    if (o.badWordsIds !== undefined) c.badWordsIds = o.badWordsIds === null ? [] : o.badWordsIds.map((w) => [...w]);
    if (o.stopStrings !== undefined) c.stopStrings = o.stopStrings === null ? [] : typeof o.stopStrings === 'string' ? [o.stopStrings] : [...o.stopStrings];
    if (o.seed !== undefined) c.seed = o.seed;
  }
  // What transformers refuses in GenerationConfig.validate / generate().
  if (c.numReturnSequences > 1 && !c.doSample && c.numReturnSequences > c.numBeams) {
    throw new LenguaError(
      `numReturnSequences (${c.numReturnSequences}) must be at most numBeams (${c.numBeams}) without sampling: greedy search has one answer`,
      { field: 'numReturnSequences' },
    );
  }
  if (c.doSample && c.numBeams > 1) throw new LenguaError('beam sampling (doSample with numBeams > 1) is not supported; choose one', { field: 'numBeams' });
  return c;
}
