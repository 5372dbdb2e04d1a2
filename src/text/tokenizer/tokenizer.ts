import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Tokenizer as LibTokenizer } from '@huggingface/tokenizers';
import { LenguaError } from '../../errors.js';
import { writeFileAtomic } from '../../util/fs.js';
import { resolveModelDir } from '../../hub/resolve.js';
import { checkModelFolder, modelFileExists, readModelText } from '../../hub/model-files.js';
import { checkJsonDepth, preview } from '../../hub/json.js';
import { checkTokenizerJson } from './validate.js';
import { AlignedString } from './aligned.js';
import { pythonJson, slowTokenizerFiles, writeSlowTokenizerFiles, SLOW_DEFAULTS, type SlowFilesReport } from './slow-files.js';
import { appendAddedTokensJson, convertBert, convertByteLevelBpe, parseMerges, parseVocabTxt, tokenContent } from './convert.js';
import { readSentencePieceFolder } from './sentencepiece.js';
import { alignedLowercase, alignedUnicode } from './normalizers.js';
import { AlignedPipeline, byteLevelToText, type AddedTokenSpec, type LibTokenizerInternals, type ModelInfo } from './pipeline.js';
import type { DecodeOptions, EncodeOptions, Encoding, FromPretrainedOptions, SpecialTokens, TruncationStrategy } from './types.js';

type Json = Record<string, unknown>;

/** Longest text (UTF-16 code units) one encode accepts; larger inputs are almost surely a mistake. */
export const MAX_INPUT_CHARS = 4_000_000;
/** transformers' "no limit" model_max_length (1e30) and anything near it means: not set. */
const NO_LIMIT = 1e15;
/** Largest tokenizer file read (real ones are tens of MB); also keeps the text under V8's string limit. */
const MAX_FILE_BYTES = 500_000_000;

interface SeqEnc {
  ids: number[];
  tokens: string[];
  offsets: Array<[number, number]>;
  wordIds: Array<number | null>;
}

type TemplateItem = { special: { ids: number[]; tokens: string[] }; typeId: number } | { seq: 0 | 1; typeId: number };

interface PostSpec {
  single: TemplateItem[];
  pair: TemplateItem[];
  /** ByteLevel / RobertaProcessing offset trimming. */
  trim: { addPrefixSpace: boolean } | null;
}

/** The text of a file of the tokenizer folder (bounded; links out of the folder refused); undefined when absent. */
function readText(dir: string, name: string): string | undefined {
  return readModelText(dir, name, MAX_FILE_BYTES);
}

/** Reads and parses a JSON file of the folder, naming the file in every error; null when absent. */
function readOptionalJson(dir: string, name: string): Json | null {
  const file = join(dir, name);
  const text = readText(dir, name);
  if (text === undefined) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new LenguaError(`malformed JSON: ${(err as Error).message}`, { file }, { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new LenguaError('expected a JSON object', { file });
  checkJsonDepth(parsed, { file });
  return parsed as Json;
}

function readJson(dir: string, name: string): Json {
  const json = readOptionalJson(dir, name);
  if (json === null) throw new LenguaError('not found', { file: join(dir, name) });
  return json;
}

/** A post-processor's type id: a small non-negative integer (default 0). */
function typeIdOf(v: unknown, file: string): number {
  if (v === undefined || v === null) return 0;
  if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 255) {
    throw new LenguaError(`type_id must be an integer in [0, 255], got ${preview(v)}`, { file, field: 'post_processor' });
  }
  return v as number;
}

/** A special token of a template: ids (integers) and tokens (strings), as many of each. */
function templateSpecial(def: unknown, id: string, file: string): { ids: number[]; tokens: string[] } {
  const d = (typeof def === 'object' && def !== null ? def : {}) as Json;
  const ids = d.ids;
  const tokens = d.tokens;
  if (!Array.isArray(ids) || !Array.isArray(tokens)) {
    throw new LenguaError(`special token ${preview(id)} is not defined in special_tokens`, { file, field: 'post_processor' });
  }
  if (ids.length !== tokens.length || !ids.every((x) => Number.isInteger(x) && (x as number) >= 0) || !tokens.every((t) => typeof t === 'string')) {
    throw new LenguaError(`special token ${preview(id)}: ids must be non-negative integers and tokens strings, as many of each`, { file, field: 'post_processor' });
  }
  return { ids: ids as number[], tokens: tokens as string[] };
}

function parseTemplate(items: unknown, specials: unknown, file: string): TemplateItem[] {
  if (!Array.isArray(items)) throw new LenguaError('TemplateProcessing template is not a list', { file, field: 'post_processor' });
  const defs = (typeof specials === 'object' && specials !== null ? specials : {}) as Json;
  return items.map((it: unknown) => {
    const o = (typeof it === 'object' && it !== null ? it : {}) as Json;
    if (o.SpecialToken) {
      const st = o.SpecialToken as Json;
      const id = String(st.id);
      return { special: templateSpecial(Object.hasOwn(defs, id) ? defs[id] : undefined, id, file), typeId: typeIdOf(st.type_id, file) };
    }
    if (o.Sequence) {
      const sq = o.Sequence as Json;
      return { seq: sq.id === 'B' ? 1 : 0, typeId: typeIdOf(sq.type_id, file) };
    }
    throw new LenguaError('unknown TemplateProcessing item', { file, field: 'post_processor' });
  });
}

/** BertProcessing / RobertaProcessing `cls` and `sep`: [token, id]. */
function tokenIdPair(v: unknown, key: string, file: string): { ids: number[]; tokens: string[] } {
  if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'string' || !Number.isInteger(v[1]) || (v[1] as number) < 0) {
    throw new LenguaError(`${key} must be [token, id], got ${preview(v)}`, { file, field: `post_processor.${key}` });
  }
  return { ids: [v[1] as number], tokens: [v[0]] };
}

