import { LenguaError } from '../errors.js';
import { normalize } from '../text/normalize.js';
import type { Dataset, Example } from './types.js';

/**
 * The seeded PRNG behind every split: mulberry32 (32-bit state, full 2^32 period), seeded with the
 * seed as an unsigned 32-bit integer. The same seed gives the same sequence on every platform, so
 * the same seed gives the same split and byte-identical files.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle in place with the given PRNG. */
export function shuffleInPlace<T>(xs: T[], rand: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

export const GROUPING_RULE =
  "normalize(text, 'tweet') from src/text/normalize, then lower-cased, whitespace runs collapsed to one space and trimmed; a text pair is keyed on both texts";

/** The key under which two texts count as the same text for splitting and leakage. */
export function normalizedKey(text: string, textPair?: string): string {
  const one = (s: string) => normalize(s, 'tweet').toLowerCase().replace(/\s+/gu, ' ').trim();
  return textPair === undefined ? one(text) : `${one(text)}\u0000${one(textPair)}`;
}

/** Stratum of an example: its label, a multi-label set as its sorted labels, or '' when unlabelled. */
function stratumOf(e: Example): string {
  if (e.label === undefined) return '';
  return typeof e.label === 'string' ? e.label : [...e.label].sort().join('\u0000');
}

interface Group {
  members: number[];
  stratum: string;
}

/**
 * Examples whose normalized text is equal form one group (so they always land together). A group's
 * stratum is its most frequent label (ties: the label seen first), which only matters for the rare
 * group whose copies disagree.
 */
function buildGroups(examples: readonly Example[]): Group[] {
  const byKey = new Map<string, number[]>();
  examples.forEach((e, i) => {
    const k = normalizedKey(e.text, e.textPair);
    const g = byKey.get(k);
    if (g) g.push(i);
    else byKey.set(k, [i]);
  });
  const groups: Group[] = [];
  for (const members of byKey.values()) {
    const counts = new Map<string, number>();
    for (const i of members) {
      const s = stratumOf(examples[i]!);
      counts.set(s, (counts.get(s) ?? 0) + 1);
    }
    let best = '';
    let bestN = -1;
    for (const [s, n] of counts) if (n > bestN) [best, bestN] = [s, n];
    groups.push({ members, stratum: best });
  }
  return groups;
}

export interface SplitOptions {
  /** Share of examples for validation (default 0.1). */
  val?: number;
  /** Share of examples for test (default 0.1). */
  test?: number;
  seed?: number;
  /** Keep each label's share equal across splits (default true). */
  stratify?: boolean;
}

export interface SplitResult {
  /** Non-empty ratios only: `validation` / `test` are absent when their ratio is 0. */
  splits: Record<string, Dataset>;
  seed: number;
  ratios: { train: number; validation: number; test: number };
  /** Number of groups of more than one example (same normalized text) kept together. */
  groupsKeptTogether: number;
}

function subset(ds: Dataset, indices: number[]): Dataset {
  const sorted = [...indices].sort((a, b) => a - b); // file order: stable, diff-friendly output
  return { ...ds, examples: sorted.map((i) => ds.examples[i]!), skipped: [] };
}

function checkRatio(name: string, r: number): void {
  if (!Number.isFinite(r) || r < 0 || r >= 1) throw new LenguaError(`--${name} must be a number in [0, 1), got ${r}`, { field: name });
}

/**
 * Largest-remainder allocation: split `total` into parts proportional to `weights` (integers that sum
 * exactly to `total`). Equal remainders go to the part with the higher `tieBreak`, then the earlier one.
 */
function allocate(total: number, weights: number[], tieBreak: number[] = weights.map(() => 0)): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum === 0) return weights.map(() => 0);
  const exact = weights.map((w) => (total * w) / sum);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || tieBreak[b[1]]! - tieBreak[a[1]]! || a[1] - b[1]);
  for (const [, i] of order) {
    if (left <= 0) break;
    out[i]!++;
    left--;
  }
  return out;
}

/**
 * Stratified train/validation/test split. Sizes follow scikit-learn's `train_test_split`: a held-out
 * split gets ceil(ratio × n) examples; each label's examples are shared among the splits in
 * proportion (largest remainder, so every label is within one example of its exact share). Groups
 * of examples with the same normalized text are placed whole, so no text is in two splits; a group
 * goes to the split of its stratum that is furthest below its target. Examples keep file order
 * within each split.
 */
