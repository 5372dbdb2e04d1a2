// Regression tests for what fuzzing tokenizer folders found (tokenizer.fuzz.test.ts): each of these
// tokenizer.json files used to end in a TypeError, or in encodings whose ids were not integers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LenguaError } from '../../errors.js';
import { PreTrainedTokenizer, readTokenizerFiles } from './index.js';

type Json = Record<string, unknown>;
const root = mkdtempSync(join(tmpdir(), 'lengua-tokval-'));
let n = 0;

function folder(files: Record<string, string>): string {
  const dir = join(root, String(n++));
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const BERT = readTokenizerFiles(folder({ 'vocab.txt': ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'hola', 'mundo'].join('\n') })).json;
const BPE = readTokenizerFiles(folder({ 'vocab.json': JSON.stringify({ '<|endoftext|>': 0, h: 1, o: 2, ho: 3 }), 'merges.txt': 'h o\n' })).json;

/** `base` with `edit` applied, written as a tokenizer.json, loaded and used. */
function loadEdited(base: Json, edit: (j: Json) => void): () => unknown {
  const json = structuredClone(base);
  edit(json);
  const dir = folder({ 'tokenizer.json': JSON.stringify(json) });
  return () => PreTrainedTokenizer.fromDir(dir).encode('hola mundo zzz', { pair: 'hola' });
}

function refused(field: RegExp | string): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof LenguaError, `expected a LenguaError, got ${String(e)}`);
    assert.match(e.message, /tokenizer\.json/);
    if (typeof field === 'string') assert.ok(e.message.includes(`field "${field}"`), e.message);
    else assert.match(e.message, field);
    return true;
  };
}

test('vocabulary ids that are not integers are refused (they came out as "ids" of any type)', () => {
  assert.throws(loadEdited(BERT, (j) => ((j.model as Json).vocab = { ...((j.model as Json).vocab as Json), hola: 'five' })), refused('model.vocab.hola'));
  assert.throws(loadEdited(BERT, (j) => ((j.model as Json).vocab = { ...((j.model as Json).vocab as Json), hola: 1.5 })), refused('model.vocab.hola'));
  assert.throws(loadEdited(BPE, (j) => ((j.model as Json).vocab = [['a', 0]])), refused('model.vocab'));
  assert.throws(loadEdited(BPE, (j) => ((j.model as Json).merges = ['h o', ['h', 'o']])), refused('model.merges[1]'));
  assert.throws(loadEdited(BPE, (j) => ((j.model as Json).merges = 'h o')), refused('model.merges'));
  assert.throws(loadEdited(BERT, (j) => ((j.model as Json).type = 'Bogus')), refused('model.type'));
});

test('template special tokens, processors and added tokens of the wrong shape are refused', () => {
  const template = (j: Json): Json => (j.post_processor as Json).special_tokens as Json;
  assert.throws(loadEdited(BERT, (j) => ((template(j)['[CLS]'] as Json).ids = [true])), refused('post_processor'));
  assert.throws(loadEdited(BERT, (j) => ((template(j)['[CLS]'] as Json).tokens = ['[CLS]', 'extra'])), refused('post_processor'));
  assert.throws(loadEdited(BERT, (j) => (j.post_processor = { type: 'BertProcessing', cls: 7, sep: ['[SEP]', 3] })), refused('post_processor.cls'));
  assert.throws(loadEdited(BERT, (j) => (j.post_processor = { type: 'RobertaProcessing', cls: ['<s>', 0], sep: null })), refused('post_processor.sep'));
  assert.throws(loadEdited(BERT, (j) => (j.post_processor = { type: 'Sequence', processors: { type: 'ByteLevel' } })), refused('post_processor'));
  assert.throws(loadEdited(BERT, (j) => (((j.post_processor as Json).single as Json[])[1] = { Sequence: { id: 'A', type_id: 'x' } })), refused(/type_id must be an integer/));
  assert.throws(loadEdited(BERT, (j) => (j.added_tokens = { id: 0 })), refused('added_tokens'));
  assert.throws(loadEdited(BERT, (j) => (j.added_tokens = [{ id: -1, content: 'x' }])), refused('added_tokens[0].id'));
  assert.throws(loadEdited(BERT, (j) => (j.added_tokens = [{ id: 9, content: 5 }])), refused('added_tokens[0].content'));
  assert.throws(loadEdited(BERT, (j) => (j.padding = { pad_id: 1.5 })), refused('padding.pad_id'));
});

test('an unk_token missing from the vocabulary is a LenguaError at encode, not an undefined id', () => {
  const use = loadEdited(BPE, (j) => ((j.model as Json).unk_token = '<unk>'));
  assert.throws(use, (e: unknown) => e instanceof LenguaError && /has no id and the model's unk_token is not in the vocabulary/.test(e.message));
});

test('a tokenizer.json nested deeper than 128 levels is refused when read', () => {
  const deep = '{"type": "Sequence", "normalizers": ['.repeat(5000) + ']}'.repeat(5000);
  const dir = folder({ 'tokenizer.json': `{"model": {"type": "WordPiece", "vocab": {"a": 0}}, "normalizer": ${deep}}` });
  assert.throws(() => PreTrainedTokenizer.fromDir(dir), /tokenizer\.json: JSON nested deeper than 128 levels/);
});

test('the valid converted tokenizers still load and encode', () => {
  for (const base of [BERT, BPE]) assert.ok(loadEdited(base, () => undefined)());
});