/** The post-processor semantics of the Rust library, read from tokenizer.json. */
function parsePostProcessor(pp: unknown, file: string): PostSpec {
  const spec: PostSpec = { single: [{ seq: 0, typeId: 0 }], pair: [{ seq: 0, typeId: 0 }, { seq: 1, typeId: 1 }], trim: null };
  const apply = (p: Json): void => {
    switch (p.type) {
      case 'TemplateProcessing': {
        spec.single = parseTemplate(p.single, p.special_tokens, file);
        spec.pair = parseTemplate(p.pair, p.special_tokens, file);
        break;
      }
      case 'BertProcessing':
      case 'RobertaProcessing': {
        const cls = tokenIdPair(p.cls, 'cls', file);
        const sep = tokenIdPair(p.sep, 'sep', file);
        if (p.type === 'BertProcessing') {
          spec.single = [{ special: cls, typeId: 0 }, { seq: 0, typeId: 0 }, { special: sep, typeId: 0 }];
          spec.pair = [...spec.single, { seq: 1, typeId: 1 }, { special: sep, typeId: 1 }];
        } else {
          // RoBERTa gives every token type id 0, the pair included.
          spec.single = [{ special: cls, typeId: 0 }, { seq: 0, typeId: 0 }, { special: sep, typeId: 0 }];
          spec.pair = [...spec.single, { special: sep, typeId: 0 }, { seq: 1, typeId: 0 }, { special: sep, typeId: 0 }];
          if (p.trim_offsets !== false) spec.trim = { addPrefixSpace: p.add_prefix_space !== false };
        }
        break;
      }
      case 'ByteLevel':
        if (p.trim_offsets === true) spec.trim = { addPrefixSpace: p.add_prefix_space !== false };
        break;
      case 'Sequence':
        if (!Array.isArray(p.processors ?? [])) throw new LenguaError('Sequence processors must be a list', { file, field: 'post_processor' });
        for (const q of (p.processors ?? []) as unknown[]) apply((typeof q === 'object' && q !== null ? q : {}) as Json);
        break;
      default:
        throw new LenguaError(`unsupported post_processor type ${preview(p.type)}`, { file, field: 'post_processor' });
    }
  };
  if (pp !== null && pp !== undefined) apply((typeof pp === 'object' ? pp : {}) as Json);
  return spec;
}

function countSpecials(items: TemplateItem[]): number {
  return items.reduce((n, it) => n + ('special' in it ? it.special.ids.length : 0), 0);
}

/** The files of a tokenizer folder, after converting slow-tokenizer files when needed. */
export interface TokenizerFiles {
  dir: string;
  json: Json;
  config: Json;
  specialTokensMap: Json | null;
  /** 'tokenizer.json', or the slow files it was converted from. */
  source: string;
  /** transformers class the slow files were converted as (written to tokenizer_config.json when absent). */
  tokenizerClass?: string;
}

