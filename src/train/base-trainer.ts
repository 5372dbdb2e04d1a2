/**
 * The training loop every Trainer shares — transformers' `Trainer.train()` on libtorch: AdamW with parameter
 * groups, schedules, gradient accumulation and clipping, non-finite step skipping, evaluation, checkpoints in
 * the HF layout, exact resume, early stopping and best-model restore. What a task changes (how a batch is
 * built and scored, what evaluation measures) is left to its subclass: `Trainer` (sequence classification)
 * and `Seq2SeqTrainer` (translation, summarization).
 *
 * Determinism: data order comes from mulberry32(seed, epoch) and, before every optimizer step, torch
 * is reseeded with a value derived from (seed, globalStep). Dropout masks therefore depend only on the
 * step number, so a run resumed from checkpoint-N replays steps N+1… exactly as the uninterrupted run
 * did, without saving the libtorch generator state (the binding does not expose it).
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import * as torch from '../torch/index.js';
import { AdamW, clipGradNorm } from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { LenguaError } from '../errors.js';
import { loadCheckpoint } from '../hub/checkpoint.js';
import type { PreTrainedModel } from '../models/index.js';
import type { PreTrainedTokenizer } from '../text/tokenizer/index.js';
import { writeFileAtomic } from '../util/fs.js';
import { type TrainingArguments, greaterIsBetter, metricKey, toHfDict } from './arguments.js';
import { lrLambda, warmupStepsFor, type ScheduleSpec } from './scheduler.js';
import { applyDropoutOverrides, applyStrategy, type StrategyResult } from './strategy.js';
import { epochBatches } from './data.js';
import {
  ARGS_JSON, RNG_JSON, SCHEDULER_JSON, TRAINER_STATE, latestCheckpoint, loadOptimizer, readJson, removeStaleTemporaries,
  rotateCheckpoints, saveOptimizer, writeCheckpointDir,
} from './checkpoint.js';
import { Progress } from './progress.js';
import { acquireRunLock, prepareOutputDir } from './run-folder.js';
import { EarlyStoppingCallback, type TrainerCallback, type TrainerState } from './callbacks.js';

/** What the loop needs of a dataset: token ids per example (their count) and lengths (length-grouped batches). */
export interface TrainingData {
  inputIds: number[][];
  lengths: number[];
}

export interface BaseTrainerOptions<D extends TrainingData> {
  model: PreTrainedModel;
  args: TrainingArguments;
  trainDataset: D;
  evalDataset?: D;
  tokenizer?: PreTrainedTokenizer;
  callbacks?: TrainerCallback[];
  /** Where progress goes (default stderr); args.quiet silences it. */
  progressStream?: { write(s: string): unknown; isTTY?: boolean; columns?: number };
}

export interface TrainOutput {
  globalStep: number;
  trainingLoss: number;
  metrics: Record<string, number>;
}

/** Torch seed for optimizer step `step`: a 32-bit mix of (seed, step). */
export function stepSeed(seed: number, step: number): number {
  let h = (seed ^ 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (step >>> 0), 0xcc9e2d51) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x1b873593) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

export function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

export abstract class BaseTrainer<D extends TrainingData> {
  readonly model: PreTrainedModel;
  readonly args: TrainingArguments;
  readonly trainDataset: D;
  readonly evalDataset: D | undefined;
  readonly tokenizer: PreTrainedTokenizer | undefined;
  readonly callbacks: TrainerCallback[];
  state: TrainerState;
  protected readonly progress: Progress;
  protected lastEval: Record<string, number> | null = null;
  private bestStep: number | null = null;
  private strategyResult: StrategyResult | null = null;
  /** This Trainer has written its log (an evaluate() before train()): that file is not an earlier run's. */
  private wroteLog = false;

