import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LenguaError } from '../../errors.js';
import { writeFileAtomic } from '../../util/fs.js';
import { readModelText } from '../../hub/model-files.js';
import { appendAddedTokensJson, convertBert, convertByteLevelBpe, parseMerges, parseVocabTxt, tokenContent } from './convert.js';

/**
 * The slow-tokenizer files beside tokenizer.json, as transformers' `save_pretrained` writes them:
 * vocab.txt (BertTokenizer), vocab.json + merges.txt (GPT2Tokenizer, RobertaTokenizer),
 * tokenizer_config.json, special_tokens_map.json and, for tokens past the model's vocabulary,
 * added_tokens.json. The reverse of convert.ts: the files are written only when converting them back
 * the way transformers' `convert_slow_tokenizer` (and Lengua's slow route) does gives this very
 * tokenizer.json, so the Python classes and Lengua encode alike.
 */

type Json = Record<string, unknown>;
export type SlowKind = 'bert' | 'gpt2' | 'roberta';

export const SLOW_CLASS: Record<SlowKind, string> = { bert: 'BertTokenizer', gpt2: 'GPT2Tokenizer', roberta: 'RobertaTokenizer' };

/** The special tokens transformers' slow tokenizer classes use when the config names none. */
export const SLOW_DEFAULTS: Record<SlowKind, Json> = {
  bert: { unk_token: '[UNK]', sep_token: '[SEP]', pad_token: '[PAD]', cls_token: '[CLS]', mask_token: '[MASK]' },
  gpt2: { bos_token: '<|endoftext|>', eos_token: '<|endoftext|>', unk_token: '<|endoftext|>' },
  roberta: {
    bos_token: '<s>', eos_token: '</s>', sep_token: '</s>', cls_token: '<s>', unk_token: '<unk>', pad_token: '<pad>',
    mask_token: { content: '<mask>', lstrip: true, rstrip: false, normalized: false, single_word: false },
  },
};

/** Keys each slow class's `__init__` takes besides the special tokens, with its defaults (written when absent). */
const CLASS_KEYS: Record<SlowKind, Json> = {
  bert: { do_basic_tokenize: true, never_split: null, extra_special_tokens: {} },
  gpt2: { add_bos_token: false, errors: 'replace', extra_special_tokens: {} },
  roberta: { errors: 'replace', extra_special_tokens: {} },
};

const ROLES = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'] as const;

/** The files to write, by name, or why none can be. */
export interface SlowFiles {
  kind: SlowKind | null;
  /** File name → content (vocabulary files, tokenizer_config.json, special_tokens_map.json, added_tokens.json). */
  files: Map<string, string>;
  /** Why no slow files are written (null when they are). */
  skipped: string | null;
  /** What the files must convert back to (tokenizer.json's encoding and decoding components). */
  target: Json | null;
}

// ------------------------------------------------------------------------------------------------
// Serialisation as Python's json.dumps does it

/**
 * Python's `sorted()` on str: code point order. JavaScript's default sort compares UTF-16 units, which
 * differs only between a surrogate (U+D800–DFFF, a character above U+FFFF) and U+E000–FFFF: the first
 * differing units are shifted so surrogates sort last (the UTF-16 code point order fix-up).
 */
