// Tests of the seq2seq metrics (bleu.ts, chrf.ts, rouge.ts, porter.ts). Where each expected value comes from:
//
// 1. fixtures/seq2seq-published.json — cases published by the projects whose semantics these metrics copy,
//    with the values they state, each tagged with its source: sacreBLEU's test/test_bleu.py,
//    test/test_sentence_bleu.py, test/test_chrf.py and README (v2.0.0 output); rouge_score's
//    rouge/rouge_scorer_test.py (including its comparisons with ROUGE-1.5.5 on rouge/testdata, synthetic
//    text); Hugging Face evaluate's rouge README. Compared to the precision each source states them to.
// 2. fixtures/seq2seq-nltk.json — written by scripts/seq2seq-metrics-references.py with Debian's NLTK 3.8:
//    sacreBLEU's 13a regular expressions executed by Python (the TypeScript tokenizer must give the same
//    tokens), NLTK's corpus_bleu on those tokens (agreeing with sacreBLEU's definition on these corpora: every
//    order has matches and every hypothesis is at least max-order tokens long; see the script), and
//    NLTK's PorterStemmer() stems, the stemmer rouge_score uses.
// 3. Cases derived by hand below, each with its derivation.
// 4. Input checks: LenguaError naming the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LenguaError } from '../errors.js';
import {
  computeBleu,
  corpusBleu,
  corpusChrf,
  porterStem,
  rouge,
  rougeScore,
  rougeScoreMulti,
  rougeTokenize,
  sentenceBleu,
  sentenceChrf,
  toReferenceStreams,
  tokenize13a,
  type BleuOptions,
  type ChrfOptions,
  type RougeOptions,
  type RougeScoreOptions,
  type RougeTriple,
} from './index.js';

function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)), 'utf8')) as T;
}

