/**
 * Checkpoints in the Hugging Face layout (`outputDir/checkpoint-<step>/`), without pickle:
 * config.json + model.safetensors + tokenizer files, optimizer.safetensors (+ optimizer.json),
 * scheduler.json, rng_state.json, trainer_state.json, training_args.json.
 *
 * Whole-directory atomicity: everything is written into a hidden temporary folder, fsynced, then
 * renamed to its final name, so a crash (even SIGKILL) leaves either a complete checkpoint or none;
 * a complete checkpoint is never touched by a later failed write.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import * as torch from '../torch/index.js';
import type { AdamW, AdamWStateDict, Tensor } from '../torch/index.js';
import { LenguaError } from '../errors.js';
import { readSafetensors, writeSafetensors } from '../hub/safetensors.js';
import { readModelText } from '../hub/model-files.js';
import type { SafetensorsEntry } from '../hub/safetensors.js';
import { writeFileAtomic } from '../util/fs.js';

export const CHECKPOINT_RE = /^checkpoint-(\d+)$/;
export const TRAINER_STATE = 'trainer_state.json';
export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const OPTIMIZER_JSON = 'optimizer.json';
export const SCHEDULER_JSON = 'scheduler.json';
export const RNG_JSON = 'rng_state.json';
export const ARGS_JSON = 'training_args.json';
const TMP_PREFIX = '.tmp-checkpoint-';

export interface CheckpointRef {
  step: number;
  path: string;
}

/** Complete checkpoints in outputDir, oldest first (a folder without trainer_state.json is not one). */
export function listCheckpoints(outputDir: string): CheckpointRef[] {
  if (!existsSync(outputDir)) return [];
  const out: CheckpointRef[] = [];
  for (const name of readdirSync(outputDir)) {
    const m = CHECKPOINT_RE.exec(name);
    if (!m) continue;
    const path = join(outputDir, name);
    if (existsSync(join(path, TRAINER_STATE))) out.push({ step: Number(m[1]), path });
  }
  return out.sort((a, b) => a.step - b.step);
}

export function latestCheckpoint(outputDir: string): string | null {
  const all = listCheckpoints(outputDir);
  return all.length > 0 ? all[all.length - 1]!.path : null;
}

/** Removes temporary folders left by a run that died while writing a checkpoint. */
export function removeStaleTemporaries(outputDir: string): void {
  if (!existsSync(outputDir)) return;
  for (const name of readdirSync(outputDir)) {
    if (name.startsWith(TMP_PREFIX) || name.startsWith('.old-checkpoint-')) rmSync(join(outputDir, name), { recursive: true, force: true });
  }
}

