import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { LenguaError } from '../errors.js';
import {
  normalize,
  normalizeOnce,
  resolveNormalizeOptions,
  splitHashtagBody,
  type NormalizeOptions,
  type NormalizePreset,
} from './normalize.js';

const DATA = new URL('../../../shared/data/', import.meta.url);

test('each documented example gives the documented result', () => {
  const cases: Array<[string, NormalizeOptions | NormalizePreset, string]> = [
    ['Holaaaa @Ana http://t.co/x', { preset: 'tweet' }, 'Holaa @user http'],
    ['Ñandú', { preset: 'bert-uncased' }, 'nandu'],
    ['ＡＢＣ', { preset: 'none', unicode: 'NFKC' }, 'ABC'],
    ['Mañana 😂', { language: 'es', stripAccents: true, emoji: 'words' }, 'Mañana :cara_llorando_de_risa:'],
    ['Ｈｏｌａ', { unicode: 'NFKC' }, 'Hola'],
    ['Tom &amp; Jerry &gt;&gt; &amp;amp;', { htmlEntities: true }, 'Tom & Jerry >> &'],
    ['¡HOLA Mundo!', { lowercase: true }, '¡hola mundo!'],
    ['canción pingüino', { stripAccents: true }, 'cancion pinguino'],
    ['Año de canción', { stripAccents: true, keepEnye: true }, 'Año de cancion'],
    ['mira https://t.co/AbC!', { urls: 'http' }, 'mira http!'],
    ['mira https://t.co/AbC y http', { urls: 'remove' }, 'mira y'],
    ['@Juan_88 gracias!', { mentions: 'user' }, '@user gracias!'],
    ['#BuenDía a todos', { hashtags: 'split', lowercase: true }, 'buen día a todos'],
    ['#BuenDía', { hashtags: 'strip' }, 'BuenDía'],
    ['genial👍🏻', { emoji: 'words' }, 'genial :thumbs_up_light_skin_tone:'],
    ['genial 👍🏻👍🏻', { emoji: 'remove' }, 'genial'],
    ['holaaaa siiiii!!!', { squeezeRepeats: true }, 'holaa sii!!!'],
    ['  hola \n\t mundo ', { collapseWhitespace: true }, 'hola mundo'],
    ['@Maria_88 Holaaaa!! &amp; #BuenDía 😂 https://t.co/xyz', 'tweet', '@user Holaa!! & #BuenDía 😂 http'],
    ['Qué BIEN', 'bert-uncased', 'que bien'],
  ];
  for (const [input, options, expected] of cases) {
    assert.equal(normalize(input, options), expected, `${JSON.stringify(input)} with ${JSON.stringify(options)}`);
  }
});

test('the none preset changes nothing, even odd whitespace, entities and decomposed letters', () => {
  const text = '  e\u0301 &amp; HOLAAAA @Ana #Tag 😂 http://t.co/x \n';
  assert.equal(normalize(text, 'none'), text);
});

test('no options means the tweet preset; an options object starts from its preset', () => {
  const text = 'Holaaaa @Ana';
  assert.equal(normalize(text), normalize(text, 'tweet'));
  assert.equal(normalize('HOLA', { lowercase: true }), 'hola');
  assert.equal(normalize('Hola @Ana', { preset: 'none', lowercase: true }), 'hola @ana');
  const r = resolveNormalizeOptions({ preset: 'bert-uncased', language: 'es' });
  assert.deepEqual(r, {
    preset: 'bert-uncased',
    language: 'es',
    unicode: 'NFC',
    htmlEntities: false,
    lowercase: true,
    stripAccents: true,
    keepEnye: true,
    urls: 'keep',
    mentions: 'keep',
    hashtags: 'keep',
    emoji: 'keep',
    squeezeRepeats: false,
    collapseWhitespace: true,
  });
  assert.equal(normalize('Niño', { preset: 'bert-uncased', language: 'es' }), 'niño');
  assert.equal(normalize('Niño', { preset: 'bert-uncased', language: 'es', keepEnye: false }), 'nino');
});

test('bad options are rejected with the field named', () => {
  assert.throws(
    () => normalize('x', { emoji: 'delete' } as unknown as NormalizeOptions),
    (err: unknown) => err instanceof LenguaError && err.field === 'emoji' && /"delete"/.test(err.message) && /"words"/.test(err.message),
  );
  assert.throws(
    () => normalize('x', { lowercse: true } as unknown as NormalizeOptions),
    (err: unknown) => err instanceof LenguaError && err.field === 'lowercse',
  );
  assert.throws(() => normalize('x', 'bert' as NormalizePreset), (err: unknown) => err instanceof LenguaError && err.field === 'preset');
  assert.throws(() => normalize(42 as unknown as string), (err: unknown) => err instanceof LenguaError && err.field === 'text');
});

