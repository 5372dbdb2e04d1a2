import { decodeHTMLStrict } from 'entities';
import { LenguaError } from '../errors.js';
import { EMOJI_SOURCE, emojiToWords } from './emoji.js';
import { HASHTAG_CORE, HASHTAG_SOURCE, MENTION_CORE, MENTION_SOURCE, URL_CORE, URL_SOURCE } from './patterns.js';

/**
 * Text normalization for tweets and other short user texts.
 *
 * The pipeline, in this order (each step only when its option asks for it):
 *
 * 1. Unicode normalization (`unicode`), first, so that the later steps see one spelling of each
 *    character: NFKC turns `＠user` into `@user` and `＆amp;` into `&amp;` before they are looked for.
 * 2. HTML entities decoded (`htmlEntities`) until none is left (`&amp;amp;` → `&`), then the Unicode
 *    form again (an entity may produce a decomposed or compatibility character).
 * 3. The text is cut into units: URLs, mentions, hashtags, emoji sequences and plain text between them
 *    (shapes in `patterns.ts`; a unit right after another one is found without its left-context rule,
 *    so `@ana#tag` is a mention and a hashtag whether or not the mention is later removed).
 *    URLs (`urls`), mentions (`mentions`), hashtags (`hashtags`) and emoji (`emoji`) are replaced,
 *    removed or kept. Nothing is glued into a new word, mention, hashtag or entity: `http` is set apart
 *    by a space from a letter, digit, `_`, `#`, `@` or `&` next to it (`Dealhttp://x` → `Deal http`),
 *    emoji words from any non-space neighbour, and a removed unit leaves a space between two such
 *    characters (`a😀b` → `a b`, `#😀tag` → `# tag`, but `(@ana)` → `()`).
 * 4. Each piece of text (everything except URLs and emoji kept as they are) is lower-cased
 *    (`lowercase`), stripped of accents (`stripAccents`, `keepEnye`), put back in the Unicode form, and
 *    its repeated letters squeezed (`squeezeRepeats`) — squeezing last, so that `ÁÁá` → `aaa` → `aa`.
 *    Kept URLs and emoji are never changed: a URL path is case-sensitive, and stripping marks would
 *    remove an emoji's variation selector.
 * 5. Whitespace collapsed (`collapseWhitespace`), last, since steps 3 and 4 may leave runs of spaces.
 *
 * Normalizing twice equals normalizing once. The order above makes one pass idempotent on real text;
 * for contrived inputs where one step recreates the input of an earlier one (removing an accent from a
 * lone combining mark before `@`, lower-casing `&EACUTE;` into the entity `&eacute;`), `normalize`
 * repeats the pass until the text stops changing (at most {@link MAX_PASSES} passes; a text already
 * normalized costs one pass).
 */

/** Named option sets. An options object starts from `options.preset` (default `'tweet'`). */
export type NormalizePreset = 'tweet' | 'bert-uncased' | 'none';

/** The language of the text: it decides the defaults that depend on it. */
export type NormalizeLanguage = 'en' | 'es';

