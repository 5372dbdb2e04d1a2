// Corpus and sentence BLEU with sacreBLEU 2.x's semantics and defaults (Post 2018, "A Call for Clarity in
// Reporting BLEU Scores"): the mteval-v13a tokenizer, n-grams up to order 4, smoothing 'exp' (mteval's),
// multiple references merged by the maximum count of each n-gram, and the brevity penalty computed from the
// reference length closest to each hypothesis length (the shorter one on a tie), summed over the corpus.
// Scores are on sacreBLEU's 0-100 scale.
//
// References are given as sacreBLEU's reference *streams*: references[k][i] is the k-th reference of sentence
// i, so every stream has one entry per hypothesis. As in sacreBLEU, an entry that is null or '' means "no k-th
// reference for this sentence" (variable numbers of references); a sentence left with no reference at all is
// an error. `toReferenceStreams` turns the per-sentence layout (refs[i] = references of sentence i, the layout
// of Hugging Face `evaluate`) into streams.
//
// Text is handled as Python handles it, so that scores match sacreBLEU character for character: Python's
// str.split()/strip() whitespace (which is not JavaScript's \s: it has U+001C-U+001F and U+0085, and lacks
// U+FEFF), and lowercasing with toLowerCase (Python's str.lower() uses the same Unicode mappings).
import { LenguaError } from '../errors.js';

export type BleuSmoothing = 'none' | 'floor' | 'add-k' | 'exp';
export type BleuTokenizer = '13a' | 'none';

export interface BleuOptions {
  /** Lowercase hypotheses and references before tokenizing (sacreBLEU `lowercase`). Default false. */
  lowercase?: boolean;
  /** '13a' (default, mteval-v13a) or 'none' (split on whitespace only). */
  tokenize?: BleuTokenizer;
  /** Default 'exp' for both corpus and sentence BLEU, as in sacreBLEU. */
  smoothMethod?: BleuSmoothing;
  /** For 'floor' (default 0.1) and 'add-k' (default 1); ignored by the others. */
  smoothValue?: number;
  /** Highest n-gram order (default 4). */
  maxNgramOrder?: number;
  /** Average only over the orders the hypothesis has n-grams of. Off for corpus BLEU, on for sentence BLEU. */
  effectiveOrder?: boolean;
}

/** sacreBLEU's BLEUScore: the score (0-100) and the statistics it came from. */
export interface BleuScore {
  score: number;
  /** Matched n-grams per order (1..maxNgramOrder). With 'add-k' smoothing these include the added k, as sacreBLEU reports them. */
  counts: number[];
  /** Hypothesis n-grams per order (with 'add-k', including the added k). */
  totals: number[];
  /** Per-order precisions in percent, after smoothing. */
  precisions: number[];
  /** Brevity penalty. */
  bp: number;
  /** Total hypothesis length in tokens. */
  sysLen: number;
  /** Total closest-reference length in tokens. */
  refLen: number;
}

const SMOOTH_DEFAULTS: Record<BleuSmoothing, number | null> = { none: null, floor: 0.1, 'add-k': 1, exp: null };
const MAX_ORDER_LIMIT = 20;
/** sacreBLEU's `my_log(0)`: a large negative stand-in for log(0), so that a zero precision gives a zero score. */
const LOG_ZERO = -9999999999;

// ---------------------------------------------------------------------------------------------------------
// Python whitespace (str.isspace), shared with chrF.

const PY_SPACE_CLASS = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_SPACE_RUN = new RegExp(`[${PY_SPACE_CLASS}]+`, 'u');
const PY_TRAILING_SPACE = new RegExp(`[${PY_SPACE_CLASS}]+$`, 'u');

/** Python's `s.split()`: split on runs of whitespace, no empty strings. */
export function pySplit(s: string): string[] {
  return s.split(PY_SPACE_RUN).filter((t) => t !== '');
}

/** Python's `s.rstrip()`. */
function pyRstrip(s: string): string {
  return s.replace(PY_TRAILING_SPACE, '');
}

// ---------------------------------------------------------------------------------------------------------
// mteval-v13a tokenizer: the four regular expressions of sacreBLEU's tokenizer_13a.py / tokenizer_re.py.

