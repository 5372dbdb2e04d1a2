// Reading a documents folder (recursion, extensions, hidden files, bounds named in errors) and cutting it
// into passages whose offsets slice back to the text and whose lines are the file's.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { passagesOf, readDocuments, splitPassages, type SourceDocument } from './documents.js';

const root = mkdtempSync(join(tmpdir(), 'lengua-assist-docs-'));
after(() => rmSync(root, { recursive: true, force: true }));

function folder(name: string, files: Record<string, string | Uint8Array>): string {
  const dir = join(root, name);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

test('a folder is read recursively in path order: .txt, .md and .jsonl records; other, hidden and linked files left out', () => {
  const dir = folder('tree', {
    'b.md': '# Title\n\nBody.',
    'a.txt': '\ufeffFirst file.',
    'sub/deeper/c.txt': 'Deep.',
    'sub/records.jsonl': '{"text": "Record one.\\nSecond line of it."}\n\n{"text": "Record two.", "id": 7}\n',
    'notes.pdf': 'not text we read',
    '.hidden.txt': 'secret',
    '.git/config.txt': 'nope',
  });
  symlinkSync(join(dir, 'a.txt'), join(dir, 'link.txt'));
  const docs = readDocuments(dir);
  assert.deepEqual(
    docs.map((d) => [d.file, d.firstLine, d.record, d.text]),
    [
      ['a.txt', 1, false, 'First file.'],
      ['b.md', 1, false, '# Title\n\nBody.'],
      ['sub/deeper/c.txt', 1, false, 'Deep.'],
      ['sub/records.jsonl', 1, true, 'Record one.\nSecond line of it.'],
      ['sub/records.jsonl', 3, true, 'Record two.'],
    ],
  );
  // A record's passages sit on its line, whatever newlines its text holds.
  const ps = passagesOf(docs);
  const rec = ps.filter((p) => p.file === 'sub/records.jsonl');
  assert.deepEqual(rec.map((p) => [p.lineStart, p.lineEnd, p.document]), [[1, 1, 3], [3, 3, 4]]);
});

test('bounds: file count, file size, total size, depth; bad JSONL and bad UTF-8 name the file (and line)', () => {
  const dir = folder('bounds', { 'a.txt': 'x'.repeat(100), 'b.txt': 'y'.repeat(100), 'c.txt': 'z' });
  assert.throws(() => readDocuments(dir, { maxFiles: 2 }), (e: Error) => /c\.txt: more than 2 document files \(maxFiles\)/.test(e.message));
  assert.throws(() => readDocuments(dir, { maxFileBytes: 99 }), (e: Error) => /a\.txt: 100 bytes, over the limit of 99 per file \(maxFileBytes\)/.test(e.message));
  assert.throws(() => readDocuments(dir, { maxTotalBytes: 150 }), (e: Error) => /b\.txt: the documents pass 150 bytes in all \(maxTotalBytes\)/.test(e.message));
  assert.equal(readDocuments(dir, { maxFiles: 3, maxFileBytes: 100, maxTotalBytes: 201 }).length, 3);
  assert.throws(() => readDocuments(dir, { maxFiles: 0 }), /field "maxFiles"/);
  const deep = folder('deep', { 'a/b/c/d.txt': 'deep' });
  assert.throws(() => readDocuments(deep, { maxDepth: 2 }), (e: Error) => /a\/b\/c: folders nest deeper than 2 levels \(maxDepth\)/.test(e.message));
  const jsonl = folder('badjsonl', { 'r.jsonl': '{"text": "ok"}\n{"body": "no text"}\n' });
  assert.throws(() => readDocuments(jsonl), (e: Error) => /r\.jsonl:2, field "text": a JSON object with a string "text"/.test(e.message));
  const bodies = folder('bodies', { 'r.jsonl': '{"body": "first"}\n{"body": "second", "text": 3}\n' });
  assert.deepEqual(readDocuments(bodies, { jsonlField: 'body' }).map((d) => d.text), ['first', 'second']);
  const broken = folder('badjson', { 'r.jsonl': '{"text": "ok"}\n{oops\n' });
  assert.throws(() => readDocuments(broken), /r\.jsonl:2: not valid JSON/);
  const latin1 = folder('latin1', { 'l.txt': Uint8Array.from([0x63, 0x61, 0x66, 0xe9]) });
  assert.throws(() => readDocuments(latin1), /l\.txt: is not UTF-8 text/);
  assert.throws(() => readDocuments(join(dir, 'a.txt')), /a\.txt: is a file/);
});

const doc = (text: string): SourceDocument => ({ file: 'd.md', text, firstLine: 1, record: false });

test('passages: short paragraphs merged up to the target, long ones cut with overlap; offsets slice back, lines are the file’s', () => {
  const long = Array.from({ length: 25 }, (_, i) => `w${i}`).join(' ');
  const text = ['# Heading', 'One two three.\nFour five.', long, 'Tail  paragraph\r\nwith CRLF.', '   ', 'Last.'].join('\n\n') + '\n';
  const ps = splitPassages(doc(text), { targetWords: 10, overlapWords: 3 });
  for (const p of ps) {
    assert.equal(text.slice(p.start, p.end), p.text, 'offsets slice back to the text');
    assert.equal(p.text, p.text.trim(), 'no surrounding whitespace');
    const before = text.slice(0, p.start).split('\n').length;
    assert.equal(p.lineStart, before);
    assert.equal(p.lineEnd, before + p.text.split('\n').length - 1);
  }
  const wordsOf = (s: string): string[] => s.split(/\s+/).filter(Boolean);
  // Heading + first paragraph merged (2 + 5 words); the 25-word paragraph in windows of 10 sharing 3 (the
  // last one ends at the paragraph's end: w15..w24), then the last two paragraphs merged (4 + 1).
  assert.deepEqual(ps.map((p) => wordsOf(p.text).length), [7, 10, 10, 10, 10, 5]);
  assert.equal(ps[0]!.text, '# Heading\n\nOne two three.\nFour five.');
  assert.deepEqual(wordsOf(ps[2]!.text).slice(0, 3), wordsOf(ps[1]!.text).slice(7));
  assert.deepEqual([wordsOf(ps[4]!.text)[0], wordsOf(ps[4]!.text).at(-1)], ['w15', 'w24']);
  assert.equal(ps[5]!.text, 'Tail  paragraph\r\nwith CRLF.\n\n   \n\nLast.');
  assert.deepEqual(ps.map((p) => p.id), [0, 1, 2, 3, 4, 5]);
  assert.throws(() => splitPassages(doc(text), { targetWords: 0 }), /field "targetWords"/);
  assert.throws(() => splitPassages(doc(text), { targetWords: 5, overlapWords: 5 }), /field "overlapWords"/);
  assert.deepEqual(splitPassages(doc('  \n\n \n')), []);
});

test('a run without spaces counts as one word per 100 characters, so passages stay bounded in characters', () => {
  const text = `start ${'x'.repeat(1050)} end`;
  const ps = splitPassages(doc(text), { targetWords: 4, overlapWords: 1 });
  for (const p of ps) {
    assert.equal(text.slice(p.start, p.end), p.text);
    assert.ok(p.text.length <= 4 * 100, `${p.text.length} characters`);
  }
  assert.equal(ps[0]!.text.slice(0, 6), 'start ');
  assert.ok(ps.at(-1)!.text.endsWith('x end'));
  // Every character of the text is in some passage.
  const covered = new Uint8Array(text.length);
  for (const p of ps) covered.fill(1, p.start, p.end);
  assert.ok(covered.every((c, i) => c === 1 || text[i] === ' '));
});