  constructor(opts: BaseTrainerOptions<D>) {
    this.model = opts.model;
    this.args = opts.args;
    this.trainDataset = opts.trainDataset;
    this.evalDataset = opts.evalDataset;
    this.tokenizer = opts.tokenizer;
    this.callbacks = [...(opts.callbacks ?? [])];
    if (this.args.earlyStoppingPatience !== undefined && !this.callbacks.some((c) => c instanceof EarlyStoppingCallback)) {
      this.callbacks.push(new EarlyStoppingCallback(this.args));
    }
    this.progress = new Progress({ quiet: this.args.quiet, ...(opts.progressStream ? { stream: opts.progressStream } : {}) });
    applyDropoutOverrides(this.model, this.args);
    this.state = { globalStep: 0, epoch: 0, maxSteps: 0, logHistory: [] };
  }

  /** The mean loss of training examples `indices` of the training set, with the autograd graph (train mode). */
  protected abstract trainingLoss(indices: readonly number[]): Tensor;

  /** Loss and metrics on a dataset (default: the eval set), keys prefixed `eval_` (or metricKeyPrefix); logged. */
  abstract evaluate(ds?: D, opts?: { metricKeyPrefix?: string }): Promise<Record<string, number>>;

  /** Adds `<prefix>_runtime` and `<prefix>_samples_per_second` to an evaluation's metrics, keeps and logs them. */
  protected finishEvaluation(metrics: Record<string, number>, prefix: string, started: number, examples: number): Record<string, number> {
    const runtime = (performance.now() - started) / 1000;
    metrics[`${prefix}_runtime`] = round4(runtime);
    metrics[`${prefix}_samples_per_second`] = round4(examples / Math.max(runtime, 1e-9));
    this.lastEval = metrics;
    this.writeLog({ ...metrics, epoch: round4(this.state.epoch), step: this.state.globalStep });
    return metrics;
  }

  /** Called once the strategy has chosen the trainable weights, before the first step. */
  protected async prepareTraining(_strategy: StrategyResult): Promise<void> {}

  /** Called when training ends, normally or not. */
  protected finishTraining(): void {}

  private get logFile(): string {
    return this.args.logFile ?? join(this.args.outputDir, 'log.jsonl');
  }

  protected get devices(): torch.Device {
    return this.model.device;
  }

  protected writeLog(entry: Record<string, number>): void {
    this.state.logHistory.push(entry);
    mkdirSync(dirname(this.logFile), { recursive: true });
    appendFileSync(this.logFile, JSON.stringify(entry) + '\n');
    this.wroteLog = true;
    for (const c of this.callbacks) c.onLog?.(this.state, entry);
    this.progress.log(entry);
  }

  /** Trains; resumes from a checkpoint folder, or from the latest one in outputDir with `true`. */
  async train(opts: { resumeFromCheckpoint?: string | boolean } = {}): Promise<TrainOutput> {
    const args = this.args;
    const resumeOpt = opts.resumeFromCheckpoint ?? args.resumeFromCheckpoint;
    mkdirSync(args.outputDir, { recursive: true });
    // One writer per run folder; the lock is held until train() returns.
    const lock = acquireRunLock(args.outputDir);
    try {
      return await this.trainLocked(resumeOpt);
    } finally {
      lock.release();
    }
  }

