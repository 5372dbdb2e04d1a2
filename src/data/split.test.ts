import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LenguaError } from '../errors.js';
import { LabelSet } from './labels.js';
import { leakageReport } from './leakage.js';
import { loadDataset } from './load.js';
import { mulberry32, normalizedKey, splitDataset, stratifiedKFold } from './split.js';
import type { Dataset, Example } from './types.js';
import { writeFolds, writeSplits } from './write.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const shared = resolve(repoRoot, '../shared/data');
const noShared = existsSync(shared) ? false : 'shared data (../shared/data) not present';
const sample = join(repoRoot, 'examples/data/tweets-sample.csv');

function synthetic(counts: Record<string, number>, extra: Array<[string, string]> = []): Dataset {
  const examples: Example[] = [];
  let line = 1;
  for (const [label, n] of Object.entries(counts)) {
    for (let i = 0; i < n; i++) examples.push({ text: `${label} text number ${i}`, label, source: { file: 'mem', line: line++ } });
  }
  for (const [text, label] of extra) examples.push({ text, label, source: { file: 'mem', line: line++ } });
  return {
    examples,
    labels: LabelSet.fromLabels(examples.map((e) => e.label)),
    format: 'csv',
    path: 'mem',
    multiLabel: false,
    columns: { text: 'text', label: 'label' },
    skipped: [],
    layout: { header: ['text', 'label'], delimiter: ',' },
  };
}

function countBy(ds: Dataset): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of ds.examples) out[e.label as string] = (out[e.label as string] ?? 0) + 1;
  return out;
}

