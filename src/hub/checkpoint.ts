/**
 * Model checkpoints in the Hugging Face layout: `model.safetensors`, or shards
 * `model-00001-of-0000N.safetensors` listed by `model.safetensors.index.json`
 * (`{"metadata": {"total_size": bytes}, "weight_map": {tensor: shard file}}`), exactly as
 * `transformers`' `save_pretrained` writes them, so folders move between Python and Lengua.
 *
 * Pickle checkpoints (`pytorch_model.bin`, `*.pt`, ...) are refused: unpickling runs arbitrary code.
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { LenguaError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { checkJsonDepth, preview } from './json.js';
import { readModelText, withModelFile } from './model-files.js';
import {
  readSafetensorsFd,
  serializeSafetensors,
  validateEntry,
  type SafetensorsEntry,
  type SafetensorsFile,
  type SafetensorsInput,
} from './safetensors.js';

export const SAFETENSORS_SINGLE = 'model.safetensors';
export const SAFETENSORS_INDEX = 'model.safetensors.index.json';
/** The shard name pattern `transformers` uses. */
export const SHARD_PATTERN = /^model-(\d{5})-of-(\d{5})\.safetensors$/;
/** Index files are small (one line per tensor); anything bigger is not an index. */
const MAX_INDEX_BYTES = 50_000_000;

const PICKLE_EXTENSIONS = ['.bin', '.pt', '.pth', '.ckpt', '.pkl', '.pickle'];

export interface SafetensorsIndex {
  metadata: Record<string, unknown>;
  weight_map: Record<string, string>;
}

/** Lists the pickle-format weight files in a folder (for refusal messages). */
export function findPickleWeights(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((f) => PICKLE_EXTENSIONS.some((ext) => f.endsWith(ext)) || f === 'pytorch_model.bin.index.json').sort();
}

export function pickleRefusal(dir: string, files: string[]): LenguaError {
  return new LenguaError(
    `only pickle weights found (${files.join(', ')}). Lengua does not load pickle checkpoints: unpickling ` +
      `can execute arbitrary code hidden in the file. Convert the model to safetensors once, in a Python ` +
      `environment you trust: \`AutoModel.from_pretrained(dir).save_pretrained(dir, safe_serialization=True)\` ` +
      `(or \`safetensors.torch.save_file(torch.load(path, weights_only=True), "model.safetensors")\`), ` +
      `or use a Hub revision that already has model.safetensors.`,
    { file: dir },
  );
}

/** Reads and validates `model.safetensors.index.json` (a file of a model folder: links out of it are refused). */
export function readSafetensorsIndex(path: string): SafetensorsIndex {
  const text = readModelText(dirname(path), basename(path), MAX_INDEX_BYTES);
  if (text === undefined) throw new LenguaError('index not found', { file: path });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new LenguaError(`not valid JSON: ${(err as Error).message}`, { file: path });
  }
  checkJsonDepth(raw, { file: path });
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new LenguaError('index must be a JSON object', { file: path });
  const obj = raw as Record<string, unknown>;
  const wm = obj.weight_map;
  if (wm === null || typeof wm !== 'object' || Array.isArray(wm)) {
    throw new LenguaError('weight_map must be an object of tensor name -> shard file', { file: path, field: 'weight_map' });
  }
  const weightMap: Record<string, string> = {};
  for (const [name, file] of Object.entries(wm as Record<string, unknown>)) {
    // Shards must be plain file names in the same folder: an index must not point elsewhere on disk.
    if (typeof file !== 'string' || file === '' || file.includes('/') || file.includes('\\') || file === '.' || file === '..') {
      throw new LenguaError(`shard must be a file name in the same folder, got ${preview(file)}`, {
        file: path,
        field: `weight_map.${name}`,
      });
    }
    weightMap[name] = file;
  }
  const md = obj.metadata;
  const metadata = md !== null && typeof md === 'object' && !Array.isArray(md) ? (md as Record<string, unknown>) : {};
  return { metadata, weight_map: weightMap };
}

/** A weights file of a model folder, read through the model-folder rule; undefined when absent. */
function readWeightsFile(dir: string, name: string): SafetensorsFile | undefined {
  return withModelFile(dir, name, (f) => readSafetensorsFd(f.fd, f.size, f.path));
}

/**
 * Loads the weights of a model folder: `model.safetensors` if present (as transformers prefers it),
 * else the sharded index and every shard it names. Checks that each shard exists and that the
 * weight map and the shards agree exactly (no missing, extra or duplicated tensor). Weight files that
 * link out of the folder are refused (model-files.ts).
 */
