// The Unigram trainer against the Rust library's own unit tests (seeds and their scores, unk placement)
// and on a small corpus.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { digamma, seedPieces, trainUnigram } from './unigram.js';

test('seeds: the characters by count, then the repeated substrings by frequency × length (tokenizers\' test_unigram_chars)', () => {
  const seeds = seedPieces(new Map([['This is a', 1], ['こんにちは友達', 1]]));
  assert.deepEqual(seeds.map((s) => s[0]), ['s', 'i', ' ', '達', '友', 'ん', 'は', 'に', 'ち', 'こ', 'h', 'a', 'T', 'is ', 's ']);
  const expected = [-2.5649493574615367, -2.5649493574615367, -2.5649493574615367, ...Array(10).fill(-3.258096538021482), -1.4663370687934272, -1.8718021769015916];
  seeds.forEach(([, score], i) => assert.ok(Math.abs(score - expected[i]!) < 1e-9, `${i}: ${score}`));
});

test('digamma', () => {
  // ψ(1) = -γ, ψ(0.5) = -γ - 2 ln 2.
  assert.ok(Math.abs(digamma(1) + 0.5772156649015329) < 1e-9);
  assert.ok(Math.abs(digamma(0.5) + 0.5772156649015329 + 2 * Math.LN2) < 1e-9);
});

test('the unknown token goes first unless it is a special token already (tokenizers\' test_unk_token)', () => {
  const words = new Map([['The', 12], ['are', 11]]);
  const a = trainUnigram(words, { vocabSize: 100, specialTokens: ['[SEP]', '[CLS]'], unkToken: '[UNK]' });
  assert.deepEqual(a.vocab.slice(0, 3), [['[UNK]', 0], ['[SEP]', 0], ['[CLS]', 0]]);
  assert.equal(a.unkId, 0);
  const b = trainUnigram(words, { vocabSize: 100, specialTokens: ['[SEP]', '[CLS]', '[UNK]'], unkToken: '[UNK]' });
  assert.deepEqual(b.vocab.slice(0, 3), [['[SEP]', 0], ['[CLS]', 0], ['[UNK]', 0]]);
  assert.equal(b.unkId, 2);
});

test('a small corpus: every character kept, scores sorted, no more than the size asked for, shared prefixes as pieces', () => {
  const words = new Map<string, number>();
  const text = 'el perro come la comida del perro y el gato come la comida del gato mientras la casa duerme';
  for (let rep = 0; rep < 20; rep++) for (const w of text.split(' ')) words.set(`▁${w}`, (words.get(`▁${w}`) ?? 0) + 1 + (rep % 3));
  const r = trainUnigram(words, { vocabSize: 40, specialTokens: ['<unk>'], unkToken: '<unk>' });
  // EM drops pieces expected under 0.5 times: a tiny corpus may not fill the vocabulary (as in the library).
  assert.ok(r.vocab.length <= 40 && r.vocab.length > 20, String(r.vocab.length));
  const small = trainUnigram(words, { vocabSize: 20, specialTokens: ['<unk>'], unkToken: '<unk>' });
  assert.equal(small.vocab.length, 20);
  const pieces = r.vocab.map((v) => v[0]);
  for (const c of new Set(text.replace(/ /g, '▁') + '▁')) assert.ok(pieces.includes(c), c);
  for (let i = 2; i < r.vocab.length; i++) assert.ok(r.vocab[i - 1]![1] >= r.vocab[i]![1]);
  // Seeds are substrings repeated among the distinct words (as in the library): come/comida share ▁com.
  assert.ok(pieces.includes('▁com'), pieces.join(' '));
  // Deterministic: the same words in another insertion order give the same vocabulary.
  const shuffled = new Map([...words].reverse());
  assert.deepEqual(trainUnigram(shuffled, { vocabSize: 40, specialTokens: ['<unk>'], unkToken: '<unk>' }), r);
});
