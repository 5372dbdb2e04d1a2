/**
 * Extractive question answering scored as SQuAD's official scripts score it: per question the best exact match
 * and token F1 over its gold answers (v1.1), or with `version2` v2.0's rules (gold answers that normalize to ""
 * dropped, "" the only right answer to an unanswerable question), averaged ×100 over the questions with the
 * HasAns/NoAns splits of v2.0. The answers come from any engine (`QaAnswerer`): a libtorch model folder or an
 * ONNX export; this module only scores them and records the evaluation.
 */
import { resolve } from 'node:path';
import { LenguaError } from '../errors.js';
import type { QaExample } from '../data/index.js';
import { normalizeAnswer, squadExactMatch, squadF1, squadV2Exact, squadV2F1 } from '../metrics/index.js';
import { inferSplit, sha256File } from './evaluate.js';

/** Answer text per example id ("" for a predicted no-answer). */
export type QaAnswerer = (examples: readonly QaExample[]) => Promise<ReadonlyMap<string, string>>;

/** One line of predictions.jsonl / eval_predictions.jsonl: em and f1 on [0, 1] (their means ×100 are the reported scores). */
export interface QaPredictionRecord {
  id: string;
  question: string;
  prediction: string;
  answers: string[];
  em: number;
  f1: number;
}

/** One question's exact match (0/1) and F1 ([0, 1]), the max over its gold answers, with v1.1 or v2.0 semantics. */
export function qaExampleScores(prediction: string, answers: readonly string[], version2: boolean): { em: number; f1: number } {
  if (!version2) {
    if (answers.length === 0) throw new LenguaError('a SQuAD v1.1 question needs a gold answer (unanswerable questions are SQuAD v2: --version-2-with-negative)', { field: 'answers' });
    return { em: Math.max(...answers.map((g) => squadExactMatch(prediction, g))), f1: Math.max(...answers.map((g) => squadF1(prediction, g))) };
  }
  let golds = answers.filter((a) => normalizeAnswer(a) !== '');
  if (golds.length === 0) golds = [''];
  return { em: Math.max(...golds.map((g) => squadV2Exact(g, prediction))), f1: Math.max(...golds.map((g) => squadV2F1(g, prediction))) };
}

/** The record of one example and its predicted answer (the example must have gold answers). */
export function qaPredictionRecord(ex: QaExample, prediction: string, version2: boolean): QaPredictionRecord {
  if (ex.answers === undefined) throw new LenguaError(`example "${ex.id}" has no answers to score against`, { field: 'answers' });
  const answers = [...ex.answers.text];
  return { id: ex.id, question: ex.question, prediction, answers, ...qaExampleScores(prediction, answers, version2) };
}

/**
 * `exact_match` and `f1` (×100) over the records, and under v2 `HasAns_*` / `NoAns_*` over the answerable and
 * unanswerable ones: the sums run in record order, as the official scripts' do.
 */
export function qaMetrics(records: readonly QaPredictionRecord[], version2: boolean): Record<string, number> {
  if (records.length === 0) throw new LenguaError('no questions to score', { field: 'data' });
  const mean = (rs: readonly QaPredictionRecord[], k: 'em' | 'f1'): number => (100 * rs.reduce((a, r) => a + r[k], 0)) / rs.length;
  const out: Record<string, number> = { exact_match: mean(records, 'em'), f1: mean(records, 'f1') };
  if (!version2) return out;
  const has = records.filter((r) => r.answers.length > 0);
  const no = records.filter((r) => r.answers.length === 0);
  if (has.length > 0) Object.assign(out, { HasAns_exact: mean(has, 'em'), HasAns_f1: mean(has, 'f1'), HasAns_total: has.length });
  if (no.length > 0) Object.assign(out, { NoAns_exact: mean(no, 'em'), NoAns_f1: mean(no, 'f1'), NoAns_total: no.length });
  return out;
}

export interface QaEvaluationResult {
  task: 'question-answering';
  model: { name: string; kind: string; dir?: string };
  engine: string;
  dataFile: string;
  dataSha256: string;
  split: string;
  splitSource: 'given' | 'file name' | 'unknown';
  createdAt: string;
  n: number;
  version2WithNegative: boolean;
  /** What decides the answers: window length, stride, n-best, max answer length, null threshold. */
  settings: Record<string, unknown>;
  metrics: Record<string, number>;
  predictions: QaPredictionRecord[];
}

export interface QaEvaluateOptions {
  dataFile: string;
  split?: string;
  version2WithNegative: boolean;
  model: { name: string; kind: string; dir?: string };
  engine: string;
  settings: Record<string, unknown>;
}

/** Answers every example with `answerer`, then scores them; every example needs gold answers (v1.1: at least one). */
export async function evaluateQuestionAnswering(answerer: QaAnswerer, examples: readonly QaExample[], opts: QaEvaluateOptions): Promise<QaEvaluationResult> {
  if (examples.length === 0) throw new LenguaError('no questions', { file: opts.dataFile });
  examples.forEach((ex, i) => {
    if (ex.answers === undefined) throw new LenguaError(`question "${ex.id}" has no "answers" to score against`, { file: opts.dataFile, line: i + 1, field: 'answers' });
    if (!opts.version2WithNegative && ex.answers.text.length === 0) {
      throw new LenguaError(`question "${ex.id}" has no answer: scoring unanswerable questions needs --version-2-with-negative (SQuAD v2)`, { file: opts.dataFile, line: i + 1, field: 'answers' });
    }
  });
  const answers = await answerer(examples);
  const predictions = examples.map((ex) => {
    const a = answers.get(ex.id);
    if (a === undefined) throw new LenguaError(`the engine gave no answer for question "${ex.id}"`, { field: 'predictions' });
    return qaPredictionRecord(ex, a, opts.version2WithNegative);
  });
  const inferred = inferSplit(opts.dataFile);
  return {
    task: 'question-answering',
    model: opts.model,
    engine: opts.engine,
    dataFile: resolve(opts.dataFile),
    dataSha256: sha256File(opts.dataFile),
    split: opts.split ?? inferred ?? 'unspecified',
    splitSource: opts.split !== undefined ? 'given' : inferred !== null ? 'file name' : 'unknown',
    createdAt: new Date().toISOString(),
    n: examples.length,
    version2WithNegative: opts.version2WithNegative,
    settings: opts.settings,
    metrics: qaMetrics(predictions, opts.version2WithNegative),
    predictions,
  };
}

/** metrics.json: the result without its per-question records. */
export function summarizeQaResult(r: QaEvaluationResult): Omit<QaEvaluationResult, 'predictions'> {
  const { predictions: _p, ...rest } = r;
  return rest;
}
