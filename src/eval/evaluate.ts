/**
 * `evaluateClassifier`: a classifier's predictions on a labelled dataset, every metric that applies
 * (src/metrics), per-class scores, confusion matrix, calibration bins, per-example predictions and
 * the most confident errors, all tagged with the split and the data file's hash.
 *
 * Held-out discipline: `evaluations.json` in a model folder records each evaluation; a second
 * evaluation of split `test` is refused (unless forced), naming the earlier one.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { LenguaError } from '../errors.js';
import type { Dataset } from '../data/index.js';
import { computeClassificationMetrics, type ReliabilityDiagram } from '../metrics/index.js';
import { writeFileAtomic } from '../util/fs.js';
import type { TextClassifier } from './classifier.js';

export type SplitName = 'train' | 'validation' | 'test' | (string & {});

export interface EvaluateOptions {
  /** Which split the data is. Default: from the file name ({@link inferSplit}). */
  split?: SplitName;
  /**
   * How dataset labels meet the model's labels: `'name'` (default) — each dataset label must be one of
   * the model's id2label names; `'id'` — the dataset's label ids (its label set order) are the model's ids.
   */
  labelMap?: 'name' | 'id';
  /** Most confident errors to keep. @defaultValue 20 */
  topErrors?: number;
  /** Calibration bins. @defaultValue 15 */
  nBins?: number;
  /** A name for the model in reports (default: the classifier's folder or kind). */
  modelName?: string;
  /** The training log (HF log_history JSONL) the report draws learning curves from. */
  trainingLog?: string;
  /** Texts per call to the classifier (bounds memory of long sets). @defaultValue 256 */
  chunkSize?: number;
}

export interface ExamplePrediction {
  index: number;
  /** Line of the example in its file. */
  line: number;
  text: string;
  textPair?: string;
  label: string;
  predicted: string;
  /** Probability of the predicted class. */
  confidence: number;
  probabilities: Record<string, number>;
}

export interface EvaluationResult {
  /** The split every number here comes from. */
  split: SplitName;
  /** How the split was decided: given, or read from the file name. */
  splitSource: 'given' | 'file name' | 'unknown';
  dataFile: string;
  /** sha256 of the data file (for parallel files: of the text file, then the labels file). */
  dataSha256: string;
  dataFiles: Array<{ path: string; sha256: string }>;
  model: { name: string; kind: string; dir?: string };
  createdAt: string;
  n: number;
  /** The model's labels, in id order. */
  labels: string[];
  /** Flat metric names (accuracy, macro_f1, macro_recall, log_loss, roc_auc, ece, ...). */
  metrics: Record<string, number | null>;
  perClass: Array<{ label: string; precision: number; recall: number; f1: number; support: number }>;
  confusionMatrix: { labels: string[]; matrix: number[][] };
  reliability: ReliabilityDiagram;
  predictions: ExamplePrediction[];
  mostConfidentErrors: ExamplePrediction[];
  warnings: string[];
  trainingLog?: string;
}

/**
 * The split a file name says: a word starting with `test` → test; the word `val`, `valid`, `validation`,
 * `dev`, `development` or `eval` → validation; a word starting with `train` → train; else null.
 * Words are the runs of letters of the base name (`sst2_test.tsv` → sst, test, tsv).
 */
export function inferSplit(file: string): SplitName | null {
  const name = basename(file).toLowerCase();
  const words = name.split(/[^a-z]+/).filter(Boolean);
  const has = (re: RegExp): boolean => words.some((w) => re.test(w));
  if (has(/^test/)) return 'test';
  // Whole words only for these: 'valores.csv' or 'devices.csv' are not validation data.
  if (has(/^(val|valid|validation|dev|development|eval)$/)) return 'validation';
  if (has(/^train/)) return 'train';
  return null;
}

const HASH_MAX_BYTES = 4 * 1024 * 1024 * 1024;