function codePointCompare(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x += x >= 0xe000 ? -0x800 : 0x2000;
      y += y >= 0xe000 ? -0x800 : 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

function pyNumber(n: number): string {
  // json.dumps writes Python ints in full: transformers' "no limit" 1e30 is 1000000000000000019884624838656.
  if (Number.isInteger(n) && Math.abs(n) >= 1e21) return BigInt(n).toString();
  return JSON.stringify(n);
}

/**
 * `json.dumps(v, indent=2, sort_keys=True, ensure_ascii=False)`: JSON.stringify escapes strings the same
 * way (", \\, \b \f \n \r \t, other controls as \u00xx); keys are sorted by code point and written in
 * that order (a JavaScript object would list integer-like keys first).
 */
export function pythonJson(v: unknown, indent = ''): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number') return pyNumber(v);
  if (typeof v === 'string' || typeof v === 'boolean') return JSON.stringify(v);
  const inner = indent + '  ';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[\n${v.map((x) => inner + pythonJson(x, inner)).join(',\n')}\n${indent}]`;
  }
  const keys = Object.keys(v as Json).filter((k) => (v as Json)[k] !== undefined).sort(codePointCompare);
  if (keys.length === 0) return '{}';
  return `{\n${keys.map((k) => `${inner}${JSON.stringify(k)}: ${pythonJson((v as Json)[k], inner)}`).join(',\n')}\n${indent}}`;
}

/** vocab.txt as BertTokenizer.save_vocabulary writes it: the tokens in id order, one a line. */
export function vocabTxt(vocab: Record<string, number>, file: string): string {
  return tokensById(vocab, file).map((t) => `${t}\n`).join('');
}

/** vocab.json as GPT2Tokenizer.save_vocabulary writes it: json.dumps(encoder, indent=2, sort_keys=True, ensure_ascii=False) + "\n". */
export function vocabJson(vocab: Record<string, number>, file: string): string {
  tokensById(vocab, file);
  const keys = Object.keys(vocab).sort(codePointCompare);
  return `{\n${keys.map((k) => `  ${JSON.stringify(k)}: ${vocab[k]}`).join(',\n')}\n}\n`;
}

/** merges.txt as GPT2Tokenizer.save_vocabulary writes it: "#version: 0.2" then one "a b" merge a line, in rank order. */
export function mergesTxt(merges: string[]): string {
  return `#version: 0.2\n${merges.map((m) => `${m}\n`).join('')}`;
}

/** The tokens of a vocabulary in id order; ids must be 0..n-1 with none twice (a line number is the id). */
function tokensById(vocab: Record<string, number>, file: string): string[] {
  const entries = Object.entries(vocab);
  const out = new Array<string | undefined>(entries.length);
  for (const [tok, id] of entries) {
    if (!Number.isInteger(id) || id < 0 || id >= entries.length) {
      throw new LenguaError(`the vocabulary's ids are not 0..${entries.length - 1}: ${JSON.stringify(tok)} has id ${id}`, { file, field: 'model.vocab' });
    }
    if (out[id] !== undefined) throw new LenguaError(`id ${id} is given to both ${JSON.stringify(out[id])} and ${JSON.stringify(tok)}`, { file, field: 'model.vocab' });
    out[id] = tok;
  }
  return out as string[];
}

// ------------------------------------------------------------------------------------------------
// tokenizer.json → the slow class and its options

const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});

/** Which slow class describes this tokenizer.json, or why none does. */
export function slowKindOf(json: Json): { kind: SlowKind } | { kind: null; reason: string } {
  const model = obj(json.model);
  const pre = obj(json.pre_tokenizer);
  const type = String(model.type ?? '');
  if (type === 'WordPiece') {
    if (obj(json.normalizer).type !== 'BertNormalizer' || pre.type !== 'BertPreTokenizer') {
      return { kind: null, reason: 'a WordPiece model without BertNormalizer + BertPreTokenizer (BertTokenizer could not reproduce it)' };
    }
    return { kind: 'bert' };
  }
  if (type === 'BPE') {
    if (pre.type !== 'ByteLevel') return { kind: null, reason: 'a BPE model without the ByteLevel pre-tokenizer (not GPT-2/RoBERTa byte-level BPE)' };
    return { kind: obj(json.post_processor).type === 'RobertaProcessing' ? 'roberta' : 'gpt2' };
  }
  return { kind: null, reason: `a ${type || 'model of unknown type'} model (slow files are written for WordPiece and byte-level BPE only)` };
}

/** The special token of a TemplateProcessing item (`SpecialToken.id`), or null. */
function templateToken(item: unknown): string | null {
  const st = obj(obj(item).SpecialToken);
  return typeof st.id === 'string' ? st.id : null;
}

/**
 * The class options the converter reads, as this tokenizer.json has them. They win over
 * tokenizer_config.json: Lengua encodes with tokenizer.json, and transformers' fast classes even rebuild
 * their normalizer from these keys, so a disagreeing config would make Python encode differently.
 */
