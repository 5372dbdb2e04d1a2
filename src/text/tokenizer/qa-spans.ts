/**
 * The answer-span search of extractive question answering, shared by training's post-processing
 * (`train/qa-postprocess.ts`, transformers' utils_qa.py) and `pipeline('question-answering')` (`infer/`,
 * transformers' QuestionAnsweringPipeline): over one window's start and end logits, the spans [start, end]
 * of token positions that may hold an answer (both ends allowed — context tokens —, start ≤ end, at most
 * maxAnswerLength tokens), ranked by start + end logit.
 *
 * It lives in text/ beside the windows it reads (`overflow.ts`): both are token-level QA over a tokenizer's
 * encodings, and both stages that need it (train, infer) may import text/. It is not a metric (metrics/
 * compares predictions with references), and infer may not import train/.
 *
 * One ranking serves both callers: the pipeline's score softmax(start)[s] · softmax(end)[e] equals
 * exp(start[s] + end[e] − lse(start) − lse(end)), a monotone function of the logit sum within a window.
 */
import { LenguaError } from '../../errors.js';

export interface SpanSearchOptions {
  /** Spans returned, best first. */
  topK: number;
  /** Longest answer in tokens (end − start + 1). */
  maxAnswerLength: number;
  /** Whether position k may start or end an answer (a context token). */
  allowed: (k: number) => boolean;
  /**
   * Consider only the `candidates` highest start and end logits (utils_qa's n_best_size, ties to the higher
   * position as numpy's argsort()[::-1]); default: every position (the pipeline's exhaustive search).
   */
  candidates?: number;
}

export interface ScoredSpan {
  /** Token positions, inclusive. */
  start: number;
  end: number;
  /** start logit + end logit. */
  score: number;
  startLogit: number;
  endLogit: number;
}

/** Indices of the k largest values, largest first; ties go to the higher index, as numpy's argsort()[::-1]. */
export function topIndices(v: ArrayLike<number>, k: number): number[] {
  const idx = Array.from({ length: v.length }, (_, i) => i);
  idx.sort((a, b) => v[b]! - v[a]! || b - a);
  return idx.slice(0, k);
}

/**
 * The `topK` best spans of one window. Equal scores keep the order the spans were met in: candidate starts
 * by rank, then candidate ends by rank (utils_qa's loops); exhaustively, by start then end position (numpy's
 * argmax over the row-major start × end matrix).
 */
export function searchSpans(startLogits: ArrayLike<number>, endLogits: ArrayLike<number>, opts: SpanSearchOptions): ScoredSpan[] {
  const { topK, maxAnswerLength, allowed } = opts;
  if (!Number.isSafeInteger(topK) || topK < 1) throw new LenguaError(`topK must be a positive integer, got ${topK}`, { field: 'topK' });
  if (!Number.isSafeInteger(maxAnswerLength) || maxAnswerLength < 1) {
    throw new LenguaError(`maxAnswerLength must be a positive integer, got ${maxAnswerLength}`, { field: 'maxAnswerLength' });
  }
  const n = Math.min(startLogits.length, endLogits.length);
  const best: ScoredSpan[] = [];
  // Kept sorted, best first, at most topK long; a later span of equal score goes after the earlier ones.
  const offer = (s: number, e: number): void => {
    const score = startLogits[s]! + endLogits[e]!;
    if (best.length === topK && !(score > best[topK - 1]!.score)) return;
    let at = best.length;
    while (at > 0 && best[at - 1]!.score < score) at--;
    best.splice(at, 0, { start: s, end: e, score, startLogit: startLogits[s]!, endLogit: endLogits[e]! });
    if (best.length > topK) best.pop();
  };
  const ok = (s: number, e: number): boolean => s < n && e < n && s <= e && e - s + 1 <= maxAnswerLength && allowed(s) && allowed(e);
  if (opts.candidates !== undefined) {
    if (!Number.isSafeInteger(opts.candidates) || opts.candidates < 1) {
      throw new LenguaError(`candidates must be a positive integer, got ${opts.candidates}`, { field: 'nBest' });
    }
    const ends = topIndices(endLogits, opts.candidates);
    for (const s of topIndices(startLogits, opts.candidates)) for (const e of ends) if (ok(s, e)) offer(s, e);
    return best;
  }
  for (let s = 0; s < n; s++) {
    if (!allowed(s)) continue;
    for (let e = s; e < Math.min(n, s + maxAnswerLength); e++) if (allowed(e)) offer(s, e);
  }
  return best;
}
