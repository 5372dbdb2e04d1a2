// The Porter stemmer (Porter 1980, "An algorithm for suffix stripping") as NLTK's
// `PorterStemmer()` runs it by default, mode NLTK_EXTENSIONS: that is the stemmer Google's `rouge_score`
// constructs for `use_stemmer=True`, so ROUGE with stemming needs exactly its output. NLTK's extensions over
// the published algorithm, all applied here:
//   - a few irregular forms map directly (skies -> sky, dying -> die, news -> news, ...);
//   - words of one or two letters are returned unchanged;
//   - step 1a: a four-letter word in -ies keeps -ie (ties -> tie), step 1b: -ied -> -ie in four-letter words,
//     else -i (died -> die, spied -> spi), before the usual rules;
//   - *o also holds for a two-letter stem vowel+consonant;
//   - step 1c: y -> i only after a consonant that is not the first letter (happy -> happi, enjoy, spy -> spi);
//   - step 2: -alli -> -al is tried first and the result goes through step 2 again; -bli -> -ble replaces
//     -abli -> -able; -fulli -> -ful; -logi -> -log when the stem with its l has m > 0.
// In each rule list the first suffix that matches decides: if its condition fails, the word is left as is.
// Input is expected lowercase ASCII (rouge_score's tokens are [a-z0-9]+); it is lowercased first, as NLTK does.

const IRREGULAR: ReadonlyMap<string, string> = new Map([
  ['sky', 'sky'],
  ['skies', 'sky'],
  ['dying', 'die'],
  ['lying', 'lie'],
  ['tying', 'tie'],
  ['news', 'news'],
  ['innings', 'inning'],
  ['inning', 'inning'],
  ['outings', 'outing'],
  ['outing', 'outing'],
  ['cannings', 'canning'],
  ['canning', 'canning'],
  ['howe', 'howe'],
  ['proceed', 'proceed'],
  ['exceed', 'exceed'],
  ['succeed', 'succeed'],
]);

function isConsonant(w: string, i: number): boolean {
  const c = w[i];
  if (c === 'a' || c === 'e' || c === 'i' || c === 'o' || c === 'u') return false;
  if (c === 'y') return i === 0 ? true : !isConsonant(w, i - 1);
  return true;
}

/** m in [C](VC){m}[V]: the number of vowel-to-consonant transitions. */
function measure(stem: string): number {
  let m = 0;
  let prevVowel = false;
  for (let i = 0; i < stem.length; i++) {
    const consonant = isConsonant(stem, i);
    if (consonant && prevVowel) m++;
    prevVowel = !consonant;
  }
  return m;
}

const positiveMeasure = (stem: string): boolean => measure(stem) > 0;

function containsVowel(stem: string): boolean {
  for (let i = 0; i < stem.length; i++) if (!isConsonant(stem, i)) return true;
  return false;
}

/** *d: ends with a double consonant. */
function endsDoubleConsonant(w: string): boolean {
  return w.length >= 2 && w[w.length - 1] === w[w.length - 2] && isConsonant(w, w.length - 1);
}

/** *o: ends consonant-vowel-consonant, the last not w, x or y; NLTK also accepts a two-letter vowel-consonant word. */
function endsCvc(w: string): boolean {
  const n = w.length;
  if (n >= 3 && isConsonant(w, n - 3) && !isConsonant(w, n - 2) && isConsonant(w, n - 1) && !'wxy'.includes(w[n - 1]!)) return true;
  return n === 2 && !isConsonant(w, 0) && isConsonant(w, 1);
}

type Rule = [suffix: string, replacement: string, condition: ((stem: string) => boolean) | null];

/** The first rule whose suffix the word ends with decides; a failed condition leaves the word unchanged. */
function applyRules(word: string, rules: readonly Rule[]): string {
  for (const [suffix, replacement, condition] of rules) {
    if (word.endsWith(suffix)) {
      const stem = word.slice(0, word.length - suffix.length);
      return condition === null || condition(stem) ? stem + replacement : word;
    }
  }
  return word;
}

function step1a(w: string): string {
  if (w.endsWith('ies') && w.length === 4) return w.slice(0, -3) + 'ie';
  return applyRules(w, [
    ['sses', 'ss', null],
    ['ies', 'i', null],
    ['ss', 'ss', null],
    ['s', '', null],
  ]);
}