/** Options of {@link normalize}. Each one left out takes its value from the preset. */
export interface NormalizeOptions {
  /**
   * The option set the other options start from.
   * - `'tweet'`: the cardiffnlp/TweetEval conventions plus cleaning that keeps what a pretrained tweet
   *   model saw: NFC, HTML entities decoded, URLs → `http`, mentions → `@user`, hashtags and emoji kept,
   *   letters repeated 3+ times squeezed, whitespace collapsed; case and accents kept.
   * - `'bert-uncased'`: what `BertNormalizer` of an uncased BERT does to letters: NFC, lower case,
   *   accents stripped (`ñ` too unless `keepEnye`), whitespace collapsed; nothing else.
   * - `'none'`: no change at all (every option off), a base to switch single options on.
   * @example normalize('Holaaaa @Ana http://t.co/x', { preset: 'tweet' }) // 'Holaa @user http'
   * @example normalize('Ñandú', { preset: 'bert-uncased' }) // 'nandu'
   * @example normalize('ＡＢＣ', { preset: 'none', unicode: 'NFKC' }) // 'ABC'
   * @defaultValue `'tweet'`
   */
  preset?: NormalizePreset;
  /**
   * Language of the text. Spanish (`'es'`) keeps `ñ` when accents are stripped (see `keepEnye`) and
   * names emoji in Spanish (see `emoji: 'words'`).
   * @example normalize('Mañana 😂', { language: 'es', stripAccents: true, emoji: 'words' }) // 'Mañana :cara_llorando_de_risa:'
   * @defaultValue `'en'`
   */
  language?: NormalizeLanguage;
  /**
   * Unicode normalization form: `'NFC'` composes (`e` + U+0301 → `é`); `'NFKC'` also folds
   * compatibility characters (full-width `Ｈｏｌａ` → `Hola`, `𝐁𝐨𝐥𝐝` → `Bold`, `ﬁ` → `fi`, `…` → `...`);
   * `'none'` leaves the text as it is.
   * @example normalize('Ｈｏｌａ', { unicode: 'NFKC' }) // 'Hola'
   * @defaultValue `'NFC'` (`'none'` for the `none` preset)
   */
  unicode?: 'NFC' | 'NFKC' | 'none';
  /**
   * Decode HTML entities (strict HTML5: named ones need their `;`), repeatedly, so text escaped twice
   * comes back too.
   * @example normalize('Tom &amp; Jerry &gt;&gt; &amp;amp;', { htmlEntities: true }) // 'Tom & Jerry >> &'
   * @defaultValue `true` for `tweet`
   */
  htmlEntities?: boolean;
  /**
   * Lower-case the text (not kept URLs, whose paths are case-sensitive).
   * @example normalize('¡HOLA Mundo!', { lowercase: true }) // '¡hola mundo!'
   * @defaultValue `true` for `bert-uncased`
   */
  lowercase?: boolean;
  /**
   * Remove accents and other combining marks (decompose, drop the marks, recompose), as BERT's
   * uncased normalizer does.
   * @example normalize('canción pingüino', { stripAccents: true }) // 'cancion pinguino'
   * @defaultValue `true` for `bert-uncased`
   */
  stripAccents?: boolean;
  /**
   * When stripping accents, keep `ñ`/`Ñ`, a separate letter in Spanish (`año` is not `ano`).
   * @example normalize('Año de canción', { stripAccents: true, keepEnye: true }) // 'Año de cancion'
   * @defaultValue `true` when `language` is `'es'`, otherwise `false`
   */
  keepEnye?: boolean;
  /**
   * URLs (`http(s)://…`, `www.…`, `pic.twitter.com/…`): `'keep'` them, replace each with the word
   * `'http'` (the cardiffnlp/TweetEval convention), or `'remove'` them — and with them the bare words
   * `http`/`https` (any case), which that convention leaves where a URL was.
   * @example normalize('mira https://t.co/AbC!', { urls: 'http' }) // 'mira http!'
   * @example normalize('mira https://t.co/AbC y http', { urls: 'remove' }) // 'mira y'
   * @defaultValue `'http'` for `tweet`
   */
  urls?: 'keep' | 'http' | 'remove';
  /**
   * User mentions: `'keep'` them, replace each with `'@user'` (the TweetEval convention), or `'remove'`.
   * @example normalize('@Juan_88 gracias!', { mentions: 'user' }) // '@user gracias!'
   * @defaultValue `'user'` for `tweet`
   */
  mentions?: 'keep' | 'user' | 'remove';
  /**
   * Hashtags: `'keep'` as written, `'strip'` the `#`, or `'split'` them into words at case changes,
   * digits and underscores (`#BuenDía` → `Buen Día`, `#NYCMarathon2024` → `NYC Marathon 2024`,
   * `#hola_mundo` → `hola mundo`). An all-lower-case hashtag (`#felizlunes`) is only stripped of `#`:
   * splitting it would need a dictionary.
   * @example normalize('#BuenDía a todos', { hashtags: 'split', lowercase: true }) // 'buen día a todos'
   * @example normalize('#BuenDía', { hashtags: 'strip' }) // 'BuenDía'
   * @defaultValue `'keep'`
   */
  hashtags?: 'keep' | 'strip' | 'split';
  /**
   * Emoji sequences (a flag, a keycap, a skin-toned or ZWJ sequence is one unit): `'keep'`, `'remove'`,
   * or turn into `'words'`: the CLDR short name in `language`, written like Python's `emoji.demojize`
   * (`:thumbs_up_light_skin_tone:`, `:cara_llorando_de_risa:`), set apart by spaces. Names come from
   * the `emojibase-data` package; an emoji it does not know is kept.
   * @example normalize('genial👍🏻', { emoji: 'words' }) // 'genial :thumbs_up_light_skin_tone:'
   * @example normalize('genial 👍🏻👍🏻', { emoji: 'remove' }) // 'genial'
   * @defaultValue `'keep'`
   */
  emoji?: 'keep' | 'remove' | 'words';
  /**
   * Squeeze a letter repeated 3 or more times to two (`holaaaa` → `holaa`, `HOLAAA` → `HOLAA`): the
   * stretched spellings of one word become one, while `aa`/`ll`/`rr` spellings stay. Digits,
   * punctuation, mentions and `:emoji_words:` are left alone.
   * @example normalize('holaaaa siiiii!!!', { squeezeRepeats: true }) // 'holaa sii!!!'
   * @defaultValue `true` for `tweet`
   */
  squeezeRepeats?: boolean;
  /**
   * Turn every run of whitespace (spaces, tabs, newlines, no-break spaces) into one space and trim
   * both ends.
   * @example normalize('  hola \n\t mundo ', { collapseWhitespace: true }) // 'hola mundo'
   * @defaultValue `true` for `tweet` and `bert-uncased`
   */
  collapseWhitespace?: boolean;
}

