/**
 * A user's documents as passages: a folder read recursively (.txt, .md, and .jsonl records with a text
 * field), within bounds on the number of files and their sizes, then cut into passages of about a target
 * number of words along paragraph lines. Every passage keeps where it came from, so an answer can cite it:
 * `text === document.text.slice(start, end)`, and the 1-based lines it spans in its file.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { LenguaError } from '../errors.js';

export interface DocumentLimits {
  /** Documents files read at most (default 10,000). */
  maxFiles?: number;
  /** Bytes of one file at most (default 20 MiB). */
  maxFileBytes?: number;
  /** Bytes of all files together at most (default 200 MiB). */
  maxTotalBytes?: number;
  /** Folder depth below the root at most (default 32). */
  maxDepth?: number;
}

export const DEFAULT_LIMITS: Required<DocumentLimits> = { maxFiles: 10_000, maxFileBytes: 20 * 2 ** 20, maxTotalBytes: 200 * 2 ** 20, maxDepth: 32 };

export interface ReadDocumentsOptions extends DocumentLimits {
  /** The field of a .jsonl record that holds its text (default "text"). */
  jsonlField?: string;
}

/** One text to cut into passages: a whole .txt/.md file, or one .jsonl record's text field. */
export interface SourceDocument {
  /** The path relative to the folder, with `/` separators. */
  file: string;
  text: string;
  /** The file line `text` begins on (1 for a whole file; the record's line for .jsonl). */
  firstLine: number;
  /** For a .jsonl record: offsets are into its text field, not into the file. */
  record: boolean;
}

export const DOCUMENT_EXTENSIONS = ['.txt', '.md', '.jsonl'] as const;

function limit(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new LenguaError(`must be a positive integer, got ${JSON.stringify(value)}`, { field });
  return value;
}

const DECODER = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads every .txt, .md and .jsonl file under `dir`, in sorted path order. Hidden entries (a leading dot)
 * and symbolic links are skipped: a link could leave the folder or loop. Over a bound, a LenguaError names
 * the file and the limit.
 */
export function readDocuments(dir: string, opts: ReadDocumentsOptions = {}): SourceDocument[] {
  const maxFiles = limit(opts.maxFiles, DEFAULT_LIMITS.maxFiles, 'maxFiles');
  const maxFileBytes = limit(opts.maxFileBytes, DEFAULT_LIMITS.maxFileBytes, 'maxFileBytes');
  const maxTotalBytes = limit(opts.maxTotalBytes, DEFAULT_LIMITS.maxTotalBytes, 'maxTotalBytes');
  const maxDepth = limit(opts.maxDepth, DEFAULT_LIMITS.maxDepth, 'maxDepth');
  const field = opts.jsonlField ?? 'text';
  if (!statSync(dir).isDirectory()) throw new LenguaError('is a file; name the folder that holds the documents', { file: dir });

  const files: string[] = [];
  const walk = (folder: string, depth: number): void => {
    const entries = readdirSync(folder, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const path = join(folder, e.name);
      if (e.isDirectory()) {
        if (depth >= maxDepth) throw new LenguaError(`folders nest deeper than ${maxDepth} levels (maxDepth)`, { file: path });
        walk(path, depth + 1);
      } else if (e.isFile() && (DOCUMENT_EXTENSIONS as readonly string[]).includes(extname(e.name).toLowerCase())) {
        if (files.length >= maxFiles) throw new LenguaError(`more than ${maxFiles} document files (maxFiles); point to a smaller folder or raise the limit`, { file: path });
        files.push(path);
      }
    }
  };
  walk(dir, 0);

  const docs: SourceDocument[] = [];
  let total = 0;
  for (const path of files) {
    const name = relative(dir, path).split(sep).join('/');
    const size = statSync(path).size;
    if (size > maxFileBytes) throw new LenguaError(`${size} bytes, over the limit of ${maxFileBytes} per file (maxFileBytes)`, { file: path });
    total += size;
    if (total > maxTotalBytes) throw new LenguaError(`the documents pass ${maxTotalBytes} bytes in all (maxTotalBytes) at this file`, { file: path });
    let text: string;
    try {
      text = DECODER.decode(readFileSync(path));
    } catch (err) {
      if (err instanceof TypeError) throw new LenguaError('is not UTF-8 text', { file: path }, { cause: err });
      throw err;
    }
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (extname(path).toLowerCase() === '.jsonl') docs.push(...jsonlRecords(text, path, name, field));
    else docs.push({ file: name, text, firstLine: 1, record: false });
  }
  return docs;
}

function jsonlRecords(text: string, path: string, name: string, field: string): SourceDocument[] {
  const out: SourceDocument[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new LenguaError(`not valid JSON (${(err as Error).message})`, { file: path, line: i + 1 });
    }
    const t = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[field] : undefined;
    if (typeof t !== 'string') throw new LenguaError(`a JSON object with a string "${field}" is expected (--jsonl-field names another)`, { file: path, line: i + 1, field });
    out.push({ file: name, text: t, firstLine: i + 1, record: true });
  });
  return out;
}