const RE_13A: ReadonlyArray<[RegExp, string]> = [
  // ASCII symbols and punctuation other than . , - ' (and the space itself) become separate tokens.
  [/([\x7b-\x7e\x5b-\x60\x20-\x26\x28-\x2b\x3a-\x40\x2f])/gu, ' $1 '],
  // a period or comma not preceded by a digit
  [/([^0-9])([.,])/gu, '$1 $2 '],
  // a period or comma not followed by a digit
  [/([.,])([^0-9])/gu, ' $1 $2'],
  // a dash preceded by a digit
  [/([0-9])(-)/gu, '$1 $2 '],
];

/** sacreBLEU's '13a' tokenizer: tokens joined by single spaces. */
export function tokenize13a(line: string): string {
  let s = line.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
  if (s.includes('&')) s = s.replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
  s = ` ${s} `;
  for (const [re, repl] of RE_13A) s = s.replace(re, repl);
  return pySplit(s).join(' ');
}

/** sacreBLEU's BLEU._preprocess_segment: lowercase (optionally), drop trailing whitespace, tokenize. */
function preprocess(sent: string, lowercase: boolean, tokenizer: BleuTokenizer): string {
  const s = pyRstrip(lowercase ? sent.toLowerCase() : sent);
  return tokenizer === '13a' ? tokenize13a(s) : s;
}

// ---------------------------------------------------------------------------------------------------------
// Statistics

