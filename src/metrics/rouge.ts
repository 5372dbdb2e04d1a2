// ROUGE-N, ROUGE-L and ROUGE-Lsum with the semantics of Google's `rouge_score` package (the implementation
// behind Hugging Face `evaluate`'s "rouge"), itself written to reproduce ROUGE-1.5.5 (`-n 2`, and `-m` for
// stemming):
//   - tokens: lowercase, every run of characters outside [a-z0-9] becomes a space, split; with `useStemmer`,
//     tokens longer than 3 characters go through NLTK's Porter stemmer (porter.ts);
//   - rougeN: clipped n-gram overlap; precision = overlap / prediction n-grams, recall = overlap / reference
//     n-grams (each denominator at least 1), F = 2PR / (P + R), 0 when P + R = 0;
//   - rougeL: longest common subsequence of the two token sequences, 0 when either is empty;
//   - rougeLsum: summary-level LCS (Lin 2004, section 3.2): texts are split into sentences on "\n" (empty
//     lines dropped); for each reference sentence the union of its LCS with every prediction sentence is
//     taken, and each token of that union is a hit while both sides still have an unused occurrence of it;
//   - several references for one prediction (`score_multi`): per ROUGE type, the scores of the reference
//     with the highest F-measure (the first of equals);
//   - aggregation (`useAggregator`, the default): the mean F-measure over predictions. `evaluate` reports the
//     median of 1000 bootstrap resamples of that mean, a random estimate of the same quantity; the exact mean
//     is returned here so that results are reproducible. With `useAggregator: false`, the per-example
//     F-measures.
// Summaries for rougeLsum must already have one sentence per line (evaluate's examples split with NLTK's
// sentence tokenizer first; that is the caller's choice and is not done here).
import { LenguaError } from '../errors.js';
import { porterStem } from './porter.js';

export type RougeType = `rouge${1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9}` | 'rougeL' | 'rougeLsum';

export interface RougeTriple {
  precision: number;
  recall: number;
  fmeasure: number;
}

export interface RougeScoreOptions {
  /** Default ['rouge1', 'rouge2', 'rougeL', 'rougeLsum'], as in `evaluate`. */
  rougeTypes?: readonly RougeType[];
  /** Porter-stem tokens longer than 3 characters (default false). */
  useStemmer?: boolean;
}

export interface RougeOptions extends RougeScoreOptions {
  /** Mean F-measure (default true) or the per-example F-measures. */
  useAggregator?: boolean;
}

const DEFAULT_TYPES: readonly RougeType[] = ['rouge1', 'rouge2', 'rougeL', 'rougeLsum'];
/** The summary-level LCS keeps a full DP table per sentence pair; this bounds its memory (4 bytes a cell). */
const MAX_LCS_TABLE_CELLS = 1 << 25;

const NON_ALNUM = /[^a-z0-9]+/g;

// Stemming dominates the cost of ROUGE with `useStemmer`, and words repeat: stems are memoised, in a map that is
// emptied when it reaches its bound so that memory stays flat on any input.
const STEM_CACHE_MAX = 50_000;
const stemCache = new Map<string, string>();

function cachedStem(token: string): string {
  let s = stemCache.get(token);
  if (s === undefined) {
    if (stemCache.size >= STEM_CACHE_MAX) stemCache.clear();
    s = porterStem(token);
    stemCache.set(token, s);
  }
  return s;
}

/** rouge_score's default tokenizer. */
export function rougeTokenize(text: string, useStemmer = false): string[] {
  const tokens = text.toLowerCase().replace(NON_ALNUM, ' ').split(' ');
  const out: string[] = [];
  for (const t of tokens) {
    if (t === '') continue;
    out.push(useStemmer && t.length > 3 ? cachedStem(t) : t);
  }
  // a stem is again [a-z0-9]+, so rouge_score's final validity filter only drops the empty strings skipped above
  return out;
}

function fmeasure(precision: number, recall: number): number {
  return precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0.0;
}

const ZERO: RougeTriple = { precision: 0, recall: 0, fmeasure: 0 };

function ngramCounts(tokens: string[], n: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = n === 1 ? tokens[i]! : tokens.slice(i, i + n).join(' ');
    m.set(key, (m.get(key) ?? 0) + 1);
  }
  return m;
}

