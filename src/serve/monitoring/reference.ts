/**
 * The monitoring reference of a model: what its predictions looked like on a data file when it was
 * trained or registered — label shares, confidence and input-length histograms, unknown-token rate — kept
 * as `monitoring/reference.json` inside the model folder, so that it travels with the folder (the registry
 * stores folders whole). The server compares its live window against it.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LenguaError } from '../../errors.js';
import { writeFileAtomic } from '../../util/fs.js';
import type { PreTrainedTokenizer } from '../../text/index.js';
import { CONFIDENCE_EDGES, INPUT_TOKEN_EDGES, UNKNOWN_RATE_EDGES, type Histogram } from './bins.js';
import { checkObservation, DistributionCounts, MAX_LABEL_LENGTH, type Observation } from './counts.js';

/** Where a model folder keeps its reference. */
export const REFERENCE_FILE = join('monitoring', 'reference.json');
export const REFERENCE_FORMAT = 'lengua-monitoring-reference';
/** A reference holds counts only: anything bigger than this is not one. */
const MAX_REFERENCE_BYTES = 1 << 20;
const MAX_LABELS = 10_000;

/** The data a reference was computed on. */
export interface ReferenceData {
  /** The file's name (no folder: the reference travels to other machines). */
  file: string;
  /** SHA-256 of the file's bytes (of each file hashed together for parallel files), as `lengua evaluate` records it. */
  sha256: string;
  /** Order-independent fingerprint of the texts used (see `lengua monitor reference`). */
  textsFingerprint: string;
  /** Texts the reference was computed on. */
  rows: number;
}

/** The model's quality on the reference data, when it was labelled (not meaningful on training data). */
export interface ReferenceQuality {
  accuracy: number;
  macroF1: number;
  count: number;
}

export interface MonitoringReference {
  format: typeof REFERENCE_FORMAT;
  version: 1;
  createdAt: string;
  data: ReferenceData;
  count: number;
  /** Predicted top labels: the model's labels in id order, and how often each was predicted. */
  labels: { names: string[]; counts: number[] };
  confidence: Histogram;
  inputTokens: Histogram;
  unknownRate: Histogram;
  /** Token totals behind the unknown-token rate (unknown / total). */
  tokens: { total: number; unknown: number };
  meanConfidence: number | null;
  quality: ReferenceQuality | null;
}

/** Input tokens and unknown tokens of one text (or pair) as the server counts them: special tokens included, no truncation. */
export function tokenCounts(tokenizer: Pick<PreTrainedTokenizer, 'encode' | 'unkTokenId'>, text: string, pair?: string): { inputTokens: number; unknownTokens: number } {
  const ids = (pair === undefined ? tokenizer.encode(text) : tokenizer.encode(text, { pair })).ids;
  const unk = tokenizer.unkTokenId;
  let unknownTokens = 0;
  if (unk !== null) for (const id of ids) if (id === unk) unknownTokens++;
  return { inputTokens: ids.length, unknownTokens };
}

/** Accumulates observations into a reference. */
export class ReferenceBuilder {
  private readonly counts: DistributionCounts;
  private readonly index: Map<string, number>;

  /** `labels`: the model's labels in id order. */
  constructor(readonly labels: readonly string[]) {
    this.counts = new DistributionCounts(labels);
    this.index = new Map(labels.map((l, i) => [l, i]));
  }

  add(o: Observation): void {
    const bad = checkObservation(o);
    if (bad !== null) throw new LenguaError(`observation ${this.counts.count}: ${bad}`, { field: 'observation' });
    const i = this.index.get(o.label);
    if (i === undefined) throw new LenguaError(`observation ${this.counts.count}: label ${JSON.stringify(o.label)} is not one of the model's (${this.labels.join(', ')})`, { field: 'label' });
    this.counts.apply(i, o.score, o.inputTokens, o.unknownTokens, 1);
  }

  get count(): number {
    return this.counts.count;
  }

  finish(data: ReferenceData, quality: ReferenceQuality | null = null, createdAt = new Date()): MonitoringReference {
    if (this.counts.count === 0) throw new LenguaError('no texts: a reference needs at least one prediction', { file: data.file });
    const c = this.counts;
    return {
      format: REFERENCE_FORMAT,
      version: 1,
      createdAt: createdAt.toISOString(),
      data,
      count: c.count,
      labels: { names: [...this.labels], counts: [...c.labels] },
      confidence: { edges: [...CONFIDENCE_EDGES], counts: [...c.confidence] },
      inputTokens: { edges: [...INPUT_TOKEN_EDGES], counts: [...c.inputTokens] },
      unknownRate: { edges: [...UNKNOWN_RATE_EDGES], counts: [...c.unknownRate] },
      tokens: { total: c.tokens, unknown: c.unknownTokens },
      meanConfidence: c.meanConfidence,
      quality,
    };
  }
}

function fail(file: string, field: string, message: string): never {
  throw new LenguaError(message, { file, field });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function counts(v: unknown, n: number, file: string, field: string): number[] {
  if (!Array.isArray(v) || v.length !== n) fail(file, field, `expected an array of ${n} counts`);
  v.forEach((c, i) => {
    if (!Number.isSafeInteger(c) || (c as number) < 0) fail(file, `${field}[${i}]`, `expected a whole number >= 0, got ${JSON.stringify(c)}`);
  });
  return v as number[];
}

function histogram(v: unknown, file: string, field: string, count: number): Histogram {
  if (!isObject(v)) fail(file, field, 'expected an object {edges, counts}');
  const edges = v.edges;
  if (!Array.isArray(edges) || edges.length === 0 || edges.length > 1000 || !edges.every((e, i) => typeof e === 'number' && Number.isFinite(e) && (i === 0 || e > (edges[i - 1] as number)))) {
    fail(file, `${field}.edges`, 'expected increasing finite numbers');
  }
  const c = counts(v.counts, edges.length + 1, file, `${field}.counts`);
  if (c.reduce((s, x) => s + x, 0) !== count) fail(file, `${field}.counts`, `the counts add up to ${c.reduce((s, x) => s + x, 0)}, not count (${count})`);
  return { edges: edges as number[], counts: c };
}

function fraction(v: unknown, file: string, field: string): number {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) fail(file, field, `expected a number in [0, 1], got ${JSON.stringify(v)}`);
  return v;
}