export function sha256File(path: string): string {
  const size = statSync(path).size;
  if (size > HASH_MAX_BYTES) throw new LenguaError(`file is ${size} bytes, more than the ${HASH_MAX_BYTES} this hashes`, { file: path });
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** The files a dataset was read from, hashed; and one hash for all of them. */
export function hashDataset(ds: Dataset): { dataSha256: string; dataFiles: Array<{ path: string; sha256: string }> } {
  const paths = [ds.path, ...(ds.labelsFile !== undefined ? [ds.labelsFile] : [])];
  const dataFiles = paths.map((p) => ({ path: resolve(p), sha256: sha256File(p) }));
  const dataSha256 = dataFiles.length === 1 ? dataFiles[0]!.sha256 : createHash('sha256').update(dataFiles.map((f) => f.sha256).join('\n')).digest('hex');
  return { dataSha256, dataFiles };
}

/** Dataset label → model class id, or an error naming every dataset label the model lacks. */
function labelMapping(ds: Dataset, clf: TextClassifier, mode: 'name' | 'id'): (label: string) => number {
  const modelNames = Object.keys(clf.id2label).map(Number).sort((a, b) => a - b).map((k) => clf.id2label[k]!);
  if (mode === 'id') {
    const dataNames = ds.labels.names;
    if (dataNames.length > modelNames.length) {
      throw new LenguaError(`the data has ${dataNames.length} labels (${dataNames.join(', ')}) but the model only ${modelNames.length} (${modelNames.join(', ')})`, { file: ds.path, field: 'label' });
    }
    return (label) => ds.labels.encode(label);
  }
  const index = new Map(modelNames.map((n, i) => [n, i]));
  const used = new Set<string>();
  for (const e of ds.examples) if (typeof e.label === 'string') used.add(e.label);
  const unknown = [...used].filter((l) => !index.has(l)).sort();
  if (unknown.length > 0) {
    throw new LenguaError(
      `data labels ${unknown.map((l) => JSON.stringify(l)).join(', ')} are not among the model's labels (${modelNames.join(', ')}); ` +
        `if the data's label ids (order: ${ds.labels.names.join(', ')}) are the model's ids, map by id (labelMap 'id', --label-map id)`,
      { file: ds.path, field: 'label' },
    );
  }
  return (label) => index.get(label)!;
}

export async function evaluateClassifier(clf: TextClassifier, ds: Dataset, opts: EvaluateOptions = {}): Promise<EvaluationResult> {
  if (clf.multiLabel === true || ds.multiLabel) {
    throw new LenguaError('multi-label evaluation is not supported here yet: the model or the data has several labels per example', { file: ds.path });
  }
  if (ds.examples.length === 0) throw new LenguaError('no examples to evaluate', { file: ds.path });
  const topErrors = opts.topErrors ?? 20;
  if (!Number.isSafeInteger(topErrors) || topErrors < 0 || topErrors > 100_000) throw new LenguaError(`topErrors must be in [0, 100000], got ${topErrors}`, { field: 'topErrors' });
  const chunk = opts.chunkSize ?? 256;
  const inferred = inferSplit(ds.path);
  const split: SplitName = opts.split ?? inferred ?? 'unspecified';
  const splitSource: EvaluationResult['splitSource'] = opts.split !== undefined ? 'given' : inferred !== null ? 'file name' : 'unknown';
  const toId = labelMapping(ds, clf, opts.labelMap ?? 'name');
  const ids = Object.keys(clf.id2label).map(Number).sort((a, b) => a - b);
  if (ids.some((k, i) => k !== i)) throw new LenguaError(`the model's label ids must be 0..${ids.length - 1}, got ${ids.join(', ')}`, { field: 'id2label' });
  const names = ids.map((k) => clf.id2label[k]!);
  const gold = ds.examples.map((e) => {
    if (typeof e.label !== 'string') throw new LenguaError('example without a label', { file: e.source.file, line: e.source.line, field: 'label' });
    return toId(e.label);
  });
  const pairs = ds.examples.some((e) => e.textPair !== undefined);
  const proba: number[][] = [];
  for (let i = 0; i < ds.examples.length; i += chunk) {
    const part = ds.examples.slice(i, i + chunk);
    const rows = await clf.predictProba(part.map((e) => e.text), pairs ? part.map((e) => e.textPair ?? '') : undefined);
    if (rows.length !== part.length || rows.some((r) => r.length !== names.length || r.some((p) => !Number.isFinite(p)))) {
      throw new LenguaError(`the classifier returned malformed probabilities (expected ${part.length} rows of ${names.length} finite numbers)`);
    }
    proba.push(...rows);
  }
  const pred = proba.map((r) => r.reduce((b, p, k) => (p > r[b]! ? k : b), 0));
  const m = computeClassificationMetrics(gold, pred, { probabilities: proba, labels: ids, ...(opts.nBins !== undefined ? { nBins: opts.nBins } : {}) });
  const p = m.probability!;
  const metrics: Record<string, number | null> = {
    accuracy: m.accuracy,
    macro_precision: m.macro.precision,
    macro_recall: m.macroRecall,
    macro_f1: m.macro.f1,
    micro_f1: m.micro.f1,
    weighted_precision: m.weighted.precision,
    weighted_recall: m.weighted.recall,
    weighted_f1: m.weighted.f1,
    mcc: m.mcc,
    kappa: Number.isNaN(m.kappa) ? null : m.kappa,
    log_loss: p.logLoss,
    brier: p.brier,
    ...(p.brierBinary !== null ? { brier_binary: p.brierBinary } : {}),
    ece: p.ece,
    roc_auc: p.rocAuc,
    roc_auc_weighted: p.rocAucWeighted,
  };
  const predictions: ExamplePrediction[] = ds.examples.map((e, i) => ({
    index: i,
    line: e.source.line,
    text: e.text,
    ...(e.textPair !== undefined ? { textPair: e.textPair } : {}),
    label: names[gold[i]!]!,
    predicted: names[pred[i]!]!,
    confidence: proba[i]![pred[i]!]!,
    probabilities: Object.fromEntries(names.map((n, k) => [n, proba[i]![k]!])),
  }));
  const mostConfidentErrors = predictions
    .filter((x) => x.label !== x.predicted)
    .sort((a, b) => b.confidence - a.confidence || a.index - b.index)
    .slice(0, topErrors);
  const hashes = hashDataset(ds);
  const dir = clf.dir;
  return {
    split,
    splitSource,
    dataFile: resolve(ds.path),
    ...hashes,
    model: { name: opts.modelName ?? dir ?? clf.kind ?? 'model', kind: clf.kind ?? 'classifier', ...(dir !== undefined ? { dir } : {}) },
    createdAt: new Date().toISOString(),
    n: gold.length,
    labels: names,
    metrics,
    perClass: m.perClass.map((c) => ({ label: names[c.label as number]!, precision: c.precision, recall: c.recall, f1: c.f1, support: c.support })),
    confusionMatrix: { labels: names, matrix: m.confusionMatrix.matrix },
    reliability: p.reliability,
    predictions,
    mostConfidentErrors,
    warnings: m.warnings,
    ...(opts.trainingLog !== undefined ? { trainingLog: resolve(opts.trainingLog) } : {}),
  };
}

/** One line of `evaluations.json`. */
export interface EvaluationRecord {
  split: string;
  dataFile: string;
  dataSha256: string;
  time: string;
  n: number;
  forced?: boolean;
  out?: string;
  metrics?: Record<string, number | null>;
}

export const EVALUATIONS_FILE = 'evaluations.json';
const MAX_RECORDS_BYTES = 64 * 1024 * 1024;

export function readEvaluations(modelDir: string): EvaluationRecord[] {
  const file = join(modelDir, EVALUATIONS_FILE);
  if (!existsSync(file)) return [];
  if (statSync(file).size > MAX_RECORDS_BYTES) throw new LenguaError(`more than ${MAX_RECORDS_BYTES} bytes`, { file });
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new LenguaError(`invalid JSON: ${(err as Error).message}`, { file }, { cause: err });
  }
  const list = (json as { evaluations?: unknown } | null)?.evaluations;
  if (!Array.isArray(list)) throw new LenguaError('expected {"evaluations": [...]}', { file, field: 'evaluations' });
  return list as EvaluationRecord[];
}