  private async trainLocked(resumeOpt: string | boolean | undefined): Promise<TrainOutput> {
    const args = this.args;
    const resuming = resumeOpt !== undefined && resumeOpt !== false;
    prepareOutputDir(args.outputDir, { overwrite: args.overwriteOutputDir, resume: resuming, ...(this.wroteLog ? { ignore: [relative(args.outputDir, this.logFile)] } : {}) });
    removeStaleTemporaries(args.outputDir);
    let resumeDir: string | null = null;
    if (resumeOpt === true) {
      resumeDir = latestCheckpoint(args.outputDir);
      if (resumeDir === null) throw new LenguaError(`resumeFromCheckpoint: no checkpoint-<step> folder in ${args.outputDir}`, { field: 'resumeFromCheckpoint' });
    } else if (typeof resumeOpt === 'string') {
      resumeDir = resumeOpt;
    }

    const n = this.trainDataset.inputIds.length;
    if (n === 0) throw new LenguaError('the training set is empty', { field: 'trainDataset' });
    const bs = args.perDeviceTrainBatchSize;
    const gas = args.gradientAccumulationSteps;
    const batchesPerEpoch = Math.ceil(n / bs);
    const updatesPerEpoch = Math.ceil(batchesPerEpoch / gas);
    const maxSteps = args.maxSteps > 0 ? args.maxSteps : Math.ceil(args.numTrainEpochs * updatesPerEpoch);
    const numEpochs = Math.ceil(maxSteps / updatesPerEpoch);
    const schedule: ScheduleSpec = { type: args.lrSchedulerType, totalSteps: maxSteps, warmupSteps: warmupStepsFor(args.warmupSteps, args.warmupRatio, maxSteps) };
    const evalSteps = args.evalSteps ?? args.loggingSteps;
    const saveSteps = args.saveSteps ?? 500;
    if (args.evalStrategy !== 'no' && this.evalDataset === undefined) throw new LenguaError(`evalStrategy is ${args.evalStrategy} but no evalDataset was given`, { field: 'evalStrategy' });

    const strategy = applyStrategy(this.model, args);
    this.strategyResult = strategy;
    const groupNames = strategy.groups.map((g) => g.names);
    const baseLrs = strategy.groups.map((g) => g.lr);
    const optimizer = new AdamW(strategy.groups.map(({ names: _n, ...g }) => g));
    const trainable = strategy.groups.flatMap((g) => g.params);
    await this.prepareTraining(strategy);

    let trLossSum = 0;
    let trLossSteps = 0;
    this.state = { globalStep: 0, epoch: 0, maxSteps, logHistory: [] };
    if (resumeDir !== null) {
      const r = this.loadCheckpointState(resumeDir, optimizer, groupNames);
      trLossSum = r.trLossSum;
      trLossSteps = r.trLossSteps;
    } else {
      // A fresh run starts a fresh log.
      writeFileAtomic(this.logFile, '');
    }

    this.model.train();
    const started = performance.now();
    const startStep = this.state.globalStep;
    let logLossSum = 0;
    let logLossSteps = 0;
    let nonFiniteSteps = 0;
    let nonFiniteRun = 0;
    let stop = false;
    this.progress.start(maxSteps, startStep);
    const startEpoch = Math.floor(startStep / updatesPerEpoch);
    try {
      for (let epoch = startEpoch; epoch < numEpochs && !stop && this.state.globalStep < maxSteps; epoch++) {
        const batches = epochBatches(this.trainDataset.lengths, bs, args.seed, epoch, args.groupByLength);
        const chunks: number[][][] = [];
        for (let s = 0; s < batches.length; s += gas) chunks.push(batches.slice(s, s + gas));
        const first = epoch === startEpoch ? startStep - epoch * updatesPerEpoch : 0;
        for (let c = first; c < chunks.length; c++) {
          if (this.state.globalStep >= maxSteps) break;
          const chunk = chunks[c]!;
          const step = this.state.globalStep;
          torch.manualSeed(stepSeed(args.seed, step));
          const factor = lrLambda(schedule, step);
          optimizer.paramGroups.forEach((g, i) => (g.lr = baseLrs[i]! * factor));
          const examples = chunk.reduce((s, b) => s + b.length, 0);
          let stepLoss = 0;
          for (const indices of chunk) {
            // Each micro-batch's mean loss weighted by its share of the step's examples: the step's
            // gradient is the mean over all its examples, whatever the last batch's size.
            stepLoss += torch.tidy(() => {
              const loss = this.trainingLoss(indices).mul(indices.length / examples);
              loss.backward();
              return loss.item();
            });
          }
          // The total gradient norm is always computed (clipping with no limit multiplies by exactly 1):
          // it is how a non-finite gradient is seen before it reaches the weights.
          const gradNorm = clipGradNorm(trainable, args.maxGradNorm > 0 ? args.maxGradNorm : Number.MAX_VALUE);
          const finite = Number.isFinite(stepLoss) && Number.isFinite(gradNorm);
          if (finite) optimizer.step();
          optimizer.zeroGrad(true);
          this.state.globalStep = step + 1;
          this.state.epoch = epoch + (c + 1) / chunks.length;
          if (!finite) {
            // Skip-and-count, as mixed-precision loss scaling does: the weights keep their last finite values.
            nonFiniteSteps++;
            nonFiniteRun++;
            this.writeLog({ nonfinite_step: 1, step: this.state.globalStep });
            this.progress.note(`step ${this.state.globalStep}: the ${Number.isFinite(stepLoss) ? 'gradient' : 'loss'} is ${Number.isFinite(stepLoss) ? gradNorm : stepLoss}; update skipped (${nonFiniteRun} in a row)`);
            if (nonFiniteRun >= args.nonFinitePatience) throw divergedError(args, this.state.globalStep, nonFiniteRun, latestCheckpoint(args.outputDir));
            continue;
          }
          nonFiniteRun = 0;
          trLossSum += stepLoss;
          trLossSteps++;
          logLossSum += stepLoss;
          logLossSteps++;
          const nextLr = baseLrs[0]! * lrLambda(schedule, this.state.globalStep);
          this.progress.step({ step: this.state.globalStep, epoch: this.state.epoch, loss: stepLoss, learningRate: nextLr }, examples);
          const gs = this.state.globalStep;
          if (gs % args.loggingSteps === 0) {
            const entry: Record<string, number> = { loss: round4(logLossSum / logLossSteps) };
            if (Number.isFinite(gradNorm)) entry.grad_norm = gradNorm;
            entry.learning_rate = nextLr;
            entry.epoch = round4(this.state.epoch);
            entry.step = gs;
            this.writeLog(entry);
            logLossSum = 0;
            logLossSteps = 0;
          }
          for (const cb of this.callbacks) if (cb.onStepEnd?.(this.state)?.shouldStop) stop = true;
          if (args.evalStrategy === 'steps' && gs % evalSteps === 0) {
            if (await this.evaluateDuringTraining()) stop = true;
          }
          if (args.saveStrategy === 'steps' && gs % saveSteps === 0) await this.saveCheckpoint(optimizer, groupNames, schedule, baseLrs, trLossSum, trLossSteps);
          if (stop) break;
        }
        // Epoch end (also when maxSteps cut it short, as transformers does).
        if (args.evalStrategy === 'epoch') {
          if (await this.evaluateDuringTraining()) stop = true;
        }
        if (args.saveStrategy === 'epoch') await this.saveCheckpoint(optimizer, groupNames, schedule, baseLrs, trLossSum, trLossSteps);
        for (const cb of this.callbacks) if (cb.onEpochEnd?.(this.state)?.shouldStop) stop = true;
      }
      this.progress.finish();
      if (stop) this.progress.note(`Stopped early at step ${this.state.globalStep}.`);
      if (args.loadBestModelAtEnd && this.state.bestModelCheckpoint !== undefined) {
        this.progress.note(`Loading best model from ${this.state.bestModelCheckpoint} (${metricKey(args)} = ${this.state.bestMetric}).`);
        this.model.loadWeights(loadCheckpoint(this.state.bestModelCheckpoint), { source: this.state.bestModelCheckpoint });
      }
    } finally {
      this.progress.finish();
      optimizer.dispose();
      this.finishTraining();
      this.model.eval();
    }
    const runtime = (performance.now() - started) / 1000;
    const stepsRun = this.state.globalStep - startStep;
    const trainingLoss = trLossSteps > 0 ? trLossSum / trLossSteps : NaN;
    const metrics: Record<string, number> = {
      train_runtime: round4(runtime),
      train_samples_per_second: round4((stepsRun * bs * gas) / Math.max(runtime, 1e-9)),
      train_steps_per_second: round4(stepsRun / Math.max(runtime, 1e-9)),
      train_loss: trainingLoss,
      epoch: round4(this.state.epoch),
      ...(nonFiniteSteps > 0 ? { train_nonfinite_steps: nonFiniteSteps } : {}),
    };
    this.writeLog({ ...metrics, step: this.state.globalStep });
    return { globalStep: this.state.globalStep, trainingLoss, metrics };
  }