function near(actual: number, expected: number, tol: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: expected ${expected} ± ${tol}, got ${actual}`);
}

/** |a - b| <= 1e-12, relative above 1 (as references.test.ts compares with scikit-learn). */
function close12(actual: number, expected: number, what: string): void {
  near(actual, expected, 1e-12 * Math.max(1, Math.abs(expected)), what);
}

// ---------------------------------------------------------------------------------------------------------
// 1. Published cases

interface Printed {
  score?: string;
  precisions?: string[];
  bp?: string;
}
interface BleuCase {
  source: string;
  hypotheses: string[];
  references: (string | null)[][];
  options: BleuOptions;
  expected?: { score?: number; counts?: number[]; totals?: number[]; sysLen?: number; refLen?: number };
  tolerance?: number;
  printed?: Printed;
}
interface Published {
  bleu: BleuCase[];
  computeBleu: { source: string; correct: number[]; total: number[]; sysLen: number; refLen: number; options: BleuOptions; expected: { score: number }; tolerance: number }[];
  sentenceBleu: { source: string; hypothesis: string; references: string[]; options: BleuOptions; expected: { score: number }; tolerance: number }[];
  chrf: { source: string; hypotheses: string[]; references: string[][]; options: ChrfOptions; expected?: { score: number }; tolerance?: number; printed?: Printed }[];
  sentenceChrf: { source: string; hypothesis: string; references: string[]; options: ChrfOptions; expected: { score: number }; tolerance: number }[];
  rouge: { source: string; reference: string; prediction: string; options: RougeScoreOptions; expected: Record<string, RougeTriple>; tolerance: number }[];
  rougeCompute: { source: string; predictions: string[]; references: string[] | string[][]; options: RougeOptions; expected: Record<string, number | number[]>; tolerance: number }[];
}

const published = fixture<Published>('seq2seq-published.json');

test('BLEU: sacreBLEU published cases', () => {
  for (const c of published.bleu) {
    const r = corpusBleu(c.hypotheses, c.references, c.options);
    const what = `${c.source} ${JSON.stringify(c.options)}`;
    const e = c.expected ?? {};
    if (e.score !== undefined) near(r.score, e.score, c.tolerance ?? 0, what);
    if (e.counts !== undefined) assert.deepEqual(r.counts, e.counts, what);
    if (e.totals !== undefined) assert.deepEqual(r.totals, e.totals, what);
    if (e.sysLen !== undefined) assert.equal(r.sysLen, e.sysLen, what);
    if (e.refLen !== undefined) assert.equal(r.refLen, e.refLen, what);
    if (c.printed?.score !== undefined) assert.equal(r.score.toFixed(2), c.printed.score, what);
    if (c.printed?.precisions !== undefined) assert.deepEqual(r.precisions.map((p) => p.toFixed(1)), c.printed.precisions, what);
    if (c.printed?.bp !== undefined) assert.equal(r.bp.toFixed(3), c.printed.bp, what);
  }
});

test('BLEU from statistics and sentence BLEU: sacreBLEU published cases', () => {
  for (const c of published.computeBleu) {
    near(computeBleu(c.correct, c.total, c.sysLen, c.refLen, c.options).score, c.expected.score, c.tolerance, `${c.source} ${JSON.stringify(c)}`);
  }
  for (const c of published.sentenceBleu) {
    near(sentenceBleu(c.hypothesis, c.references, c.options).score, c.expected.score, c.tolerance, `${c.source} ${JSON.stringify(c.options)}`);
  }
});

test('chrF: sacreBLEU published cases', () => {
  for (const c of published.chrf) {
    const r = corpusChrf(c.hypotheses, c.references, c.options);
    const what = `${c.source} ${JSON.stringify(c.hypotheses)}`;
    if (c.expected !== undefined) near(r.score, c.expected.score, c.tolerance ?? 0, what);
    if (c.printed?.score !== undefined) assert.equal(r.score.toFixed(2), c.printed.score, what);
  }
  for (const c of published.sentenceChrf) {
    near(sentenceChrf(c.hypothesis, c.references, c.options).score, c.expected.score, c.tolerance, c.source);
  }
});

test('ROUGE: rouge_score and evaluate published cases', () => {
  for (const c of published.rouge) {
    const r = rougeScore(c.reference, c.prediction, c.options);
    for (const [type, e] of Object.entries(c.expected)) {
      const what = `${c.source} ${type}`;
      assert.ok(r[type] !== undefined, `${what}: missing`);
      near(r[type].precision, e.precision, c.tolerance, `${what} precision`);
      near(r[type].recall, e.recall, c.tolerance, `${what} recall`);
      near(r[type].fmeasure, e.fmeasure, c.tolerance, `${what} fmeasure`);
    }
  }
  for (const c of published.rougeCompute) {
    const r = rouge(c.predictions, c.references, c.options as RougeOptions & { useAggregator: false }) as Record<string, number | number[]>;
    assert.deepEqual(Object.keys(r), Object.keys(c.expected), c.source);
    for (const [type, e] of Object.entries(c.expected)) {
      const a = r[type]!;
      if (Array.isArray(e)) {
        assert.ok(Array.isArray(a) && a.length === e.length, c.source);
        e.forEach((v, i) => near(a[i]!, v, c.tolerance, `${c.source} ${type}[${i}]`));
      } else {
        near(a as number, e, c.tolerance, `${c.source} ${type}`);
      }
    }
  }
});

// ---------------------------------------------------------------------------------------------------------
// 2. Debian's NLTK and Python's re

interface NltkFixture {
  versions: { nltk: string };
  tokenizer13a: { text: string; tokens: string; lowercased: string }[];
  bleu: {
    name: string;
    hypotheses: string[];
    references: string[][];
    lowercase: boolean;
    maxNgramOrder: number;
    hypothesisTokens: string[];
    referenceTokens: string[][];
    expected: { bleu: number; counts: number[]; totals: number[]; sysLen: number; refLen: number; bp: number };
  }[];
  porterStems: Record<string, string>;
}

const nltk = fixture<NltkFixture>('seq2seq-nltk.json');

test('13a tokenizer: the same tokens as sacreBLEU\'s regular expressions run by Python', () => {
  assert.ok(nltk.tokenizer13a.length > 40);
  for (const c of nltk.tokenizer13a) {
    assert.equal(tokenize13a(c.text), c.tokens, JSON.stringify(c.text));
    assert.equal(tokenize13a(c.text.toLowerCase()), c.lowercased, `lowercased ${JSON.stringify(c.text)}`);
  }
  for (const c of nltk.bleu) {
    c.hypotheses.forEach((h, i) => {
      const s = c.lowercase ? h.toLowerCase() : h;
      // sacreBLEU strips trailing whitespace before tokenizing; the tokenizer itself trims too
      assert.equal(tokenize13a(s), c.hypothesisTokens[i], `${c.name}: hypothesis ${i}`);
    });
    c.references.forEach((stream, k) =>
      stream.forEach((r, i) => assert.equal(tokenize13a(c.lowercase ? r.toLowerCase() : r), c.referenceTokens[i]![k], `${c.name}: reference ${k} of ${i}`)),
    );
  }
});

test(`BLEU equals NLTK ${nltk.versions.nltk} corpus_bleu where their definitions agree (to 1e-12)`, () => {
  assert.ok(nltk.bleu.length >= 5);
  for (const c of nltk.bleu) {
    for (const smoothMethod of ['none', 'exp'] as const) {
      const r = corpusBleu(c.hypotheses, c.references, { lowercase: c.lowercase, maxNgramOrder: c.maxNgramOrder, smoothMethod });
      const what = `${c.name} (${smoothMethod})`;
      assert.deepEqual(r.counts, c.expected.counts, what);
      assert.deepEqual(r.totals, c.expected.totals, what);
      assert.equal(r.sysLen, c.expected.sysLen, what);
      assert.equal(r.refLen, c.expected.refLen, what);
      close12(r.bp, c.expected.bp, `${what} bp`);
      // sacreBLEU's scale is 0-100, NLTK's 0-1
      close12(r.score / 100, c.expected.bleu, `${what} score`);
    }
  }
});

test('Porter stemmer: NLTK PorterStemmer() stems, word for word', () => {
  const entries = Object.entries(nltk.porterStems);
  assert.ok(entries.length > 2000);
  const wrong = entries.filter(([w, s]) => porterStem(w) !== s).map(([w, s]) => `${w}: NLTK ${s}, here ${porterStem(w)}`);
  assert.deepEqual(wrong, []);
});

// ---------------------------------------------------------------------------------------------------------
// 3. Hand-derived cases

test('BLEU: brevity penalty uses the closest reference length, the shorter on a tie', () => {
  // hypothesis of 3 tokens, references of 2 and 4 tokens: both 1 away, the shorter (2) counts, so no penalty
  const r = corpusBleu(['a b c'], [['a b'], ['a b c d']], { tokenize: 'none' });
  assert.equal(r.refLen, 2);
  assert.equal(r.bp, 1);
  // references of 5 and 6 tokens: 5 is closest; BP = exp(1 - 5/3)
  const s = corpusBleu(['a b c'], [['a b c d e'], ['a b c d e f']], { tokenize: 'none' });
  assert.equal(s.refLen, 5);
  close12(s.bp, Math.exp(1 - 5 / 3), 'bp');
  // the n-gram counts are clipped by the maximum count over the references: 'a a a' against 'a' and 'a a'
  const t = corpusBleu(['a a a'], [['a'], ['a a']], { tokenize: 'none', maxNgramOrder: 2, smoothMethod: 'none' });
  assert.deepEqual(t.counts, [2, 1]);
  assert.deepEqual(t.totals, [3, 2]);
});

test("BLEU: 'exp' smoothing halves the stand-in precision at each order without a match (mteval-v13a)", () => {
  // 'a b c d' vs 'a b x y': counts 2,1,0,0 of 4,3,2,1 -> precisions 50, 33.3, 100/(2*2), 100/(4*1)
  const r = corpusBleu(['a b c d'], [['a b x y']], { tokenize: 'none' });
  assert.deepEqual(r.counts, [2, 1, 0, 0]);
  const p = [50, 100 / 3, 25, 25];
  p.forEach((v, i) => close12(r.precisions[i]!, v, `precision ${i + 1}`));
  close12(r.score, Math.exp((Math.log(50) + Math.log(100 / 3) + Math.log(25) + Math.log(25)) / 4), 'score');
  // 'add-k' adds k to counts and totals of orders 2..N, and sacreBLEU reports the incremented statistics
  const k = corpusBleu(['a b c d'], [['a b x y']], { tokenize: 'none', smoothMethod: 'add-k' });
  assert.deepEqual(k.counts, [2, 2, 1, 1]);
  assert.deepEqual(k.totals, [4, 4, 3, 2]);
});

test('BLEU: lowercase option and reference streams from per-sentence lists', () => {
  assert.equal(corpusBleu(['The Cat sat on the mat'], [['the cat sat on the mat']]).score < 100, true);
  close12(corpusBleu(['The Cat sat on the mat'], [['the cat sat on the mat']], { lowercase: true }).score, 100, 'lowercased');
  assert.deepEqual(toReferenceStreams([['a', 'b'], ['c'], ['d', 'e', 'f']]), [
    ['a', 'c', 'd'],
    ['b', null, 'e'],
    [null, null, 'f'],
  ]);
  const perSentence = [['The dog bit the man.', 'The dog had bit the man.'], ['It was not unexpected.']];
  const direct = corpusBleu(['The dog bit the man.', "It wasn't surprising."], [
    ['The dog bit the man.', 'It was not unexpected.'],
    ['The dog had bit the man.', null],
  ]);
  assert.deepEqual(corpusBleu(['The dog bit the man.', "It wasn't surprising."], toReferenceStreams(perSentence)), direct);
});

test('chrF++: word unigrams and bigrams with punctuation split off, derived by hand', () => {
  // charOrder 1, wordOrder 2. Characters without spaces: 'ab.' vs 'ac.d' -> 3 hyp, 4 ref, 2 matched (a, .).
  // Words: 'b.' -> 'b', '.' so [a, b, .] vs [a, c, ., d]: unigrams 3, 4, 2 matched; bigrams [a b, b .] vs
  // [a c, c ., . d]: 2, 3, 0 matched. Effective order 3: mean P = (2/3 + 2/3 + 0) / 3 = 4/9,
  // mean R = (1/2 + 1/2 + 0) / 3 = 1/3; F2 = 5 P R / (4 P + R) = 20/57.
  const r = corpusChrf(['a b.'], [['a c. d']], { charOrder: 1, wordOrder: 2 });
  assert.equal(r.name, 'chrF2++');
  assert.deepEqual(r.statistics, [3, 4, 2, 3, 4, 2, 2, 3, 0]);
  close12(r.score, (100 * 20) / 57, 'chrF++');
  // per-order F with epsilon smoothing: 10/19, 10/19 and (no match) 1e-16, averaged over 3 orders
  close12(corpusChrf(['a b.'], [['a c. d']], { charOrder: 1, wordOrder: 2, epsSmoothing: true }).score, (100 * (20 / 19 + 1e-16)) / 3, 'eps');
});

test('chrF: with several references each sentence keeps the best-scoring one; statistics are summed', () => {
  // sentence 1 matches its second reference exactly, sentence 2 its first: the corpus is perfect
  const r = corpusChrf(['abc', 'xyz'], [['zzz', 'xyz'], ['abc', 'qqq']]);
  close12(r.score, 100, 'best references');
  // one reference each: 'ab' vs 'ab' (2+1 n-grams) and 'cd' vs 'ce' (2+1, 1 unigram match):
  // order 1: 3 of 4, order 2: 1 of 2 -> P = R = (3/4 + 1/2) / 2 = 5/8
  close12(corpusChrf(['ab', 'cd'], [['ab', 'ce']]).score, 62.5, 'summed statistics');
});

test('ROUGE tokens: lowercase, non-alphanumerics split, only words longer than 3 letters stemmed', () => {
  assert.deepEqual(rougeTokenize("The cats' FLIES, e.g. state-of-the-art; was 3.14"), ['the', 'cats', 'flies', 'e', 'g', 'state', 'of', 'the', 'art', 'was', '3', '14']);
  assert.deepEqual(rougeTokenize("The cats' FLIES, e.g. state-of-the-art; was 3.14", true), ['the', 'cat', 'fli', 'e', 'g', 'state', 'of', 'the', 'art', 'was', '3', '14']);
  assert.deepEqual(rougeTokenize('Ünïcödé naïve café'), ['n', 'c', 'd', 'na', 've', 'caf']);
});

test('ROUGE-Lsum: no token counted twice, and the LCS read-out rouge_score makes on ties', () => {
  // reference sentences [a b] and [b a], prediction [a b]. Sentence 1: LCS a b, 2 hits, which uses up the
  // prediction's a and b; sentence 2: its LCS with [a b] is one token, and no unused occurrence is left.
  // hits 2: P = 2/2, R = 2/4.
  const r = rougeScore('a b\nb a', 'a b', { rougeTypes: ['rougeLsum'] }).rougeLsum!;
  assert.deepEqual(r, { precision: 1, recall: 0.5, fmeasure: 2 / 3 });
  // reference [x y], prediction sentences [y x] and [x]. The backtrack from the end of x y / y x meets a tie
  // and drops the reference token, so it reads out x (not y); the union with the LCS of [x] is {x}:
  // 1 hit, P = 1/3, R = 1/2 (reading out y would have given 2 hits).
  const t = rougeScore('x y', 'y x\nx', { rougeTypes: ['rougeLsum'] }).rougeLsum!;
  close12(t.precision, 1 / 3, 'precision');
  close12(t.recall, 1 / 2, 'recall');
  close12(t.fmeasure, 0.4, 'f');
  // rougeL reads 'y x x' as one sequence: no x comes before a y, so the LCS with 'x y' is 1: P = 1/3, R = 1/2
  close12(rougeScore('x y', 'y x\nx', { rougeTypes: ['rougeL'] }).rougeL!.fmeasure, 0.4, 'rougeL');
});

test('ROUGE with several references: per type, the reference with the best F-measure', () => {
  // prediction 'a b c': vs 'a b c d e f' rouge1 P 1 R 1/2 F 2/3, rouge2 P 1 R 2/5 F 4/7;
  //                     vs 'a x c'       rouge1 P 2/3 R 2/3 F 2/3 (a tie: the first reference is kept), rouge2 0
  const r = rougeScoreMulti(['a b c d e f', 'a x c'], 'a b c', { rougeTypes: ['rouge1', 'rouge2'] });
  assert.deepEqual(r.rouge1, { precision: 1, recall: 0.5, fmeasure: 2 / 3 });
  close12(r.rouge2!.fmeasure, 4 / 7, 'rouge2');
  // rougeL picks the second reference when it is better for that type only
  const s = rougeScoreMulti(['c b a', 'a c'], 'a b c', { rougeTypes: ['rouge1', 'rougeL'] });
  close12(s.rouge1!.fmeasure, 1, 'rouge1 from the first reference');
  close12(s.rougeL!.fmeasure, 0.8, 'rougeL from the second: LCS a c, P 2/3, R 1');
  // the aggregate is the plain mean of the per-example F-measures
  const agg = rouge(['a b c', 'a'], ['a b c', 'b'], { rougeTypes: ['rouge1'] });
  assert.deepEqual(agg, { rouge1: 0.5 });
});

// ---------------------------------------------------------------------------------------------------------
// 4. Input checks

function throwsField(fn: () => unknown, field: string, pattern?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof LenguaError, `expected a LenguaError, got ${String(e)}`);
    assert.equal(e.field, field);
    assert.ok(e.message.includes(`field "${field}"`), e.message);
    if (pattern) assert.match(e.message, pattern);
    return true;
  });
}

test('BLEU and chrF refuse bad inputs with an error naming the field', () => {
  for (const metric of [corpusBleu, corpusChrf] as const) {
    throwsField(() => metric([], [[]]), 'hypotheses', /at least one/);
    throwsField(() => metric(['a', 'b'], [['a']]), 'references[0]', /1 entries but there are 2 hypotheses/);
    throwsField(() => metric(['a', 'b'], [['a', 'b'], ['a']]), 'references[1]');
    throwsField(() => metric(['a'], []), 'references', /at least one/);
    throwsField(() => metric(['a', 'b'], [['a', ''], [null, null]] as (string | null)[][]), 'references', /sentence 1 has no reference/);
    throwsField(() => metric(['a', 3 as unknown as string], [['a', 'b']]), 'hypotheses[1]');
    throwsField(() => metric(['a'], [[7 as unknown as string]]), 'references[0][0]');
    throwsField(() => metric(['a'], 'a' as unknown as string[][]), 'references');
  }
  throwsField(() => corpusBleu(['a'], [['a']], { smoothMethod: 'laplace' as 'exp' }), 'smoothMethod');
  throwsField(() => corpusBleu(['a'], [['a']], { tokenize: 'intl' as '13a' }), 'tokenize');
  throwsField(() => corpusBleu(['a'], [['a']], { maxNgramOrder: 0 }), 'maxNgramOrder');
  throwsField(() => corpusBleu(['a'], [['a']], { smoothValue: -1 }), 'smoothValue');
  throwsField(() => sentenceBleu('a', ['']), 'references', /no reference/);
  throwsField(() => computeBleu([1, 2], [1, 2, 3, 4], 1, 1), 'correct');
  throwsField(() => corpusChrf(['a'], [['a']], { charOrder: 0, wordOrder: 0 }), 'charOrder');
  throwsField(() => corpusChrf(['a'], [['a']], { beta: Number.NaN }), 'beta');
  throwsField(() => corpusChrf(['a'], [['a']], { wordOrder: 1.5 }), 'wordOrder');
  throwsField(() => sentenceChrf('a', []), 'references');
});

test('ROUGE refuses bad inputs with an error naming the field', () => {
  throwsField(() => rouge([], []), 'predictions', /at least one/);
  throwsField(() => rouge(['a', 'b'], ['a']), 'references', /1 references for 2 predictions/);
  throwsField(() => rouge(['a', 'b'], [['a'], 'b'] as string[][]), 'references[1]');
  throwsField(() => rouge(['a', 'b'], ['a', ['b']] as string[]), 'references[1]');
  throwsField(() => rouge(['a'], [[]]), 'references[0]');
  throwsField(() => rouge([null as unknown as string], ['a']), 'predictions[0]');
  // rouge_score's testInvalidRougeTypes
  for (const t of ['rougen', 'rouge0', 'rouge10', 'rougeX']) throwsField(() => rougeScore('a', 'a', { rougeTypes: [t as 'rouge1'] }), 'rougeTypes');
  throwsField(() => rougeScoreMulti([], 'a'), 'references');
  // a single 'sentence' too long for the summary-level LCS table
  const long = Array.from({ length: 6000 }, (_, i) => `w${i}`).join(' ');
  throwsField(() => rougeScore(long, long, { rougeTypes: ['rougeLsum'] }), 'rougeLsum', /too long/);
});