/** Checks a parsed reference: every field that the monitor reads, with the file and field named on error. */
export function validateReference(json: unknown, file: string): MonitoringReference {
  if (!isObject(json)) fail(file, '(root)', 'expected a JSON object');
  if (json.format !== REFERENCE_FORMAT) fail(file, 'format', `expected "${REFERENCE_FORMAT}", got ${JSON.stringify(json.format)}`);
  if (json.version !== 1) fail(file, 'version', `version ${JSON.stringify(json.version)} is not one this Lengua reads (1)`);
  if (typeof json.createdAt !== 'string' || Number.isNaN(Date.parse(json.createdAt))) fail(file, 'createdAt', 'expected an ISO date');
  const d = json.data;
  if (!isObject(d)) fail(file, 'data', 'expected an object');
  for (const k of ['file', 'sha256', 'textsFingerprint'] as const) {
    if (typeof d[k] !== 'string' || (d[k] as string).length > 4096) fail(file, `data.${k}`, 'expected a string');
  }
  if (!Number.isSafeInteger(d.rows) || (d.rows as number) < 0) fail(file, 'data.rows', 'expected a whole number >= 0');
  const count = json.count;
  if (!Number.isSafeInteger(count) || (count as number) < 1) fail(file, 'count', 'expected a whole number >= 1');
  const n = count as number;
  const l = json.labels;
  if (!isObject(l) || !Array.isArray(l.names) || l.names.length === 0 || l.names.length > MAX_LABELS) fail(file, 'labels.names', `expected 1 to ${MAX_LABELS} label names`);
  const names = l.names as unknown[];
  names.forEach((x, i) => {
    if (typeof x !== 'string' || x.length === 0 || x.length > MAX_LABEL_LENGTH) fail(file, `labels.names[${i}]`, `expected a string of 1 to ${MAX_LABEL_LENGTH} characters`);
  });
  if (new Set(names).size !== names.length) fail(file, 'labels.names', 'label names repeat');
  const labelCounts = counts(l.counts, names.length, file, 'labels.counts');
  if (labelCounts.reduce((s, x) => s + x, 0) !== n) fail(file, 'labels.counts', `the counts add up to ${labelCounts.reduce((s, x) => s + x, 0)}, not count (${n})`);
  const t = json.tokens;
  if (!isObject(t) || !Number.isSafeInteger(t.total) || !Number.isSafeInteger(t.unknown) || (t.unknown as number) < 0 || (t.unknown as number) > (t.total as number)) {
    fail(file, 'tokens', 'expected {total, unknown}: whole numbers with 0 <= unknown <= total');
  }
  const q = json.quality;
  let quality: ReferenceQuality | null = null;
  if (q !== null && q !== undefined) {
    if (!isObject(q) || !Number.isSafeInteger(q.count)) fail(file, 'quality', 'expected null or {accuracy, macroF1, count}');
    quality = { accuracy: fraction(q.accuracy, file, 'quality.accuracy'), macroF1: fraction(q.macroF1, file, 'quality.macroF1'), count: q.count as number };
  }
  const mc = json.meanConfidence;
  if (mc !== null && (typeof mc !== 'number' || !Number.isFinite(mc))) fail(file, 'meanConfidence', 'expected a number or null');
  return {
    format: REFERENCE_FORMAT,
    version: 1,
    createdAt: json.createdAt,
    data: { file: d.file as string, sha256: d.sha256 as string, textsFingerprint: d.textsFingerprint as string, rows: d.rows as number },
    count: n,
    labels: { names: names as string[], counts: labelCounts },
    confidence: histogram(json.confidence, file, 'confidence', n),
    inputTokens: histogram(json.inputTokens, file, 'inputTokens', n),
    unknownRate: histogram(json.unknownRate, file, 'unknownRate', n),
    tokens: { total: t.total as number, unknown: t.unknown as number },
    meanConfidence: mc,
    quality,
  };
}

/** Reads and checks a reference file. */
export function readReference(file: string): MonitoringReference {
  const size = statSync(file).size;
  if (size > MAX_REFERENCE_BYTES) throw new LenguaError(`${size} bytes: a monitoring reference is at most ${MAX_REFERENCE_BYTES}`, { file });
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new LenguaError(`invalid JSON: ${(err as Error).message}`, { file }, { cause: err });
  }
  return validateReference(json, file);
}

/** The reference of a model folder; null when it has none. A reference that is there but unreadable is an error. */
export function readModelReference(dir: string): MonitoringReference | null {
  const file = join(dir, REFERENCE_FILE);
  try {
    statSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return readReference(file);
}

/** Writes a reference atomically (to `file`, or to the model folder's monitoring/reference.json). */
export function writeReference(ref: MonitoringReference, to: { dir: string } | { file: string }): string {
  const file = 'dir' in to ? join(to.dir, REFERENCE_FILE) : to.file;
  writeFileAtomic(file, JSON.stringify(ref, null, 2) + '\n');
  return file;
}
