/**
 * Reads a dataset file piece by piece and hands each example to a sink as soon as it is read, so that
 * memory does not grow with the file (inspection of a 200 MB CSV keeps none of its texts). The rows go
 * through the same readers as loadDataset (rows.ts): the same columns, line numbers, bad rows, labels.
 */
import { pipeline } from 'node:stream/promises';
import { parse as parseCsvStream } from 'csv-parse';
import { readTextChunks, readTextFile, type TextEncoding } from './decode.js';
import { formatOf } from './load.js';
import {
  Collector,
  DelimitedRows,
  JsonLineRows,
  MAX_FIELD_CHARS,
  MAX_LINE_CHARS,
  ParallelRows,
  csvOptions,
  csvSyntaxError,
  headerOf,
  isCsvError,
  jsonArrayRows,
  lengthMismatch,
  parallelFiles,
  parseJsonText,
  type CsvRecord,
  type RowSink,
} from './rows.js';
import type { DatasetInfo, LoadOptions } from './types.js';

export type { RowSink } from './rows.js';

/** A line too long to hold: the reader drops its text as it goes and keeps only its length. */
export interface LongLine {
  length: number;
}

/**
 * Reads `path` as `loadDataset` would and hands every example and skipped row to `sink` as it goes,
 * without keeping them; returns what the dataset is (label set, columns, layout). CSV, TSV, JSONL and
 * parallel files are read in pieces of about `chunkBytes` (memory stays flat however large the file);
 * a JSON array has to be parsed whole, so it is held while its elements are handed on.
 *
 * Errors are those of loadDataset, with one difference of order: a CSV syntax error or bytes that do not
 * decode are found where the reader reaches them, so a problem before them (a bad row with onBadRow
 * 'error', an unknown column in the header) is reported first; loadDataset decodes and parses the whole
 * file before it looks at any row.
 */
export async function streamDataset(path: string, options: LoadOptions, sink: RowSink, chunkBytes = 1 << 20): Promise<DatasetInfo> {
  const format = formatOf(path, options);
  const c = new Collector(path, options, sink);
  switch (format) {
    case 'csv':
    case 'tsv':
      return streamDelimited(c, path, format, chunkBytes);
    case 'jsonl': {
      const rows = new JsonLineRows(c, path);
      const lines = new LineReader(path, options.encoding, chunkBytes, MAX_LINE_CHARS);
      let line = 0;
      for (let batch = await lines.batch(); batch !== undefined; batch = await lines.batch()) {
        for (const l of batch) {
          line++;
          if (typeof l === 'string') rows.line(l, line);
          else rows.overlong(line, l.length);
        }
        const wait = sink.pause?.();
        if (wait !== undefined) await wait;
      }
      return rows.end();
    }
    case 'json': {
      const text = readTextFile(path, options.encoding);
      return jsonArrayRows(c, path, text, parseJsonText(text, path));
    }
    case 'parallel':
      return streamParallel(c, path, options, chunkBytes);
  }
}

async function streamDelimited(c: Collector, path: string, format: 'csv' | 'tsv', chunkBytes: number): Promise<DatasetInfo> {
  const rows = new DelimitedRows(c, path, format);
  const encoding = c.opts.encoding;
  // CRLF becomes LF before csv-parse sees it, as loadDataset does (its line counts are exact with LF);
  // a CR at the end of a piece waits for the next one, which may start with the LF.
  async function* lf(): AsyncGenerator<string> {
    let cr = false;
    for await (let piece of readTextChunks(path, encoding, chunkBytes)) {
      if (cr) piece = `\r${piece}`;
      cr = piece.endsWith('\r');
      if (cr) piece = piece.slice(0, -1);
      if (piece !== '') yield piece.replace(/\r\n/g, '\n');
    }
    if (cr) yield '\r';
  }
  try {
    await pipeline(lf, parseCsvStream(csvOptions(format)), async (records: AsyncIterable<CsvRecord>) => {
      for await (const r of records) {
        rows.record(r);
        const wait = c.sink.pause?.();
        if (wait !== undefined) await wait;
      }
    });
  } catch (err) {
    if (!isCsvError(err)) throw err;
    // The header names the field; records parsed before the error may not have reached `rows` yet.
    const header = rows.headerNames ?? ((c.opts.header ?? true) ? await headerAtStart(path, encoding, format) : undefined);
    throw csvSyntaxError(err, path, format, () => header);
  }
  return rows.end();
}

/** The header of a CSV/TSV file, read from its first piece (undefined if it does not parse there). */
async function headerAtStart(path: string, encoding: TextEncoding | undefined, format: 'csv' | 'tsv'): Promise<string[] | undefined> {
  for await (const piece of readTextChunks(path, encoding)) return headerOf(piece.replace(/\r\n/g, '\n'), format);
  return undefined;
}