  /** Evaluates, logs, tracks the best metric; true when a callback asks to stop. */
  private async evaluateDuringTraining(): Promise<boolean> {
    const metrics = await this.evaluate();
    const key = metricKey(this.args);
    const v = metrics[key];
    if (v === undefined) {
      throw new LenguaError(`metricForBestModel ${this.args.metricForBestModel}: the evaluation gives no ${key} (it gives ${Object.keys(metrics).join(', ')})`, { field: 'metricForBestModel' });
    }
    const gib = greaterIsBetter(this.args);
    if (this.state.bestMetric === undefined || (gib ? v > this.state.bestMetric : v < this.state.bestMetric)) {
      this.state.bestMetric = v;
      this.bestStep = this.state.globalStep;
    }
    let stop = false;
    for (const cb of this.callbacks) if (cb.onEvaluate?.(this.state, metrics)?.shouldStop) stop = true;
    this.model.train();
    return stop;
  }

  /** transformers' `trainer_state.json` (the same keys in checkpoints and in `saveState`). */
  private trainerStateJson(): Record<string, unknown> {
    const callbackState: Record<string, unknown> = {};
    for (const cb of this.callbacks) if (cb.stateKey !== undefined && cb.stateDict) callbackState[cb.stateKey] = cb.stateDict();
    return {
      global_step: this.state.globalStep,
      epoch: this.state.epoch,
      max_steps: this.state.maxSteps,
      num_train_epochs: this.args.numTrainEpochs,
      logging_steps: this.args.loggingSteps,
      eval_steps: this.args.evalSteps ?? this.args.loggingSteps,
      save_steps: this.args.saveSteps ?? 500,
      train_batch_size: this.args.perDeviceTrainBatchSize,
      best_metric: this.state.bestMetric ?? null,
      best_model_checkpoint: this.state.bestModelCheckpoint ?? null,
      log_history: this.state.logHistory,
      stateful_callbacks: callbackState,
    };
  }

