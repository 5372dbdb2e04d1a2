/**
 * Inputs for the loader fuzz suites (load.fuzz.test.ts, stream.fuzz.test.ts): arbitrary bytes and
 * near-valid files of every format — quotes, separators, line ends, BOMs and other encodings, huge
 * fields, deep JSON — written to a fresh folder per case, with the load options to read them with.
 */
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabelSet } from '../labels.js';
import type { ConllOptions } from '../conll.js';
import type { DataFormat, LoadOptions } from '../types.js';
import { fuzzRuns, fuzzSeed } from '../../testing/fuzz.js';

/**
 * fast-check parameters for the loader fuzz suites: the run count and seed of src/testing/fuzz.ts,
 * and a report cut short (a counterexample can be megabytes of bytes).
 */
export function fuzzParams<Ts>(fast: number): fc.Parameters<Ts> {
  const seed = fuzzSeed();
  return {
    numRuns: fuzzRuns(fast),
    ...(seed !== undefined ? { seed } : {}),
    reporter: (details: fc.RunDetails<Ts>) => {
      if (!details.failed) return;
      const msg = fc.defaultReportMessage(details) ?? 'property failed';
      throw new Error(msg.length > 4000 ? `${msg.slice(0, 2000)}\n… (${msg.length - 4000} characters cut) …\n${msg.slice(-2000)}` : msg);
    },
  };
}

/** One case: files to write (name → bytes), the file to load, and how. */
export interface LoaderCase {
  files: Record<string, Uint8Array>;
  main: string;
  format: DataFormat | 'conll';
  options: LoadOptions;
  /** For the `conll` format: how loadConll reads it. */
  conll: ConllOptions;
}

const root = mkdtempSync(join(tmpdir(), 'lengua-fuzz-'));
let next = 0;

/** Writes a case's files into a fresh folder; returns the main file's path and a clean-up. */
export function writeCase(c: LoaderCase): { path: string; dir: string; cleanup: () => void } {
  const dir = join(root, String(next++));
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(c.files)) writeFileSync(join(dir, name), bytes);
  return { path: join(dir, c.main), dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Text as bytes in one of the encodings a user's file may come in, with or without a BOM. */
const encodings = ['utf8', 'utf8-bom', 'utf16le-bom', 'utf16be-bom', 'utf16le', 'utf32le-bom', 'latin1'] as const;
type Enc = (typeof encodings)[number];

export function encode(text: string, enc: Enc): Uint8Array {
  switch (enc) {
    case 'utf8':
      return Buffer.from(text, 'utf8');
    case 'utf8-bom':
      return Buffer.from(`\ufeff${text}`, 'utf8');
    case 'utf16le-bom':
      return Buffer.from(`\ufeff${text}`, 'utf16le');
    case 'utf16be-bom':
      return Buffer.from(`\ufeff${text}`, 'utf16le').swap16();
    case 'utf16le':
      return Buffer.from(text, 'utf16le');
    case 'utf32le-bom': {
      const cps = [0xfeff, ...[...text].map((c) => c.codePointAt(0)!)];
      const b = Buffer.alloc(cps.length * 4);
      cps.forEach((cp, i) => b.writeUInt32LE(cp, i * 4));
      return b;
    }
    case 'latin1':
      return Buffer.from(text, 'latin1');
  }
}

/** Pieces near-valid data is made of: the delimiters, quotes and line ends the readers care about. */
const piece = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('a', 'hola', 'text', 'label', '0', '1', 'pos', 'neg', ' ', 'é', '😀', '\u0301', 'x\u0000y') },
  { weight: 6, arbitrary: fc.constantFrom(',', '"', '""', '\t', '\n', '\r\n', '\r', '|') },
  { weight: 2, arbitrary: fc.constantFrom('{', '}', '[', ']', ':', '\\', '\\"', '\\u00e9', '\\ud83d', 'null', 'true', '1e999', '-0') },
  { weight: 1, arbitrary: fc.constantFrom('\ufeff', '\ud800', '\udfff', '-DOCSTART-', 'B-PER', 'I-LOC', 'O', 'B-', 'B-X,I-Y') },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
);

/** A line of cells joined by a separator (CSV, TSV, CoNLL), with the occasional quoted cell. */
const cell = fc.oneof(
  fc.array(piece, { maxLength: 4 }).map((p) => p.join('')),
  fc.array(piece, { maxLength: 4 }).map((p) => `"${p.join('')}"`),
);
const row = (sep: string) =>
  fc.oneof({ weight: 3, arbitrary: fc.array(cell, { minLength: 2, maxLength: 2 }) }, { weight: 1, arbitrary: fc.array(cell, { minLength: 1, maxLength: 5 }) }).map((c) => c.join(sep));

