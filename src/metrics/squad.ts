/**
 * SQuAD exact match and F1 with the semantics of the official evaluation scripts: `evaluate-v1.1.py`
 * (SQuAD v1.1, also what XQuAD reports) and `evaluate-v2.0.py` (SQuAD v2: unanswerable questions,
 * HasAns/NoAns splits, the best no-answer threshold).
 *
 * The normalization is the official one and it is English-only: lowercase, drop ASCII punctuation
 * (Python's `string.punctuation`; «¿¡» and curly quotes stay), drop the English articles a/an/the as
 * whole words, collapse whitespace. Spanish "el/la/los" are kept, as the XQuAD authors kept them.
 * Python's semantics are reproduced where JavaScript differs: `\b` is Unicode-aware in Python 3's `re`
 * (a letter such as "é" is a word character), and `str.split()` splits on Python's whitespace set.
 */
import { LenguaError } from '../errors.js';

/** Python's `string.punctuation`. */
const PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');
/** Characters for which Python's str.isspace() is true (what str.split() with no argument splits on). */
const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const SPLIT_RE = new RegExp(`[${PY_SPACE}]+`, 'u');
/** Python 3 `re`'s \b(a|an|the)\b on str: word characters are Unicode letters, digits and '_'. */
const ARTICLE_RE = /(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu;

/** The official `normalize_answer`: white_space_fix(remove_articles(remove_punc(lower(s)))). */
export function normalizeAnswer(s: string): string {
  let text = s.toLowerCase();
  let kept = '';
  for (const ch of text) if (!PUNCTUATION.has(ch)) kept += ch;
  text = kept.replace(ARTICLE_RE, ' ');
  return pySplit(text).join(' ');
}

/** Python's `s.split()`: runs of whitespace separate, leading and trailing whitespace gives no empty token. */
function pySplit(s: string): string[] {
  return s.split(SPLIT_RE).filter((t) => t.length > 0);
}

/** v1.1 `exact_match_score`: normalized strings equal. */
export function squadExactMatch(prediction: string, groundTruth: string): number {
  return normalizeAnswer(prediction) === normalizeAnswer(groundTruth) ? 1 : 0;
}

/** Multiset overlap of two token lists (`sum((Counter(a) & Counter(b)).values())`). */
function overlap(a: string[], b: string[]): number {
  const counts = new Map<string, number>();
  for (const t of a) counts.set(t, (counts.get(t) ?? 0) + 1);
  let same = 0;
  for (const t of b) {
    const n = counts.get(t) ?? 0;
    if (n > 0) {
      same++;
      counts.set(t, n - 1);
    }
  }
  return same;
}

function tokenF1(pred: string[], gold: string[], same: number): number {
  const precision = same / pred.length;
  const recall = same / gold.length;
  return (2 * precision * recall) / (precision + recall);
}

/** v1.1 `f1_score`: token F1 of the normalized answers; 0 when nothing overlaps (also for empty answers). */
export function squadF1(prediction: string, groundTruth: string): number {
  const pred = pySplit(normalizeAnswer(prediction));
  const gold = pySplit(normalizeAnswer(groundTruth));
  const same = overlap(pred, gold);
  return same === 0 ? 0 : tokenF1(pred, gold, same);
}

/** v2.0 `compute_exact(a_gold, a_pred)`: as v1.1's, as 0/1. */
export function squadV2Exact(groundTruth: string, prediction: string): number {
  return squadExactMatch(prediction, groundTruth);
}

/** v2.0 `compute_f1`: like v1.1's except that an empty answer on either side scores 1 when both are empty. */
export function squadV2F1(groundTruth: string, prediction: string): number {
  const gold = pySplit(normalizeAnswer(groundTruth));
  const pred = pySplit(normalizeAnswer(prediction));
  if (gold.length === 0 || pred.length === 0) return gold.length === pred.length ? 1 : 0;
  const same = overlap(pred, gold);
  return same === 0 ? 0 : tokenF1(pred, gold, same);
}

/** One question: its id and its ground-truth answer texts (empty for an unanswerable SQuAD v2 question). */
export interface SquadReference {
  id: string;
  answers: readonly string[];
}

export type SquadPredictions = ReadonlyMap<string, string> | Readonly<Record<string, string>>;

function lookup<T>(m: ReadonlyMap<string, T> | Readonly<Record<string, T>>, id: string): T | undefined {
  if (m instanceof Map) return (m as ReadonlyMap<string, T>).get(id);
  return Object.prototype.hasOwnProperty.call(m, id) ? (m as Readonly<Record<string, T>>)[id] : undefined;
}

function checkReferences(references: readonly SquadReference[]): void {
  const seen = new Set<string>();
  references.forEach((r, i) => {
    if (seen.has(r.id)) throw new LenguaError(`duplicate question id "${r.id}"`, { field: `references[${i}].id` });
    seen.add(r.id);
  });
}

export interface SquadV1Score {
  /** Exact match ×100, averaged over every reference question (a missing prediction counts 0). */
  exactMatch: number;
  f1: number;
  total: number;
  /** Question ids with no prediction (the official script prints "Unanswered question … will receive score 0"). */
  missing: string[];
}

/** v1.1 `evaluate`: the max over the ground truths of each question, averaged ×100. */
export function squadV1(references: readonly SquadReference[], predictions: SquadPredictions): SquadV1Score {
  checkReferences(references);
  let em = 0;
  let f1 = 0;
  const missing: string[] = [];
  references.forEach((r, i) => {
    const pred = lookup(predictions, r.id);
    if (pred === undefined) {
      missing.push(r.id);
      return;
    }
    // max() over an empty list raises in the official script: a question needs a ground truth.
    if (r.answers.length === 0) throw new LenguaError(`question "${r.id}" has no ground-truth answer (SQuAD v1.1 needs one; use squadV2)`, { field: `references[${i}].answers` });
    em += Math.max(...r.answers.map((g) => squadExactMatch(pred, g)));
    f1 += Math.max(...r.answers.map((g) => squadF1(pred, g)));
  });
  const total = references.length;
  return { exactMatch: total === 0 ? 0 : (100 * em) / total, f1: total === 0 ? 0 : (100 * f1) / total, total, missing };
}

export interface SquadV2Options {
  /** Per question id, the probability of "no answer" (`--na-prob-file`); omitted, all 0 as in the script. */
  naProbs?: ReadonlyMap<string, number> | Readonly<Record<string, number>>;
  /** A question is predicted unanswerable when its naProb is > this; default 1.0 (the script's default). */
  naProbThresh?: number;
}

export interface SquadV2Score {
  exact: number;
  f1: number;
  total: number;
  hasAnsExact?: number;
  hasAnsF1?: number;
  hasAnsTotal?: number;
  noAnsExact?: number;
  noAnsF1?: number;
  noAnsTotal?: number;
  /** Only with naProbs: the best score over no-answer thresholds, and the threshold reaching it. */
  bestExact?: number;
  bestExactThresh?: number;
  bestF1?: number;
  bestF1Thresh?: number;
}

/**
 * v2.0's main(): raw scores (gold answers that normalize to "" are dropped; none left means the only
 * right answer is ""), the no-answer threshold applied, HasAns/NoAns splits, and with naProbs the
 * `find_best_thresh` search. Every question needs a prediction: the script fails (KeyError) otherwise.
 */
export function squadV2(references: readonly SquadReference[], predictions: SquadPredictions, options: SquadV2Options = {}): SquadV2Score {
  checkReferences(references);
  if (references.length === 0) throw new LenguaError('no questions to score', { field: 'references' });
  const naProbThresh = options.naProbThresh ?? 1.0;
  const exactRaw = new Map<string, number>();
  const f1Raw = new Map<string, number>();
  const hasAns = new Map<string, boolean>();
  const preds = new Map<string, string>();
  for (const r of references) {
    hasAns.set(r.id, r.answers.length > 0);
    const pred = lookup(predictions, r.id);
    if (pred === undefined) throw new LenguaError(`no prediction for question "${r.id}"`, { field: 'predictions' });
    preds.set(r.id, pred);
    let golds = r.answers.filter((a) => normalizeAnswer(a) !== '');
    if (golds.length === 0) golds = [''];
    exactRaw.set(r.id, Math.max(...golds.map((g) => squadV2Exact(g, pred))));
    f1Raw.set(r.id, Math.max(...golds.map((g) => squadV2F1(g, pred))));
  }
  const naProbs = new Map<string, number>();
  for (const r of references) {
    const p = options.naProbs === undefined ? 0 : lookup(options.naProbs, r.id);
    if (p === undefined || !Number.isFinite(p)) throw new LenguaError(`no finite no-answer probability for question "${r.id}"`, { field: 'naProbs' });
    naProbs.set(r.id, p);
  }
  const applyThresh = (scores: Map<string, number>): Map<string, number> => {
    const out = new Map<string, number>();
    for (const [id, s] of scores) out.set(id, naProbs.get(id)! > naProbThresh ? (hasAns.get(id) ? 0 : 1) : s);
    return out;
  };
  const exactT = applyThresh(exactRaw);
  const f1T = applyThresh(f1Raw);
  const mean = (scores: Map<string, number>, ids: string[]): number => (100 * ids.reduce((a, id) => a + scores.get(id)!, 0)) / ids.length;
  const all = references.map((r) => r.id);
  const out: SquadV2Score = { exact: mean(exactT, all), f1: mean(f1T, all), total: all.length };
  const hasIds = all.filter((id) => hasAns.get(id));
  const noIds = all.filter((id) => !hasAns.get(id));
  if (hasIds.length > 0) Object.assign(out, { hasAnsExact: mean(exactT, hasIds), hasAnsF1: mean(f1T, hasIds), hasAnsTotal: hasIds.length });
  if (noIds.length > 0) Object.assign(out, { noAnsExact: mean(exactT, noIds), noAnsF1: mean(f1T, noIds), noAnsTotal: noIds.length });
  if (options.naProbs !== undefined) {
    const e = findBestThresh(preds, exactRaw, naProbs, hasAns);
    const f = findBestThresh(preds, f1Raw, naProbs, hasAns);
    Object.assign(out, { bestExact: e.score, bestExactThresh: e.thresh, bestF1: f.score, bestF1Thresh: f.thresh });
  }
  return out;
}

/**
 * v2.0 `find_best_thresh`: start from "answer nothing" (every unanswerable question right), then walk the
 * questions by increasing naProb (a stable sort, as Python's sorted), letting each one answer; keep the
 * best running score and the naProb where it was reached.
 */
export function findBestThresh(
  preds: ReadonlyMap<string, string>,
  scores: ReadonlyMap<string, number>,
  naProbs: ReadonlyMap<string, number>,
  hasAns: ReadonlyMap<string, boolean>,
): { score: number; thresh: number } {
  let cur = 0;
  for (const v of hasAns.values()) if (!v) cur++;
  let best = cur;
  let thresh = 0;
  const ids = [...naProbs.keys()].sort((a, b) => naProbs.get(a)! - naProbs.get(b)!);
  for (const id of ids) {
    const s = scores.get(id);
    if (s === undefined) continue;
    const diff = hasAns.get(id) ? s : preds.get(id) ? -1 : 0;
    cur += diff;
    if (cur > best) {
      best = cur;
      thresh = naProbs.get(id)!;
    }
  }
  return { score: (100 * best) / scores.size, thresh };
}