/** Reads a tokenizer folder: tokenizer.json, or vocab.txt / vocab.json + merges.txt / spiece.model. */
export function readTokenizerFiles(dirIn: string): TokenizerFiles {
  const dir = resolve(dirIn);
  // Also the files this load will not read: savePretrained of a model copies them along.
  checkModelFolder(dir);
  const config = readOptionalJson(dir, 'tokenizer_config.json') ?? {};
  const specialTokensMap = readOptionalJson(dir, 'special_tokens_map.json');
  // special_tokens_map.json fills what tokenizer_config.json leaves out (as transformers does).
  const merged: Json = { ...(specialTokensMap ?? {}), ...config };
  const tjFile = join(dir, 'tokenizer.json');
  if (modelFileExists(dir, 'tokenizer.json')) {
    const json = readJson(dir, 'tokenizer.json');
    if (typeof json.model !== 'object' || json.model === null) throw new LenguaError('no "model" object', { file: tjFile, field: 'model' });
    return { dir, json, config: merged, specialTokensMap, source: 'tokenizer.json' };
  }
  // Read first: a special token past the vocabulary takes its id from it.
  const added = readOptionalJson(dir, 'added_tokens.json');
  const withAdded = (files: TokenizerFiles): TokenizerFiles => {
    if (added !== null) appendAddedTokensJson(files.json, added, join(dir, 'added_tokens.json'));
    return files;
  };
  const vocabTxt = join(dir, 'vocab.txt');
  const vocabJson = join(dir, 'vocab.json');
  const mergesTxt = join(dir, 'merges.txt');
  if (modelFileExists(dir, 'vocab.json') && modelFileExists(dir, 'merges.txt')) {
    const vocabObj = readJson(dir, 'vocab.json');
    const vocab: Record<string, number> = Object.create(null) as Record<string, number>;
    for (const [k, v] of Object.entries(vocabObj)) {
      if (!Number.isInteger(v) || (v as number) < 0) throw new LenguaError(`id of ${JSON.stringify(k)} is not a non-negative integer`, { file: vocabJson, field: k });
      vocab[k] = v as number;
    }
    const merges = parseMerges(readText(dir, 'merges.txt') ?? '', mergesTxt);
    const kind = byteLevelKind(dir, merged, vocab);
    const cfg = { ...SLOW_DEFAULTS[kind], ...merged };
    return withAdded({
      dir,
      json: convertByteLevelBpe(vocab, merges, cfg, kind, vocabJson, added ?? {}),
      config: cfg,
      specialTokensMap,
      source: 'vocab.json + merges.txt',
      tokenizerClass: kind === 'roberta' ? 'RobertaTokenizer' : 'GPT2Tokenizer',
    });
  }
  const vocabText = readText(dir, 'vocab.txt');
  if (vocabText !== undefined) {
    const vocab = parseVocabTxt(vocabText, vocabTxt);
    const cfg = { ...SLOW_DEFAULTS.bert, ...merged };
    return withAdded({ dir, json: convertBert(vocab, cfg, vocabTxt, added ?? {}), config: cfg, specialTokensMap, source: 'vocab.txt', tokenizerClass: 'BertTokenizer' });
  }
  const spm = readSentencePieceFolder(dir, merged, String(readOptionalJson(dir, 'config.json')?.model_type ?? ''));
  if (spm !== null) return withAdded({ dir, ...spm, specialTokensMap });
  throw new LenguaError(
    'no tokenizer files: looked for tokenizer.json, vocab.txt (BERT WordPiece), vocab.json + merges.txt (GPT-2/RoBERTa byte-level BPE) and spiece.model (SentencePiece)',
    { file: dir },
  );
}

/**
 * Adds the slow-tokenizer files to a folder whose tokenizer files were copied (a model's savePretrained,
 * an export): the ones missing are generated from its tokenizer.json, copied ones that disagree with it
 * are replaced, tokenizer_config.json / special_tokens_map.json are kept unless the slow classes would
 * encode differently with them. `sourceDir` is where the copies came from. Null without tokenizer.json.
 */
export function completeTokenizerFolder(dir: string, sourceDir: string | null = null): SlowFilesReport | null {
  if (!modelFileExists(dir, 'tokenizer.json')) return null;
  const file = join(dir, 'tokenizer.json');
  let files: TokenizerFiles;
  try {
    files = readTokenizerFiles(dir);
    checkTokenizerJson(files.json, file);
  } catch (err) {
    // The copies stay usable as they were (a tokenizer Lengua cannot load may still be valid for others).
    if (err instanceof LenguaError) return { written: [], replaced: [], skipped: `tokenizer.json could not be read (${err.message})` };
    throw err;
  }
  return writeSlowTokenizerFiles(dir, slowTokenizerFiles(files.json, files.config, files.specialTokensMap, file), sourceDir, 'keep', file);
}

/** GPT-2 or RoBERTa conventions for a vocab.json + merges.txt folder. */
function byteLevelKind(dir: string, config: Json, vocab: Record<string, number>): 'gpt2' | 'roberta' {
  const cls = String(config.tokenizer_class ?? '');
  if (/roberta|bart|longformer/i.test(cls)) return 'roberta';
  if (/gpt2/i.test(cls)) return 'gpt2';
  const modelConfig = readOptionalJson(dir, 'config.json');
  if (modelConfig !== null) {
    const mt = String(modelConfig.model_type ?? '');
    if (/roberta|bart|longformer/i.test(mt)) return 'roberta';
    if (mt) return 'gpt2';
  }
  return '<s>' in vocab && '</s>' in vocab && '<mask>' in vocab ? 'roberta' : 'gpt2';
}

/**
 * A Hugging Face tokenizer (tokenizer.json semantics) with truncation, padding, pairs and character
 * offsets. Ids and tokens come from `@huggingface/tokenizers`; offsets from Lengua's aligned
 * re-run of the same normalizer / pre-tokenizer steps (see aligned.ts for the offset convention).
 */
export class PreTrainedTokenizer {
  readonly dir: string;
  readonly source: string;
  readonly specialTokens: Readonly<SpecialTokens>;
  readonly modelMaxLength: number;
  readonly vocabSize: number;
  readonly padTokenId: number | null;
  readonly clsTokenId: number | null;
  readonly sepTokenId: number | null;
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
  readonly unkTokenId: number | null;
  readonly maskTokenId: number | null;
  /** Ids of every special token (added tokens marked special and the configured ones). */
  readonly allSpecialIds: readonly number[];

  private readonly lib: LibTokenizer;
  private readonly internals: LibTokenizerInternals;
  private readonly pipeline: AlignedPipeline;
  private readonly post: PostSpec;
  private readonly modelInfo: ModelInfo;
  private readonly json: Json;
  private readonly config: Json;
  private readonly specialTokensMap: Json | null;
  private readonly padTokenTypeId: number;
  private readonly tokenizerClass: string | undefined;

