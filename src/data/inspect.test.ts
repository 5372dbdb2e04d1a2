import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer } from '../text/tokenizer/index.js';
import { formatReport, inspectDataset, stats } from './inspect.js';
import { loadDataset } from './load.js';
import { golden, skipWithoutGolden } from '../testing/golden.js';

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
