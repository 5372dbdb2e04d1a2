import { existsSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { LenguaError } from '../errors.js';
import { readTextFile, splitLines } from './decode.js';
import { LabelSet } from './labels.js';
import type { DataFormat, Dataset, DatasetLayout, Example, LoadOptions, RawRecord, SkippedRow } from './types.js';

const TEXT_COLUMNS = ['text', 'sentence', 'tweet', 'content', 'review'];
const LABEL_COLUMNS = ['label', 'labels', 'sentiment', 'class', 'target'];
/** A record longer than this is refused (bounds memory per row; tweets and reviews are far below it). */
const MAX_FIELD_CHARS = 1_000_000;
/** A CSV/TSV record (all its fields, as UTF-8) longer than this is a syntax error: room for several fields at MAX_FIELD_CHARS. */
const MAX_RECORD_BYTES = 16 * 1024 * 1024;

/** Picks the format from the file name: `.csv`, `.tsv`, `.jsonl`/`.ndjson`, `.json`, `*_text.txt`/`.txt` (parallel). */
export function detectFormat(path: string): DataFormat {
  const ext = extname(path).toLowerCase();
  switch (ext) {
    case '.csv':
      return 'csv';
    case '.tsv':
    case '.tab':
      return 'tsv';
    case '.jsonl':
    case '.ndjson':
      return 'jsonl';
    case '.json':
      return 'json';
    case '.txt':
      return 'parallel';
    case '.conll':
    case '.conllu':
    case '.iob':
    case '.bio':
      throw new LenguaError('looks like token-per-line NER data: read it with loadConll (lengua data conll)', { file: path });
    default:
      throw new LenguaError(
        `cannot tell the format from the extension "${ext}"; use .csv, .tsv, .jsonl, .json or X_text.txt, or pass the format (--format)`,
        { file: path },
      );
  }
}

/** Loads labelled text from CSV, TSV, JSONL, a JSON array or parallel text/label files. */
export function loadDataset(path: string, options: LoadOptions = {}): Dataset {
  if (!existsSync(path)) throw new LenguaError('file not found', { file: path });
  const format = options.format ?? detectFormat(path);
  switch (format) {
    case 'csv':
    case 'tsv':
      return loadDelimited(path, format, options);
    case 'jsonl':
      return loadJsonLines(path, options);
    case 'json':
      return loadJsonArray(path, options);
    case 'parallel':
      return loadParallel(path, options);
    default:
      throw new LenguaError(`unknown format "${String(format)}"`, { file: path });
  }
}

/** Collects examples, and either throws on a bad row or records it as skipped. */
class Collector {
  readonly examples: Example[] = [];
  readonly skipped: SkippedRow[] = [];
  constructor(
    readonly file: string,
    readonly opts: LoadOptions,
  ) {}

  bad(line: number, field: string | undefined, reason: string): void {
    if (this.opts.onBadRow === 'skip') {
      this.skipped.push({ file: this.file, line, ...(field !== undefined ? { field } : {}), reason });
      return;
    }
    throw new LenguaError(reason, { file: this.file, line, ...(field !== undefined ? { field } : {}) });
  }
}

interface Columns {
  text: string;
  textPair?: string;
  label?: string;
  labels?: string[];
  id?: string;
}

/** Applies the defaults for text/label columns against the names a file offers. */
function resolveColumns(available: readonly string[], opts: LoadOptions, file: string, line: number): Columns {
  const has = (c: string) => available.includes(c);
  const unknown = (c: string, what: string): never => {
    throw new LenguaError(`unknown ${what} column "${c}"; columns are: ${available.map((a) => `"${a}"`).join(', ')}`, {
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
          `no text column found (looked for ${TEXT_COLUMNS.join(', ')}); columns are: ${available.map((a) => `"${a}"`).join(', ')}; name one with --text-column`,
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
        `no label column found (looked for ${LABEL_COLUMNS.join(', ')}); columns are: ${available.map((a) => `"${a}"`).join(', ')}; name one with --label-column (or --label-columns for 0/1 columns)`,
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
function addRecord(
  c: Collector,
  cols: Columns,
  get: (column: string) => unknown,
  line: number,
  raw: RawRecord,
): void {
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
        return c.bad(line, col, `multi-label column value must be 0/1 or true/false, got ${JSON.stringify(v)}`);
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
  c.examples.push(ex);
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

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : typeof v;
}

/** Builds the label set and checks labels against a fixed one when given. */
function finish(
  c: Collector,
  format: DataFormat,
  path: string,
  cols: Columns,
  layout: DatasetLayout,
  extra: Partial<Dataset> = {},
  mappingOrder?: string[],
): Dataset {
  const multiLabel = cols.labels !== undefined || c.examples.some((e) => Array.isArray(e.label));
  let labels: LabelSet;
  if (c.opts.labels !== undefined) {
    labels = c.opts.labels;
    checkKnownLabels(c.examples, labels);
  } else {
    const order = mappingOrder ?? (cols.labels !== undefined && c.opts.labelOrder === undefined ? cols.labels : c.opts.labelOrder);
    labels = LabelSet.fromLabels(
      c.examples.map((e) => e.label),
      order !== undefined ? { order } : {},
    );
  }
  return {
    examples: c.examples,
    labels,
    format,
    path,
    multiLabel,
    columns: { ...cols },
    skipped: c.skipped,
    layout,
    ...extra,
  };
}

/** Every label outside the fixed set is named, with where it first appears. */
export function checkKnownLabels(examples: readonly Example[], labels: LabelSet): void {
  const unknown = new Map<string, Example>();
  for (const e of examples) {
    if (e.label === undefined) continue;
    for (const l of typeof e.label === 'string' ? [e.label] : e.label) {
      if (!labels.has(l) && !unknown.has(l)) unknown.set(l, e);
    }
  }
  if (unknown.size === 0) return;
  const list = [...unknown.entries()].map(([l, e]) => `"${l}" (first at ${e.source.file}:${e.source.line})`).join(', ');
  const first = [...unknown.values()][0]!;
  throw new LenguaError(
    `${unknown.size} unknown label${unknown.size === 1 ? '' : 's'}: ${list}; known labels: ${labels.names.map((n) => `"${n}"`).join(', ')}`,
    { file: first.source.file, line: first.source.line, field: 'label' },
  );
}

// ---------- CSV / TSV ----------

function loadDelimited(path: string, format: 'csv' | 'tsv', opts: LoadOptions): Dataset {
  // csv-parse counts lines oddly inside quoted fields with CRLF; with LF only its counts are exact.
  const text = readTextFile(path, opts.encoding).replace(/\r\n/g, '\n');
  const delimiter = format === 'tsv' ? '\t' : ',';
  type Rec = { record: string[]; raw: string; info: { lines: number } };
  let records: Rec[];
  try {
    records = parseCsv(text, { ...csvOptions(format), info: true }) as unknown as Rec[];
  } catch (err) {
    throw csvSyntaxError(err, path, format, opts.header ?? true ? () => headerOf(text, delimiter, format) : () => undefined);
  }
  // A blank line at the very end of a file is not a record.
  while (records.length > 0 && isBlankRecord(records[records.length - 1]!)) records.pop();
  const startLine = (r: Rec) => r.info.lines - countNewlines(r.raw.endsWith('\n') ? r.raw.slice(0, -1) : r.raw);
  const headerWanted = opts.header ?? true;
  let header: string[] | null = null;
  let body = records;
  if (headerWanted) {
    const first = records[0];
    if (first === undefined) throw new LenguaError('empty file: no header line', { file: path, line: 1 });
    header = first.record.map((h) => h.trim());
    body = records.slice(1);
  }
  if (header) {
    const dup = header.find((h, i) => header!.indexOf(h) !== i);
    if (dup !== undefined) throw new LenguaError(`column "${dup}" appears twice in the header`, { file: path, line: 1, field: dup });
  }
  const width = header?.length ?? records[0]?.record.length ?? 0;
  const names = header ?? Array.from({ length: width }, (_, i) => String(i));
  const cols = resolveColumns(names, opts, path, headerWanted ? 1 : (body[0] ? startLine(body[0]) : 1));
  const index = new Map(names.map((n, i) => [n, i] as const));
  const c = new Collector(path, opts);
  for (const r of body) {
    const line = startLine(r);
    if (r.record.length !== width) {
      const blank = isBlankRecord(r) ? 'blank line: ' : '';
      c.bad(line, undefined, `${blank}ragged row: expected ${width} fields${header ? ' (as the header)' : ''}, found ${r.record.length}`);
      continue;
    }
    const fields = r.record;
    addRecord(c, cols, (col) => fields[index.get(col)!], line, { kind: 'fields', fields });
  }
  return finish(c, format, path, cols, { header, delimiter });
}

/** Options every CSV/TSV read passes to csv-parse. */
function csvOptions(format: 'csv' | 'tsv') {
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

/** The header's column names, read on their own (only for naming the field of a syntax error). */
function headerOf(text: string, delimiter: string, format: 'csv' | 'tsv'): string[] | undefined {
  try {
    const [first] = parseCsv(text, { ...csvOptions(format), delimiter, raw: false, to: 1 }) as string[][];
    return first?.map((h) => h.trim());
  } catch {
    return undefined;
  }
}

/**
 * A csv-parse error as a LenguaError on the line where the bad record starts — for an unclosed quote,
 * the line where the quoted field opens (csv-parse reports the end of the file). `header` gives the
 * column names, when there are any, to name the field.
 */
function csvSyntaxError(err: unknown, path: string, format: 'csv' | 'tsv', header: () => string[] | undefined): LenguaError {
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

function isBlankRecord(r: { record: string[]; raw: string }): boolean {
  return r.record.length === 1 && r.record[0] === '' && r.raw.trim() === '';
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 10) n++;
  return n;
}

// ---------- JSON Lines ----------

function loadJsonLines(path: string, opts: LoadOptions): Dataset {
  const lines = splitLines(readTextFile(path, opts.encoding));
  const c = new Collector(path, opts);
  let cols: Columns | undefined;
  lines.forEach((s, i) => {
    const line = i + 1;
    if (s.trim() === '') return; // blank lines separate nothing in JSONL; they hold no record
    let value: unknown;
    try {
      value = JSON.parse(s);
    } catch (err) {
      return c.bad(line, undefined, `invalid JSON: ${(err as Error).message}`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return c.bad(line, undefined, `each line must be a JSON object, got ${jsonType(value)}`);
    }
    const obj = value as Record<string, unknown>;
    cols ??= resolveColumns(Object.keys(obj), opts, path, line);
    addRecord(c, cols, (k) => obj[k], line, { kind: 'jsonl', line: s });
  });
  if (cols === undefined) throw new LenguaError('no records: the file holds no JSON objects', { file: path });
  return finish(c, 'jsonl', path, cols, {});
}

// ---------- JSON array ----------

function loadJsonArray(path: string, opts: LoadOptions): Dataset {
  const text = readTextFile(path, opts.encoding);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const m = /position (\d+)/.exec((err as Error).message);
    const line = m ? lineAt(text, Number(m[1])) : undefined;
    throw new LenguaError(`invalid JSON: ${(err as Error).message}`, { file: path, ...(line ? { line } : {}) }, { cause: err });
  }
  if (!Array.isArray(value)) {
    throw new LenguaError(`expected a JSON array of objects at the top level, got ${jsonType(value)}`, { file: path, line: 1 });
  }
  const starts = arrayElementLines(text);
  const c = new Collector(path, opts);
  let cols: Columns | undefined;
  value.forEach((v, i) => {
    const line = starts[i] ?? 1;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      return c.bad(line, undefined, `array element ${i} must be an object, got ${jsonType(v)}`);
    }
    const obj = v as Record<string, unknown>;
    cols ??= resolveColumns(Object.keys(obj), opts, path, line);
    addRecord(c, cols, (k) => obj[k], line, { kind: 'json', value: v });
  });
  if (cols === undefined) throw new LenguaError('no records: the JSON array is empty', { file: path });
  return finish(c, 'json', path, cols, { jsonIndent: 2 });
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

function lineAt(text: string, offset: number): number {
  return countNewlines(text.slice(0, offset)) + 1;
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

function loadParallel(path: string, opts: LoadOptions): Dataset {
  const texts = splitLines(readTextFile(path, opts.encoding));
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
  const labelLines = labelsFile !== undefined ? splitLines(readTextFile(labelsFile, opts.encoding)) : undefined;
  if (labelLines !== undefined && labelLines.length !== texts.length) {
    throw new LenguaError(
      `${texts.length} texts but ${labelLines.length} labels in ${labelsFile}: the files must have one line per example`,
      { file: path, line: Math.min(texts.length, labelLines.length) + 1 },
    );
  }
  const c = new Collector(path, opts);
  const labelCollector = new Collector(labelsFile ?? path, opts);
  texts.forEach((t, i) => {
    const line = i + 1;
    const rawLabel = labelLines?.[i];
    let label: string | undefined;
    if (rawLabel !== undefined) {
      const id = rawLabel.trim();
      if (id === '') {
        if (!opts.allowMissingLabel) {
          const before = labelCollector.skipped.length;
          labelCollector.bad(line, 'label', 'missing label');
          if (labelCollector.skipped.length > before) c.skipped.push(labelCollector.skipped.pop()!);
          return;
        }
      } else if (mapping !== undefined) {
        label = mapping.get(id);
        if (label === undefined) {
          const before = labelCollector.skipped.length;
          labelCollector.bad(line, 'label', `label id "${id}" is not in ${mappingFile} (ids: ${[...mapping.keys()].join(', ')})`);
          if (labelCollector.skipped.length > before) c.skipped.push(labelCollector.skipped.pop()!);
          return;
        }
      } else label = id;
    }
    const get = (col: string) => (col === 'text' ? t : col === 'label' ? label : undefined);
    const raw: RawRecord = { kind: 'parallel', text: t, ...(rawLabel !== undefined ? { label: rawLabel } : {}) };
    addRecord(c, { text: 'text', ...(labelLines ? { label: 'label' } : {}) }, get, line, raw);
  });
  const cols: Columns = { text: 'text', ...(labelLines ? { label: 'label' } : {}) };
  const layout: DatasetLayout = {};
  if (mappingFile !== undefined) layout.mappingText = readTextFile(mappingFile, opts.encoding);
  return finish(
    c,
    'parallel',
    path,
    cols,
    layout,
    { ...(labelsFile !== undefined ? { labelsFile } : {}), ...(mappingFile !== undefined ? { mappingFile } : {}) },
    mapping !== undefined && opts.labels === undefined ? [...mapping.values()] : undefined,
  );
}
