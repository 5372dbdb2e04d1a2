// Reading labels and probabilities from files for `lengua metrics`, with the file and line of every problem.
//
// A file is either one label per line (text), or JSON Lines when its first non-blank line starts with '{':
//   {"label": "positive"}
//   {"label": "positive", "probabilities": {"negative": 0.1, "neutral": 0.2, "positive": 0.7}}
//   {"label": "positive", "scores": [0.1, 0.2, 0.7]}       scores in the sorted order of the classes
//   {"probabilities": {...}}                                 label = the most probable class
// Labels are compared as text; when every label in both files (and --labels) is an integer written
// canonically ("0", "-1", "12"), they become numbers so that they sort numerically, as scikit-learn would.
import { readFileSync, statSync } from 'node:fs';
import { LenguaError } from '../errors.js';
import { parseJsonObject } from '../util/json.js';
import { type Label, compareLabels } from './labels.js';

/** Largest file read (bytes): far above any evaluation set, small enough to hold in memory. */
export const MAX_FILE_BYTES = 512 * 1024 * 1024;

export interface LabelFileRow {
  line: number;
  label: string | null;
  probabilities?: Record<string, number>;
  scores?: number[];
}

export interface LabelFile {
  file: string;
  format: 'text' | 'jsonl';
  rows: LabelFileRow[];
}

function readText(file: string): string {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw new LenguaError('no such file', { file });
  }
  if (size > MAX_FILE_BYTES) throw new LenguaError(`file is ${size} bytes, over the ${MAX_FILE_BYTES}-byte limit`, { file });
  return readFileSync(file, 'utf8');
}

function labelText(v: unknown, file: string, line: number, field: string): string {
  if (typeof v === 'string') {
    if (v.trim() === '') throw new LenguaError('empty label', { file, line, field });
    return v;
  }
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  throw new LenguaError(`expected a label (a string or an integer), got ${JSON.stringify(v)}`, { file, line, field });
}

/** Parses a references or predictions file (format detected from the first non-blank line). */
export function readLabelFile(file: string): LabelFile {
  const text = readText(file).replace(/^\uFEFF/, '');
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const first = lines.find((l) => l.trim() !== '');
  if (first === undefined) throw new LenguaError('file has no labels', { file });
  const jsonl = first.trimStart().startsWith('{');
  const rows: LabelFileRow[] = [];
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') throw new LenguaError(jsonl ? 'blank line: every line must be a JSON object' : 'blank line: every line must hold a label', { file, line });
    if (!jsonl) {
      rows.push({ line, label: raw.trim() });
      return;
    }
    const o = parseJsonObject(raw, { file, line });
    const row: LabelFileRow = { line, label: o.label === undefined || o.label === null ? null : labelText(o.label, file, line, 'label') };
    if (o.probabilities !== undefined && o.scores !== undefined) throw new LenguaError('give "probabilities" or "scores", not both', { file, line });
    if (o.probabilities !== undefined) {
      const p = o.probabilities;
      if (typeof p !== 'object' || p === null || Array.isArray(p)) throw new LenguaError('expected an object {label: probability}', { file, line, field: 'probabilities' });
      for (const [k, v] of Object.entries(p)) {
        if (typeof v !== 'number' || !Number.isFinite(v)) throw new LenguaError(`probability of ${JSON.stringify(k)} is ${JSON.stringify(v)}, not a finite number`, { file, line, field: 'probabilities' });
      }
      row.probabilities = p as Record<string, number>;
    }
    if (o.scores !== undefined) {
      if (!Array.isArray(o.scores) || !o.scores.every((v) => typeof v === 'number' && Number.isFinite(v))) {
        throw new LenguaError('expected an array of finite numbers', { file, line, field: 'scores' });
      }
      row.scores = o.scores as number[];
    }
    if (row.label === null && row.probabilities === undefined && row.scores === undefined) {
      throw new LenguaError('expected "label" (or "probabilities" / "scores" to take the most probable class)', { file, line, field: 'label' });
    }
    rows.push(row);
  });
  return { file, format: jsonl ? 'jsonl' : 'text', rows };
}

export interface EvaluationInput {
  yTrue: Label[];
  yPred: Label[];
  /** The classes, in report order (--labels order when given, else sorted). */
  labels: Label[];
  /** Probability rows with columns in the sorted order of `labels`, when the predictions carry them. */
  probabilities?: number[][];
}

