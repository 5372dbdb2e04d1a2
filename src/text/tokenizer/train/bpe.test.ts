// The BPE trainer on corpora small enough to check by hand, and the suffix tree walk the Unigram seeds use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trainBpe } from './bpe.js';
import { forEachRepeat, suffixArray } from './suffix.js';

// The Hugging Face course's example (chapter 6, "Byte-Pair Encoding tokenization"): the first merges are
// u+g (20 times), u+n (16), h+ug (15), and the base vocabulary is b g h n p s u.
const HUG = new Map([['hug', 10], ['pug', 5], ['pun', 12], ['bun', 4], ['hugs', 5]]);

test('BPE: the course example gives its merges and vocabulary', () => {
  const r = trainBpe(HUG, { vocabSize: 10, minFrequency: 0, specialTokens: [] });
  assert.deepEqual(r.vocab, ['b', 'g', 'h', 'n', 'p', 's', 'u', 'ug', 'un', 'hug']);
  assert.deepEqual(r.merges, [['u', 'g'], ['u', 'n'], ['h', 'ug']]);
});

test('BPE: special tokens take the first ids; training stops at min_frequency and when no pair is left', () => {
  const r = trainBpe(HUG, { vocabSize: 100, minFrequency: 15, specialTokens: ['<s>', '</s>'] });
  assert.deepEqual(r.vocab.slice(0, 2), ['<s>', '</s>']);
  // ug (20), un (16), hug (15); next is pu+... below 15.
  assert.deepEqual(r.merges, [['u', 'g'], ['u', 'n'], ['h', 'ug']]);
  const all = trainBpe(HUG, { vocabSize: 100, minFrequency: 0, specialTokens: [] });
  assert.deepEqual(all.vocab.slice(7), ['ug', 'un', 'hug', 'pun', 'pug', 'hugs', 'bun']);
});

test('BPE: equal counts go to the pair of smaller ids, as the library\'s heap orders them', () => {
  // ab, cd and ba all occur 3 times: (a,b) has the smallest ids, then (b,a), then (c,d).
  const r = trainBpe(new Map([['ab', 3], ['cd', 3], ['ba', 3]]), { vocabSize: 100, minFrequency: 0, specialTokens: [] });
  assert.deepEqual(r.merges, [['a', 'b'], ['b', 'a'], ['c', 'd']]);
});

test('BPE with the ## prefix (the WordPiece trainer): continuing symbols, merges drop the right part\'s prefix', () => {
  const r = trainBpe(HUG, { vocabSize: 100, minFrequency: 0, specialTokens: ['[UNK]'], continuingSubwordPrefix: '##' });
  assert.deepEqual(r.vocab.slice(0, 8), ['[UNK]', 'b', 'g', 'h', 'n', 'p', 's', 'u']);
  assert.ok(r.vocab.includes('##u') && r.vocab.includes('##ug') && r.vocab.includes('hug') && r.vocab.includes('hugs'));
  assert.deepEqual(r.merges.slice(0, 3), [['##u', '##g'], ['##u', '##n'], ['h', '##ug']]);
});

test('BPE: the initial alphabet is always there; limit_alphabet drops the rarest characters', () => {
  const r = trainBpe(new Map([['aab', 1]]), { vocabSize: 3, minFrequency: 0, specialTokens: [], initialAlphabet: ['z'] });
  assert.deepEqual(r.vocab, ['a', 'b', 'z']);
  const l = trainBpe(new Map([['aaabbc', 1]]), { vocabSize: 2, minFrequency: 0, specialTokens: [], limitAlphabet: 2 });
  assert.deepEqual(l.vocab, ['a', 'b']);
});

test('suffix array and repeats agree with brute force on random strings', () => {
  let seed = 7;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (let trial = 0; trial < 50; trial++) {
    const n = 1 + rand(40);
    const t = Int32Array.from({ length: n }, () => rand(3 + (trial % 4)));
    const naive = Array.from({ length: n }, (_, i) => i).sort((a, b) => {
      for (let k = 0; ; k++) {
        if (a + k >= n) return -1;
        if (b + k >= n) return 1;
        if (t[a + k] !== t[b + k]) return t[a + k]! - t[b + k]!;
      }
    });
    assert.deepEqual([...suffixArray(t)], naive);
    // Every right-branching repeated substring, with its count.
    const expected = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j <= n; j++) {
        const s = [...t.subarray(i, j)].join(',');
        let count = 0;
        const nexts = new Set<number>();
        for (let p = 0; p + (j - i) <= n; p++) {
          if ([...t.subarray(p, p + j - i)].join(',') === s) {
            count++;
            nexts.add(p + j - i < n ? t[p + j - i]! : -1 - p);
          }
        }
        if (count >= 2 && nexts.size >= 2) expected.set(s, count);
      }
    }
    const got = new Map<string, number>();
    forEachRepeat(t, (start, depth, freq) => got.set([...t.subarray(start, start + depth)].join(','), freq));
    assert.deepEqual(new Map([...got].sort()), new Map([...expected].sort()), `text ${[...t].join(',')}`);
  }
});
