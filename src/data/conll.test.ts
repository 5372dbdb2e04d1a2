import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LenguaError } from '../errors.js';
import { detectScheme, entitySpans, loadConll, toIob2 } from './conll.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const shared = resolve(repoRoot, '../shared/data');
const noShared = existsSync(shared) ? false : 'shared data (../shared/data) not present';
const dir = mkdtempSync(join(tmpdir(), 'lengua-conll-'));

function entityCounts(sentences: { tags: string[] }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of sentences) for (const e of entitySpans(s.tags)) out[e.type] = (out[e.type] ?? 0) + 1;
  return out;
}

test('toIob2 turns entity-initial I- tags into B-, keeps B- between adjacent same-type entities', () => {
  assert.deepEqual(toIob2(['I-PER', 'I-PER', 'O', 'I-LOC', 'B-LOC', 'I-ORG']), ['B-PER', 'I-PER', 'O', 'B-LOC', 'B-LOC', 'B-ORG']);
  assert.deepEqual(toIob2(['B-PER', 'I-PER']), ['B-PER', 'I-PER']);
});

test('detectScheme: I- entity starts mean IOB1, B- starts mean IOB2, by majority', () => {
  assert.equal(detectScheme([['I-PER', 'O', 'I-LOC', 'I-LOC']]), 'IOB1');
  assert.equal(detectScheme([['B-PER', 'O', 'B-LOC', 'I-LOC']]), 'IOB2');
  assert.equal(detectScheme([['O', 'O']]), 'IOB2');
  assert.equal(detectScheme([['I-A', 'O', 'I-B', 'O', 'B-C']]), 'IOB1');
});

test('small file: -DOCSTART-, blank and whitespace-only separators, columns, IOB1 converted', () => {
  const p = join(dir, 'small.conll');
  writeFileSync(p, '-DOCSTART- -X- -X- O\n\nEU NNP B-NP I-ORG\nrejects VBZ B-VP O\n\t\nPeter NNP B-NP I-PER\nBlackburn NNP I-NP I-PER\n');
  const d = loadConll(p);
  assert.equal(d.documents, 1);
  assert.equal(d.scheme, 'IOB1');
  assert.equal(d.tagScheme, 'IOB2');
  assert.deepEqual(d.sentences, [
    { tokens: ['EU', 'rejects'], tags: ['B-ORG', 'O'], line: 3 },
    { tokens: ['Peter', 'Blackburn'], tags: ['B-PER', 'I-PER'], line: 6 },
  ]);
  assert.deepEqual(d.tagSet, ['O', 'B-ORG', 'I-ORG', 'B-PER', 'I-PER']);
  const kept = loadConll(p, { toIob2: false });
  assert.deepEqual(kept.sentences[0]!.tags, ['I-ORG', 'O']);
  const chunk = loadConll(p, { tagColumn: 2, scheme: 'IOB2' });
  assert.deepEqual(chunk.sentences[0]!.tags, ['B-NP', 'B-VP']);
});

test('bad tags, missing columns and alternatives name the file, line and field', () => {
  const p = join(dir, 'bad.conll');
  writeFileSync(p, 'a O\nb X-PER\n');
  assert.throws(() => loadConll(p), (e: unknown) => e instanceof LenguaError && e.line === 2 && e.field === 'tag' && /"X-PER"/.test(e.message));
  writeFileSync(p, 'a O\nlonely\n');
  assert.throws(() => loadConll(p), (e: unknown) => e instanceof LenguaError && e.line === 2 && /found 1 column/.test(e.message));
  writeFileSync(p, 'a\tB-corporation,B-group\n');
  assert.equal(loadConll(p).sentences[0]!.tags[0], 'B-corporation');
  assert.equal(loadConll(p).alternativeTags, 1);
  assert.throws(() => loadConll(p, { alternatives: 'error' }), /holds alternatives/);
});

test('real data: CoNLL-2003 English train (IOB1): 946 docs, 14,041 sentences, 203,621 tokens, entities as published', { skip: noShared }, () => {
  const d = loadConll(join(shared, 'conll2003-en/eng.train'));
  assert.equal(d.scheme, 'IOB1');
  assert.equal(d.documents, 946);
  assert.equal(d.sentences.length, 14041);
  assert.equal(d.tokens, 203621);
  assert.deepEqual(entityCounts(d.sentences), { PER: 6600, ORG: 6321, LOC: 7140, MISC: 3438 });
  // After conversion every entity starts with B-.
  for (const s of d.sentences) for (const sp of entitySpans(s.tags)) assert.ok(s.tags[sp.start]!.startsWith('B-'));
  const dev = loadConll(join(shared, 'conll2003-en/eng.testa'));
  assert.deepEqual([dev.documents, dev.sentences.length, dev.tokens], [216, 3250, 51362]);
});

test('real data: CoNLL-2002 Spanish is Latin-1: read as UTF-8 it fails at the line of the first bad byte; as latin1 it equals the .utf8 copy', { skip: noShared }, () => {
  const latin = join(shared, 'conll2002-es/esp.train');
  assert.throws(() => loadConll(latin), (e: unknown) => e instanceof LenguaError && e.file === latin && typeof e.line === 'number' && /invalid UTF-8.*latin1/.test(e.message));
  const a = loadConll(latin, { encoding: 'latin1' });
  const b = loadConll(join(shared, 'conll2002-es/esp.train.utf8'));
  assert.equal(a.scheme, 'IOB2');
  assert.equal(a.sentences.length, 8323);
  assert.equal(a.tokens, 264715);
  assert.deepEqual(a.sentences, b.sentences);
  assert.deepEqual(entityCounts(a.sentences), { PER: 4321, ORG: 7390, LOC: 4914, MISC: 2173 });
});

test('real data: WNUT-17 train (TAB-only separator lines) and test (alternative tags)', { skip: noShared }, () => {
  const train = loadConll(join(shared, 'wnut17-en/wnut17train.conll'));
  assert.equal(train.sentences.length, 3394);
  assert.equal(train.tokens, 62730);
  assert.equal(train.entityTypes.length, 6);
  const t = loadConll(join(shared, 'wnut17-en/emerging.test.conll'));
  assert.equal(t.sentences.length, 1287);
  assert.equal(t.alternativeTags, 297);
});
