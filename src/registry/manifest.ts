/**
 * The manifest of one model version: what files it has (path, sha256, size), what model it is, how it
 * was trained (config.json, training_args.json, the trainer state), what it scored (training results and
 * every `lengua evaluate` recorded in the folder), which data it met (sha256 fingerprints) and its ONNX
 * export. Written once, when the version is pushed; never changed afterwards.
 *
 * A manifest read back is checked field by field before anything uses it: materialize writes files at
 * the paths it names, so a path that leaves the folder must never get through.
 */
import semver from 'semver';
import { LenguaError } from '../errors.js';

export const MANIFEST_FORMAT = 'lengua-registry/manifest@1';
export const STAGE_FORMAT = 'lengua-registry/stage@1';
export const REGISTRY_FORMAT = 'lengua-registry@1';

export const STAGES = ['staging', 'production'] as const;
export type Stage = (typeof STAGES)[number];

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface ManifestFile {
  /** Relative, '/'-separated. */
  path: string;
  /** sha256 of the file's bytes (hex); also the blob's address. */
  sha256: string;
  size: number;
}

/** A data file the model met, by content. */
export interface DataFingerprint {
  /** What the data was to the model: `evaluation`, or `given at push` for `--data` files. */
  role: string;
  /** The split as recorded (train, validation, test, ...), when known. */
  split?: string;
  /** The path recorded when it was hashed (on the machine that hashed it). */
  path: string;
  sha256: string;
  /** Examples, when known. */
  n?: number;
}

/** One `lengua evaluate` of the model, as recorded in its folder. */
export interface EvaluationSummary {
  split: string;
  dataFile: string;
  dataSha256: string;
  n: number;
  time: string;
  forced?: boolean;
  metrics: Record<string, number | null>;
}

export type SourceKind = 'exported' | 'training' | 'baseline';

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  name: string;
  version: string;
  createdAt: string;
  notes?: string;
  source: {
    kind: SourceKind;
    /** The pushed folder, as given on the pushing machine. */
    path: string;
    /** True when push exported the training folder to ONNX itself. */
    exportedOnPush: boolean;
  };
  model: {
    modelType: string | null;
    architecture: string | null;
    /** The pipeline task the model serves (from its architecture), when known. */
    task: string | null;
    /** Label names in id order, when the model has a label head. */
    labels: string[] | null;
  };
  /** Every file of the version, sorted by path; the model card (README.md) among them. */
  files: ManifestFile[];
  /** The ONNX files among `files`. */
  onnx: string[];
  /** What the export on push reported. */
  export?: { task?: string; opset?: number; maxAbsDiff?: number; atol?: number };
  training: {
    /** config.json. */
    config: Json;
    /** training_args.json (transformers' names). */
    args: Json;
    /** A summary of trainer_state.json (the log history stays in log.jsonl among the files). */
    state: Json;
  };
  metrics: {
    /** all_results.json, or train_results.json with eval_results.json. */
    training: Record<string, number> | null;
    evaluations: EvaluationSummary[];
  };
  data: DataFingerprint[];
  /** The path of the model card among the files. */
  card: string;
  /** HMAC of the manifest in an encrypted registry. */
  mac?: string;
}

/** Model names: what the server accepts in routes. */
export const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function checkName(name: string, field = 'name'): void {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new LenguaError(`model name ${JSON.stringify(String(name).slice(0, 200))} must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit`, { field });
  }
}

/** A version: full semver without build metadata (semver orders 1.0.0+a and 1.0.0+b equal, so they could not be told apart). */
export function checkVersion(version: string, field = 'version'): string {
  if (typeof version !== 'string' || version.length > 128 || semver.valid(version) !== version || version.includes('+')) {
    throw new LenguaError(`version ${JSON.stringify(String(version).slice(0, 200))} must be semver MAJOR.MINOR.PATCH (a -prerelease is allowed, +build metadata is not)`, { field });
  }
  return version;
}

/** A file path inside a version: relative, no empty, '.', '..' or hidden segment, no backslash or control character. */
export function safeRelativePath(p: unknown): p is string {
  if (typeof p !== 'string' || p.length === 0 || p.length > 1024) return false;
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (/[\\\0-\x1f\x7f]/.test(p)) return false;
  return p.split('/').every((s) => s.length > 0 && s.length <= 255 && !s.startsWith('.'));
}

