// BM25 against an independent reference: the formula written out in Python (rank_bm25 is not installed
// here), with Python's own tokenization (re \w+, casefold, NFD without combining marks), on a small English
// and Spanish corpus, at k1 1.2 and 1.5.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Bm25Index, tokenize } from './bm25.js';

const CORPUS = [
  'The router restarts when you hold the reset button for ten seconds.',
  'Para reiniciar el router, mantenga pulsado el botón de reinicio durante diez segundos.',
  'Our warranty covers the router for two years; the warranty does not cover water damage.',
  'La garantía cubre el router durante dos años. La garantía no cubre daños por agua.',
  'Canción, CANCION y cancion: the same word three times, cancion.',
  'Shipping is free above 50 euros. Shipping takes 3 to 5 days.',
  'El envío es gratuito a partir de 50 euros.',
  'Nothing here matches.',
];
const QUERIES = ['how do I reset the router', '¿Cuánto dura la garantía del router?', 'canción', 'shipping shipping euros', 'zebra', 'botón reinicio router router'];

const PY = String.raw`
import json, math, re, sys, unicodedata
def tok(s):
    out = []
    for w in re.findall(r'\w+', s):
        w = unicodedata.normalize('NFD', w.lower())
        out.append(unicodedata.normalize('NFC', ''.join(c for c in w if not unicodedata.combining(c))))
    return out
cfg = json.load(sys.stdin)
docs = [tok(d) for d in cfg['corpus']]
N = len(docs); avgdl = sum(map(len, docs)) / N
df = {}
for d in docs:
    for t in set(d): df[t] = df.get(t, 0) + 1
res = []
for k1 in cfg['k1s']:
    b = cfg['b']
    for q in cfg['queries']:
        row = []
        for d in docs:
            s = 0.0
            for t in tok(q):
                if t not in df: continue
                idf = math.log(1 + (N - df[t] + 0.5) / (df[t] + 0.5))
                tf = d.count(t)
                s += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(d) / avgdl))
            row.append(s)
        res.append(row)
print(json.dumps({'tokens': [tok(d) for d in cfg['corpus'] + cfg['queries']], 'scores': res}))
`;

test('BM25 scores equal a direct Python implementation of the formula (k1 1.2 and 1.5, b 0.75)', (t) => {
  const r = spawnSync('/usr/bin/python3', ['-c', PY], { input: JSON.stringify({ corpus: CORPUS, queries: QUERIES, k1s: [1.2, 1.5], b: 0.75 }), encoding: 'utf8' });
  if (r.error !== undefined || (r.status !== 0 && /No such file/.test(r.stderr))) {
    t.skip('no /usr/bin/python3');
    return;
  }
  assert.equal(r.status, 0, r.stderr);
  const ref = JSON.parse(r.stdout) as { tokens: string[][]; scores: number[][] };
  // The tokenizers agree term for term (accents folded, punctuation gone, ¿ dropped).
  assert.deepEqual([...CORPUS, ...QUERIES].map((s) => tokenize(s)), ref.tokens);
  let row = 0;
  for (const k1 of [1.2, 1.5]) {
    const index = new Bm25Index(CORPUS.map((d) => tokenize(d)), { k1, b: 0.75 });
    for (const q of QUERIES) {
      const got = index.scores(tokenize(q));
      const want = ref.scores[row++]!;
      // Same sums of the same doubles, possibly in another order: a few ulps of scores below 50.
      want.forEach((w, d) => assert.ok(Math.abs(got[d]! - w) <= 1e-12 * Math.max(1, w), `k1 ${k1}, "${q}", doc ${d}: ${got[d]} vs ${w}`));
    }
  }
  // And the ranking that follows: the Spanish reset question finds the Spanish reset passage first.
  const index = new Bm25Index(CORPUS.map((d) => tokenize(d)));
  assert.equal(index.search(tokenize('botón reinicio'), 3)[0]!.index, 1);
  assert.deepEqual(index.search(tokenize('zebra'), 3), [], 'no term in the corpus: no hit');
});

test('the tokenizer folds case and accents, drops punctuation, and the stopword lists when asked', () => {
  assert.deepEqual(tokenize('¿Dónde está la CANCIÓN? ¡Aquí!'), ['donde', 'esta', 'la', 'cancion', 'aqui']);
  assert.deepEqual(tokenize('¿Dónde está la CANCIÓN? ¡Aquí!', { stopwords: true }), ['cancion', 'aqui']);
  assert.deepEqual(tokenize('How do I reset the router?', { stopwords: true }), ['reset', 'router']);
  // "not" and "no" carry meaning in a question and stay.
  assert.deepEqual(tokenize('Is it not covered? ¿No cubre?', { stopwords: true }), ['not', 'covered', 'no', 'cubre']);
  assert.deepEqual(tokenize('naïve café — 3.5%'), ['naive', 'cafe', '3', '5']);
});

test('idf is Lucene’s (positive even for a term in every document) and the parameters are bounded', () => {
  const index = new Bm25Index([['a', 'b'], ['a'], ['a', 'c', 'c']]);
  assert.ok(Math.abs(index.idf('a') - Math.log(1 + 0.5 / 3.5)) < 1e-15);
  assert.ok(index.idf('a') > 0);
  assert.equal(index.idf('zzz'), 0);
  // Saturation: a second occurrence adds less than the first.
  const s1 = index.termScore('c', 1, 3);
  const s2 = index.termScore('c', 2, 3);
  assert.ok(s2 > s1 && s2 < 2 * s1);
  assert.throws(() => new Bm25Index([], { k1: -1 }), /field "k1"/);
  assert.throws(() => new Bm25Index([], { b: 1.5 }), /field "b"/);
  assert.deepEqual(new Bm25Index([]).search(['a'], 5), []);
});