function derivedOptions(json: Json, kind: SlowKind): Json {
  const pre = obj(json.pre_tokenizer);
  const post = obj(json.post_processor);
  if (kind === 'bert') {
    const n = obj(json.normalizer);
    const out: Json = {
      do_lower_case: n.lowercase !== false,
      strip_accents: typeof n.strip_accents === 'boolean' ? n.strip_accents : null,
      tokenize_chinese_chars: n.handle_chinese_chars !== false,
    };
    const model = obj(json.model);
    if (typeof model.unk_token === 'string') out.unk_token = model.unk_token;
    if (post.type === 'TemplateProcessing' && Array.isArray(post.single)) {
      const single = post.single as unknown[];
      const cls = templateToken(single[0]);
      const sep = templateToken(single[single.length - 1]);
      if (cls !== null) out.cls_token = cls;
      if (sep !== null) out.sep_token = sep;
    }
    return out;
  }
  const out: Json = { add_prefix_space: pre.add_prefix_space === true };
  if (kind === 'roberta') {
    out.trim_offsets = post.trim_offsets !== false;
    if (Array.isArray(post.cls) && typeof post.cls[0] === 'string') out.cls_token = post.cls[0];
    if (Array.isArray(post.sep) && typeof post.sep[0] === 'string') out.sep_token = post.sep[0];
    return out;
  }
  if (post.type === 'TemplateProcessing' && Array.isArray(post.single)) {
    const bos = templateToken((post.single as unknown[])[0]);
    out.add_bos_token = bos !== null;
    if (bos !== null) out.bos_token = bos;
  } else {
    out.add_bos_token = false;
  }
  return out;
}

/** A special token's flags as special_tokens_map.json writes an AddedToken (sorted keys, no id). */
function addedTokenDict(t: Json): Json {
  return { content: t.content, lstrip: t.lstrip === true, normalized: t.normalized === true, rstrip: t.rstrip === true, single_word: t.single_word === true };
}

/** The merges of a BPE model as "a b" strings (tokenizer.json has them as strings or, since 0.20, pairs). */
function mergeStrings(model: Json, file: string): string[] {
  const merges = Array.isArray(model.merges) ? (model.merges as unknown[]) : [];
  return merges.map((m, i) => {
    const pair = Array.isArray(m) ? m : typeof m === 'string' ? m.split(' ') : null;
    if (pair === null || pair.length !== 2 || pair.some((p) => typeof p !== 'string' || p.length === 0 || p.includes(' ') || p.includes('\n'))) {
      // merges.txt separates the two symbols with a space and merges with newlines: such a merge has no line.
      throw new LenguaError(`merge ${i} ${JSON.stringify(m).slice(0, 80)} cannot be written as a merges.txt line`, { file, field: 'model.merges' });
    }
    return `${pair[0] as string} ${pair[1] as string}`;
  });
}

/** Object key order and tokenizers' own defaults aside, two JSON values are equal. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Json)[k])]));
  }
  return v;
}

/** The components of a tokenizer.json that decide encoding and decoding, as the converter writes them. */
function comparable(json: Json): Json {
  const { vocab, merges, ...model } = obj(json.model);
  if (model.type === 'BPE') {
    // Defaults of the Rust BPE model, which older files leave out.
    for (const [k, v] of Object.entries({ dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, ignore_merges: false })) {
      if (model[k] === undefined) model[k] = v;
    }
  }
  if (model.type === 'WordPiece' && model.max_input_chars_per_word === undefined) model.max_input_chars_per_word = 100;
  const added = ((json.added_tokens ?? []) as Json[]).map((t) => ({ ...t })).sort((a, b) => Number(a.id) - Number(b.id));
  return {
    // Compared entry by entry (a canonical copy of a 50k-token vocabulary costs more than the rest together).
    vocab: obj(vocab),
    merges: Array.isArray(merges) ? (merges as unknown[]).map((m) => (Array.isArray(m) ? m.join(' ') : m)) : null,
    ...(canonical({ model, added_tokens: added, normalizer: json.normalizer ?? null, pre_tokenizer: json.pre_tokenizer ?? null, post_processor: json.post_processor ?? null, decoder: json.decoder ?? null }) as Json),
  };
}

