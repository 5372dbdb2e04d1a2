import { LenguaError } from '../errors.js';

/** A class label: a string, or an integer (scikit-learn treats non-integer numbers as regression targets). */
export type Label = string | number;

/** What scikit-learn calls `zero_division`: the value a ratio with a zero denominator takes. 'warn' = 0 + a warning. */
export type ZeroDivision = 'warn' | 0 | 1;

/** Receives the warnings scikit-learn would raise (UndefinedMetricWarning). Default: `process.emitWarning`. */
export type WarningHandler = (message: string) => void;

export const defaultWarningHandler: WarningHandler = (message) => {
  process.emitWarning(message, 'UndefinedMetricWarning');
};

/** Upper bound on samples, so a malformed input cannot make us allocate without limit. */
export const MAX_SAMPLES = 50_000_000;

/** Orders labels as numpy's `np.unique` does: numbers ascending, strings by Unicode code point. */
export function compareLabels(a: Label, b: Label): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = String(a);
  const sb = String(b);
  // JS `<` compares UTF-16 units; numpy compares code points. They differ only around surrogates.
  const ia = sa[Symbol.iterator]();
  const ib = sb[Symbol.iterator]();
  for (;;) {
    const ca = ia.next();
    const cb = ib.next();
    if (ca.done === true) return cb.done === true ? 0 : -1;
    if (cb.done === true) return 1;
    const d = (ca.value.codePointAt(0) ?? 0) - (cb.value.codePointAt(0) ?? 0);
    if (d !== 0) return d;
  }
}

export function sortedUnique(...lists: ReadonlyArray<readonly Label[]>): Label[] {
  const seen = new Set<Label>();
  for (const list of lists) for (const x of list) seen.add(x);
  return [...seen].sort(compareLabels);
}

export function formatLabel(label: Label): string {
  return typeof label === 'string' ? JSON.stringify(label) : String(label);
}

/** Checks one label array: non-empty, bounded, all strings or all integers. Returns the kind. */
export function checkLabels(name: string, labels: readonly Label[], allowEmpty = false): 'string' | 'number' | 'empty' {
  if (!Array.isArray(labels)) throw new LenguaError(`${name} must be an array of labels`, { field: name });
  if (labels.length === 0) {
    if (allowEmpty) return 'empty';
    throw new LenguaError(`${name} is empty: metrics need at least one sample`, { field: name });
  }
  if (labels.length > MAX_SAMPLES) {
    throw new LenguaError(`${name} has ${labels.length} entries, more than the limit of ${MAX_SAMPLES}`, { field: name });
  }
  const kind = typeof labels[0];
  for (let i = 0; i < labels.length; i++) {
    const x = labels[i];
    if (typeof x !== 'string' && typeof x !== 'number') {
      throw new LenguaError(`${name}[${i}] is ${x === null ? 'null' : typeof x}: labels must be strings or integers`, { field: name });
    }
    if (typeof x !== kind) {
      throw new LenguaError(`${name} mixes string and number labels (index ${i}: ${formatLabel(x)}); use one type`, { field: name });
    }
    if (typeof x === 'number' && !Number.isInteger(x)) {
      throw new LenguaError(`${name}[${i}] = ${x} is not an integer: numeric labels must be integers (continuous targets are not classes)`, { field: name });
    }
  }
  return kind as 'string' | 'number';
}

/** Validates a pair of label arrays of the same length and type. */
export function checkPair(yTrue: readonly Label[], yPred: readonly Label[], names: [string, string] = ['yTrue', 'yPred']): void {
  const kt = checkLabels(names[0], yTrue);
  const kp = checkLabels(names[1], yPred);
  if (yTrue.length !== yPred.length) {
    throw new LenguaError(`${names[0]} has ${yTrue.length} samples but ${names[1]} has ${yPred.length}: they must be the same length`);
  }
  if (kt !== kp) {
    throw new LenguaError(`${names[0]} holds ${kt} labels but ${names[1]} holds ${kp} labels: use the same type for both`);
  }
}

/** Validates an optional `labels` option against the data's label type. */
export function checkLabelOption(labels: readonly Label[] | undefined, dataKind: 'string' | 'number'): void {
  if (labels === undefined) return;
  const k = checkLabels('labels', labels, true);
  if (k !== 'empty' && k !== dataKind) {
    throw new LenguaError(`labels holds ${k} values but the data holds ${dataKind} labels`, { field: 'labels' });
  }
  if (new Set(labels).size !== labels.length) throw new LenguaError('labels contains duplicates', { field: 'labels' });
}

export function labelKind(labels: readonly Label[]): 'string' | 'number' {
  return typeof labels[0] === 'number' ? 'number' : 'string';
}

/** Validates sample weights: one finite, non-negative number per sample. */
export function checkSampleWeight(sampleWeight: readonly number[] | undefined, n: number): void {
  if (sampleWeight === undefined) return;
  if (!Array.isArray(sampleWeight)) throw new LenguaError('sampleWeight must be an array of numbers', { field: 'sampleWeight' });
  if (sampleWeight.length !== n) {
    throw new LenguaError(`sampleWeight has ${sampleWeight.length} entries but there are ${n} samples`, { field: 'sampleWeight' });
  }
  for (let i = 0; i < n; i++) {
    const w = sampleWeight[i];
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
      throw new LenguaError(`sampleWeight[${i}] = ${String(w)}: weights must be finite and >= 0`, { field: 'sampleWeight' });
    }
  }
}

export function checkZeroDivision(z: unknown): asserts z is ZeroDivision {
  if (z !== 'warn' && z !== 0 && z !== 1) {
    throw new LenguaError(`zeroDivision must be 'warn', 0 or 1 (got ${String(z)}); scikit-learn 1.2 has no NaN option`, { field: 'zeroDivision' });
  }
}

/** Index of each label in `labels`; `undefined` for labels not in the list. */
export function indexOf(labels: readonly Label[]): Map<Label, number> {
  const m = new Map<Label, number>();
  labels.forEach((l, i) => m.set(l, i));
  return m;
}

/** Sum in index order (numpy's bincount / cumsum order). */
export function sum(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}