/** A header (kept intact) over a body of rows that may be mangled. */
function lines(sep: string, header: string | undefined) {
  return fc
    .tuple(mangled(fc.array(row(sep), { maxLength: 12 }).map((rows) => rows.join('\n'))), fc.constantFrom('\n', '\r\n', ''))
    .map(([body, end]) => (header !== undefined ? `${header}\n${body}` : body) + end);
}

/** Parallel files: as many label lines as text lines, mostly, with ids the mapping mostly knows. */
const parallel = fc
  .tuple(
    fc.integer({ min: 0, max: 10 }),
    fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -2, max: 2 }) }),
    fc.constantFrom('\n', '\r\n'),
  )
  .chain(([n, extra, eol]) =>
    fc.tuple(
      fc.array(fc.array(piece, { maxLength: 5 }).map((p) => p.join('').replace(/[\r\n]/g, ' ')), { minLength: n, maxLength: n }).map((t) => t.join(eol)),
      fc.array(fc.constantFrom('0', '1', '2', '', ' 1 ', 'x', '7'), { minLength: Math.max(0, n + extra), maxLength: Math.max(0, n + extra) }).map((l) => l.join(eol)),
      fc.oneof(
        { weight: 4, arbitrary: fc.constant('0\tneg\n1\tpos\n2\tneu\n') },
        { weight: 2, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.constantFrom('0 a\n0 b\n', 'bad', '', '0\ta\n1\ta\n') },
      ),
    ),
  );

/** CoNLL lines: token and tag, mostly with tags of the schemes. */
const conllLines = fc
  .array(
    fc.oneof(
      { weight: 6, arbitrary: fc.tuple(fc.constantFrom('EU', 'rejects', 'Peter', '.', 'é'), fc.constantFrom('O', 'B-PER', 'I-PER', 'B-LOC', 'I-ORG', 'B-X,I-Y')).map(([t, g]) => `${t} ${g}`) },
      { weight: 2, arbitrary: fc.constantFrom('', '\t', '-DOCSTART- -X- O O') },
      { weight: 1, arbitrary: fc.array(piece, { maxLength: 4 }).map((p) => p.join('')) },
    ),
    { maxLength: 20 },
  )
  .map((l) => l.join('\n'));

/** Huge fields: one just over the 1M-character text limit, and a record of many empty columns. */
const huge = fc.constantFrom(
  () => `text,label\n${'x'.repeat(1_000_001)},1\nok,0\n`,
  () => `text,label\n"${'y'.repeat(300_000)}\n${'z'.repeat(300_000)}",1\n`,
  () => `${','.repeat(200_000)}\n`,
  () => `text,label\n"${'never closed '.repeat(20_000)}`,
);

/** JSON and JSON Lines: valid shapes, mangled ones and deeply nested ones. */
const jsonish = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.array(
      fc.record(
        {
          text: fc.oneof({ weight: 5, arbitrary: fc.string() }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) }),
          label: fc.oneof(fc.constantFrom('pos', 'neg', '0', '1'), fc.integer({ min: -1, max: 3 }), fc.array(fc.constantFrom('a', 'b', ''), { maxLength: 3 }), fc.constant(null)),
        },
        { requiredKeys: ['text'] },
      ),
      { maxLength: 6 },
    ),
  },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 200_000 }).map((n) => ({ deep: n })) },
);

function jsonText(v: unknown, lines: boolean): string {
  if (v !== null && typeof v === 'object' && 'deep' in v && typeof (v as { deep: unknown }).deep === 'number') {
    const n = (v as { deep: number }).deep;
    return lines ? `{"text":${'['.repeat(n)}${']'.repeat(n)}}\n` : `[{"text":"a","label":${'['.repeat(n)}"x"${']'.repeat(n)}}]`;
  }
  if (lines && Array.isArray(v)) return v.map((x) => JSON.stringify(x)).join('\n');
  return JSON.stringify(v, null, 2) ?? '';
}

/** Mangles a text a little: drops, doubles or swaps a few characters (turns valid into near-valid). */
const mangled = (text: fc.Arbitrary<string>) =>
  fc
    .tuple(
      text,
      fc.oneof(
        { weight: 1, arbitrary: fc.constant([] as Array<[number, string]>) },
        { weight: 1, arbitrary: fc.array(fc.tuple(fc.nat(), fc.constantFrom('drop', 'double', 'quote', 'newline')), { minLength: 1, maxLength: 3 }) },
      ),
    )
    .map(([t, edits]) => {
    let s = t;
    for (const [at, what] of edits) {
      if (s.length === 0) break;
      const i = at % s.length;
      s = what === 'drop' ? s.slice(0, i) + s.slice(i + 1) : what === 'double' ? s.slice(0, i) + s[i] + s.slice(i) : s.slice(0, i) + (what === 'quote' ? '"' : '\n') + s.slice(i);
    }
    return s;
  });

const labelSet = new LabelSet(['0', '1', 'pos', 'neg']);