export interface PassageOptions {
  /** Words a passage holds at most (default 100): short paragraphs are merged up to it, long ones cut. */
  targetWords?: number;
  /** Words two windows of a cut paragraph share (default 15), so a sentence on a cut is whole in one. */
  overlapWords?: number;
}

export const PASSAGE_LIMITS = { targetWords: 10_000 };

export interface Passage {
  /** Its index in the passage list. */
  id: number;
  /** The index of its document in the list it was cut from. */
  document: number;
  file: string;
  text: string;
  /** UTF-16 offsets into the document's text (the file, or a .jsonl record's text field). */
  start: number;
  end: number;
  /** 1-based file lines, first and last. */
  lineStart: number;
  lineEnd: number;
  record: boolean;
}

/** The 1-based line of each offset: a sorted table of line starts, searched by bisection. */
export class LineTable {
  private readonly starts: number[] = [0];

  constructor(
    text: string,
    private readonly firstLine = 1,
  ) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  lineOf(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return this.firstLine + lo;
  }
}

interface Span {
  start: number;
  end: number;
}

/** Paragraphs: runs of text between blank lines, trimmed of surrounding whitespace. */
function paragraphs(text: string): Span[] {
  const out: Span[] = [];
  const push = (start: number, end: number): void => {
    while (start < end && /\s/.test(text[start]!)) start++;
    while (end > start && /\s/.test(text[end - 1]!)) end--;
    if (end > start) out.push({ start, end });
  };
  let pos = 0;
  for (const m of text.matchAll(/\r?\n(?:[ \t]*\r?\n)+/g)) {
    push(pos, m.index);
    pos = m.index + m[0].length;
  }
  push(pos, text.length);
  return out;
}

/**
 * Characters a word counts for at most: a longer run without spaces (base64, a minified line) counts as several
 * words, so a passage never passes targetWords × MAX_WORD_CHARS characters, whatever the file holds.
 */
export const MAX_WORD_CHARS = 100;

function words(text: string, span: Span): Span[] {
  const out: Span[] = [];
  const re = /\S+/g;
  re.lastIndex = span.start;
  for (let m = re.exec(text); m !== null && m.index < span.end; m = re.exec(text)) {
    const end = Math.min(m.index + m[0].length, span.end);
    for (let at = m.index; at < end; at += MAX_WORD_CHARS) out.push({ start: at, end: Math.min(at + MAX_WORD_CHARS, end) });
  }
  return out;
}

/** Maps offsets in a document's text to file lines; a .jsonl record's text is all on its one line. */
export function linesOf(doc: SourceDocument): { lineOf(offset: number): number } {
  return doc.record ? { lineOf: () => doc.firstLine } : new LineTable(doc.text, doc.firstLine);
}

/** Cuts one document (number `document` of its list) into passages, numbered from `firstId`. */
export function splitPassages(doc: SourceDocument, opts: PassageOptions = {}, firstId = 0, document = 0): Passage[] {
  const target = opts.targetWords ?? 100;
  const overlap = opts.overlapWords ?? 15;
  if (!Number.isSafeInteger(target) || target < 1 || target > PASSAGE_LIMITS.targetWords) {
    throw new LenguaError(`must be an integer in [1, ${PASSAGE_LIMITS.targetWords}], got ${JSON.stringify(target)}`, { field: 'targetWords' });
  }
  if (!Number.isSafeInteger(overlap) || overlap < 0 || overlap >= target) {
    throw new LenguaError(`must be an integer in [0, targetWords), got ${JSON.stringify(overlap)}`, { field: 'overlapWords' });
  }
  const lines = linesOf(doc);
  const spans: Span[] = [];
  let cur: Span | null = null;
  let curWords = 0;
  for (const para of paragraphs(doc.text)) {
    const w = words(doc.text, para);
    if (w.length > target) {
      if (cur !== null) spans.push(cur);
      cur = null;
      curWords = 0;
      // Windows of `target` words, each sharing `overlap` with the one before; the last ends at the end of
      // the paragraph (sharing more), so that every passage is full length.
      for (let i = 0; ; i += target - overlap) {
        const first = Math.min(i, w.length - target);
        spans.push({ start: w[first]!.start, end: w[first + target - 1]!.end });
        if (first + target >= w.length) break;
      }
    } else if (cur !== null && curWords + w.length <= target) {
      cur.end = para.end;
      curWords += w.length;
    } else {
      if (cur !== null) spans.push(cur);
      cur = { ...para };
      curWords = w.length;
    }
  }
  if (cur !== null) spans.push(cur);
  return spans.map((s, i) => ({
    id: firstId + i,
    document,
    file: doc.file,
    text: doc.text.slice(s.start, s.end),
    start: s.start,
    end: s.end,
    lineStart: lines.lineOf(s.start),
    lineEnd: lines.lineOf(s.end - 1),
    record: doc.record,
  }));
}

/** Every document's passages, numbered in order. */
export function passagesOf(docs: readonly SourceDocument[], opts: PassageOptions = {}): Passage[] {
  const out: Passage[] = [];
  docs.forEach((d, i) => out.push(...splitPassages(d, opts, out.length, i)));
  return out;
}