const INTEGER = /^-?(0|[1-9]\d*)$/;

/**
 * Pairs a references file with a predictions file: same number of lines, labels known, probability rows
 * complete and summing to 1 (within 1e-4). Errors name the file and line.
 */
export function pairLabelFiles(refs: LabelFile, preds: LabelFile, options: { labels?: string[] } = {}): EvaluationInput {
  if (refs.rows.length !== preds.rows.length) {
    throw new LenguaError(`${refs.file} has ${refs.rows.length} labels but ${preds.file} has ${preds.rows.length}: they must have one line per sample, in the same order`);
  }
  for (const r of refs.rows) {
    if (r.label === null) throw new LenguaError('a reference needs a "label"', { file: refs.file, line: r.line, field: 'label' });
  }
  const hasProbs = preds.rows.map((r) => r.probabilities !== undefined || r.scores !== undefined);
  const withProbs = hasProbs.filter(Boolean).length;
  if (withProbs > 0 && withProbs < preds.rows.length) {
    const missing = preds.rows[hasProbs.indexOf(false)] as LabelFileRow;
    throw new LenguaError('this line has no "probabilities" or "scores" but others do: give them on every line or none', { file: preds.file, line: missing.line });
  }
  // the class set, as strings
  const given = options.labels;
  if (given !== undefined) {
    if (given.length === 0 || given.some((l) => l.trim() === '')) throw new LenguaError('--labels must list non-empty labels separated by commas', { field: '--labels' });
    if (new Set(given).size !== given.length) throw new LenguaError('--labels lists a label twice', { field: '--labels' });
  }
  const seen = new Set<string>(given ?? []);
  const check = (label: string, file: string, line: number, field: string): void => {
    if (given !== undefined && !seen.has(label)) {
      throw new LenguaError(`label ${JSON.stringify(label)} is not one of --labels (${given.join(', ')})`, { file, line, field });
    }
    seen.add(label);
  };
  for (const r of refs.rows) check(r.label as string, refs.file, r.line, 'label');
  for (const r of preds.rows) {
    if (r.label !== null) check(r.label, preds.file, r.line, 'label');
    for (const k of Object.keys(r.probabilities ?? {})) check(k, preds.file, r.line, 'probabilities');
  }
  const numeric = [...seen].every((s) => INTEGER.test(s) && Number.isSafeInteger(Number(s)));
  const toLabel = (s: string): Label => (numeric ? Number(s) : s);
  const labels = (given ?? [...seen].sort((a, b) => compareLabels(toLabel(a), toLabel(b)))).map(toLabel);
  const columns = [...labels].sort(compareLabels).map(String);
  let probabilities: number[][] | undefined;
  if (withProbs > 0) {
    probabilities = preds.rows.map((r) => {
      const where = { file: preds.file, line: r.line };
      let row: number[];
      if (r.scores !== undefined) {
        if (r.scores.length !== columns.length) {
          throw new LenguaError(`"scores" has ${r.scores.length} values but there are ${columns.length} classes (${columns.join(', ')}, in this order)`, { ...where, field: 'scores' });
        }
        row = r.scores;
      } else {
        const p = r.probabilities as Record<string, number>;
        const missing = columns.filter((c) => !(c in p));
        if (missing.length > 0) throw new LenguaError(`"probabilities" has no value for ${missing.join(', ')}`, { ...where, field: 'probabilities' });
        row = columns.map((c) => p[c] as number);
      }
      const field = r.scores !== undefined ? 'scores' : 'probabilities';
      for (const v of row) if (v < 0 || v > 1) throw new LenguaError(`${v} is not a probability in [0, 1]`, { ...where, field });
      const total = row.reduce((a, b) => a + b, 0);
      if (Math.abs(total - 1) > 1e-4) throw new LenguaError(`probabilities sum to ${total}, not 1`, { ...where, field });
      return row;
    });
  }
  const yPred = preds.rows.map((r, i) => {
    if (r.label !== null) return toLabel(r.label);
    const row = (probabilities as number[][])[i] as number[];
    let best = 0;
    row.forEach((v, j) => {
      if (v > (row[best] as number)) best = j;
    });
    return toLabel(columns[best] as string);
  });
  return { yTrue: refs.rows.map((r) => toLabel(r.label as string)), yPred, labels, ...(probabilities !== undefined ? { probabilities } : {}) };
}
