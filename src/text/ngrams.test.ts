import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LenguaError } from '../errors.js';
import { charNgrams, wordNgrams, type NgramRange } from './ngrams.js';

// Produced by scikit-learn 1.2.1 (Debian) with `/usr/bin/python3 scripts/ngram-reference.py`:
// `CountVectorizer(analyzer=..., ngram_range=..., lowercase=False).build_analyzer()(text)` and
// `CountVectorizer(ngram_range=...)._word_ngrams(tokens)`, in scikit-learn's order.
const CHAR_REFERENCE: Array<{ analyzer: 'char' | 'char_wb'; text: string; range: [number, number]; ngrams: string[] }> = [
  { analyzer: 'char', text: "hola yo", range: [3, 3], ngrams: ["hol", "ola", "la ", "a y", " yo"] },
  { analyzer: 'char', text: "\u00a1Qu\u00e9  d\u00eda\tTAN bonito! \ud83d\ude02\ud83d\udc4d\ud83c\udffd", range: [1, 3], ngrams: ["\u00a1", "Q", "u", "\u00e9", " ", "d", "\u00ed", "a", "\t", "T", "A", "N", " ", "b", "o", "n", "i", "t", "o", "!", " ", "\ud83d\ude02", "\ud83d\udc4d", "\ud83c\udffd", "\u00a1Q", "Qu", "u\u00e9", "\u00e9 ", " d", "d\u00ed", "\u00eda", "a\t", "\tT", "TA", "AN", "N ", " b", "bo", "on", "ni", "it", "to", "o!", "! ", " \ud83d\ude02", "\ud83d\ude02\ud83d\udc4d", "\ud83d\udc4d\ud83c\udffd", "\u00a1Qu", "Qu\u00e9", "u\u00e9 ", "\u00e9 d", " d\u00ed", "d\u00eda", "\u00eda\t", "a\tT", "\tTA", "TAN", "AN ", "N b", " bo", "bon", "oni", "nit", "ito", "to!", "o! ", "! \ud83d\ude02", " \ud83d\ude02\ud83d\udc4d", "\ud83d\ude02\ud83d\udc4d\ud83c\udffd"] },
  { analyzer: 'char', text: "a bc  def\u0085x\u3000y", range: [2, 5], ngrams: ["a ", " b", "bc", "c ", " d", "de", "ef", "f\u0085", "\u0085x", "x\u3000", "\u3000y", "a b", " bc", "bc ", "c d", " de", "def", "ef\u0085", "f\u0085x", "\u0085x\u3000", "x\u3000y", "a bc", " bc ", "bc d", "c de", " def", "def\u0085", "ef\u0085x", "f\u0085x\u3000", "\u0085x\u3000y", "a bc ", " bc d", "bc de", "c def", " def\u0085", "def\u0085x", "ef\u0085x\u3000", "f\u0085x\u3000y"] },
  { analyzer: 'char', text: "ni\u00f1o", range: [4, 6], ngrams: ["ni\u00f1o"] },
  { analyzer: 'char', text: "", range: [1, 2], ngrams: [] },
  { analyzer: 'char_wb', text: "hola yo", range: [3, 3], ngrams: [" ho", "hol", "ola", "la ", " yo", "yo "] },
  { analyzer: 'char_wb', text: "\u00a1Qu\u00e9  d\u00eda\tTAN bonito! \ud83d\ude02\ud83d\udc4d\ud83c\udffd", range: [1, 3], ngrams: [" ", "\u00a1", "Q", "u", "\u00e9", " ", " \u00a1", "\u00a1Q", "Qu", "u\u00e9", "\u00e9 ", " \u00a1Q", "\u00a1Qu", "Qu\u00e9", "u\u00e9 ", " ", "d", "\u00ed", "a", " ", " d", "d\u00ed", "\u00eda", "a ", " d\u00ed", "d\u00eda", "\u00eda ", " ", "T", "A", "N", " ", " T", "TA", "AN", "N ", " TA", "TAN", "AN ", " ", "b", "o", "n", "i", "t", "o", "!", " ", " b", "bo", "on", "ni", "it", "to", "o!", "! ", " bo", "bon", "oni", "nit", "ito", "to!", "o! ", " ", "\ud83d\ude02", "\ud83d\udc4d", "\ud83c\udffd", " ", " \ud83d\ude02", "\ud83d\ude02\ud83d\udc4d", "\ud83d\udc4d\ud83c\udffd", "\ud83c\udffd ", " \ud83d\ude02\ud83d\udc4d", "\ud83d\ude02\ud83d\udc4d\ud83c\udffd", "\ud83d\udc4d\ud83c\udffd "] },
  { analyzer: 'char_wb', text: "a bc  def\u0085x\u3000y", range: [2, 5], ngrams: [" a", "a ", " a ", " b", "bc", "c ", " bc", "bc ", " bc ", " d", "de", "ef", "f ", " de", "def", "ef ", " def", "def ", " def ", " x", "x ", " x ", " y", "y ", " y "] },
  { analyzer: 'char_wb', text: "ni\u00f1o", range: [4, 6], ngrams: [" ni\u00f1", "ni\u00f1o", "i\u00f1o ", " ni\u00f1o", "ni\u00f1o ", " ni\u00f1o "] },
  { analyzer: 'char_wb', text: "", range: [1, 2], ngrams: [] },
];
const WORD_REFERENCE: Array<{ tokens: string[]; range: [number, number]; ngrams: string[] }> = [
  { tokens: ["me", "gusta", "mucho", "el", "caf\u00e9"], range: [1, 3], ngrams: ["me", "gusta", "mucho", "el", "caf\u00e9", "me gusta", "gusta mucho", "mucho el", "el caf\u00e9", "me gusta mucho", "gusta mucho el", "mucho el caf\u00e9"] },
  { tokens: ["solo"], range: [1, 2], ngrams: ["solo"] },
  { tokens: ["a", "b", "c", "d"], range: [2, 3], ngrams: ["a b", "b c", "c d", "a b c", "b c d"] },
];

