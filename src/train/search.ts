// Hyperparameter search: grid or seeded random trials, early pruning, a results table, the best configuration retrained and saved.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { LenguaError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { gridConfigs, randomConfigs, type SearchSpace, type TrialConfig } from './search-space.js';
import { better, makePruner, metricDirection, type Direction, type Pruner, type PrunerName } from './pruning.js';
import { TEST_DISCIPLINE_NOTE, type TrialData, type TrialRunner } from './trial.js';

export interface SearchOptions {
  space: SearchSpace;
  /** The file the space came from, for errors and the results. */
  spaceFile?: string;
  method: 'grid' | 'random';
  /** Random search: the number of trials (required). Grid: at most this many of the grid's configurations (default all). */
  trials?: number;
  /** Seed of random sampling (default 42). The training seed is a hyperparameter in `baseConfig`. */
  seed?: number;
  pruner?: PrunerName | Pruner;
  /** Median pruner: steps before which nothing is pruned (default 0), completed trials needed first (default 1). Halving: min budget (default 1), eta (default 3). */
  prunerOptions?: { warmupSteps?: number; startupTrials?: number; minResource?: number; eta?: number };
  /** The validation metric to select on (default eval_macro_recall). */
  metric?: string;
  /** Overrides the direction guessed from the metric's name (losses minimized, everything else maximized). */
  greaterIsBetter?: boolean;
  runner: TrialRunner;
  data: TrialData;
  /** Hyperparameters shared by every trial; a trial's configuration overrides them. */
  baseConfig?: Record<string, unknown>;
  outDir: string;
  /** Retrain the best configuration and save it to `outDir/best` (default true). */
  retrainBest?: boolean;
  log?: (line: string) => void;
}

export interface TrialRecord {
  trial: number;
  config: TrialConfig;
  status: 'completed' | 'pruned' | 'failed';
  /** The selection metric at the end of the trial (or when it was pruned); null when it failed. */
  value: number | null;
  /** The last budget step the trial reached. */
  step: number;
  /** Every intermediate report: [step, selection metric]. */
  history: Array<[number, number]>;
  metrics: Record<string, number>;
  durationMs: number;
  error?: string;
}

export interface SearchResult {
  model: string;
  train: string;
  validation: string;
  method: 'grid' | 'random';
  seed: number;
  metric: string;
  direction: Direction;
  pruner: string;
  space: SearchSpace;
  spaceFile?: string;
  baseConfig: Record<string, unknown>;
  trials: TrialRecord[];
  /** The best completed trial (pruned trials never win: they did not get the full budget). */
  best: { trial: number; config: Record<string, unknown>; value: number; retrained?: { metrics: Record<string, number>; dir: string } } | null;
  note: string;
}

/**
 * Runs the trials one after another on `data.train`, scores each on `data.validation`, prunes
 * unpromising ones, writes `search-results.json` and `.csv` to `outDir`, and retrains the best
 * configuration into `outDir/best`. Only the train and validation sets are ever given to a runner.
 */
