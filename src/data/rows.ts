/**
 * From records to examples, shared by the two ways of reading a file: `loadDataset` (the whole file at
 * once, examples kept) and `streamDataset` (pieces of the file, each example handed on and let go).
 * Both feed the same readers below — a CSV/TSV record, a JSONL line, a JSON array element, a pair of
 * parallel lines at a time — so columns, line numbers, bad rows and labels come out the same.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { LenguaError } from '../errors.js';
import { readTextFile, splitLines } from './decode.js';
import { LabelSet, type LabelOrder } from './labels.js';
import type { DataFormat, DatasetInfo, DatasetLayout, Example, LoadOptions, RawRecord, SkippedRow, SourceLocation } from './types.js';

const TEXT_COLUMNS = ['text', 'sentence', 'tweet', 'content', 'review'];
const LABEL_COLUMNS = ['label', 'labels', 'sentiment', 'class', 'target'];
/** A record longer than this is refused (bounds memory per row; tweets and reviews are far below it). */
export const MAX_FIELD_CHARS = 1_000_000;
/** A CSV/TSV record (all its fields, as UTF-8) longer than this is a syntax error: room for several fields at MAX_FIELD_CHARS. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;
/** A JSONL line longer than this is a bad row (a 1M-character text with every character escaped fits). */
export const MAX_LINE_CHARS = 8 * MAX_FIELD_CHARS;

/** Where examples and skipped rows go as they are read. */
export interface RowSink {
  example(e: Example): void;
  skip(row: SkippedRow): void;
  /** A streaming reader waits on the promise this returns before reading on (backpressure). */
  pause?(): Promise<void> | undefined;
}

/** Examples and skipped rows kept in arrays: what loadDataset returns. */
export class KeepAll implements RowSink {
  readonly examples: Example[] = [];
  readonly skipped: SkippedRow[] = [];
  example(e: Example): void {
    this.examples.push(e);
  }
  skip(row: SkippedRow): void {
    this.skipped.push(row);
  }
}

/**
 * Hands examples to the sink, and either throws on a bad row or hands it on as skipped. Keeps what
 * the label set needs (each label once, in first-seen order) and, with a fixed label set, where each
 * unknown label first appears — never the examples.
 */
export class Collector {
  private readonly seen = new Set<string>();
  readonly firstSeen: string[] = [];
  multiLabel = false;
  private readonly unknown = new Map<string, SourceLocation>();

  constructor(
    readonly file: string,
    readonly opts: LoadOptions,
    readonly sink: RowSink,
  ) {}

  bad(line: number, field: string | undefined, reason: string, file = this.file): void {
    if (this.opts.onBadRow === 'skip') {
      this.sink.skip({ file, line, ...(field !== undefined ? { field } : {}), reason });
      return;
    }
    throw new LenguaError(reason, { file, line, ...(field !== undefined ? { field } : {}) });
  }

  add(e: Example): void {
    if (e.label !== undefined) {
      if (Array.isArray(e.label)) this.multiLabel = true;
      for (const l of typeof e.label === 'string' ? [e.label] : e.label) {
        if (!this.seen.has(l)) {
          this.seen.add(l);
          this.firstSeen.push(l);
          if (this.opts.labels !== undefined && !this.opts.labels.has(l)) this.unknown.set(l, e.source);
        }
      }
    }
    this.sink.example(e);
  }

  /** The label set: the fixed one (every label checked against it) or one built from the labels seen. */
  labelSet(order: LabelOrder | undefined): LabelSet {
    if (this.opts.labels !== undefined) {
      if (this.unknown.size > 0) throw unknownLabelsError(this.unknown, this.opts.labels);
      return this.opts.labels;
    }
    return LabelSet.fromLabels(this.firstSeen, order !== undefined ? { order } : {});
  }
}

