/**
 * What a pushed folder holds: which of its files become the version, what kind of folder it is, and the
 * facts the manifest records — the model (config.json), its training (training_args.json, trainer_state.json,
 * *_results.json), its evaluations (evaluations.json and eval-* folders of `lengua evaluate`) and the data
 * fingerprints those recorded.
 *
 * Left out of a version: hidden entries (locks, temporaries), `checkpoint-N/` folders (resumable training
 * state; the final model is beside them), and in `eval-*` folders everything but metrics.json —
 * predictions.jsonl and report.html hold the evaluation texts themselves, which are data, not model.
 * Files are read through hub's openModelFile, so a link out of the folder is refused as everywhere else.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LenguaError } from '../errors.js';
import { pipelineTaskOfArchitecture, readConfigJson, readModelText } from '../hub/index.js';
import type { DataFingerprint, EvaluationSummary, Json, Manifest, SourceKind } from './manifest.js';
import { safeRelativePath } from './manifest.js';

/** A file of a pushed folder: its path in the version and the folder it is read from. */
export interface FolderFile {
  /** Path in the version ('/'-separated). */
  path: string;
  /** The folder it is read from and its path there (usually the same path). */
  dir: string;
  name: string;
}

export interface FolderListing {
  files: FolderFile[];
  /** Left out, and why (shown by the CLI). */
  skipped: Array<{ path: string; why: string }>;
}

/** A line in the head of every model card this registry writes: a pulled folder pushed again gets a fresh card. */
export const CARD_MARKER = '<!-- lengua-registry model card: written from the manifest; edits are not kept -->';
export const CARD_PATH = 'README.md';
/** Where a folder's own README.md goes in the version (README.md is the card). */
export const SOURCE_README = 'README.source.md';

const MAX_FILES = 10_000;
const MAX_DEPTH = 16;
const MAX_JSON_BYTES = 16 * 1024 * 1024;

/** The files of `dir` that make the version. */
export function listFolder(dir: string): FolderListing {
  const files: FolderFile[] = [];
  const skipped: FolderListing['skipped'] = [];
  const walk = (rel: string, depth: number): void => {
    const abs = rel === '' ? dir : join(dir, rel);
    for (const e of readdirSync(abs, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.name.startsWith('.')) continue;
      let isDir = e.isDirectory();
      if (e.isSymbolicLink()) {
        try {
          isDir = statSync(join(abs, e.name)).isDirectory();
        } catch {
          skipped.push({ path, why: 'a dangling link' });
          continue;
        }
        // Links to folders could loop; a model folder has none (a Hub cache snapshot links files only).
        if (isDir) {
          skipped.push({ path, why: 'a link to a folder' });
          continue;
        }
      }
      if (isDir) {
        if (rel === '' && /^checkpoint-\d+$/.test(e.name)) {
          skipped.push({ path: `${path}/`, why: 'a training checkpoint (resumable state); the final model is kept' });
          continue;
        }
        if (depth >= MAX_DEPTH) throw new LenguaError(`folders nested deeper than ${MAX_DEPTH}`, { file: join(abs, e.name) });
        walk(path, depth + 1);
        continue;
      }
      if (!e.isFile() && !e.isSymbolicLink()) {
        skipped.push({ path, why: 'not a regular file' });
        continue;
      }
      if (/^eval-[^/]+$/.test(rel) && e.name !== 'metrics.json') {
        skipped.push({ path, why: 'evaluation texts (data, not model); metrics.json is kept' });
        continue;
      }
      if (!safeRelativePath(path)) {
        skipped.push({ path, why: 'a name the registry cannot store (control characters or backslashes)' });
        continue;
      }
      if (path === CARD_PATH) {
        if ((readModelText(dir, CARD_PATH, 1 << 24) ?? '').slice(0, 4096).includes(CARD_MARKER)) {
          skipped.push({ path, why: 'a model card of this registry; written anew from the manifest' });
          continue;
        }
        files.push({ path: SOURCE_README, dir, name: path });
        continue;
      }
      files.push({ path, dir, name: path });
      if (files.length > MAX_FILES) throw new LenguaError(`more than ${MAX_FILES} files; is this a model folder?`, { file: dir });
    }
  };
  walk('', 0);
  if (files.some((f) => f.name === SOURCE_README) && files.some((f) => f.name === CARD_PATH)) {
    throw new LenguaError(`the folder has both README.md and ${SOURCE_README}; the version keeps README.md as ${SOURCE_README} (README.md is the model card): rename one`, { file: dir });
  }
  return { files: files.sort((a, b) => (a.path < b.path ? -1 : 1)), skipped };
}

/** The ONNX files of a listing. */
export function onnxFiles(files: readonly { path: string }[]): string[] {
  return files.filter((f) => /^onnx\/.+\.onnx$/.test(f.path)).map((f) => f.path);
}

/** What kind of folder `dir` is: an export (onnx/), a training folder (config.json and weights), a TF-IDF baseline. */
export function folderKind(dir: string, files: readonly FolderFile[]): SourceKind {
  const has = (p: string): boolean => files.some((f) => f.path === p);
  if (onnxFiles(files).length > 0) return 'exported';
  if (has('lengua-baseline.json')) return 'baseline';
  if (has('config.json')) return 'training';
  throw new LenguaError('not a model folder: no onnx/*.onnx, no config.json and no lengua-baseline.json', { file: dir });
}


