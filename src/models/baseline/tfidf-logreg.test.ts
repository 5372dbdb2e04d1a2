import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset } from '../../data/index.js';
import { macroRecall } from '../../metrics/index.js';
import { tokenizeWords } from '../../text/index.js';
import { TfidfLogReg, TfidfAnalyzer, resolveOptions, compareCodePoints, lbfgs, type TfidfLogRegOptions } from './index.js';

interface RefCase {
  name: string;
  options: TfidfLogRegOptions;
  labels: string[];
  trainIds: number[];
  testIds: number[];
  testPre: string[];
  word?: { vocabulary: string[]; idf: number[] };
  char?: { vocabulary: string[]; idf: number[] };
  intercept: number[];
  proba: number[][];
  predictions: number[];
}
const REF = JSON.parse(readFileSync(new URL('./fixtures/sklearn-references.json', import.meta.url), 'utf8')) as { cases: RefCase[] };
const sample = loadDataset('examples/data/tweets-sample.csv');
const byId = new Map(sample.examples.map((e) => [Number(e.raw?.kind === 'fields' ? e.raw.fields[0] : NaN), e]));

for (const c of REF.cases) {
  test(`agrees with scikit-learn 1.2: ${c.name}`, () => {
    const train = c.trainIds.map((id) => byId.get(id)!);
    const testRows = c.testIds.map((id) => byId.get(id)!);
    const id2label = Object.fromEntries(c.labels.map((l, i) => [i, l]));
    const m = TfidfLogReg.fit(train.map((e) => e.text), train.map((e) => c.labels.indexOf(e.label as string)), id2label, { ...c.options, tol: 1e-8 });
    assert.ok(m.fitInfo!.optimizer.gradMax < 1e-7, JSON.stringify(m.fitInfo));
    // The normalization the reference was built on is still what Lengua does (else regenerate the file).
    const an = new TfidfAnalyzer(resolveOptions(c.options));
    assert.deepEqual(testRows.map((e) => an.preprocess(e.text)), c.testPre);
    for (const v of m.vectorizers()) {
      const ref = c[v.name]!;
      assert.deepEqual(v.vocabulary, ref.vocabulary, `${v.name} vocabulary`);
      let worst = 0;
      v.idf.forEach((x, j) => (worst = Math.max(worst, Math.abs(x - ref.idf[j]!))));
      assert.ok(worst <= 1e-9, `${v.name} idf differs by ${worst}`);
    }
    const proba = m.predictProba(testRows.map((e) => e.text));
    let worst = 0;
    proba.forEach((row, i) => row.forEach((p, k) => (worst = Math.max(worst, Math.abs(p - c.proba[i]![k]!)))));
    assert.ok(worst <= 1e-4, `probabilities differ by up to ${worst}`);
    assert.deepEqual(m.predict(testRows.map((e) => e.text)), c.predictions);
    const intercepts = Array.from(m.model.intercept);
    intercepts.forEach((b, k) => assert.ok(Math.abs(b - c.intercept[k]!) < 1e-3, `intercept ${k}: ${b} vs ${c.intercept[k]}`));
  });
}

test('word n-grams come from Lengua tokens: punctuation and emoji are terms', () => {
  const m = TfidfLogReg.fit(['me encanta 😂!!', 'odio esto'], [0, 1], { 0: 'pos', 1: 'neg' }, { charNgrams: null });
  const vocab = m.vectorizers()[0]!.vocabulary;
  assert.ok(vocab.includes('😂') && vocab.includes('!!') && vocab.includes('encanta 😂'), vocab.join('|'));
  assert.deepEqual(tokenizeWords('odio esto'), ['odio', 'esto']);
});

test('vocabulary order is Python code-point order, not UTF-16 order', () => {
  // U+FF01 (BMP, above the surrogates) sorts before U+1F602 in Python; JS's < says the opposite.
  assert.ok(compareCodePoints('\uff01', '😂') < 0);
  assert.ok('\uff01' > '😂');
  assert.ok(compareCodePoints('a', 'ab') < 0 && compareCodePoints('b', 'a') > 0 && compareCodePoints('x', 'x') === 0);
});