test('URLs: glued to text, trailing punctuation, truncated, www, and the masked http placeholder', () => {
  const o: NormalizeOptions = { preset: 'none', urls: 'http' };
  assert.equal(normalize('Get it here >>>http://t.co/puba8PjJbn', o), 'Get it here >>>http');
  assert.equal(normalize('see (https://example.com/a_b?x=1&y=2).', o), 'see (http).');
  assert.equal(normalize('license with...https://t.co/k2q1u…', o), 'license with...http');
  assert.equal(normalize('en www.ejemplo.es/ruta, ya', o), 'en http, ya');
  assert.equal(normalize('john@www.example.com', o), 'john@www.example.com');
  // The cardiffnlp data already masked URLs as `http`: removal removes those too, keep leaves them.
  assert.equal(normalize('Más inf http 😃', { preset: 'none', urls: 'remove' }), 'Más inf  😃');
  assert.equal(normalize('Más inf http 😃', { urls: 'remove' }), 'Más inf 😃');
  assert.equal(normalize('the https protocol', { urls: 'remove' }), 'the protocol');
  assert.equal(normalize('httpd and http-server', { urls: 'remove' }), 'httpd and http-server');
  // Replacing URLs leaves the word itself as written.
  assert.equal(normalize('HTTP error at https://x.co/a', 'tweet'), 'HTTP error at http');
  // Kept URLs keep their case even when the text is lower-cased.
  assert.equal(normalize('VER https://t.co/AbC', { lowercase: true, urls: 'keep' }), 'ver https://t.co/AbC');
});

test('mentions: @user convention, e-mails untouched, dot-mentions, removal', () => {
  assert.equal(normalize('.@Bob_1: hi @ana, mail a@b.com', { mentions: 'user' }), '.@user: hi @user, mail a@b.com');
  assert.equal(normalize('RT @Bob: (@ana) hola', { mentions: 'remove' }), 'RT : () hola');
  assert.equal(normalize('at @ Escuela', 'tweet'), 'at @ Escuela');
});

test('hashtags: keep, strip, split; C#, &#, #1 and ## are not hashtags', () => {
  assert.equal(normalize('#BuenDía #NYCMarathon2024 #hola_mundo #felizlunes', { hashtags: 'split' }), 'Buen Día NYC Marathon 2024 hola mundo felizlunes');
  assert.equal(normalize('C# #1 ##$$## x#y', { hashtags: 'strip' }), 'C# #1 ##$$## x#y');
  assert.equal(normalize('#Tag!', { hashtags: 'strip', lowercase: true }), 'tag!');
  assert.equal(splitHashtagBody('LiverpudlianLoyalitasTanpaBatas'), 'Liverpudlian Loyalitas Tanpa Batas');
  assert.equal(splitHashtagBody('2015Goals'), '2015 Goals');
  assert.equal(splitHashtagBody('YNWA'), 'YNWA');
});

test('emoji: whole sequences, flags, keycaps, ZWJ and skin tones are one unit each', () => {
  const text = 'a👨‍👩‍👧b🇪🇸🇲🇽c1️⃣d👍🏿e🏴󠁧󠁢󠁳󠁣󠁴󠁿f❤️g';
  assert.equal(normalize(text, { emoji: 'remove' }), 'a b c d e f g');
  assert.equal(
    normalize(text, { emoji: 'words' }),
    'a :family_man_woman_girl: b :flag_spain: :flag_mexico: c :keycap_1: d :thumbs_up_dark_skin_tone: e :flag_scotland: f :red_heart: g',
  );
  assert.equal(
    normalize('😂💤', { emoji: 'words', language: 'es' }),
    ':cara_llorando_de_risa: :símbolo_de_sueño:',
  );
  // Emoji names are words too: accents stripped, but never squeezed (`:zzz:` stays).
  assert.equal(normalize('💤 zzzz 🇪🇸', { emoji: 'words', language: 'es', stripAccents: true, keepEnye: true }), ':simbolo_de_sueño: zz :bandera_españa:');
  assert.equal(normalize('💤', { emoji: 'words' }), ':zzz:');
  // Sequences CLDR does not list are named part by part; an unassigned pictograph is kept.
  assert.equal(normalize('👍‍🔥 🇦🇦 \u{1FAFF}x', { emoji: 'words' }), ':thumbs_up: :fire: :regional_indicator_a: :regional_indicator_a: \u{1FAFF}x');
  assert.equal(normalize('👩🏽‍🦲', { emoji: 'words', language: 'es' }), ':mujer_tono_de_piel_medio_y_sin_pelo:');
  // Kept emoji keep their variation selector when marks are stripped.
  assert.equal(normalize('❤️ café', { stripAccents: true }), '❤️ cafe');
});