export function splitDataset(ds: Dataset, options: SplitOptions = {}): SplitResult {
  const val = options.val ?? 0.1;
  const test = options.test ?? 0.1;
  const seed = options.seed ?? 42;
  checkRatio('val', val);
  checkRatio('test', test);
  if (val + test >= 1) throw new LenguaError(`--val + --test must be below 1, got ${val + test}`, { field: 'val' });
  if (!Number.isInteger(seed)) throw new LenguaError(`--seed must be an integer, got ${seed}`, { field: 'seed' });
  const n = ds.examples.length;
  if (n === 0) throw new LenguaError('cannot split an empty dataset', { file: ds.path });
  const names = ['train', 'validation', 'test'] as const;
  const nTest = Math.ceil(test * n);
  const nVal = Math.ceil(val * n);
  if (nTest + nVal >= n) throw new LenguaError(`too few examples (${n}) for these ratios: nothing would be left to train on`, { file: ds.path });
  const totals = [n - nTest - nVal, nVal, nTest];
  const rand = mulberry32(seed);
  const groups = buildGroups(ds.examples);
  const stratify = options.stratify ?? true;
  const strata = new Map<string, Group[]>();
  for (const g of groups) {
    const s = stratify ? g.stratum : '';
    const list = strata.get(s);
    if (list) list.push(g);
    else strata.set(s, [g]);
  }
  // Per stratum × split targets whose column sums equal the split totals exactly.
  const keys = [...strata.keys()].sort();
  const sizes = keys.map((k) => strata.get(k)!.reduce((a, g) => a + g.members.length, 0));
  const target = keys.map(() => [0, 0, 0]);
  for (const s of [2, 1]) {
    const room = sizes.map((size, i) => size - target[i]![1]! - target[i]![2]!);
    // A label that already got an extra example in test is last in line for one in validation, so
    // train keeps every label within one example of its share too.
    const part = allocate(totals[s]!, sizes, room);
    part.forEach((x, i) => (target[i]![s] = Math.min(x, room[i]!)));
  }
  sizes.forEach((size, i) => (target[i]![0] = size - target[i]![1]! - target[i]![2]!));
  const assigned: number[][] = [[], [], []];
  keys.forEach((k, ki) => {
    const gs = shuffleInPlace([...strata.get(k)!], rand);
    // Larger groups first so the singletons can even out what they overshoot.
    gs.sort((a, b) => b.members.length - a.members.length);
    const got = [0, 0, 0];
    for (const g of gs) {
      let best = 0;
      let bestDeficit = -Infinity;
      for (let s = 0; s < 3; s++) {
        const deficit = target[ki]![s]! - got[s]!;
        if (deficit > bestDeficit) [best, bestDeficit] = [s, deficit];
      }
      got[best]! += g.members.length;
      assigned[best]!.push(...g.members);
    }
  });
  const splits: Record<string, Dataset> = {};
  names.forEach((name, s) => {
    if (s === 0 || (s === 1 ? val : test) > 0) splits[name] = subset(ds, assigned[s]!);
  });
  return {
    splits,
    seed,
    ratios: { train: round6(1 - val - test), validation: val, test },
    groupsKeptTogether: groups.filter((g) => g.members.length > 1).length,
  };
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

export interface Fold {
  fold: number;
  train: Dataset;
  validation: Dataset;
}

/**
 * Stratified k-fold with the same grouping as splitDataset. Like scikit-learn's StratifiedKFold
 * (shuffle=True), each label's examples are dealt over the folds so that the per-label counts of
 * any two folds differ by at most one (for singleton groups); a larger group of same-text examples
 * goes whole to the fold that has the fewest of its label (ties: the smaller fold, then the lower
 * index), as StratifiedGroupKFold does. Every example is in exactly one validation fold.
 */
export function stratifiedKFold(ds: Dataset, k: number, seed = 42): Fold[] {
  if (!Number.isInteger(k) || k < 2) throw new LenguaError(`k must be an integer of at least 2, got ${k}`, { field: 'k' });
  if (!Number.isInteger(seed)) throw new LenguaError(`seed must be an integer, got ${seed}`, { field: 'seed' });
  const groups = buildGroups(ds.examples);
  if (groups.length < k) {
    throw new LenguaError(`cannot make ${k} folds from ${groups.length} distinct texts`, { file: ds.path, field: 'k' });
  }
  const rand = mulberry32(seed);
  const strata = new Map<string, Group[]>();
  for (const g of groups) {
    const list = strata.get(g.stratum);
    if (list) list.push(g);
    else strata.set(g.stratum, [g]);
  }
  const foldMembers: number[][] = Array.from({ length: k }, () => []);
  const foldSize = new Array<number>(k).fill(0);
  for (const key of [...strata.keys()].sort()) {
    const gs = shuffleInPlace([...strata.get(key)!], rand);
    gs.sort((a, b) => b.members.length - a.members.length);
    const perFold = new Array<number>(k).fill(0);
    for (const g of gs) {
      let best = 0;
      for (let f = 1; f < k; f++) {
        if (perFold[f]! < perFold[best]! || (perFold[f] === perFold[best] && foldSize[f]! < foldSize[best]!)) best = f;
      }
      perFold[best]! += g.members.length;
      foldSize[best]! += g.members.length;
      foldMembers[best]!.push(...g.members);
    }
  }
  return foldMembers.map((validation, fold) => {
    const inVal = new Set(validation);
    const train = ds.examples.map((_, i) => i).filter((i) => !inVal.has(i));
    return { fold, train: subset(ds, train), validation: subset(ds, validation) };
  });
}
