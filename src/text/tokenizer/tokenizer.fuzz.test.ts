// Fuzz: tokenizer folders (tokenizer.json, vocab.txt, vocab.json + merges.txt, tokenizer_config.json,
// special_tokens_map.json, added_tokens.json) with arbitrary and near-valid content load into a
// tokenizer or fail with a LenguaError naming the folder's file — never a TypeError, RangeError or a
// hang — and a tokenizer that loads encodes, decodes and saves or fails with a LenguaError too.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { LenguaError } from '../../errors.js';
import { fuzzRuns, fuzzSeed, resultOrLenguaError } from '../../testing/fuzz.js';
import { PreTrainedTokenizer, readTokenizerFiles, type Encoding } from './index.js';

type Json = Record<string, unknown>;
const params = (fast: number): fc.Parameters<unknown> => ({ numRuns: fuzzRuns(fast), seed: fuzzSeed() });
const ROOT = mkdtempSync(join(tmpdir(), 'lengua-tokfuzz-'));
let folders = 0;
let exercised = 0;
after(() => rmSync(ROOT, { recursive: true, force: true }));

/** A fresh folder holding `files` (string or bytes each). */
function folder(files: Record<string, string | Uint8Array>): string {
  const dir = join(ROOT, String(folders++));
  mkdirSync(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

const BERT_VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'hola', 'mundo', '##s', 'h', '##o', '##l', '##a', ','].join('\n') + '\n';
const BPE_VOCAB: Json = { '<|endoftext|>': 0, '<s>': 1, '</s>': 2, '<pad>': 3, '<unk>': 4, '<mask>': 5, h: 6, o: 7, l: 8, a: 9, ho: 10, la: 11, '\u0120': 12, '\u0120h': 13 };
const BPE_MERGES = '#version: 0.2\nh o\nl a\n\u0120 h\n';

/** tokenizer.json objects the converters make (WordPiece, GPT-2 and RoBERTa byte-level BPE): the near-valid starting points. */
const BASES: Json[] = [
  readTokenizerFiles(folder({ 'vocab.txt': BERT_VOCAB })).json,
  readTokenizerFiles(folder({ 'vocab.json': JSON.stringify(BPE_VOCAB), 'merges.txt': BPE_MERGES, 'tokenizer_config.json': '{"tokenizer_class": "GPT2Tokenizer", "add_bos_token": true}' })).json,
  readTokenizerFiles(folder({ 'vocab.json': JSON.stringify(BPE_VOCAB), 'merges.txt': BPE_MERGES, 'tokenizer_config.json': '{"tokenizer_class": "RobertaTokenizer"}' })).json,
];

const TEXTS = ['hola mundos', '', ' ', 'HOLA, mundo! [MASK] <mask> <s>', 'héllo\u0000\u200b 中文 🙂', 'a'.repeat(300), '\ud800 lone surrogate'];

/** What a tokenizer that loaded must do: encode, pair-encode with truncation and padding, decode, save, reload. */
function exercise(tok: PreTrainedTokenizer): void {
  for (const text of TEXTS) {
    const encodings: Array<Encoding | LenguaError> = [
      resultOrLenguaError(() => tok.encode(text)),
      resultOrLenguaError(() => tok.encode(text, { pair: 'hola', truncation: true, maxLength: 8, padding: 'max_length' })),
      resultOrLenguaError(() => tok.encodeBatch([text, [text, text]], { padding: true, addSpecialTokens: false })[0]!),
    ];
    for (const e of encodings) {
      if (e instanceof LenguaError) continue;
      const n = e.ids.length;
      assert.ok(e.tokens.length === n && e.attentionMask.length === n && e.offsets.length === n && e.tokenTypeIds.length === n && e.specialTokensMask.length === n);
      assert.ok(e.ids.every((id) => Number.isInteger(id)), JSON.stringify(e.ids));
      resultOrLenguaError(() => tok.decode(e.ids, { skipSpecialTokens: true }));
      resultOrLenguaError(() => tok.convertIdsToTokens(e.ids));
    }
    resultOrLenguaError(() => tok.tokenize(text));
  }
  resultOrLenguaError(() => tok.decode([0, 1, 2, 99999, -1, 1.5]));
  // Saving fsyncs three files: one tokenizer in ten is saved and reloaded, to keep the default run short.
  if (++exercised % 10 !== 0) return;
  const out = join(ROOT, `saved-${folders++}`);
  const saved = resultOrLenguaError(() => tok.savePretrained(out));
  if (!(saved instanceof LenguaError)) resultOrLenguaError(() => PreTrainedTokenizer.fromDir(out).encode('hola'));
  rmSync(out, { recursive: true, force: true });
}

/** Loads a folder; a LenguaError must name a file or the folder. */
function load(dir: string): void {
  try {
    const r = resultOrLenguaError(() => PreTrainedTokenizer.fromDir(dir));
    if (r instanceof LenguaError) assert.ok(r.message.includes(dir) || r.file === undefined || r.file.startsWith(dir), r.message);
    else exercise(r);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Values a hostile or broken file holds in place of a valid one: other component types of the
// library (valid and half-valid), primitives, odd numbers, arbitrary JSON.
const component = fc.constantFrom<unknown>(
  { type: 'Lowercase' }, { type: 'NFKC' }, { type: 'StripAccents' }, { type: 'Strip', strip_left: true, strip_right: true },
  { type: 'Replace', pattern: { String: ' ' }, content: '_' }, { type: 'Replace', pattern: { Regex: '(' }, content: '' },
  { type: 'Prepend', prepend: '\u2581' }, { type: 'Sequence', normalizers: [{ type: 'NFD' }, { type: 'Lowercase' }] }, { type: 'Sequence', normalizers: 'x' },
  { type: 'Whitespace' }, { type: 'WhitespaceSplit' }, { type: 'Punctuation' }, { type: 'Digits', individual_digits: true },
  { type: 'Split', pattern: { Regex: '\\s+' }, behavior: 'Isolated', invert: false }, { type: 'Split', pattern: { Regex: '[' }, behavior: 'Removed' },
  { type: 'Split', pattern: { String: '' }, behavior: 'Bogus' }, { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'always', split: true },
  { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true }, { type: 'BertPreTokenizer' },
  { type: 'Sequence', pretokenizers: [{ type: 'Whitespace' }] }, { type: 'Sequence', processors: [{ type: 'ByteLevel', trim_offsets: true }] },
  { type: 'TemplateProcessing', single: [{ SpecialToken: { id: 'nope', type_id: 0 } }], pair: [], special_tokens: {} },
  { type: 'TemplateProcessing', single: 'x', pair: null, special_tokens: null }, { type: 'BertProcessing', cls: ['[CLS]'], sep: 7 },
  { type: 'RobertaProcessing', cls: null, sep: ['</s>', 'x'] }, { type: 'BertProcessing', cls: ['[CLS]', 1e300], sep: ['[SEP]', -5] },
  { type: 'WordPiece', vocab: { a: 0 }, unk_token: 'zz' }, { type: 'WordPiece', vocab: [], unk_token: null },
  { type: 'BPE', vocab: { a: 0, b: 1 }, merges: ['a b', 'a', ['a', 'b']] }, { type: 'BPE', vocab: { a: -1 }, merges: null },
  { type: 'Unigram', vocab: [['a', -1], ['b', 'x']], unk_id: 99 }, { type: 'WordLevel', vocab: { a: 0 }, unk_token: '[UNK]' },
  { type: 'Bogus' }, { type: null }, {},
  [{ id: 0, content: '', special: true }], [{ id: -1, content: 'x' }], [{ id: 1e300, content: 7 }], [{ id: 'a', content: null, lstrip: 'yes' }],
  { strategy: { Fixed: 3 }, direction: 'Left', pad_id: 99999, pad_type_id: -1, pad_token: 5 }, { max_length: -1, strategy: 'Bogus', stride: 1e300 },
);
const weird = fc.oneof(
  component,
  fc.constantFrom<unknown>(null, true, false, 0, -1, 1.5, 1e300, -0, 2 ** 53, '', 'x', [], {}),
  fc.string({ maxLength: 12 }),
  fc.jsonValue({ maxDepth: 3 }),
);

/** Every path of a JSON value (for mutation), arrays and objects included, depth first. */
function paths(v: unknown, prefix: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  out.push(prefix);
  if (v !== null && typeof v === 'object' && out.length < 400) {
    for (const [k, c] of Object.entries(v as Json)) paths(c, [...prefix, Array.isArray(v) ? Number(k) : k], out);
  }
  return out;
}

/** Copy of `base` with the value at `path` replaced (or removed when `remove`). */
function mutate(base: Json, path: Array<string | number>, value: unknown, remove: boolean): unknown {
  if (path.length === 0) return value;
  const root = structuredClone(base);
  let node = root as Json;
  for (const k of path.slice(0, -1)) node = node[k as string] as Json;
  const last = path[path.length - 1]!;
  if (remove && !Array.isArray(node)) delete node[last as string];
  else Object.defineProperty(node, last, { value, enumerable: true, writable: true, configurable: true });
  return root;
}

const mutatedTokenizerJson = fc.tuple(fc.nat(BASES.length - 1), fc.array(fc.tuple(fc.nat(), weird, fc.boolean()), { minLength: 1, maxLength: 3 })).map(([b, edits]) => {
  let json: unknown = BASES[b]!;
  for (const [at, value, remove] of edits) {
    if (json === null || typeof json !== 'object') break;
    const all = paths(json);
    json = mutate(json as Json, all[at % all.length]!, value, remove);
  }
  return json;
});

test('fuzz: tokenizer.json near-valid (components swapped, values of the wrong type, entries removed)', () => {
  fc.assert(fc.property(mutatedTokenizerJson, (json) => load(folder({ 'tokenizer.json': JSON.stringify(json) }))), params(250));
});

test('fuzz: tokenizer.json arbitrary text and JSON', () => {
  const text = fc.oneof(
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.dictionary(fc.constantFrom('model', 'normalizer', 'pre_tokenizer', 'post_processor', 'decoder', 'added_tokens', 'padding', 'truncation'), weird).map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 40 }),
    fc.integer({ min: 1, max: 20_000 }).map((d) => `{"model": {"type": "WordPiece", "vocab": ${'{"a":'.repeat(d)}0${'}'.repeat(d)}}}`),
    fc.integer({ min: 1, max: 20_000 }).map((d) => `{"model": {"type": "BPE", "vocab": {}, "merges": []}, "normalizer": ${'{"type": "Sequence", "normalizers": ['.repeat(d)}${']}'.repeat(d)}}`),
  );
  fc.assert(fc.property(text, (t) => load(folder({ 'tokenizer.json': t }))), params(200));
});

const lineArb = fc.oneof(fc.constantFrom('[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'hola', '##s', '', ' ', '\r', 'a b', 'a  b', '#version: 0.2', '\u0000'), fc.string({ maxLength: 6 }));
const linesArb = fc.array(lineArb, { maxLength: 12 }).map((ls) => ls.join('\n'));

test('fuzz: vocab.txt arbitrary and near-valid, with or without tokenizer_config.json', () => {
  const config = fc.oneof(fc.constant(undefined), fc.dictionary(fc.constantFrom('do_lower_case', 'cls_token', 'sep_token', 'unk_token', 'pad_token', 'mask_token', 'model_max_length', 'strip_accents', 'tokenize_chinese_chars', 'additional_special_tokens'), weird).map((v) => JSON.stringify(v)));
  const vocab = fc.oneof(linesArb, fc.string({ maxLength: 60 }), fc.uint8Array({ maxLength: 60 }));
  fc.assert(
    fc.property(vocab, config, (v, c) => load(folder({ 'vocab.txt': v, ...(c !== undefined ? { 'tokenizer_config.json': c } : {}) }))),
    params(250),
  );
});

test('fuzz: vocab.json + merges.txt arbitrary and near-valid, GPT-2 and RoBERTa conventions', () => {
  const vocabJson = fc.oneof(
    fc.dictionary(fc.oneof(lineArb, fc.constantFrom(...Object.keys(BPE_VOCAB))), fc.oneof(fc.nat(20), weird)).map((v) => JSON.stringify({ ...BPE_VOCAB, ...v })),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 30 }),
  );
  const merges = fc.oneof(linesArb, fc.constant(BPE_MERGES), fc.array(fc.tuple(fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 })), { maxLength: 6 }).map((ps) => ps.map((p) => p.join(' ')).join('\n')));
  const config = fc.oneof(
    fc.constant(undefined),
    fc.dictionary(fc.constantFrom('tokenizer_class', 'add_prefix_space', 'trim_offsets', 'add_bos_token', 'bos_token', 'mask_token', 'cls_token', 'sep_token', 'model_max_length'), weird).map((v) => JSON.stringify(v)),
  );
  const modelConfig = fc.oneof(fc.constant(undefined), fc.constantFrom('{"model_type": "roberta"}', '{"model_type": "gpt2"}', '{"model_type": 5}', '[]', '{'));
  fc.assert(
    fc.property(vocabJson, merges, config, modelConfig, (v, m, c, mc) =>
      load(folder({ 'vocab.json': v, 'merges.txt': m, ...(c !== undefined ? { 'tokenizer_config.json': c } : {}), ...(mc !== undefined ? { 'config.json': mc } : {}) })),
    ),
    params(250),
  );
});

