// evaluateClassifier with the real baseline on the bundled sample, the transformer path on the golden
// BERT fixture, and the held-out test discipline on real files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { loadDataset, type Dataset } from '../data/index.js';
import { TfidfLogReg } from '../models/baseline/index.js';
import { trainBaseline } from '../train/baseline.js';
import { golden, skipWithoutGolden } from '../testing/golden.js';
import { readSafetensors, entryToFloat32 } from '../hub/safetensors.js';
import { computeClassificationMetrics } from '../metrics/index.js';
import { baselineClassifier, loadClassifier, evaluateClassifier, inferSplit, checkTestDiscipline, recordEvaluation, readEvaluations, type TextClassifier } from './index.js';

const sample = loadDataset('examples/data/tweets-sample.csv');
const idOf = (e: Dataset['examples'][number]): number => Number(e.raw?.kind === 'fields' ? e.raw.fields[0] : NaN);
const tmp = mkdtempSync(join(tmpdir(), 'lengua-eval-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

// The sample's fixed split (id % 5 == 0 is held out), written as a real file.
const header = 'id,text,label,lang\n';
const csvLine = (e: Dataset['examples'][number]): string => (e.raw?.kind === 'fields' ? e.raw.fields.map((f) => `"${f.replace(/"/g, '""')}"`).join(',') : '');
const heldOut = sample.examples.filter((e) => idOf(e) % 5 === 0);
const valFile = join(tmp, 'val.csv');
writeFileSync(valFile, header + heldOut.map(csvLine).join('\n') + '\n');
const modelDir = join(tmp, 'baseline');
const { model } = trainBaseline({ ...sample, examples: sample.examples.filter((e) => idOf(e) % 5 !== 0) }, { outputDir: modelDir });

test('inferSplit reads the file name', () => {
  assert.equal(inferSplit('/x/test.csv'), 'test');
  assert.equal(inferSplit('/x/sst2_test.tsv'), 'test');
  assert.equal(inferSplit('data/val_text.txt'), 'validation');
  assert.equal(inferSplit('dev.jsonl'), 'validation');
  assert.equal(inferSplit('my-validation-set.csv'), 'validation');
  assert.equal(inferSplit('train_text.txt'), 'train');
  assert.equal(inferSplit('tweets-sample.csv'), null);
  assert.equal(inferSplit('contest.csv'), null);
  assert.equal(inferSplit('valores.csv'), null);
  assert.equal(inferSplit('dev2.csv'), 'validation');
});

test('evaluateClassifier: metrics equal the metrics module on the same predictions; errors sorted by confidence', async () => {
  const clf = await loadClassifier(`baseline:${modelDir}`);
  const ds = loadDataset(valFile);
  const r = await evaluateClassifier(clf, ds, { topErrors: 5 });
  assert.equal(r.split, 'validation');
  assert.equal(r.splitSource, 'file name');
  assert.equal(r.n, heldOut.length);
  assert.equal(r.dataSha256, createHash('sha256').update(readFileSync(valFile)).digest('hex'));
  const names = Object.values(model.id2label);
  const proba = model.predictProba(heldOut.map((e) => e.text));
  const gold = heldOut.map((e) => names.indexOf(e.label as string));
  const pred = proba.map((row) => row.indexOf(Math.max(...row)));
  const m = computeClassificationMetrics(gold, pred, { probabilities: proba, labels: [0, 1, 2] });
  assert.equal(r.metrics.accuracy, m.accuracy);
  assert.equal(r.metrics.macro_recall, m.macroRecall);
  assert.equal(r.metrics.macro_f1, m.macro.f1);
  assert.equal(r.metrics.log_loss, m.probability!.logLoss);
  assert.equal(r.metrics.ece, m.probability!.ece);
  assert.equal(r.metrics.roc_auc, m.probability!.rocAuc);
  assert.equal(r.metrics.brier, m.probability!.brier);
  assert.deepEqual(r.confusionMatrix.matrix, m.confusionMatrix.matrix);
  assert.deepEqual(r.perClass.map((c) => c.label), names);
  assert.equal(r.mostConfidentErrors.length, 5);
  const errs = r.predictions.filter((p) => p.label !== p.predicted).sort((a, b) => b.confidence - a.confidence);
  assert.deepEqual(r.mostConfidentErrors.map((e) => e.index), errs.slice(0, 5).map((e) => e.index));
  for (const e of r.mostConfidentErrors) {
    assert.notEqual(e.label, e.predicted);
    assert.equal(e.text, heldOut[e.index]!.text);
    assert.equal(e.confidence, e.probabilities[e.predicted]);
  }
  // Predictions come with their line in the file (header is line 1).
  assert.equal(r.predictions[0]!.line, 2);
});

test('labels must match the model by name, else an error names them; labelMap id maps by index', async () => {
  const clf = baselineClassifier(model);
  const renamed = join(tmp, 'renamed.csv');
  const map: Record<string, string> = { negative: 'neg', neutral: 'neu', positive: 'pos' };
  writeFileSync(renamed, 'text,label\n' + heldOut.map((e) => `"${e.text.replace(/"/g, '""')}",${map[e.label as string]}`).join('\n') + '\n');
  const ds = loadDataset(renamed);
  await assert.rejects(evaluateClassifier(clf, ds), /"neg", "neu", "pos" are not among the model's labels \(negative, neutral, positive\).*map by id/);
  const byId = await evaluateClassifier(clf, ds, { labelMap: 'id', split: 'validation' });
  const byName = await evaluateClassifier(clf, loadDataset(valFile));
  assert.deepEqual(byId.metrics, byName.metrics);
  assert.equal(byId.splitSource, 'given');
});

test('a second evaluation of the test split is refused, naming the first; force goes on', async () => {
  const dir = join(tmp, 'discipline');
  TfidfLogReg.load(modelDir).save(dir);
  const clf = await loadClassifier(dir);
  const ds = loadDataset(valFile);
  assert.equal(checkTestDiscipline(dir, 'test'), null);
  const r = await evaluateClassifier(clf, ds, { split: 'test' });
  recordEvaluation(dir, r);
  // Validation may be looked at as often as wanted.
  assert.equal(checkTestDiscipline(dir, 'validation'), null);
  assert.throws(() => checkTestDiscipline(dir, 'test'), (err: Error) => {
    assert.match(err.message, /evaluations\.json.*already evaluated on .*val\.csv, sha256 [0-9a-f]{12}…, 69 examples.*--force/);
    return true;
  });
  assert.equal(checkTestDiscipline(dir, 'test', { force: true })?.time, r.createdAt);
  recordEvaluation(dir, r, { forced: true });
  const recs = readEvaluations(dir);
  assert.equal(recs.length, 2);
  assert.equal(recs[1]!.forced, true);
  assert.equal(recs[0]!.dataSha256, r.dataSha256);
});

test('transformer classifier: probabilities are the softmax of the golden logits', { skip: skipWithoutGolden }, async () => {
  const dir = join(tmp, 'bert');
  cpSync(golden('fixtures', 'bert-synth-seqcls'), dir, { recursive: true });
  const clf: TextClassifier = await loadClassifier(dir, { batchSize: 1 });
  assert.deepEqual(clf.id2label, { 0: 'negative', 1: 'neutral', 2: 'positive' });
  const g = entryToFloat32(readSafetensors(golden('models', 'bert-synth-seqcls', 'golden.safetensors')).tensors.get('logits')!);
  const got = await clf.predictProba(['Hello world!', 'Hi.']);
  [1, 2].forEach((row, i) => {
    const z = [...g.slice(row * 3, row * 3 + 3)];
    const mx = Math.max(...z);
    const e = z.map((v) => Math.exp(v - mx));
    const s = e.reduce((a, b) => a + b, 0);
    e.forEach((v, k) => assert.ok(Math.abs(v / s - got[i]![k]!) < 1e-5, `${i},${k}`));
  });
  // And through evaluateClassifier on real data (labels match by name).
  const r = await evaluateClassifier(clf, loadDataset(valFile));
  assert.equal(r.n, 69);
  assert.ok(r.metrics.accuracy! >= 0 && r.metrics.accuracy! <= 1);
});
