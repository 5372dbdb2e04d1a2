import { Worker } from 'node:worker_threads';
import { Column, TextHashIndex } from './hash.js';
import type { NormalizeReply, NormalizeRequest } from './normalize-worker.js';
import type { RowSink } from './rows.js';
import { normalizedKey } from './split.js';
import { streamDataset } from './stream.js';
import type { Dataset, DatasetInfo, Example, LoadOptions, SkippedRow, SourceLocation } from './types.js';

/** All inspection needs from a tokenizer (B's `Tokenizer` fits; so does anything with `encode`). */
export interface TokenCounter {
  encode(text: string): { ids: ArrayLike<number> };
}

export interface LengthStats {
  min: number;
  max: number;
  mean: number;
  median: number;
  p95: number;
}

export interface InspectReport {
  file: string;
  /** Parallel form: the labels and mapping files read with the text file. */
  labelsFile?: string;
  mappingFile?: string;
  format: string;
  rows: number;
  /** Examples per label, in label-id order (labels of the label set that never occur count 0). */
  labels: Record<string, number>;
  id2label: Record<string, string>;
  multiLabel: boolean;
  /** Rows without a label (kept when the load allowed missing labels). */
  missingLabels: number;
  missingLabelLines: SourceLocation[];
  balance: { majorityShare: number; minorityShare: number; imbalanceRatio: number } | null;
  /** Rows whose text is empty or whitespace only. */
  emptyTexts: number;
  emptyTextLines: SourceLocation[];
  duplicates: {
    /** Extra copies: rows minus distinct texts. */
    count: number;
    /** Distinct texts that occur more than once. */
    groups: number;
    /** Of those, texts whose copies carry different labels. */
    conflictingLabels: number;
    examples: Array<{ text: string; lines: number[]; labels: string[] }>;
    /** Extra copies after normalization (URLs, mentions, case, spacing; see GROUPING_RULE). */
    normalizedCount: number;
  };
  length: { chars: LengthStats | null; tokens?: LengthStats | null };
  skipped: { count: number; byReason: Record<string, number>; rows: SkippedRow[] };
}

export interface InspectOptions {
  tokenizer?: TokenCounter;
  /** How many duplicate groups / skipped rows / empty lines to list (default 20). */
  listLimit?: number;
}

/** What an inspector holds, for checking that it keeps hashes and counts, not texts. */
export interface InspectorFootprint {
  /** Distinct texts seen (exact, and after normalization): each costs a hash and a few numbers. */
  distinctTexts: number;
  distinctNormalized: number;
  /** Bytes of the typed arrays behind the hash sets and the per-text counts. */
  hashBytes: number;
  /** Texts held: only those of the duplicate groups the report lists (at most listLimit). */
  listedTexts: number;
  listedTextChars: number;
  /** Line numbers held: those of the listed groups, empty texts and rows without a label. */
  listedLines: number;
  /** Distinct text lengths counted (the length statistics come from these counts). */
  lengthBins: number;
}

/** Texts per message to the normalizing worker, and how many messages may wait for it. */
const BATCH = 2048;
const MAX_PENDING = 8;

interface ListedGroup {
  text: string;
  lines: number[];
  /** Label keys in first-seen order (a Set: a group may carry very many labels). */
  labelIds: Set<number>;
}

/**
 * Builds an inspection report one example at a time, so a file can be inspected as it is read
 * (`inspectFile`) without holding its texts. Duplicates are found by a 64-bit hash of each text (see
 * hash.ts): per distinct text it keeps the hash, a count, its first line and first label, and the texts
 * of the first `listLimit` duplicate groups only. Lengths are kept as counts per length, from which
 * the median and percentiles are exact. Hand it examples in file order (line numbers increasing).
 */
