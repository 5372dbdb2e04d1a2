// The trial runner for transformers: the Trainer with TrainingArguments taken from the trial's configuration.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LenguaError } from '../errors.js';
import { LabelSet } from '../data/index.js';
import { AutoConfig, AutoModelForSequenceClassification } from '../models/index.js';
import { AutoTokenizer } from '../text/tokenizer/index.js';
import { setNumThreads, type Device } from '../torch/index.js';
import { ARGUMENT_NAMES, TRAINING_ARGUMENT_DOCS, argumentName, coerceArgument, trainingArguments, type TrainingArguments } from './arguments.js';
import { encodeDataset } from './data.js';
import { Trainer, type TrainerCallback } from './trainer.js';
import { softmaxRows, type TrialRunner } from './trial.js';

/**
 * Every TrainingArguments field except outputDir and overwriteOutputDir (each trial gets its own scratch
 * folder, replaced on a rerun) and resumeFromCheckpoint (a trial starts from the model).
 */
export const TRANSFORMER_KEYS: readonly string[] = ARGUMENT_NAMES.filter((k) => k !== 'outputDir' && k !== 'overwriteOutputDir' && k !== 'resumeFromCheckpoint');

/**
 * Defaults for trials that differ from the Trainer's: evaluate every epoch (so a pruner sees
 * intermediate results), no checkpoints (a trial is thrown away unless it wins), quiet.
 */
export const TRIAL_DEFAULTS: Partial<TrainingArguments> = { evalStrategy: 'epoch', saveStrategy: 'no', quiet: true };

/** Converts camelCase or transformers' snake_case keys and checks each value (the error names the field). */
export function trainingConfig(config: Record<string, unknown>, file?: string): Partial<TrainingArguments> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    const name = argumentName(k);
    if (name === null || !TRANSFORMER_KEYS.includes(name)) {
      throw new LenguaError(name === null ? `unknown training argument "${k}"` : `${name} cannot be set for a trial (outputDir: use --out; trials start from the model)`, { file, field: k });
    }
    out[name] = coerceArgument(name, v, file);
  }
  return out as Partial<TrainingArguments>;
}

/**
 * The model's own label order when its config names the same labels as the data (a fine-tuned head
 * keeps its meaning); otherwise the data's, with a new head.
 */
async function labelOrder(modelRef: string, labels: LabelSet): Promise<LabelSet> {
  try {
    const cfg = await AutoConfig.fromPretrained(modelRef);
    const names = Object.entries(cfg.id2label).sort((a, b) => Number(a[0]) - Number(b[0])).map(([, v]) => v);
    if (names.length === labels.size && names.every((n) => labels.has(n))) return new LabelSet(names);
  } catch {
    // The model load below reports a missing or broken config with the proper error.
  }
  return labels;
}

/**
 * Fine-tunes `modelRef` (a folder or Hub id) once per trial. The budget step reported to the pruner is
 * the epoch (fractional with step-wise evaluation), which is comparable across batch sizes.
 */
export function transformerRunner(modelRef: string, opts: { device?: Device; threads?: number } = {}): TrialRunner {
  return {
    model: modelRef,
    knownKeys: TRANSFORMER_KEYS,
    integerKeys: TRANSFORMER_KEYS.filter((k) => TRAINING_ARGUMENT_DOCS[k as keyof TrainingArguments].kind === 'integer'),
    checkValue(key, value) {
      trainingConfig({ [key]: value });
    },
    async run(config, data, hooks, runOpts = {}) {
      // libtorch starts with one CPU thread here; use what the caller gives (lengua cv/search: the cores).
      if (opts.threads !== undefined) setNumThreads(opts.threads);
      const scratch = runOpts.workDir ?? mkdtempSync(join(tmpdir(), 'lengua-trial-'));
      const given = trainingConfig(config);
      const args = trainingArguments({ ...TRIAL_DEFAULTS, ...given, outputDir: scratch, overwriteOutputDir: true });
      const labels = await labelOrder(modelRef, data.labels);
      const tokenizer = await AutoTokenizer.fromPretrained(modelRef);
      const model = await AutoModelForSequenceClassification.fromPretrained(modelRef, {
        id2label: labels.id2label,
        label2id: labels.label2id,
        seed: args.seed,
        ...(opts.device !== undefined ? { device: opts.device } : {}),
      });
      // Inputs longer than the position table fail in the model: truncate to what it (and the tokenizer) takes, as lengua train does.
      const maxLength = Math.min(args.maxLength, model.maxInputTokens, tokenizer.modelMaxLength > 0 ? tokenizer.modelMaxLength : Infinity);
      const train = encodeDataset(data.train, tokenizer, labels, maxLength);
      const validation = encodeDataset(data.validation, tokenizer, labels, maxLength);
      let pruned = false;
      let step = 0;
      let last: Record<string, number> | null = null;
      const pruning: TrainerCallback = {
        onEvaluate(state, metrics) {
          step = state.epoch;
          last = metrics;
          if (hooks.report(state.epoch, metrics) === 'prune') {
            pruned = true;
            return { shouldStop: true };
          }
          return undefined;
        },
      };
      const trainer = new Trainer({ model, args, trainDataset: train, evalDataset: validation, tokenizer, id2label: labels.id2label, callbacks: [pruning] });
      try {
        await trainer.train();
        // A prune at the last evaluation stops nothing: the trial had its whole budget, so it counts as completed.
        if (pruned && trainer.state.globalStep >= trainer.state.maxSteps) pruned = false;
        // The last evaluation is the final model's unless the best checkpoint was reloaded or none ran.
        let metrics: Record<string, number> = last ?? {};
        if (last === null || args.loadBestModelAtEnd) {
          metrics = await trainer.evaluate();
          step = trainer.state.epoch;
          if (last === null) hooks.report(step, metrics);
        }
        runOpts.log?.(`  trained ${trainer.state.globalStep} steps (${trainer.state.epoch.toFixed(2)} epochs)${pruned ? ', pruned' : ''}`);
        if (runOpts.saveDir !== undefined && !pruned) await trainer.saveModel(runOpts.saveDir);
        let probabilities: number[][] | undefined;
        if (runOpts.wantProbabilities) {
          // Columns follow the model's label order; the caller expects data.labels' order.
          const p = softmaxRows((await trainer.predict(validation)).logits);
          const col = data.labels.names.map((n) => labels.encode(n));
          probabilities = p.map((row) => col.map((j) => row[j]!));
        }
        return {
          metrics,
          pruned,
          step,
          ...(runOpts.saveDir !== undefined && !pruned ? { modelDir: runOpts.saveDir } : {}),
          ...(probabilities !== undefined ? { probabilities } : {}),
        };
      } finally {
        // Free the weights now: a search trains many models, and GPU memory is invisible to V8's collector.
        model.dispose();
        if (runOpts.workDir === undefined) rmSync(scratch, { recursive: true, force: true });
      }
    },
  };
}
