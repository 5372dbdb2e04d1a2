import { Command } from 'commander';
import { extname, join } from 'node:path';
import { availableParallelism } from 'node:os';
import { parse as parseYaml } from 'yaml';
import { LenguaError } from '../errors.js';
import type { Device } from '../torch/index.js';
import { ensureWritableDir, writeFileAtomic } from '../util/fs.js';
import { loadDataset, type Dataset } from '../data/index.js';
import { coerceArgument, readArgumentsFile, readConfigText, type TrainingArguments } from '../train/arguments.js';
import { BASELINE_MODEL, baselineRunner, checkBaselineConfig } from '../train/baseline-runner.js';
import { TRANSFORMER_KEYS, transformerRunner } from '../train/transformer-runner.js';
import { crossValidate, formatCvTable } from '../train/cv.js';
import { poolDatasets, refuseTestFile, sharedLabels, type TrialRunner } from '../train/trial.js';
import { evaluateClassifier } from '../eval/evaluate.js';
import { renderReport } from '../eval/report/index.js';
import type { TextClassifier } from '../eval/classifier.js';
import { argumentOption, kebab } from './options.js';

/**
 * The out-of-fold predictions as a classifier for the evaluation report: it hands back, in order, the
 * rows for the examples it is asked about (evaluateClassifier walks the dataset in order), and checks
 * that the texts are the ones the rows belong to.
 */
function outOfFoldClassifier(ds: Dataset, rows: number[][], kind: string): TextClassifier {
  let cursor = 0;
  return {
    id2label: ds.labels.id2label,
    kind,
    predictProba(texts) {
      const out = rows.slice(cursor, cursor + texts.length);
      texts.forEach((t, j) => {
        if (ds.examples[cursor + j]?.text !== t) throw new LenguaError('out-of-fold predictions out of step with the data');
      });
      cursor += texts.length;
      return Promise.resolve(out);
    },
  };
}

/** Flags shared by `lengua cv` and `lengua search`. */
export interface SelectionFlags {
  model: string;
  train: string;
  eval?: string;
  config?: string;
  seed: string;
  metric?: string;
  out?: string;
  json?: boolean;
  [trainingArgument: string]: unknown;
}

/**
 * The training-argument flags, written as `lengua train` writes them: every TrainingArguments field a
 * trial can take (all but outputDir and resumeFromCheckpoint) except seed (`--seed` is shared);
 * booleans may stand alone (`--group-by-length`).
 */
export function addTrainingArgumentFlags(cmd: Command): Command {
  for (const key of TRANSFORMER_KEYS) {
    if (key === 'seed') continue;
    cmd.addOption(argumentOption(key as keyof TrainingArguments).helpGroup('Training arguments (transformer models; also keys of --config; runs default to --save-strategy no --quiet, search trials to --eval-strategy epoch, CV folds to one evaluation at the end):'));
  }
  return cmd;
}

export function addSelectionFlags(cmd: Command): Command {
  return cmd
    .requiredOption('--model <ref>', `a model folder or Hub id to fine-tune, or ${BASELINE_MODEL}`)
    .requiredOption('--train <file>', 'training data (never a test split)')
    .option('--config <file>', 'hyperparameters as JSON or YAML: TrainingArguments fields, or the baseline options (C, wordNgrams, charNgrams, minDf, ...)')
    .option('--seed <n>', 'seed of folds / sampling, and the training seed unless the config sets one', '42')
    .option('--metric <name>', 'the validation metric to report first / select on, e.g. eval_macro_recall, eval_macro_f1, eval_loss')
    .option('--json', 'print the result as JSON')
    .option('--device <device>', 'transformer models: cpu (default) or cuda[:n]')
    .option('--threads <n>', 'transformer models: libtorch CPU threads (default: the number of cores)');
}

function readPlainConfig(path: string): Record<string, unknown> {
  const text = readConfigText(path);
  let data: unknown;
  try {
    data = ['.yaml', '.yml'].includes(extname(path).toLowerCase()) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new LenguaError(`cannot parse the config: ${(err as Error).message}`, { file: path }, { cause: err });
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new LenguaError('a config file must hold an object', { file: path });
  return data as Record<string, unknown>;
}

export function isBaseline(model: string): boolean {
  return model === BASELINE_MODEL;
}

/** The runner and the configuration every trial starts from: the config file, then the flags, then --seed if nothing set a seed. */
export function runnerAndConfig(flags: SelectionFlags): { runner: TrialRunner; config: Record<string, unknown> } {
  const seed = parseInt(flags.seed, 'seed');
  const given = TRANSFORMER_KEYS.filter((k) => k !== 'seed' && flags[k] !== undefined);
  if (isBaseline(flags.model)) {
    for (const f of ['device', 'threads']) if (flags[f] !== undefined) throw new LenguaError(`--${f} applies to transformer models only`, { field: f });
    if (given.length > 0) throw new LenguaError(`--${kebab(given[0]!)} is a training argument of transformer models; ${BASELINE_MODEL} takes its options from --config`, { field: given[0] });
    const config = flags.config === undefined ? {} : readPlainConfig(flags.config);
    checkBaselineConfig(config, flags.config);
    return { runner: baselineRunner(), config: { seed, ...config } };
  }
  const config: Record<string, unknown> = flags.config === undefined ? {} : { ...readArgumentsFile(flags.config) };
  for (const k of given) {
    try {
      config[k] = coerceArgument(k as keyof TrainingArguments, flags[k]);
    } catch (err) {
      if (err instanceof LenguaError) throw new LenguaError(`--${kebab(k)}: ${err.message.replace(/^field "[^"]+": /u, '')}`, {}, { cause: err });
      throw err;
    }
  }
  config.seed ??= seed;
  const threads = flags.threads !== undefined ? parseInt(flags.threads as string, 'threads') : availableParallelism();
  if (threads < 1) throw new LenguaError(`--threads must be a positive integer, got ${threads}`, { field: 'threads' });
  return { runner: transformerRunner(flags.model, { threads, ...(flags.device !== undefined ? { device: flags.device as Device } : {}) }), config };
}

export function parseInt(v: string, field: string): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new LenguaError(`--${field} must be an integer, got ${JSON.stringify(v)}`, { field });
  return n;
}

