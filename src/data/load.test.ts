import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LenguaError } from '../errors.js';
import { LabelSet } from './labels.js';
import { arrayElementLines, loadDataset } from './load.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const shared = resolve(repoRoot, '../shared/data');
const noShared = existsSync(shared) ? false : 'shared data (../shared/data) not present';

let n = 0;
function file(name: string, content: string | Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), `lengua-load-${n++}-`));
  const p = join(dir, name);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, content);
  return p;
}

/** Asserts a LenguaError naming the file, the line and (when given) the field. */
function throwsAt(fn: () => unknown, where: { file: string; line?: number; field?: string }, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof LenguaError, `expected LenguaError, got ${String(e)}`);
    assert.equal(e.file, where.file);
    if (where.line !== undefined) assert.equal(e.line, where.line);
    if (where.field !== undefined) assert.equal(e.field, where.field);
    assert.match(e.message, message);
    return true;
  });
}

test('CSV: header, quoted fields with commas, quotes and line breaks, line numbers of each record', () => {
  const p = file('d.csv', 'id,text,label\n1,"hola, mundo",positive\n2,"she said ""no""\nand left",negative\n3,plain,neutral\n');
  const ds = loadDataset(p);
  assert.equal(ds.format, 'csv');
  assert.deepEqual(
    ds.examples.map((e) => [e.text, e.label, e.source.line]),
    [
      ['hola, mundo', 'positive', 2],
      ['she said "no"\nand left', 'negative', 3],
      ['plain', 'neutral', 5],
    ],
  );
  assert.deepEqual(ds.labels.names, ['negative', 'neutral', 'positive']);
  assert.deepEqual(ds.layout.header, ['id', 'text', 'label']);
});

test('CSV with CRLF line ends and a BOM keeps exact line numbers', () => {
  const p = file('crlf.csv', '\ufefftext,label\r\n"a\r\nb",1\r\nc,0\r\n');
  const ds = loadDataset(p);
  assert.deepEqual(ds.columns, { text: 'text', label: 'label' });
  assert.deepEqual(
    ds.examples.map((e) => [e.text, e.source.line]),
    [
      ['a\nb', 2],
      ['c', 4],
    ],
  );
  assert.deepEqual(ds.labels.names, ['0', '1']);
});

test('column mapping: text, text pair, label, id; sentence1/sentence2 pairs found by name', () => {
  const p = file('m.csv', 'premise,hypothesis,gold,uid\nA man sleeps,A person rests,entailment,x1\nIt rains,It is sunny,contradiction,x2\n');
  const ds = loadDataset(p, { textColumn: 'premise', textPairColumn: 'hypothesis', labelColumn: 'gold', idColumn: 'uid' });
  assert.deepEqual(ds.examples[1], {
    text: 'It rains',
    textPair: 'It is sunny',
    label: 'contradiction',
    id: 'x2',
    source: { file: p, line: 3 },
    raw: { kind: 'fields', fields: ['It rains', 'It is sunny', 'contradiction', 'x2'] },
  });
  const q = file('glue.tsv', 'sentence1\tsentence2\tlabel\na\tb\t1\n');
  const g = loadDataset(q);
  assert.equal(g.examples[0]!.textPair, 'b');
  assert.equal(g.columns.textPair, 'sentence2');
});

test('an unknown column is an error naming the file, the header line, the column and the columns there are', () => {
  const p = file('u.csv', 'tweet,sentiment\nhi,pos\n');
  throwsAt(() => loadDataset(p, { labelColumn: 'label' }), { file: p, line: 1, field: 'label' }, /unknown label column "label"; columns are: "tweet", "sentiment"/);
  throwsAt(() => loadDataset(p, { textColumn: 'body' }), { file: p, line: 1, field: 'body' }, /unknown text column/);
  const q = file('none.csv', 'a,b\nx,y\n');
  throwsAt(() => loadDataset(q), { file: q, line: 1 }, /no text column found/);
  const dup = file('dup.csv', 'text,label,text\na,b,c\n');
  throwsAt(() => loadDataset(dup), { file: dup, line: 1, field: 'text' }, /appears twice/);
  // Defaults find tweet / sentiment.
  assert.deepEqual(loadDataset(p).examples[0]!.label, 'pos');
});