function step1b(w: string): string {
  if (w.endsWith('ied')) return w.slice(0, -3) + (w.length === 4 ? 'ie' : 'i');
  if (w.endsWith('eed')) {
    const stem = w.slice(0, -3);
    return measure(stem) > 0 ? stem + 'ee' : w;
  }
  let stem: string | null = null;
  for (const suffix of ['ed', 'ing']) {
    if (w.endsWith(suffix)) {
      const s = w.slice(0, w.length - suffix.length);
      if (containsVowel(s)) {
        stem = s;
        break;
      }
    }
  }
  if (stem === null) return w;
  if (stem.endsWith('at') || stem.endsWith('bl') || stem.endsWith('iz')) return stem + 'e';
  if (endsDoubleConsonant(stem)) {
    // a double consonant is undoubled unless it is l, s or z; either way no later rule applies
    return 'lsz'.includes(stem[stem.length - 1]!) ? stem : stem.slice(0, -1);
  }
  return measure(stem) === 1 && endsCvc(stem) ? stem + 'e' : stem;
}

function step1c(w: string): string {
  return applyRules(w, [['y', 'i', (stem) => stem.length > 1 && isConsonant(stem, stem.length - 1)]]);
}

const STEP2_RULES: readonly Rule[] = [
  ['ational', 'ate', positiveMeasure],
  ['tional', 'tion', positiveMeasure],
  ['enci', 'ence', positiveMeasure],
  ['anci', 'ance', positiveMeasure],
  ['izer', 'ize', positiveMeasure],
  ['bli', 'ble', positiveMeasure],
  ['alli', 'al', positiveMeasure],
  ['entli', 'ent', positiveMeasure],
  ['eli', 'e', positiveMeasure],
  ['ousli', 'ous', positiveMeasure],
  ['ization', 'ize', positiveMeasure],
  ['ation', 'ate', positiveMeasure],
  ['ator', 'ate', positiveMeasure],
  ['alism', 'al', positiveMeasure],
  ['iveness', 'ive', positiveMeasure],
  ['fulness', 'ful', positiveMeasure],
  ['ousness', 'ous', positiveMeasure],
  ['aliti', 'al', positiveMeasure],
  ['iviti', 'ive', positiveMeasure],
  ['biliti', 'ble', positiveMeasure],
  ['fulli', 'ful', positiveMeasure],
  // the l of -logi stays with the stem for the measure, so geo-logi, theo-logi shorten too
  ['logi', 'log', (stem) => positiveMeasure(stem + 'l')],
];

function step2(w: string): string {
  if (w.endsWith('alli') && positiveMeasure(w.slice(0, -4))) return step2(w.slice(0, -4) + 'al');
  return applyRules(w, STEP2_RULES);
}

function step3(w: string): string {
  return applyRules(w, [
    ['icate', 'ic', positiveMeasure],
    ['ative', '', positiveMeasure],
    ['alize', 'al', positiveMeasure],
    ['iciti', 'ic', positiveMeasure],
    ['ical', 'ic', positiveMeasure],
    ['ful', '', positiveMeasure],
    ['ness', '', positiveMeasure],
  ]);
}

const gt1 = (stem: string): boolean => measure(stem) > 1;
const STEP4_RULES: readonly Rule[] = [
  ['al', '', gt1],
  ['ance', '', gt1],
  ['ence', '', gt1],
  ['er', '', gt1],
  ['ic', '', gt1],
  ['able', '', gt1],
  ['ible', '', gt1],
  ['ant', '', gt1],
  ['ement', '', gt1],
  ['ment', '', gt1],
  ['ent', '', gt1],
  ['ion', '', (stem) => measure(stem) > 1 && (stem.endsWith('s') || stem.endsWith('t'))],
  ['ou', '', gt1],
  ['ism', '', gt1],
  ['ate', '', gt1],
  ['iti', '', gt1],
  ['ous', '', gt1],
  ['ive', '', gt1],
  ['ize', '', gt1],
];

function step5a(w: string): string {
  // both conditions are tried (unlike a rule list): m > 1, or m = 1 and not *o
  if (w.endsWith('e')) {
    const stem = w.slice(0, -1);
    const m = measure(stem);
    if (m > 1 || (m === 1 && !endsCvc(stem))) return stem;
  }
  return w;
}

function step5b(w: string): string {
  return w.endsWith('ll') && measure(w.slice(0, -1)) > 1 ? w.slice(0, -1) : w;
}

/** NLTK `PorterStemmer().stem(word)` (NLTK_EXTENSIONS mode). */
export function porterStem(word: string): string {
  const w = word.toLowerCase();
  // as in NLTK, the irregular forms and the length test look at the word as given, before lowercasing
  const irregular = IRREGULAR.get(word);
  if (irregular !== undefined) return irregular;
  if (word.length <= 2) return w;
  let s = step1a(w);
  s = step1b(s);
  s = step1c(s);
  s = step2(s);
  s = step3(s);
  s = applyRules(s, STEP4_RULES);
  s = step5a(s);
  return step5b(s);
}