  constructor(files: TokenizerFiles) {
    const file = files.source === 'tokenizer.json' ? join(files.dir, 'tokenizer.json') : files.dir;
    this.dir = files.dir;
    this.source = files.source;
    this.json = files.json;
    this.config = files.config;
    this.specialTokensMap = files.specialTokensMap;
    this.tokenizerClass = files.tokenizerClass;
    checkTokenizerJson(files.json, file);
    // Before the library sees it: a malformed post_processor gets a message naming the field.
    this.post = parsePostProcessor(files.json.post_processor, file);
    try {
      this.lib = new LibTokenizer(files.json, files.config);
    } catch (err) {
      throw new LenguaError(`cannot build the tokenizer: ${(err as Error).message}`, { file }, { cause: err });
    }
    this.internals = this.lib as unknown as LibTokenizerInternals;
    const model = files.json.model as Json;
    const byteLevel = JSON.stringify(files.json.pre_tokenizer ?? null).includes('"ByteLevel"');
    this.modelInfo = {
      type: String(model.type ?? ''),
      continuingSubwordPrefix: typeof model.continuing_subword_prefix === 'string' ? model.continuing_subword_prefix : '',
      endOfWordSuffix: typeof model.end_of_word_suffix === 'string' ? model.end_of_word_suffix : '',
      continuingSubwordSuffix: typeof model.continuing_subword_suffix === 'string' ? model.continuing_subword_suffix : '',
      unkToken: typeof model.unk_token === 'string' ? model.unk_token : null,
      byteLevel,
    };
    const added: AddedTokenSpec[] = ((files.json.added_tokens ?? []) as Json[]).map((t) => ({
      id: Number(t.id),
      content: String(t.content),
      lstrip: t.lstrip === true,
      rstrip: t.rstrip === true,
      normalized: t.normalized === true,
      special: t.special === true,
    }));
    this.pipeline = new AlignedPipeline(this.internals, files.json, added, this.modelInfo);

    const cfg = files.config;
    const get = (key: string): string | undefined => tokenContent(cfg[key]) ?? undefined;
    const padding = (files.json.padding ?? null) as Json | null;
    const additional = Array.isArray(cfg.additional_special_tokens)
      ? (cfg.additional_special_tokens as unknown[]).map(tokenContent).filter((x): x is string => x !== null)
      : [];
    this.specialTokens = Object.freeze({
      bosToken: get('bos_token'),
      eosToken: get('eos_token'),
      unkToken: get('unk_token') ?? this.modelInfo.unkToken ?? undefined,
      sepToken: get('sep_token'),
      padToken: get('pad_token') ?? (typeof padding?.pad_token === 'string' ? padding.pad_token : undefined),
      clsToken: get('cls_token'),
      maskToken: get('mask_token'),
      additionalSpecialTokens: additional,
    });
    const idOf = (tok: string | undefined): number | null => (tok === undefined ? null : (this.lib.token_to_id(tok) ?? null));
    this.padTokenId = idOf(this.specialTokens.padToken) ?? (typeof padding?.pad_id === 'number' && this.specialTokens.padToken === undefined ? padding.pad_id : null);
    this.padTokenTypeId = typeof padding?.pad_type_id === 'number' ? padding.pad_type_id : 0;
    this.clsTokenId = idOf(this.specialTokens.clsToken);
    this.sepTokenId = idOf(this.specialTokens.sepToken);
    this.bosTokenId = idOf(this.specialTokens.bosToken);
    this.eosTokenId = idOf(this.specialTokens.eosToken);
    this.unkTokenId = idOf(this.specialTokens.unkToken);
    this.maskTokenId = idOf(this.specialTokens.maskToken);
    const mml = cfg.model_max_length;
    this.modelMaxLength = typeof mml === 'number' && mml > 0 ? mml : 1e30;
    this.vocabSize = (this.lib as unknown as { model: { vocab: unknown[] } }).model.vocab.length;
    const ids = new Set<number>();
    for (const t of added) if (t.special) ids.add(t.id);
    for (const tok of [this.specialTokens.bosToken, this.specialTokens.eosToken, this.specialTokens.unkToken, this.specialTokens.sepToken,
      this.specialTokens.padToken, this.specialTokens.clsToken, this.specialTokens.maskToken, ...additional]) {
      const id = idOf(tok);
      if (id !== null) ids.add(id);
    }
    this.allSpecialIds = Object.freeze([...ids].sort((a, b) => a - b));
  }

  /** Loads a tokenizer folder (or, through the Hub resolver, a model id). */
  /** Whether tokenizer_config.json names a model_max_length (`truncation: true` then cuts there, as transformers' pipelines do). */
  get hasModelMaxLength(): boolean {
    return this.modelMaxLength < NO_LIMIT;
  }

  static async fromPretrained(dirOrId: string, opts: FromPretrainedOptions = {}): Promise<PreTrainedTokenizer> {
    const dir = await resolveTokenizerDir(dirOrId, opts);
    return new PreTrainedTokenizer(readTokenizerFiles(dir));
  }