  /** transformers `save_state`: writes trainer_state.json into outputDir (atomically). */
  saveState(): void {
    mkdirSync(this.args.outputDir, { recursive: true });
    writeFileAtomic(join(this.args.outputDir, TRAINER_STATE), JSON.stringify(this.trainerStateJson(), null, 2) + '\n');
  }

  private async saveCheckpoint(optimizer: AdamW, groupNames: string[][], schedule: ScheduleSpec, baseLrs: number[], trLossSum: number, trLossSteps: number): Promise<void> {
    const step = this.state.globalStep;
    const name = `checkpoint-${step}`;
    const path = join(this.args.outputDir, name);
    if (this.bestStep === step) this.state.bestModelCheckpoint = path;
    assertFiniteWeights(this.model, path);
    await writeCheckpointDir(this.args.outputDir, step, async (dir) => {
      await this.model.savePretrained(dir, this.tokenizer ? { tokenizer: this.tokenizer } : {});
      saveOptimizer(dir, optimizer, groupNames);
      writeFileAtomic(join(dir, SCHEDULER_JSON), JSON.stringify({ type: schedule.type, last_epoch: step, base_lrs: baseLrs, warmup_steps: schedule.warmupSteps, total_steps: schedule.totalSteps }, null, 2) + '\n');
      writeFileAtomic(
        join(dir, RNG_JSON),
        JSON.stringify({
          note: 'torch is reseeded before every optimizer step with stepSeed(seed, global_step); data order is mulberry32(seed, epoch)',
          seed: this.args.seed,
          next_step_torch_seed: stepSeed(this.args.seed, step),
          epoch: Math.floor(this.state.epoch),
        }, null, 2) + '\n',
      );
      const ts = { ...this.trainerStateJson(), lengua: { tr_loss_sum: trLossSum, tr_loss_steps: trLossSteps, best_step: this.bestStep } };
      writeFileAtomic(join(dir, ARGS_JSON), JSON.stringify(toHfDict(this.args), null, 2) + '\n');
      writeFileAtomic(join(dir, TRAINER_STATE), JSON.stringify(ts, null, 2) + '\n');
    });
    rotateCheckpoints(this.args.outputDir, this.args.saveTotalLimit, this.state.bestModelCheckpoint);
  }