async function streamParallel(c: Collector, path: string, opts: LoadOptions, chunkBytes: number): Promise<DatasetInfo> {
  // Lengths first, in loadDataset's order of checks: a mismatch is reported before any row.
  const texts = await countLines(path, opts.encoding, chunkBytes);
  const files = parallelFiles(path, opts);
  if (files.labelsFile !== undefined) {
    const labels = await countLines(files.labelsFile, opts.encoding, chunkBytes);
    if (labels !== texts) throw lengthMismatch(path, files.labelsFile, texts, labels);
  }
  const rows = new ParallelRows(c, path, files);
  const textLines = new LineReader(path, opts.encoding, chunkBytes, MAX_FIELD_CHARS);
  const labelLines = files.labelsFile !== undefined ? new LineReader(files.labelsFile, opts.encoding, chunkBytes, MAX_LINE_CHARS) : undefined;
  for (let line = 1; ; line++) {
    const t = await textLines.next();
    if (t === undefined) break;
    const l = labelLines !== undefined ? await labelLines.next() : undefined;
    if (l !== undefined && typeof l !== 'string') {
      c.bad(line, 'label', `label is ${l.length} characters, over the limit of ${MAX_LINE_CHARS}`, files.labelsFile);
      continue;
    }
    rows.row(line, t, l);
    const wait = c.sink.pause?.();
    if (wait !== undefined) await wait;
  }
  return rows.end();
}

/** Lines in a text file as `splitLines` counts them (a final newline ends the last line), without holding them. */
async function countLines(path: string, encoding: TextEncoding | undefined, chunkBytes: number): Promise<number> {
  let n = 0;
  let last = '';
  for await (const piece of readTextChunks(path, encoding, chunkBytes)) {
    for (let i = piece.indexOf('\n'); i >= 0; i = piece.indexOf('\n', i + 1)) n++;
    last = piece[piece.length - 1]!;
  }
  return last === '' || last === '\n' ? n : n + 1;
}

/**
 * The lines of a text file, decoded piece by piece, split as `splitLines` splits (on LF, a CR before
 * it dropped, a final newline ending the last line). A line over `maxChars` comes as its length only,
 * so one endless line cannot fill memory.
 */
export class LineReader {
  private readonly chunks: AsyncIterator<string>;
  private pending = '';
  private longLength = -1; // ≥ 0 while the current line is over maxChars (its text is dropped)
  private lastCR = false;
  private lines: Array<string | LongLine> = [];
  private pos = 0;
  private done = false;

  constructor(
    path: string,
    encoding: TextEncoding | undefined,
    chunkBytes: number,
    private readonly maxChars: number,
  ) {
    this.chunks = readTextChunks(path, encoding, chunkBytes)[Symbol.asyncIterator]();
  }

  /** The lines of the next piece of the file (possibly none); undefined at the end. */
  async batch(): Promise<Array<string | LongLine> | undefined> {
    if (this.pos < this.lines.length) {
      const rest = this.lines.slice(this.pos);
      this.pos = this.lines.length;
      return rest;
    }
    if (this.done) return undefined;
    const { value, done } = await this.chunks.next();
    const out: Array<string | LongLine> = [];
    if (done) {
      this.done = true;
      if (this.pending !== '' || this.longLength >= 0) out.push(this.finishLine(''));
      return out;
    }
    let start = 0;
    for (let nl = value.indexOf('\n'); nl >= 0; nl = value.indexOf('\n', start)) {
      out.push(this.finishLine(value.slice(start, nl)));
      start = nl + 1;
    }
    this.extend(value.slice(start));
    return out;
  }

  /** The next line; undefined at the end. */
  async next(): Promise<string | LongLine | undefined> {
    while (this.pos >= this.lines.length) {
      const b = await this.batch();
      if (b === undefined) return undefined;
      this.lines = b;
      this.pos = 0;
    }
    return this.lines[this.pos++];
  }

  private extend(part: string): void {
    if (part === '') return;
    this.lastCR = part.endsWith('\r');
    if (this.longLength >= 0) {
      this.longLength += part.length;
      return;
    }
    this.pending += part;
    if (this.pending.length > this.maxChars + 1) {
      // +1: a CR that will be dropped does not make a line too long.
      this.longLength = this.pending.length;
      this.pending = '';
    }
  }

  private finishLine(part: string): string | LongLine {
    this.extend(part);
    const cr = this.lastCR;
    this.lastCR = false;
    if (this.longLength >= 0) {
      const length = this.longLength - (cr ? 1 : 0);
      this.longLength = -1;
      return { length };
    }
    const s = cr ? this.pending.slice(0, -1) : this.pending;
    this.pending = '';
    return s;
  }
}