  /** Synchronous load of a local folder. */
  static fromDir(dir: string): PreTrainedTokenizer {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new LenguaError('not a folder', { file: dir });
    return new PreTrainedTokenizer(readTokenizerFiles(dir));
  }

  /** The tokens of one text, without special tokens (as transformers' `tokenize`). */
  tokenize(text: string): string[] {
    checkText(text, 'text');
    return this.lib.encode(text, { add_special_tokens: false }).tokens;
  }

  convertTokensToIds(tokens: string[]): number[] {
    return tokens.map((t) => {
      const id = this.lib.token_to_id(t);
      if (id !== undefined) return id;
      if (this.unkTokenId !== null) return this.unkTokenId;
      throw new LenguaError(`token ${JSON.stringify(t)} is not in the vocabulary and there is no unknown token`, { file: this.dir });
    });
  }

  convertIdsToTokens(ids: number[]): string[] {
    return ids.map((id) => {
      const t = Number.isInteger(id) ? this.lib.id_to_token(id) : undefined;
      if (t === undefined) throw new LenguaError(`id ${id} is not in the vocabulary (size ${this.vocabSize})`, { file: this.dir });
      return t;
    });
  }

  tokenToId(token: string): number | null {
    return this.lib.token_to_id(token) ?? null;
  }

  idToToken(id: number): string | null {
    return Number.isInteger(id) ? (this.lib.id_to_token(id) ?? null) : null;
  }

  /** Token -> id for the whole vocabulary, added tokens included. */
  getVocab(): Map<string, number> {
    return this.lib.get_vocab(true);
  }

  encode(text: string, opts: EncodeOptions = {}): Encoding {
    const [enc] = this.encodeBatchInternal([opts.pair === undefined ? text : [text, opts.pair]], opts);
    return enc!;
  }

  encodeBatch(inputs: Array<string | [string, string]>, opts: EncodeOptions = {}): Encoding[] {
    if (opts.pair !== undefined) throw new LenguaError('encodeBatch takes pairs as [text, pair] tuples, not the pair option', { field: 'pair' });
    return this.encodeBatchInternal(inputs, opts);
  }

