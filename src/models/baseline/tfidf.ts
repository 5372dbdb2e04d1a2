/**
 * TF-IDF features with scikit-learn 1.2's `TfidfVectorizer` semantics (`smooth_idf`, `sublinear_tf`,
 * `norm='l2'`, `min_df`/`max_df`/`max_features`), over any analyzer that turns a text into terms.
 * The vocabulary is sorted by code point, as Python sorts strings, so column j here is column j there.
 */
import { LenguaError } from '../../errors.js';

/** A sparse row-major matrix (scipy's CSR): row i's entries are `indices/data[indptr[i] .. indptr[i+1])`. */
export interface Csr {
  nRows: number;
  nCols: number;
  indptr: Int32Array;
  indices: Int32Array;
  data: Float64Array;
}

/** Python's string order (by code point); JS's `<` compares UTF-16 units, which puts U+E000–U+FFFF after emoji. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (D800–DFFF) move above the rest of the BMP; E000–FFFF move down to fill the gap.
    x = x >= 0xe000 ? x - 0x800 : x >= 0xd800 ? x + 0x2000 : x;
    y = y >= 0xe000 ? y - 0x800 : y >= 0xd800 ? y + 0x2000 : y;
    return x - y;
  }
  return a.length - b.length;
}

export interface TfidfOptions {
  /** Keep terms in at least this many documents (a whole number >= 1), or this share of them (a number in (0, 1)). @defaultValue 1 */
  minDf?: number;
  /** Drop terms in more than this share of the documents (a number in (0, 1]) or this many (a whole number > 1). @defaultValue 1 (no limit) */
  maxDf?: number;
  /** Keep only the most frequent terms over the corpus (ties: the earlier term in sorted order). */
  maxFeatures?: number | null;
  /** Replace a count tf by 1 + ln(tf). @defaultValue false */
  sublinearTf?: boolean;
  /** idf = ln((1 + n) / (1 + df)) + 1; without it ln(n / df) + 1. @defaultValue true */
  smoothIdf?: boolean;
}

/** A fitted vectorizer's state: what gets saved. */
export interface TfidfState {
  vocabulary: string[];
  idf: Float64Array;
  sublinearTf: boolean;
}

// JS cannot tell scikit-learn's 1 (a count) from 1.0 (a share), so: minDf >= 1 is a count and below 1 a
// share; maxDf <= 1 is a share and above 1 a count — the readings scikit-learn's defaults (1, 1.0) have.
function minDocCount(x: number, n: number, field: string): number {
  if (!Number.isFinite(x) || x <= 0 || (x > 1 && !Number.isInteger(x))) {
    throw new LenguaError(`must be a share in (0, 1) or a whole number of documents >= 1, got ${x}`, { field });
  }
  return x >= 1 ? x : x * n;
}

function maxDocCount(x: number, n: number, field: string): number {
  if (!Number.isFinite(x) || x <= 0 || (x > 1 && !Number.isInteger(x))) {
    throw new LenguaError(`must be a share in (0, 1] or a whole number of documents > 1, got ${x}`, { field });
  }
  return x > 1 ? x : x * n;
}

/** Fits the vocabulary and idf on tokenized documents (one array of terms per document). */
export function fitTfidf(docs: ReadonlyArray<readonly string[]>, opts: TfidfOptions = {}, name = 'tfidf'): TfidfState {
  const n = docs.length;
  if (n === 0) throw new LenguaError('cannot fit TF-IDF on zero documents', { field: name });
  const df = new Map<string, number>();
  const tf = new Map<string, number>();
  for (const terms of docs) {
    const seen = new Set<string>();
    for (const t of terms) {
      tf.set(t, (tf.get(t) ?? 0) + 1);
      if (!seen.has(t)) {
        seen.add(t);
        df.set(t, (df.get(t) ?? 0) + 1);
      }
    }
  }
  const minCount = minDocCount(opts.minDf ?? 1, n, `${name}.minDf`);
  const maxCount = maxDocCount(opts.maxDf ?? 1, n, `${name}.maxDf`);
  let vocabulary = [...df.keys()].filter((t) => {
    const d = df.get(t)!;
    return d >= minCount && d <= maxCount;
  });
  vocabulary.sort(compareCodePoints);
  const maxFeatures = opts.maxFeatures ?? null;
  if (maxFeatures !== null) {
    if (!Number.isSafeInteger(maxFeatures) || maxFeatures < 1) {
      throw new LenguaError(`must be a whole number >= 1, got ${maxFeatures}`, { field: `${name}.maxFeatures` });
    }
    if (vocabulary.length > maxFeatures) {
      const rank = vocabulary.map((t, i) => ({ i, f: tf.get(t)! }));
      rank.sort((a, b) => b.f - a.f || a.i - b.i);
      const keep = rank.slice(0, maxFeatures).map((r) => r.i).sort((a, b) => a - b);
      vocabulary = keep.map((i) => vocabulary[i]!);
    }
  }
  if (vocabulary.length === 0) {
    throw new LenguaError('after pruning by minDf/maxDf no terms remain: lower minDf or raise maxDf', { field: name });
  }
  const smooth = opts.smoothIdf ?? true;
  const idf = new Float64Array(vocabulary.length);
  vocabulary.forEach((t, j) => {
    const d = df.get(t)!;
    idf[j] = smooth ? Math.log((1 + n) / (1 + d)) + 1 : Math.log(n / d) + 1;
  });
  return { vocabulary, idf, sublinearTf: opts.sublinearTf ?? false };
}

/**
 * TF-IDF rows of documents, each block of columns l2-normalized on its own (a FeatureUnion of
 * vectorizers, as `hstack` of their outputs); a row with no known term stays all zero.
 */
export function transformTfidf(blocks: ReadonlyArray<{ state: TfidfState; index: Map<string, number>; docs: ReadonlyArray<readonly string[]> }>): Csr {
  const nRows = blocks[0]?.docs.length ?? 0;
  const nCols = blocks.reduce((a, b) => a + b.state.vocabulary.length, 0);
  const indptr = new Int32Array(nRows + 1);
  const idx: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < nRows; i++) {
    let offset = 0;
    for (const { state, index, docs } of blocks) {
      const counts = new Map<number, number>();
      for (const t of docs[i]!) {
        const j = index.get(t);
        if (j !== undefined) counts.set(j, (counts.get(j) ?? 0) + 1);
      }
      const cols = [...counts.keys()].sort((a, b) => a - b);
      const start = val.length;
      let norm = 0;
      for (const j of cols) {
        const c = counts.get(j)!;
        const v = (state.sublinearTf ? Math.log(c) + 1 : c) * state.idf[j]!;
        idx.push(offset + j);
        val.push(v);
        norm += v * v;
      }
      norm = Math.sqrt(norm);
      if (norm > 0) for (let k = start; k < val.length; k++) val[k] = val[k]! / norm;
      offset += state.vocabulary.length;
    }
    indptr[i + 1] = val.length;
  }
  return { nRows, nCols, indptr, indices: Int32Array.from(idx), data: Float64Array.from(val) };
}

export function vocabularyIndex(vocabulary: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  vocabulary.forEach((t, j) => m.set(t, j));
  return m;
}
