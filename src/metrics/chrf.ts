// chrF (Popović 2015) and chrF++ (Popović 2017) with sacreBLEU 2.x's semantics and defaults: character
// n-grams of orders 1..6 over the text with all whitespace removed, no word n-grams (wordOrder 2 gives
// chrF++), beta 2, and sacreBLEU's default "effective order" averaging (precision and recall are averaged
// over the orders that both sides have n-grams of, then combined into one F-beta). `epsSmoothing: true`
// switches to chrF++.py's / NLTK's averaging of per-order F-scores instead. The per-order statistics
// (hypothesis, reference and matched n-gram counts) are summed over the corpus before scoring; with several
// references, each sentence keeps the statistics of its reference with the best sentence-level chrF.
// Scores are on sacreBLEU's 0-100 scale. References use sacreBLEU's stream layout, as in bleu.ts.
//
// Characters are Unicode code points and whitespace is Python's, as in sacreBLEU.
import { LenguaError } from '../errors.js';
import { pySplit, referencesPerSentence } from './bleu.js';

export interface ChrfOptions {
  /** Character n-gram order (default 6). */
  charOrder?: number;
  /** Word n-gram order (default 0; 2 is chrF++). */
  wordOrder?: number;
  /** Weight of recall (default 2). */
  beta?: number;
  /** Lowercase both sides first (default false). */
  lowercase?: boolean;
  /** Keep whitespace inside character n-grams (default false: it is removed). */
  whitespace?: boolean;
  /** chrF++.py-style epsilon smoothing instead of sacreBLEU's effective order (default false). */
  epsSmoothing?: boolean;
}

export interface ChrfScore {
  /** 'chrF2', 'chrF2++', ... as sacreBLEU names it. */
  name: string;
  /** 0-100. */
  score: number;
  charOrder: number;
  wordOrder: number;
  beta: number;
  /** Summed statistics: [hyp, ref, match] per order, character orders first, then word orders. */
  statistics: number[];
}

// Python's string.punctuation, which sacreBLEU strips from the start or end of words for chrF++.
const PUNCTS = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');
const EPS = 1e-16;

interface Resolved {
  charOrder: number;
  wordOrder: number;
  beta: number;
  lowercase: boolean;
  whitespace: boolean;
  epsSmoothing: boolean;
}

function resolve(opts: ChrfOptions): Resolved {
  const charOrder = opts.charOrder ?? 6;
  const wordOrder = opts.wordOrder ?? 0;
  const beta = opts.beta ?? 2;
  if (!Number.isInteger(charOrder) || charOrder < 0 || charOrder > 20) throw new LenguaError(`charOrder must be an integer in 0..20 (got ${String(charOrder)})`, { field: 'charOrder' });
  if (!Number.isInteger(wordOrder) || wordOrder < 0 || wordOrder > 10) throw new LenguaError(`wordOrder must be an integer in 0..10 (got ${String(wordOrder)})`, { field: 'wordOrder' });
  if (charOrder + wordOrder === 0) throw new LenguaError('charOrder + wordOrder must be at least 1', { field: 'charOrder' });
  if (typeof beta !== 'number' || !Number.isFinite(beta) || beta < 0) throw new LenguaError(`beta must be a finite number >= 0 (got ${String(beta)})`, { field: 'beta' });
  return {
    charOrder,
    wordOrder,
    beta,
    lowercase: opts.lowercase ?? false,
    whitespace: opts.whitespace ?? false,
    epsSmoothing: opts.epsSmoothing ?? false,
  };
}

