/**
 * Okapi BM25 over passages, with a tokenizer for English and Spanish text: lowercased, accents stripped
 * for matching (so "canción" finds "cancion"), punctuation dropped, optionally without stopwords.
 *
 * score(q, d) = Σ_{t ∈ q} idf(t) · tf(t, d) · (k1 + 1) / (tf(t, d) + k1 · (1 − b + b · |d| / avgdl))
 * idf(t)      = ln(1 + (N − df(t) + 0.5) / (df(t) + 0.5))            (Lucene's, never negative)
 *
 * A term repeated in the query counts once per occurrence, as rank_bm25 sums it.
 */
import { LenguaError } from '../errors.js';

export interface Bm25Parameters {
  /** Term-frequency saturation. Default 1.2 (Lucene's; 1.2 to 2.0 is the usual range). */
  k1?: number;
  /** Length normalization, 0 (none) to 1 (full). Default 0.75. */
  b?: number;
}

export interface TokenizeOptions {
  /** Drop the small English and Spanish stopword lists below. Default false. */
  stopwords?: boolean;
}

/** Letters, marks and digits: everything else (punctuation, symbols, spaces) separates terms. */
const TERM_RE = /[\p{L}\p{M}\p{N}]+/gu;
const MARKS_RE = /\p{M}+/gu;

/** A term as matching sees it: lowercased, decomposed, combining marks dropped ("Canción" → "cancion"). */
export function foldTerm(word: string): string {
  return word.toLowerCase().normalize('NFD').replace(MARKS_RE, '').normalize('NFC');
}

// Function words only: content words a question may hinge on ("not", "no", "sin") stay. Written folded.
const STOPWORDS = new Set(
  (
    'a an and are as at be been but by can could did do does for from had has have how i if in into is it its me my of on or ' +
    'our so than that the their them then there these they this those to was we were what when where which who whom why will ' +
    'with would you your ' +
    'al como con cual cuales cuando de del donde el ella ellas ellos en entre era es esa ese eso esta este esto estos estas fue ' +
    'ha han hay la las le les lo los mas me mi mis muy nos o para pero por que quien se segun ser si son su sus te tu tus un una ' +
    'unas unos y ya yo'
  ).split(' '),
);

/** Whether `term` (already folded) is on the stopword lists. */
export function isStopword(term: string): boolean {
  return STOPWORDS.has(term);
}

/** The terms of `text` in order (see the module comment). */
export function tokenize(text: string, opts: TokenizeOptions = {}): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(TERM_RE)) {
    const t = foldTerm(m[0]);
    if (t === '' || (opts.stopwords === true && STOPWORDS.has(t))) continue;
    out.push(t);
  }
  return out;
}

function checkParameter(value: number | undefined, fallback: number, field: string, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
    throw new LenguaError(`must be a number in [0, ${max}], got ${JSON.stringify(value)}`, { field });
  }
  return value;
}

export interface Bm25Hit {
  /** The document's index in the indexed list. */
  index: number;
  score: number;
}

/** An inverted index over tokenized documents. */
export class Bm25Index {
  readonly k1: number;
  readonly b: number;
  readonly avgdl: number;
  private readonly lengths: Uint32Array;
  private readonly df = new Map<string, number>();
  /** term → [document index, term frequency, …] flattened, in document order. */
  private readonly postings = new Map<string, number[]>();

  constructor(docs: readonly (readonly string[])[], params: Bm25Parameters = {}) {
    this.k1 = checkParameter(params.k1, 1.2, 'k1', 100);
    this.b = checkParameter(params.b, 0.75, 'b', 1);
    this.lengths = new Uint32Array(docs.length);
    let total = 0;
    docs.forEach((doc, d) => {
      this.lengths[d] = doc.length;
      total += doc.length;
      const tf = new Map<string, number>();
      for (const t of doc) tf.set(t, (tf.get(t) ?? 0) + 1);
      for (const [t, n] of tf) {
        this.df.set(t, (this.df.get(t) ?? 0) + 1);
        let list = this.postings.get(t);
        if (list === undefined) this.postings.set(t, (list = []));
        list.push(d, n);
      }
    });
    this.avgdl = docs.length > 0 ? total / docs.length : 0;
  }

  get size(): number {
    return this.lengths.length;
  }

  /** Lucene's idf; 0 for a term no document holds (it cannot change a ranking). */
  idf(term: string): number {
    const df = this.df.get(term) ?? 0;
    if (df === 0) return 0;
    const n = this.lengths.length;
    return Math.log(1 + (n - df + 0.5) / (df + 0.5));
  }

  /** One term's contribution for a frequency `tf` in a document of `length` terms, against `avgdl`. */
  termScore(term: string, tf: number, length: number, avgdl = this.avgdl): number {
    if (tf === 0) return 0;
    const norm = avgdl > 0 ? 1 - this.b + (this.b * length) / avgdl : 1;
    return (this.idf(term) * tf * (this.k1 + 1)) / (tf + this.k1 * norm);
  }

  /** The score of every indexed document for the query's terms. */
  scores(query: readonly string[]): Float64Array {
    const out = new Float64Array(this.lengths.length);
    for (const t of query) {
      const list = this.postings.get(t);
      if (list === undefined) continue;
      for (let i = 0; i < list.length; i += 2) out[list[i]!]! += this.termScore(t, list[i + 1]!, this.lengths[list[i]!]!);
    }
    return out;
  }

  /**
   * Scores a text that is not in the index (a sentence of a passage) with the index's idf, against
   * `avgdl` of its own kind (the mean sentence length), so rare terms weigh as they do corpus-wide.
   */
  scoreTerms(query: readonly string[], terms: readonly string[], avgdl: number): number {
    const tf = new Map<string, number>();
    for (const t of terms) tf.set(t, (tf.get(t) ?? 0) + 1);
    let s = 0;
    for (const t of query) s += this.termScore(t, tf.get(t) ?? 0, terms.length, avgdl);
    return s;
  }

  /** The best `k` documents with a positive score, best first (ties: the earlier document first). */
  search(query: readonly string[], k: number): Bm25Hit[] {
    const scores = this.scores(query);
    const hits: Bm25Hit[] = [];
    scores.forEach((score, index) => {
      if (score > 0) hits.push({ index, score });
    });
    hits.sort((a, b) => b.score - a.score || a.index - b.index);
    return hits.slice(0, k);
  }
}