/** Every option resolved; what {@link resolveNormalizeOptions} returns. */
export type ResolvedNormalizeOptions = Required<NormalizeOptions>;

type PresetValues = Omit<ResolvedNormalizeOptions, 'preset' | 'language' | 'keepEnye'>;

const PRESETS: Record<NormalizePreset, PresetValues> = {
  tweet: {
    unicode: 'NFC',
    htmlEntities: true,
    lowercase: false,
    stripAccents: false,
    urls: 'http',
    mentions: 'user',
    hashtags: 'keep',
    emoji: 'keep',
    squeezeRepeats: true,
    collapseWhitespace: true,
  },
  'bert-uncased': {
    unicode: 'NFC',
    htmlEntities: false,
    lowercase: true,
    stripAccents: true,
    urls: 'keep',
    mentions: 'keep',
    hashtags: 'keep',
    emoji: 'keep',
    squeezeRepeats: false,
    collapseWhitespace: true,
  },
  none: {
    unicode: 'none',
    htmlEntities: false,
    lowercase: false,
    stripAccents: false,
    urls: 'keep',
    mentions: 'keep',
    hashtags: 'keep',
    emoji: 'keep',
    squeezeRepeats: false,
    collapseWhitespace: false,
  },
};

/** The names of the presets, for help texts and validation. */
export const NORMALIZE_PRESETS: readonly NormalizePreset[] = ['tweet', 'bert-uncased', 'none'];

const CHOICES: { [K in keyof ResolvedNormalizeOptions]: readonly unknown[] } = {
  preset: NORMALIZE_PRESETS,
  language: ['en', 'es'],
  unicode: ['NFC', 'NFKC', 'none'],
  htmlEntities: [true, false],
  lowercase: [true, false],
  stripAccents: [true, false],
  keepEnye: [true, false],
  urls: ['keep', 'http', 'remove'],
  mentions: ['keep', 'user', 'remove'],
  hashtags: ['keep', 'strip', 'split'],
  emoji: ['keep', 'remove', 'words'],
  squeezeRepeats: [true, false],
  collapseWhitespace: [true, false],
};

/** The option names, in the order the pipeline uses them. */
export const NORMALIZE_OPTION_NAMES = Object.keys(CHOICES) as Array<keyof NormalizeOptions>;

/**
 * Every option of a preset name or an options object, filled in from the preset (default `'tweet'`).
 * Throws a {@link LenguaError} naming the field for an unknown option or value.
 * @example resolveNormalizeOptions('tweet').urls // 'http'
 * @example resolveNormalizeOptions({ language: 'es', stripAccents: true }).keepEnye // true
 */