function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A JSON file of the folder, or null when absent; malformed JSON is an error naming it. */
function readJson(dir: string, name: string): Json | null {
  const text = readModelText(dir, name, MAX_JSON_BYTES);
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as Json;
  } catch (err) {
    throw new LenguaError(`not valid JSON: ${(err as Error).message}`, { file: join(dir, name) }, { cause: err });
  }
}

/** The finite numbers of a flat results object. */
function numbers(json: Json | null): Record<string, number> | null {
  if (!isObject(json)) return null;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(json)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  return Object.keys(out).length > 0 ? out : null;
}

function labelsOf(id2label: unknown): string[] | null {
  if (!isObject(id2label)) return null;
  const ids = Object.keys(id2label).map(Number).filter(Number.isInteger).sort((a, b) => a - b);
  const names = ids.map((i) => id2label[String(i)]);
  return names.length > 0 && names.every((n) => typeof n === 'string') ? (names as string[]) : null;
}

function metricsOf(v: unknown): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  if (isObject(v)) for (const [k, x] of Object.entries(v)) if (x === null || (typeof x === 'number' && Number.isFinite(x))) out[k] = x;
  return out;
}

/** The evaluations recorded in a folder: evaluations.json, then eval-*\/metrics.json not already in it. */
function evaluationsOf(dir: string, files: readonly FolderFile[]): { evaluations: EvaluationSummary[]; data: DataFingerprint[] } {
  const evaluations: EvaluationSummary[] = [];
  const data: DataFingerprint[] = [];
  const seen = new Set<string>();
  const add = (e: Record<string, unknown>, where: string, dataFiles?: unknown): void => {
    if (typeof e.dataSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(e.dataSha256)) {
      throw new LenguaError('an evaluation without a dataSha256', { file: where, field: 'dataSha256' });
    }
    const time = typeof e.time === 'string' ? e.time : typeof e.createdAt === 'string' ? e.createdAt : '';
    const split = typeof e.split === 'string' ? e.split : 'unspecified';
    const key = `${split}\0${e.dataSha256}\0${time}`;
    if (seen.has(key)) return;
    seen.add(key);
    const dataFile = typeof e.dataFile === 'string' ? e.dataFile : '';
    const n = typeof e.n === 'number' ? e.n : 0;
    evaluations.push({ split, dataFile, dataSha256: e.dataSha256, n, time, ...(e.forced === true ? { forced: true } : {}), metrics: metricsOf(e.metrics) });
    const listed = Array.isArray(dataFiles) ? dataFiles.filter((f): f is { path: string; sha256: string } => isObject(f) && typeof f.path === 'string' && typeof f.sha256 === 'string') : [];
    if (listed.length > 1) for (const f of listed) data.push({ role: 'evaluation', split, path: f.path, sha256: f.sha256 });
    else data.push({ role: 'evaluation', split, path: dataFile, sha256: e.dataSha256, n });
  };
  const records = readJson(dir, 'evaluations.json');
  if (records !== null) {
    const list = isObject(records) ? records.evaluations : undefined;
    if (!Array.isArray(list)) throw new LenguaError('expected {"evaluations": [...]}', { file: join(dir, 'evaluations.json'), field: 'evaluations' });
    for (const r of list) if (isObject(r)) add(r, join(dir, 'evaluations.json'));
  }
  for (const f of files) {
    if (!/^eval-[^/]+\/metrics\.json$/.test(f.path)) continue;
    const m = readJson(dir, f.path);
    if (isObject(m)) add(m, join(dir, f.path), m.dataFiles);
  }
  return { evaluations, data };
}

/** A summary of trainer_state.json: the numbers that say where training ended (the log is in log.jsonl). */
function stateSummary(json: Json | null): Json {
  if (!isObject(json)) return null;
  const out: Record<string, Json> = {};
  for (const k of ['global_step', 'epoch', 'max_steps', 'num_train_epochs', 'train_batch_size', 'best_metric', 'best_model_checkpoint']) {
    const v = json[k];
    if (v !== undefined && (v === null || typeof v !== 'object')) out[k] = v;
  }
  return out;
}

/** The facts of the manifest that come from the folder (not the files list, the card or the version). */
export function describeFolder(dir: string, kind: SourceKind, files: readonly FolderFile[]): Pick<Manifest, 'model' | 'training' | 'metrics' | 'data'> {
  let config: Json = null;
  let model: Manifest['model'];
  if (kind === 'baseline') {
    const b = readJson(dir, 'lengua-baseline.json');
    model = { modelType: isObject(b) && typeof b.type === 'string' ? b.type : 'baseline', architecture: null, task: 'text-classification', labels: isObject(b) ? labelsOf(b.id2label) : null };
  } else {
    config = readConfigJson(dir).json as Json;
    const c = config as Record<string, unknown>;
    const arch = Array.isArray(c.architectures) && typeof c.architectures[0] === 'string' ? c.architectures[0] : null;
    model = { modelType: typeof c.model_type === 'string' ? c.model_type : null, architecture: arch, task: pipelineTaskOfArchitecture(arch), labels: labelsOf(c.id2label) };
  }
  const all = readJson(dir, 'all_results.json');
  const training = numbers(all) ?? (() => {
    const merged = { ...numbers(readJson(dir, 'train_results.json')), ...numbers(readJson(dir, 'eval_results.json')) };
    return Object.keys(merged).length > 0 ? merged : null;
  })();
  const { evaluations, data } = evaluationsOf(dir, files);
  return {
    model,
    training: { config, args: readJson(dir, 'training_args.json'), state: stateSummary(readJson(dir, 'trainer_state.json')) },
    metrics: { training, evaluations },
    data,
  };
}
