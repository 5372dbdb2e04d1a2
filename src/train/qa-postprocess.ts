/**
 * From start/end logits per feature to one answer text per example: transformers' examples/pytorch/
 * question-answering/utils_qa.py `postprocess_qa_predictions`.
 *
 * Per example, over all its features (windows): the nBest highest start and end logits are paired; a pair
 * counts when both tokens are context tokens (non-null offsets), start ≤ end and the span has at most
 * maxAnswerLength tokens; its score is start + end logit and its text the context between the offsets.
 * The nBest best spans over all windows are kept, with softmax probabilities over them. SQuAD v2
 * (versionTwo): the null answer scores CLS start + end logit, the smallest such score over the windows
 * (as utils_qa does), and the example gets "" when null − best span's score > nullScoreDiffThreshold.
 */
import { LenguaError } from '../errors.js';
import type { QaExample } from '../data/index.js';
import { searchSpans } from '../text/index.js';
import type { QaFeatures } from './qa-data.js';

export interface QaPostprocessOptions {
  /** Candidates per side and answers kept per example; default 20. */
  nBest?: number;
  /** Longest answer in tokens; default 30. */
  maxAnswerLength?: number;
  /** SQuAD v2: predict "" when null score − best span score exceeds this; default 0. */
  nullScoreDiffThreshold?: number;
  /** SQuAD v2 (unanswerable questions): consider the null answer; default false. */
  versionTwo?: boolean;
}

export interface QaCandidate {
  text: string;
  /** [start, end) in the context; [0, 0] for the null answer and the "empty" placeholder. */
  offsets: [number, number];
  startLogit: number;
  endLogit: number;
  score: number;
  /** Softmax of the scores over the example's kept candidates. */
  probability: number;
}

export interface QaPostprocessResult {
  /** Example id -> answer text ("" for a predicted no-answer in v2). */
  predictions: Map<string, string>;
  /** Example id -> candidates, best first (utils_qa's n-best json). */
  nbest: Map<string, QaCandidate[]>;
  /** v2 only: example id -> null score − best span score (utils_qa's null_odds). */
  scoreDiff: Map<string, number>;
}

export function postprocessQaPredictions(
  examples: readonly QaExample[],
  features: Pick<QaFeatures, 'exampleIds' | 'offsets'>,
  startLogits: ReadonlyArray<ArrayLike<number>>,
  endLogits: ReadonlyArray<ArrayLike<number>>,
  options: QaPostprocessOptions = {},
): QaPostprocessResult {
  const nBest = options.nBest ?? 20;
  const maxAnswerLength = options.maxAnswerLength ?? 30;
  const threshold = options.nullScoreDiffThreshold ?? 0;
  const v2 = options.versionTwo ?? false;
  if (!Number.isInteger(nBest) || nBest < 1) throw new LenguaError(`nBest must be a positive integer, got ${nBest}`, { field: 'nBest' });
  if (!Number.isInteger(maxAnswerLength) || maxAnswerLength < 1) throw new LenguaError(`maxAnswerLength must be a positive integer, got ${maxAnswerLength}`, { field: 'maxAnswerLength' });
  const nf = features.exampleIds.length;
  if (features.offsets.length !== nf) throw new LenguaError(`${features.offsets.length} offset rows for ${nf} features`, { field: 'features.offsets' });
  if (startLogits.length !== nf || endLogits.length !== nf) {
    throw new LenguaError(`got ${startLogits.length} start and ${endLogits.length} end logit rows for ${nf} features`, { field: 'startLogits' });
  }
  const byId = new Map<string, number>();
  examples.forEach((ex, i) => byId.set(ex.id, i));
  const perExample: number[][] = examples.map(() => []);
  features.exampleIds.forEach((id, f) => {
    const i = byId.get(id);
    if (i === undefined) throw new LenguaError(`feature ${f} belongs to unknown example "${id}"`, { field: 'features.exampleIds' });
    if (startLogits[f]!.length < features.offsets[f]!.length || endLogits[f]!.length < features.offsets[f]!.length) {
      throw new LenguaError(`feature ${f} has ${features.offsets[f]!.length} positions but fewer logits`, { field: 'startLogits' });
    }
    perExample[i]!.push(f);
  });

  const result: QaPostprocessResult = { predictions: new Map(), nbest: new Map(), scoreDiff: new Map() };
  examples.forEach((ex, i) => {
    type Raw = Omit<QaCandidate, 'text' | 'probability'>;
    let nullPred: Raw | null = null;
    const prelim: Raw[] = [];
    for (const f of perExample[i]!) {
      const sl = startLogits[f]!;
      const el = endLogits[f]!;
      const offs = features.offsets[f]!;
      const nullScore = sl[0]! + el[0]!;
      if (nullPred === null || nullPred.score > nullScore) nullPred = { offsets: [0, 0], score: nullScore, startLogit: sl[0]!, endLogit: el[0]! };
      // The feature's nBest best spans suffice: the example keeps the nBest best over all its features.
      const spans = searchSpans(sl, el, { topK: nBest, candidates: nBest, maxAnswerLength, allowed: (k) => k < offs.length && offs[k] != null });
      for (const sp of spans) prelim.push({ offsets: [offs[sp.start]![0], offs[sp.end]![1]], score: sp.score, startLogit: sp.startLogit, endLogit: sp.endLogit });
    }
    if (v2 && nullPred !== null) prelim.push(nullPred);
    // A stable sort, best first, as Python's sorted(..., reverse=True).
    const kept = prelim.sort((a, b) => b.score - a.score).slice(0, nBest);
    if (v2 && nullPred !== null && !kept.some((p) => p.offsets[0] === 0 && p.offsets[1] === 0)) kept.push(nullPred);
    const cands: Array<Omit<QaCandidate, 'probability'>> = kept.map((p) => ({ ...p, text: ex.context.slice(p.offsets[0], p.offsets[1]) }));
    // utils_qa's placeholder when nothing (or only the null answer) survived.
    if (cands.length === 0 || (cands.length === 1 && cands[0]!.text === '')) cands.unshift({ text: 'empty', offsets: [0, 0], startLogit: 0, endLogit: 0, score: 0 });
    const max = Math.max(...cands.map((c) => c.score));
    const exps = cands.map((c) => Math.exp(c.score - max));
    const sum = exps.reduce((a, b) => a + b, 0);
    const withProb: QaCandidate[] = cands.map((c, k) => ({ ...c, probability: exps[k]! / sum }));
    result.nbest.set(ex.id, withProb);
    if (!v2) {
      result.predictions.set(ex.id, withProb[0]!.text);
      return;
    }
    if (nullPred === null) throw new LenguaError(`example "${ex.id}" has no features, so no null score`, { field: 'features.exampleIds' });
    // The best non-empty candidate; the placeholder guarantees one unless every span text is empty.
    const best = withProb.find((c) => c.text !== '') ?? { text: '', startLogit: 0, endLogit: 0 };
    const diff = nullPred.score - best.startLogit - best.endLogit;
    result.scoreDiff.set(ex.id, diff);
    result.predictions.set(ex.id, diff > threshold ? '' : best.text);
  });
  return result;
}