/** Every label outside the fixed set, with where it first appears. */
export function unknownLabelsError(unknown: ReadonlyMap<string, SourceLocation>, labels: LabelSet): LenguaError {
  const entries = [...unknown.entries()];
  const list = entries.slice(0, 20).map(([l, at]) => `"${clip(l, 60)}" (first at ${at.file}:${at.line})`);
  if (entries.length > 20) list.push(`… ${entries.length - 20} more`);
  const first = entries[0]![1];
  return new LenguaError(
    `${unknown.size} unknown label${unknown.size === 1 ? '' : 's'}: ${list.join(', ')}; known labels: ${quoteNames(labels.names)}`,
    { file: first.file, line: first.line, field: 'label' },
  );
}

export interface Columns {
  text: string;
  textPair?: string;
  label?: string;
  labels?: string[];
  id?: string;
}

/** `"a", "b", …` for an error message: the first 20 names (each clipped), then how many more. */
export function quoteNames(names: readonly string[]): string {
  const shown = names.slice(0, 20).map((n) => `"${clip(n, 60)}"`);
  if (names.length > 20) shown.push(`… ${names.length - 20} more`);
  return shown.join(', ');
}

/** Applies the defaults for text/label columns against the names a file offers. */
export function resolveColumns(available: readonly string[], opts: LoadOptions, file: string, line: number): Columns {
  const has = (c: string) => available.includes(c);
  const unknown = (c: string, what: string): never => {
    throw new LenguaError(`unknown ${what} column "${c}"; columns are: ${quoteNames(available)}`, {
      file,
      line,
      field: c,
    });
  };
  let text = opts.textColumn;
  let textPair = opts.textPairColumn;
  if (text === undefined) {
    if (has('sentence1') && has('sentence2') && textPair === undefined) {
      text = 'sentence1';
      textPair = 'sentence2';
    } else {
      text = TEXT_COLUMNS.find(has);
      if (text === undefined) {
        throw new LenguaError(
          `no text column found (looked for ${TEXT_COLUMNS.join(', ')}); columns are: ${quoteNames(available)}; name one with --text-column`,
          { file, line },
        );
      }
    }
  } else if (!has(text)) unknown(text, 'text');
  if (textPair !== undefined && !has(textPair)) unknown(textPair, 'text pair');
  const cols: Columns = { text, ...(textPair !== undefined ? { textPair } : {}) };
  if (opts.labelColumns !== undefined && opts.labelColumns.length > 0) {
    for (const c of opts.labelColumns) if (!has(c)) unknown(c, 'label');
    cols.labels = [...opts.labelColumns];
  } else if (opts.labelColumn !== undefined) {
    if (!has(opts.labelColumn)) unknown(opts.labelColumn, 'label');
    cols.label = opts.labelColumn;
  } else {
    const l = LABEL_COLUMNS.find(has);
    if (l !== undefined) cols.label = l;
    else if (opts.requireLabel) {
      // Said here, where the columns are known, rather than later as "example without a label".
      throw new LenguaError(
        `no label column found (looked for ${LABEL_COLUMNS.join(', ')}); columns are: ${quoteNames(available)}; name one with --label-column (or --label-columns for 0/1 columns)`,
        { file, line },
      );
    }
  }
  if (opts.idColumn !== undefined) {
    if (!has(opts.idColumn)) unknown(opts.idColumn, 'id');
    cols.id = opts.idColumn;
  }
  return cols;
}

