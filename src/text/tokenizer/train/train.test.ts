// Training end to end: a corpus written here, each kind trained, written, loaded back with AutoTokenizer
// (encode/decode of held-out text, special tokens, offsets), determinism and limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer } from '../index.js';
import { saveTrainedTokenizer, trainTokenizer, type TrainTokenizerOptions } from './train.js';
import { readCorpus } from './corpus.js';
import { byteLevelAlphabet } from './pipeline-spec.js';

const LINES = [
  'The quick brown fox jumps over the lazy dog.',
  'El rápido zorro marrón salta sobre el perro perezoso.',
  'Los niños juegan en la plaza mientras sus padres conversan.',
  'Children play in the square while their parents talk.',
  'La inteligencia artificial cambia la educación y el trabajo.',
  'Artificial intelligence changes education and work.',
];
const HELD_OUT = 'The lazy children talk about artificial education.';

function corpus(): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'lengua-tokenizer-train-'));
  const file = join(dir, 'corpus.txt');
  const lines: string[] = [];
  for (let i = 0; i < 30; i++) lines.push(LINES[i % LINES.length]!, '');
  writeFileSync(file, lines.join('\n'));
  return { dir, file };
}

async function trainAndLoad(o: TrainTokenizerOptions): Promise<{ out: string; tok: Awaited<ReturnType<typeof AutoTokenizer.fromPretrained>> }> {
  const { dir, file } = corpus();
  const out = join(dir, 'tok');
  saveTrainedTokenizer(out, await trainTokenizer([file], o));
  return { out, tok: await AutoTokenizer.fromPretrained(out) };
}

test('bpe: byte-level GPT-2 style; held-out text round-trips; offsets point at the text', async () => {
  const { out, tok } = await trainAndLoad({ model: 'bpe', vocabSize: 320 });
  const json = JSON.parse(readFileSync(join(out, 'tokenizer.json'), 'utf8'));
  assert.deepEqual(Object.keys(json), ['version', 'truncation', 'padding', 'added_tokens', 'normalizer', 'pre_tokenizer', 'post_processor', 'decoder', 'model']);
  assert.equal(json.version, '1.0');
  assert.equal(json.model.type, 'BPE');
  assert.equal(Object.keys(json.model.vocab).length, 320);
  assert.equal(json.model.vocab['<|endoftext|>'], 0);
  // The 256 byte symbols follow the special token, sorted by code point (the library's alphabet order).
  const alphabet = byteLevelAlphabet().sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  alphabet.forEach((c, i) => assert.equal(json.model.vocab[c], 1 + i));
  assert.ok(json.model.merges.length > 0 && Array.isArray(json.model.merges[0]));
  const e = tok.encode(HELD_OUT);
  assert.equal(tok.decode(e.ids), HELD_OUT);
  assert.ok(e.tokens.includes('tificial'), e.tokens.join(' '));
  e.offsets.forEach(([s, en], i) => assert.equal(HELD_OUT.slice(s, en).replace(/^ /, 'Ġ'), e.tokens[i]));
  // Unseen characters are bytes: nothing is unknown.
  assert.equal(tok.decode(tok.encode('ñandú 😀').ids), 'ñandú 😀');
  assert.equal(tok.specialTokens.eosToken, '<|endoftext|>');
  assert.deepEqual(tok.encode('<|endoftext|>').ids, [0]);
});

