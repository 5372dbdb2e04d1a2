// Entity-level NER metrics. No reference implementation was available on this machine (Debian has no
// python3-seqeval and only the Debian and npm registries are reachable), so the chunk rules are checked with
// hand-worked cases, one per conlleval / seqeval-default rule, and on the real CoNLL-2003 dev set, whose
// conlleval-style entity counts are recorded in ../shared/data/conll2003-en/README.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { LenguaError } from '../errors.js';
import { entityMetrics, extractEntities, type Entity, type TagScheme } from './index.js';

const spans = (tags: string[][], scheme: TagScheme, mode: 'default' | 'strict' = 'default'): string[] =>
  extractEntities(tags, { scheme, mode }).map((e) => `${e.type}:${e.sentence}:${e.start}-${e.end}`);

test('IOB2: B- starts, I- of the same type continues, O ends', () => {
  assert.deepEqual(spans([['B-PER', 'I-PER', 'O', 'B-LOC']], 'IOB2'), ['PER:0:0-1', 'LOC:0:3-3']);
  assert.deepEqual(spans([['B-PER', 'B-PER', 'I-PER']], 'IOB2'), ['PER:0:0-0', 'PER:0:1-2']);
});

test('conlleval leniency: I- after O, or after another type, starts an entity', () => {
  assert.deepEqual(spans([['O', 'I-PER', 'I-PER']], 'IOB2'), ['PER:0:1-2']);
  assert.deepEqual(spans([['I-PER']], 'IOB2'), ['PER:0:0-0']);
  assert.deepEqual(spans([['B-PER', 'I-LOC', 'I-LOC']], 'IOB2'), ['PER:0:0-0', 'LOC:0:1-2']);
  assert.deepEqual(spans([['B-PER', 'B-LOC']], 'IOB2'), ['PER:0:0-0', 'LOC:0:1-1']);
});

test('IOB1: I- runs are entities, B- splits two adjacent entities of one type', () => {
  assert.deepEqual(spans([['I-PER', 'I-PER', 'B-PER', 'I-PER', 'O']], 'IOB1'), ['PER:0:0-1', 'PER:0:2-3']);
  assert.deepEqual(spans([['I-PER', 'I-LOC']], 'IOB1'), ['PER:0:0-0', 'LOC:0:1-1']);
  // B- where IOB1 would not use it (after O) still starts an entity under conlleval
  assert.deepEqual(spans([['O', 'B-ORG', 'I-ORG']], 'IOB1'), ['ORG:0:1-2']);
});

test('IOBES: S- is a single-token entity, B- I- E- a longer one; E- and S- close', () => {
  assert.deepEqual(spans([['S-PER', 'B-LOC', 'I-LOC', 'E-LOC', 'O', 'S-ORG', 'S-ORG']], 'IOBES'), ['PER:0:0-0', 'LOC:0:1-3', 'ORG:0:5-5', 'ORG:0:6-6']);
  // E- then B- of the same type: two entities (seqeval; conlleval has no rule for this pair)
  assert.deepEqual(spans([['B-PER', 'E-PER', 'B-PER', 'E-PER']], 'IOBES'), ['PER:0:0-1', 'PER:0:2-3']);
  // lenient: E- or I- after O starts; I- after S- or E- starts; B- without E- runs to the break
  assert.deepEqual(spans([['O', 'E-PER']], 'IOBES'), ['PER:0:1-1']);
  assert.deepEqual(spans([['I-PER', 'E-PER']], 'IOBES'), ['PER:0:0-1']);
  assert.deepEqual(spans([['S-PER', 'I-PER']], 'IOBES'), ['PER:0:0-0', 'PER:0:1-1']);
  assert.deepEqual(spans([['E-PER', 'I-PER', 'E-PER']], 'IOBES'), ['PER:0:0-0', 'PER:0:1-2']);
  assert.deepEqual(spans([['B-PER', 'I-PER']], 'IOBES'), ['PER:0:0-1']);
});

test('entities never cross a sentence boundary', () => {
  assert.deepEqual(spans([['I-PER'], ['I-PER']], 'IOB1'), ['PER:0:0-0', 'PER:1:0-0']);
  assert.deepEqual(spans([['B-PER', 'I-PER'], ['I-PER']], 'IOB2'), ['PER:0:0-1', 'PER:1:0-0']);
});

