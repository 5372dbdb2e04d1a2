/**
 * Source → target pairs for translation and summarization, in the layouts of the Hugging Face datasets the
 * example scripts (`run_translation.py`, `run_summarization.py`) read:
 * - translation: `{"translation": {"en": "…", "es": "…"}}` with a source and a target language;
 * - columns: a source column and a target column (`document`/`summary`, `text`/`summary`, `source`/`target`, …),
 *   in JSONL, a JSON array, CSV or TSV;
 * - optionally several references per source (`references`: a list of strings), scored all at once by BLEU,
 *   chrF and ROUGE; without it the target is the only reference.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { LenguaError } from '../errors.js';
import { readTextFile, splitLines, type TextEncoding } from './decode.js';
import { arrayElementLines, MAX_FIELD_CHARS, MAX_LINE_CHARS } from './rows.js';
import { detectFormat } from './load.js';
import type { SourceLocation } from './types.js';

export interface Seq2SeqPair {
  source: string;
  target: string;
  /** Every reference of the target (the target first); at least one. */
  references: string[];
  where: SourceLocation;
}

export interface Seq2SeqData {
  file: string;
  pairs: Seq2SeqPair[];
  /** What was read: `translation.en → translation.es`, or `document → summary`. */
  sourceField: string;
  targetField: string;
}

export interface Seq2SeqLoadOptions {
  /** Translation layout: the source and target language keys of each record's `translation` object. */
  sourceLang?: string;
  targetLang?: string;
  /** Column layout: the source and target columns (defaults: the first present of SOURCE_COLUMNS / TARGET_COLUMNS). */
  sourceColumn?: string;
  targetColumn?: string;
  /** A column holding a list of references (default `references` when present). */
  referencesColumn?: string;
  encoding?: TextEncoding;
  /** Most pairs read (bounds memory; default 10 million). */
  maxPairs?: number;
}

const SOURCE_COLUMNS = ['document', 'source', 'src', 'text', 'article', 'input'];
const TARGET_COLUMNS = ['summary', 'target', 'tgt', 'highlights', 'output'];
const DEFAULT_MAX_PAIRS = 10_000_000;