test('mulberry32 is a fixed sequence: changing it would change every seeded split users have', () => {
  const r = mulberry32(42);
  assert.deepEqual([r(), r(), r()], [0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
  const s = mulberry32(7);
  const xs = Array.from({ length: 10000 }, s);
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.02);
});

test('split sizes follow train_test_split (ceil for held-out splits), each label within one of its share', () => {
  const ds = synthetic({ a: 500, b: 300, c: 37 });
  const r = splitDataset(ds, { val: 0.1, test: 0.2, seed: 3 });
  const n = ds.examples.length;
  assert.equal(r.splits.test!.examples.length, Math.ceil(0.2 * n));
  assert.equal(r.splits.validation!.examples.length, Math.ceil(0.1 * n));
  assert.equal(r.splits.train!.examples.length + r.splits.validation!.examples.length + r.splits.test!.examples.length, n);
  for (const [name, ratio] of [
    ['test', 0.2],
    ['validation', 0.1],
  ] as const) {
    const got = countBy(r.splits[name]!);
    for (const [label, total] of Object.entries({ a: 500, b: 300, c: 37 })) {
      assert.ok(Math.abs((got[label] ?? 0) - total * ratio) <= 1, `${name}/${label}: ${got[label]} vs ${total * ratio}`);
    }
  }
  // Examples keep file order inside a split.
  const lines = r.splits.train!.examples.map((e) => e.source.line);
  assert.deepEqual(lines, [...lines].sort((a, b) => a - b));
});

test('same seed, same split; another seed, another split; a zero ratio drops the split', () => {
  const ds = synthetic({ x: 60, y: 40 });
  const a = splitDataset(ds, { seed: 11 });
  const b = splitDataset(ds, { seed: 11 });
  const c = splitDataset(ds, { seed: 12 });
  const lines = (r: typeof a) => Object.fromEntries(Object.entries(r.splits).map(([k, v]) => [k, v.examples.map((e) => e.source.line)]));
  assert.deepEqual(lines(a), lines(b));
  assert.notDeepEqual(lines(a), lines(c));
  const two = splitDataset(ds, { val: 0, test: 0.25, seed: 1 });
  assert.deepEqual(Object.keys(two.splits), ['train', 'test']);
  assert.equal(two.splits.test!.examples.length, 25);
});

test('texts equal after normalization never straddle splits', () => {
  const copies: Array<[string, string]> = [];
  for (let i = 0; i < 15; i++) {
    copies.push([`Same tweet ${i} https://t.co/abc${i}`, 'x']);
    copies.push([`same   TWEET ${i} https://t.co/zzz`, 'x']);
    copies.push([`@alice Same tweet ${i}`, 'y']);
  }
  const ds = synthetic({ x: 40, y: 40 }, copies);
  for (const seed of [1, 2, 3, 4, 5]) {
    const r = splitDataset(ds, { val: 0.2, test: 0.2, seed });
    const where = new Map<string, Set<string>>();
    for (const [name, split] of Object.entries(r.splits)) {
      for (const e of split.examples) {
        const k = normalizedKey(e.text);
        if (!where.has(k)) where.set(k, new Set());
        where.get(k)!.add(name);
      }
    }
    for (const [k, s] of where) assert.equal(s.size, 1, `"${k}" is in ${[...s].join(' and ')}`);
    const leak = leakageReport(r.splits);
    assert.deepEqual([leak.exact.length, leak.normalized.length], [0, 0]);
    assert.ok(r.groupsKeptTogether >= 15);
  }
});

test('bad ratios and seeds are errors naming the option', () => {
  const ds = synthetic({ a: 10 });
  assert.throws(() => splitDataset(ds, { val: 0.6, test: 0.5 }), (e: unknown) => e instanceof LenguaError && e.field === 'val');
  assert.throws(() => splitDataset(ds, { test: 1.5 }), /--test must be a number in \[0, 1\)/);
  assert.throws(() => splitDataset(ds, { seed: 1.5 }), /--seed must be an integer/);
  assert.throws(() => splitDataset(synthetic({ a: 2 }), { val: 0.4, test: 0.4 }), /too few examples/);
});

test('stratified k-fold: every example in exactly one validation fold, per-label fold counts within one', () => {
  const counts = { a: 53, b: 31, c: 9 };
  const ds = synthetic(counts);
  const folds = stratifiedKFold(ds, 5, 9);
  assert.equal(folds.length, 5);
  const seen = new Map<number, number>();
  for (const f of folds) {
    assert.equal(f.train.examples.length + f.validation.examples.length, ds.examples.length);
    const inVal = new Set(f.validation.examples.map((e) => e.source.line));
    assert.ok(f.train.examples.every((e) => !inVal.has(e.source.line)));
    for (const l of inVal) seen.set(l, (seen.get(l) ?? 0) + 1);
  }
  assert.equal(seen.size, ds.examples.length);
  assert.ok([...seen.values()].every((v) => v === 1));
  for (const label of Object.keys(counts)) {
    const per = folds.map((f) => countBy(f.validation)[label] ?? 0);
    assert.ok(Math.max(...per) - Math.min(...per) <= 1, `${label}: ${per.join(',')}`);
  }
  const sizes = folds.map((f) => f.validation.examples.length);
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, sizes.join(','));
  assert.deepEqual(
    stratifiedKFold(ds, 5, 9).map((f) => f.validation.examples.map((e) => e.source.line)),
    folds.map((f) => f.validation.examples.map((e) => e.source.line)),
  );
  assert.throws(() => stratifiedKFold(ds, 1), /at least 2/);
  assert.throws(() => stratifiedKFold(synthetic({ a: 3 }), 5), /cannot make 5 folds from 3 distinct texts/);
});

test('sample dataset: its near-duplicates are kept together and the split is leak-free', () => {
  const ds = loadDataset(sample);
  const r = splitDataset(ds, { val: 0.15, test: 0.15, seed: 2024 });
  assert.ok(r.groupsKeptTogether >= 8, `groups kept together: ${r.groupsKeptTogether}`);
  const leak = leakageReport(r.splits);
  assert.equal(leak.exact.length + leak.normalized.length, 0);
  // Whereas a naive split by position leaks them.
  const half = Math.floor(ds.examples.length / 2);
  const naive = leakageReport({
    a: { ...ds, examples: ds.examples.slice(0, half) },
    b: { ...ds, examples: ds.examples.slice(half) },
  });
  assert.ok(naive.exact.length + naive.normalized.length > 0);
});