  private loadCheckpointState(dir: string, optimizer: AdamW, groupNames: string[][]): { trLossSum: number; trLossSteps: number } {
    const ts = readJson<{
      global_step: number;
      epoch: number;
      best_metric: number | null;
      best_model_checkpoint: string | null;
      log_history: Array<Record<string, number>>;
      stateful_callbacks?: Record<string, Record<string, unknown>>;
      lengua?: { tr_loss_sum: number; tr_loss_steps: number; best_step: number | null };
    }>(join(dir, TRAINER_STATE));
    if (!Number.isInteger(ts.global_step) || ts.global_step < 0) throw new LenguaError('global_step must be a non-negative integer', { file: join(dir, TRAINER_STATE), field: 'global_step' });
    if (ts.global_step > this.state.maxSteps) {
      throw new LenguaError(`the checkpoint is at step ${ts.global_step}, past this run's ${this.state.maxSteps} steps`, { file: join(dir, TRAINER_STATE), field: 'global_step' });
    }
    this.model.loadWeights(loadCheckpoint(dir), { source: dir });
    loadOptimizer(dir, optimizer, groupNames);
    this.state.globalStep = ts.global_step;
    this.state.epoch = ts.epoch;
    if (ts.best_metric !== null && ts.best_metric !== undefined) this.state.bestMetric = ts.best_metric;
    if (ts.best_model_checkpoint) this.state.bestModelCheckpoint = ts.best_model_checkpoint;
    this.bestStep = ts.lengua?.best_step ?? null;
    this.state.logHistory = Array.isArray(ts.log_history) ? ts.log_history : [];
    // The log restarts from the checkpoint: entries after it belong to the interrupted run.
    writeFileAtomic(this.logFile, this.state.logHistory.map((e) => JSON.stringify(e) + '\n').join(''));
    for (const cb of this.callbacks) {
      const s = cb.stateKey !== undefined ? ts.stateful_callbacks?.[cb.stateKey] : undefined;
      if (s !== undefined) cb.loadStateDict?.(s);
    }
    this.progress.note(`Resuming from ${dir} (step ${ts.global_step}).`);
    return { trLossSum: ts.lengua?.tr_loss_sum ?? 0, trLossSteps: ts.lengua?.tr_loss_steps ?? 0 };
  }

  /** The last evaluation's metrics (null before any). */
  get lastEvaluation(): Record<string, number> | null {
    return this.lastEval;
  }

  /** The strategy applied by the last train() call (trainable/frozen names, groups). */
  get strategy(): StrategyResult | null {
    return this.strategyResult;
  }

  /** Writes the model (config.json, model.safetensors), tokenizer and training_args.json to dir (default outputDir). */
  async saveModel(dir?: string): Promise<void> {
    const out = dir ?? this.args.outputDir;
    assertFiniteWeights(this.model, out);
    await this.model.savePretrained(out, this.tokenizer ? { tokenizer: this.tokenizer } : {});
    writeFileAtomic(join(out, ARGS_JSON), JSON.stringify(toHfDict(this.args), null, 2) + '\n');
  }
}

/** Refuses to save a model with a NaN or infinite weight: such a file only ever answers `null`. */
function assertFiniteWeights(model: PreTrainedModel, dest: string): void {
  for (const [name, p] of model.namedParameters()) {
    const m = torch.tidy(() => p.detach().abs().amax().item());
    if (!Number.isFinite(m)) {
      throw new LenguaError(`weight ${name} holds ${Number.isNaN(m) ? 'NaN' : 'Inf'}: not saving the model to ${dest}. Training diverged; lower the learning rate.`, { field: name });
    }
  }
}

function divergedError(args: TrainingArguments, step: number, run: number, lastCheckpoint: string | null): LenguaError {
  return new LenguaError(
    `training diverged at step ${step}: the loss or gradient was NaN/Inf ${run} steps in a row (nonFinitePatience ${args.nonFinitePatience}); those updates were skipped and no model was saved. ` +
      `Lower the learning rate (it is ${args.learningRate})${args.maxGradNorm > 0 ? '' : ', turn gradient clipping on (maxGradNorm)'}, or check the data. ` +
      (lastCheckpoint !== null ? `The last checkpoint, ${lastCheckpoint}, holds finite weights.` : 'No checkpoint was written before.'),
    { field: 'learningRate' },
  );
}