/**
 * Refuses a second look at a test set unless `force`, naming the earlier one: a held-out test set
 * measures a model once, at the end; looking again turns it into a validation set. The record is keyed
 * by content as well as by name: data whose sha256 matches an earlier test evaluation is that test set,
 * whatever `split` says now or whatever the file is called.
 */
export function checkTestDiscipline(modelDir: string | undefined, split: string, opts: { force?: boolean; dataSha256?: string } = {}): EvaluationRecord | null {
  if (modelDir === undefined) return null;
  const tests = readEvaluations(modelDir).filter((r) => r.split === 'test');
  const earlier = split === 'test' ? tests[0] : tests.find((r) => opts.dataSha256 !== undefined && r.dataSha256 === opts.dataSha256);
  if (earlier === undefined) return null;
  if (opts.force === true) return earlier;
  const same = opts.dataSha256 !== undefined && earlier.dataSha256 === opts.dataSha256;
  const what = split === 'test' ? "this model's test split was already evaluated" : `this data (split "${split}") is the test set this model was already evaluated on (same sha256)`;
  throw new LenguaError(
    `${what} on ${earlier.time} (${earlier.dataFile}, sha256 ${earlier.dataSha256.slice(0, 12)}…, ${earlier.n} examples${same && split === 'test' ? ', the same content' : ''}). ` +
      'A held-out test set is evaluated once, at the end; select models on validation data. Pass --force (force: true) to evaluate it again anyway; the record will say so.',
    { file: join(modelDir, EVALUATIONS_FILE), field: 'split' },
  );
}

/** Appends an evaluation to the model folder's `evaluations.json`. */
export function recordEvaluation(
  modelDir: string,
  // Only what the record keeps, so that an encoder-decoder's evaluation (src/eval/seq2seq.ts) is recorded the same way.
  result: Pick<EvaluationResult, 'split' | 'dataFile' | 'dataSha256' | 'createdAt' | 'n'> & { metrics: Record<string, number | null> },
  extra: { forced?: boolean; out?: string } = {}): void {
  const list = readEvaluations(modelDir);
  const rec: EvaluationRecord = {
    split: result.split,
    dataFile: result.dataFile,
    dataSha256: result.dataSha256,
    time: result.createdAt,
    n: result.n,
    ...(extra.forced === true ? { forced: true } : {}),
    ...(extra.out !== undefined ? { out: resolve(extra.out) } : {}),
    metrics: result.metrics,
  };
  list.push(rec);
  writeFileAtomic(join(modelDir, EVALUATIONS_FILE), JSON.stringify({ evaluations: list }, null, 2) + '\n');
}

/** The result without per-example predictions: what `metrics.json` holds. */
export function summarizeResult(result: EvaluationResult): Omit<EvaluationResult, 'predictions'> {
  const { predictions, ...rest } = result;
  void predictions;
  return rest;
}