function sameVocab(a: Json, b: Json): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

/** The first component where two comparable tokenizers differ. */
function firstDifference(a: Json, b: Json): string | null {
  for (const k of Object.keys(a)) {
    if (k === 'vocab') {
      if (!sameVocab(a.vocab as Json, b.vocab as Json)) return 'model.vocab';
    } else if (k === 'merges') {
      const x = a.merges as unknown[] | null;
      const y = b.merges as unknown[] | null;
      if ((x === null) !== (y === null) || (x !== null && (x.length !== y!.length || x.some((m, i) => m !== y![i])))) return 'model.merges';
    } else if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) {
      return k;
    }
  }
  return null;
}

/**
 * The slow-tokenizer files of a tokenizer: `json` is its tokenizer.json, `config` its
 * tokenizer_config.json merged over special_tokens_map.json (what Lengua loaded), `specialTokensMap`
 * the special_tokens_map.json it came with. `file` names the tokenizer in errors.
 */
export function slowTokenizerFiles(json: Json, config: Json, specialTokensMap: Json | null, file: string): SlowFiles {
  const which = slowKindOf(json);
  if (which.kind === null) return { kind: null, files: new Map(), skipped: `${which.reason}: only tokenizer.json describes it`, target: null };
  const kind = which.kind;
  const model = obj(json.model);
  const vocab = Object.assign(Object.create(null) as Record<string, number>, obj(model.vocab)) as Record<string, number>;
  const files = new Map<string, string>();
  let merges: string[] = [];
  try {
    if (kind === 'bert') files.set('vocab.txt', vocabTxt(vocab, file));
    else {
      merges = mergeStrings(model, file);
      files.set('vocab.json', vocabJson(vocab, file));
      files.set('merges.txt', mergesTxt(merges));
    }
  } catch (err) {
    if (err instanceof LenguaError) return { kind, files: new Map(), skipped: `${err.message}: only tokenizer.json describes it`, target: null };
    throw err;
  }

  const added = (Array.isArray(json.added_tokens) ? json.added_tokens : []) as Json[];
  const byContent = new Map(added.map((t) => [String(t.content), t]));
  const tokenizerConfig: Json = { ...CLASS_KEYS[kind], clean_up_tokenization_spaces: true, ...config, ...derivedOptions(json, kind) };
  // Roles the config leaves out get the class's defaults where the vocabulary has them, as the slow class would.
  const defaults = SLOW_DEFAULTS[kind];
  for (const role of ROLES) {
    if (tokenizerConfig[role] !== undefined) continue;
    const d = tokenContent(defaults[role]);
    if (d !== null && (d in vocab || byContent.has(d))) tokenizerConfig[role] = d;
  }
  if (kind === 'gpt2' && !('pad_token' in tokenizerConfig)) tokenizerConfig.pad_token = null;
  // Special added tokens with no role are additional special tokens, as transformers saves them.
  const roleTokens = new Set(ROLES.map((r) => tokenContent(tokenizerConfig[r])).filter((x): x is string => x !== null));
  const extra = Array.isArray(tokenizerConfig.additional_special_tokens) ? [...(tokenizerConfig.additional_special_tokens as unknown[])] : [];
  const extraNames = new Set(extra.map(tokenContent));
  for (const t of added) {
    if (t.special === true && !roleTokens.has(String(t.content)) && !extraNames.has(String(t.content))) extra.push(String(t.content));
  }
  if (extra.length > 0) tokenizerConfig.additional_special_tokens = extra;
  tokenizerConfig.tokenizer_class = slowClassName(tokenizerConfig.tokenizer_class, kind);
  if (tokenizerConfig.added_tokens_decoder === undefined) {
    const dec: Json = {};
    for (const t of added) dec[String(t.id)] = { content: t.content, lstrip: t.lstrip === true, normalized: t.normalized === true, rstrip: t.rstrip === true, single_word: t.single_word === true, special: t.special === true };
    tokenizerConfig.added_tokens_decoder = dec;
  }
  // special_tokens_map.json: the source's, else each role as an AddedToken with tokenizer.json's flags.
  const map: Json = specialTokensMap ? { ...specialTokensMap } : {};
  for (const role of [...ROLES, 'additional_special_tokens'] as const) {
    if (map[role] !== undefined || tokenizerConfig[role] === undefined || tokenizerConfig[role] === null) continue;
    const asDict = (v: unknown): unknown => {
      const c = tokenContent(v);
      const t = c === null ? undefined : byContent.get(c);
      return t ? addedTokenDict(t) : v;
    };
    map[role] = role === 'additional_special_tokens' ? (tokenizerConfig[role] as unknown[]).map(asDict) : asDict(tokenizerConfig[role]);
  }
  // Tokens past the model's vocabulary: added_tokens.json, as transformers writes it.
  const addedJson: Json = {};
  for (const t of added) if (!(String(t.content) in vocab)) addedJson[String(t.content)] = t.id;
  files.set('tokenizer_config.json', pythonJson(tokenizerConfig) + '\n');
  files.set('special_tokens_map.json', pythonJson(map) + '\n');
  if (Object.keys(addedJson).length > 0) files.set('added_tokens.json', pythonJson(addedJson) + '\n');

  // Convert the files back as the slow route does; they are only written when that gives this tokenizer.
  const target = comparable(json);
  const difference = firstDifference(target, comparable(convertBack(files, kind, file)));
  if (difference !== null) {
    return { kind, files: new Map(), skipped: `${SLOW_CLASS[kind]} files would convert to a different ${difference} than tokenizer.json has: only tokenizer.json describes it`, target: null };
  }
  return { kind, files, skipped: null, target };
}

