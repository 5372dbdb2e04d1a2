// Hyperparameter search spaces: the file format, its validation, grid enumeration and seeded random sampling.
import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { LenguaError } from '../errors.js';
import { mulberry32 } from '../data/index.js';

/** A JSON value a dimension can take: numbers, strings, booleans, null, or small arrays of them (e.g. an n-gram range [1, 2]). */
export type SpaceValue = number | string | boolean | null | SpaceValue[];

export type Dimension =
  | { kind: 'values'; values: SpaceValue[] }
  /** Continuous, uniform on [low, high]. */
  | { kind: 'uniform'; low: number; high: number }
  /** Continuous, uniform in log space on [low, high] (both > 0): the natural prior for learning rates. */
  | { kind: 'loguniform'; low: number; high: number }
  /** Integers, uniform on [low, high] inclusive. */
  | { kind: 'int'; low: number; high: number };

/** Dimensions in the order the file lists them (that order fixes grid enumeration and random draws). */
export type SearchSpace = Array<{ name: string; dim: Dimension }>;

export type TrialConfig = Record<string, SpaceValue>;

/** Bounds on what a search-space file may hold, so a bad file fails fast instead of exhausting memory. */
export const SPACE_LIMITS = { maxFileBytes: 1 << 20, maxDimensions: 64, maxValues: 1000, maxGridSize: 10_000 } as const;

const DIMENSION_KINDS = ['values', 'uniform', 'loguniform', 'int'] as const;

/**
 * Validates a parsed search space. `knownKeys` are the hyperparameters the trial runner understands;
 * any other key is an error naming the key, the file and the keys that are known.
 */
export interface SpaceChecks {
  file?: string;
  knownKeys: readonly string[];
  /** Keys that take integers: a continuous range on one is an error (use "int" or "values"). */
  integerKeys?: readonly string[];
  /** Checks one value of a key (throws a LenguaError naming the problem); applied to every listed value and to range bounds. */
  checkValue?: (key: string, value: unknown) => void;
}

export function parseSearchSpace(raw: unknown, opts: SpaceChecks): SearchSpace {
  const file = opts.file;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new LenguaError('a search space must be an object mapping hyperparameter names to {"values": [...]} or a range', { file });
  }
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length === 0) throw new LenguaError('the search space is empty', { file });
  if (entries.length > SPACE_LIMITS.maxDimensions) {
    throw new LenguaError(`the search space has ${entries.length} dimensions; the limit is ${SPACE_LIMITS.maxDimensions}`, { file });
  }
  const known = new Set(opts.knownKeys);
  const space: SearchSpace = [];
  for (const [name, spec] of entries) {
    if (!known.has(name)) {
      throw new LenguaError(`unknown hyperparameter "${name}"; known: ${[...opts.knownKeys].sort().join(', ')}`, { file, field: name });
    }
    const dim = parseDimension(name, spec, file);
    checkDimension(name, dim, opts);
    space.push({ name, dim });
  }
  return space;
}

function checkDimension(name: string, dim: Dimension, opts: SpaceChecks): void {
  if ((dim.kind === 'uniform' || dim.kind === 'loguniform') && opts.integerKeys?.includes(name)) {
    throw new LenguaError(`takes integers: use {"int": [low, high]} or {"values": [...]} instead of "${dim.kind}"`, { file: opts.file, field: name });
  }
  if (opts.checkValue === undefined) return;
  const values = dim.kind === 'values' ? dim.values : [dim.low, dim.high];
  for (const v of values) {
    try {
      opts.checkValue(name, v);
    } catch (err) {
      if (!(err instanceof LenguaError)) throw err;
      throw new LenguaError(`${JSON.stringify(v)}: ${err.message.replace(/^field "[^"]+": /u, '')}`, { file: opts.file, field: name }, { cause: err });
    }
  }
}

function parseDimension(name: string, spec: unknown, file: string | undefined): Dimension {
  const where = { file, field: name };
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    throw new LenguaError(`expected an object with one of ${DIMENSION_KINDS.map((k) => `"${k}"`).join(', ')}, got ${JSON.stringify(spec)}`, where);
  }
  const keys = Object.keys(spec);
  if (keys.length !== 1 || !(DIMENSION_KINDS as readonly string[]).includes(keys[0]!)) {
    throw new LenguaError(`expected exactly one of ${DIMENSION_KINDS.map((k) => `"${k}"`).join(', ')}, got keys ${JSON.stringify(keys)}`, where);
  }
  const kind = keys[0] as (typeof DIMENSION_KINDS)[number];
  const body = (spec as Record<string, unknown>)[kind];
  if (kind === 'values') {
    if (!Array.isArray(body) || body.length === 0) throw new LenguaError('"values" must be a non-empty array', where);
    if (body.length > SPACE_LIMITS.maxValues) throw new LenguaError(`"values" has ${body.length} entries; the limit is ${SPACE_LIMITS.maxValues}`, where);
    body.forEach((v, i) => checkValue(v, `${name}.values[${i}]`, file, 0));
    const seen = new Set(body.map((v) => JSON.stringify(v)));
    if (seen.size !== body.length) throw new LenguaError('"values" lists a value twice', where);
    return { kind, values: body as SpaceValue[] };
  }
  if (!Array.isArray(body) || body.length !== 2 || !body.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new LenguaError(`"${kind}" must be [low, high] with two finite numbers, got ${JSON.stringify(body)}`, where);
  }
  const [low, high] = body as [number, number];
  if (!(low < high)) throw new LenguaError(`"${kind}" range [${low}, ${high}] needs low < high`, where);
  if (kind === 'loguniform' && low <= 0) throw new LenguaError(`"loguniform" range [${low}, ${high}] needs low > 0`, where);
  if (kind === 'int' && !(Number.isInteger(low) && Number.isInteger(high))) {
    throw new LenguaError(`"int" range [${low}, ${high}] needs integer bounds`, where);
  }
  return { kind, low, high };
}

