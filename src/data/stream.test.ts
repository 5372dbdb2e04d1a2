import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { LenguaError } from '../errors.js';
import { loadDataset } from './load.js';
import { KeepAll } from './rows.js';
import { LineReader, streamDataset } from './stream.js';
import type { Dataset, LoadOptions } from './types.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const shared = resolve(repoRoot, '../shared/data');
const noShared = existsSync(shared) ? false : 'shared data (../shared/data) not present';
const dir = mkdtempSync(join(tmpdir(), 'lengua-stream-'));

let n = 0;
function file(name: string, content: string | Buffer): string {
  const d = join(dir, String(n++));
  mkdirSync(d, { recursive: true });
  const p = join(d, name);
  writeFileSync(p, content);
  return p;
}

async function streamed(path: string, opts: LoadOptions, chunkBytes: number): Promise<Dataset> {
  const sink = new KeepAll();
  const info = await streamDataset(path, opts, sink, chunkBytes);
  return { ...info, examples: sink.examples, skipped: sink.skipped };
}

/** loadDataset and streamDataset (at several piece sizes) give the same dataset, or the same error. */
async function sameAsLoad(path: string, opts: LoadOptions = {}, chunks = [1, 2, 3, 7, 64, 1 << 20]): Promise<void> {
  let expected: Dataset | LenguaError;
  try {
    expected = loadDataset(path, opts);
  } catch (err) {
    assert.ok(err instanceof LenguaError, String(err));
    expected = err;
  }
  for (const chunk of chunks) {
    let got: Dataset | LenguaError;
    try {
      got = await streamed(path, opts, chunk);
    } catch (err) {
      assert.ok(err instanceof LenguaError, `chunk ${chunk}: ${String(err)}`);
      got = err;
    }
    if (expected instanceof LenguaError) {
      assert.ok(got instanceof LenguaError, `chunk ${chunk}: expected ${expected.message}`);
      assert.deepEqual([got.message, got.line, got.field], [expected.message, expected.line, expected.field], `chunk ${chunk}`);
    } else assert.deepEqual(got, expected, `chunk ${chunk}`);
  }
}

test('streamDataset gives what loadDataset gives, at any piece size: CSV quoting, CRLF, BOM, UTF-16, blank lines', async () => {
  const csv = 'id,text,label\r\n1,"hola, mundo",pos\r\n2,"she said ""no""\r\nand left",neg\r\n\r\n3,plain 😀,neu\r\n\r\n\r\n';
  await sameAsLoad(file('a.csv', csv));
  await sameAsLoad(file('a.csv', csv), { onBadRow: 'skip' });
  await sameAsLoad(file('bom.csv', `\ufeff${csv}`), { onBadRow: 'skip' });
  await sameAsLoad(file('u16.csv', Buffer.from(`\ufeff${csv}`, 'utf16le')), { onBadRow: 'skip' });
  await sameAsLoad(file('blank-first.csv', '\n\ntext,label\na,1\n'), { onBadRow: 'skip', allowEmptyText: true });
  await sameAsLoad(file('only-blank.csv', '\n\n\n'));
  await sameAsLoad(file('empty.csv', ''));
  await sameAsLoad(file('nohead.csv', 'x,1\ny,2\n\nz'), { header: false, textColumn: '0', labelColumn: '1', onBadRow: 'skip' });
  await sameAsLoad(file('t.tsv', '101\t"quoted" and a lone " here \tP\n102\tsecond\tNEU\n'), { header: false, textColumn: '1', labelColumn: '2', idColumn: '0' });
  await sameAsLoad(file('ml.csv', 'text,sports,politics\na,1,0\nb,0,yes\nc,,1\n'), { labelColumns: ['sports', 'politics'], onBadRow: 'skip' });
  await sameAsLoad(file('cr.csv', 'text,label\ra,1\rb,2\r'));
});