function scoreNgrams(target: string[], prediction: string[], n: number): RougeTriple {
  const t = ngramCounts(target, n);
  const p = ngramCounts(prediction, n);
  let overlap = 0;
  let targetCount = 0;
  let predictionCount = 0;
  for (const [g, c] of t) {
    overlap += Math.min(c, p.get(g) ?? 0);
    targetCount += c;
  }
  for (const c of p.values()) predictionCount += c;
  const precision = overlap / Math.max(predictionCount, 1);
  const recall = overlap / Math.max(targetCount, 1);
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/** Length of the LCS in O(min) memory. */
function lcsLength(a: string[], b: string[]): number {
  const prev = new Int32Array(b.length + 1);
  const cur = new Int32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!);
    }
    prev.set(cur);
  }
  return prev[b.length]!;
}

function scoreLcs(target: string[], prediction: string[]): RougeTriple {
  if (target.length === 0 || prediction.length === 0) return ZERO;
  const lcs = lcsLength(target, prediction);
  const precision = lcs / prediction.length;
  const recall = lcs / target.length;
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/**
 * Indices into `ref` of one LCS of ref and can: the one rouge_score's backtrack reads out (from the end;
 * on a tie between dropping a candidate or a reference token it drops the reference token).
 */
function lcsIndices(ref: string[], can: string[]): number[] {
  const cols = can.length + 1;
  const cells = (ref.length + 1) * cols;
  if (cells > MAX_LCS_TABLE_CELLS) {
    throw new LenguaError(`a sentence pair of ${ref.length} x ${can.length} tokens is too long for rougeLsum (at most ${MAX_LCS_TABLE_CELLS} table cells): split the text into sentences with "\\n"`, {
      field: 'rougeLsum',
    });
  }
  const t = new Int32Array(cells);
  for (let i = 1; i <= ref.length; i++) {
    for (let j = 1; j <= can.length; j++) {
      t[i * cols + j] = ref[i - 1] === can[j - 1] ? t[(i - 1) * cols + j - 1]! + 1 : Math.max(t[(i - 1) * cols + j]!, t[i * cols + j - 1]!);
    }
  }
  const out: number[] = [];
  let i = ref.length;
  let j = can.length;
  while (i > 0 && j > 0) {
    if (ref[i - 1] === can[j - 1]) {
      out.push(i - 1);
      i--;
      j--;
    } else if (t[i * cols + j - 1]! > t[(i - 1) * cols + j]!) {
      j--;
    } else {
      i--;
    }
  }
  return out.reverse();
}

function summaryLevelLcs(refSents: string[][], canSents: string[][]): RougeTriple {
  if (refSents.length === 0 || canSents.length === 0) return ZERO;
  let m = 0;
  let n = 0;
  for (const s of refSents) m += s.length;
  for (const s of canSents) n += s.length;
  if (m === 0 || n === 0) return ZERO;
  const refCounts = new Map<string, number>();
  const canCounts = new Map<string, number>();
  for (const s of refSents) for (const t of s) refCounts.set(t, (refCounts.get(t) ?? 0) + 1);
  for (const s of canSents) for (const t of s) canCounts.set(t, (canCounts.get(t) ?? 0) + 1);
  let hits = 0;
  for (const r of refSents) {
    const union = new Set<number>();
    for (const c of canSents) for (const idx of lcsIndices(r, c)) union.add(idx);
    for (const idx of [...union].sort((a, b) => a - b)) {
      const tok = r[idx]!;
      const cc = canCounts.get(tok) ?? 0;
      const rc = refCounts.get(tok) ?? 0;
      if (cc > 0 && rc > 0) {
        hits++;
        canCounts.set(tok, cc - 1);
        refCounts.set(tok, rc - 1);
      }
    }
  }
  const recall = hits / m;
  const precision = hits / n;
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

function sentences(text: string, useStemmer: boolean): string[][] {
  return text
    .split('\n')
    .filter((s) => s.length > 0)
    .map((s) => rougeTokenize(s, useStemmer));
}

function checkTypes(types: unknown): readonly RougeType[] {
  if (!Array.isArray(types) || types.length === 0) throw new LenguaError('expected a non-empty array of ROUGE types', { field: 'rougeTypes' });
  for (const t of types) {
    if (typeof t !== 'string' || !/^(rouge[1-9]|rougeL|rougeLsum)$/.test(t)) {
      throw new LenguaError(`unknown ROUGE type ${JSON.stringify(t)}: use rouge1..rouge9, rougeL or rougeLsum`, { field: 'rougeTypes' });
    }
  }
  return types as RougeType[];
}

/** rouge_score's `RougeScorer(types, use_stemmer).score(target, prediction)`: precision, recall and F per type. */
export function rougeScore(reference: string, prediction: string, opts: RougeScoreOptions = {}): Record<string, RougeTriple> {
  const types = checkTypes(opts.rougeTypes ?? DEFAULT_TYPES);
  if (typeof reference !== 'string') throw new LenguaError('expected a string', { field: 'reference' });
  if (typeof prediction !== 'string') throw new LenguaError('expected a string', { field: 'prediction' });
  const stem = opts.useStemmer ?? false;
  let refTokens: string[] | undefined;
  let predTokens: string[] | undefined;
  const result: Record<string, RougeTriple> = {};
  for (const type of types) {
    if (type === 'rougeLsum') {
      result[type] = summaryLevelLcs(sentences(reference, stem), sentences(prediction, stem));
      continue;
    }
    refTokens ??= rougeTokenize(reference, stem);
    predTokens ??= rougeTokenize(prediction, stem);
    result[type] = type === 'rougeL' ? scoreLcs(refTokens, predTokens) : scoreNgrams(refTokens, predTokens, Number(type.slice(5)));
  }
  return result;
}

/** rouge_score's `score_multi`: per type, the scores against the reference with the highest F-measure (the first of equals). */
export function rougeScoreMulti(references: readonly string[], prediction: string, opts: RougeScoreOptions = {}): Record<string, RougeTriple> {
  const types = checkTypes(opts.rougeTypes ?? DEFAULT_TYPES);
  if (!Array.isArray(references) || references.length === 0) throw new LenguaError('expected a non-empty array of reference strings', { field: 'references' });
  const all = references.map((r) => rougeScore(r, prediction, { ...opts, rougeTypes: types }));
  const result: Record<string, RougeTriple> = {};
  for (const type of types) {
    let best = all[0]![type]!;
    for (const s of all) if (s[type]!.fmeasure > best.fmeasure) best = s[type]!;
    result[type] = best;
  }
  return result;
}

/**
 * ROUGE as Hugging Face `evaluate.load('rouge').compute(predictions, references, ...)`: `references[i]` is the
 * reference of prediction i, or a list of references for it (then the best-matching one counts). Returns the
 * mean F-measure per type or, with `useAggregator: false`, the per-example F-measures.
 */
export function rouge(predictions: string[], references: readonly string[] | readonly (readonly string[])[], opts?: RougeOptions & { useAggregator?: true }): Record<string, number>;
export function rouge(predictions: string[], references: readonly string[] | readonly (readonly string[])[], opts: RougeOptions & { useAggregator: false }): Record<string, number[]>;
export function rouge(predictions: string[], references: readonly string[] | readonly (readonly string[])[], opts: RougeOptions = {}): Record<string, number> | Record<string, number[]> {
  const types = checkTypes(opts.rougeTypes ?? DEFAULT_TYPES);
  if (!Array.isArray(predictions)) throw new LenguaError('expected an array of strings', { field: 'predictions' });
  if (predictions.length === 0) throw new LenguaError('no predictions: at least one is needed', { field: 'predictions' });
  if (!Array.isArray(references)) throw new LenguaError('expected an array of strings or of string arrays', { field: 'references' });
  if (references.length !== predictions.length) {
    throw new LenguaError(`${references.length} references for ${predictions.length} predictions: give one entry (a string or a list of strings) per prediction`, { field: 'references' });
  }
  // as evaluate decides: the first entry says whether every entry is a list of references
  const multi = Array.isArray(references[0]);
  const perExample = predictions.map((pred, i) => {
    if (typeof pred !== 'string') throw new LenguaError(`expected a string, got ${pred === null ? 'null' : typeof pred}`, { field: `predictions[${i}]` });
    const ref: unknown = references[i];
    if (multi) {
      if (!Array.isArray(ref) || ref.length === 0 || !ref.every((r) => typeof r === 'string')) {
        throw new LenguaError('expected a non-empty list of reference strings (references[0] is a list, so every entry must be)', { field: `references[${i}]` });
      }
      return rougeScoreMulti(ref as string[], pred, { ...opts, rougeTypes: types });
    }
    if (typeof ref !== 'string') throw new LenguaError('expected a string (references[0] is a string, so every entry must be)', { field: `references[${i}]` });
    return rougeScore(ref, pred, { ...opts, rougeTypes: types });
  });
  if (opts.useAggregator === false) {
    return Object.fromEntries(types.map((t) => [t, perExample.map((s) => s[t]!.fmeasure)]));
  }
  return Object.fromEntries(
    types.map((t) => {
      let sum = 0;
      for (const s of perExample) sum += s[t]!.fmeasure;
      return [t, sum / perExample.length];
    }),
  );
}