/** Turns one record into an example, or reports why it cannot be one. */
export function addRecord(c: Collector, cols: Columns, get: (column: string) => unknown, line: number, raw: RawRecord): void {
  const textValue = get(cols.text);
  if (textValue === undefined || textValue === null) return c.bad(line, cols.text, 'missing text');
  if (typeof textValue !== 'string') return c.bad(line, cols.text, `text must be a string, got ${jsonType(textValue)}`);
  if (textValue.length > MAX_FIELD_CHARS) {
    return c.bad(line, cols.text, `text is ${textValue.length} characters, over the limit of ${MAX_FIELD_CHARS}`);
  }
  if (textValue.trim() === '' && !c.opts.allowEmptyText) return c.bad(line, cols.text, 'empty text');
  const ex: Example = { text: textValue, source: { file: c.file, line }, raw };
  if (cols.textPair !== undefined) {
    const p = get(cols.textPair);
    if (p === undefined || p === null) return c.bad(line, cols.textPair, 'missing text pair');
    if (typeof p !== 'string') return c.bad(line, cols.textPair, `text pair must be a string, got ${jsonType(p)}`);
    if (p.length > MAX_FIELD_CHARS) return c.bad(line, cols.textPair, `text pair is ${p.length} characters, over the limit of ${MAX_FIELD_CHARS}`);
    if (p.trim() === '' && !c.opts.allowEmptyText) return c.bad(line, cols.textPair, 'empty text pair');
    ex.textPair = p;
  }
  if (cols.labels !== undefined) {
    const on: string[] = [];
    for (const col of cols.labels) {
      const v = get(col);
      const flag = parseFlag(v);
      if (flag === undefined) {
        if (isMissing(v)) {
          if (c.opts.allowMissingLabel) continue;
          return c.bad(line, col, 'missing label');
        }
        return c.bad(line, col, `multi-label column value must be 0/1 or true/false, got ${clip(JSON.stringify(v) ?? String(v))}`);
      }
      if (flag) on.push(col);
    }
    ex.label = on;
  } else if (cols.label !== undefined) {
    const v = get(cols.label);
    if (isMissing(v)) {
      if (!c.opts.allowMissingLabel) return c.bad(line, cols.label, 'missing label');
    } else if (Array.isArray(v)) {
      const items = v.map((x) => (typeof x === 'string' || typeof x === 'number' ? String(x).trim() : undefined));
      if (items.some((x) => x === undefined || x === '')) {
        return c.bad(line, cols.label, 'multi-label list must hold non-empty strings or numbers');
      }
      ex.label = items as string[];
    } else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
      const s = String(v).trim();
      if (c.opts.labelSeparator !== undefined) {
        ex.label = s
          .split(c.opts.labelSeparator)
          .map((x) => x.trim())
          .filter((x) => x !== '');
      } else ex.label = s;
    } else return c.bad(line, cols.label, `label must be a string, number or list, got ${jsonType(v)}`);
  }
  if (cols.id !== undefined) {
    const v = get(cols.id);
    if (typeof v === 'string' || typeof v === 'number') ex.id = String(v);
  }
  c.add(ex);
}

function isMissing(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
}

function parseFlag(v: unknown): boolean | undefined {
  if (v === true || v === 1) return true;
  if (v === false || v === 0) return false;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === '1' || s === 'true' || s === '1.0') return true;
    if (s === '0' || s === 'false' || s === '0.0') return false;
  }
  return undefined;
}

export function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : typeof v;
}

function clip(s: string, n = 200): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/** What a dataset is, once every record has been read. */
function info(
  c: Collector,
  format: DataFormat,
  path: string,
  cols: Columns,
  layout: DatasetLayout,
  extra: Partial<DatasetInfo> = {},
  mappingOrder?: string[],
): DatasetInfo {
  const order = mappingOrder ?? (cols.labels !== undefined && c.opts.labelOrder === undefined ? cols.labels : c.opts.labelOrder);
  return {
    labels: c.labelSet(order),
    format,
    path,
    multiLabel: cols.labels !== undefined || c.multiLabel,
    columns: { ...cols },
    layout,
    ...extra,
  };
}

export function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

// ---------- CSV / TSV ----------

/** A record as csv-parse gives it with `raw: true`: the fields and the text they were read from. */
export interface CsvRecord {
  record: string[];
  raw: string;
}

/** Options every CSV/TSV read passes to csv-parse (the whole-file and the streaming parser alike). */
export function csvOptions(format: 'csv' | 'tsv') {
  return {
    delimiter: format === 'tsv' ? '\t' : ',',
    // TSV files (GLUE, TASS) do not quote: a '"' in a tweet is just a character.
    quote: format === 'tsv' ? null : '"',
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: false,
    // Bounds the memory of one record: an unclosed quote would otherwise make the rest of the file one field.
    max_record_size: MAX_RECORD_BYTES,
    raw: true,
  };
}