test('strict mode keeps only entities that are well formed in the scheme', () => {
  assert.deepEqual(spans([['I-PER', 'I-PER', 'O', 'B-LOC', 'I-LOC']], 'IOB2', 'strict'), ['LOC:0:3-4']);
  assert.deepEqual(spans([['B-PER', 'I-LOC']], 'IOB2', 'strict'), ['PER:0:0-0']);
  assert.deepEqual(spans([['B-PER', 'I-PER']], 'IOBES', 'strict'), []);
  assert.deepEqual(spans([['B-PER', 'E-PER', 'S-LOC']], 'IOBES', 'strict'), ['PER:0:0-1', 'LOC:0:2-2']);
  assert.deepEqual(spans([['I-PER', 'E-PER', 'E-PER']], 'IOBES', 'strict'), []);
  assert.deepEqual(spans([['B-PER', 'I-PER', 'E-LOC']], 'IOBES', 'strict'), []);
  assert.deepEqual(spans([['I-PER', 'B-PER', 'I-PER']], 'IOB1', 'strict'), ['PER:0:0-0', 'PER:0:1-2']);
  assert.deepEqual(spans([['B-PER', 'I-PER']], 'IOB1', 'strict'), []);
  assert.deepEqual(spans([['I-LOC', 'B-PER']], 'IOB1', 'strict'), ['LOC:0:0-0']);
  // the lenient reading of the same sequences keeps the fragments
  assert.deepEqual(spans([['I-PER', 'E-PER', 'E-PER']], 'IOBES'), ['PER:0:0-1', 'PER:0:2-2']);
});

test('scores: an entity counts only with the same type and both boundaries (hand-worked)', () => {
  const truth = [['B-PER', 'I-PER', 'O', 'B-LOC', 'O', 'B-ORG']];
  const pred = [['B-PER', 'O', 'O', 'B-LOC', 'O', 'B-MISC']];
  const m = entityMetrics(truth, pred, { scheme: 'IOB2' });
  // gold PER 0-1, LOC 3, ORG 5; predicted PER 0 (short), LOC 3 (right), MISC 5 (wrong type)
  assert.deepEqual(Object.keys(m.perType), ['LOC', 'MISC', 'ORG', 'PER']);
  assert.deepEqual(m.perType.LOC, { precision: 1, recall: 1, f1: 1, support: 1, predicted: 1, correct: 1 });
  assert.deepEqual(m.perType.PER, { precision: 0, recall: 0, f1: 0, support: 1, predicted: 1, correct: 0 });
  assert.deepEqual(m.perType.ORG, { precision: 0, recall: 0, f1: 0, support: 1, predicted: 0, correct: 0 });
  assert.deepEqual(m.perType.MISC, { precision: 0, recall: 0, f1: 0, support: 0, predicted: 1, correct: 0 });
  assert.deepEqual(m.micro, { precision: 1 / 3, recall: 1 / 3, f1: 1 / 3, support: 3, predicted: 3, correct: 1 });
  assert.deepEqual(m.macro, { precision: 0.25, recall: 0.25, f1: 0.25, support: 3 });
  assert.deepEqual(m.weighted, { precision: 1 / 3, recall: 1 / 3, f1: 1 / 3, support: 3 });
  assert.equal(m.accuracy, 4 / 6);
  assert.equal(m.tokens, 6);
});

test('scores: micro F1 is the harmonic mean of micro precision and recall', () => {
  const truth = [['B-PER', 'I-PER', 'O', 'B-LOC'], ['O', 'B-ORG', 'I-ORG', 'O']];
  const pred = [['B-PER', 'I-PER', 'O', 'O'], ['B-ORG', 'I-ORG', 'I-ORG', 'B-LOC']];
  const m = entityMetrics(truth, pred, { scheme: 'IOB2' });
  // correct: PER only; predicted 3 (PER, ORG 0-2, LOC), gold 3
  assert.equal(m.micro.precision, 1 / 3);
  assert.equal(m.micro.recall, 1 / 3);
  assert.ok(Math.abs(m.micro.f1 - 1 / 3) < 1e-15);
});

test('bad input: unknown tags, wrong lengths, empty input, bad scheme', () => {
  assert.throws(() => entityMetrics([['S-PER']], [['O']], { scheme: 'IOB2' }), (e: unknown) => e instanceof LenguaError && /trueTags\[0\]\[0\].*"S-PER".*IOB2/.test(e.message));
  assert.throws(() => entityMetrics([['B-PER', 'O']], [['O']], { scheme: 'IOB2' }), /sentence 0: trueTags has 2 tokens but predTags has 1/);
  assert.throws(() => entityMetrics([['O']], [['O'], ['O']], { scheme: 'IOB2' }), /1 sentences but predTags has 2/);
  assert.throws(() => entityMetrics([], [], { scheme: 'IOB2' }), /no tokens/);
  assert.throws(() => entityMetrics([['O']], [['O']], { scheme: 'BIO' as TagScheme }), /scheme must be/);
  assert.throws(() => entityMetrics([['PER']], [['O']], { scheme: 'IOB1' }), /not a IOB1 tag/);
});

// ---- real data: CoNLL-2003 English dev set (IOB1) ----------------------------------------------------