/** All word n-grams of orders 1..maxOrder, keyed by the tokens joined with a space (tokens hold no whitespace). */
function wordNgrams(line: string, maxOrder: number): { counts: Map<string, number>; length: number } {
  const tokens = pySplit(line);
  const counts = new Map<string, number>();
  for (let n = 1; n <= maxOrder; n++) {
    for (let i = 0; i + n <= tokens.length; i++) {
      const key = n === 1 ? tokens[i]! : tokens.slice(i, i + n).join(' ');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return { counts, length: tokens.length };
}

function closestRefLen(hypLen: number, refLens: number[]): number {
  let closestDiff = -1;
  let closestLen = -1;
  for (const refLen of refLens) {
    const diff = Math.abs(hypLen - refLen);
    if (closestDiff === -1 || diff < closestDiff) {
      closestDiff = diff;
      closestLen = refLen;
    } else if (diff === closestDiff && refLen < closestLen) {
      closestLen = refLen;
    }
  }
  return closestLen;
}

interface Resolved {
  lowercase: boolean;
  tokenize: BleuTokenizer;
  smoothMethod: BleuSmoothing;
  smoothValue: number | undefined;
  maxNgramOrder: number;
  effectiveOrder: boolean;
}

function resolveOptions(opts: BleuOptions, effectiveOrderDefault: boolean): Resolved {
  const smoothMethod = opts.smoothMethod ?? 'exp';
  if (!Object.hasOwn(SMOOTH_DEFAULTS, smoothMethod)) {
    throw new LenguaError(`smoothMethod must be 'exp', 'floor', 'add-k' or 'none' (got ${JSON.stringify(smoothMethod)})`, { field: 'smoothMethod' });
  }
  const tokenize = opts.tokenize ?? '13a';
  if (tokenize !== '13a' && tokenize !== 'none') {
    throw new LenguaError(`tokenize must be '13a' or 'none' (got ${JSON.stringify(tokenize)})`, { field: 'tokenize' });
  }
  const maxNgramOrder = opts.maxNgramOrder ?? 4;
  if (!Number.isInteger(maxNgramOrder) || maxNgramOrder < 1 || maxNgramOrder > MAX_ORDER_LIMIT) {
    throw new LenguaError(`maxNgramOrder must be an integer in 1..${MAX_ORDER_LIMIT} (got ${String(maxNgramOrder)})`, { field: 'maxNgramOrder' });
  }
  const smoothValue = opts.smoothValue;
  if (smoothValue !== undefined && (typeof smoothValue !== 'number' || !Number.isFinite(smoothValue) || smoothValue < 0)) {
    throw new LenguaError(`smoothValue must be a finite number >= 0 (got ${String(smoothValue)})`, { field: 'smoothValue' });
  }
  return {
    lowercase: opts.lowercase ?? false,
    tokenize,
    smoothMethod,
    smoothValue,
    maxNgramOrder,
    effectiveOrder: opts.effectiveOrder ?? effectiveOrderDefault,
  };
}

/**
 * BLEU from its sufficient statistics (sacreBLEU's `BLEU.compute_bleu`): matched and total n-gram counts per
 * order and the corpus hypothesis / reference lengths. Smoothing defaults to 'none' here, as in sacreBLEU.
 * The arrays are not modified.
 */
export function computeBleu(
  correct: readonly number[],
  total: readonly number[],
  sysLen: number,
  refLen: number,
  opts: Pick<BleuOptions, 'smoothMethod' | 'smoothValue' | 'effectiveOrder' | 'maxNgramOrder'> = {},
): BleuScore {
  // sacreBLEU's compute_bleu defaults to no smoothing (the BLEU class defaults to 'exp')
  const o = resolveOptions({ ...opts, smoothMethod: opts.smoothMethod ?? 'none' }, false);
  const order = o.maxNgramOrder;
  if (correct.length !== order || total.length !== order) {
    throw new LenguaError(`correct and total must have maxNgramOrder (${order}) entries (got ${correct.length} and ${total.length})`, { field: 'correct' });
  }
  const counts = [...correct];
  const totals = [...total];
  const smoothValue = o.smoothValue ?? SMOOTH_DEFAULTS[o.smoothMethod] ?? 0;

  let bp = 1.0;
  if (sysLen < refLen) bp = sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0.0;

  const precisions = new Array<number>(order).fill(0.0);
  // No match of any order: 0, without smoothing (sacreBLEU #141).
  if (!counts.some((c) => c !== 0)) return { score: 0.0, counts, totals, precisions, bp, sysLen, refLen };

  let smoothMteval = 1.0;
  let effOrder = order;
  for (let n = 1; n <= order; n++) {
    if (o.smoothMethod === 'add-k' && n > 1) {
      counts[n - 1]! += smoothValue;
      totals[n - 1]! += smoothValue;
    }
    const t = totals[n - 1]!;
    const c = counts[n - 1]!;
    if (t === 0) break;
    if (o.effectiveOrder) effOrder = n;
    if (c === 0) {
      if (o.smoothMethod === 'exp') {
        smoothMteval *= 2;
        precisions[n - 1] = 100.0 / (smoothMteval * t);
      } else if (o.smoothMethod === 'floor') {
        precisions[n - 1] = (100.0 * smoothValue) / t;
      }
    } else {
      precisions[n - 1] = (100.0 * c) / t;
    }
  }
  let logSum = 0;
  for (let i = 0; i < effOrder; i++) {
    const p = precisions[i]!;
    logSum += p === 0 ? LOG_ZERO : Math.log(p);
  }
  const score = bp * Math.exp(logSum / effOrder);
  return { score, counts, totals, precisions, bp, sysLen, refLen };
}

function checkHypotheses(hypotheses: unknown): asserts hypotheses is string[] {
  if (!Array.isArray(hypotheses)) throw new LenguaError('expected an array of strings', { field: 'hypotheses' });
  if (hypotheses.length === 0) throw new LenguaError('no hypotheses: at least one is needed', { field: 'hypotheses' });
  hypotheses.forEach((h, i) => {
    if (typeof h !== 'string') throw new LenguaError(`expected a string, got ${h === null ? 'null' : typeof h}`, { field: `hypotheses[${i}]` });
  });
}

/**
 * Checks sacreBLEU-layout reference streams against n hypotheses and returns, per sentence, its non-empty
 * references. `what` names the hypotheses in messages.
 */
export function referencesPerSentence(references: unknown, n: number, what = 'hypotheses'): string[][] {
  if (!Array.isArray(references)) throw new LenguaError('expected an array of reference streams (references[k][i] = k-th reference of sentence i)', { field: 'references' });
  if (references.length === 0) throw new LenguaError('no reference streams: at least one is needed', { field: 'references' });
  const perSentence: string[][] = Array.from({ length: n }, () => []);
  references.forEach((stream: unknown, k) => {
    if (!Array.isArray(stream)) throw new LenguaError('expected an array of strings (one reference per sentence)', { field: `references[${k}]` });
    if (stream.length !== n) {
      throw new LenguaError(`reference stream ${k} has ${stream.length} entries but there are ${n} ${what}: each stream holds one reference per sentence`, {
        field: `references[${k}]`,
      });
    }
    stream.forEach((r: unknown, i) => {
      if (r === null || r === undefined || r === '') return;
      if (typeof r !== 'string') throw new LenguaError(`expected a string or null, got ${typeof r}`, { field: `references[${k}][${i}]` });
      perSentence[i]!.push(r);
    });
  });
  perSentence.forEach((refs, i) => {
    if (refs.length === 0) throw new LenguaError(`sentence ${i} has no reference (all streams hold null or '' there)`, { field: 'references' });
  });
  return perSentence;
}

/**
 * Per-sentence references (refs[i] = the references of sentence i, any number each) to sacreBLEU's streams,
 * padding sentences that have fewer references with null.
 */
export function toReferenceStreams(perSentence: readonly (readonly string[])[]): (string | null)[][] {
  if (!Array.isArray(perSentence)) throw new LenguaError('expected an array of reference lists', { field: 'references' });
  let k = 0;
  perSentence.forEach((refs, i) => {
    if (!Array.isArray(refs)) throw new LenguaError('expected an array of strings', { field: `references[${i}]` });
    k = Math.max(k, refs.length);
  });
  return Array.from({ length: k }, (_, j) => perSentence.map((refs) => refs[j] ?? null));
}

/** Sentence statistics: [hypLen, refLen, correct(1..N), total(1..N)]. */
function segmentStats(hyp: string, refs: string[], o: Resolved): number[] {
  const N = o.maxNgramOrder;
  const refNgrams = new Map<string, number>();
  const refLens: number[] = [];
  for (const ref of refs) {
    const { counts, length } = wordNgrams(preprocess(ref, o.lowercase, o.tokenize), N);
    refLens.push(length);
    for (const [g, c] of counts) {
      const prev = refNgrams.get(g);
      if (prev === undefined || c > prev) refNgrams.set(g, c);
    }
  }
  const { counts: hypNgrams, length: hypLen } = wordNgrams(preprocess(hyp, o.lowercase, o.tokenize), N);
  const correct = new Array<number>(N).fill(0);
  const total = new Array<number>(N).fill(0);
  for (const [g, c] of hypNgrams) {
    // the order of an n-gram key is its number of spaces + 1
    let n = 0;
    for (let p = g.indexOf(' '); p !== -1; p = g.indexOf(' ', p + 1)) n++;
    total[n]! += c;
    const r = refNgrams.get(g);
    if (r !== undefined) correct[n]! += Math.min(c, r);
  }
  return [hypLen, closestRefLen(hypLen, refLens), ...correct, ...total];
}

function scoreFromStats(stats: number[][], o: Resolved): BleuScore {
  const N = o.maxNgramOrder;
  const sum = new Array<number>(2 + 2 * N).fill(0);
  for (const s of stats) for (let j = 0; j < sum.length; j++) sum[j]! += s[j]!;
  return computeBleu(sum.slice(2, 2 + N), sum.slice(2 + N), sum[0]!, sum[1]!, {
    smoothMethod: o.smoothMethod,
    smoothValue: o.smoothValue,
    effectiveOrder: o.effectiveOrder,
    maxNgramOrder: N,
  });
}

/**
 * Corpus BLEU as sacreBLEU's `corpus_bleu` / `BLEU().corpus_score` computes it (defaults: 13a, mixed case,
 * 'exp' smoothing, no effective order). `references[k][i]` is the k-th reference of hypothesis i.
 */
export function corpusBleu(hypotheses: string[], references: readonly (readonly (string | null)[])[], opts: BleuOptions = {}): BleuScore {
  const o = resolveOptions(opts, false);
  checkHypotheses(hypotheses);
  const refs = referencesPerSentence(references, hypotheses.length);
  return scoreFromStats(hypotheses.map((h, i) => segmentStats(h, refs[i]!, o)), o);
}

/** Sentence BLEU as sacreBLEU's `sentence_bleu` (effective order on, 'exp' smoothing) against one or more references. */
export function sentenceBleu(hypothesis: string, references: readonly string[], opts: BleuOptions = {}): BleuScore {
  const o = resolveOptions(opts, true);
  if (typeof hypothesis !== 'string') throw new LenguaError('expected a string', { field: 'hypothesis' });
  if (!Array.isArray(references)) throw new LenguaError('expected an array of reference strings', { field: 'references' });
  const refs = referencesPerSentence(references.map((r) => [r]), 1, 'hypothesis');
  return scoreFromStats([segmentStats(hypothesis, refs[0]!, o)], o);
}