  decode(ids: number[], opts: DecodeOptions = {}): string {
    if (ids.length === 0) return '';
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0) throw new LenguaError(`token id ${id} is not a non-negative integer`, { field: 'ids' });
      if (this.lib.id_to_token(id) === undefined) throw new LenguaError(`token id ${id} is not in the vocabulary (size ${this.vocabSize})`, { field: 'ids' });
    }
    const o: { skip_special_tokens?: boolean; clean_up_tokenization_spaces?: boolean } = { skip_special_tokens: opts.skipSpecialTokens ?? false };
    if (opts.cleanUpTokenizationSpaces !== undefined) o.clean_up_tokenization_spaces = opts.cleanUpTokenizationSpaces;
    return this.lib.decode(ids, o);
  }

  batchDecode(batch: number[][], opts: DecodeOptions = {}): string[] {
    return batch.map((ids) => this.decode(ids, opts));
  }

  /**
   * Writes tokenizer.json, tokenizer_config.json, special_tokens_map.json and the slow-tokenizer files
   * transformers writes beside them (vocab.txt, or vocab.json + merges.txt; added_tokens.json), each
   * atomically. The slow files are written when transformers' BertTokenizer / GPT2Tokenizer /
   * RobertaTokenizer would encode exactly as tokenizer.json does (checked by converting them back);
   * otherwise (Unigram, custom normalizers...) only tokenizer.json describes the tokenizer, and the
   * report's `skipped` says why.
   */
  savePretrained(dir: string): SlowFilesReport {
    const config: Json = { ...this.config };
    const st = this.specialTokens;
    const keys: Array<[string, string | undefined]> = [
      ['bos_token', st.bosToken], ['eos_token', st.eosToken], ['unk_token', st.unkToken], ['sep_token', st.sepToken],
      ['pad_token', st.padToken], ['cls_token', st.clsToken], ['mask_token', st.maskToken],
    ];
    const map: Json = this.specialTokensMap ? { ...this.specialTokensMap } : {};
    for (const [k, v] of keys) {
      if (v === undefined) continue;
      if (config[k] === undefined) config[k] = v;
      if (map[k] === undefined) map[k] = v;
    }
    if (st.additionalSpecialTokens.length > 0 && map.additional_special_tokens === undefined) map.additional_special_tokens = st.additionalSpecialTokens;
    if (config.model_max_length === undefined && this.modelMaxLength < NO_LIMIT) config.model_max_length = this.modelMaxLength;
    if (config.tokenizer_class === undefined && this.tokenizerClass !== undefined) config.tokenizer_class = this.tokenizerClass;
    if (config.added_tokens_decoder === undefined) {
      const dec: Json = {};
      for (const t of (this.json.added_tokens ?? []) as Json[]) {
        const { id, ...rest } = t;
        dec[String(id)] = rest;
      }
      config.added_tokens_decoder = dec;
    }
    const file = join(this.dir, this.source === 'tokenizer.json' ? 'tokenizer.json' : '');
    const slow = slowTokenizerFiles(this.json, config, this.specialTokensMap, file);
    writeFileAtomic(join(dir, 'tokenizer.json'), JSON.stringify(this.json, null, 2) + '\n');
    if (slow.skipped === null) {
      const report = writeSlowTokenizerFiles(dir, slow, this.dir, 'write', file);
      return { ...report, written: ['tokenizer.json', ...report.written] };
    }
    writeFileAtomic(join(dir, 'tokenizer_config.json'), pythonJson(config) + '\n');
    writeFileAtomic(join(dir, 'special_tokens_map.json'), pythonJson(map) + '\n');
    return { written: ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'], replaced: [], skipped: slow.skipped };
  }

  /** Number of special tokens the post-processor adds to a single text or a pair. */
  numSpecialTokensToAdd(pair = false): number {
    return countSpecials(pair ? this.post.pair : this.post.single);
  }

  // ------------------------------------------------------------------------------------------

  private encodeBatchInternal(inputs: Array<string | [string, string]>, opts: EncodeOptions): Encoding[] {
    const padding = opts.padding === true ? 'longest' : opts.padding === false || opts.padding === undefined ? null : opts.padding;
    if (padding !== null && padding !== 'longest' && padding !== 'max_length') {
      throw new LenguaError(`padding must be true, false, 'longest' or 'max_length', got ${JSON.stringify(opts.padding)}`, { field: 'padding' });
    }
    const truncation: TruncationStrategy | null =
      opts.truncation === true ? 'longest_first' : opts.truncation === false || opts.truncation === undefined ? null : opts.truncation;
    if (truncation !== null && !['longest_first', 'only_first', 'only_second'].includes(truncation)) {
      throw new LenguaError(`truncation must be true, false, 'longest_first', 'only_first' or 'only_second', got ${JSON.stringify(opts.truncation)}`, { field: 'truncation' });
    }
    if (opts.maxLength !== undefined && (!Number.isInteger(opts.maxLength) || opts.maxLength < 1)) {
      throw new LenguaError(`maxLength must be a positive integer, got ${opts.maxLength}`, { field: 'maxLength' });
    }
    if (opts.padToMultipleOf !== undefined && (!Number.isInteger(opts.padToMultipleOf) || opts.padToMultipleOf < 1)) {
      throw new LenguaError(`padToMultipleOf must be a positive integer, got ${opts.padToMultipleOf}`, { field: 'padToMultipleOf' });
    }
    const truncSide = opts.truncationSide ?? 'right';
    if (truncSide !== 'right' && truncSide !== 'left') {
      throw new LenguaError(`truncationSide must be 'right' or 'left', got ${JSON.stringify(truncSide)}`, { field: 'truncationSide' });
    }
    const side = opts.paddingSide ?? 'right';
    if (side !== 'right' && side !== 'left') throw new LenguaError(`paddingSide must be 'right' or 'left', got ${JSON.stringify(side)}`, { field: 'paddingSide' });
    const needLimit = truncation !== null || padding === 'max_length';
    let maxLength = opts.maxLength;
    if (needLimit && maxLength === undefined) {
      if (this.modelMaxLength >= NO_LIMIT) {
        throw new LenguaError('truncation / max_length padding need maxLength: this tokenizer has no model_max_length', { field: 'maxLength' });
      }
      maxLength = this.modelMaxLength;
    }
    const addSpecial = opts.addSpecialTokens ?? true;
    const encs = inputs.map((input, i) => {
      if (typeof input !== 'string' && !(Array.isArray(input) && input.length === 2)) {
        throw new LenguaError(`input ${i}: expected a string or a [text, pair] tuple`, { field: 'text' });
      }
      const [a, b] = typeof input === 'string' ? [input, undefined] : input;
      return this.encodeOne(a, b, addSpecial, truncation, maxLength, truncSide);
    });
    if (padding !== null) {
      // As in transformers, padToMultipleOf only applies when padding is on.
      let target = padding === 'max_length' ? maxLength! : Math.max(0, ...encs.map((e) => e.ids.length));
      const mult = opts.padToMultipleOf;
      if (mult !== undefined && target % mult !== 0) target += mult - (target % mult);
      for (const e of encs) if (e.ids.length < target) this.pad(e, target, side);
    }
    return encs;
  }

  private pad(e: Encoding, length: number, side: 'right' | 'left'): void {
    if (this.padTokenId === null) {
      throw new LenguaError('padding needs a pad token, and this tokenizer has none (set pad_token in tokenizer_config.json)', { file: this.dir, field: 'pad_token' });
    }
    if (length > 10_000_000) throw new LenguaError(`padding length ${length} is over the 10000000 limit`, { field: 'maxLength' });
    const n = length - e.ids.length;
    const padTok = this.specialTokens.padToken ?? this.lib.id_to_token(this.padTokenId) ?? '';
    const fill = <T>(arr: T[], v: T): T[] => {
      const p = new Array<T>(n).fill(v);
      return side === 'right' ? [...arr, ...p] : [...p, ...arr];
    };
    e.ids = fill(e.ids, this.padTokenId);
    e.tokens = fill(e.tokens, padTok);
    e.attentionMask = fill(e.attentionMask, 0);
    e.tokenTypeIds = fill(e.tokenTypeIds, this.padTokenTypeId);
    e.offsets = fill<[number, number]>(e.offsets, [0, 0]).map((o) => [o[0], o[1]]);
    e.specialTokensMask = fill(e.specialTokensMask, 1);
    if (e.wordIds) e.wordIds = fill<number | null>(e.wordIds, null);
    if (e.sequenceIds) e.sequenceIds = fill<number | null>(e.sequenceIds, null);
  }

  /**
   * One text without special tokens. The aligned pipeline runs the library's own normalizer,
   * pre-tokenizer and model (checking each step's text against the library), so its tokens are the
   * library's; ids are looked up exactly as the library's encode does. When the pipeline cannot
   * vouch for a text, the library encodes it and offsets are approximated.
   */
  private encodeSequence(text: string): SeqEnc {
    const aligned = this.pipeline.run(text);
    if (aligned !== null) {
      return { ids: aligned.tokens.map((t) => this.tokenId(t)), tokens: aligned.tokens, offsets: aligned.offsets, wordIds: aligned.wordIds };
    }
    const lib = this.lib.encode(text, { add_special_tokens: false });
    // The library gives an unknown token the id of unk_token, undefined when unk_token is not in the vocabulary.
    (lib.tokens as unknown[]).forEach((t: unknown, k: number) => {
      if (typeof t !== 'string' || !Number.isInteger(lib.ids[k])) {
        throw new LenguaError(`token ${preview(t)} has no id and the model's unk_token is not in the vocabulary`, { file: this.dir, field: 'model.unk_token' });
      }
    });
    return { ids: lib.ids, tokens: lib.tokens, offsets: approximateOffsets(text, lib.tokens, this.modelInfo), wordIds: lib.tokens.map(() => null) };
  }

  private tokenId(token: string): number {
    const internals = this.lib as unknown as { added_tokens_map: Map<string, { id: number }>; model: { tokens_to_ids: Map<string, number>; unk_token_id?: number } };
    const id = internals.added_tokens_map.get(token)?.id ?? internals.model.tokens_to_ids.get(token) ?? internals.model.unk_token_id;
    if (id === undefined) throw new LenguaError(`token ${JSON.stringify(token)} has no id and the model has no unknown token`, { file: this.dir });
    return id;
  }

  private encodeOne(
    a: string,
    b: string | undefined,
    addSpecial: boolean,
    truncation: TruncationStrategy | null,
    maxLength: number | undefined,
    truncationSide: 'right' | 'left',
  ): Encoding {
    checkText(a, 'text');
    if (b !== undefined) checkText(b, 'pair');
    const first = this.encodeSequence(a);
    const second = b === undefined ? null : this.encodeSequence(b);
    const template = second === null ? this.post.single : this.post.pair;
    if (truncation !== null) {
      const added = addSpecial ? countSpecials(template) : 0;
      if (maxLength! < added) throw new LenguaError(`maxLength ${maxLength} is smaller than the ${added} special tokens added`, { field: 'maxLength' });
      truncate(first, second, maxLength! - added, truncation, truncationSide);
    }
    if (this.post.trim) {
      trimOffsets(first, this.post.trim.addPrefixSpace);
      if (second) trimOffsets(second, this.post.trim.addPrefixSpace);
    }
    const e: Encoding = { ids: [], tokens: [], attentionMask: [], tokenTypeIds: [], offsets: [], specialTokensMask: [], wordIds: [], sequenceIds: [] };
    for (const item of template) {
      if ('special' in item) {
        if (!addSpecial) continue;
        item.special.ids.forEach((id, k) => {
          e.ids.push(id);
          e.tokens.push(item.special.tokens[k] ?? '');
          e.tokenTypeIds.push(item.typeId);
          e.offsets.push([0, 0]);
          e.specialTokensMask.push(1);
          e.wordIds!.push(null);
          e.sequenceIds!.push(null);
        });
      } else {
        const s = item.seq === 0 ? first : second;
        if (!s) continue;
        for (let k = 0; k < s.ids.length; k++) {
          e.ids.push(s.ids[k]!);
          e.tokens.push(s.tokens[k]!);
          e.tokenTypeIds.push(item.typeId);
          e.offsets.push(s.offsets[k]!);
          e.specialTokensMask.push(0);
          e.wordIds!.push(s.wordIds[k]!);
          e.sequenceIds!.push(item.seq);
        }
      }
    }
    e.attentionMask = e.ids.map(() => 1);
    return e;
  }
}

