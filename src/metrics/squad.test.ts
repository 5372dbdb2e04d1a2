// SQuAD EM/F1 against fixtures/squad-references.json, made by scripts/squad_reference.py (the official
// evaluate-v1.1.py / evaluate-v2.0.py functions run by Python's re, str.lower, str.split and Counter).
// Sums of at most a few dozen terms in [0, 1] then ×100: 1e-12 bounds their rounding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LenguaError } from '../errors.js';
import { normalizeAnswer, squadExactMatch, squadF1, squadV1, squadV2, squadV2Exact, squadV2F1, type SquadReference } from './index.js';

interface Fixture {
  normalize: Array<[string, string]>;
  pairs: Array<{ prediction: string; gold: string; em: number; f1: number; exactV2: number; f1V2: number }>;
  v1: Array<{ refs: SquadReference[]; preds: Record<string, string>; score: Record<string, number> }>;
  v2: Array<{ refs: SquadReference[]; preds: Record<string, string>; naProbs: Record<string, number> | null; naProbThresh: number; score: Record<string, number> }>;
}

const fixture = JSON.parse(readFileSync(fileURLToPath(new URL('./fixtures/squad-references.json', import.meta.url)), 'utf8')) as Fixture;

function close(actual: number | undefined, expected: number, what: string): void {
  assert.ok(actual !== undefined && Math.abs(actual - expected) <= 1e-12, `${what}: ${actual} vs ${expected}`);
}

test('normalizeAnswer equals Python normalize_answer on punctuation, articles, unicode and Spanish', () => {
  assert.ok(fixture.normalize.length > 50);
  for (const [s, expected] of fixture.normalize) assert.equal(normalizeAnswer(s), expected, JSON.stringify(s));
  // English-only on purpose: Spanish articles stay, "¿" is not in string.punctuation.
  assert.equal(normalizeAnswer('¿El Partido?'), '¿el partido');
});

test('per-pair EM and F1 (v1.1 and v2.0 definitions) equal the reference', () => {
  for (const p of fixture.pairs) {
    const what = JSON.stringify([p.prediction, p.gold]);
    assert.equal(squadExactMatch(p.prediction, p.gold), p.em, what);
    close(squadF1(p.prediction, p.gold), p.f1, `f1 ${what}`);
    assert.equal(squadV2Exact(p.gold, p.prediction), p.exactV2, what);
    close(squadV2F1(p.gold, p.prediction), p.f1V2, `f1V2 ${what}`);
  }
  // The two definitions differ only on empty answers.
  assert.equal(squadF1('', ''), 0);
  assert.equal(squadV2F1('', ''), 1);
});

test('squadV1 averages the max over ground truths, a missing prediction scoring 0', () => {
  for (const c of fixture.v1) {
    const s = squadV1(c.refs, c.preds);
    close(s.exactMatch, c.score.exactMatch!, 'exactMatch');
    close(s.f1, c.score.f1!, 'f1');
    assert.equal(s.total, c.score.total);
    assert.deepEqual(s.missing, c.refs.map((r) => r.id).filter((id) => !(id in c.preds)));
    // A Map gives the same answer as a record.
    assert.deepEqual(squadV1(c.refs, new Map(Object.entries(c.preds))), s);
  }
});

test('squadV2 raw, thresholded, HasAns/NoAns and best-threshold scores equal the reference', () => {
  assert.ok(fixture.v2.some((c) => c.score.bestF1Thresh !== undefined && c.score.bestF1Thresh > 0));
  for (const c of fixture.v2) {
    const s = squadV2(c.refs, c.preds, { naProbs: c.naProbs ?? undefined, naProbThresh: c.naProbThresh });
    const got = s as unknown as Record<string, number | undefined>;
    assert.deepEqual(Object.keys(s).sort(), Object.keys(c.score).sort());
    for (const [k, v] of Object.entries(c.score)) close(got[k], v, k);
  }
});

test('bad input is a LenguaError naming the field', () => {
  assert.throws(() => squadV1([{ id: 'a', answers: ['x'] }, { id: 'a', answers: ['y'] }], {}), (e: unknown) => e instanceof LenguaError && /duplicate/.test(e.message));
  assert.throws(() => squadV1([{ id: 'a', answers: [] }], { a: 'x' }), (e: unknown) => e instanceof LenguaError && e.field === 'references[0].answers');
  assert.throws(() => squadV2([{ id: 'a', answers: [] }], {}), (e: unknown) => e instanceof LenguaError && e.field === 'predictions');
  assert.throws(() => squadV2([{ id: 'a', answers: [] }], { a: '' }, { naProbs: {} }), (e: unknown) => e instanceof LenguaError && e.field === 'naProbs');
});