/** Reads source/target pairs; every bad record is an error naming the file, line and field. */
export function loadSeq2SeqData(file: string, opts: Seq2SeqLoadOptions = {}): Seq2SeqData {
  const format = detectFormat(file);
  const text = readTextFile(file, opts.encoding ?? 'utf8');
  const records: Array<{ row: Record<string, unknown>; line: number }> = [];
  if (format === 'jsonl') {
    splitLines(text).forEach((l, i) => {
      if (l.trim() === '') return;
      if (l.length > MAX_LINE_CHARS) throw new LenguaError(`line is ${l.length} characters, over the limit of ${MAX_LINE_CHARS}`, { file, line: i + 1 });
      records.push({ row: parseObject(l, file, i + 1), line: i + 1 });
    });
  } else if (format === 'json') {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw new LenguaError(`not valid JSON: ${(err as Error).message}`, { file }, { cause: err });
    }
    if (!Array.isArray(data)) throw new LenguaError('a JSON data file must hold an array of records', { file });
    const lines = arrayElementLines(text);
    data.forEach((r, i) => {
      if (r === null || typeof r !== 'object' || Array.isArray(r)) throw new LenguaError(`record ${i} is not an object`, { file, line: lines[i] ?? 1 });
      records.push({ row: r as Record<string, unknown>, line: lines[i] ?? 1 });
    });
  } else if (format === 'csv' || format === 'tsv') {
    let rows: Array<{ record: Record<string, string>; info: { lines: number } }>;
    try {
      rows = parseCsv(text, { columns: true, delimiter: format === 'tsv' ? '\t' : ',', skip_empty_lines: true, bom: true, info: true });
    } catch (err) {
      const line = (err as { lines?: number }).lines;
      throw new LenguaError(`cannot parse ${format.toUpperCase()}: ${(err as Error).message}`, { file, ...(line !== undefined ? { line } : {}) }, { cause: err });
    }
    // info.lines is the line the record ends on (a quoted field may span lines).
    for (const r of rows) records.push({ row: r.record, line: r.info.lines });
  } else {
    throw new LenguaError(`translation and summarization data must be .jsonl, .json, .csv or .tsv (got ${format})`, { file });
  }
  if (records.length === 0) throw new LenguaError('no records', { file });
  const max = opts.maxPairs ?? DEFAULT_MAX_PAIRS;
  if (records.length > max) throw new LenguaError(`${records.length} records, over the limit of ${max}`, { file });

  const translation = opts.sourceLang !== undefined || opts.targetLang !== undefined || (records[0]!.row.translation !== undefined && opts.sourceColumn === undefined);
  let sourceField: string;
  let targetField: string;
  let get: (row: Record<string, unknown>, which: 'source' | 'target', line: number) => unknown;
  if (translation) {
    const langs = records[0]!.row.translation;
    const known = langs !== null && typeof langs === 'object' ? Object.keys(langs) : [];
    if (opts.sourceLang === undefined || opts.targetLang === undefined) {
      throw new LenguaError(`translation data: give the source and target languages (--source-lang, --target-lang; this file has ${known.join(', ') || 'no languages'})`, { file, field: 'translation' });
    }
    if (opts.sourceLang === opts.targetLang) throw new LenguaError(`source and target language are both ${opts.sourceLang}`, { file, field: 'translation' });
    sourceField = `translation.${opts.sourceLang}`;
    targetField = `translation.${opts.targetLang}`;
    const lang = { source: opts.sourceLang, target: opts.targetLang };
    get = (row, which, line) => {
      const t = row.translation;
      if (t === null || typeof t !== 'object' || Array.isArray(t)) throw new LenguaError('the record has no "translation" object', { file, line, field: 'translation' });
      return (t as Record<string, unknown>)[lang[which]];
    };
  } else {
    const first = records[0]!.row;
    sourceField = opts.sourceColumn ?? SOURCE_COLUMNS.find((c) => c in first) ?? '';
    targetField = opts.targetColumn ?? TARGET_COLUMNS.find((c) => c in first) ?? '';
    const cols = Object.keys(first).join(', ');
    if (sourceField === '') throw new LenguaError(`no source column (looked for ${SOURCE_COLUMNS.join(', ')}; the file has ${cols}): give --source-column`, { file });
    if (targetField === '') throw new LenguaError(`no target column (looked for ${TARGET_COLUMNS.join(', ')}; the file has ${cols}): give --target-column`, { file });
    const field = { source: sourceField, target: targetField };
    get = (row, which) => row[field[which]];
  }
  const refsField = opts.referencesColumn ?? ('references' in records[0]!.row ? 'references' : undefined);

  const pairs = records.map(({ row, line }) => {
    const text = (which: 'source' | 'target'): string => {
      const field = which === 'source' ? sourceField : targetField;
      const v = get(row, which, line);
      if (typeof v !== 'string') throw new LenguaError(v === undefined ? 'missing' : `expected a string, got ${JSON.stringify(v)?.slice(0, 40)}`, { file, line, field });
      if (v.trim() === '') throw new LenguaError('is empty', { file, line, field });
      if (v.length > MAX_FIELD_CHARS) throw new LenguaError(`is ${v.length} characters, over the limit of ${MAX_FIELD_CHARS}`, { file, line, field });
      return v;
    };
    const source = text('source');
    const target = text('target');
    let references = [target];
    if (refsField !== undefined && row[refsField] !== undefined) {
      const r = row[refsField];
      if (!Array.isArray(r) || r.length === 0 || r.some((x) => typeof x !== 'string' || x.trim() === '')) {
        throw new LenguaError('references must be a non-empty list of non-empty strings', { file, line, field: refsField });
      }
      references = r as string[];
    }
    return { source, target, references, where: { file, line } };
  });
  return { file, pairs, sourceField, targetField };
}

function parseObject(l: string, file: string, line: number): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(l);
  } catch (err) {
    throw new LenguaError(`not valid JSON: ${(err as Error).message}`, { file, line }, { cause: err });
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new LenguaError('a JSONL line must hold an object', { file, line });
  return v as Record<string, unknown>;
}
