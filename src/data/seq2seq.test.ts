// Translation and summarization pairs in the layouts of the shared datasets (NTREX's `translation` objects,
// SciTLDR's document/summary/references) and of plain CSV/TSV files, with errors that name file, line and field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LenguaError } from '../errors.js';
import { loadSeq2SeqData } from './seq2seq.js';

const dir = mkdtempSync(join(tmpdir(), 'lengua-s2s-data-'));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const fails = (fn: () => unknown, where: { line?: number; field?: string }, pattern: RegExp): void =>
  assert.throws(fn, (e: unknown) => e instanceof LenguaError && e.line === where.line && e.field === where.field && pattern.test(e.message));

test('translation objects: either direction, with the languages named; each pair keeps its line', () => {
  const p = file('t.jsonl', ['{"id":"0","translation":{"en":"Hello","es":"Hola"}}', '', '{"id":"1","translation":{"en":"Good night","es":"Buenas noches"}}'].join('\n'));
  const en2es = loadSeq2SeqData(p, { sourceLang: 'en', targetLang: 'es' });
  assert.deepEqual(en2es.pairs.map((x) => [x.source, x.target, x.references, x.where.line]), [['Hello', 'Hola', ['Hola'], 1], ['Good night', 'Buenas noches', ['Buenas noches'], 3]]);
  assert.equal(en2es.sourceField, 'translation.en');
  const es2en = loadSeq2SeqData(p, { sourceLang: 'es', targetLang: 'en' });
  assert.deepEqual(es2en.pairs.map((x) => x.target), ['Hello', 'Good night']);
  fails(() => loadSeq2SeqData(p), { field: 'translation' }, /give the source and target languages .*en, es/);
  fails(() => loadSeq2SeqData(p, { sourceLang: 'en', targetLang: 'fr' }), { line: 1, field: 'translation.fr' }, /missing/);
});

test('document/summary columns with several references; CSV and TSV with their lines; explicit columns', () => {
  const p = file('s.jsonl', '{"id":"a","document":"Long text one.","summary":"One.","references":["One.","First one."]}\n{"id":"b","document":"Text two.","summary":"Two."}\n');
  const d = loadSeq2SeqData(p);
  assert.deepEqual(d.pairs.map((x) => x.references), [['One.', 'First one.'], ['Two.']]);
  assert.deepEqual([d.sourceField, d.targetField], ['document', 'summary']);
  const csv = file('s.csv', 'source,target\n"a ""quoted""\nsource",tgt a\nb,tgt b\n');
  assert.deepEqual(loadSeq2SeqData(csv).pairs.map((x) => [x.source, x.target, x.where.line]), [['a "quoted"\nsource', 'tgt a', 3], ['b', 'tgt b', 4]]);
  const tsv = file('s.tsv', 'en\tes\nhi\thola\n');
  assert.deepEqual(loadSeq2SeqData(tsv, { sourceColumn: 'es', targetColumn: 'en' }).pairs.map((x) => [x.source, x.target]), [['hola', 'hi']]);
  fails(() => loadSeq2SeqData(tsv), {}, /no source column .*the file has en, es.*--source-column/);
});

test('bad records name their line and field', () => {
  fails(() => loadSeq2SeqData(file('e1.jsonl', '{"document":"x","summary":"y"}\n{"document":"x","summary":"  "}\n')), { line: 2, field: 'summary' }, /is empty/);
  fails(() => loadSeq2SeqData(file('e2.jsonl', '{"document":"x","summary":"y"}\n{"document":"x"\n')), { line: 2 }, /not valid JSON/);
  fails(() => loadSeq2SeqData(file('e3.jsonl', '{"document":"x","summary":"y","references":[]}\n')), { line: 1, field: 'references' }, /non-empty list/);
  fails(() => loadSeq2SeqData(file('e4.jsonl', '{"document":3,"summary":"y"}\n')), { line: 1, field: 'document' }, /expected a string/);
  fails(() => loadSeq2SeqData(file('e5.jsonl', '')), {}, /no records/);
  fails(() => loadSeq2SeqData(file('e6.jsonl', '{"document":"a","summary":"b"}\n{"document":"a","summary":"b"}\n'), { maxPairs: 1 }), {}, /2 records, over the limit of 1/);
  assert.throws(() => loadSeq2SeqData(file('e7.txt', 'x')), (e: unknown) => e instanceof LenguaError && /must be .jsonl, .json, .csv or .tsv/.test(e.message));
});

const shared = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'data');
test('the shared NTREX-128 and SciTLDR splits load whole', { skip: existsSync(join(shared, 'ntrex128-en-es')) ? false : 'no ../shared/data' }, () => {
  const nt = loadSeq2SeqData(join(shared, 'ntrex128-en-es', 'validation.jsonl'), { sourceLang: 'en', targetLang: 'es' });
  assert.equal(nt.pairs.length, 197);
  const sc = loadSeq2SeqData(join(shared, 'scitldr-a', 'validation.jsonl'));
  assert.equal(sc.pairs.length, 617);
  // The README: 1,449 references over the 617 validation papers.
  assert.equal(sc.pairs.reduce((s, x) => s + x.references.length, 0), 1449);
});