function count<K>(keys: Iterable<K>): Map<K, number> {
  const m = new Map<K, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

/** Character n-gram counts of orders 1..maxOrder, over code points. */
function charNgrams(line: string, maxOrder: number, whitespace: boolean): Map<string, number>[] {
  const chars = Array.from(whitespace ? line : pySplit(line).join(''));
  const out: Map<string, number>[] = [];
  for (let n = 1; n <= maxOrder; n++) {
    const grams: string[] = [];
    for (let i = 0; i + n <= chars.length; i++) grams.push(chars.slice(i, i + n).join(''));
    out.push(count(grams));
  }
  return out;
}

/** sacreBLEU's primitive chrF++ word split: a punctuation mark at the end (else the start) of a word is split off. */
function chrfWords(sent: string): string[] {
  const out: string[] = [];
  for (const w of pySplit(sent)) {
    // Python's len(w) counts code points; the marks are ASCII, so checking code units at the ends is the same
    if (Array.from(w).length === 1) out.push(w);
    else if (PUNCTS.has(w[w.length - 1]!)) out.push(w.slice(0, -1), w[w.length - 1]!);
    else if (PUNCTS.has(w[0]!)) out.push(w[0]!, w.slice(1));
    else out.push(w);
  }
  return out;
}

function wordNgrams(words: string[], n: number): Map<string, number> {
  const grams: string[] = [];
  for (let i = 0; i + n <= words.length; i++) grams.push(words.slice(i, i + n).join(' '));
  return count(grams);
}

function allNgrams(sent: string, o: Resolved): Map<string, number>[] {
  const grams = charNgrams(sent, o.charOrder, o.whitespace);
  if (o.wordOrder > 0) {
    const words = chrfWords(sent);
    for (let n = 1; n <= o.wordOrder; n++) grams.push(wordNgrams(words, n));
  }
  return grams;
}

/** F-beta (0-100) from [hyp, ref, match] statistics per order: sacreBLEU's CHRF._compute_f_score. */
function fScore(stats: number[], o: Resolved): number {
  const order = o.charOrder + o.wordOrder;
  const factor = o.beta ** 2;
  let score = 0.0;
  let effectiveOrder = 0;
  let avgPrec = 0.0;
  let avgRec = 0.0;
  for (let i = 0; i < order; i++) {
    const nHyp = stats[3 * i]!;
    const nRef = stats[3 * i + 1]!;
    const nMatch = stats[3 * i + 2]!;
    const prec = nHyp > 0 ? nMatch / nHyp : EPS;
    const rec = nRef > 0 ? nMatch / nRef : EPS;
    const denom = factor * prec + rec;
    score += denom > 0 ? ((1 + factor) * prec * rec) / denom : EPS;
    if (nHyp > 0 && nRef > 0) {
      avgPrec += prec;
      avgRec += rec;
      effectiveOrder += 1;
    }
  }
  if (o.epsSmoothing) return (100 * score) / order;
  if (effectiveOrder === 0) {
    avgPrec = 0.0;
    avgRec = 0.0;
  } else {
    avgPrec /= effectiveOrder;
    avgRec /= effectiveOrder;
  }
  if (avgPrec + avgRec === 0) return 0.0;
  let f = (1 + factor) * avgPrec * avgRec;
  f /= factor * avgPrec + avgRec;
  return 100 * f;
}

function sentenceStats(hyp: string, refs: string[], o: Resolved): number[] {
  const pre = (s: string): string => (o.lowercase ? s.toLowerCase() : s);
  const hypGrams = allNgrams(pre(hyp), o);
  let best: number[] = [];
  let bestF = -1.0;
  for (const ref of refs) {
    const refGrams = allNgrams(pre(ref), o);
    const stats: number[] = [];
    hypGrams.forEach((h, i) => {
      const r = refGrams[i]!;
      let match = 0;
      let hypCount = 0;
      for (const [g, c] of h) {
        hypCount += c;
        const rc = r.get(g);
        if (rc !== undefined) match += Math.min(c, rc);
      }
      let refCount = 0;
      for (const c of r.values()) refCount += c;
      // hypothesis n-grams are not counted for an order the reference has none of
      stats.push(r.size > 0 ? hypCount : 0, refCount, match);
    });
    const f = fScore(stats, o);
    if (f > bestF) {
      bestF = f;
      best = stats;
    }
  }
  return best;
}

function fromStats(all: number[][], o: Resolved): ChrfScore {
  const order = o.charOrder + o.wordOrder;
  const sum = new Array<number>(3 * order).fill(0);
  for (const s of all) for (let j = 0; j < sum.length; j++) sum[j]! += s[j]!;
  return {
    name: `chrF${o.beta}${'+'.repeat(o.wordOrder)}`,
    score: fScore(sum, o),
    charOrder: o.charOrder,
    wordOrder: o.wordOrder,
    beta: o.beta,
    statistics: sum,
  };
}

/** Corpus chrF as sacreBLEU's `corpus_chrf` / `CHRF().corpus_score`. `references[k][i]` is the k-th reference of hypothesis i. */
export function corpusChrf(hypotheses: string[], references: readonly (readonly (string | null)[])[], opts: ChrfOptions = {}): ChrfScore {
  const o = resolve(opts);
  if (!Array.isArray(hypotheses)) throw new LenguaError('expected an array of strings', { field: 'hypotheses' });
  if (hypotheses.length === 0) throw new LenguaError('no hypotheses: at least one is needed', { field: 'hypotheses' });
  hypotheses.forEach((h, i) => {
    if (typeof h !== 'string') throw new LenguaError(`expected a string, got ${h === null ? 'null' : typeof h}`, { field: `hypotheses[${i}]` });
  });
  const refs = referencesPerSentence(references, hypotheses.length);
  return fromStats(hypotheses.map((h, i) => sentenceStats(h, refs[i]!, o)), o);
}

/** Sentence chrF as sacreBLEU's `sentence_chrf`, against one or more references. */
export function sentenceChrf(hypothesis: string, references: readonly string[], opts: ChrfOptions = {}): ChrfScore {
  const o = resolve(opts);
  if (typeof hypothesis !== 'string') throw new LenguaError('expected a string', { field: 'hypothesis' });
  if (!Array.isArray(references)) throw new LenguaError('expected an array of reference strings', { field: 'references' });
  const refs = referencesPerSentence(references.map((r) => [r]), 1, 'hypothesis');
  return fromStats([sentenceStats(hypothesis, refs[0]!, o)], o);
}
