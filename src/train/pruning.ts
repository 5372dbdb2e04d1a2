// Early stopping of unpromising search trials: median stopping and (asynchronous) successive halving.
import { LenguaError } from '../errors.js';

export type Direction = 'maximize' | 'minimize';
export type PruneDecision = 'continue' | 'prune';

/**
 * Whether a larger value of a metric is better: losses, errors and calibration errors are minimized,
 * everything else (accuracy, F1, recall, MCC, ...) maximized. `greaterIsBetter` overrides the guess.
 */
export function metricDirection(metric: string, greaterIsBetter?: boolean): Direction {
  if (greaterIsBetter !== undefined) return greaterIsBetter ? 'maximize' : 'minimize';
  return /(loss|error|ece|brier|perplexity)/iu.test(metric) ? 'minimize' : 'maximize';
}

/** True when `a` is strictly better than `b` in this direction. */
export function better(a: number, b: number, direction: Direction): boolean {
  return direction === 'maximize' ? a > b : a < b;
}

/**
 * A pruner sees every intermediate evaluation of every trial, in order. Steps are a budget measure
 * that is comparable across trials (epochs, or the share of the training data seen), not raw
 * optimizer steps, which depend on the batch size.
 */
export interface Pruner {
  readonly name: 'none' | 'median' | 'halving';
  report(trial: number, step: number, value: number): PruneDecision;
  /** The trial ended; completed trials become the reference for later ones. */
  finish(trial: number, status: 'completed' | 'pruned' | 'failed'): void;
}

type History = Map<number, Array<{ step: number; value: number }>>;

function record(history: History, trial: number, step: number, value: number): void {
  if (!Number.isFinite(step)) throw new LenguaError(`trial ${trial} reported a non-finite step ${step}`, { field: 'step' });
  const h = history.get(trial) ?? [];
  const last = h[h.length - 1];
  if (last !== undefined && step <= last.step) {
    throw new LenguaError(`trial ${trial} reported step ${step} after step ${last.step}; steps must increase`, { field: 'step' });
  }
  h.push({ step, value });
  history.set(trial, h);
}

export class NoPruner implements Pruner {
  readonly name = 'none' as const;
  report(): PruneDecision {
    return 'continue';
  }
  finish(): void {}
}

export interface MedianOptions {
  direction: Direction;
  /** Completed trials needed before anything is pruned (default 1). */
  startupTrials?: number;
  /** Steps below this are never pruned: early evaluations are noisy (default 0). */
  warmupSteps?: number;
}

/**
 * Median stopping (Golovin et al., 2017, as in Optuna's MedianPruner): prune a trial whose value at a
 * step is worse than the median of the completed trials' values at that step. A completed trial's
 * value at a step is its last value reported at or before it, so trials whose evaluation steps differ
 * still compare. A non-finite value (a diverged loss) is pruned at once, warm-up or not.
 */
export class MedianPruner implements Pruner {
  readonly name = 'median' as const;
  private readonly history: History = new Map();
  private readonly completed = new Set<number>();
  private readonly startupTrials: number;
  private readonly warmupSteps: number;

  constructor(private readonly opts: MedianOptions) {
    this.startupTrials = opts.startupTrials ?? 1;
    this.warmupSteps = opts.warmupSteps ?? 0;
    if (!Number.isInteger(this.startupTrials) || this.startupTrials < 0) throw new LenguaError(`startupTrials must be a non-negative integer, got ${this.startupTrials}`, { field: 'startupTrials' });
    if (!(this.warmupSteps >= 0)) throw new LenguaError(`warmupSteps must be >= 0, got ${this.warmupSteps}`, { field: 'warmupSteps' });
  }

  report(trial: number, step: number, value: number): PruneDecision {
    record(this.history, trial, step, value);
    if (!Number.isFinite(value)) return 'prune';
    if (this.completed.size < this.startupTrials || this.completed.size === 0 || step < this.warmupSteps) return 'continue';
    const ref: number[] = [];
    for (const t of this.completed) {
      const h = this.history.get(t) ?? [];
      let v: number | undefined;
      for (const e of h) if (e.step <= step) v = e.value;
      if (v !== undefined && Number.isFinite(v)) ref.push(v);
    }
    if (ref.length === 0) return 'continue';
    return better(median(ref), value, this.opts.direction) ? 'prune' : 'continue';
  }