test('a ragged CSV row is an error naming its line; with skip it is left out and recorded', () => {
  const p = file('r.csv', 'text,label\ngood,1\nbad,1,extra\n\nfine,0\n');
  throwsAt(() => loadDataset(p), { file: p, line: 3 }, /ragged row: expected 2 fields \(as the header\), found 3/);
  const ds = loadDataset(p, { onBadRow: 'skip' });
  assert.deepEqual(
    ds.examples.map((e) => e.text),
    ['good', 'fine'],
  );
  assert.deepEqual(
    ds.skipped.map((s) => [s.line, s.reason.replace(/:.*/, '')]),
    [
      [3, 'ragged row'],
      [4, 'blank line'],
    ],
  );
});

test('an unclosed quote is an error naming the line where the quoted field opens, and the field', () => {
  const p = file('q.csv', 'text,label\nok,1\n"never closed,1\nmore,0\n');
  throwsAt(() => loadDataset(p), { file: p, line: 3, field: 'text' }, /malformed CSV: the quoted field that opens on this line is never closed \(Quote Not Closed\)/);
  // The record starts on line 3 with a closed multi-line field; the unclosed one opens on line 4, in the second column.
  const q = file('q2.csv', 'text,label\nok,1\n"two\nlines","open\nnever,closed\n');
  throwsAt(() => loadDataset(q), { file: q, line: 4, field: 'label' }, /Quote Not Closed/);
  // Without a final newline, and without a header (columns named by index).
  const r = file('q3.csv', 'a,1\nb,"2');
  throwsAt(() => loadDataset(r, { header: false, textColumn: '0' }), { file: r, line: 2, field: '1' }, /Quote Not Closed/);
});

test('a label column is required when asked: the error names the columns found and --label-column', () => {
  const p = file('nolabel.csv', 'text,foo\nhello,1\n');
  throwsAt(() => loadDataset(p, { requireLabel: true }), { file: p, line: 1 }, /no label column found \(looked for label, labels, sentiment, class, target\); columns are: "text", "foo"; name one with --label-column/);
  assert.equal(loadDataset(p).labels.size, 0); // without requireLabel: unlabelled data, as before
  assert.equal(loadDataset(p, { requireLabel: true, labelColumn: 'foo' }).examples[0]!.label, '1');
  const j = file('nolabel.jsonl', '{"text":"a","score":3}\n');
  throwsAt(() => loadDataset(j, { requireLabel: true }), { file: j, line: 1 }, /columns are: "text", "score"; name one with --label-column/);
  const dir = mkdtempSync(join(tmpdir(), 'lengua-par-'));
  writeFileSync(join(dir, 'test_text.txt'), 'a\nb\n');
  throwsAt(() => loadDataset(join(dir, 'test_text.txt'), { requireLabel: true }), { file: join(dir, 'test_text.txt') }, /no labels file \(looked for test_labels\.txt beside it\).*--labels/);
});

test('empty text and missing label are errors naming file, line and field; skip counts them', () => {
  const p = file('e.csv', 'text,label\nfine,1\n   ,0\nno label,\n');
  throwsAt(() => loadDataset(p), { file: p, line: 3, field: 'text' }, /empty text/);
  const q = file('l.csv', 'text,label\nfine,1\nno label,\n');
  throwsAt(() => loadDataset(q), { file: q, line: 3, field: 'label' }, /missing label/);
  const ds = loadDataset(p, { onBadRow: 'skip' });
  assert.equal(ds.examples.length, 1);
  assert.deepEqual(
    ds.skipped.map((s) => [s.line, s.field, s.reason]),
    [
      [3, 'text', 'empty text'],
      [4, 'label', 'missing label'],
    ],
  );
  // Inspection keeps them to count them.
  const kept = loadDataset(p, { allowEmptyText: true, allowMissingLabel: true });
  assert.equal(kept.examples.length, 3);
  assert.equal(kept.examples[2]!.label, undefined);
});