function fsyncTree(dir: string): void {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) fsyncTree(p);
    const fd = openSync(p, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * Runs `fill(tmpDir)` then publishes the folder as outputDir/checkpoint-<step>. If `fill` throws,
 * the temporary folder is removed and any existing checkpoint is left as it was.
 */
export async function writeCheckpointDir(outputDir: string, step: number, fill: (dir: string) => Promise<void> | void): Promise<string> {
  mkdirSync(outputDir, { recursive: true });
  const final = join(outputDir, `checkpoint-${step}`);
  const tmp = join(outputDir, `${TMP_PREFIX}${step}-${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(tmp);
  try {
    await fill(tmp);
    fsyncTree(tmp);
    if (existsSync(final)) {
      // Same step written again (a resumed run): swap, so there is never a moment without a complete copy.
      const old = join(outputDir, `.old-checkpoint-${step}-${process.pid}`);
      renameSync(final, old);
      renameSync(tmp, final);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, final);
    }
    const dfd = openSync(outputDir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return final;
}

/** Deletes the oldest checkpoints beyond `limit`, never the best one nor the newest. */
export function rotateCheckpoints(outputDir: string, limit: number | undefined, best: string | undefined): string[] {
  if (limit === undefined) return [];
  const all = listCheckpoints(outputDir);
  const bestAbs = best !== undefined ? resolve(best) : null;
  const deleted: string[] = [];
  let count = all.length;
  for (const c of all.slice(0, -1)) {
    if (count <= limit) break;
    if (resolve(c.path) === bestAbs) continue;
    rmSync(c.path, { recursive: true, force: true });
    deleted.push(c.path);
    count--;
  }
  return deleted;
}

export interface OptimizerJson {
  format: 'lengua-adamw-1';
  step: number;
  groups: Array<{ lr: number; betas: [number, number]; eps: number; weight_decay: number; params: number[]; param_names: string[] }>;
  /** AdamW step count per parameter (null: never stepped). */
  state_steps: Array<number | null>;
}

function entryOf(t: Tensor): SafetensorsEntry {
  const cpu = t.device === 'cpu' ? t : t.to('cpu');
  const e: SafetensorsEntry = { dtype: 'F32', shape: [...t.shape], data: cpu.toBytes() };
  if (cpu !== t) cpu.dispose();
  return e;
}

/** optimizer.safetensors (moments as `state.<i>.exp_avg` / `exp_avg_sq`) + optimizer.json. */
export function saveOptimizer(dir: string, opt: AdamW, groupNames: string[][]): void {
  const sd = opt.stateDict();
  const tensors = new Map<string, SafetensorsEntry>();
  sd.state.forEach((s, i) => {
    if (s === null) return;
    tensors.set(`state.${i}.exp_avg`, entryOf(s.expAvg));
    tensors.set(`state.${i}.exp_avg_sq`, entryOf(s.expAvgSq));
  });
  writeSafetensors(join(dir, OPTIMIZER_FILE), tensors, { format: 'pt' });
  const json: OptimizerJson = {
    format: 'lengua-adamw-1',
    step: sd.step,
    groups: sd.groups.map((g, i) => ({ lr: g.lr, betas: g.betas, eps: g.eps, weight_decay: g.weightDecay, params: g.params, param_names: groupNames[i] ?? [] })),
    state_steps: sd.state.map((s) => (s === null ? null : s.step)),
  };
  writeFileAtomic(join(dir, OPTIMIZER_JSON), JSON.stringify(json, null, 2) + '\n');
}

export function readJson<T>(path: string, maxBytes = 200_000_000): T {
  // Through hub's model-file door: a checkpoint folder may come from elsewhere (--resume-from-checkpoint),
  // and a symlink in it must not make resume read (and quote in errors) a file outside the folder.
  const text = readModelText(dirname(path), basename(path), maxBytes);
  if (text === undefined) throw new LenguaError('missing from the checkpoint', { file: path });
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new LenguaError(`not valid JSON: ${(err as Error).message}`, { file: path }, { cause: err });
  }
}

/** Loads optimizer.safetensors/json into `opt`; the parameter names must match the run's groups. */
export function loadOptimizer(dir: string, opt: AdamW, groupNames: string[][]): void {
  const jsonPath = join(dir, OPTIMIZER_JSON);
  const json = readJson<OptimizerJson>(jsonPath);
  if (json.format !== 'lengua-adamw-1' || !Array.isArray(json.groups) || !Array.isArray(json.state_steps)) {
    throw new LenguaError('not a Lengua AdamW state', { file: jsonPath });
  }
  if (json.groups.length !== groupNames.length || json.groups.some((g, i) => JSON.stringify(g.param_names) !== JSON.stringify(groupNames[i]))) {
    throw new LenguaError('the optimizer state was saved for other trainable parameters (a different strategy, freezeLayers or model?)', { file: jsonPath });
  }
  const file = readSafetensors(join(dir, OPTIMIZER_FILE));
  const made: Tensor[] = [];
  const t = (key: string): Tensor => {
    const e = file.tensors.get(key);
    if (e === undefined || e.dtype !== 'F32') throw new LenguaError(`tensor ${key} missing or not F32`, { file: join(dir, OPTIMIZER_FILE), field: key });
    const x = torch.fromBytes(e.data, 'float32', e.shape);
    made.push(x);
    return x;
  };
  const sd: AdamWStateDict = {
    step: json.step,
    groups: json.groups.map((g) => ({ lr: g.lr, betas: g.betas, eps: g.eps, weightDecay: g.weight_decay, params: g.params })),
    state: json.state_steps.map((s, i) => (s === null ? null : { step: s, expAvg: t(`state.${i}.exp_avg`), expAvgSq: t(`state.${i}.exp_avg_sq`) })),
  };
  try {
    opt.loadStateDict(sd);
  } finally {
    for (const x of made) x.dispose();
  }
}
