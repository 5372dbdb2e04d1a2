import { LenguaError } from '../errors.js';
import { readTextFile, splitLines, type TextEncoding } from './decode.js';

export type TagScheme = 'IOB1' | 'IOB2';

export interface ConllSentence {
  tokens: string[];
  tags: string[];
  /** 1-based line of the sentence's first token. */
  line: number;
}

export interface ConllOptions {
  encoding?: TextEncoding;
  /** The scheme of the tags in the file; `auto` (default) detects it (see detectScheme). */
  scheme?: TagScheme | 'auto';
  /** Convert the tags to IOB2 (default true): what token-classification models are trained on. */
  toIob2?: boolean;
  /** Column of the token (default 0). */
  tokenColumn?: number;
  /** Column of the tag; negative counts from the end (default -1, the last column). */
  tagColumn?: number;
  /**
   * A tag cell with comma-separated alternatives (WNUT-17 test, e.g. `B-corporation,B-group`):
   * `first` (default) keeps the first and counts it in `alternativeTags`; `error` refuses them.
   */
  alternatives?: 'first' | 'error';
}

export interface ConllDataset {
  path: string;
  sentences: ConllSentence[];
  /** Number of `-DOCSTART-` lines (documents). */
  documents: number;
  /** The scheme of the file's tags (as given or detected). */
  scheme: TagScheme;
  /** The scheme of `sentences[].tags` (IOB2 unless conversion was turned off). */
  tagScheme: TagScheme;
  /** Entity types found, sorted. */
  entityTypes: string[];
  /** Tag set in BIO order per type (O first, then B-/I- of each type sorted), i.e. a stable id2label. */
  tagSet: string[];
  tokens: number;
  /** Tokens whose tag cell held alternatives and were cut to the first. */
  alternativeTags: number;
}

/** Reads CoNLL-style NER data: one token per line, columns split by whitespace, blank lines between sentences. */
export function loadConll(path: string, options: ConllOptions = {}): ConllDataset {
  const lines = splitLines(readTextFile(path, options.encoding ?? 'utf8'));
  const tokenColumn = options.tokenColumn ?? 0;
  const tagColumn = options.tagColumn ?? -1;
  const sentences: ConllSentence[] = [];
  let documents = 0;
  let alternativeTags = 0;
  let tokenCount = 0;
  let cur: ConllSentence | undefined;
  const close = () => {
    if (cur) sentences.push(cur);
    cur = undefined;
  };
  lines.forEach((raw, i) => {
    const line = i + 1;
    // WNUT-17 train separates sentences with a line holding a single TAB: whitespace-only is a separator.
    if (raw.trim() === '') return close();
    const cells = raw.includes('\t') ? raw.split('\t').map((x) => x.trim()) : raw.trim().split(/\s+/);
    if (cells[0] === '-DOCSTART-') {
      close();
      documents++;
      return;
    }
    const ti = tokenColumn < 0 ? cells.length + tokenColumn : tokenColumn;
    const gi = tagColumn < 0 ? cells.length + tagColumn : tagColumn;
    if (cells.length < 2 || ti < 0 || gi < 0 || ti >= cells.length || gi >= cells.length || ti === gi) {
      throw new LenguaError(`expected a token and a tag (columns ${tokenColumn} and ${tagColumn}), found ${cells.length} column(s)`, {
        file: path,
        line,
      });
    }
    const token = cells[ti]!;
    let tag = cells[gi]!;
    if (token === '') throw new LenguaError('empty token', { file: path, line, field: 'token' });
    if (tag.includes(',')) {
      if (options.alternatives === 'error') {
        throw new LenguaError(`tag "${tag}" holds alternatives`, { file: path, line, field: 'tag' });
      }
      tag = tag.split(',')[0]!;
      alternativeTags++;
    }
    if (!(tag === 'O' || /^[BI]-\S+$/.test(tag))) {
      throw new LenguaError(`tag "${tag}" is not O, B-TYPE or I-TYPE`, { file: path, line, field: 'tag' });
    }
    cur ??= { tokens: [], tags: [], line };
    cur.tokens.push(token);
    cur.tags.push(tag);
    tokenCount++;
  });
  close();
  const given = options.scheme ?? 'auto';
  const scheme = given === 'auto' ? detectScheme(sentences.map((s) => s.tags)) : given;
  const convert = (options.toIob2 ?? true) && scheme === 'IOB1';
  if (convert) for (const s of sentences) s.tags = toIob2(s.tags);
  const types = new Set<string>();
  for (const s of sentences) for (const t of s.tags) if (t !== 'O') types.add(t.slice(2));
  const entityTypes = [...types].sort();
  return {
    path,
    sentences,
    documents,
    scheme,
    tagScheme: convert ? 'IOB2' : scheme,
    entityTypes,
    tagSet: ['O', ...entityTypes.flatMap((t) => [`B-${t}`, `I-${t}`])],
    tokens: tokenCount,
    alternativeTags,
  };
}

/**
 * IOB1 uses B- only between two adjacent entities of the same type; IOB2 starts every entity with B-.
 * So an entity that starts with B- (after O, after another type, or at a sentence start) is IOB2
 * evidence, and one that starts with I- is IOB1 evidence. Real files have a few strays either way
 * (CoNLL-2003 eng.train has 2 B- starts among ~23,000 I- starts; CoNLL-2002 has one I- start), so the
 * majority decides; with no entities at all the answer is IOB2.
 */
export function detectScheme(sentences: readonly (readonly string[])[]): TagScheme {
  let iStarts = 0;
  let bStarts = 0;
  for (const tags of sentences) {
    let prev = 'O';
    for (const t of tags) {
      const continues = prev !== 'O' && prev.slice(2) === t.slice(2);
      if (t.startsWith('B-') && !continues) bStarts++;
      if (t.startsWith('I-') && !continues) iStarts++;
      prev = t;
    }
  }
  return iStarts > bStarts ? 'IOB1' : 'IOB2';
}

/** Converts one sentence's IOB1 tags to IOB2: an I-X that starts an entity becomes B-X. */
export function toIob2(tags: readonly string[]): string[] {
  const out: string[] = [];
  let prev = 'O';
  for (const t of tags) {
    if (t.startsWith('I-') && (prev === 'O' || prev.slice(2) !== t.slice(2))) out.push(`B-${t.slice(2)}`);
    else out.push(t);
    prev = t;
  }
  return out;
}

/** Entities as [type, start, end) spans from IOB2 tags (an I- start is counted as an entity, conlleval-style). */
export function entitySpans(tags: readonly string[]): Array<{ type: string; start: number; end: number }> {
  const spans: Array<{ type: string; start: number; end: number }> = [];
  let open: { type: string; start: number } | undefined;
  tags.forEach((t, i) => {
    const type = t === 'O' ? '' : t.slice(2);
    const starts = t.startsWith('B-') || (t.startsWith('I-') && (!open || open.type !== type));
    if (open && (t === 'O' || starts)) {
      spans.push({ ...open, end: i });
      open = undefined;
    }
    if (starts) open = { type, start: i };
  });
  if (open) spans.push({ ...open, end: tags.length });
  return spans;
}
