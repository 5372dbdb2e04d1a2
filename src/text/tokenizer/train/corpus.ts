/**
 * Reads a training corpus as a stream of texts: text files one text a line (UTF-8, a BOM dropped, CRLF
 * or LF), read in pieces so that only the current line is held. Other formats come through a reader the
 * caller gives (the CLI reads .csv/.tsv/.jsonl/.json with `lengua data`'s readers: src/text may not
 * depend on src/data). The whole corpus and each line are bounded; a problem names the file and line.
 */
import { createReadStream, statSync } from 'node:fs';
import { LenguaError } from '../../../errors.js';

/** Largest corpus (sum of file sizes) one training reads. */
export const MAX_CORPUS_BYTES = 4 * 1024 * 1024 * 1024;
/** Longest line (UTF-16 code units) of a text file. */
export const MAX_LINE_CHARS = 1_000_000;

/** Reads the texts of one file that is not plain text; returns how many it handed on, or null to read it as text. */
export type FileReader = (file: string, onText: (text: string) => void) => Promise<number | null>;

export interface CorpusOptions {
  maxCorpusBytes?: number;
  maxLineChars?: number;
  /** Tried first for each file (the CLI's dataset formats). */
  reader?: FileReader;
  /** Called after each file with its name, texts and bytes. */
  onFile?: (file: string, texts: number, bytes: number) => void;
}

/** Checks the files exist and that together they fit the size limit; returns their total size. */
export function checkCorpusFiles(files: readonly string[], maxBytes = MAX_CORPUS_BYTES): number {
  if (files.length === 0) throw new LenguaError('no training files given');
  let total = 0;
  for (const file of files) {
    let size: number;
    try {
      const st = statSync(file);
      if (!st.isFile()) throw new LenguaError('not a file', { file });
      size = st.size;
    } catch (err) {
      if (err instanceof LenguaError) throw err;
      throw new LenguaError('cannot read: no such file or not readable', { file }, { cause: err });
    }
    total += size;
    if (total > maxBytes) {
      throw new LenguaError(`the corpus is over the limit of ${maxBytes} bytes (MAX_CORPUS_BYTES); train on a sample`, { file });
    }
  }
  return total;
}

/** Hands every non-blank line of a UTF-8 text file to `onText`; returns how many. */
export async function readTextLines(file: string, onText: (text: string) => void, maxLine = MAX_LINE_CHARS): Promise<number> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let pending = '';
  let line = 0;
  let n = 0;
  const emit = (raw: string): void => {
    line++;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.length > maxLine) {
      throw new LenguaError(`line is over the limit of ${maxLine} characters (MAX_LINE_CHARS); one text a line`, { file, line });
    }
    if (text.trim() === '') return;
    onText(text);
    n++;
  };
  const take = (piece: string): void => {
    let start = 0;
    for (let nl = piece.indexOf('\n'); nl >= 0; nl = piece.indexOf('\n', start)) {
      emit(pending + piece.slice(start, nl));
      pending = '';
      start = nl + 1;
    }
    pending += piece.slice(start);
    // +1: a CR that will be dropped does not make a line too long.
    if (pending.length > maxLine + 1) {
      throw new LenguaError(`line is over the limit of ${maxLine} characters (MAX_LINE_CHARS); one text a line`, { file, line: line + 1 });
    }
  };
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) take(decoder.decode(chunk as Buffer, { stream: true }));
    take(decoder.decode());
  } catch (err) {
    if (err instanceof TypeError && (err as NodeJS.ErrnoException).code === 'ERR_ENCODING_INVALID_ENCODED_DATA') {
      throw new LenguaError('not valid UTF-8', { file, line: line + 1 }, { cause: err });
    }
    throw err;
  }
  if (pending !== '') emit(pending);
  return n;
}

/** Hands every text of `files` to `onText`, in file and line order. */
export async function readCorpus(files: readonly string[], onText: (text: string) => void, opts: CorpusOptions = {}): Promise<{ texts: number; bytes: number }> {
  const bytes = checkCorpusFiles(files, opts.maxCorpusBytes);
  let texts = 0;
  for (const file of files) {
    const n = (await opts.reader?.(file, onText)) ?? (await readTextLines(file, onText, opts.maxLineChars));
    texts += n;
    opts.onFile?.(file, n, statSync(file).size);
  }
  return { texts, bytes };
}