test('HTML entities decode fully, and an entity made by lower-casing is decoded too', () => {
  assert.equal(normalize('a &amp;amp;gt; b &#233;&#x1F600;', { preset: 'none', htmlEntities: true }), 'a > b é😀');
  assert.equal(normalize('&EACUTE;', { preset: 'none', htmlEntities: true, lowercase: true }), 'é');
  assert.equal(normalize('AT&T &notreal', { htmlEntities: true }), 'AT&T &notreal');
});

test('squeezing runs after lower-casing and accent stripping, and leaves digits and @handles', () => {
  assert.equal(normalize('ÁÁá', { lowercase: true, stripAccents: true, squeezeRepeats: true }), 'aa');
  assert.equal(normalize('1000 @userrrr ¡¡¡NOOOO!!!', { mentions: 'keep', squeezeRepeats: true }), '1000 @userrrr ¡¡¡NOO!!!');
});

test('real tweets from the data sets', { skip: !existsSync(DATA) }, () => {
  const line = (file: string, contains: string): string => {
    const found = readFileSync(new URL(file, DATA), 'utf8').split('\n').find((l) => l.includes(contains));
    assert.ok(found !== undefined, `${file} has a line with ${contains}`);
    return found;
  };
  const es = line('umsab-spanish-sentiment/train_text.txt', 'escuchal');
  assert.equal(es, '@user menos mal que no has dicho escuchal 😂😂😂😂😂 #enlacabezaNo #loSiento');
  assert.equal(normalize(es, { language: 'es', emoji: 'words', hashtags: 'split', lowercase: true }),
    '@user menos mal que no has dicho escuchal :cara_llorando_de_risa: :cara_llorando_de_risa: :cara_llorando_de_risa: :cara_llorando_de_risa: :cara_llorando_de_risa: enlacabeza no lo siento');
  const en = line('tweeteval-sentiment/val_text.txt', 'DailyDouble');
  assert.equal(normalize(en, 'tweet'), "#DailyDouble reminder! Liam's on a Friday night double @ 11/4. Get it here >>>http");
  const tass = line('tass2020-task1-spanish-sentiment/train/mx.tsv', '@leomall2018').split('\t')[1]!;
  assert.equal(normalize(tass, 'tweet'), '@user Según yo era como aviso, pero ahora sí ya es oficial');
  assert.equal(normalize(tass, 'bert-uncased'), '@leomall2018 segun yo era como aviso, pero ahora si ya es oficial');
  const stretched = line('tweeteval-sentiment/val_text.txt', 'oneeeee');
  assert.match(normalize(stretched, 'tweet'), /the 114 onee lol/);
});

test('normalizing every real tweet twice equals normalizing once, for every preset', { skip: !existsSync(DATA) }, () => {
  const texts = [
    ...readFileSync(new URL('tweeteval-sentiment/val_text.txt', DATA), 'utf8').split('\n'),
    ...readFileSync(new URL('umsab-spanish-sentiment/val_text.txt', DATA), 'utf8').split('\n'),
  ].filter((t) => t !== '');
  assert.ok(texts.length > 2000);
  const optionSets: Array<NormalizeOptions | NormalizePreset> = [
    'tweet',
    'bert-uncased',
    { preset: 'tweet', language: 'es', emoji: 'words', hashtags: 'split', lowercase: true, stripAccents: true, unicode: 'NFKC' },
    { preset: 'tweet', emoji: 'remove', hashtags: 'strip', urls: 'remove', mentions: 'remove' },
  ];
  for (const options of optionSets) {
    const o = resolveNormalizeOptions(options);
    for (const text of texts) {
      const once = normalizeOnce(text, o);
      // One pass is already stable on real text: the pipeline order, not the repetition, does it.
      assert.equal(normalizeOnce(once, o), once, `${JSON.stringify(text)} with ${JSON.stringify(options)}`);
    }
  }
});

