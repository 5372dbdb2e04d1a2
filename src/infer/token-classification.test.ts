// Entity grouping with transformers' aggregation_strategy semantics, worked by hand on one sentence whose
// scores make every strategy answer differently ("Hu ##gging Face is Ann Bo").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregate, type PreEntity } from './token-classification.js';

const LABELS = ['O', 'B-ORG', 'I-ORG', 'B-PER', 'I-PER'];
const VOCAB: Record<number, string> = { 10: 'Hu', 11: '##gging', 12: 'Face', 13: 'is', 14: 'Ann', 15: 'Bo' };
// The WordPiece decoder: tokens joined by spaces, "##" glued to the previous token.
const toString = (ids: number[]): string => ids.map((id) => VOCAB[id]!).join(' ').replace(/ ##/g, '');

function sentence(boLabel: 'B-PER' | 'I-PER'): PreEntity[] {
  const bo = boLabel === 'B-PER' ? [0.1, 0.1, 0.1, 0.6, 0.1] : [0.1, 0.1, 0.1, 0.1, 0.6];
  return [
    { word: 'Hu', id: 10, scores: [0.1, 0.7, 0.1, 0.05, 0.05], start: 0, end: 2, index: 1, isSubword: false },
    { word: '##gging', id: 11, scores: [0.05, 0.05, 0.85, 0.03, 0.02], start: 2, end: 7, index: 2, isSubword: true },
    { word: 'Face', id: 12, scores: [0.05, 0.05, 0.8, 0.05, 0.05], start: 8, end: 12, index: 3, isSubword: false },
    { word: 'is', id: 13, scores: [0.9, 0.025, 0.025, 0.025, 0.025], start: 13, end: 15, index: 4, isSubword: false },
    { word: 'Ann', id: 14, scores: [0.1, 0.1, 0.1, 0.6, 0.1], start: 16, end: 19, index: 5, isSubword: false },
    { word: 'Bo', id: 15, scores: bo, start: 20, end: 22, index: 6, isSubword: false },
  ];
}

const close = (a: number, b: number): boolean => Math.abs(a - b) < 1e-12;

test("aggregationStrategy 'none': one entry per token with its index, best label and score", () => {
  const out = aggregate(sentence('B-PER'), LABELS, 'none', toString);
  assert.deepEqual(out.map((e) => ('entity' in e ? [e.entity, e.word, e.index, e.start, e.end] : null)), [
    ['B-ORG', 'Hu', 1, 0, 2], ['I-ORG', '##gging', 2, 2, 7], ['I-ORG', 'Face', 3, 8, 12], ['O', 'is', 4, 13, 15], ['B-PER', 'Ann', 5, 16, 19], ['B-PER', 'Bo', 6, 20, 22],
  ]);
  assert.ok(close(out[1]!.score, 0.85));
});

test('each strategy groups as transformers does: simple by token, first/max/average by word; B- starts a group', () => {
  const want: Record<string, number> = { simple: (0.7 + 0.85 + 0.8) / 3, first: (0.7 + 0.8) / 2, max: (0.85 + 0.8) / 2, average: (0.475 + 0.8) / 2 };
  for (const strategy of ['simple', 'first', 'max', 'average'] as const) {
    const out = aggregate(sentence('B-PER'), LABELS, strategy, toString);
    assert.deepEqual(out.map((e) => ('entity_group' in e ? [e.entity_group, e.word, e.start, e.end] : null)), [
      ['ORG', 'Hugging Face', 0, 12], ['O', 'is', 13, 15], ['PER', 'Ann', 16, 19], ['PER', 'Bo', 20, 22],
    ], strategy);
    assert.ok(close(out[0]!.score, want[strategy]!), `${strategy}: ${out[0]!.score} vs ${want[strategy]}`);
  }
  // I-PER continues Ann's group.
  const joined = aggregate(sentence('I-PER'), LABELS, 'first', toString);
  assert.deepEqual(joined.map((e) => ('entity_group' in e ? [e.entity_group, e.word, e.start, e.end] : null)).slice(2), [['PER', 'Ann Bo', 16, 22]]);
  assert.ok(close(joined[2]!.score, 0.6));
});

test("simple keeps a sub-word's own label; the word strategies give the word one label", () => {
  const pre = sentence('B-PER');
  pre[1]!.scores = [0.1, 0.1, 0.1, 0.6, 0.1]; // "##gging" alone looks like a person
  const simple = aggregate(pre, LABELS, 'simple', toString);
  assert.deepEqual(simple.map((e) => ('entity_group' in e ? e.entity_group : null)).slice(0, 3), ['ORG', 'PER', 'ORG']);
  const first = aggregate(pre, LABELS, 'first', toString);
  assert.deepEqual(first.map((e) => ('entity_group' in e ? [e.entity_group, e.word] : null))[0], ['ORG', 'Hugging Face']);
});