export class DatasetInspector implements RowSink {
  private readonly limit: number;
  private rows = 0;
  private readonly labelCounts = new Map<string, number>();
  private missing = 0;
  private readonly missingLines: SourceLocation[] = [];
  private empty = 0;
  private readonly emptyLines: SourceLocation[] = [];
  // Exact texts: member number = order of first appearance, as the insertion order of a Map of texts.
  private readonly exact = new TextHashIndex();
  private readonly count = new Column(new Uint32Array(1024), (n) => new Uint32Array(n));
  private readonly firstLine = new Column(new Float64Array(1024), (n) => new Float64Array(n));
  private readonly firstLabel = new Column(new Int32Array(1024), (n) => new Int32Array(n));
  private readonly conflict = new Column(new Uint8Array(1024), (n) => new Uint8Array(n));
  private readonly labelKeys = new Map<string, number>();
  private readonly labelKeyNames: string[] = [];
  private groups = 0;
  private conflicting = 0;
  /** The duplicate groups with the smallest member numbers (the first to appear), at most `limit`. */
  private readonly listed = new Map<number, ListedGroup>();
  private readonly normalized = new TextHashIndex();
  /** With a worker, new texts go to it in batches and it counts the distinct normalized keys. */
  private worker: Worker | undefined;
  private batch: { texts: string[]; pairs: Array<string | null> } = { texts: [], pairs: [] };
  private pending = 0;
  private wake: (() => void) | undefined;
  private failure: Error | undefined;
  private normalizedDistinct: number | undefined;
  private readonly chars = new Map<number, number>();
  private readonly tokens = new Map<number, number>();
  private skippedCount = 0;
  private readonly byReason: Record<string, number> = {};
  private readonly skippedRows: SkippedRow[] = [];

  constructor(private readonly options: InspectOptions = {}) {
    this.limit = options.listLimit ?? 20;
  }

  example(e: Example): void {
    this.rows++;
    if (e.label === undefined) {
      this.missing++;
      if (this.missingLines.length < this.limit) this.missingLines.push(e.source);
    } else for (const l of typeof e.label === 'string' ? [e.label] : e.label) this.labelCounts.set(l, (this.labelCounts.get(l) ?? 0) + 1);
    if (e.text.trim() === '') {
      this.empty++;
      if (this.emptyLines.length < this.limit) this.emptyLines.push(e.source);
    }
    const key = e.textPair === undefined ? e.text : `${e.text}\u0000${e.textPair}`;
    const labelKey = e.label === undefined ? '' : typeof e.label === 'string' ? e.label : [...e.label].sort().join('|');
    let lk = this.labelKeys.get(labelKey);
    if (lk === undefined) {
      lk = this.labelKeyNames.length;
      this.labelKeys.set(labelKey, lk);
      this.labelKeyNames.push(labelKey);
    }
    const before = this.exact.size;
    const id = this.exact.add(key);
    const line = e.source.line;
    if (id === before) {
      for (const col of [this.count, this.firstLine, this.firstLabel, this.conflict]) col.ensure(id);
      this.count.data[id] = 1;
      this.firstLine.data[id] = line;
      this.firstLabel.data[id] = lk;
      // Copies of a text seen before have its normalized key too: only new texts need normalizing.
      if (this.worker === undefined) this.normalized.add(normalizedKey(e.text, e.textPair));
      else {
        this.batch.texts.push(e.text);
        this.batch.pairs.push(e.textPair ?? null);
        if (this.batch.texts.length >= BATCH) this.send();
      }
    } else {
      const n = ++this.count.data[id]!;
      if (lk !== this.firstLabel.data[id] && this.conflict.data[id] === 0) {
        this.conflict.data[id] = 1;
        this.conflicting++;
      }
      if (n === 2) {
        this.groups++;
        this.offer(id, key, line, lk);
      } else {
        const g = this.listed.get(id);
        if (g !== undefined) {
          g.lines.push(line);
          g.labelIds.add(lk);
        }
      }
    }
    const n = codePoints(e.text) + (e.textPair !== undefined ? codePoints(e.textPair) : 0);
    this.chars.set(n, (this.chars.get(n) ?? 0) + 1);
    if (this.options.tokenizer) {
      let t = this.options.tokenizer.encode(e.text).ids.length;
      if (e.textPair !== undefined) t += this.options.tokenizer.encode(e.textPair).ids.length;
      this.tokens.set(t, (this.tokens.get(t) ?? 0) + 1);
    }
  }

