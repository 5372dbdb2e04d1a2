/**
 * `lengua evaluate --model DIR|baseline:DIR --data FILE`: scores a classifier on labelled data and writes
 * metrics.json, predictions.jsonl and a self-contained report.html; prints every metric with its split.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { LenguaError } from '../errors.js';
import { loadDataset } from '../data/index.js';
import { loadClassifier } from '../eval/classifier.js';
import { checkTestDiscipline, evaluateClassifier, hashDataset, inferSplit, recordEvaluation, summarizeResult } from '../eval/evaluate.js';
import { renderReport } from '../eval/report/index.js';
import { ensureWritableDir, writeFileAtomic } from '../util/fs.js';
import { addDataOptions, dataLoadOptions, type DataFlags } from './options.js';

interface EvaluateFlags extends DataFlags {
  model: string;
  data: string;
  split?: string;
  out?: string;
  json?: boolean;
  force?: boolean;
  labelMap: 'name' | 'id';
  topErrors: string;
  trainingLog?: string;
  title?: string;
  batchSize: string;
  maxLength?: string;
}

function int(value: string, flag: string, min: number, max: number): number {
  const v = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new LenguaError(`${flag} must be a whole number in [${min}, ${max}], got ${JSON.stringify(value)}`, { field: flag });
  }
  return v;
}

/** The training log to draw learning curves from: given, or log.jsonl in the model folder or (for a checkpoint) its parent. */
function findTrainingLog(given: string | undefined, modelDir: string | undefined): string | undefined {
  if (given !== undefined) {
    if (!existsSync(given)) throw new LenguaError('training log not found', { file: given, field: '--training-log' });
    return given;
  }
  if (modelDir === undefined) return undefined;
  for (const p of [join(modelDir, 'log.jsonl'), ...(/^checkpoint-\d+$/.test(basename(modelDir)) ? [join(dirname(modelDir), 'log.jsonl')] : [])]) {
    if (existsSync(p)) return p;
  }
  return undefined;
}

const SPLIT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export async function runEvaluate(flags: EvaluateFlags, write: (s: string) => void): Promise<void> {
  const topErrors = int(flags.topErrors, '--top-errors', 0, 100_000);
  const batchSize = int(flags.batchSize, '--batch-size', 1, 4096);
  const maxLength = flags.maxLength === undefined ? undefined : int(flags.maxLength, '--max-length', 1, 1_000_000);
  if (flags.split !== undefined && !SPLIT_NAME.test(flags.split)) {
    throw new LenguaError(`--split must be a short name (letters, digits, _ . -), got ${JSON.stringify(flags.split)}`, { field: '--split' });
  }
  const inferred = inferSplit(flags.data);
  const split = flags.split ?? inferred ?? 'unspecified';
  const clf = await loadClassifier(flags.model, { batchSize, ...(maxLength !== undefined ? { maxLength } : {}) });
  const ds = loadDataset(flags.data, dataLoadOptions(flags, { requireLabel: true }));
  // Before any prediction: a second look at a test set — by split name or by content — is refused, not merely recorded.
  const earlier = checkTestDiscipline(clf.dir, split, { force: flags.force === true, dataSha256: hashDataset(ds).dataSha256 });
  const out = resolve(flags.out ?? join(clf.dir ?? '.', `eval-${split}`));
  ensureWritableDir(out, '--out');
  const trainingLog = findTrainingLog(flags.trainingLog, clf.dir);
  const result = await evaluateClassifier(clf, ds, {
    split,
    labelMap: flags.labelMap,
    topErrors,
    ...(trainingLog !== undefined ? { trainingLog } : {}),
  });
  if (flags.split === undefined) result.splitSource = inferred !== null ? 'file name' : 'unknown';
  const summary = summarizeResult(result);
  writeFileAtomic(join(out, 'metrics.json'), JSON.stringify(summary, null, 2) + '\n');
  writeFileAtomic(join(out, 'predictions.jsonl'), result.predictions.map((p) => JSON.stringify({ split, ...p })).join('\n') + '\n');
  writeFileAtomic(join(out, 'report.html'), renderReport(result, { ...(flags.title !== undefined ? { title: flags.title } : {}) }));
  if (clf.dir !== undefined) recordEvaluation(clf.dir, result, { forced: earlier !== null, out });
  const unrecorded = clf.dir === undefined ? 'note: the model is not a local folder, so this evaluation is not recorded and a test split cannot be guarded\n' : '';
  if (flags.json) {
    if (unrecorded !== '') process.stderr.write(unrecorded);
    write(JSON.stringify({ ...summary, out }) + '\n');
    return;
  }
  const how = result.splitSource === 'given' ? 'given' : result.splitSource === 'file name' ? 'from the file name' : 'not stated; pass --split';
  write(`model: ${result.model.name} (${result.model.kind})\n`);
  write(`data:  ${result.dataFile} (sha256 ${result.dataSha256.slice(0, 16)}…), n = ${result.n}\n`);
  write(`split: ${split} (${how})\n`);
  write(unrecorded);
  if (earlier !== null) write(`note: the test split was evaluated before (${earlier.time}); --force given, recorded as forced\n`);
  const width = Math.max(...Object.keys(result.metrics).map((k) => k.length));
  for (const [k, v] of Object.entries(result.metrics)) {
    write(`${k.padEnd(width)}  [${split}]  ${v === null ? 'undefined' : v.toFixed(4)}\n`);
  }
  write(`wrote ${join(out, 'metrics.json')}, ${join(out, 'predictions.jsonl')}, ${join(out, 'report.html')}\n`);
}

export function register(program: Command): void {
  const cmd = program
    .command('evaluate')
    .description('score a classifier (transformer folder or baseline:DIR) on labelled data: metrics.json, predictions.jsonl and report.html')
    .requiredOption('--model <dir>', 'a sequence-classification folder, or baseline:DIR for a TF-IDF baseline folder')
    .requiredOption('--data <file>', 'labelled data (csv, tsv, jsonl, json, or X_text.txt with X_labels.txt)')
    .option('--split <name>', 'which split the data is: train, validation, test, ... (default: from the file name: test*, val*/dev*, train*)')
    .option('--out <dir>', 'output folder (default: <model>/eval-<split>)')
    .option('--json', 'print the metrics JSON instead of a table')
    .option('--force', 'evaluate a test split again although this model was already evaluated on one (recorded as forced)')
    .addOption(new Option('--label-map <mode>', "how data labels meet the model's: by name, or by id (the data's label order = the model's ids)").choices(['name', 'id']).default('name'))
    .option('--top-errors <n>', 'most confident errors to keep in the report', '20')
    .option('--training-log <file>', 'log.jsonl of the training run for learning curves (default: log.jsonl in the model folder or its parent for a checkpoint)')
    .option('--title <text>', 'report title')
    .option('--batch-size <n>', 'texts per forward pass (transformers)', '32')
    .option('--max-length <n>', 'truncate transformer inputs to this many tokens');
  addDataOptions(cmd, { parallelFiles: true });
  cmd.action(async (flags: EvaluateFlags) => {
    await runEvaluate(flags, (s) => process.stdout.write(s));
  });
}
