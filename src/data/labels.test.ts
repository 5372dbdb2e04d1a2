import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LenguaError } from '../errors.js';
import { LabelSet } from './labels.js';

test('integer labels are ordered by value, names by code point, whatever the row order', () => {
  assert.deepEqual(LabelSet.fromLabels(['10', '2', '0', '2', '1']).names, ['0', '1', '2', '10']);
  const a = LabelSet.fromLabels(['positive', 'negative', 'neutral', 'negative']);
  const b = LabelSet.fromLabels(['neutral', 'positive', 'negative']);
  assert.deepEqual(a.names, ['negative', 'neutral', 'positive']);
  assert.deepEqual(a.toJSON(), b.toJSON());
  assert.deepEqual(a.id2label, { 0: 'negative', 1: 'neutral', 2: 'positive' });
  assert.deepEqual(a.label2id, { negative: 0, neutral: 1, positive: 2 });
});

test('explicit, first-seen and multi-label orders', () => {
  assert.deepEqual(LabelSet.fromLabels(['b', 'a'], { order: 'first-seen' }).names, ['b', 'a']);
  assert.deepEqual(LabelSet.fromLabels(['pos', 'neg'], { order: ['neg', 'neu', 'pos'] }).names, ['neg', 'neu', 'pos']);
  assert.throws(() => LabelSet.fromLabels(['pos', 'meh'], { order: ['neg', 'pos'] }), /"meh"/);
  assert.deepEqual(LabelSet.fromLabels([['sport', 'art'], ['art'], undefined]).names, ['art', 'sport']);
});

test('encoding an unknown label names it and the known ones; encodeAll names every unknown label', () => {
  const s = new LabelSet(['negative', 'neutral', 'positive']);
  assert.equal(s.encode('neutral'), 1);
  assert.throws(
    () => s.encode('mixed', { file: 'dev.csv', line: 7, field: 'label' }),
    (e: unknown) => e instanceof LenguaError && e.line === 7 && /dev\.csv:7.*unknown label "mixed"; known labels: "negative", "neutral", "positive"/.test(e.message),
  );
  assert.throws(
    () => s.encodeAll(['positive', 'mixed', 'irony', 'mixed'], (i) => ({ file: 'dev.csv', line: i + 2 })),
    (e: unknown) => e instanceof LenguaError && /2 unknown labels: "mixed" \(dev\.csv:3\), "irony" \(dev\.csv:4\)/.test(e.message),
  );
  assert.deepEqual(s.encodeMulti(['positive', 'negative']), [1, 0, 1]);
  assert.equal(s.decode(2), 'positive');
  assert.throws(() => s.decode(3), /out of range/);
});

test('fromId2Label reads a config.json mapping and rejects gaps', () => {
  assert.deepEqual(LabelSet.fromId2Label({ '1': 'POS', '0': 'NEG' }).names, ['NEG', 'POS']);
  assert.throws(() => LabelSet.fromId2Label({ 0: 'a', 2: 'b' }), /ids must be 0\.\.1/);
  assert.throws(() => new LabelSet(['a', 'a']), /listed twice/);
});
