import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { LenguaError } from '../errors.js';
import { normalize } from './normalize.js';
import { tokenizeWords, tokenizeWordsWithOffsets, type WordKind, type WordTokenizeOptions } from './words.js';

const DATA = new URL('../../../shared/data/', import.meta.url);

const kinds = (text: string): Array<[string, WordKind]> => tokenizeWordsWithOffsets(text).map((t) => [t.text, t.kind]);

test('documented example', () => {
  assert.deepEqual(tokenizeWords("@user don't miss it!!! 1,000.50€ at 3:30 #BuenDía 👍🏽 http://t.co/x"), [
    '@user', "don't", 'miss', 'it', '!!!', '1,000.50', '€', 'at', '3:30', '#BuenDía', '👍🏽', 'http://t.co/x',
  ]);
  assert.deepEqual(tokenizeWordsWithOffsets('¿Qué? 😂'), [
    { text: '¿', start: 0, end: 1, kind: 'punct' },
    { text: 'Qué', start: 1, end: 4, kind: 'word' },
    { text: '?', start: 4, end: 5, kind: 'punct' },
    { text: '😂', start: 6, end: 8, kind: 'emoji' },
  ]);
});

test('Spanish: inverted marks split off, accents and ñ inside words', () => {
  assert.deepEqual(tokenizeWords('¡¿Qué pasó, niño?! ¡Olé!', { language: 'es' }), ['¡', '¿', 'Qué', 'pasó', ',', 'niño', '?', '!', '¡', 'Olé', '!']);
  assert.deepEqual(tokenizeWords('Cuesta 1.000,50 € y pingüino 2º'), ['Cuesta', '1.000,50', '€', 'y', 'pingüino', '2º']);
});

test('contractions, hyphenated words, abbreviations and alphanumerics stay whole', () => {
  assert.deepEqual(tokenizeWords("don't it's I'm can’t y'all l'école rock'n'roll well-known U.S.A. e.g. 1st 3:30pm 5sos"), [
    "don't", "it's", "I'm", 'can’t', "y'all", "l'école", "rock'n'roll", 'well-known', 'U.S.A.', 'e.g.', '1st', '3:30pm', '5sos',
  ]);
  // Quotes around a word are not part of it.
  assert.deepEqual(tokenizeWords("'hola' goin'"), ["'", 'hola', "'", 'goin', "'"]);
});

test('numbers: thousands, decimals, times, percentages, signs, dates; a minus between numbers splits', () => {
  assert.deepEqual(kinds('1,000.50 90.5 3:30 20% -5 +3 12/03/2020 5-3'), [
    ['1,000.50', 'number'], ['90.5', 'number'], ['3:30', 'number'], ['20%', 'number'], ['-5', 'number'], ['+3', 'number'],
    ['12/03/2020', 'number'], ['5', 'number'], ['-', 'punct'], ['3', 'number'],
  ]);
  assert.deepEqual(tokenizeWords('It ends at 10.'), ['It', 'ends', 'at', '10', '.']);
});

test('URLs, e-mails, mentions, hashtags, emoji sequences and emoticons are single tokens of their kind', () => {
  assert.deepEqual(kinds('.@Bob_1 mira https://t.co/AbC?x=1, escribe a ana.lopez@example.es #BuenDía :) <3 xD'), [
    ['.', 'punct'], ['@Bob_1', 'mention'], ['mira', 'word'], ['https://t.co/AbC?x=1', 'url'], [',', 'punct'], ['escribe', 'word'],
    ['a', 'word'], ['ana.lopez@example.es', 'email'], ['#BuenDía', 'hashtag'], [':)', 'emoticon'], ['<3', 'emoticon'], ['xD', 'emoticon'],
  ]);
  assert.deepEqual(kinds('👨‍👩‍👧🇪🇸🇲🇽1️⃣👍🏿🏴󠁧󠁢󠁳󠁣󠁴󠁿'), [
    ['👨‍👩‍👧', 'emoji'], ['🇪🇸', 'emoji'], ['🇲🇽', 'emoji'], ['1️⃣', 'emoji'], ['👍🏿', 'emoji'], ['🏴󠁧󠁢󠁳󠁣󠁴󠁿', 'emoji'],
  ]);
  // A URL glued to a word (a space lost to truncation) is still found; `C#` and `#1` are no hashtags.
  assert.deepEqual(kinds('Dealhttp://t.co/x C# #1'), [
    ['Deal', 'word'], ['http://t.co/x', 'url'], ['C', 'word'], ['#', 'punct'], ['#', 'punct'], ['1', 'number'],
  ]);
  // Emoticon look-alikes inside text are not emoticons.
  assert.deepEqual(tokenizeWords('a:b (see):'), ['a', ':', 'b', '(', 'see', ')', ':']);
});