function isBlankRecord(r: CsvRecord): boolean {
  return r.record.length === 1 && r.record[0] === '' && r.raw.trim() === '';
}

/**
 * CSV/TSV records (from csv-parse, in file order) to examples: the header, line numbers (each record
 * starts on the line after the newlines of all records before it; CRLF must already be LF), ragged
 * rows. A run of blank lines is held back until a record follows it, since blank lines at the very
 * end of a file are not records.
 */
export class DelimitedRows {
  private nextLine = 1;
  private blankFrom = 0;
  private blankCount = 0;
  private started = false;
  private header: string[] | null = null;
  private cols: Columns | undefined;
  private index = new Map<string, number>();
  private width = 0;

  constructor(
    private readonly c: Collector,
    private readonly path: string,
    private readonly format: 'csv' | 'tsv',
  ) {}

  /** The header's names once read (for naming the field of a syntax error). */
  get headerNames(): string[] | undefined {
    return this.header ?? undefined;
  }

  record(r: CsvRecord): void {
    const line = this.nextLine;
    this.nextLine += countNewlines(r.raw);
    if (isBlankRecord(r)) {
      if (this.blankCount === 0) this.blankFrom = line;
      this.blankCount++;
      return;
    }
    this.flushBlanks();
    this.take(r.record, line, false);
  }

  private flushBlanks(): void {
    // A blank line holds one record of one empty field and spans exactly one line.
    for (let k = 0; k < this.blankCount; k++) this.take([''], this.blankFrom + k, true);
    this.blankCount = 0;
  }

  private take(fields: string[], line: number, blank: boolean): void {
    const headerWanted = this.c.opts.header ?? true;
    if (!this.started) {
      this.started = true;
      if (headerWanted) {
        const header = fields.map((h) => h.trim());
        const seen = new Set<string>();
        const dup = header.find((h) => seen.size === seen.add(h).size);
        if (dup !== undefined) throw new LenguaError(`column "${clip(dup, 60)}" appears twice in the header`, { file: this.path, line: 1, field: clip(dup, 60) });
        this.header = header;
        this.resolve(header, 1);
        return;
      }
      this.resolve(
        Array.from({ length: fields.length }, (_, i) => String(i)),
        line,
      );
    }
    if (fields.length !== this.width) {
      this.c.bad(line, undefined, `${blank ? 'blank line: ' : ''}ragged row: expected ${this.width} fields${this.header ? ' (as the header)' : ''}, found ${fields.length}`);
      return;
    }
    addRecord(this.c, this.cols!, (col) => fields[this.index.get(col)!], line, { kind: 'fields', fields });
  }

  private resolve(names: string[], line: number): void {
    this.width = names.length;
    this.cols = resolveColumns(names, this.c.opts, this.path, line);
    this.index = new Map(names.map((n, i) => [n, i] as const));
  }

  /** After the last record: what the dataset is. */
  end(): DatasetInfo {
    // Trailing blank lines are dropped: they are not records.
    if (!this.started) {
      if (this.c.opts.header ?? true) throw new LenguaError('empty file: no header line', { file: this.path, line: 1 });
      this.resolve([], 1);
    }
    const delimiter = this.format === 'tsv' ? '\t' : ',';
    return info(this.c, this.format, this.path, this.cols!, { header: this.header, delimiter });
  }
}

/** The header's column names, parsed on their own (only for naming the field of a syntax error). */
export function headerOf(text: string, format: 'csv' | 'tsv'): string[] | undefined {
  try {
    const [first] = parseCsv(text, { ...csvOptions(format), raw: false, to: 1 }) as string[][];
    return first?.map((h) => h.trim());
  } catch {
    return undefined;
  }
}

/** csv-parse's errors carry a `CSV_…` code. */
export function isCsvError(err: unknown): boolean {
  return typeof (err as { code?: unknown } | null)?.code === 'string' && (err as { code: string }).code.startsWith('CSV_');
}