const mildOptions = {
  onBadRow: fc.constantFrom('error' as const, 'skip' as const),
  allowEmptyText: fc.boolean(),
  allowMissingLabel: fc.boolean(),
};

/**
 * Load options: mostly the defaults or the lenient flags (so rows get read), sometimes no header with
 * index columns, sometimes anything (unknown columns, fixed label sets, label orders, separators).
 */
export const loadOptions: fc.Arbitrary<LoadOptions> = fc.oneof(
  { weight: 5, arbitrary: fc.record(mildOptions, { requiredKeys: [] }) },
  {
    weight: 2,
    arbitrary: fc.record(
      { ...mildOptions, header: fc.constant(false), textColumn: fc.constantFrom('0', '1'), labelColumn: fc.constantFrom('1', '2'), idColumn: fc.constant('0') },
      { requiredKeys: ['header', 'textColumn'] },
    ),
  },
  {
    weight: 2,
    arbitrary: fc.record(
      {
        ...mildOptions,
        header: fc.boolean(),
        textColumn: fc.constantFrom('text', '0', '1', 'label', 'missing'),
        textPairColumn: fc.constantFrom('label', '1', '2'),
        labelColumn: fc.constantFrom('label', '1', '0', 'text'),
        labelColumns: fc.array(fc.constantFrom('a', 'label', '1', '0'), { maxLength: 3 }),
        labelSeparator: fc.constantFrom('|', ',', ''),
        idColumn: fc.constantFrom('0', 'id', 'text'),
        encoding: fc.constantFrom('utf8' as const, 'latin1' as const),
        requireLabel: fc.boolean(),
        labels: fc.constant(labelSet),
        labelOrder: fc.constantFrom('auto' as const, 'sorted' as const, 'first-seen' as const, ['0', '1'], ['pos', 'pos']),
      },
      { requiredKeys: [] },
    ),
  },
);

/** A case of any format, from arbitrary bytes or near-valid text in any encoding. */
export const loaderCase: fc.Arbitrary<LoaderCase> = fc
  .tuple(
    fc.constantFrom<DataFormat | 'conll'>('csv', 'tsv', 'jsonl', 'json', 'parallel', 'conll'),
    fc.oneof(
      { weight: 2, arbitrary: fc.uint8Array({ maxLength: 600 }).map((b) => ({ bytes: b })) },
      { weight: 8, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: huge.map((f) => ({ text: f() })) },
    ),
    fc.oneof({ weight: 6, arbitrary: fc.constant<Enc>('utf8') }, { weight: 4, arbitrary: fc.constantFrom(...encodings) }),
    fc.record({
      csv: fc.oneof(lines(',', 'text,label'), lines(',', 'id,text,label,a'), lines(',', undefined)),
      tsv: fc.oneof(lines('\t', 'text\tlabel'), lines('\t', undefined)),
      json: mangled(jsonish.map((v) => jsonText(v, false))),
      jsonl: mangled(jsonish.map((v) => jsonText(v, true))),
      parallel,
      conll: mangled(conllLines),
    }),
    loadOptions,
    fc.record({ tokenColumn: fc.integer({ min: -3, max: 3 }), tagColumn: fc.integer({ min: -3, max: 3 }), scheme: fc.constantFrom('IOB1' as const, 'IOB2' as const, 'auto' as const), alternatives: fc.constantFrom('first' as const, 'error' as const) }, { requiredKeys: [] }),
  )
  .map(([format, raw, enc, texts, options, conllOptions]): LoaderCase => {
    const conll: ConllOptions = { ...conllOptions, ...(options.encoding !== undefined ? { encoding: options.encoding } : {}) };
    const bytes = (text: string) => (raw !== undefined && 'bytes' in raw ? raw.bytes : encode(raw !== undefined && 'text' in raw ? raw.text : text, enc));
    switch (format) {
      case 'csv':
        return { files: { 'd.csv': bytes(texts.csv) }, main: 'd.csv', format, options, conll };
      case 'tsv':
        return { files: { 'd.tsv': bytes(texts.tsv) }, main: 'd.tsv', format, options, conll };
      case 'jsonl':
        return { files: { 'd.jsonl': bytes(texts.jsonl) }, main: 'd.jsonl', format, options, conll };
      case 'json':
        return { files: { 'd.json': bytes(texts.json) }, main: 'd.json', format, options, conll };
      case 'parallel': {
        const [t, l, mapping] = texts.parallel;
        const files: Record<string, Uint8Array> = { 'x_text.txt': bytes(t), 'x_labels.txt': encode(l, enc) };
        if (mapping !== undefined) files['mapping.txt'] = encode(mapping, enc);
        return { files, main: 'x_text.txt', format, options, conll };
      }
      case 'conll':
        return { files: { 'd.conll': bytes(texts.conll) }, main: 'd.conll', format, options, conll };
    }
  });