// Pieces of tweets that interact: entities that decode into entities or `#`/`@`, letters that squeeze
// only after lower-casing or accent stripping, emoji sequences, URLs that lose a `#` in front, etc.
const FRAGMENTS = [
  'a', 'A', 'á', 'Á', 'ñ', 'Ñ', 'e\u0301', 'n\u0303', 'hola', 'HOLAAAA', 'aa', 'zzz', 'Día', 'İ', 'ß', 'Σ', 'ﬁ',
  '😂', '👍🏻', '🇪🇸', '🇪', '👨‍👩‍👧', '1️⃣', '#️⃣', '❤️', '❤', '💤', '🏴󠁧󠁢󠁳󠁣󠁴󠁿', '\u{1FAE8}', '☺', '™',
  'https://t.co/AbC', 'http://x.co/a.', 'www.ejemplo.com/x', 'http', 'https', 'pic.twitter.com/Zz',
  '@Ana', '@user', '.@Bob_1', 'a@b.com', '#BuenDía', '#NYCMarathon2024', '#hola_mundo', '#1', '#', '@',
  '&amp;', '&amp;amp;', '&gt;', '&#233;', '&#35;', '&#64;', '&', ';', 'amp', '#x41', ':', '_',
  ' ', '  ', '\t', '\n', '\u00A0', '¿', '?', '¡', '!', '.', '(', ')', '/', '-', '1', '000',
];
const ADVERSARIAL = ['\u0301', '\u0303', '\uFE0F', '\u200D', '＠', '＃', '＆', 'Ｈ', '&EACUTE;', '&AMP;', '\u{E0067}', '\u{1F3FB}'];

const optionsArb: fc.Arbitrary<NormalizeOptions> = fc.record(
  {
    preset: fc.constantFrom<NormalizePreset>('tweet', 'bert-uncased', 'none'),
    language: fc.constantFrom<'en' | 'es'>('en', 'es'),
    unicode: fc.constantFrom<'NFC' | 'NFKC' | 'none'>('NFC', 'NFKC', 'none'),
    htmlEntities: fc.boolean(),
    lowercase: fc.boolean(),
    stripAccents: fc.boolean(),
    keepEnye: fc.boolean(),
    urls: fc.constantFrom<'keep' | 'http' | 'remove'>('keep', 'http', 'remove'),
    mentions: fc.constantFrom<'keep' | 'user' | 'remove'>('keep', 'user', 'remove'),
    hashtags: fc.constantFrom<'keep' | 'strip' | 'split'>('keep', 'strip', 'split'),
    emoji: fc.constantFrom<'keep' | 'remove' | 'words'>('keep', 'remove', 'words'),
    squeezeRepeats: fc.boolean(),
    collapseWhitespace: fc.boolean(),
  },
  { requiredKeys: [] },
);

const tweetArb = (fragments: string[], separator: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc
    .array(fc.tuple(fc.constantFrom(...fragments), separator), { maxLength: 24 })
    .map((parts) => parts.map(([f, s]) => f + s).join(''));

test('property: normalize is idempotent for every preset and option combination', () => {
  const presetArb = fc.constantFrom<NormalizePreset>('tweet', 'bert-uncased', 'none');
  fc.assert(
    fc.property(tweetArb([...FRAGMENTS, ...ADVERSARIAL], fc.constantFrom('', '', ' ')), fc.oneof(presetArb, optionsArb), (text, options) => {
      const once = normalize(text, options);
      assert.equal(normalize(once, options), once);
    }),
    { numRuns: 3000 },
  );
});

test('a unit right after a removed one stays a unit for the next pass: a space keeps it apart where the character before would hide it', () => {
  // Found by the property below (CI, seed -1663352033): the URL after the removed emoji was kept verbatim, but the
  // next pass saw `.pic.twitter.com` (no URL after a dot) and lowercased it.
  const o = resolveNormalizeOptions({ preset: 'none', lowercase: true, emoji: 'remove' });
  const once = normalizeOnce('.😂pic.twitter.com/Zz ', o);
  assert.equal(once, '. pic.twitter.com/Zz ');
  assert.equal(normalizeOnce(once, o), once);
  // Where the character before allows the unit, nothing is added.
  assert.equal(normalizeOnce(' 😂pic.twitter.com/Zz', o), ' pic.twitter.com/Zz');
  assert.equal(normalizeOnce('a😂#Tag', resolveNormalizeOptions({ preset: 'none', emoji: 'remove' })), 'a #Tag'); // as before: no fusing
  // Also found by it: `#BuenDía:http` was no hashtag (`:` + a word), but became one once the URL was removed.
  const split = resolveNormalizeOptions({ urls: 'remove', hashtags: 'split' });
  assert.equal(normalizeOnce('#BuenDía:http ', split), 'Buen Día:');
  assert.equal(normalizeOnce('#BuenDía:https://t.co/x y', split), 'Buen Día: y');
  assert.equal(normalize('#www.x.com', { hashtags: 'strip', urls: 'keep' }), '#www.x.com'); // still no hashtag run into a domain
});

test('property: on tweet-like text a single pass is already idempotent', () => {
  fc.assert(
    fc.property(tweetArb(FRAGMENTS, fc.constantFrom(' ', ' ', '')), optionsArb, (text, options) => {
      const o = resolveNormalizeOptions(options);
      const once = normalizeOnce(text, o);
      assert.equal(normalizeOnce(once, o), once);
    }),
    { numRuns: 3000 },
  );
});