test('real data: UMSAB Spanish train splits 10/10 stratified; k-fold covers it; UMSAB-en train vs TweetEval val leak 1,430 texts', { skip: noShared }, () => {
  const ds = loadDataset(join(shared, 'umsab-spanish-sentiment/train_text.txt'));
  const r = splitDataset(ds, { val: 0.1, test: 0.1, seed: 42 });
  assert.equal(r.splits.test!.examples.length, 184);
  for (const split of Object.values(r.splits)) {
    const c = Object.values(countBy(split));
    assert.ok(Math.max(...c) - Math.min(...c) <= 1);
  }
  const folds = stratifiedKFold(ds, 5, 42);
  assert.equal(
    folds.reduce((a, f) => a + f.validation.examples.length, 0),
    1839,
  );
  const en = loadDataset(join(shared, 'umsab-english-sentiment/train_text.txt'));
  const te = loadDataset(join(shared, 'tweeteval-sentiment/val_text.txt'));
  const leak = leakageReport({ umsab_train: en, tweeteval_val: te });
  assert.equal(leak.exact.length, 1430);
  assert.equal(leak.pairs[0]!.exact, 1430);
  assert.ok(leak.exact[0]!.occurrences.every((o) => o.line > 0 && o.file.endsWith('_text.txt')));
});

test('property: any labelled data, ratios and seed give a partition with no normalized text in two splits', async () => {
  const fc = await import('fast-check');
  const word = fc.constantFrom('hola', 'Hola', 'HOLA', 'good', 'bad', 'día', '@ana', 'https://t.co/x', '😀', 'meh');
  const example = fc.record({ words: fc.array(word, { minLength: 1, maxLength: 3 }), label: fc.constantFrom('a', 'b', 'c') });
  fc.assert(
    fc.property(
      fc.array(example, { minLength: 12, maxLength: 80 }),
      fc.integer({ min: 0, max: 30 }),
      fc.integer({ min: 5, max: 30 }),
      fc.integer(),
      (rows, val, test, seed) => {
        const ds = synthetic({}, rows.map((r) => [r.words.join(' '), r.label]));
        let r;
        try {
          r = splitDataset(ds, { val: val / 100, test: test / 100, seed });
        } catch (e) {
          if (e instanceof LenguaError && /too few examples/.test(e.message)) return;
          throw e;
        }
        const lines = Object.values(r.splits).flatMap((s) => s.examples.map((e) => e.source.line));
        assert.deepEqual([...lines].sort((a, b) => a - b), ds.examples.map((e) => e.source.line));
        const leak = leakageReport(r.splits);
        assert.equal(leak.exact.length + leak.normalized.length, 0);
      },
    ),
    { numRuns: 60 },
  );
});

test('writeSplits / writeFolds with overwrite: false refuse before writing anything when an output exists', () => {
  const ds = synthetic({ a: 20, b: 20 });
  const out = mkdtempSync(join(tmpdir(), 'lengua-write-'));
  writeFileSync(join(out, 'test.csv'), 'precious\n');
  const result = splitDataset(ds, { seed: 1 });
  assert.throws(
    () => writeSplits(ds, result, out, 'mem', { overwrite: false }),
    (e: unknown) => e instanceof LenguaError && e.file === join(out, 'test.csv') && /already exists.*--overwrite/.test(e.message),
  );
  assert.deepEqual(readdirSync(out), ['test.csv']); // train.csv, validation.csv and split.json were not written either
  assert.equal(readFileSync(join(out, 'test.csv'), 'utf8'), 'precious\n');
  writeSplits(ds, result, out, 'mem'); // the library default replaces, as a file write does
  assert.deepEqual(readdirSync(out).sort(), ['split.json', 'test.csv', 'train.csv', 'validation.csv']);
  const folds = mkdtempSync(join(tmpdir(), 'lengua-write-folds-'));
  writeFolds(ds, stratifiedKFold(ds, 2, 1), 1, folds, 'mem');
  assert.throws(() => writeFolds(ds, stratifiedKFold(ds, 2, 2), 2, folds, 'mem', { overwrite: false }), /fold-0\/train\.csv: already exists/);
});