export function resolveNormalizeOptions(options?: NormalizeOptions | NormalizePreset): ResolvedNormalizeOptions {
  const given: NormalizeOptions = typeof options === 'string' ? { preset: options } : (options ?? {});
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new LenguaError(`normalize options must be a preset name (${NORMALIZE_PRESETS.join(', ')}) or an object`, { field: 'options' });
  }
  for (const [key, value] of Object.entries(given)) {
    const allowed = CHOICES[key as keyof ResolvedNormalizeOptions] as readonly unknown[] | undefined;
    if (allowed === undefined) {
      throw new LenguaError(`unknown normalize option; known ones: ${NORMALIZE_OPTION_NAMES.join(', ')}`, { field: key });
    }
    if (value !== undefined && !allowed.includes(value)) {
      throw new LenguaError(`invalid value ${JSON.stringify(value)}; expected one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`, { field: key });
    }
  }
  const preset = given.preset ?? 'tweet';
  const language = given.language ?? 'en';
  const base = PRESETS[preset];
  const pick = <K extends keyof PresetValues>(key: K): PresetValues[K] => (given[key] as PresetValues[K] | undefined) ?? base[key];
  return {
    preset,
    language,
    unicode: pick('unicode'),
    htmlEntities: pick('htmlEntities'),
    lowercase: pick('lowercase'),
    stripAccents: pick('stripAccents'),
    keepEnye: given.keepEnye ?? language === 'es',
    urls: pick('urls'),
    mentions: pick('mentions'),
    hashtags: pick('hashtags'),
    emoji: pick('emoji'),
    squeezeRepeats: pick('squeezeRepeats'),
    collapseWhitespace: pick('collapseWhitespace'),
  };
}

/** The most passes {@link normalize} makes before returning (see the module notes). */
export const MAX_PASSES = 4;

/**
 * Normalize a text with a preset or options (see {@link NormalizeOptions} for each step and the
 * module notes for their order). `normalize(normalize(x, o), o) === normalize(x, o)` for any `o`.
 * @example normalize('@Maria_88 Holaaaa!! &amp; #BuenDía 😂 https://t.co/xyz', 'tweet')
 * // '@user Holaa!! & #BuenDía 😂 http'
 * @example normalize('Qué BIEN', 'bert-uncased') // 'que bien'
 */
export function normalize(text: string, options?: NormalizeOptions | NormalizePreset): string {
  if (typeof text !== 'string') throw new LenguaError(`normalize expects a string, got ${typeof text}`, { field: 'text' });
  const o = resolveNormalizeOptions(options);
  let current = normalizeOnce(text, o);
  let previous = text;
  for (let pass = 1; pass < MAX_PASSES && current !== previous; pass++) {
    previous = current;
    current = normalizeOnce(current, o);
  }
  return current;
}

const UNIT_RE = new RegExp(
  `(?<url>${URL_SOURCE})|(?<mention>${MENTION_SOURCE})|(?<hashtag>${HASHTAG_SOURCE})|(?<emoji>${EMOJI_SOURCE})`,
  'gu',
);
// UNIT_RE anchored where lastIndex says: is this a unit with this left context?
const UNIT_STICKY_RE = new RegExp(UNIT_RE.source, 'uy');
// Right after another unit, a unit is recognised without its left-context condition (`@ana#tag`,
// `❤️#tag`): once the first unit is removed or replaced, the second must be found again the same way.
const UNIT_AFTER_UNIT_RE = new RegExp(
  `(?<url>${URL_CORE})|(?<mention>${MENTION_CORE})|(?<hashtag>${HASHTAG_CORE})|(?<emoji>${EMOJI_SOURCE})`,
  'uy',
);