function checkValue(v: unknown, field: string, file: string | undefined, depth: number): void {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new LenguaError(`value ${v} is not finite`, { file, field });
    return;
  }
  if (Array.isArray(v) && depth < 2 && v.length <= 16) {
    v.forEach((x, i) => checkValue(x, `${field}[${i}]`, file, depth + 1));
    return;
  }
  throw new LenguaError(`unsupported value ${JSON.stringify(v)}: use numbers, strings, booleans, null or short arrays of them`, { file, field });
}

/** Reads a search-space file (.json, .yaml or .yml) and validates it. */
export function loadSearchSpace(path: string, checks: Omit<SpaceChecks, 'file'> | readonly string[]): SearchSpace {
  const opts: SpaceChecks = Array.isArray(checks) ? { knownKeys: checks as readonly string[] } : { ...(checks as Omit<SpaceChecks, 'file'>) };
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new LenguaError('search-space file not found', { file: path });
  }
  if (size > SPACE_LIMITS.maxFileBytes) throw new LenguaError(`search-space file is ${size} bytes; the limit is ${SPACE_LIMITS.maxFileBytes}`, { file: path });
  const text = readFileSync(path, 'utf8');
  const ext = extname(path).toLowerCase();
  let raw: unknown;
  try {
    raw = ext === '.yaml' || ext === '.yml' ? parseYaml(text, { maxAliasCount: 100 }) : JSON.parse(text);
  } catch (err) {
    throw new LenguaError(`cannot parse the search space: ${(err as Error).message}`, { file: path }, { cause: err });
  }
  return parseSearchSpace(raw, { ...opts, file: path });
}

/** Every combination of the dimensions' values, the last dimension varying fastest. Ranges cannot be enumerated: an error names them. */
export function gridConfigs(space: SearchSpace, file?: string): TrialConfig[] {
  const continuous = space.filter((d) => d.dim.kind !== 'values').map((d) => d.name);
  if (continuous.length > 0) {
    throw new LenguaError(`grid search needs {"values": [...]} for every dimension; ${continuous.join(', ')} ${continuous.length > 1 ? 'are ranges' : 'is a range'} (use --method random)`, { file, field: continuous[0] });
  }
  const size = space.reduce((n, d) => n * (d.dim as { values: SpaceValue[] }).values.length, 1);
  if (size > SPACE_LIMITS.maxGridSize) throw new LenguaError(`the grid has ${size} configurations; the limit is ${SPACE_LIMITS.maxGridSize}`, { file });
  let out: TrialConfig[] = [{}];
  for (const { name, dim } of space) {
    const values = (dim as { values: SpaceValue[] }).values;
    out = out.flatMap((c) => values.map((v) => ({ ...c, [name]: v })));
  }
  return out;
}

/** Size of the grid (product of the numbers of values), or null when a dimension is a range. */
export function gridSize(space: SearchSpace): number | null {
  let n = 1;
  for (const { dim } of space) {
    if (dim.kind !== 'values') return null;
    n *= dim.values.length;
  }
  return n;
}

/** `n` configurations drawn independently with a seeded generator: the same seed gives the same trials. */
export function randomConfigs(space: SearchSpace, n: number, seed: number): TrialConfig[] {
  if (!Number.isInteger(n) || n < 1) throw new LenguaError(`the number of trials must be a positive integer, got ${n}`, { field: 'trials' });
  if (n > SPACE_LIMITS.maxGridSize) throw new LenguaError(`at most ${SPACE_LIMITS.maxGridSize} trials, got ${n}`, { field: 'trials' });
  if (!Number.isInteger(seed)) throw new LenguaError(`seed must be an integer, got ${seed}`, { field: 'seed' });
  const rand = mulberry32(seed);
  const out: TrialConfig[] = [];
  for (let t = 0; t < n; t++) {
    const c: TrialConfig = {};
    for (const { name, dim } of space) c[name] = sample(dim, rand);
    out.push(c);
  }
  return out;
}

function sample(dim: Dimension, rand: () => number): SpaceValue {
  const u = rand();
  switch (dim.kind) {
    case 'values':
      return dim.values[Math.min(dim.values.length - 1, Math.floor(u * dim.values.length))]!;
    case 'uniform':
      return dim.low + u * (dim.high - dim.low);
    case 'loguniform':
      return Math.exp(Math.log(dim.low) + u * (Math.log(dim.high) - Math.log(dim.low)));
    case 'int':
      return Math.min(dim.high, dim.low + Math.floor(u * (dim.high - dim.low + 1)));
  }
}
