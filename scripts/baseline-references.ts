/**
 * Regenerates src/models/baseline/fixtures/sklearn-references.json: scikit-learn 1.2's answers for the
 * TF-IDF + logistic regression baseline on the bundled sample tweets.
 *
 *   npx tsx scripts/baseline-references.ts
 *
 * Lengua normalizes and word-tokenizes the texts (that part is Lengua's own and the same in both);
 * scikit-learn then builds the n-grams, the vocabulary, idf, TF-IDF rows and fits the model
 * (scripts/baseline_references.py, run with Debian's /usr/bin/python3).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadDataset } from '../src/data/index.js';
import { TfidfAnalyzer, resolveOptions, type TfidfLogRegOptions } from '../src/models/baseline/tfidf-logreg.js';
import { writeFileAtomic } from '../src/util/fs.js';
import { tokenizeWords } from '../src/text/index.js';

const OUT = 'src/models/baseline/fixtures/sklearn-references.json';
const ds = loadDataset('examples/data/tweets-sample.csv');
const rows = ds.examples.map((e) => ({ id: Number(e.raw?.kind === 'fields' ? e.raw.fields[0] : NaN), text: e.text, label: e.label as string }));
// A fixed split that does not depend on any splitting code: every fifth row (by id) is a test row.
const train = rows.filter((r) => r.id % 5 !== 0);
const test = rows.filter((r) => r.id % 5 === 0);

interface CaseSpec {
  name: string;
  labels: string[];
  options: TfidfLogRegOptions;
  /** Keep only some training rows (to make classes unequal). */
  keep?: (r: { id: number; label: string }) => boolean;
}
const specs: CaseSpec[] = [
  { name: 'three-class-defaults', labels: ['negative', 'neutral', 'positive'], options: {} },
  { name: 'binary-sublinear-mindf2', labels: ['negative', 'positive'], options: { sublinearTf: true, minDf: 2 } },
  { name: 'three-class-words-1-3-C-10', labels: ['negative', 'neutral', 'positive'], options: { wordNgrams: [1, 3], charNgrams: null, C: 10 } },
  {
    name: 'three-class-imbalanced-balanced-weights',
    labels: ['negative', 'neutral', 'positive'],
    options: { classWeight: 'balanced', charNgrams: [3, 4], minDf: 2 },
    keep: (r) => r.label !== 'neutral' || r.id % 3 === 0,
  },
];

const cases = specs.map((s) => {
  const options = resolveOptions(s.options);
  const an = new TfidfAnalyzer(options);
  const tr = train.filter((r) => s.labels.includes(r.label) && (s.keep?.(r) ?? true));
  const te = test.filter((r) => s.labels.includes(r.label));
  const trainPre = tr.map((r) => an.preprocess(r.text));
  const testPre = te.map((r) => an.preprocess(r.text));
  return {
    name: s.name,
    options,
    labels: s.labels,
    trainIds: tr.map((r) => r.id),
    testIds: te.map((r) => r.id),
    trainLabels: tr.map((r) => s.labels.indexOf(r.label)),
    trainPre,
    testPre,
    trainTokens: trainPre.map((p) => tokenizeWords(p)),
    testTokens: testPre.map((p) => tokenizeWords(p)),
  };
});

const py = spawnSync('/usr/bin/python3', ['scripts/baseline_references.py'], { input: JSON.stringify(cases), maxBuffer: 1 << 30, encoding: 'utf8' });
if (py.status !== 0) {
  process.stderr.write(py.stderr);
  process.exit(1);
}
const ref = JSON.parse(py.stdout) as { sklearn: string; cases: Array<Record<string, unknown>> };
const out = {
  note: 'scikit-learn answers for src/models/baseline; regenerate with `npx tsx scripts/baseline-references.ts`',
  source: 'examples/data/tweets-sample.csv; train = rows whose id is not a multiple of 5, test = the others',
  sklearn: ref.sklearn,
  cases: cases.map((c, i) => ({ name: c.name, options: c.options, labels: c.labels, trainIds: c.trainIds, testIds: c.testIds, testPre: c.testPre, ...ref.cases[i] })),
};
mkdirSync(dirname(OUT), { recursive: true });
writeFileAtomic(OUT, JSON.stringify(out) + '\n');
console.log(`wrote ${OUT}: ${out.cases.map((c) => `${c.name} (sklearn ${String(ref.cases[cases.findIndex((x) => x.name === c.name)]?.nIter)} iterations)`).join(', ')}`);
