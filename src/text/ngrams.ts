import { LenguaError } from '../errors.js';

/**
 * Word and character n-grams with scikit-learn's semantics (`CountVectorizer` with
 * `analyzer='word' | 'char' | 'char_wb'`), so a TF-IDF baseline built on them matches one built in
 * Python on the same tokens. Lengths count code points, as Python does (`'😂'` is one character).
 */

/** One length `n`, or an inclusive range `[min, max]` (scikit-learn's `ngram_range`). */
export type NgramRange = number | readonly [number, number];

/** Options of {@link wordNgrams}. */
export interface WordNgramOptions {
  /** What joins the tokens of an n-gram. @defaultValue `' '` (as scikit-learn) */
  separator?: string;
}

/** Options of {@link charNgrams}. */
export interface CharNgramOptions {
  /**
   * scikit-learn's `char_wb`: n-grams only inside words, each word padded with one space on both
   * sides (`'hola'` with n = 3 → `' ho'`, `'hol'`, `'ola'`, `'la '`); a word shorter than n gives
   * itself, padded, once. Off: n-grams over the whole text, spaces included (`analyzer='char'`).
   * @defaultValue `false`
   */
  wordBoundaries?: boolean;
}

// Python's `str.isspace()` characters, which scikit-learn's `\s` and `str.split()` use (JS's `\s`
// differs: it has U+FEFF and lacks U+001C–U+001F and U+0085).
const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const SPACE_RUN = new RegExp(`[${PY_SPACE}]{2,}`, 'gu');
const SPACES = new RegExp(`[${PY_SPACE}]+`, 'u');

function range(n: NgramRange, field: string): [number, number] {
  const [min, max] = typeof n === 'number' ? [n, n] : Array.isArray(n) && n.length === 2 ? n : [NaN, NaN];
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min < 1 || max < min) {
    throw new LenguaError(`n-gram size must be a whole number >= 1 or a range [min, max] with 1 <= min <= max, got ${JSON.stringify(n)}`, { field });
  }
  return [min, max];
}

/**
 * Word n-grams of a token list: all the shortest first, then the next length (scikit-learn's order).
 * @example wordNgrams(['me', 'gusta', 'mucho'], [1, 2]) // ['me', 'gusta', 'mucho', 'me gusta', 'gusta mucho']
 * @example wordNgrams(['a', 'b', 'c'], 3) // ['a b c']
 */
export function wordNgrams(tokens: readonly string[], n: NgramRange, options: WordNgramOptions = {}): string[] {
  const [min, max] = range(n, 'n');
  const separator = options.separator ?? ' ';
  const out: string[] = [];
  for (let size = min; size <= Math.min(max, tokens.length); size++) {
    for (let i = 0; i + size <= tokens.length; i++) out.push(tokens.slice(i, i + size).join(separator));
  }
  return out;
}

/**
 * Character n-grams of a text, in scikit-learn's order (`_char_ngrams`, or `_char_wb_ngrams` with
 * `wordBoundaries`). Runs of two or more whitespace characters count as one space, as there.
 * No lower-casing or accent stripping happens here: that is `normalize()`'s job.
 * @example charNgrams('ab c', 2) // ['ab', 'b ', ' c']
 * @example charNgrams('hola y', 3, { wordBoundaries: true }) // [' ho', 'hol', 'ola', 'la ', ' y ']
 */
export function charNgrams(text: string, n: NgramRange, options: CharNgramOptions = {}): string[] {
  const [min, max] = range(n, 'n');
  const collapsed = text.replace(SPACE_RUN, ' ');
  const out: string[] = [];
  if (options.wordBoundaries === true) {
    for (const word of collapsed.split(SPACES)) {
      if (word === '') continue;
      const w = [' ', ...word, ' '];
      for (let size = min; size <= max; size++) {
        if (w.length <= size) {
          // scikit-learn counts a padded word no longer than n once and stops growing n.
          out.push(w.join(''));
          break;
        }
        for (let i = 0; i + size <= w.length; i++) out.push(w.slice(i, i + size).join(''));
      }
    }
    return out;
  }
  const chars = [...collapsed];
  for (let size = min; size <= Math.min(max, chars.length); size++) {
    for (let i = 0; i + size <= chars.length; i++) out.push(chars.slice(i, i + size).join(''));
  }
  return out;
}