test('invalid UTF-8 in a CSV names the line of the first bad byte', () => {
  const p = file('bad.csv', Buffer.concat([Buffer.from('text,label\nok,1\ncaf'), Buffer.from([0xe9]), Buffer.from(',0\n')]));
  throwsAt(() => loadDataset(p), { file: p, line: 3 }, /invalid UTF-8/);
  assert.equal(loadDataset(p, { encoding: 'latin1' }).examples[1]!.text, 'café');
});

test('missing file and unknown extension are errors naming the path', () => {
  throwsAt(() => loadDataset('/nonexistent/x.csv'), { file: '/nonexistent/x.csv' }, /file not found/);
  const p = file('data.xlsx', 'x');
  throwsAt(() => loadDataset(p), { file: p }, /cannot tell the format/);
});

test('TSV does not treat quotes specially (tweets hold unbalanced quotes); header-less TSV by column index', () => {
  const p = file('t.tsv', '101\t"quoted" and a lone " here \tP\n102\tsecond\tNEU\n');
  const ds = loadDataset(p, { header: false, textColumn: '1', labelColumn: '2', idColumn: '0' });
  assert.deepEqual(
    ds.examples.map((e) => [e.id, e.text, e.label, e.source.line]),
    [
      ['101', '"quoted" and a lone " here ', 'P', 1],
      ['102', 'second', 'NEU', 2],
    ],
  );
});

test('multi-label: 0/1 columns, a separator in one column, lists in JSONL', () => {
  const p = file('ml.csv', 'text,sports,politics,art\na,1,0,1\nb,0,0,0\nc,true,1,false\n');
  const ds = loadDataset(p, { labelColumns: ['sports', 'politics', 'art'] });
  assert.equal(ds.multiLabel, true);
  assert.deepEqual(ds.labels.names, ['sports', 'politics', 'art']);
  assert.deepEqual(
    ds.examples.map((e) => e.label),
    [['sports', 'art'], [], ['sports', 'politics']],
  );
  const bad = file('mlbad.csv', 'text,sports\na,yes\n');
  throwsAt(() => loadDataset(bad, { labelColumns: ['sports'] }), { file: bad, line: 2, field: 'sports' }, /must be 0\/1/);
  const s = file('sep.csv', 'text,labels\na,joy|anger\nb,fear\n');
  assert.deepEqual(
    loadDataset(s, { labelSeparator: '|' }).examples.map((e) => e.label),
    [['joy', 'anger'], ['fear']],
  );
  const j = file('ml.jsonl', '{"text":"a","labels":["x","y"]}\n{"text":"b","labels":["y"]}\n');
  const jd = loadDataset(j);
  assert.equal(jd.multiLabel, true);
  assert.deepEqual(jd.labels.names, ['x', 'y']);
});

test('JSONL: records with their line numbers; invalid JSON and non-objects name the line', () => {
  const p = file('d.jsonl', '{"text":"uno","label":2}\n\n{"text":"dos","label":"0","extra":true}\n');
  const ds = loadDataset(p);
  assert.deepEqual(
    ds.examples.map((e) => [e.text, e.label, e.source.line]),
    [
      ['uno', '2', 1],
      ['dos', '0', 3],
    ],
  );
  const bad = file('b.jsonl', '{"text":"ok","label":1}\n{"text": "broken",\n');
  throwsAt(() => loadDataset(bad), { file: bad, line: 2 }, /invalid JSON/);
  const arr = file('a.jsonl', '{"text":"ok","label":1}\n[1,2]\n');
  throwsAt(() => loadDataset(arr), { file: arr, line: 2 }, /must be a JSON object/);
  const nolabel = file('n.jsonl', '{"text":"ok","label":1}\n{"text":"x"}\n');
  throwsAt(() => loadDataset(nolabel), { file: nolabel, line: 2, field: 'label' }, /missing label/);
  const num = file('t.jsonl', '{"text":5,"label":1}\n');
  throwsAt(() => loadDataset(num), { file: num, line: 1, field: 'text' }, /text must be a string, got number/);
});

