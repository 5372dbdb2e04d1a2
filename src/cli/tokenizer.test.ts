import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './testing.js';

function corpus(): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'lengua-cli-tokenizer-'));
  const file = join(dir, 'corpus.txt');
  writeFileSync(file, 'hug pug pun bun hugs\nLos niños juegan en la plaza.\nThe children play.\n'.repeat(10));
  return { dir, file };
}

test('tokenizer train: writes a folder that lengua tokenize reads; summary on stdout, progress on stderr', () => {
  const { dir, file } = corpus();
  const out = join(dir, 'tok');
  const r = runCli(['tokenizer', 'train', file, '--model', 'wordpiece', '--vocab-size', '80', '--special-tokens', '[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /trained a wordpiece tokenizer: \d+ tokens from \d+ distinct words \(30 texts/);
  assert.match(r.stderr, /distinct words/);
  assert.deepEqual(readdirSync(out).sort(), ['special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt']);
  const t = runCli(['tokenize', '--model', out, '--json', 'Hug the children']);
  assert.equal(t.status, 0, t.stderr);
  const e = JSON.parse(t.stdout) as { tokens: string[] };
  assert.equal(e.tokens[0], '[CLS]');
  assert.equal(e.tokens.at(-1), '[SEP]');
  assert.ok(e.tokens.includes('hug'), e.tokens.join(' '));
});

test('tokenizer train refuses a non-empty --out without --overwrite, and bad numbers, before reading the corpus', () => {
  const { dir, file } = corpus();
  const out = join(dir, 'tok');
  assert.equal(runCli(['tokenizer', 'train', file, '--model', 'unigram', '--vocab-size', '60', '--out', out]).status, 0);
  const again = runCli(['tokenizer', 'train', file, '--model', 'unigram', '--vocab-size', '60', '--out', out]);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /--out is not empty; pass --overwrite/);
  const over = runCli(['tokenizer', 'train', file, '--model', 'bpe', '--vocab-size', '300', '--out', out, '--overwrite']);
  assert.equal(over.status, 0, over.stderr);
  assert.match(over.stdout, /trained a bpe tokenizer/);
  const bad = runCli(['tokenizer', 'train', file, '--model', 'bpe', '--vocab-size', 'many', '--out', join(dir, 'x')]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--vocab-size.*"many"/);
  const missing = runCli(['tokenizer', 'train', join(dir, 'nope.txt'), '--model', 'bpe', '--vocab-size', '300', '--out', join(dir, 'y')]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /nope\.txt/);
});

test('tokenizer train reads the text column of CSV and JSONL files (both texts of a pair)', () => {
  const { dir } = corpus();
  const csv = join(dir, 'train.csv');
  writeFileSync(csv, 'text,label\n"hola, mundo",1\nadiós,0\n');
  const jsonl = join(dir, 'train.jsonl');
  writeFileSync(jsonl, '{"sentence1": "uno", "sentence2": "dos"}\n');
  const r = runCli(['tokenizer', 'train', csv, jsonl, '--model', 'unigram', '--vocab-size', '30', '--out', join(dir, 'tok')]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /train\.csv: 2 texts/);
  assert.match(r.stderr, /train\.jsonl: 2 texts/);
});
