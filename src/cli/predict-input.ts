/**
 * The texts of `lengua predict --input FILE` (or stdin), read as a stream so that a file of any size is
 * classified in batches with bounded memory: text lines, JSONL objects, or CSV/TSV rows.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import { LenguaError } from '../errors.js';

export type InputFormat = 'text' | 'jsonl' | 'csv' | 'tsv';

export interface InputText {
  /** 1-based line (text, JSONL) or record (CSV: the data row, after the header) of the input. */
  line: number;
  text: string;
  /** The row's id column (CSV/JSONL), when one was named. */
  id?: string;
}

export interface InputOptions {
  format: InputFormat;
  /** Column or key holding the text (default: text, sentence, tweet, content or review). */
  textColumn?: string;
  idColumn?: string;
  /** Longest line or record accepted, in bytes. */
  maxRecordBytes: number;
  /** The name errors give the input (the file, or "stdin"). */
  name: string;
}

/** Columns taken as the text when --text-column is not given (as the data loaders do). */
const TEXT_COLUMNS = ['text', 'sentence', 'tweet', 'content', 'review'];

export function formatOf(file: string): InputFormat {
  if (/\.jsonl$/i.test(file)) return 'jsonl';
  if (/\.csv$/i.test(file)) return 'csv';
  if (/\.tsv$/i.test(file)) return 'tsv';
  return 'text';
}

export function openInput(file: string): Readable {
  return file === '-' ? process.stdin : createReadStream(file);
}

/** Lines of a byte stream, each at most `max` bytes (a longer one is an error naming it, not a huge buffer). */
async function* lines(stream: Readable, max: number, name: string): AsyncGenerator<string> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let line = 1;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      const end = nl < 0 ? chunk.length : nl;
      pendingBytes += end - start;
      if (pendingBytes > max) throw new LenguaError(`line longer than ${max} bytes (the --max-record-bytes limit)`, { file: name, line });
      pending.push(chunk.subarray(start, end));
      if (nl < 0) break;
      yield decodeLine(Buffer.concat(pending), name, line);
      pending = [];
      pendingBytes = 0;
      line++;
      start = nl + 1;
    }
  }
  if (pendingBytes > 0) yield decodeLine(Buffer.concat(pending), name, line);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeLine(bytes: Buffer, name: string, line: number): string {
  try {
    return utf8.decode(bytes).replace(/\r$/, '').replace(/^\uFEFF/, '');
  } catch {
    throw new LenguaError('not valid UTF-8', { file: name, line });
  }
}

function pickColumn(keys: readonly string[], given: string | undefined, name: string, what: string): string {
  if (given !== undefined) {
    if (!keys.includes(given)) throw new LenguaError(`no ${what} column "${given}" (columns: ${keys.join(', ')})`, { file: name, field: given });
    return given;
  }
  const found = TEXT_COLUMNS.find((c) => keys.includes(c));
  if (found === undefined) throw new LenguaError(`no text column (columns: ${keys.join(', ')}); give --text-column`, { file: name });
  return found;
}

/** The texts of the input, in order; blank texts are skipped (they have nothing to classify). */
export async function* readInputTexts(stream: Readable, opts: InputOptions): AsyncGenerator<InputText> {
  const { name } = opts;
  if (opts.format === 'text') {
    let line = 0;
    for await (const text of lines(stream, opts.maxRecordBytes, name)) {
      line++;
      if (text.trim() !== '') yield { line, text };
    }
    return;
  }
  if (opts.format === 'jsonl') {
    let line = 0;
    for await (const raw of lines(stream, opts.maxRecordBytes, name)) {
      line++;
      if (raw.trim() === '') continue;
      let obj: unknown;
      try {
        obj = JSON.parse(raw);
      } catch (err) {
        throw new LenguaError(`invalid JSON: ${(err as Error).message}`, { file: name, line }, { cause: err });
      }
      if (typeof obj === 'string') {
        yield { line, text: obj };
        continue;
      }
      if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new LenguaError('expected a JSON object or string', { file: name, line });
      const rec = obj as Record<string, unknown>;
      const key = pickColumn(Object.keys(rec), opts.textColumn, name, 'text');
      const text = rec[key];
      if (typeof text !== 'string') throw new LenguaError(`"${key}" is not a string`, { file: name, line, field: key });
      const id = opts.idColumn !== undefined ? rec[opts.idColumn] : undefined;
      if (text.trim() !== '') yield { line, text, ...(id !== undefined ? { id: String(id) } : {}) };
    }
    return;
  }
  const parser = stream.pipe(
    parseCsv({ delimiter: opts.format === 'tsv' ? '\t' : ',', columns: true, bom: true, relax_column_count: false, max_record_size: opts.maxRecordBytes, skip_empty_lines: true }),
  );
  let textKey: string | undefined;
  let record = 0;
  try {
    for await (const row of parser as AsyncIterable<Record<string, string>>) {
      record++;
      textKey ??= pickColumn(Object.keys(row), opts.textColumn, name, 'text');
      if (opts.idColumn !== undefined && record === 1 && !(opts.idColumn in row)) throw new LenguaError(`no id column "${opts.idColumn}"`, { file: name, field: opts.idColumn });
      const text = row[textKey] ?? '';
      if (text.trim() !== '') yield { line: record, text, ...(opts.idColumn !== undefined ? { id: row[opts.idColumn] ?? '' } : {}) };
    }
  } catch (err) {
    if (err instanceof LenguaError) throw err;
    const e = err as Error & { code?: string; lines?: number };
    if (typeof e.code === 'string' && e.code.startsWith('CSV_')) throw new LenguaError(e.message, { file: name, ...(e.lines !== undefined ? { line: e.lines } : {}) }, { cause: err });
    throw err;
  }
}
