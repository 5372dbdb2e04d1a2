import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { AutoTokenizer } from '../text/tokenizer/index.js';
import { DatasetInspector, formatReport, histogramStats, inspectDataset, inspectFile, labelBalance, stats } from './inspect.js';
import { LabelSet } from './labels.js';
import { loadDataset } from './load.js';
import { streamDataset } from './stream.js';
import type { Dataset, LoadOptions } from './types.js';
import { golden, skipWithoutGolden } from '../testing/golden.js';
import { fuzzRuns, fuzzSeed } from '../testing/fuzz.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const shared = resolve(repoRoot, '../shared/data');
const sample = join(repoRoot, 'examples/data/tweets-sample.csv');

const goldenTokenizer = golden('fixtures', 'bert-tiny-seqcls');
const dir = mkdtempSync(join(tmpdir(), 'lengua-inspect-'));

test('stats: min, max, mean, median and p95 with linear interpolation (numpy default)', () => {
  assert.deepEqual(stats([1, 2, 3, 4]), { min: 1, max: 4, mean: 2.5, median: 2.5, p95: 3.85 });
  assert.equal(stats([]), null);
});

test('report: rows, label counts, balance, empty and duplicate texts, lengths in code points, skipped rows', () => {
  const p = join(dir, 'd.csv');
  writeFileSync(
    p,
    ['text,label', 'good 😀,pos', 'good 😀,pos', 'bad,neg', '   ,neg', 'Good   😀,neg', 'ok,neu', 'ragged,neu,x', 'no label,'].join('\n') + '\n',
  );
  const ds = loadDataset(p, { allowEmptyText: true, allowMissingLabel: true, onBadRow: 'skip' });
  const r = inspectDataset(ds);
  assert.equal(r.rows, 7);
  assert.deepEqual(r.labels, { neg: 3, neu: 1, pos: 2 });
  assert.equal(r.missingLabels, 1);
  assert.deepEqual(r.missingLabelLines, [{ file: p, line: 9 }]);
  assert.deepEqual(r.balance, { majorityShare: 0.5, minorityShare: 0.1667, imbalanceRatio: 3 });
  assert.equal(r.emptyTexts, 1);
  assert.deepEqual(r.emptyTextLines, [{ file: p, line: 5 }]);
  assert.equal(r.duplicates.count, 1);
  assert.deepEqual(r.duplicates.examples, [{ text: 'good 😀', lines: [2, 3], labels: ['pos'] }]);
  // "Good   😀" equals "good 😀" after normalization (case, spacing).
  assert.equal(r.duplicates.normalizedCount, 2);
  assert.equal(r.length.chars!.max, 8); // "Good   😀": 4 letters, 3 spaces, the emoji counts one
  assert.equal(r.length.chars!.min, 2);
  assert.deepEqual(r.skipped.byReason, { 'ragged row: expected 2 fields (as the header), found 3': 1 });
  assert.equal(r.skipped.rows[0]!.line, 8);
  const table = formatReport(r);
  assert.match(table, /^rows +7$/m);
  assert.match(table, /^0 +neg +3 +42\.9%$/m);
  assert.match(table, /empty texts +1 \(line 5\)/);
  assert.match(table, /skipped rows +1/);
  assert.match(table, /rows without label +1 \(line 9\)/);
  assert.match(table, /^ {2}2, 3 {2}"good 😀"$/m);
});

test('conflicting labels on duplicate texts are counted', () => {
  const p = join(dir, 'c.jsonl');
  writeFileSync(p, '{"text":"same","label":"a"}\n{"text":"same","label":"b"}\n{"text":"other","label":"a"}\n');
  const r = inspectDataset(loadDataset(p));
  assert.equal(r.duplicates.conflictingLabels, 1);
  assert.deepEqual(r.duplicates.examples[0]!.labels, ['a', 'b']);
});

test('lengths in tokens with a real tokenizer (encode(...).ids, special tokens included)', { skip: skipWithoutGolden }, async () => {
  const tok = await AutoTokenizer.fromPretrained(goldenTokenizer);
  const p = join(dir, 't.csv');
  writeFileSync(p, 'text,label\nhello world,a\nhi,b\n');
  const r = inspectDataset(loadDataset(p), { tokenizer: tok });
  const expected = ['hello world', 'hi'].map((t) => tok.encode(t).ids.length).sort((a, b) => a - b);
  assert.equal(r.length.tokens!.min, expected[0]);
  assert.equal(r.length.tokens!.max, expected[1]);
  assert.ok(expected[0]! >= 3); // [CLS] hi [SEP]
  assert.match(formatReport(r), /^tokens /m);
});

/** Duplicate groups the plain way: a Map of every text (what inspection did before it streamed). */
function directDuplicates(ds: Dataset) {
  const byText = new Map<string, { lines: number[]; labels: Set<string> }>();
  for (const e of ds.examples) {
    const key = e.textPair === undefined ? e.text : `${e.text}\u0000${e.textPair}`;
    const entry = byText.get(key) ?? { lines: [], labels: new Set<string>() };
    entry.lines.push(e.source.line);
    entry.labels.add(e.label === undefined ? '' : typeof e.label === 'string' ? e.label : [...e.label].sort().join('|'));
    byText.set(key, entry);
  }
  const groups = [...byText.entries()].filter(([, v]) => v.lines.length > 1);
  return {
    count: ds.examples.length - byText.size,
    groups: groups.length,
    conflictingLabels: groups.filter(([, v]) => v.labels.size > 1).length,
    examples: groups.slice(0, 20).map(([text, v]) => ({ text: text.replace('\u0000', ' ‖ '), lines: v.lines, labels: [...v.labels] })),
  };
}