const CONLL = new URL('../../../shared/data/conll2003-en/eng.testa', import.meta.url);

function readConll(): string[][] {
  const sentences: string[][] = [];
  let cur: string[] = [];
  for (const line of readFileSync(CONLL, 'utf8').split('\n')) {
    const cols = line.trim().split(' ');
    if (line.trim() === '' || cols[0] === '-DOCSTART-') {
      if (cur.length > 0) sentences.push(cur);
      cur = [];
      continue;
    }
    cur.push(cols[3] as string);
  }
  if (cur.length > 0) sentences.push(cur);
  return sentences;
}

/** Writes entities back as tags in a scheme: a simple encoder, independent of the decoder under test. */
function encode(entities: Entity[], lengths: number[], scheme: TagScheme): string[][] {
  const out = lengths.map((n) => new Array<string>(n).fill('O'));
  for (const e of entities) {
    const row = out[e.sentence] as string[];
    for (let i = e.start; i <= e.end; i++) {
      const first = i === e.start;
      const last = i === e.end;
      if (scheme === 'IOB2') row[i] = `${first ? 'B' : 'I'}-${e.type}`;
      else if (scheme === 'IOBES') row[i] = `${first && last ? 'S' : first ? 'B' : last ? 'E' : 'I'}-${e.type}`;
      else {
        // IOB1: B- only on an entity that directly follows one of the same type
        const prevEnd = entities.find((p) => p.sentence === e.sentence && p.end === e.start - 1);
        row[i] = `${first && prevEnd?.type === e.type ? 'B' : 'I'}-${e.type}`;
      }
    }
  }
  return out;
}

test('CoNLL-2003 dev: entity counts match the dataset README, and gold scores 100%', { skip: !existsSync(CONLL) }, () => {
  const gold = readConll();
  const m = entityMetrics(gold, gold, { scheme: 'IOB1' });
  const support = Object.fromEntries(Object.entries(m.perType).map(([t, s]) => [t, s.support]));
  assert.deepEqual(support, { LOC: 1837, MISC: 922, ORG: 1341, PER: 1842 });
  assert.equal(m.micro.support, 5942);
  assert.deepEqual([m.micro.precision, m.micro.recall, m.micro.f1, m.accuracy], [1, 1, 1, 1]);
  // strict IOB1 agrees on well-formed data
  assert.equal(entityMetrics(gold, gold, { scheme: 'IOB1', mode: 'strict' }).micro.support, 5942);
});

test('CoNLL-2003 dev: the same entities re-encoded in IOB2 and IOBES decode identically', { skip: !existsSync(CONLL) }, () => {
  const gold = readConll();
  const entities = extractEntities(gold, { scheme: 'IOB1' });
  const lengths = gold.map((s) => s.length);
  for (const scheme of ['IOB2', 'IOBES', 'IOB1'] as const) {
    const tags = encode(entities, lengths, scheme);
    assert.deepEqual(extractEntities(tags, { scheme }), entities, scheme);
    assert.deepEqual(extractEntities(tags, { scheme, mode: 'strict' }), entities, `${scheme} strict`);
  }
  // the IOB1 re-encoding reproduces the file's tags exactly
  assert.deepEqual(encode(entities, lengths, 'IOB1'), gold);
});

test('CoNLL-2003 dev: dropping every MISC prediction and shortening PER entities scores as counted', { skip: !existsSync(CONLL) }, () => {
  const gold = readConll();
  const entities = extractEntities(gold, { scheme: 'IOB1' });
  const lengths = gold.map((s) => s.length);
  // predictions: no MISC; multi-token PER entities lose their last token (a boundary error)
  const predicted = entities
    .filter((e) => e.type !== 'MISC')
    .map((e) => (e.type === 'PER' && e.end > e.start ? { ...e, end: e.end - 1 } : e));
  const pred = encode(predicted, lengths, 'IOB2');
  // IOB2 tags are valid IOB1 tags (conlleval reads a B- after O as a start), so score against the IOB1 gold
  const m = entityMetrics(gold, pred, { scheme: 'IOB1' });
  const shortened = entities.filter((e) => e.type === 'PER' && e.end > e.start).length;
  const per = entities.filter((e) => e.type === 'PER').length;
  assert.equal(m.perType.MISC?.recall, 0);
  assert.equal(m.perType.MISC?.predicted, 0);
  assert.equal(m.perType.PER?.correct, per - shortened);
  assert.equal(m.perType.LOC?.f1, 1);
  assert.equal(m.perType.ORG?.f1, 1);
  assert.equal(m.micro.correct, 5942 - 922 - shortened);
  assert.equal(m.micro.predicted, 5942 - 922);
  assert.equal(m.micro.recall, (5942 - 922 - shortened) / 5942);
});