test('character n-grams equal scikit-learn char and char_wb analyzers, in order', () => {
  for (const c of CHAR_REFERENCE) {
    assert.deepEqual(charNgrams(c.text, c.range, { wordBoundaries: c.analyzer === 'char_wb' }), c.ngrams, `${c.analyzer} ${JSON.stringify(c.text)}`);
  }
});

test('word n-grams equal scikit-learn _word_ngrams, in order', () => {
  for (const c of WORD_REFERENCE) assert.deepEqual(wordNgrams(c.tokens, c.range), c.ngrams);
});

test('documented examples', () => {
  assert.deepEqual(wordNgrams(['me', 'gusta', 'mucho'], [1, 2]), ['me', 'gusta', 'mucho', 'me gusta', 'gusta mucho']);
  assert.deepEqual(wordNgrams(['a', 'b', 'c'], 3), ['a b c']);
  assert.deepEqual(wordNgrams(['a', 'b', 'c'], 2, { separator: '_' }), ['a_b', 'b_c']);
  assert.deepEqual(charNgrams('ab c', 2), ['ab', 'b ', ' c']);
  assert.deepEqual(charNgrams('hola y', 3, { wordBoundaries: true }), [' ho', 'hol', 'ola', 'la ', ' y ']);
  // An emoji with a skin tone is two code points, as in Python.
  assert.deepEqual(charNgrams('👍🏽', 1), ['👍', '🏽']);
});

test('bad n-gram sizes name the field and the limit', () => {
  for (const bad of [0, -1, 1.5, [3, 2], [0, 2], 'x', [1]] as unknown as NgramRange[]) {
    assert.throws(() => charNgrams('abc', bad), (err: unknown) => err instanceof LenguaError && err.field === 'n' && />= 1/.test(err.message));
    assert.throws(() => wordNgrams(['a'], bad), (err: unknown) => err instanceof LenguaError && err.field === 'n');
  }
});
