/**
 * `trainBaseline(trainDs, opts)`: the entry `lengua train --model baseline:tfidf-logreg` calls. It fits
 * the TF-IDF + logistic regression baseline on a loaded dataset, optionally scores an evaluation
 * dataset, and saves the folder (with a `log.jsonl` line like the Trainer's, so reports can read it).
 */
import { join } from 'node:path';
import { LenguaError } from '../errors.js';
import type { Dataset } from '../data/index.js';
import { computeClassificationMetrics } from '../metrics/index.js';
import { ensureWritableDir, writeFileAtomic } from '../util/fs.js';
import { acquireRunLock, prepareOutputDir } from './run-folder.js';
import { TfidfLogReg, joinPair, type TfidfLogRegOptions } from '../models/baseline/index.js';

export interface TrainBaselineOptions extends TfidfLogRegOptions {
  /** Where to save the model folder; nothing is written without it. */
  outputDir?: string;
  /** Replace what an earlier run left in outputDir; without it a non-empty outputDir is refused before fitting. */
  overwriteOutputDir?: boolean;
  /** Scored after fitting; its metrics come back with an `eval_` prefix. */
  evalDataset?: Dataset;
  /** Progress lines go here (default: nowhere). */
  log?: (line: string) => void;
}

export interface TrainBaselineResult {
  model: TfidfLogReg;
  /** `train_seconds`, `n_features`, `iterations`, and `eval_*` metrics when an eval set was given. */
  metrics: Record<string, number>;
  outputDir?: string;
}

function labelIds(ds: Dataset, model: { id2label: Record<number, string> } | null, what: string): number[] {
  const names = model ? Object.values(model.id2label) : ds.labels.names;
  const index = new Map(names.map((n, i) => [n, i]));
  return ds.examples.map((e) => {
    if (typeof e.label !== 'string') {
      throw new LenguaError(
        Array.isArray(e.label) ? 'the TF-IDF baseline is single-label; this example has several labels' : `${what}: example without a label`,
        { file: e.source.file, line: e.source.line, field: 'label' },
      );
    }
    const id = index.get(e.label);
    if (id === undefined) {
      throw new LenguaError(`label "${e.label}" is not one of the model's labels (${names.join(', ')})`, { file: e.source.file, line: e.source.line, field: 'label' });
    }
    return id;
  });
}

export function trainBaseline(trainDs: Dataset, opts: TrainBaselineOptions = {}): TrainBaselineResult {
  if (trainDs.multiLabel) throw new LenguaError('the TF-IDF baseline is single-label; the training data is multi-label', { file: trainDs.path });
  const { outputDir, overwriteOutputDir, evalDataset, log, ...modelOpts } = opts;
  if (outputDir === undefined) return fitBaseline(trainDs, evalDataset, log, modelOpts);
  // The folder is checked and locked before the fit: a long fit never ends in a refused or mixed folder.
  ensureWritableDir(outputDir, 'outputDir');
  const lock = acquireRunLock(outputDir, 'lengua train (baseline)');
  try {
    prepareOutputDir(outputDir, { overwrite: overwriteOutputDir === true });
    const r = fitBaseline(trainDs, evalDataset, log, modelOpts);
    saveBaselineRun(r, outputDir);
    return { ...r, outputDir };
  } finally {
    lock.release();
  }
}

function fitBaseline(trainDs: Dataset, evalDataset: Dataset | undefined, log: ((line: string) => void) | undefined, modelOpts: TfidfLogRegOptions): TrainBaselineResult {
  const texts = trainDs.examples.map((e) => joinPair(e.text, e.textPair));
  const y = labelIds(trainDs, null, 'training data');
  const model = TfidfLogReg.fit(texts, y, trainDs.labels.id2label, modelOpts);
  const info = model.fitInfo!;
  log?.(`baseline: ${info.nTrain} texts, ${info.nFeatures} features, L-BFGS ${info.optimizer.iterations} iterations (${info.optimizer.reason}), ${info.seconds.toFixed(2)} s`);
  const metrics: Record<string, number> = {
    train_seconds: info.seconds,
    n_features: info.nFeatures,
    iterations: info.optimizer.iterations,
    train_loss: info.optimizer.f,
  };
  if (evalDataset) {
    const gold = labelIds(evalDataset, model, 'evaluation data');
    const proba = model.predictProba(evalDataset.examples.map((e) => joinPair(e.text, e.textPair)));
    const labels = Object.keys(model.id2label).map(Number);
    const m = computeClassificationMetrics(gold, proba.map(argmaxRow), { probabilities: proba, labels });
    metrics.eval_accuracy = m.accuracy;
    metrics.eval_macro_f1 = m.macro.f1;
    metrics.eval_macro_recall = m.macroRecall;
    if (m.probability?.logLoss !== undefined) metrics.eval_loss = m.probability.logLoss;
    log?.(`baseline eval: accuracy ${m.accuracy.toFixed(4)}, macro recall ${m.macroRecall.toFixed(4)}, macro F1 ${m.macro.f1.toFixed(4)}`);
  }
  return { model, metrics };
}

function saveBaselineRun({ model, metrics }: TrainBaselineResult, outputDir: string): void {
  const info = model.fitInfo!;
  model.save(outputDir);
  // One HF-style log_history entry, so a report's learning-curve section has what there is.
  const entry: Record<string, number> = { step: info.optimizer.iterations, epoch: 1, loss: info.optimizer.f };
  for (const [k, v] of Object.entries(metrics)) if (k.startsWith('eval_')) entry[k] = v;
  writeFileAtomic(join(outputDir, 'log.jsonl'), JSON.stringify(entry) + '\n');
  writeFileAtomic(join(outputDir, 'train_results.json'), JSON.stringify(metrics, null, 2) + '\n');
}

function argmaxRow(row: readonly number[]): number {
  let b = 0;
  for (let k = 1; k < row.length; k++) if (row[k]! > row[b]!) b = k;
  return b;
}