/**
 * The config's tokenizer_class when a slow class of that name reads these files (transformers saves the
 * name without "Fast": DistilBertTokenizerFast → DistilBertTokenizer), else the class of `kind`.
 */
function slowClassName(v: unknown, kind: SlowKind): string {
  const name = typeof v === 'string' ? v.replace(/Fast$/, '') : '';
  if (!/^[A-Za-z0-9]+Tokenizer$/.test(name) || name === 'PreTrainedTokenizer') return SLOW_CLASS[kind];
  if (kind === 'bert') return /Bert|Electra/.test(name) && !/Roberta/.test(name) ? name : SLOW_CLASS[kind];
  return byteLevelKindOfClass(name) === kind ? name : SLOW_CLASS[kind];
}

/** GPT-2 or RoBERTa conventions from a tokenizer_class, as readTokenizerFiles decides them. */
function byteLevelKindOfClass(name: string): SlowKind | null {
  if (/roberta|bart|longformer/i.test(name)) return 'roberta';
  if (/gpt2/i.test(name)) return 'gpt2';
  return null;
}

/** The tokenizer.json the slow route (readTokenizerFiles without tokenizer.json) makes of these files. */
function convertBack(files: Map<string, string>, kind: SlowKind, file: string): Json {
  const config = JSON.parse(files.get('tokenizer_config.json')!) as Json;
  const map = JSON.parse(files.get('special_tokens_map.json')!) as Json;
  // readTokenizerFiles picks GPT-2 or RoBERTa conventions from tokenizer_class first.
  const k = kind === 'bert' ? kind : (byteLevelKindOfClass(String(config.tokenizer_class ?? '')) ?? kind);
  const cfg = { ...SLOW_DEFAULTS[k], ...map, ...config };
  const addedText = files.get('added_tokens.json');
  const addedIds = addedText === undefined ? {} : (JSON.parse(addedText) as Json);
  let json: Json;
  if (k === 'bert') json = convertBert(parseVocabTxt(files.get('vocab.txt')!, file), cfg, file, addedIds);
  else {
    const vocab = Object.assign(Object.create(null) as Record<string, number>, JSON.parse(files.get('vocab.json')!) as Json) as Record<string, number>;
    json = convertByteLevelBpe(vocab, parseMerges(files.get('merges.txt')!, file), cfg, k, file, addedIds);
  }
  if (addedText !== undefined) appendAddedTokensJson(json, addedIds, file);
  return json;
}

// ------------------------------------------------------------------------------------------------
// Writing

