/** The Trainer's callback interface and state, and the built-in early stopping (transformers' EarlyStoppingCallback semantics). */
import { type TrainingArguments, greaterIsBetter, metricKey } from './arguments.js';

export interface TrainerState {
  globalStep: number;
  epoch: number;
  maxSteps: number;
  bestMetric?: number;
  bestModelCheckpoint?: string;
  logHistory: Array<Record<string, number>>;
}

export interface TrainerCallback {
  onEvaluate?(state: TrainerState, metrics: Record<string, number>): void | { shouldStop?: boolean };
  onLog?(state: TrainerState, logs: Record<string, number>): void;
  onEpochEnd?(state: TrainerState): void | { shouldStop?: boolean };
  /** onStepEnd runs after every optimizer step (a search's pruner may stop the run there). */
  onStepEnd?(state: TrainerState): void | { shouldStop?: boolean };
  /** Callbacks with state (early stopping's counter) save it in trainer_state.json for exact resume. */
  readonly stateKey?: string;
  stateDict?(): Record<string, unknown>;
  loadStateDict?(s: Record<string, unknown>): void;
}


/**
 * Stops training after `patience` evaluations in a row without an improvement larger than
 * `threshold` of metricForBestModel. Its counter is saved in checkpoints (exact resume).
 */
export class EarlyStoppingCallback implements TrainerCallback {
  readonly stateKey = 'EarlyStoppingCallback';
  readonly patience: number;
  readonly threshold: number;
  private readonly key: string;
  private readonly greater: boolean;
  private best: number | null = null;
  /** Evaluations since the last improvement. */
  counter = 0;

  constructor(args: TrainingArguments, opts: { patience?: number; threshold?: number } = {}) {
    this.patience = opts.patience ?? args.earlyStoppingPatience ?? 1;
    this.threshold = opts.threshold ?? args.earlyStoppingThreshold;
    this.key = metricKey(args);
    this.greater = greaterIsBetter(args);
  }

  onEvaluate(_state: TrainerState, metrics: Record<string, number>): { shouldStop: boolean } {
    const v = metrics[this.key];
    if (v === undefined) return { shouldStop: false };
    const improved = this.best === null || ((this.greater ? v > this.best : v < this.best) && Math.abs(v - this.best) > this.threshold);
    if (improved) {
      this.best = v;
      this.counter = 0;
    } else {
      this.counter++;
    }
    return { shouldStop: this.counter >= this.patience };
  }

  stateDict(): Record<string, unknown> {
    return { args: { early_stopping_patience: this.patience, early_stopping_threshold: this.threshold }, attributes: { early_stopping_patience_counter: this.counter, best: this.best } };
  }

  loadStateDict(s: Record<string, unknown>): void {
    const a = (s.attributes ?? {}) as { early_stopping_patience_counter?: number; best?: number | null };
    this.counter = typeof a.early_stopping_patience_counter === 'number' ? a.early_stopping_patience_counter : 0;
    this.best = typeof a.best === 'number' ? a.best : null;
  }
}