test('fuzz: tokenizer_config.json, special_tokens_map.json and added_tokens.json beside valid vocabularies', () => {
  const specialValue = fc.oneof(weird, fc.record({ content: weird, lstrip: weird, rstrip: weird, normalized: weird, single_word: weird }, { requiredKeys: [] }));
  const keys = fc.constantFrom('bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token', 'additional_special_tokens', 'model_max_length', 'do_lower_case', 'added_tokens_decoder', 'tokenizer_class', 'add_prefix_space', '__proto__');
  const json = fc.oneof(fc.dictionary(keys, specialValue).map((v) => JSON.stringify(v)), fc.jsonValue().map((v) => JSON.stringify(v)), fc.string({ maxLength: 20 }));
  const added = fc.oneof(fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.nat(30), weird)).map((v) => JSON.stringify(v)), fc.jsonValue().map((v) => JSON.stringify(v)));
  const vocabFiles = fc.constantFrom<Record<string, string>>(
    { 'vocab.txt': BERT_VOCAB },
    { 'vocab.json': JSON.stringify(BPE_VOCAB), 'merges.txt': BPE_MERGES },
    { 'tokenizer.json': JSON.stringify(BASES[0]) },
    { 'tokenizer.json': JSON.stringify(BASES[2]) },
  );
  fc.assert(
    fc.property(vocabFiles, fc.option(json), fc.option(json), fc.option(added), (files, cfg, map, add) =>
      load(folder({ ...files, ...(cfg !== null ? { 'tokenizer_config.json': cfg } : {}), ...(map !== null ? { 'special_tokens_map.json': map } : {}), ...(add !== null ? { 'added_tokens.json': add } : {}) })),
    ),
    params(250),
  );
});