function checkText(text: unknown, field: string): void {
  if (typeof text !== 'string') throw new LenguaError(`expected a string, got ${text === null ? 'null' : typeof text}`, { field });
  if (text.length > MAX_INPUT_CHARS) throw new LenguaError(`text has ${text.length} characters, over the ${MAX_INPUT_CHARS} limit`, { field });
}

/** Keeps `n` tokens: the first ones (right truncation) or the last ones (left truncation). */
function cut(s: SeqEnc, n: number, side: 'right' | 'left'): void {
  if (side === 'right') {
    s.ids.length = n;
    s.tokens.length = n;
    s.offsets.length = n;
    s.wordIds.length = n;
    return;
  }
  const from = s.ids.length - n;
  s.ids = s.ids.slice(from);
  s.tokens = s.tokens.slice(from);
  s.offsets = s.offsets.slice(from);
  s.wordIds = s.wordIds.slice(from);
}

/**
 * Truncation as the Rust library does it: `budget` excludes special tokens.
 * longest_first gives the shorter input min(its length, budget/2)-ish room and the longer the rest,
 * which equals removing one token at a time from the longer input (ties: the second keeps the extra).
 */
function truncate(a: SeqEnc, b: SeqEnc | null, budget: number, strategy: TruncationStrategy, side: 'right' | 'left'): void {
  const total = a.ids.length + (b?.ids.length ?? 0);
  if (total <= budget) return;
  if (strategy === 'longest_first') {
    if (b === null) {
      cut(a, budget, side);
      return;
    }
    let n1 = a.ids.length;
    let n2 = b.ids.length;
    const swap = n1 > n2;
    if (swap) [n1, n2] = [n2, n1];
    n2 = n1 > budget ? n1 : Math.max(n1, budget - n1);
    if (n1 + n2 > budget) {
      n1 = Math.floor(budget / 2);
      n2 = n1 + (budget % 2);
    }
    if (swap) [n1, n2] = [n2, n1];
    cut(a, Math.min(a.ids.length, n1), side);
    cut(b, Math.min(b.ids.length, n2), side);
    return;
  }
  const target = strategy === 'only_first' ? a : b;
  if (target === null) throw new LenguaError(`truncation '${strategy}' needs a text pair`, { field: 'truncation' });
  const remove = total - budget;
  if (target.ids.length <= remove) {
    throw new LenguaError(
      `truncation '${strategy}' cannot fit the limit: the ${strategy === 'only_first' ? 'second' : 'first'} sequence alone needs ${total - target.ids.length} of ${budget} tokens`,
      { field: 'maxLength' },
    );
  }
  cut(target, target.ids.length - remove, side);
}

