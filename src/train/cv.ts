// Stratified k-fold cross-validation over a training pool: per-fold metrics, their mean and standard deviation.
import { join } from 'node:path';
import { LenguaError } from '../errors.js';
import { stratifiedKFold, type Dataset } from '../data/index.js';
import { NEVER_PRUNE, TEST_DISCIPLINE_NOTE, type TrialRunner } from './trial.js';

export interface CvOptions {
  k: number;
  /** Seed of the fold assignment (default 42). The runner's own seed, if any, is in `config`. */
  seed?: number;
  runner: TrialRunner;
  /** Hyperparameters passed to every fold's run. */
  config?: Record<string, unknown>;
  /** The metric the summary leads with (default eval_macro_f1). */
  metric?: string;
  /** Scratch folder; fold f gets `workDir/fold-f`. */
  workDir?: string;
  log?: (line: string) => void;
  /** Collect each example's probabilities from the fold that held it out (for a report over the whole pool). */
  outOfFold?: boolean;
}

export interface FoldResult {
  fold: number;
  nTrain: number;
  nValidation: number;
  /** Examples per label in this fold's validation part. */
  validationLabels: Record<string, number>;
  metrics: Record<string, number>;
  durationMs: number;
}

export interface CvResult {
  model: string;
  data: string;
  n: number;
  k: number;
  seed: number;
  labels: string[];
  metric: string;
  config: Record<string, unknown>;
  folds: FoldResult[];
  mean: Record<string, number>;
  /** Sample standard deviation over the folds (ddof = 1, as pandas' std), so k folds estimate the spread of a new fold. */
  std: Record<string, number>;
  stdKind: 'sample (ddof=1)';
  note: string;
  /** With `outOfFold`: per example of `ds` (in its order), class probabilities (label id order) from the model that did not train on it. */
  outOfFold?: number[][];
}

/** Sample standard deviation (ddof = 1); 0 for a single value. */
export function sampleStd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

/**
 * Trains and scores the runner on each of `k` stratified folds of `ds` (each example is validated
 * exactly once; near-duplicate texts stay in one fold). `ds` is the training pool only — train, or
 * train + validation — never a test split.
 */
export async function crossValidate(ds: Dataset, opts: CvOptions): Promise<CvResult> {
  const seed = opts.seed ?? 42;
  const metric = opts.metric ?? 'eval_macro_f1';
  const config = opts.config ?? {};
  if (ds.multiLabel) throw new LenguaError('cross-validation supports single-label data only', { file: ds.path });
  const folds = stratifiedKFold(ds, opts.k, seed);
  const results: FoldResult[] = [];
  const position = new Map(ds.examples.map((e, i) => [e, i]));
  const runnerLog = opts.log === undefined ? undefined : onlyMetric(opts.log, metric);
  const oof: Array<number[] | undefined> = opts.outOfFold ? new Array<number[] | undefined>(ds.examples.length) : [];
  for (const f of folds) {
    const t0 = performance.now();
    opts.log?.(`fold ${f.fold + 1}/${opts.k}: train ${f.train.examples.length}, validation ${f.validation.examples.length}`);
    const r = await opts.runner.run(config, { train: f.train, validation: f.validation, labels: ds.labels }, NEVER_PRUNE, {
      workDir: opts.workDir === undefined ? undefined : join(opts.workDir, `fold-${f.fold}`),
      log: runnerLog,
      wantProbabilities: opts.outOfFold === true,
    });
    if (opts.outOfFold) {
      if (r.probabilities?.length !== f.validation.examples.length) throw new LenguaError(`the runner returned no probabilities for fold ${f.fold}`);
      f.validation.examples.forEach((e, j) => (oof[position.get(e)!] = r.probabilities![j]));
    }
    const counts: Record<string, number> = {};
    for (const name of ds.labels.names) counts[name] = 0;
    for (const e of f.validation.examples) counts[String(e.label)] = (counts[String(e.label)] ?? 0) + 1;
    results.push({ fold: f.fold, nTrain: f.train.examples.length, nValidation: f.validation.examples.length, validationLabels: counts, metrics: r.metrics, durationMs: performance.now() - t0 });
    if (r.metrics[metric] !== undefined) opts.log?.(`fold ${f.fold + 1}/${opts.k}: ${metric} ${fmt(r.metrics[metric])}`);
  }
  const keys = [...new Set(results.flatMap((r) => Object.keys(r.metrics)))].sort();
  if (!keys.includes(metric)) throw new LenguaError(`the runner reported no metric "${metric}"; it reported ${keys.join(', ')}`, { field: 'metric' });
  const mean: Record<string, number> = {};
  const std: Record<string, number> = {};
  for (const key of keys) {
    const xs = results.map((r) => r.metrics[key]).filter((x): x is number => x !== undefined);
    mean[key] = xs.reduce((a, b) => a + b, 0) / xs.length;
    std[key] = sampleStd(xs);
  }
  return {
    model: opts.runner.model,
    data: ds.path,
    n: ds.examples.length,
    k: opts.k,
    seed,
    labels: [...ds.labels.names],
    metric,
    config,
    folds: results,
    mean,
    std,
    stdKind: 'sample (ddof=1)',
    note: TEST_DISCIPLINE_NOTE,
    ...(opts.outOfFold ? { outOfFold: oof as number[][] } : {}),
  };
}

/**
 * A runner's progress lines without readings of metrics other than `metric`: runners print their own
 * default one (the baseline: "step 1/1: fit on 248 examples, eval_macro_f1 0.6139"), and CV's progress
 * names only the metric it was asked to report, which its own per-fold line gives.
 */
export function onlyMetric(log: (line: string) => void, metric: string): (line: string) => void {
  const reading = /,?\s*\b(eval_[A-Za-z0-9_]+):? -?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?/g;
  return (line) => log(line.replace(reading, (all, name: string) => (name === metric ? all : '')));
}

function fmt(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? String(x) : x.toFixed(4);
}

/** The metrics a table shows, the selected one first. */
function tableKeys(r: CvResult): string[] {
  const preferred = ['eval_accuracy', 'eval_macro_f1', 'eval_macro_recall', 'eval_loss'];
  const keys = preferred.filter((k) => r.mean[k] !== undefined);
  return [r.metric, ...keys.filter((k) => k !== r.metric)];
}

/** A plain-text table: one row per fold, then mean and std. */
export function formatCvTable(r: CvResult): string {
  const keys = tableKeys(r);
  const head = ['fold', 'train', 'valid', ...keys.map((k) => k.replace(/^eval_/u, ''))];
  const rows = r.folds.map((f) => [String(f.fold + 1), String(f.nTrain), String(f.nValidation), ...keys.map((k) => fmt(f.metrics[k]))]);
  rows.push(['mean', '', '', ...keys.map((k) => fmt(r.mean[k]))]);
  rows.push(['std', '', '', ...keys.map((k) => fmt(r.std[k]))]);
  const widths = head.map((h, j) => Math.max(h.length, ...rows.map((row) => row[j]!.length)));
  const line = (cells: string[]) => cells.map((c, j) => (j === 0 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join('  ');
  return [
    `${r.k}-fold stratified cross-validation of ${r.model} on ${r.data} (${r.n} examples, fold seed ${r.seed})`,
    line(head),
    ...rows.map(line),
    `std is the sample standard deviation over folds (ddof=1).`,
    `${r.metric}: ${fmt(r.mean[r.metric])} ± ${fmt(r.std[r.metric])}`,
    r.note,
  ].join('\n');
}
