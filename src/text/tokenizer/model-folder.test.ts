// Every tokenizer file is read through the model-folder rule (src/hub/model-files.ts): a file that links
// out of the folder is refused, even when the file it points to is a perfectly good tokenizer file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LenguaError } from '../../errors.js';
import { PreTrainedTokenizer } from './index.js';

const BERT_FILES: Record<string, string> = {
  'vocab.txt': ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'hola', 'mundo'].join('\n') + '\n',
  'tokenizer_config.json': '{"do_lower_case": true, "model_max_length": 16}',
  'special_tokens_map.json': '{"unk_token": "[UNK]"}',
  'added_tokens.json': '{"[NEW]": 7}',
};

const BPE_FILES: Record<string, string> = {
  'vocab.json': JSON.stringify({ '<|endoftext|>': 0, h: 1, o: 2, l: 3, a: 4, ho: 5, la: 6 }),
  'merges.txt': '#version: 0.2\nh o\nl a\n',
  'config.json': '{"model_type": "gpt2"}',
};

/** A folder with `files`; the one named `linked` is moved outside and replaced by a link to it. */
function folderWithLink(files: Record<string, string>, linked: string): { dir: string; link: string; target: string } {
  const root = mkdtempSync(join(tmpdir(), 'lengua-toklink-'));
  const dir = join(root, 'model');
  mkdirSync(dir);
  mkdirSync(join(root, 'outside'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const target = join(root, 'outside', linked);
  renameSync(join(dir, linked), target);
  symlinkSync(target, join(dir, linked));
  return { dir, link: join(dir, linked), target };
}

test('the slow-tokenizer fixtures load when their files are in the folder', () => {
  const root = mkdtempSync(join(tmpdir(), 'lengua-toklink-'));
  for (const [sub, files] of [['bert', BERT_FILES], ['bpe', BPE_FILES]] as const) {
    mkdirSync(join(root, sub));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(root, sub, name), text);
  }
  assert.deepEqual(PreTrainedTokenizer.fromDir(join(root, 'bert')).tokenize('Hola mundo'), ['hola', 'mundo']);
  assert.deepEqual(PreTrainedTokenizer.fromDir(join(root, 'bpe')).tokenize('hola'), ['ho', 'la']);
});

test('every tokenizer file that links out of the folder is refused, naming the file and the target', () => {
  const cases: Array<[Record<string, string>, string]> = [
    ...Object.keys(BERT_FILES).map((f): [Record<string, string>, string] => [BERT_FILES, f]),
    ...Object.keys(BPE_FILES).map((f): [Record<string, string>, string] => [BPE_FILES, f]),
    [{ ...BERT_FILES, 'tokenizer.json': '{"model": {}}' }, 'tokenizer.json'],
  ];
  for (const [files, linked] of cases) {
    const { dir, link, target } = folderWithLink(files, linked);
    assert.throws(
      () => PreTrainedTokenizer.fromDir(dir),
      (e: unknown) =>
        e instanceof LenguaError && e.message.includes(link) && e.message.includes(target) && /links out of a model folder are refused/.test(e.message),
      linked,
    );
  }
});