test('save and load round-trip: same probabilities, no executable content, clear errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lengua-baseline-'));
  try {
    const texts = sample.examples.slice(0, 120).map((e) => e.text);
    const labels = sample.examples.slice(0, 120).map((e) => sample.labels.encode(e.label as string));
    const m = TfidfLogReg.fit(texts, labels, sample.labels.id2label);
    m.save(dir);
    const back = TfidfLogReg.load(dir);
    assert.deepEqual(back.id2label, m.id2label);
    assert.deepEqual(back.predictProba(texts.slice(0, 10)), m.predictProba(texts.slice(0, 10)));
    const json = JSON.parse(readFileSync(join(dir, 'lengua-baseline.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(json.format, 'lengua-baseline');
    json.version = 7;
    writeFileSync(join(dir, 'lengua-baseline.json'), JSON.stringify(json));
    assert.throws(() => TfidfLogReg.load(dir), /lengua-baseline\.json.*field "version".*unsupported version 7/);
    rmSync(join(dir, 'lengua-baseline.json'));
    assert.throws(() => TfidfLogReg.load(dir), /not a baseline folder/);
    // A folder from elsewhere whose baseline file links out of it is refused, not read.
    const outside = mkdtempSync(join(tmpdir(), 'lengua-baseline-outside-'));
    try {
      writeFileSync(join(outside, 'x.json'), JSON.stringify({ ...json, version: 1 }));
      symlinkSync(join(outside, 'x.json'), join(dir, 'lengua-baseline.json'));
      assert.throws(() => TfidfLogReg.load(dir), /lengua-baseline\.json.*(outside|link)/i);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('beats the majority class on the sample split (train rows id % 5 != 0, test the rest)', () => {
  const ids = [...byId.keys()];
  const train = ids.filter((i) => i % 5 !== 0).map((i) => byId.get(i)!);
  const testRows = ids.filter((i) => i % 5 === 0).map((i) => byId.get(i)!);
  const model = TfidfLogReg.fit(train.map((e) => e.text), train.map((e) => sample.labels.encode(e.label as string)), sample.labels.id2label, {});
  const pred = model.predict(testRows.map((e) => e.text)).map((k) => model.id2label[k]!);
  const gold = testRows.map((e) => e.label as string);
  const majority = macroRecall(gold, gold.map(() => 'positive'));
  const ours = macroRecall(gold, pred);
  assert.ok(ours > majority + 0.15, `macro recall ${ours} vs majority ${majority}`);
});

test('L-BFGS finds the minimum of an ill-conditioned quadratic', () => {
  const scales = [1, 10, 100, 1000];
  const r = lbfgs((x, g) => {
    let f = 0;
    scales.forEach((s, i) => {
      const d = x[i]! - (i + 1);
      f += 0.5 * s * d * d;
      g[i] = s * d;
    });
    return f;
  }, new Float64Array(4), { gtol: 1e-10, ftol: 0 });
  assert.ok(r.converged);
  Array.from(r.x).forEach((v, i) => assert.ok(Math.abs(v - (i + 1)) < 1e-9, `${i}: ${v}`));
});

test('bad options name the field', () => {
  assert.throws(() => TfidfLogReg.fit(['a', 'b'], [0, 1], { 0: 'x', 1: 'y' }, { C: 0 }), /field "C"/);
  assert.throws(() => TfidfLogReg.fit(['a', 'b'], [0, 1], { 0: 'x', 1: 'y' }, { wordNgrams: [2, 1] }), /field "wordNgrams"/);
  assert.throws(() => TfidfLogReg.fit(['a', 'b'], [0, 0], { 0: 'x', 1: 'y' }), /only one class/);
  assert.throws(() => TfidfLogReg.fit(['a b', 'c d'], [0, 1], { 0: 'x', 1: 'y' }, { minDf: 2, charNgrams: null }), /no terms remain/);
});