const SHA256 = /^[0-9a-f]{64}$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Checks a manifest read from the store. `where` names the file in errors; `name` and `version` are what
 * its key says, and must be what it says.
 */
export function checkManifest(json: unknown, where: string, name: string, version: string): Manifest {
  const bad = (field: string, what: string): never => {
    throw new LenguaError(`not a valid manifest: ${what}`, { file: where, field });
  };
  if (!isObject(json)) return bad('', 'expected a JSON object');
  if (json.format !== MANIFEST_FORMAT) bad('format', `expected ${JSON.stringify(MANIFEST_FORMAT)}, got ${JSON.stringify(json.format)}`);
  if (json.name !== name) bad('name', `says ${JSON.stringify(json.name)} but is stored as ${name}`);
  if (json.version !== version) bad('version', `says ${JSON.stringify(json.version)} but is stored as ${version}`);
  if (!Array.isArray(json.files)) return bad('files', 'expected an array');
  const seen = new Set<string>();
  json.files.forEach((f: unknown, i: number) => {
    if (!isObject(f)) return bad(`files[${i}]`, 'expected an object');
    if (!safeRelativePath(f.path)) bad(`files[${i}].path`, `unsafe or invalid path ${JSON.stringify(f.path)}`);
    if (seen.has((f.path as string).toLowerCase())) bad(`files[${i}].path`, `path ${JSON.stringify(f.path)} appears twice`);
    seen.add((f.path as string).toLowerCase());
    if (typeof f.sha256 !== 'string' || !SHA256.test(f.sha256)) bad(`files[${i}].sha256`, 'expected 64 lowercase hex digits');
    if (!Number.isSafeInteger(f.size) || (f.size as number) < 0) bad(`files[${i}].size`, 'expected a byte count');
  });
  // A file and a folder of the same name cannot both be written.
  for (const p of seen) {
    const parts = p.split('/');
    for (let k = 1; k < parts.length; k++) if (seen.has(parts.slice(0, k).join('/'))) bad('files', `${parts.slice(0, k).join('/')} is both a file and a folder`);
  }
  if (!Array.isArray(json.onnx) || json.onnx.some((p) => typeof p !== 'string')) bad('onnx', 'expected an array of paths');
  if (typeof json.card !== 'string') bad('card', 'expected a path');
  if (!isObject(json.model)) bad('model', 'expected an object');
  if (!isObject(json.source)) bad('source', 'expected an object');
  if (!isObject(json.metrics) || !Array.isArray((json.metrics as Record<string, unknown>).evaluations)) bad('metrics', 'expected {training, evaluations}');
  if (!Array.isArray(json.data)) bad('data', 'expected an array');
  if (!isObject(json.training)) bad('training', 'expected an object');
  if (typeof json.createdAt !== 'string') bad('createdAt', 'expected a time');
  return json as unknown as Manifest;
}

/** A stage pointer with its history. */
export interface StageState {
  format: typeof STAGE_FORMAT;
  name: string;
  stage: Stage;
  /** The version the stage points to now, or null (every version rolled back). */
  version: string | null;
  /** The versions it pointed to before, oldest first: rollback goes back to the last. */
  previous: string[];
  /** What happened, oldest first (bounded). */
  log: Array<{ at: string; action: 'promote' | 'rollback'; version: string | null; from: string | null }>;
  mac?: string;
}

export const MAX_STAGE_HISTORY = 100;
export const MAX_STAGE_LOG = 500;

export function checkStage(json: unknown, where: string, name: string, stage: Stage): StageState {
  const bad = (field: string, what: string): never => {
    throw new LenguaError(`not a valid stage file: ${what}`, { file: where, field });
  };
  if (!isObject(json)) return bad('', 'expected a JSON object');
  if (json.format !== STAGE_FORMAT) bad('format', `expected ${JSON.stringify(STAGE_FORMAT)}`);
  if (json.name !== name || json.stage !== stage) bad('name', `says ${String(json.name)}@${String(json.stage)} but is stored as ${name}@${stage}`);
  if (json.version !== null) checkVersion(json.version as string, 'version');
  if (!Array.isArray(json.previous)) return bad('previous', 'expected an array');
  for (const v of json.previous) checkVersion(v as string, 'previous');
  if (!Array.isArray(json.log)) bad('log', 'expected an array');
  return json as unknown as StageState;
}

/** Versions sorted by semver precedence, lowest first. */
export function sortVersions(versions: readonly string[]): string[] {
  return [...versions].sort(semver.compare);
}