test('JSON array: elements located by line; not-an-array is an error', () => {
  const text = '[\n  {"text": "a [b] {c}", "label": "pos"},\n  {\n    "text": "with \\"quote\\"",\n    "label": "neg"\n  }\n]\n';
  const p = file('d.json', text);
  assert.deepEqual(arrayElementLines(text), [2, 3]);
  const ds = loadDataset(p);
  assert.deepEqual(
    ds.examples.map((e) => [e.text, e.label, e.source.line]),
    [
      ['a [b] {c}', 'pos', 2],
      ['with "quote"', 'neg', 3],
    ],
  );
  const obj = file('o.json', '{"data": []}');
  throwsAt(() => loadDataset(obj), { file: obj }, /expected a JSON array/);
  const empty = file('e.json', '[\n {"text": "", "label": "x"}\n]');
  throwsAt(() => loadDataset(empty), { file: empty, line: 2, field: 'text' }, /empty text/);
});

test('parallel files: X_labels.txt and mapping.txt are found beside X_text.txt', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lengua-par-'));
  writeFileSync(join(dir, 'train_text.txt'), 'great\nawful\nmeh');
  writeFileSync(join(dir, 'train_labels.txt'), '2\n0\n1');
  writeFileSync(join(dir, 'mapping.txt'), '0\tnegative\n1\tneutral\n2\tpositive\n');
  const ds = loadDataset(join(dir, 'train_text.txt'));
  assert.equal(ds.format, 'parallel');
  assert.equal(ds.labelsFile, join(dir, 'train_labels.txt'));
  assert.deepEqual(ds.labels.names, ['negative', 'neutral', 'positive']);
  assert.deepEqual(
    ds.examples.map((e) => e.label),
    ['positive', 'negative', 'neutral'],
  );
  // A labels file given explicitly, and no mapping.
  const other = join(dir, 'gold.txt');
  writeFileSync(other, '1\n1\n0\n');
  const d2 = loadDataset(join(dir, 'train_text.txt'), { labelsFile: other, mappingFile: undefined });
  assert.equal(d2.labelsFile, other);
});

test('parallel files: length mismatch, unknown id in mapping and empty label line are errors naming the file and line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lengua-par-'));
  const text = join(dir, 'val_text.txt');
  writeFileSync(text, 'a\nb\nc\n');
  writeFileSync(join(dir, 'val_labels.txt'), '0\n1\n');
  throwsAt(() => loadDataset(text), { file: text, line: 3 }, /3 texts but 2 labels/);
  writeFileSync(join(dir, 'val_labels.txt'), '0\n\n1\n');
  const labels = join(dir, 'val_labels.txt');
  throwsAt(() => loadDataset(text), { file: labels, line: 2, field: 'label' }, /missing label/);
  const skipped = loadDataset(text, { onBadRow: 'skip' });
  assert.deepEqual(skipped.skipped, [{ file: labels, line: 2, field: 'label', reason: 'missing label' }]);
  writeFileSync(join(dir, 'val_labels.txt'), '0\n7\n1\n');
  writeFileSync(join(dir, 'mapping.txt'), '0\tneg\n1\tpos\n');
  throwsAt(() => loadDataset(text), { file: labels, line: 2, field: 'label' }, /label id "7" is not in/);
  throwsAt(() => loadDataset(text, { labelsFile: join(dir, 'nope.txt') }), { file: join(dir, 'nope.txt') }, /labels file not found/);
});

test('a fixed label set (evaluation) rejects unknown labels, naming every one and where it first appears', () => {
  const p = file('dev.csv', 'text,label\na,positive\nb,mixed\nc,irony\nd,mixed\n');
  const set = new LabelSet(['negative', 'neutral', 'positive']);
  throwsAt(
    () => loadDataset(p, { labels: set }),
    { file: p, line: 3, field: 'label' },
    /2 unknown labels: "mixed" \(first at .*dev\.csv:3\), "irony" \(first at .*dev\.csv:4\)/,
  );
});