test('the emoji words normalize() writes are emoji tokens', () => {
  const text = normalize('genial😂👍🏽!', { emoji: 'words', language: 'es' });
  assert.equal(text, 'genial :cara_llorando_de_risa: :pulgar_hacia_arriba_tono_de_piel_medio: !');
  assert.deepEqual(kinds(text), [
    ['genial', 'word'], [':cara_llorando_de_risa:', 'emoji'], [':pulgar_hacia_arriba_tono_de_piel_medio:', 'emoji'], ['!', 'punct'],
  ]);
});

test('bad input is rejected with the field named', () => {
  assert.throws(() => tokenizeWords(5 as unknown as string), (e: unknown) => e instanceof LenguaError && e.field === 'text');
  assert.throws(() => tokenizeWords('x', { language: 'fr' } as unknown as WordTokenizeOptions), (e: unknown) => e instanceof LenguaError && e.field === 'language');
  assert.throws(() => tokenizeWords('x', { lang: 'es' } as unknown as WordTokenizeOptions), (e: unknown) => e instanceof LenguaError && e.field === 'lang');
});

test('real tweets: every kind shows up and offsets point into the text', { skip: !existsSync(DATA) }, () => {
  const texts = [
    ...readFileSync(new URL('tweeteval-sentiment/val_text.txt', DATA), 'utf8').split('\n'),
    ...readFileSync(new URL('umsab-spanish-sentiment/train_text.txt', DATA), 'utf8').split('\n'),
  ];
  const seen = new Set<WordKind>();
  for (const text of texts) {
    for (const t of tokenizeWordsWithOffsets(text)) {
      seen.add(t.kind);
      assert.equal(text.slice(t.start, t.end), t.text);
    }
  }
  assert.deepEqual([...seen].sort(), ['email', 'emoji', 'emoticon', 'hashtag', 'mention', 'number', 'punct', 'url', 'word']);
  const line = texts.find((t) => t.includes('escuchal'))!;
  assert.deepEqual(tokenizeWords(line), [
    '@user', 'menos', 'mal', 'que', 'no', 'has', 'dicho', 'escuchal', '😂', '😂', '😂', '😂', '😂', '#enlacabezaNo', '#loSiento',
  ]);
});

test('property: tokens are in order, do not overlap, and cover every non-space character', () => {
  const piece = fc.constantFrom(
    'hola', 'Qué', '¿', '!', "don't", '1,000.50', '3:30', '20%', '-', '😂', '👍🏽', '🇪🇸', '‍', '️', '@ana', '#Tag', 'http://t.co/x',
    'a@b.com', ':)', ':', '.', ' ', '  ', '\n', '\u00A0', 'U.S.', '´', '\u0301', '_', 'x', '9',
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 30 }).map((p) => p.join('')), (text) => {
      const tokens = tokenizeWordsWithOffsets(text);
      let pos = 0;
      for (const t of tokens) {
        assert.ok(t.start >= pos && t.end > t.start);
        assert.match(text.slice(pos, t.start), /^\s*$/u);
        assert.equal(text.slice(t.start, t.end), t.text);
        pos = t.end;
      }
      assert.match(text.slice(pos), /^\s*$/u);
    }),
    { numRuns: 2000 },
  );
});