test('wordpiece: BERT style with [CLS] A [SEP] B [SEP], lowercase, ## pieces, vocab.txt', async () => {
  const { out, tok } = await trainAndLoad({ model: 'wordpiece', vocabSize: 200 });
  const json = JSON.parse(readFileSync(join(out, 'tokenizer.json'), 'utf8'));
  assert.equal(json.model.type, 'WordPiece');
  assert.deepEqual(Object.keys(json.model), ['type', 'unk_token', 'continuing_subword_prefix', 'max_input_chars_per_word', 'vocab']);
  assert.deepEqual(json.added_tokens.map((t: { content: string }) => t.content), ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
  assert.deepEqual(readFileSync(join(out, 'vocab.txt'), 'utf8').split('\n').slice(0, 5), ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
  const e = tok.encode(HELD_OUT, { pair: 'Los niños' });
  assert.equal(e.tokens[0], '[CLS]');
  assert.equal(e.tokens.filter((t) => t === '[SEP]').length, 2);
  assert.ok(e.tokens.some((t) => t.startsWith('##')), e.tokens.join(' '));
  assert.equal(e.tokenTypeIds.at(-1), 1);
  assert.equal(tok.decode(e.ids, { skipSpecialTokens: true }), `${HELD_OUT.toLowerCase().replace(/ \./, '.')} los ninos`);
  // Offsets of the first text point at the original (cased) characters.
  const first = e.tokens.indexOf('the');
  assert.deepEqual(e.offsets[first], [0, 3]);
  assert.equal(tok.encode('Ωmega').tokens.includes('[UNK]'), true);
});

test('unigram: SentencePiece style, ▁ pieces, <unk>, held-out text round-trips', async () => {
  const { out, tok } = await trainAndLoad({ model: 'unigram', vocabSize: 120 });
  const json = JSON.parse(readFileSync(join(out, 'tokenizer.json'), 'utf8'));
  assert.equal(json.model.type, 'Unigram');
  assert.deepEqual(Object.keys(json.model), ['type', 'unk_id', 'vocab', 'byte_fallback']);
  assert.ok(json.model.vocab.length <= 120 && json.model.vocab.length > 60);
  assert.deepEqual(json.model.vocab[0], ['<unk>', 0]);
  const e = tok.encode(HELD_OUT);
  assert.ok(e.tokens.every((t) => t !== '<unk>'));
  assert.ok(e.tokens.some((t) => t.length > 2), e.tokens.join(' '));
  assert.equal(tok.decode(e.ids), HELD_OUT);
  assert.ok(tok.encode('Ωmega').ids.includes(0));
  assert.deepEqual(readdirSync(out).sort(), ['special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json']);
});

test('deterministic: the same corpus and options give byte-identical files', async () => {
  for (const model of ['bpe', 'wordpiece', 'unigram'] as const) {
    const { dir, file } = corpus();
    const o = { model, vocabSize: 150 };
    saveTrainedTokenizer(join(dir, 'a'), await trainTokenizer([file], o));
    saveTrainedTokenizer(join(dir, 'b'), await trainTokenizer([file], o));
    for (const f of readdirSync(join(dir, 'a'))) assert.equal(readFileSync(join(dir, 'a', f), 'utf8'), readFileSync(join(dir, 'b', f), 'utf8'), `${model} ${f}`);
  }
});

test('limits and bad options are LenguaErrors naming the limit or field', async () => {
  const { dir, file } = corpus();
  await assert.rejects(trainTokenizer([file], { model: 'bpe', vocabSize: 2_000_000 }), /MAX_VOCAB_SIZE/);
  await assert.rejects(trainTokenizer([file], { model: 'bpe', vocabSize: 0 }), /vocab_size/);
  await assert.rejects(trainTokenizer([file], { model: 'bpe', vocabSize: 100, specialTokens: ['<a>', '<a>'] }), /given twice/);
  await assert.rejects(trainTokenizer([file], { model: 'wordpiece', vocabSize: 5 }), /leaves no room/);
  await assert.rejects(trainTokenizer([join(dir, 'missing.txt')], { model: 'bpe', vocabSize: 100 }), /missing\.txt/);
  const long = join(dir, 'long.txt');
  writeFileSync(long, `short\n${'x'.repeat(200)}\n`);
  await assert.rejects(readCorpus([long], () => undefined, { maxLineChars: 100 }), /long\.txt:2: .*MAX_LINE_CHARS/);
  await assert.rejects(readCorpus([long], () => undefined, { maxCorpusBytes: 10 }), /MAX_CORPUS_BYTES/);
  const empty = join(dir, 'empty.txt');
  writeFileSync(empty, '\n  \n');
  await assert.rejects(trainTokenizer([empty], { model: 'unigram', vocabSize: 100 }), /no text/);
  // --out: not empty without overwrite; with it, only a tokenizer folder is replaced.
  const trained = await trainTokenizer([file], { model: 'bpe', vocabSize: 300 });
  const out = join(dir, 'out');
  mkdirSync(out);
  writeFileSync(join(out, 'notes.md'), 'mine');
  assert.throws(() => saveTrainedTokenizer(out, trained), /not empty/);
  assert.throws(() => saveTrainedTokenizer(out, trained, true), /notes\.md/);
  assert.equal(readFileSync(join(out, 'notes.md'), 'utf8'), 'mine');
});