/** What a vocabulary file means, for comparing an existing file with the one tokenizer.json gives. */
function meaning(name: string, text: string, file: string): string {
  if (name === 'vocab.txt') return JSON.stringify(canonical(parseVocabTxt(text, file)));
  if (name === 'merges.txt') return JSON.stringify(parseMerges(text, file));
  return JSON.stringify(canonical(JSON.parse(text)));
}

const CONFIG_FILES = ['tokenizer_config.json', 'special_tokens_map.json'];
/** Existing files larger than this are not compared, but replaced (GPT-2's vocab.json is 1 MB). */
const MAX_KEEP_BYTES = 100_000_000;

/** What `writeSlowTokenizerFiles` did. */
export interface SlowFilesReport {
  /** Names written into the folder (kept from the source or generated). */
  written: string[];
  /** Existing files that disagreed with tokenizer.json and were replaced by generated ones. */
  replaced: string[];
  /** Why no slow files were written, when none were. */
  skipped: string | null;
}

/** The text of an existing regular file of the source folder or of outDir (source first), with its path. */
function existing(name: string, dirs: string[]): { path: string; text: string } | null {
  for (const d of dirs) {
    const p = join(d, name);
    if (!existsSync(p) || statSync(p).size > MAX_KEEP_BYTES) continue;
    // The model-folder rule: a link out of the folder is refused, as everywhere tokenizer files are read.
    const text = readModelText(d, name, MAX_KEEP_BYTES);
    if (text !== undefined) return { path: p, text };
  }
  return null;
}

/**
 * Writes the slow-tokenizer files into `outDir`. A file the source folder (or `outDir`, when the files
 * were copied there already) holds is kept byte for byte when it agrees with tokenizer.json: a
 * vocabulary file that means the same (transformers' fast save writes vocab.json compactly, its slow
 * save indented; both load alike), with `configFiles: 'keep'` a tokenizer_config.json /
 * special_tokens_map.json with which the slow route converts back to this tokenizer. One that
 * disagrees is replaced by the generated file: the model was trained, and is exported, on
 * tokenizer.json's ids, so the files beside it must describe the same tokenizer.
 */
export function writeSlowTokenizerFiles(outDir: string, slow: SlowFiles, sourceDir: string | null, configFiles: 'write' | 'keep', file: string): SlowFilesReport {
  const report: SlowFilesReport = { written: [], replaced: [], skipped: slow.skipped };
  if (slow.kind === null || slow.target === null) return report;
  const dirs = [sourceDir, outDir].filter((d): d is string => d !== null);
  const keep = new Map<string, string>();
  for (const [name, text] of slow.files) {
    if (CONFIG_FILES.includes(name)) continue;
    const old = existing(name, dirs);
    if (old === null) continue;
    let same = false;
    try {
      same = meaning(name, old.text, old.path) === meaning(name, text, old.path);
    } catch {
      same = false;
    }
    if (same) keep.set(name, old.text);
    else report.replaced.push(name);
  }
  if (configFiles === 'keep') {
    const olds = CONFIG_FILES.map((n) => [n, existing(n, dirs)] as const).filter((e): e is readonly [string, { path: string; text: string }] => e[1] !== null);
    if (olds.length > 0) {
      const trial = new Map(slow.files);
      for (const [n, o] of olds) trial.set(n, o.text);
      let agrees = false;
      try {
        agrees = firstDifference(slow.target, comparable(convertBack(trial, slow.kind, file))) === null;
      } catch {
        agrees = false;
      }
      if (agrees) for (const [n, o] of olds) keep.set(n, o.text);
      else report.replaced.push(...olds.map(([n]) => n));
    }
  }
  for (const [name, text] of slow.files) {
    const kept = keep.get(name);
    // Kept files are copied as their bytes (a file already in outDir is left as it is).
    if (kept !== undefined) {
      const src = existing(name, dirs)!;
      if (src.path !== join(outDir, name)) writeFileAtomic(join(outDir, name), kept);
    } else {
      writeFileAtomic(join(outDir, name), text);
    }
    report.written.push(name);
  }
  return report;
}