test('streamDataset: JSONL, JSON arrays and parallel files as loadDataset reads them', async () => {
  await sameAsLoad(file('d.jsonl', '{"text":"uno","label":2}\r\n\n{"text":"dos","label":"0","extra":true}\n{"text": "broken",\n[1]\n{"text":""}'), {
    onBadRow: 'skip',
    allowEmptyText: true,
  });
  await sameAsLoad(file('d.jsonl', '{"text":"uno","label":2}\n{"text": "broken",\n'));
  await sameAsLoad(file('d.json', '[\n  {"text": "a [b] {c}", "label": "pos"},\n  {\n    "text": "x",\n    "label": "neg"\n  }\n]\n'));
  const d = mkdtempSync(join(tmpdir(), 'lengua-stream-par-'));
  writeFileSync(join(d, 'train_text.txt'), 'great\r\nawful\nmeh\n\nok');
  writeFileSync(join(d, 'train_labels.txt'), '2\n0\n\n7\n1');
  writeFileSync(join(d, 'mapping.txt'), '0\tnegative\n1\tneutral\n2\tpositive\n');
  await sameAsLoad(join(d, 'train_text.txt'), { onBadRow: 'skip', allowEmptyText: true });
  await sameAsLoad(join(d, 'train_text.txt')); // the missing label on line 3 is an error
  writeFileSync(join(d, 'train_labels.txt'), '2\n0\n1\n');
  await sameAsLoad(join(d, 'train_text.txt')); // 5 texts, 3 labels: the mismatch comes before any row
  await sameAsLoad(join(d, 'nope_text.txt'));
});

test('streamDataset on the shared tweet sets equals loadDataset', { skip: noShared }, async () => {
  const files: Array<[string, LoadOptions]> = [
    ['tweeteval-sentiment/val_text.txt', {}],
    ['umsab-spanish-sentiment/train_text.txt', {}],
    ['sst2-glue/dev.tsv', {}],
    ['tass2020-task1-spanish-sentiment/train/es.tsv', { header: false, textColumn: '1', labelColumn: '2', idColumn: '0' }],
  ];
  for (const [f, opts] of files) await sameAsLoad(join(shared, f), opts, [4096, 1 << 20]);
});

test('an unclosed quote in a streamed CSV names the line where it opens, and does not make the rest of the file one field', async () => {
  const p = file('q.csv', `text,label\nok,1\n"never closed,1\n${'more text here,0\n'.repeat(1_100_000)}`); // 18 MB after the quote
  await assert.rejects(streamed(p, {}, 1 << 20), (err: unknown) => {
    assert.ok(err instanceof LenguaError);
    assert.deepEqual([err.line, err.field], [3, 'text']);
    assert.match(err.message, /malformed CSV: the record that starts on line 3 is over 16777216 bytes; most likely a quote opened here is never closed/);
    return true;
  });
  await sameAsLoad(file('q.csv', 'text,label\nok,1\nx,"two\nlines"\n"open\nnever,closed\n'));
});

test('LineReader: lines as splitLines gives them; a line over the limit comes as its length only', async () => {
  const p = file('lines.txt', `a\r\n\nb\r\n${'x'.repeat(50)}\r\nlast\r`);
  for (const chunk of [1, 3, 1 << 20]) {
    const r = new LineReader(p, 'utf8', chunk, 20);
    const got: unknown[] = [];
    for (let l = await r.next(); l !== undefined; l = await r.next()) got.push(l);
    assert.deepEqual(got, ['a', '', 'b', { length: 50 }, 'last'], `chunk ${chunk}`);
  }
});

/** The garbage collector, for measuring what is still referenced. */
function gc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

test('streamDataset holds no rows: heap stays flat while a 13 MB file streams through a sink that drops them', async () => {
  const collect = gc();
  const rows = 60_000;
  const parts = ['text,label\n'];
  for (let i = 0; i < rows; i++) parts.push(`"row ${i} ${'abcdefghij'.repeat(19)}, with a comma",${i % 3}\n`);
  const p = file('big.csv', parts.join(''));
  parts.length = 0;
  collect();
  const base = process.memoryUsage().heapUsed;
  let peak = 0;
  let seen = 0;
  await streamDataset(p, {}, {
    example() {
      if (++seen % 15_000 === 0) {
        collect();
        peak = Math.max(peak, process.memoryUsage().heapUsed - base);
      }
    },
    skip() {},
  }, 1 << 16);
  assert.equal(seen, rows);
  // A sink that kept the examples would grow the heap by about 22 MB here; the reader itself adds nothing.
  assert.ok(peak < 8 * 1024 * 1024, `heap grew by ${(peak / 1024 / 1024).toFixed(1)} MB while streaming`);
});
