import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './testing.js';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const shared = resolve(repoRoot, '../shared/data');
const noShared = existsSync(shared) ? false : 'shared data (../shared/data) not present';
const sample = join(repoRoot, 'examples/data/tweets-sample.csv');

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Runs the real CLI in a child process, from the repo root. */
function lengua(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = runCli(args, { timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('done means: data inspect on UMSAB Spanish train_text.txt reports 1,839 rows, 613 per class', { skip: noShared }, () => {
  const json = lengua('data', 'inspect', '../shared/data/umsab-spanish-sentiment/train_text.txt', '--json');
  assert.equal(json.code, 0, json.stderr);
  const r = JSON.parse(json.stdout) as { rows: number; labels: Record<string, number>; labelsFile: string };
  assert.equal(r.rows, 1839);
  assert.deepEqual(r.labels, { '0': 613, '1': 613, '2': 613 });
  assert.match(r.labelsFile, /train_labels\.txt$/);
  const text = lengua('data', 'inspect', '../shared/data/umsab-spanish-sentiment/train_text.txt');
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^rows +1,839$/m);
  for (const id of ['0', '1', '2']) assert.match(text.stdout, new RegExp(`^${id} +${id} +613 +33\\.3%$`, 'm'));
});

test('data inspect --json on the sample: the documented keys, 4 duplicates, no empty texts', () => {
  const r = lengua('data', 'inspect', sample, '--json', '--text-column', 'text', '--label-column', 'label');
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as Record<string, unknown> & {
    rows: number;
    labels: Record<string, number>;
    duplicates: { count: number; normalizedCount: number };
    emptyTexts: number;
    length: { chars: { min: number; max: number } };
  };
  for (const k of ['rows', 'labels', 'duplicates', 'emptyTexts', 'length']) assert.ok(k in j, `missing key ${k}`);
  assert.ok(j.rows >= 300 && j.rows <= 400);
  assert.deepEqual(Object.keys(j.labels), ['negative', 'neutral', 'positive']);
  assert.equal(Object.values(j.labels).reduce((a, b) => a + b, 0), j.rows);
  assert.equal(j.duplicates.count, 4);
  assert.ok(j.duplicates.normalizedCount > j.duplicates.count);
  assert.equal(j.emptyTexts, 0);
});

test('data inspect: bad input exits 1 with file, line and field; --skip-bad-rows counts what it skipped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lengua-cli-data-'));
  const p = join(dir, 'bad.csv');
  writeFileSync(p, 'text,label\nfine,a\nragged,a,b\nok,b\n');
  const r = lengua('data', 'inspect', p);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: ragged row`));
  const s = lengua('data', 'inspect', p, '--skip-bad-rows', '--json');
  assert.equal(s.code, 0, s.stderr);
  const j = JSON.parse(s.stdout) as { rows: number; skipped: { count: number; rows: Array<{ line: number }> } };
  assert.equal(j.rows, 2);
  assert.equal(j.skipped.count, 1);
  assert.equal(j.skipped.rows[0]!.line, 3);
  const u = lengua('data', 'inspect', p, '--label-column', 'gold');
  assert.equal(u.code, 1);
  assert.match(u.stderr, /bad\.csv:1, field "gold": unknown label column "gold"/);
  const m = lengua('data', 'inspect', join(dir, 'missing.csv'));
  assert.equal(m.code, 1);
  assert.match(m.stderr, /missing\.csv: file not found/);
});

test('data split: CSV in, CSV out with the same header, split.json, byte-identical on rerun, no leakage', () => {
  const a = mkdtempSync(join(tmpdir(), 'lengua-split-a-'));
  const b = mkdtempSync(join(tmpdir(), 'lengua-split-b-'));
  const r1 = lengua('data', 'split', sample, '--out', a, '--val', '0.1', '--test', '0.2', '--seed', '5');
  assert.equal(r1.code, 0, r1.stderr);
  const r2 = lengua('data', 'split', sample, '--out', b, '--val', '0.1', '--test', '0.2', '--seed', '5');
  assert.equal(r2.code, 0, r2.stderr);
  assert.deepEqual(readdirSync(a).sort(), ['split.json', 'test.csv', 'train.csv', 'validation.csv']);
  for (const f of readdirSync(a)) assert.ok(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), `${f} differs between runs`);
  const input = readFileSync(sample, 'utf8').trimEnd().split('\n');
  const header = input[0]!;
  const rows: string[] = [];
  for (const f of ['train.csv', 'validation.csv', 'test.csv']) {
    const lines = readFileSync(join(a, f), 'utf8').trimEnd().split('\n');
    assert.equal(lines[0], header);
    rows.push(...lines.slice(1));
  }
  assert.deepEqual(rows.sort(), input.slice(1).sort()); // every row once, all columns kept
  const manifest = JSON.parse(readFileSync(join(a, 'split.json'), 'utf8')) as {
    seed: number;
    ratios: Record<string, number>;
    counts: Record<string, { rows: number; labels: Record<string, number> }>;
    input: string;
  };
  assert.equal(manifest.seed, 5);
  assert.deepEqual(manifest.ratios, { train: 0.7, validation: 0.1, test: 0.2 });
  assert.equal(manifest.counts.test!.rows, Math.ceil(0.2 * (input.length - 1)));
  assert.equal(manifest.input, sample);
  const leak = lengua('data', 'leakage', `train=${join(a, 'train.csv')}`, `validation=${join(a, 'validation.csv')}`, `test=${join(a, 'test.csv')}`, '--json');
  assert.equal(leak.code, 0, leak.stderr);
  const lj = JSON.parse(leak.stdout) as { exact: unknown[]; normalized: unknown[] };
  assert.deepEqual([lj.exact.length, lj.normalized.length], [0, 0]);
  const c = lengua('data', 'split', sample, '--out', b, '--seed', '6', '--overwrite');
  assert.equal(c.code, 0, c.stderr);
  assert.ok(!readFileSync(join(a, 'train.csv')).equals(readFileSync(join(b, 'train.csv'))), 'another seed gives another split');
});

test('data split refuses to replace an earlier split (before loading anything); --overwrite replaces it', () => {
  const out = mkdtempSync(join(tmpdir(), 'lengua-split-again-'));
  const first = lengua('data', 'split', sample, '--out', out, '--seed', '1');
  assert.equal(first.code, 0, first.stderr);
  const before = Object.fromEntries(readdirSync(out).map((f) => [f, readFileSync(join(out, f))]));
  const again = lengua('data', 'split', sample, '--out', out, '--seed', '2');
  assert.equal(again.code, 1);
  assert.match(again.stderr, new RegExp(`${escape(join(out, 'train.csv'))}: already exists .*pass --overwrite to replace it, or choose another --out`));
  for (const [f, bytes] of Object.entries(before)) assert.ok(readFileSync(join(out, f)).equals(bytes), `${f} changed`);
  // The check comes before the input is read: a broken input is not even looked at.
  const dir = mkdtempSync(join(tmpdir(), 'lengua-split-bad-'));
  const bad = join(dir, 'bad.csv');
  writeFileSync(bad, 'text,label\nragged,a,b\n');
  const early = lengua('data', 'split', bad, '--out', out);
  assert.equal(early.code, 1);
  assert.match(early.stderr, /train\.csv: already exists/);
  // split.json alone (the split files of another format) is enough to refuse.
  const other = mkdtempSync(join(tmpdir(), 'lengua-split-json-'));
  writeFileSync(join(other, 'split.json'), '{}');
  const j = lengua('data', 'split', sample, '--out', other);
  assert.equal(j.code, 1);
  assert.match(j.stderr, /split\.json: already exists/);
  const replaced = lengua('data', 'split', sample, '--out', out, '--seed', '2', '--overwrite');
  assert.equal(replaced.code, 0, replaced.stderr);
  assert.ok(!readFileSync(join(out, 'train.csv')).equals(before['train.csv']!), 'train.csv was replaced');
  assert.equal((JSON.parse(readFileSync(join(out, 'split.json'), 'utf8')) as { seed: number }).seed, 2);
});

test('data split / kfold: an --out that is a file is refused up front, naming --out', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lengua-out-file-'));
  const file = join(dir, 'not-a-folder');
  writeFileSync(file, 'x');
  for (const cmd of ['split', 'kfold']) {
    const r = lengua('data', cmd, sample, '--out', file);
    assert.equal(r.code, 1, `${cmd}: ${r.stdout}`);
    assert.match(r.stderr, new RegExp(`--out ${escape(file)} is a file; --out names a folder`));
  }
  // A path below a file cannot be made a folder either.
  const below = lengua('data', 'split', sample, '--out', join(file, 'sub'));
  assert.equal(below.code, 1);
  assert.match(below.stderr, /--out .*not-a-folder\/sub: a part of the path is a file/);
});

test('data kfold refuses to replace earlier folds; --overwrite replaces them', () => {
  const out = mkdtempSync(join(tmpdir(), 'lengua-kfold-again-'));
  assert.equal(lengua('data', 'kfold', sample, '--out', out, '--k', '3').code, 0);
  const again = lengua('data', 'kfold', sample, '--out', out, '--k', '3', '--seed', '9');
  assert.equal(again.code, 1);
  assert.match(again.stderr, /folds\.json: already exists/);
  const r = lengua('data', 'kfold', sample, '--out', out, '--k', '3', '--seed', '9', '--overwrite');
  assert.equal(r.code, 0, r.stderr);
  assert.equal((JSON.parse(readFileSync(join(out, 'folds.json'), 'utf8')) as { seed: number }).seed, 9);
});

test('data split: parallel files in, parallel files out; JSONL in, JSONL out; bad ratio is an error', { skip: noShared }, () => {
  const out = mkdtempSync(join(tmpdir(), 'lengua-split-p-'));
  const r = lengua('data', 'split', '../shared/data/tweeteval-sentiment/val_text.txt', '--out', out, '--val', '0', '--test', '0.25');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readdirSync(out).sort(), ['mapping.txt', 'split.json', 'test_labels.txt', 'test_text.txt', 'train_labels.txt', 'train_text.txt']);
  const texts = readFileSync(join(out, 'test_text.txt'), 'utf8').trimEnd().split('\n');
  const labels = readFileSync(join(out, 'test_labels.txt'), 'utf8').trimEnd().split('\n');
  assert.equal(texts.length, 500);
  assert.equal(labels.length, 500);
  assert.ok(labels.every((l) => ['0', '1', '2'].includes(l)));
  const back = lengua('data', 'inspect', join(out, 'test_text.txt'), '--json');
  assert.equal(back.code, 0, back.stderr);
  const j = JSON.parse(back.stdout) as { rows: number; labels: Record<string, number> };
  assert.equal(j.rows, 500);
  // Stratified: TweetEval val is 312 / 869 / 819 of 2,000.
  assert.deepEqual(j.labels, { negative: 78, neutral: 217, positive: 205 });

  const dir = mkdtempSync(join(tmpdir(), 'lengua-split-j-'));
  const jl = join(dir, 'd.jsonl');
  writeFileSync(jl, Array.from({ length: 40 }, (_, i) => JSON.stringify({ text: `text ${i}`, label: i % 2 ? 'a' : 'b', extra: i })).join('\n') + '\n');
  const jr = lengua('data', 'split', jl, '--out', join(dir, 'out'), '--test', '0.25', '--val', '0.25');
  assert.equal(jr.code, 0, jr.stderr);
  const testLines = readFileSync(join(dir, 'out', 'test.jsonl'), 'utf8').trimEnd().split('\n');
  assert.equal(testLines.length, 10);
  assert.ok(testLines.every((l) => 'extra' in (JSON.parse(l) as object)));
  const bad = lengua('data', 'split', jl, '--out', join(dir, 'o2'), '--test', '1.5');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--test must be a number in \[0, 1\)/);
});

test('data conll summarizes CoNLL-2003 dev (IOB1 detected and converted)', { skip: noShared }, () => {
  const r = lengua('data', 'conll', '../shared/data/conll2003-en/eng.testa', '--json');
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { documents: number; sentences: number; tokens: number; scheme: string; tagScheme: string; entities: Record<string, number> };
  assert.deepEqual([j.documents, j.sentences, j.tokens, j.scheme, j.tagScheme], [216, 3250, 51362, 'IOB1', 'IOB2']);
  assert.deepEqual(j.entities, { LOC: 1837, MISC: 922, ORG: 1341, PER: 1842 });
});

test('data kfold writes fold-N/train and validation in the input format; every row validates exactly once', () => {
  const out = mkdtempSync(join(tmpdir(), 'lengua-kfold-'));
  const r = lengua('data', 'kfold', sample, '--out', out, '--k', '4', '--seed', '3');
  assert.equal(r.code, 0, r.stderr);
  const input = readFileSync(sample, 'utf8').trimEnd().split('\n');
  const validated: string[] = [];
  for (let f = 0; f < 4; f++) {
    const val = readFileSync(join(out, `fold-${f}`, 'validation.csv'), 'utf8').trimEnd().split('\n');
    const train = readFileSync(join(out, `fold-${f}`, 'train.csv'), 'utf8').trimEnd().split('\n');
    assert.equal(val[0], input[0]);
    assert.equal(val.length - 1 + train.length - 1, input.length - 1);
    validated.push(...val.slice(1));
  }
  assert.deepEqual(validated.sort(), input.slice(1).sort());
  const manifest = JSON.parse(readFileSync(join(out, 'folds.json'), 'utf8')) as { k: number; seed: number };
  assert.deepEqual([manifest.k, manifest.seed], [4, 3]);
});

test("data inspect --label-set: a label outside a model's id2label is an error naming it", () => {
  const dir = mkdtempSync(join(tmpdir(), 'lengua-labelset-'));
  const cfg = join(dir, 'config.json');
  writeFileSync(cfg, JSON.stringify({ id2label: { 0: 'negative', 1: 'positive' } }));
  const r = lengua('data', 'inspect', sample, '--label-set', cfg);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /1 unknown label: "neutral" \(first at .*tweets-sample\.csv:\d+\); known labels: "negative", "positive"/);
  writeFileSync(cfg, JSON.stringify({ id2label: { 0: 'negative', 1: 'neutral', 2: 'positive' } }));
  const ok = lengua('data', 'inspect', sample, '--label-set', cfg, '--json');
  assert.equal(ok.code, 0, ok.stderr);
});