/** Loads the training file (and the validation file), refusing any file named like a test split. */
export function loadTrainEval(train: string, evalFile: string | undefined): { train: Dataset; validation?: Dataset } {
  refuseTestFile(train, 'train');
  if (evalFile !== undefined) refuseTestFile(evalFile, 'eval');
  const t = loadDataset(train);
  if (evalFile === undefined) return { train: t };
  const v = loadDataset(evalFile);
  const labels = sharedLabels(t, v);
  return { train: { ...t, labels }, validation: { ...v, labels } };
}

interface CvFlags extends SelectionFlags {
  folds: string;
}

export async function runCv(flags: CvFlags, out: (s: string) => void, err: (s: string) => void): Promise<void> {
  const k = parseInt(flags.folds, 'folds');
  // Before k fits: the output folder must take files.
  if (flags.out !== undefined) ensureWritableDir(flags.out, '--out');
  const { runner, config } = runnerAndConfig(flags);
  const { train, validation } = loadTrainEval(flags.train, flags.eval);
  // Train + validation pooled: CV replaces the single validation split with k of them.
  const pool = poolDatasets(train, validation);
  // One evaluation per fold, at the end, is all CV needs (nothing is pruned); --eval-strategy still overrides.
  if (!isBaseline(flags.model)) config.evalStrategy ??= 'no';
  const result = await crossValidate(pool, {
    k,
    seed: parseInt(flags.seed, 'seed'),
    runner,
    config,
    ...(flags.metric !== undefined ? { metric: flags.metric } : {}),
    ...(flags.out !== undefined ? { workDir: join(flags.out, 'folds') } : {}),
    log: flags.json ? undefined : err,
    outOfFold: flags.out !== undefined,
  });
  const { outOfFold, ...summary } = result;
  const written: string[] = [];
  if (flags.out !== undefined && outOfFold !== undefined) {
    writeFileAtomic(join(flags.out, 'cv-results.json'), `${JSON.stringify(summary, null, 2)}\n`);
    // The report's headline numbers are over every example, each predicted by the fold model that did not train on it.
    const split = 'cross-validation (out-of-fold)';
    const hashed = validation === undefined ? pool : { ...pool, path: train.path, labelsFile: validation.path };
    const evaluation = await evaluateClassifier(outOfFoldClassifier(pool, outOfFold, runner.model), hashed, { split, modelName: runner.model });
    const html = renderReport(evaluation, {
      title: `${k}-fold cross-validation of ${runner.model} on ${validation === undefined ? 'train' : 'train + validation'}`,
      cv: { folds: result.folds.map((f) => f.metrics), split: '(each fold\'s validation part)', note: `${result.note} Folds seeded with ${result.seed}.`, metric: result.metric },
      splitOrigin: `set by lengua cv, not by the user or the file name: each of the ${pool.examples.length} examples is predicted by the fold model that did not train on it`,
    });
    writeFileAtomic(join(flags.out, 'cv-report.html'), html);
    written.push(join(flags.out, 'cv-results.json'), join(flags.out, 'cv-report.html'));
  }
  out(flags.json ? JSON.stringify(summary, null, 2) : formatCvTable(result) + (written.length > 0 ? `\nwritten: ${written.join(', ')}` : ''));
}

export function register(program: Command): void {
  const cmd = program
    .command('cv')
    .description('stratified k-fold cross-validation on train (+ --eval pooled in): per-fold metrics, mean and sample std; never reads a test split');
  addSelectionFlags(cmd)
    .option('--eval <file>', 'validation data, pooled with --train before folding')
    .option('--folds <k>', 'number of folds', '5')
    .option('--out <dir>', 'write cv-results.json (and fold scratch folders) here');
  addTrainingArgumentFlags(cmd);
  cmd.action(async (flags: CvFlags) => {
    await runCv(flags, (s) => process.stdout.write(`${s}\n`), (s) => process.stderr.write(`${s}\n`));
  });
}