  finish(trial: number, status: 'completed' | 'pruned' | 'failed'): void {
    if (status === 'completed') this.completed.add(trial);
  }

  /** The median this pruner compares a trial with at a step (NaN when there is none yet): for reports and tests. */
  medianAt(step: number): number {
    const ref: number[] = [];
    for (const t of this.completed) {
      let v: number | undefined;
      for (const e of this.history.get(t) ?? []) if (e.step <= step) v = e.value;
      if (v !== undefined) ref.push(v);
    }
    return ref.length === 0 ? Number.NaN : median(ref);
  }
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface HalvingOptions {
  direction: Direction;
  /** Budget of the first rung, in steps (default 1). Rungs sit at minResource × eta^k. */
  minResource?: number;
  /** Reduction factor: at each rung, the best 1/eta of the trials that reached it go on (default 3). */
  eta?: number;
}

/**
 * Asynchronous successive halving (ASHA; Li et al., 2020), suited to trials that run one after
 * another: when a trial's budget first reaches a rung, its value is compared with every value
 * recorded at that rung so far (its own included). It goes on if it ranks within the top
 * max(1, ⌊n/eta⌋) of those n values; otherwise it is pruned. The first trial at a rung always goes on.
 */
export class SuccessiveHalvingPruner implements Pruner {
  readonly name = 'halving' as const;
  readonly minResource: number;
  readonly eta: number;
  /** Values recorded at each rung (index k = budget minResource × eta^k). */
  private readonly rungs: number[][] = [];
  /** The next rung each running trial has yet to reach. */
  private readonly nextRung = new Map<number, number>();
  private readonly lastStep = new Map<number, number>();

  constructor(private readonly opts: HalvingOptions) {
    this.minResource = opts.minResource ?? 1;
    this.eta = opts.eta ?? 3;
    if (!(this.minResource > 0) || !Number.isFinite(this.minResource)) throw new LenguaError(`minResource must be > 0, got ${this.minResource}`, { field: 'minResource' });
    if (!Number.isInteger(this.eta) || this.eta < 2) throw new LenguaError(`eta must be an integer >= 2, got ${this.eta}`, { field: 'eta' });
  }

  rungBudget(k: number): number {
    return this.minResource * this.eta ** k;
  }

  report(trial: number, step: number, value: number): PruneDecision {
    const last = this.lastStep.get(trial);
    if (last !== undefined && step <= last) throw new LenguaError(`trial ${trial} reported step ${step} after step ${last}; steps must increase`, { field: 'step' });
    this.lastStep.set(trial, step);
    if (!Number.isFinite(value)) return 'prune';
    let k = this.nextRung.get(trial) ?? 0;
    let decision: PruneDecision = 'continue';
    // A large jump in budget may pass several rungs at once; the trial must survive each of them.
    while (step >= this.rungBudget(k) - 1e-9) {
      const rung = (this.rungs[k] ??= []);
      rung.push(value);
      const sorted = [...rung].sort((a, b) => (this.opts.direction === 'maximize' ? b - a : a - b));
      const keep = Math.max(1, Math.floor(rung.length / this.eta));
      const threshold = sorted[keep - 1]!;
      k++;
      if (better(threshold, value, this.opts.direction)) {
        decision = 'prune';
        break;
      }
    }
    this.nextRung.set(trial, k);
    return decision;
  }

  finish(trial: number): void {
    this.nextRung.delete(trial);
    this.lastStep.delete(trial);
  }

  /** Copies of the values recorded at each rung: for reports and tests. */
  rungValues(): number[][] {
    return this.rungs.map((r) => [...r]);
  }
}

export type PrunerName = 'none' | 'median' | 'halving';

export function makePruner(name: string, opts: { direction: Direction; warmupSteps?: number; startupTrials?: number; minResource?: number; eta?: number }): Pruner {
  switch (name) {
    case 'none':
      return new NoPruner();
    case 'median':
      return new MedianPruner({ direction: opts.direction, warmupSteps: opts.warmupSteps, startupTrials: opts.startupTrials });
    case 'halving':
      return new SuccessiveHalvingPruner({ direction: opts.direction, minResource: opts.minResource, eta: opts.eta });
    default:
      throw new LenguaError(`unknown pruner "${name}"; use none, median or halving`, { field: 'pruner' });
  }
}