export function loadCheckpoint(dir: string): SafetensorsFile {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new LenguaError('model folder not found', { file: dir });
  const single = readWeightsFile(dir, SAFETENSORS_SINGLE);
  if (single !== undefined) return single;
  const indexPath = join(dir, SAFETENSORS_INDEX);
  if (!existsSync(indexPath)) {
    const pickles = findPickleWeights(dir);
    if (pickles.length > 0) throw pickleRefusal(dir, pickles);
    const other = readdirSync(dir).filter((f) => f.endsWith('.safetensors'));
    throw new LenguaError(
      `no ${SAFETENSORS_SINGLE} or ${SAFETENSORS_INDEX} in the folder` +
        (other.length > 0 ? ` (other safetensors files present: ${other.join(', ')}; read them with readSafetensors)` : ''),
      { file: dir },
    );
  }
  const index = readSafetensorsIndex(indexPath);
  const shardNames = [...new Set(Object.values(index.weight_map))].sort();
  const missing = shardNames.filter((s) => !existsSync(join(dir, s)));
  if (missing.length > 0) {
    throw new LenguaError(`shards listed in the index are missing: ${missing.join(', ')}`, { file: indexPath, field: 'weight_map' });
  }
  const tensors = new Map<string, SafetensorsEntry>();
  const metadata: Record<string, string> = {};
  for (const shard of shardNames) {
    const file = readWeightsFile(dir, shard);
    if (file === undefined) throw new LenguaError(`shard ${shard} listed in the index is missing`, { file: indexPath, field: 'weight_map' });
    Object.assign(metadata, file.metadata);
    for (const [name, t] of file.tensors) {
      const expected = index.weight_map[name];
      if (expected === undefined) {
        throw new LenguaError(`tensor "${name}" is in shard ${shard} but not in the index weight_map`, { file: indexPath, field: 'weight_map' });
      }
      if (expected !== shard) {
        throw new LenguaError(`tensor "${name}" is in shard ${shard} but the index maps it to ${expected}`, {
          file: indexPath,
          field: `weight_map.${name}`,
        });
      }
      tensors.set(name, t);
    }
  }
  const absent = Object.keys(index.weight_map).filter((name) => !tensors.has(name));
  if (absent.length > 0) {
    const shown = absent.slice(0, 5).map((name) => `"${name}" (in ${index.weight_map[name]})`);
    throw new LenguaError(
      `${absent.length} tensor(s) listed in the index are not in their shard: ${shown.join(', ')}${absent.length > 5 ? ', ...' : ''}`,
      { file: indexPath, field: 'weight_map' },
    );
  }
  return { tensors: new Map([...tensors.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), metadata };
}

const SIZE_UNITS: Record<string, number> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KIB: 2 ** 10,
  MIB: 2 ** 20,
  GIB: 2 ** 30,
  TIB: 2 ** 40,
};

/** Parses a size like `5GB` (10^9, as huggingface_hub does), `500MiB` (2^20) or a number of bytes. */
export function parseSize(size: number | string): number {
  if (typeof size === 'number') {
    if (!Number.isSafeInteger(size) || size <= 0) throw new LenguaError(`size must be a positive integer number of bytes, got ${size}`);
    return size;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(size);
  const unit = (m?.[2] ?? '').toUpperCase() || 'B';
  const mult = SIZE_UNITS[unit];
  if (m === null || mult === undefined) {
    throw new LenguaError(`cannot parse size ${JSON.stringify(size)}: use bytes or a unit among ${Object.keys(SIZE_UNITS).join(', ')}`);
  }
  const bytes = Math.floor(Number(m[1]) * mult);
  if (bytes <= 0) throw new LenguaError(`size must be positive, got ${JSON.stringify(size)}`);
  return bytes;
}

export interface SaveCheckpointOptions {
  /** Largest shard in bytes or as `5GB`/`500MiB`; default `5GB` like transformers. */
  maxShardSize?: number | string;
  /** `__metadata__` of every file; default `{format: "pt"}` (transformers refuses files without it). */
  metadata?: Record<string, string>;
}

/**
 * Writes the weights into `dir` in the transformers layout. Tensors are packed into shards in the
 * order given (a tensor larger than the limit gets a shard of its own, as in huggingface_hub); one
 * shard is written as `model.safetensors` with no index. Each file is written atomically, the index
 * last, and files of an earlier save that the new layout no longer uses are removed afterwards.
 */
export function saveCheckpoint(dir: string, tensors: SafetensorsInput, options: SaveCheckpointOptions = {}): void {
  const maxShard = parseSize(options.maxShardSize ?? '5GB');
  const metadata = options.metadata ?? { format: 'pt' };
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const shards: Array<Array<[string, SafetensorsEntry]>> = [];
  let current: Array<[string, SafetensorsEntry]> = [];
  let currentSize = 0;
  let totalSize = 0;
  for (const [name, t] of entries) {
    const size = validateEntry(name, t);
    totalSize += size;
    if (size > maxShard) {
      shards.push([[name, t]]);
      continue;
    }
    if (currentSize + size > maxShard && current.length > 0) {
      shards.push(current);
      current = [];
      currentSize = 0;
    }
    current.push([name, t]);
    currentSize += size;
  }
  if (current.length > 0 || shards.length === 0) shards.push(current);

  const keep = new Set<string>();
  if (shards.length === 1) {
    writeFileAtomic(join(dir, SAFETENSORS_SINGLE), serializeSafetensors(new Map(shards[0]), metadata));
    keep.add(SAFETENSORS_SINGLE);
  } else {
    const weightMap: Record<string, string> = {};
    const n = shards.length;
    shards.forEach((shard, i) => {
      const name = `model-${String(i + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`;
      writeFileAtomic(join(dir, name), serializeSafetensors(new Map(shard), metadata));
      keep.add(name);
      for (const [t] of shard) weightMap[t] = name;
    });
    // transformers writes json.dumps(index, indent=2, sort_keys=True) + "\n".
    const sortedMap = Object.fromEntries(Object.keys(weightMap).sort().map((k) => [k, weightMap[k]]));
    const index = { metadata: { total_size: totalSize }, weight_map: sortedMap };
    writeFileAtomic(join(dir, SAFETENSORS_INDEX), JSON.stringify(index, null, 2) + '\n');
    keep.add(SAFETENSORS_INDEX);
  }
  for (const f of readdirSync(dir)) {
    if (keep.has(f)) continue;
    if (f === SAFETENSORS_SINGLE || f === SAFETENSORS_INDEX || SHARD_PATTERN.test(f)) rmSync(join(dir, f), { force: true });
  }
}