  /**
   * A text just got its second copy: list it if it is among the first `limit` groups by first
   * appearance. A group pushed out here never comes back: the `limit` groups before it stay groups.
   */
  private offer(id: number, key: string, line: number, lk: number): void {
    if (this.limit <= 0) return;
    if (this.listed.size >= this.limit) {
      let last = -1;
      for (const k of this.listed.keys()) if (k > last) last = k;
      if (last < id) return;
      this.listed.delete(last);
    }
    this.listed.set(id, {
      text: key.replace('\u0000', ' ‖ '),
      lines: [this.firstLine.data[id]!, line],
      labelIds: new Set([this.firstLabel.data[id]!, lk]),
    });
  }

  /**
   * Normalizes on a worker thread from now on (inspectFile does this): the main thread only parses and
   * counts. Call `finish()` before `report()`, and `close()` in any case.
   */
  async startWorker(): Promise<void> {
    const ts = import.meta.url.endsWith('.ts');
    const url = new URL(`./normalize-worker.${ts ? 'ts' : 'js'}`, import.meta.url);
    // From the sources the worker loads TypeScript through tsx's API (bin/lengua.js registers tsx in the
    // main thread only; a worker gets no module hooks from it nor from --import).
    const worker = ts
      ? new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`, { eval: true })
      : new Worker(url);
    this.worker = worker;
    let ready = false;
    worker.on('message', (m: NormalizeReply) => {
      if ('ready' in m) ready = true;
      else if ('done' in m) this.pending--;
      else this.normalizedDistinct = m.distinct;
      this.wake?.();
    });
    worker.on('error', (err) => {
      this.failure = err;
      this.wake?.();
    });
    worker.on('exit', (code) => {
      this.failure ??= new Error(`the normalizing worker stopped (exit code ${code})`);
      this.wake?.();
    });
    await this.until(() => ready);
  }

  private send(): void {
    if (this.batch.texts.length === 0) return;
    this.worker!.postMessage(this.batch satisfies NormalizeRequest);
    this.pending++;
    this.batch = { texts: [], pairs: [] };
  }

  /**
   * Backpressure for a reader: a promise to wait on while the worker is several batches behind (so the
   * texts waiting for it stay few), else undefined.
   */
  pause(): Promise<void> | undefined {
    if (this.failure) throw this.failure;
    if (this.worker === undefined || this.pending < MAX_PENDING) return undefined;
    return this.until(() => this.pending < MAX_PENDING);
  }

  private async until(done: () => boolean): Promise<void> {
    while (!done()) {
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    if (this.failure) throw this.failure;
  }

  /** Waits for the worker's count (after the last example). */
  async finish(): Promise<void> {
    if (this.worker === undefined) return;
    this.send();
    this.worker.postMessage('end' satisfies NormalizeRequest);
    await this.until(() => this.normalizedDistinct !== undefined);
  }

  /** Stops the worker, if any. */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w !== undefined) await w.terminate();
  }

  skip(row: SkippedRow): void {
    this.skippedCount++;
    this.byReason[row.reason] = (this.byReason[row.reason] ?? 0) + 1;
    if (this.skippedRows.length < this.limit) this.skippedRows.push(row);
  }

  /** The report, once every row has been handed over; `ds` says what the dataset is (its label set, columns). */
  report(ds: DatasetInfo): InspectReport {
    const labels: Record<string, number> = {};
    for (const name of ds.labels.names) labels[name] = 0;
    for (const [l, n] of this.labelCounts) labels[l] = (labels[l] ?? 0) + n;
    const balance = labelBalance(Object.values(labels));
    // Unlabelled data (no label column at all) is not "missing" labels.
    const labelled = ds.columns.label !== undefined || ds.columns.labels !== undefined;
    return {
      file: ds.path,
      ...(ds.labelsFile !== undefined ? { labelsFile: ds.labelsFile } : {}),
      ...(ds.mappingFile !== undefined ? { mappingFile: ds.mappingFile } : {}),
      format: ds.format,
      rows: this.rows,
      labels,
      id2label: Object.fromEntries(ds.labels.names.map((n, i) => [String(i), n])),
      multiLabel: ds.multiLabel,
      missingLabels: labelled ? this.missing : 0,
      missingLabelLines: labelled ? [...this.missingLines] : [],
      balance,
      emptyTexts: this.empty,
      emptyTextLines: [...this.emptyLines],
      duplicates: {
        count: this.rows - this.exact.size,
        groups: this.groups,
        conflictingLabels: this.conflicting,
        examples: [...this.listed.entries()]
          .sort((a, b) => a[0] - b[0])
          .map(([, g]) => ({ text: g.text, lines: [...g.lines], labels: [...g.labelIds].map((i) => this.labelKeyNames[i]!) })),
        normalizedCount: this.rows - (this.normalizedDistinct ?? this.normalized.size),
      },
      length: { chars: histogramStats(this.chars), ...(this.options.tokenizer ? { tokens: histogramStats(this.tokens) } : {}) },
      skipped: { count: this.skippedCount, byReason: { ...this.byReason }, rows: [...this.skippedRows] },
    };
  }

  footprint(): InspectorFootprint {
    let listedTextChars = 0;
    let listedLines = this.missingLines.length + this.emptyLines.length;
    for (const g of this.listed.values()) {
      listedTextChars += g.text.length;
      listedLines += g.lines.length;
    }
    return {
      distinctTexts: this.exact.size,
      distinctNormalized: this.normalized.size,
      hashBytes:
        this.exact.bytes +
        this.normalized.bytes +
        this.count.data.byteLength +
        this.firstLine.data.byteLength +
        this.firstLabel.data.byteLength +
        this.conflict.data.byteLength,
      listedTexts: this.listed.size,
      listedTextChars,
      listedLines,
      lengthBins: this.chars.size + this.tokens.size,
    };
  }
}

/**
 * Majority and minority shares and the ratio of the largest to the smallest class that occurs (a class
 * with no rows would make it ∞); null without labelled rows. Loops, not Math.max(...counts): spreading
 * hundreds of thousands of counts (an id column taken as the label) overflows the call stack.
 */
export function labelBalance(counts: Iterable<number>): InspectReport['balance'] {
  let total = 0;
  let max = 0;
  let min = Infinity;
  let minPresent = Infinity;
  for (const c of counts) {
    total += c;
    if (c > max) max = c;
    if (c < min) min = c;
    if (c > 0 && c < minPresent) minPresent = c;
  }
  return total > 0 ? { majorityShare: round4(max / total), minorityShare: round4(min / total), imbalanceRatio: round4(max / minPresent) } : null;
}

/**
 * Describes a dataset: size, label counts and balance, empty and duplicate texts, and text lengths
 * in characters (Unicode code points, so an emoji counts 1) and, with a tokenizer, in tokens (as
 * `encode` returns them, special tokens included; a text pair counts both texts).
 */
export function inspectDataset(ds: Dataset, options: InspectOptions = {}): InspectReport {
  const inspector = new DatasetInspector(options);
  for (const e of ds.examples) inspector.example(e);
  for (const s of ds.skipped) inspector.skip(s);
  return inspector.report(ds);
}

/**
 * Inspects a file as it is read (streamDataset): the same report as inspectDataset(loadDataset(path,
 * loadOptions)), with memory that does not grow with the file's texts.
 */
export async function inspectFile(path: string, loadOptions: LoadOptions = {}, options: InspectOptions = {}): Promise<InspectReport> {
  const inspector = new DatasetInspector(options);
  try {
    await inspector.startWorker();
    const info = await streamDataset(path, loadOptions, inspector);
    await inspector.finish();
    return inspector.report(info);
  } finally {
    await inspector.close();
  }
}

function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff || i + 1 >= s.length) n++;
    else {
      const d = s.charCodeAt(i + 1);
      n++;
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
  }
  return n;
}

/** Min, max, mean, median and 95th percentile (linear interpolation, numpy's default). */
export function stats(xs: readonly number[]): LengthStats | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => {
    const pos = (s.length - 1) * p;
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
  };
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return { min: s[0]!, max: s[s.length - 1]!, mean: round4(mean), median: round4(q(0.5)), p95: round4(q(0.95)) };
}

/**
 * `stats` of integers given as counts per value (value → how many): the same numbers, from memory
 * that grows with the distinct values, not the count (sums of integers are exact below 2^53).
 */
export function histogramStats(counts: ReadonlyMap<number, number>): LengthStats | null {
  const values = [...counts.keys()].sort((a, b) => a - b);
  if (values.length === 0) return null;
  let n = 0;
  let sum = 0;
  for (const v of values) {
    n += counts.get(v)!;
    sum += v * counts.get(v)!;
  }
  // The value at a position of the sorted list, found on the running counts.
  const at = (pos: number): number => {
    let seen = 0;
    for (const v of values) {
      seen += counts.get(v)!;
      if (pos < seen) return v;
    }
    return values[values.length - 1]!;
  };
  const q = (p: number) => {
    const pos = (n - 1) * p;
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    const a = at(lo);
    return a + (at(hi) - a) * (pos - lo);
  };
  return { min: values[0]!, max: values[values.length - 1]!, mean: round4(sum / n), median: round4(q(0.5)), p95: round4(q(0.95)) };
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** The report as a readable, aligned table. */
export function formatReport(r: InspectReport): string {
  const out: string[] = [];
  const kv: Array<[string, string]> = [
    ['file', r.file],
  ];
  if (r.labelsFile !== undefined) kv.push(['labels file', r.labelsFile]);
  if (r.mappingFile !== undefined) kv.push(['mapping file', r.mappingFile]);
  kv.push(['format', r.format], ['rows', fmt(r.rows)]);
  if (r.missingLabels > 0) kv.push(['rows without label', fmt(r.missingLabels) + locs(r.missingLabelLines, r.file)]);
  kv.push(['empty texts', fmt(r.emptyTexts) + locs(r.emptyTextLines, r.file)]);
  kv.push([
    'duplicate texts',
    `${fmt(r.duplicates.count)} extra copies of ${fmt(r.duplicates.groups)} texts` +
      (r.duplicates.conflictingLabels > 0 ? ` (${r.duplicates.conflictingLabels} with conflicting labels)` : ''),
  ]);
  kv.push(['duplicates after normalization', fmt(r.duplicates.normalizedCount)]);
  if (r.skipped.count > 0) {
    kv.push([
      'skipped rows',
      `${fmt(r.skipped.count)} (${Object.entries(r.skipped.byReason)
        .map(([k, v]) => `${k}: ${v}`)
        .join('; ')})`,
    ]);
  }
  const w = Math.max(...kv.map(([k]) => k.length));
  for (const [k, v] of kv) out.push(`${k.padEnd(w)}  ${v}`);

  const names = Object.keys(r.labels);
  if (names.length > 0) {
    out.push('');
    const rows = names.map((name, i) => {
      const n = r.labels[name]!;
      const share = r.rows > 0 ? (100 * n) / r.rows : 0;
      return [String(i), name, fmt(n), `${share.toFixed(1)}%`];
    });
    out.push(...table(['id', 'label', 'count', 'share'], rows, [false, false, true, true]));
    if (r.balance) {
      out.push(
        `balance: majority ${(r.balance.majorityShare * 100).toFixed(1)}%, minority ${(r.balance.minorityShare * 100).toFixed(1)}%, ratio ${r.balance.imbalanceRatio.toFixed(2)}`,
      );
    }
  } else out.push('', 'no labels');

  out.push('');
  const lrows: string[][] = [];
  const add = (name: string, s: LengthStats | null | undefined) => {
    if (s) lrows.push([name, fmt(s.min), fmt(s.median), s.mean.toFixed(1), fmt(s.p95), fmt(s.max)]);
  };
  add('characters', r.length.chars);
  add('tokens', r.length.tokens);
  if (lrows.length > 0) out.push(...table(['length', 'min', 'median', 'mean', 'p95', 'max'], lrows, [false, true, true, true, true, true]));

  if (r.duplicates.examples.length > 0) {
    out.push('', 'duplicates (lines):');
    for (const d of r.duplicates.examples) out.push(`  ${d.lines.join(', ')}  ${JSON.stringify(clip(d.text))}`);
  }
  if (r.skipped.rows.length > 0) {
    out.push('', 'skipped:');
    for (const s of r.skipped.rows) out.push(`  ${s.file}:${s.line}${s.field ? ` (${s.field})` : ''}  ${s.reason}`);
  }
  return out.join('\n');
}

function locs(lines: SourceLocation[], file: string): string {
  if (lines.length === 0) return '';
  return ` (${lines.map((l) => (l.file === file ? `line ${l.line}` : `${l.file}:${l.line}`)).join(', ')})`;
}

function table(head: string[], rows: string[][], right: boolean[]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

function fmt(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString('en-US') : n.toFixed(1);
}

function clip(s: string, n = 80): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