test('the streamed report equals the in-memory one on the sample and the shared tweet sets; duplicates equal a direct count', async () => {
  const lenient: LoadOptions = { allowEmptyText: true, allowMissingLabel: true };
  const files: Array<[string, LoadOptions]> = [[sample, {}]];
  if (existsSync(shared)) {
    files.push(
      [join(shared, 'tweeteval-sentiment/val_text.txt'), {}],
      [join(shared, 'umsab-english-sentiment/train_text.txt'), {}],
      [join(shared, 'umsab-spanish-sentiment/train_text.txt'), {}],
      [join(shared, 'sst2-glue/dev.tsv'), {}],
      [join(shared, 'tass2020-task1-spanish-sentiment/train/es.tsv'), { header: false, textColumn: '1', labelColumn: '2', idColumn: '0' }],
    );
  }
  for (const [f, o] of files) {
    const opts = { ...lenient, ...o };
    const ds = loadDataset(f, opts);
    const inMemory = inspectDataset(ds);
    assert.deepEqual(await inspectFile(f, opts), inMemory, f);
    // Small pieces: records cut anywhere still give the same report.
    const inspector = new DatasetInspector();
    assert.deepEqual(inspector.report(await streamDataset(f, opts, inspector, 4096)), inMemory, `${f} in 4 KiB pieces`);
    const { normalizedCount, ...exact } = inMemory.duplicates;
    assert.deepEqual(exact, directDuplicates(ds), f);
    assert.ok(normalizedCount >= exact.count);
  }
});

test('duplicate listing: the first listLimit groups by first appearance, however late their second copy comes', () => {
  // Text "a" (line 1) gets its second copy last; "b".."e" are duplicated early. With a limit of 2 the
  // listed groups are "a" and "b" (first appearances 1 and 2), as a Map of texts lists them.
  const texts = ['a', 'b', 'c', 'd', 'e', 'b', 'c', 'd', 'e', 'c', 'a', 'b'];
  const ds: Dataset = {
    examples: texts.map((text, i) => ({ text, label: i === 10 ? 'y' : 'x', source: { file: 'mem', line: i + 1 } })),
    labels: new LabelSet(['x', 'y']),
    format: 'csv',
    path: 'mem',
    multiLabel: false,
    columns: { text: 'text', label: 'label' },
    skipped: [],
    layout: {},
  };
  const r = inspectDataset(ds, { listLimit: 2 });
  assert.deepEqual(r.duplicates.examples, [
    { text: 'a', lines: [1, 11], labels: ['x', 'y'] },
    { text: 'b', lines: [2, 6, 12], labels: ['x'] },
  ]);
  assert.deepEqual([r.duplicates.count, r.duplicates.groups, r.duplicates.conflictingLabels], [7, 5, 1]);
  assert.deepEqual(inspectDataset(ds, { listLimit: 0 }).duplicates.examples, []);
});

test('length statistics from counts per length equal those from the full list', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 200 }), (xs) => {
      const counts = new Map<number, number>();
      for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
      assert.deepEqual(histogramStats(counts), stats(xs));
    }),
    { numRuns: fuzzRuns(300), ...(fuzzSeed() !== undefined ? { seed: fuzzSeed()! } : {}) },
  );
});

test('the inspector keeps hashes and counts, not texts: 40,000 distinct 500-character texts leave memory flat', () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const inspector = new DatasetInspector();
  const rows = 40_000;
  gc();
  const before = process.memoryUsage();
  for (let i = 0; i < rows; i++) {
    // Every 10th text comes twice, so there are duplicate groups to list.
    const k = i % 10 === 9 ? i - 1 : i;
    const text = `${k} ${'lorem ipsum dolor sit amet '.repeat(19)}`.slice(0, 500);
    inspector.example({ text, label: String(i % 3), source: { file: 'mem', line: i + 2 } });
  }
  gc();
  const after = process.memoryUsage();
  const f = inspector.footprint();
  assert.equal(f.distinctTexts, 36_000);
  assert.ok(f.listedTexts <= 20 && f.listedTextChars <= 20 * 500, JSON.stringify(f));
  assert.ok(f.listedLines <= 20 * 2, JSON.stringify(f));
  // Two hash sets and the per-text numbers, with room to grow: at most about 100 bytes a distinct text.
  assert.ok(f.hashBytes / f.distinctTexts < 128, `${f.hashBytes} bytes of hashes for ${f.distinctTexts} texts`);
  // The texts are 18 MB even as one-byte strings: kept, they alone would exceed this bound.
  const grown = after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers);
  assert.ok(grown < 8 * 1024 * 1024, `memory grew by ${(grown / 1024 / 1024).toFixed(1)} MB`);
  const r = inspector.report({ labels: new LabelSet(['0', '1', '2']), format: 'csv', path: 'mem', multiLabel: false, columns: { text: 'text', label: 'label' }, layout: {} });
  assert.deepEqual([r.rows, r.duplicates.count, r.duplicates.groups], [rows, 4_000, 4_000]);
});

test('label balance of a million labels (an id column taken as the label) is computed, not a stack overflow', () => {
  // Math.max(...counts) overflowed the call stack from about 130,000 labels.
  const counts = Array.from({ length: 1_000_000 }, (_, i): number => (i === 7 ? 0 : i % 2 === 0 ? 2 : 1));
  const total = counts.reduce((a, b) => a + b, 0);
  assert.deepEqual(labelBalance(counts), { majorityShare: round(2 / total), minorityShare: 0, imbalanceRatio: 2 });
  assert.deepEqual(labelBalance([3, 1, 0]), { majorityShare: 0.75, minorityShare: 0, imbalanceRatio: 3 });
  assert.equal(labelBalance([0, 0]), null);
  assert.equal(labelBalance([]), null);
});

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
