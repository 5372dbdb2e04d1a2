import { LenguaError } from '../errors.js';
import { EMOJI_SOURCE } from './emoji.js';
import {
  EMAIL_SOURCE,
  GLUED_UNIT,
  HASHTAG_CORE,
  HASHTAG_SOURCE,
  MENTION_CORE,
  MENTION_SOURCE,
  URL_CORE,
  URL_SOURCE,
} from './patterns.js';

/**
 * Word tokenization for tweets and other user text in English and Spanish.
 *
 * Kept whole: URLs, e-mails, `@mentions`, `#hashtags`, emoji sequences (flags, skin tones, ZWJ
 * families, keycaps) and the `:emoji_words:` that `normalize()` writes, emoticons (`:)`, `:D`,
 * `<3`), numbers (`1,000.50`, `90.5`, `3:30`, `20%`, `-5`), and words with inner apostrophes or hyphens
 * (`don't`, `it's`, `l'école`, `rock'n'roll`, `well-known`) or digits (`1st`, `3:30pm`, `5sos`), and
 * abbreviations (`U.S.A.`, `e.g.`).
 * Punctuation is split off one mark at a time, except runs of the same mark (`...`, `!!!`):
 * `¿Qué?` → `¿`, `Qué`, `?`.
 */

/** What a token is. */
export type WordKind = 'url' | 'email' | 'mention' | 'hashtag' | 'emoji' | 'emoticon' | 'number' | 'word' | 'punct';

/** A token with its place in the text: `text === source.slice(start, end)` (UTF-16 offsets, as JS strings). */
export interface WordToken {
  text: string;
  start: number;
  end: number;
  kind: WordKind;
}

/** Options of {@link tokenizeWords}. */
export interface WordTokenizeOptions {
  /**
   * Language of the text. English and Spanish share the rules today (`¿`/`¡` split off, apostrophe
   * contractions kept whole, both `1,000.50` and `1.000,50` numbers), so this changes nothing yet; pass
   * it so that rules that differ can come without changing callers.
   * @defaultValue `'en'`
   */
  language?: 'en' | 'es';
}

const L = String.raw`[\p{L}\p{M}\p{N}_]`;
// A word character that does not begin a URL or keycap glued to the word (`Dealhttp://…`, `top1️⃣`).
const WC = String.raw`(?:(?!${GLUED_UNIT})${L})`;
const WORD = String.raw`${WC}+(?:(?:['’\-]|(?<=\p{N})[.,:\/](?=\p{N}))${WC}+)*`;
// `U.S.A.`, `e.g.`: single letters each followed by a dot.
const ABBREVIATION = String.raw`(?<![\p{L}\p{M}\p{N}_.])(?:\p{L}\.){2,}(?![\p{L}\p{M}\p{N}_])`;
const NUMBER = String.raw`(?<![\p{L}\p{M}\p{N}_])[+\-]?\p{Nd}+(?:[.,:\/]\p{Nd}+)*%?(?![\p{L}\p{M}\p{N}_]|[.,:\/]\p{Nd})`;
// `:cara_llorando_de_risa:` — emoji names as written by normalize().
const EMOJI_WORD = String.raw`(?<![\p{L}\p{M}\p{N}_:]):(?=[\p{L}\p{N}_#*]*\p{L})[\p{L}\p{M}\p{N}_#*]+:(?![\p{L}\p{M}\p{N}_])`;
const EMOTICON =
  String.raw`(?<![\p{L}\p{M}\p{N}_])(?:[:;=][\-o'^]?[)\](\[dDpPoO\/\\|}{*@3xX]|<\/?3|[)(][\-o']?[:;=]|\^_*\^|[xX][dD])` +
  String.raw`(?![\p{L}\p{M}\p{N}_])`;
const PUNCT = String.raw`(?<p>[^\s\p{L}\p{M}\p{N}_])\k<p>*`;

const alternatives = (url: string, mention: string, hashtag: string): string =>
  `(?<url>${url})|(?<email>${EMAIL_SOURCE})|(?<mention>${mention})|(?<hashtag>${hashtag})|(?<emoji>${EMOJI_SOURCE}|${EMOJI_WORD})` +
  `|(?<emoticon>${EMOTICON})|(?<number>${NUMBER})|(?<word>${ABBREVIATION}|${WORD})|(?<punct>${PUNCT})|(?<other>\\S)`;

const TOKEN_RE = new RegExp(alternatives(URL_SOURCE, MENTION_SOURCE, HASHTAG_SOURCE), 'uy');
// Right after a URL, mention, hashtag or emoji, the next unit needs no left boundary (`@ana#tag`),
// as in normalize(), so both see the same units.
const TOKEN_AFTER_UNIT_RE = new RegExp(alternatives(URL_CORE, MENTION_CORE, HASHTAG_CORE), 'uy');
const SPACE_RE = /\s+/uy;

const UNIT_KINDS = new Set<WordKind>(['url', 'mention', 'hashtag', 'emoji']);
const KINDS: readonly WordKind[] = ['url', 'email', 'mention', 'hashtag', 'emoji', 'emoticon', 'number', 'word', 'punct'];

function checkOptions(options: WordTokenizeOptions | undefined): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null) throw new LenguaError('word tokenizer options must be an object', { field: 'options' });
  for (const [key, value] of Object.entries(options)) {
    if (key !== 'language') throw new LenguaError('unknown word tokenizer option; known ones: language', { field: key });
    if (value !== undefined && value !== 'en' && value !== 'es') {
      throw new LenguaError(`invalid value ${JSON.stringify(value)}; expected "en" or "es"`, { field: 'language' });
    }
  }
}

/**
 * Tokens with their kind and UTF-16 offsets.
 * @example tokenizeWordsWithOffsets('¿Qué? 😂') // [{text:'¿',start:0,end:1,kind:'punct'}, {text:'Qué',start:1,end:4,kind:'word'}, {text:'?',start:4,end:5,kind:'punct'}, {text:'😂',start:6,end:8,kind:'emoji'}]
 */
export function tokenizeWordsWithOffsets(text: string, options?: WordTokenizeOptions): WordToken[] {
  if (typeof text !== 'string') throw new LenguaError(`tokenizeWords expects a string, got ${typeof text}`, { field: 'text' });
  checkOptions(options);
  const tokens: WordToken[] = [];
  let pos = 0;
  let afterUnit = false;
  while (pos < text.length) {
    SPACE_RE.lastIndex = pos;
    if (SPACE_RE.test(text)) {
      pos = SPACE_RE.lastIndex;
      afterUnit = false;
      continue;
    }
    const re = afterUnit ? TOKEN_AFTER_UNIT_RE : TOKEN_RE;
    re.lastIndex = pos;
    const m = re.exec(text)!; // `\S` as the last alternative matches any non-space character
    const g = m.groups!;
    const kind = KINDS.find((k) => g[k] !== undefined) ?? 'punct';
    const end = pos + m[0].length;
    tokens.push({ text: m[0], start: pos, end, kind });
    afterUnit = UNIT_KINDS.has(kind);
    pos = end;
  }
  return tokens;
}

/**
 * The tokens of a text as strings.
 * @example tokenizeWords("@user don't miss it!!! 1,000.50€ at 3:30 #BuenDía 👍🏽 http://t.co/x")
 * // ['@user', "don't", 'miss', 'it', '!!!', '1,000.50', '€', 'at', '3:30', '#BuenDía', '👍🏽', 'http://t.co/x']
 */
export function tokenizeWords(text: string, options?: WordTokenizeOptions): string[] {
  return tokenizeWordsWithOffsets(text, options).map((t) => t.text);
}