/**
 * A csv-parse error as a LenguaError on the line where the bad record starts — for an unclosed quote,
 * the line where the quoted field opens (csv-parse reports the end of the file). `header` gives the
 * column names, when there are any, to name the field.
 */
export function csvSyntaxError(err: unknown, path: string, format: 'csv' | 'tsv', header: () => string[] | undefined): LenguaError {
  const e = err as { code?: string; message?: string; lines?: number; raw?: string; column?: number | string | null };
  const kind = format.toUpperCase();
  if ((e.code === 'CSV_QUOTE_NOT_CLOSED' || e.code === 'CSV_MAX_RECORD_SIZE') && typeof e.lines === 'number' && typeof e.raw === 'string') {
    const raw = e.raw.endsWith('\n') ? e.raw.slice(0, -1) : e.raw;
    const recordStart = e.lines - countNewlines(raw);
    const column = typeof e.column === 'number' ? e.column : undefined;
    const fieldStart = column !== undefined ? fieldOffset(raw, column, format === 'tsv' ? '\t' : ',') : undefined;
    const line = recordStart + (fieldStart !== undefined ? countNewlines(raw.slice(0, fieldStart)) : 0);
    const name = column !== undefined ? (header()?.[column] ?? String(column)) : undefined;
    const where = { file: path, line, ...(name !== undefined ? { field: name } : {}) };
    if (e.code === 'CSV_QUOTE_NOT_CLOSED') {
      return new LenguaError(
        `malformed ${kind}: the quoted field that opens on this line is never closed (Quote Not Closed); a field holding a quote must be quoted as a whole, with each inner quote doubled ("")`,
        where,
        { cause: err },
      );
    }
    return new LenguaError(
      `malformed ${kind}: the record that starts on line ${recordStart} is over ${MAX_RECORD_BYTES} bytes; most likely a quote opened here is never closed`,
      where,
      { cause: err },
    );
  }
  const msg = (e.message ?? String(err)).replace(/ at line \d+$| on line \d+$/, '');
  return new LenguaError(`malformed ${kind}: ${msg}`, { file: path, ...(e.lines ? { line: e.lines } : {}) }, { cause: err });
}

/** Offset in `raw` (one record, all fields before `column` complete) where field `column` starts. */
function fieldOffset(raw: string, column: number, delimiter: string): number | undefined {
  let i = 0;
  for (let field = 0; field < column; field++) {
    if (raw[i] === '"') {
      // A quoted field: "" is a quote inside it; the closing quote is followed by the delimiter.
      for (i++; ; i++) {
        if (i >= raw.length) return undefined;
        if (raw[i] === '"') {
          if (raw[i + 1] === '"') i++;
          else break;
        }
      }
    }
    const next = raw.indexOf(delimiter, i);
    if (next < 0) return undefined;
    i = next + delimiter.length;
  }
  return i;
}

// ---------- JSON Lines ----------

/** JSONL lines to examples: one JSON object per line; blank lines hold no record. */
export class JsonLineRows {
  private cols: Columns | undefined;

  constructor(
    private readonly c: Collector,
    private readonly path: string,
  ) {}