test('real data: UMSAB Spanish train has 1,839 rows, 613 per class (labels file found beside the text)', { skip: noShared }, () => {
  const ds = loadDataset(join(shared, 'umsab-spanish-sentiment/train_text.txt'));
  assert.equal(ds.examples.length, 1839);
  const counts: Record<string, number> = {};
  for (const e of ds.examples) counts[e.label as string] = (counts[e.label as string] ?? 0) + 1;
  assert.deepEqual(counts, { '0': 613, '1': 613, '2': 613 });
  assert.deepEqual(ds.labels.names, ['0', '1', '2']);
  assert.equal(ds.examples[1838]!.source.line, 1839); // no trailing newline: the last line still counts
});

test('real data: TweetEval val with mapping.txt gives named labels in mapping order', { skip: noShared }, () => {
  const ds = loadDataset(join(shared, 'tweeteval-sentiment/val_text.txt'));
  assert.equal(ds.examples.length, 2000);
  assert.deepEqual(ds.labels.names, ['negative', 'neutral', 'positive']);
  const counts: Record<string, number> = {};
  for (const e of ds.examples) counts[e.label as string] = (counts[e.label as string] ?? 0) + 1;
  assert.deepEqual(counts, { negative: 312, neutral: 869, positive: 819 });
});

test('real data: SST-2 dev TSV (sentence<TAB>label) and TASS 2020 header-less TSV', { skip: noShared }, () => {
  const sst = loadDataset(join(shared, 'sst2-glue/dev.tsv'));
  assert.equal(sst.examples.length, 872);
  assert.equal(sst.columns.text, 'sentence');
  assert.equal(sst.examples.filter((e) => e.label === '0').length, 428);
  const tass = loadDataset(join(shared, 'tass2020-task1-spanish-sentiment/train/es.tsv'), {
    header: false,
    textColumn: '1',
    labelColumn: '2',
    idColumn: '0',
  });
  assert.equal(tass.examples.length, 1126);
  assert.deepEqual(tass.labels.names, ['N', 'NEU', 'P']);
  assert.equal(tass.examples.filter((e) => e.label === 'N').length, 475);
  // SST-2 test is unlabelled: no label column, so no labels (not an error).
  const test = loadDataset(join(shared, 'sst2-glue/test.tsv'));
  assert.equal(test.examples.length, 1821);
  assert.equal(test.labels.size, 0);
});

test('a UTF-16 CSV (Excel "Unicode text" style, with BOM) loads with the right lines; the BOM never reaches the header', () => {
  const text = 'text,label\n"Cañón, 😀",pos\n"dos\nlíneas",neg\n';
  const le = Buffer.from(`\ufeff${text}`, 'utf16le');
  const be = Buffer.from(le).swap16();
  for (const [name, bytes] of [['le.csv', le], ['be.csv', be]] as const) {
    const p = file(name, bytes);
    const ds = loadDataset(p);
    assert.deepEqual(ds.layout.header, ['text', 'label']);
    assert.deepEqual(
      ds.examples.map((e) => [e.text, e.label, e.source.line]),
      [
        ['Cañón, 😀', 'pos', 2],
        ['dos\nlíneas', 'neg', 3],
      ],
    );
  }
});

test('a header of 200,000 columns: errors list 20 column names and how many more; a duplicate is found without comparing every pair', { timeout: 30_000 }, () => {
  const names = Array.from({ length: 200_000 }, (_, i) => `c${i}`);
  const p = file('wide.csv', `${names.join(',')}\n${names.map(() => 'x').join(',')}\n`);
  assert.throws(
    () => loadDataset(p),
    (e: unknown) =>
      e instanceof LenguaError &&
      /columns are: "c0", "c1", .*"c19", … 199980 more; name one with --text-column$/.test(e.message) &&
      e.message.length < 1000,
  );
  // The same name at the very end: found by a set, not by 2·10^10 comparisons.
  const q = file('wide-dup.csv', `${[...names, 'c0'].join(',')}\n`);
  throwsAt(() => loadDataset(q), { file: q, line: 1, field: 'c0' }, /column "c0" appears twice in the header/);
});
