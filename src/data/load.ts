import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { LenguaError } from '../errors.js';
import { readTextFile, splitLines } from './decode.js';
import type { LabelSet } from './labels.js';
import {
  Collector,
  DelimitedRows,
  JsonLineRows,
  KeepAll,
  ParallelRows,
  csvOptions,
  csvSyntaxError,
  headerOf,
  jsonArrayRows,
  lengthMismatch,
  parallelFiles,
  parseJsonText,
  unknownLabelsError,
  type CsvRecord,
} from './rows.js';
import type { DataFormat, Dataset, DatasetInfo, Example, LoadOptions, SourceLocation } from './types.js';

export { arrayElementLines, readMapping, siblingLabelsFile } from './rows.js';

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

/** The format to read `path` as, after checking that it exists. */
export function formatOf(path: string, options: LoadOptions): DataFormat {
  if (!existsSync(path)) throw new LenguaError('file not found', { file: path });
  const format = options.format ?? detectFormat(path);
  if (!['csv', 'tsv', 'jsonl', 'json', 'parallel'].includes(format)) throw new LenguaError(`unknown format "${String(format)}"`, { file: path });
  return format;
}

/**
 * Loads labelled text from CSV, TSV, JSONL, a JSON array or parallel text/label files, all at once.
 * For a file too large to hold, `streamDataset` reads the same way piece by piece.
 */
export function loadDataset(path: string, options: LoadOptions = {}): Dataset {
  const format = formatOf(path, options);
  const sink = new KeepAll();
  const c = new Collector(path, options, sink);
  let info: DatasetInfo;
  switch (format) {
    case 'csv':
    case 'tsv':
      info = loadDelimited(c, path, format);
      break;
    case 'jsonl': {
      const rows = new JsonLineRows(c, path);
      splitLines(readTextFile(path, options.encoding)).forEach((s, i) => rows.line(s, i + 1));
      info = rows.end();
      break;
    }
    case 'json': {
      const text = readTextFile(path, options.encoding);
      info = jsonArrayRows(c, path, text, parseJsonText(text, path));
      break;
    }
    case 'parallel':
      info = loadParallel(c, path, options);
      break;
  }
  return { ...info, examples: sink.examples, skipped: sink.skipped };
}

/** Every label outside the fixed set is named, with where it first appears. */
export function checkKnownLabels(examples: readonly Example[], labels: LabelSet): void {
  const unknown = new Map<string, SourceLocation>();
  for (const e of examples) {
    if (e.label === undefined) continue;
    for (const l of typeof e.label === 'string' ? [e.label] : e.label) {
      if (!labels.has(l) && !unknown.has(l)) unknown.set(l, e.source);
    }
  }
  if (unknown.size > 0) throw unknownLabelsError(unknown, labels);
}

function loadDelimited(c: Collector, path: string, format: 'csv' | 'tsv'): DatasetInfo {
  // csv-parse counts lines oddly inside quoted fields with CRLF; with LF only its counts are exact.
  const text = readTextFile(path, c.opts.encoding).replace(/\r\n/g, '\n');
  let records: CsvRecord[];
  try {
    records = parseCsv(text, csvOptions(format)) as unknown as CsvRecord[];
  } catch (err) {
    throw csvSyntaxError(err, path, format, () => ((c.opts.header ?? true) ? headerOf(text, format) : undefined));
  }
  const rows = new DelimitedRows(c, path, format);
  for (const r of records) rows.record(r);
  return rows.end();
}

function loadParallel(c: Collector, path: string, opts: LoadOptions): DatasetInfo {
  const texts = splitLines(readTextFile(path, opts.encoding));
  const files = parallelFiles(path, opts);
  const labelLines = files.labelsFile !== undefined ? splitLines(readTextFile(files.labelsFile, opts.encoding)) : undefined;
  if (labelLines !== undefined && labelLines.length !== texts.length) throw lengthMismatch(path, files.labelsFile!, texts.length, labelLines.length);
  const rows = new ParallelRows(c, path, files);
  texts.forEach((t, i) => rows.row(i + 1, t, labelLines?.[i]));
  return rows.end();
}