  line(s: string, line: number): void {
    if (s.length > MAX_LINE_CHARS) return this.overlong(line, s.length);
    if (s.trim() === '') return; // blank lines separate nothing in JSONL; they hold no record
    let value: unknown;
    try {
      value = JSON.parse(s);
    } catch (err) {
      return this.c.bad(line, undefined, `invalid JSON: ${clip((err as Error).message)}`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return this.c.bad(line, undefined, `each line must be a JSON object, got ${jsonType(value)}`);
    }
    const obj = value as Record<string, unknown>;
    this.cols ??= resolveColumns(Object.keys(obj), this.c.opts, this.path, line);
    addRecord(this.c, this.cols, (k) => (Object.hasOwn(obj, k) ? obj[k] : undefined), line, { kind: 'jsonl', line: s });
  }

  /** A line too long to hold (the streaming reader drops its text as it goes and gives only its length). */
  overlong(line: number, length: number): void {
    this.c.bad(line, undefined, `line is ${length} characters, over the limit of ${MAX_LINE_CHARS}`);
  }

  end(): DatasetInfo {
    if (this.cols === undefined) throw new LenguaError('no records: the file holds no JSON objects', { file: this.path });
    return info(this.c, 'jsonl', this.path, this.cols, {});
  }
}

// ---------- JSON array ----------

/** The elements of a parsed top-level JSON array to examples. */
export function jsonArrayRows(c: Collector, path: string, text: string, value: unknown): DatasetInfo {
  if (!Array.isArray(value)) {
    throw new LenguaError(`expected a JSON array of objects at the top level, got ${jsonType(value)}`, { file: path, line: 1 });
  }
  const starts = arrayElementLines(text);
  let cols: Columns | undefined;
  value.forEach((v: unknown, i) => {
    const line = starts[i] ?? 1;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      return c.bad(line, undefined, `array element ${i} must be an object, got ${jsonType(v)}`);
    }
    const obj = v as Record<string, unknown>;
    cols ??= resolveColumns(Object.keys(obj), c.opts, path, line);
    addRecord(c, cols, (k) => (Object.hasOwn(obj, k) ? obj[k] : undefined), line, { kind: 'json', value: v });
  });
  if (cols === undefined) throw new LenguaError('no records: the JSON array is empty', { file: path });
  return info(c, 'json', path, cols, { jsonIndent: 2 });
}

/** Parses a JSON file's text; a syntax error names its line. */
export function parseJsonText(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const m = /position (\d+)/.exec((err as Error).message);
    const line = m ? countNewlines(text.slice(0, Number(m[1]))) + 1 : undefined;
    throw new LenguaError(`invalid JSON: ${clip((err as Error).message)}`, { file: path, ...(line ? { line } : {}) }, { cause: err });
  }
}

/** The line on which each element of the top-level JSON array starts (JSON.parse gives no positions). */
export function arrayElementLines(text: string): number[] {
  const out: number[] = [];
  let depth = 0;
  let inString = false;
  let line = 1;
  let expectValue = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\n') line++;
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (depth === 1 && expectValue && !/\s/.test(ch) && ch !== ']') {
      out.push(line);
      expectValue = false;
    }
    if (ch === '"') inString = true;
    else if (ch === '[' || ch === '{') {
      depth++;
      if (depth === 1) expectValue = true;
    } else if (ch === ']' || ch === '}') depth--;
    else if (ch === ',' && depth === 1) expectValue = true;
  }
  return out;
}

// ---------- parallel text / label files ----------

/** For `X_text.txt`, the `X_labels.txt` beside it, if present. */
export function siblingLabelsFile(textPath: string): string | undefined {
  const m = /^(.*)_text\.txt$/i.exec(basename(textPath));
  if (!m) return undefined;
  const candidate = join(dirname(textPath), `${m[1]}_labels.txt`);
  return existsSync(candidate) ? candidate : undefined;
}

/** Reads `id<TAB>name` lines (TweetEval's mapping.txt): label names in id order. */
export function readMapping(path: string, encoding: LoadOptions['encoding']): Map<string, string> {
  const map = new Map<string, string>();
  const names = new Set<string>();
  splitLines(readTextFile(path, encoding)).forEach((l, i) => {
    if (l.trim() === '') return;
    const m = /^\s*(\S+)\s+(.*\S)\s*$/.exec(l);
    if (!m) throw new LenguaError('expected "id<TAB>name"', { file: path, line: i + 1 });
    const [, id, name] = m as unknown as [string, string, string];
    if (map.has(id)) throw new LenguaError(`label id "${id}" is mapped twice`, { file: path, line: i + 1, field: 'id' });
    if (names.has(name)) throw new LenguaError(`label name "${name}" is mapped twice`, { file: path, line: i + 1, field: 'name' });
    map.set(id, name);
    names.add(name);
  });
  if (map.size === 0) throw new LenguaError('mapping file holds no labels', { file: path });
  return map;
}

/** The files of the parallel form: found before any line is read. */
export interface ParallelFiles {
  labelsFile?: string;
  mappingFile?: string;
  mapping?: Map<string, string>;
}