const ENTITY_HINT = /&(?:#\d|#x[0-9a-f]|[a-z][a-z0-9]*;)/i;

function decodeEntities(text: string): string {
  // Each round removes at least one `&…;`, so the loop is bounded by the text length; 16 rounds is
  // far beyond real multiple escaping and keeps the worst case linear.
  let s = text;
  for (let round = 0; round < 16 && ENTITY_HINT.test(s); round++) {
    const decoded = decodeHTMLStrict(s);
    if (decoded === s) break;
    s = decoded;
  }
  return s;
}

function stripMarks(text: string, keepEnye: boolean): string {
  const decomposed = text.normalize('NFD');
  const stripped = keepEnye
    ? decomposed.replace(/([nN]\u0303)|\p{Mn}/gu, (_m, enye: string | undefined) => enye ?? '')
    : decomposed.replace(/\p{Mn}/gu, '');
  return stripped.normalize('NFC');
}

// `:emoji_words:` and `@handles` are names, not stretched words: they are skipped, in every pass alike.
const SQUEEZE_RE = /(:[\p{L}\p{M}\p{N}_#*]+:)|(@[\p{L}\p{M}\p{N}_]+)|(\p{L})\3{2,}/gu;

function squeeze(text: string): string {
  return text.replace(SQUEEZE_RE, (match, code: string | undefined, handle: string | undefined, letter: string | undefined) =>
    code ?? handle ?? (letter !== undefined ? letter + letter : match),
  );
}

const URL_WORD = /^https?$/i;

/**
 * `BuenDía` → `Buen Día`, `NYCMarathon2024` → `NYC Marathon 2024`, `hola_mundo` → `hola mundo`.
 * A part that is the word `http`/`https` stays joined to its neighbour: alone it would read as a URL.
 */
export function splitHashtagBody(body: string): string {
  const parts = body
    .replace(/_+/g, ' ')
    .replace(/([\p{Ll}\p{M}])(?=\p{Lu})/gu, '$1 ')
    .replace(/(\p{Lu})(?=\p{Lu}[\p{Ll}\p{M}])/gu, '$1 ')
    .replace(/([\p{L}\p{M}])(?=\p{N})/gu, '$1 ')
    .replace(/(\p{N})(?=\p{L})/gu, '$1 ')
    .split(' ')
    .filter((p) => p !== '');
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (URL_WORD.test(part) && out.length > 0) out[out.length - 1] += part;
    else if (URL_WORD.test(part) && i + 1 < parts.length) parts[i + 1] = part + parts[i + 1]!;
    else out.push(part);
  }
  return out.join(' ');
}

interface Piece {
  text: string;
  /** Kept URLs and emoji: no case, accent or repeat change. */
  verbatim: boolean;
}

// Characters that would fuse with a neighbour into a new word, mention, hashtag or entity.
const GLUE = /[\p{L}\p{M}\p{N}_#@&]/u;
const NON_SPACE = /\S/u;

/** Builds the output, keeping replaced units apart from their neighbours (step 3 of the pipeline). */
class Pieces {
  readonly list: Piece[] = [];
  // Characters that must not start the next piece without a space in between.
  private pending: RegExp | undefined;
  // Right after a removed unit, until something is added.
  private removedLast = false;

  private lastChar(): string | undefined {
    const last = this.list[this.list.length - 1];
    return last === undefined ? undefined : [...last.text.slice(-2)].pop();
  }

  private space(): void {
    this.list.push({ text: ' ', verbatim: false });
  }

  add(text: string, verbatim = false): void {
    if (text === '') return;
    const first = String.fromCodePoint(text.codePointAt(0)!);
    const last = this.lastChar();
    if (this.pending !== undefined && last !== undefined && this.pending.test(first) && this.pending.test(last)) this.space();
    this.pending = undefined;
    this.removedLast = false;
    this.list.push({ text, verbatim });
  }

  /** Text that must not fuse with a word-like character before it (a stripped or split hashtag). */
  addUnglued(text: string): void {
    const last = this.lastChar();
    if (last !== undefined && GLUE.test(last) && text !== '' && GLUE.test(text)) this.space();
    this.add(text);
  }

  /** A replacement kept apart by a space from any neighbour matching `apart`. */
  addApart(text: string, apart: RegExp): void {
    const last = this.lastChar();
    if (last !== undefined && apart.test(last)) this.space();
    this.pending = undefined;
    this.removedLast = false;
    this.list.push({ text, verbatim: false });
    this.pending = apart;
  }

  /** A removed unit: a space if it sat between two characters that would fuse. */
  remove(): void {
    if (this.pending === undefined) this.pending = GLUE;
    this.removedLast = true;
  }

  /**
   * A unit found right after a removed one (`.😂pic.twitter.com/x`) must still be a unit once the removed one is
   * gone, when the next pass sees the character before it (`.`) as its left context: if that character would hide
   * it, a space keeps it apart. `rest` starts with the unit (`length` characters) and runs on a little.
   */
  separateAfterRemoval(rest: string, length: number): void {
    const last = this.lastChar();
    if (!this.removedLast || last === undefined) return;
    UNIT_STICKY_RE.lastIndex = last.length;
    const m = UNIT_STICKY_RE.exec(last + rest);
    if (m === null || m[0].length !== length) this.space();
  }
}

/**
 * One pass of the pipeline with resolved options. `normalize` repeats it until the text is stable;
 * exported for tests that check a single pass is already idempotent on realistic text.
 * @internal
 */
export function normalizeOnce(text: string, o: ResolvedNormalizeOptions): string {
  const form = o.unicode === 'none' ? undefined : o.unicode;
  let s = form !== undefined ? text.normalize(form) : text;
  if (o.htmlEntities) {
    const decoded = decodeEntities(s);
    if (decoded !== s) s = form !== undefined ? decoded.normalize(form) : decoded;
  }

  const pieces = new Pieces();
  let last = 0;
  let afterUnit = false;
  for (;;) {
    let m: RegExpExecArray | null = null;
    if (afterUnit) {
      UNIT_AFTER_UNIT_RE.lastIndex = last;
      m = UNIT_AFTER_UNIT_RE.exec(s);
      if (m !== null) pieces.separateAfterRemoval(s.slice(m.index, m.index + m[0].length + 64), m[0].length);
    }
    if (m === null) {
      UNIT_RE.lastIndex = last;
      m = UNIT_RE.exec(s);
    }
    if (m === null) break;
    if (m.index > last) pieces.add(s.slice(last, m.index));
    last = m.index + m[0].length;
    afterUnit = true;
    const g = m.groups!;
    if (g.url !== undefined) {
      if (o.urls === 'keep') pieces.add(g.url, true);
      // The bare word `http`/`https` is left as written (only removal touches it).
      else if (o.urls === 'http' && URL_WORD.test(g.url)) pieces.add(g.url);
      else if (o.urls === 'http') pieces.addApart('http', GLUE);
      else pieces.remove();
    } else if (g.mention !== undefined) {
      if (o.mentions === 'keep') pieces.add(g.mention);
      else if (o.mentions === 'user') pieces.add('@user');
      else pieces.remove();
    } else if (g.hashtag !== undefined) {
      // `#http` keeps its `#` even when stripping: a bare `http` would read as a URL.
      if (o.hashtags === 'keep' || URL_WORD.test(g.hashtag.slice(1))) pieces.add(g.hashtag);
      else if (o.hashtags === 'strip') pieces.addUnglued(g.hashtag.slice(1));
      else pieces.addUnglued(splitHashtagBody(g.hashtag.slice(1)));
    } else if (g.emoji !== undefined) {
      if (o.emoji === 'keep') pieces.add(g.emoji, true);
      else if (o.emoji === 'remove') pieces.remove();
      else {
        const words = emojiToWords(g.emoji, o.language);
        if (words === undefined) pieces.add(g.emoji, true);
        else pieces.addApart(words, NON_SPACE);
      }
    }
  }
  if (last < s.length) pieces.add(s.slice(last));

  let out = '';
  for (const piece of pieces.list) out += piece.verbatim ? piece.text : transformText(piece.text, o, form);
  if (o.collapseWhitespace) out = out.replace(/\s+/gu, ' ').trim();
  return out;
}

function transformText(text: string, o: ResolvedNormalizeOptions, form: 'NFC' | 'NFKC' | undefined): string {
  let t = text;
  if (o.lowercase) t = t.toLowerCase();
  if (o.stripAccents) t = stripMarks(t, o.keepEnye);
  if (form !== undefined && (o.lowercase || o.stripAccents)) t = t.normalize(form);
  if (o.squeezeRepeats) t = squeeze(t);
  return t;
}