/** Byte-level offset trimming (the Rust `process_offsets`): offsets lose leading/trailing spaces. */
function trimOffsets(s: SeqEnc, addPrefixSpace: boolean): void {
  const isSpace = (c: string): boolean => c === '\u0120' || /\s/u.test(c);
  s.offsets = s.offsets.map(([st, en], i) => {
    const chars = [...s.tokens[i]!];
    let lead = 0;
    while (lead < chars.length && isSpace(chars[lead]!)) lead++;
    let trail = 0;
    while (trail < chars.length && isSpace(chars[chars.length - 1 - trail]!)) trail++;
    let start = st;
    let end = en;
    if (lead > 0) {
      const isFirst = i === 0 || st === 0;
      if (isFirst && addPrefixSpace && lead === 1) lead = 0;
      start = Math.min(st + lead, en);
    }
    if (trail > 0 && end >= trail) end = Math.max(end - trail, start);
    return [start, end];
  });
}

/**
 * Offsets when the aligned pipeline cannot vouch for them (unsupported normalizer, or a divergence):
 * each token's surface is searched, case- and accent-insensitively, after the previous token.
 */
function approximateOffsets(text: string, tokens: string[], model: ModelInfo): Array<[number, number]> {
  const key = alignedLowercase(alignedUnicode(AlignedString.fromOriginal(text), 'NFKD').mapCodePoints((c) => (/^\p{M}$/u.test(c) ? '' : c)));
  const fold = (s: string): string => s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
  let cursor = 0;
  return tokens.map((tok, i) => {
    let surf = tok;
    if (model.type === 'WordPiece' && i > 0 && model.continuingSubwordPrefix && surf.startsWith(model.continuingSubwordPrefix)) {
      surf = surf.slice(model.continuingSubwordPrefix.length);
    }
    if (model.byteLevel) surf = byteLevelToText(surf);
    surf = fold(surf.replace(/\u2581/g, ' ')).trim();
    const here = cursor < key.length ? key.starts[cursor]! : text.length;
    if (surf.length === 0) return [here, here];
    const at = key.text.indexOf(surf, cursor);
    if (at < 0) return [here, here];
    cursor = at + surf.length;
    return key.span(at, at + surf.length)!;
  });
}

/**
 * A folder is used as is; anything else is a Hub id resolved like `from_pretrained` (local HF cache
 * first, then a download unless offline). Only tokenizer files are needed, not weights.
 */
async function resolveTokenizerDir(dirOrId: string, opts: FromPretrainedOptions): Promise<string> {
  if (typeof dirOrId !== 'string' || dirOrId.length === 0) throw new LenguaError('expected a folder or a model id', { field: 'dirOrId' });
  if (existsSync(dirOrId)) {
    if (!statSync(dirOrId).isDirectory()) throw new LenguaError('not a folder', { file: dirOrId });
    return dirOrId;
  }
  return resolveModelDir(dirOrId, { files: [], weights: false, ...opts });
}

export const AutoTokenizer = {
  fromPretrained(dirOrId: string, opts: FromPretrainedOptions = {}): Promise<PreTrainedTokenizer> {
    return PreTrainedTokenizer.fromPretrained(dirOrId, opts);
  },
};