/** Finds the labels and mapping files of `X_text.txt` (or takes the given ones) and reads the mapping. */
export function parallelFiles(path: string, opts: LoadOptions): ParallelFiles {
  const labelsFile = opts.labelsFile ?? siblingLabelsFile(path);
  if (opts.labelsFile !== undefined && !existsSync(opts.labelsFile)) {
    throw new LenguaError('labels file not found', { file: opts.labelsFile });
  }
  if (labelsFile === undefined && opts.requireLabel) {
    const m = /^(.*)_text\.txt$/i.exec(basename(path));
    throw new LenguaError(
      `no labels file${m ? ` (looked for ${m[1]}_labels.txt beside it)` : ''}: the texts have no labels; name the labels file with --labels`,
      { file: path },
    );
  }
  let mappingFile = opts.mappingFile;
  if (mappingFile === undefined && labelsFile !== undefined) {
    const beside = join(dirname(path), 'mapping.txt');
    if (existsSync(beside)) mappingFile = beside;
  } else if (mappingFile !== undefined && !existsSync(mappingFile)) {
    throw new LenguaError('mapping file not found', { file: mappingFile });
  }
  const mapping = mappingFile !== undefined ? readMapping(mappingFile, opts.encoding) : undefined;
  return { ...(labelsFile !== undefined ? { labelsFile } : {}), ...(mappingFile !== undefined ? { mappingFile, mapping: mapping! } : {}) };
}

/** The error for text and labels files of different lengths (checked before any line is used). */
export function lengthMismatch(path: string, labelsFile: string, texts: number, labels: number): LenguaError {
  return new LenguaError(`${texts} texts but ${labels} labels in ${labelsFile}: the files must have one line per example`, {
    file: path,
    line: Math.min(texts, labels) + 1,
  });
}

/** Pairs of parallel lines (text, label) to examples. */
export class ParallelRows {
  private readonly cols: Columns;

  constructor(
    private readonly c: Collector,
    private readonly path: string,
    private readonly files: ParallelFiles,
  ) {
    this.cols = { text: 'text', ...(files.labelsFile !== undefined ? { label: 'label' } : {}) };
  }

  /** Line `line` of both files; a text line too long to hold comes as its length. */
  row(line: number, text: string | { length: number }, rawLabel: string | undefined): void {
    const { mapping, mappingFile, labelsFile } = this.files;
    let label: string | undefined;
    if (rawLabel !== undefined) {
      const id = rawLabel.trim();
      if (id === '') {
        if (!this.c.opts.allowMissingLabel) return this.c.bad(line, 'label', 'missing label', labelsFile);
      } else if (mapping !== undefined) {
        label = mapping.get(id);
        if (label === undefined) {
          return this.c.bad(line, 'label', `label id "${clip(id, 60)}" is not in ${mappingFile} (ids: ${quoteNames([...mapping.keys()])})`, labelsFile);
        }
      } else label = id;
    }
    if (typeof text !== 'string') return this.c.bad(line, 'text', `text is ${text.length} characters, over the limit of ${MAX_FIELD_CHARS}`);
    const get = (col: string) => (col === 'text' ? text : col === 'label' ? label : undefined);
    const raw: RawRecord = { kind: 'parallel', text, ...(rawLabel !== undefined ? { label: rawLabel } : {}) };
    addRecord(this.c, this.cols, get, line, raw);
  }

  end(): DatasetInfo {
    const { labelsFile, mappingFile, mapping } = this.files;
    const layout: DatasetLayout = {};
    if (mappingFile !== undefined) layout.mappingText = readTextFile(mappingFile, this.c.opts.encoding);
    return info(
      this.c,
      'parallel',
      this.path,
      this.cols,
      layout,
      { ...(labelsFile !== undefined ? { labelsFile } : {}), ...(mappingFile !== undefined ? { mappingFile } : {}) },
      mapping !== undefined && this.c.opts.labels === undefined ? [...mapping.values()] : undefined,
    );
  }
}