export async function runSearch(opts: SearchOptions): Promise<SearchResult> {
  const seed = opts.seed ?? 42;
  const metric = opts.metric ?? 'eval_macro_recall';
  const direction = metricDirection(metric, opts.greaterIsBetter);
  const baseConfig = opts.baseConfig ?? {};
  const configs = trialConfigs(opts.space, opts.method, opts.trials, seed, opts.spaceFile);
  const pruner =
    typeof opts.pruner === 'object'
      ? opts.pruner
      : makePruner(opts.pruner ?? 'none', { direction, warmupSteps: opts.prunerOptions?.warmupSteps, startupTrials: opts.prunerOptions?.startupTrials, minResource: opts.prunerOptions?.minResource, eta: opts.prunerOptions?.eta });
  mkdirSync(opts.outDir, { recursive: true });
  const log = opts.log ?? (() => {});
  const trials: TrialRecord[] = [];
  for (const [i, config] of configs.entries()) {
    const trial = i + 1;
    const history: Array<[number, number]> = [];
    const t0 = performance.now();
    log(`trial ${trial}/${configs.length} ${JSON.stringify(config)}`);
    let record: TrialRecord;
    try {
      const r = await opts.runner.run({ ...baseConfig, ...config }, opts.data, {
        report(step, metrics) {
          const v = metrics[metric];
          if (v === undefined) throw new LenguaError(`the runner reported no metric "${metric}"; it reported ${Object.keys(metrics).join(', ')}`, { field: 'metric' });
          history.push([step, v]);
          return pruner.report(trial, step, v);
        },
      }, { workDir: join(opts.outDir, 'trials', `trial-${trial}`), log: opts.log });
      const value = r.metrics[metric];
      if (value === undefined) throw new LenguaError(`the runner reported no metric "${metric}"; it reported ${Object.keys(r.metrics).join(', ')}`, { field: 'metric' });
      record = { trial, config, status: r.pruned ? 'pruned' : 'completed', value, step: r.step, history, metrics: r.metrics, durationMs: performance.now() - t0 };
    } catch (err) {
      // A metric name the runner never reports is the user's mistake in every trial: stop at once.
      if (err instanceof LenguaError && err.field === 'metric') throw err;
      record = { trial, config, status: 'failed', value: null, step: history.at(-1)?.[0] ?? 0, history, metrics: {}, durationMs: performance.now() - t0, error: (err as Error).message };
    }
    pruner.finish(trial, record.status);
    trials.push(record);
    log(`trial ${trial}: ${record.status}${record.value === null ? ` (${record.error})` : `, ${metric} ${record.value.toFixed(4)} at step ${record.step}`}`);
  }

  let best: SearchResult['best'] = null;
  for (const t of trials) {
    if (t.status !== 'completed' || t.value === null || !Number.isFinite(t.value)) continue;
    if (best === null || better(t.value, best.value, direction)) best = { trial: t.trial, config: { ...baseConfig, ...t.config }, value: t.value };
  }
  const result: SearchResult = {
    model: opts.runner.model,
    train: opts.data.train.path,
    validation: opts.data.validation.path,
    method: opts.method,
    seed,
    metric,
    direction,
    pruner: pruner.name,
    space: opts.space,
    spaceFile: opts.spaceFile,
    baseConfig,
    trials,
    best,
    note: TEST_DISCIPLINE_NOTE,
  };
  if (best !== null && (opts.retrainBest ?? true)) {
    const dir = join(opts.outDir, 'best');
    log(`retraining the best configuration (trial ${best.trial}) into ${dir}`);
    const r = await opts.runner.run(best.config, opts.data, { report: () => 'continue' }, { saveDir: dir, workDir: join(opts.outDir, 'trials', 'best'), log: opts.log });
    best.retrained = { metrics: r.metrics, dir };
    writeFileAtomic(
      join(dir, 'search-best.json'),
      `${JSON.stringify({ model: result.model, trial: best.trial, config: best.config, metric, value: best.value, retrainedMetrics: r.metrics, train: result.train, selectedOn: result.validation, note: result.note }, null, 2)}\n`,
    );
  }
  writeFileAtomic(join(opts.outDir, 'search-results.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileAtomic(join(opts.outDir, 'search-results.csv'), resultsCsv(result));
  return result;
}

function trialConfigs(space: SearchSpace, method: string, trials: number | undefined, seed: number, file?: string): TrialConfig[] {
  if (trials !== undefined && (!Number.isInteger(trials) || trials < 1)) throw new LenguaError(`--trials must be a positive integer, got ${trials}`, { field: 'trials' });
  if (method === 'grid') {
    const all = gridConfigs(space, file);
    return trials === undefined ? all : all.slice(0, trials);
  }
  if (method === 'random') {
    if (trials === undefined) throw new LenguaError('random search needs the number of trials (--trials N)', { field: 'trials' });
    return randomConfigs(space, trials, seed);
  }
  throw new LenguaError(`unknown search method "${method}"; use grid or random`, { field: 'method' });
}

function cell(v: unknown): string {
  const s = v === undefined || v === null ? '' : typeof v === 'string' ? v : typeof v === 'number' ? String(v) : JSON.stringify(v);
  return /[",\n\r]/u.test(s) ? `"${s.replace(/"/gu, '""')}"` : s;
}

/** RFC 4180 CSV: trial, status, the selection metric, step, seconds, one column per hyperparameter, then every metric. */
export function resultsCsv(r: SearchResult): string {
  const params = r.space.map((d) => d.name);
  const metrics = [...new Set(r.trials.flatMap((t) => Object.keys(t.metrics)))].sort();
  const head = ['trial', 'status', r.metric, 'step', 'seconds', ...params, ...metrics.map((m) => `metric:${m}`), 'error'];
  const rows = r.trials.map((t) => [t.trial, t.status, t.value, t.step, (t.durationMs / 1000).toFixed(2), ...params.map((p) => t.config[p]), ...metrics.map((m) => t.metrics[m]), t.error]);
  return [head, ...rows].map((row) => row.map(cell).join(',')).join('\n') + '\n';
}

function short(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(3);
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** The results table printed after a search: one row per trial, the best marked with `*`. */
export function formatSearchTable(r: SearchResult): string {
  const params = r.space.map((d) => d.name);
  const head = ['trial', ...params, r.metric.replace(/^eval_/u, ''), 'status', 'step', 'seconds'];
  const rows = r.trials.map((t) => [
    `${t.trial}${r.best?.trial === t.trial ? '*' : ''}`,
    ...params.map((p) => short(t.config[p])),
    t.value === null ? '-' : t.value.toFixed(4),
    t.status,
    String(t.step),
    (t.durationMs / 1000).toFixed(1),
  ]);
  const widths = head.map((h, j) => Math.max(h.length, ...rows.map((row) => row[j]!.length)));
  const line = (cells: string[]) => cells.map((c, j) => c.padEnd(widths[j]!)).join('  ').trimEnd();
  const counts = (['completed', 'pruned', 'failed'] as const).map((s) => `${r.trials.filter((t) => t.status === s).length} ${s}`).join(', ');
  const out = [
    `${r.method} search of ${r.model}: ${r.trials.length} trials (${counts}), pruner ${r.pruner}, selecting on ${r.metric} (${r.direction}) over ${r.validation}`,
    line(head),
    ...rows.map(line),
  ];
  if (r.best === null) out.push('no trial completed: nothing to retrain');
  else {
    out.push(`best: trial ${r.best.trial}, ${r.metric} ${r.best.value.toFixed(4)}, ${JSON.stringify(r.best.config)}`);
    if (r.best.retrained) out.push(`retrained on ${r.train}: ${r.metric} ${r.best.retrained.metrics[r.metric]?.toFixed(4)} on validation; saved to ${r.best.retrained.dir}`);
  }
  for (const t of r.trials.filter((x) => x.status === 'failed')) out.push(`trial ${t.trial} failed: ${t.error}`);
  out.push(r.note);
  return out.join('\n');
}
