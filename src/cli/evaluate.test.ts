// `lengua evaluate` as a real process: a baseline folder and the golden BERT folder, outputs on disk,
// the split on every metric line, and the test-split discipline across runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './testing.js';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset } from '../data/index.js';
import { trainBaseline } from '../train/baseline.js';
import { golden, skipWithoutGolden } from '../testing/golden.js';

const tmp = mkdtempSync(join(tmpdir(), 'lengua-cli-eval-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

const lengua = (...args: string[]) => runCli(args, { timeout: 120_000 });

const sample = loadDataset('examples/data/tweets-sample.csv');
const rows = sample.examples.map((e) => `"${e.text.replace(/"/g, '""')}",${e.label as string}`);
const testFile = join(tmp, 'test.csv');
writeFileSync(testFile, 'text,label\n' + rows.slice(280).join('\n') + '\n');
const devFile = join(tmp, 'dev.csv');
writeFileSync(devFile, 'text,label\n' + rows.slice(240, 280).join('\n') + '\n');
const modelDir = join(tmp, 'baseline');
trainBaseline({ ...sample, examples: sample.examples.slice(0, 240) }, { outputDir: modelDir });

test('evaluate a baseline on validation data: table with the split on every metric, files written', () => {
  const r = lengua('evaluate', '--model', `baseline:${modelDir}`, '--data', devFile);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^split: validation \(from the file name\)$/m);
  const metricLines = r.stdout.split('\n').filter((l) => /^\w+\s+\[/.test(l));
  assert.ok(metricLines.length >= 14);
  for (const l of metricLines) assert.match(l, /^\w+\s+\[validation\]\s+(\d\.\d{4}|undefined)$/);
  const out = join(modelDir, 'eval-validation');
  const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as { split: string; n: number; metrics: Record<string, number>; predictions?: unknown };
  assert.equal(metrics.split, 'validation');
  assert.equal(metrics.n, 40);
  assert.equal(metrics.predictions, undefined);
  assert.match(r.stdout, new RegExp(`^accuracy\\s+\\[validation\\]\\s+${metrics.metrics.accuracy!.toFixed(4)}$`, 'm'));
  assert.equal(readFileSync(join(out, 'predictions.jsonl'), 'utf8').trim().split('\n').length, 40);
  assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /<section id="learning-curves">.*log\.jsonl/s);
});

test('the test split is evaluated once: a second run fails naming the first, --force goes on and is recorded', () => {
  const out = join(tmp, 'out-test');
  const first = lengua('evaluate', '--model', modelDir, '--data', testFile, '--out', out, '--json');
  assert.equal(first.status, 0, first.stderr);
  const j = JSON.parse(first.stdout) as { split: string; dataSha256: string; out: string };
  assert.equal(j.split, 'test');
  assert.equal(j.out, out);
  assert.ok(existsSync(join(out, 'report.html')));
  const second = lengua('evaluate', '--model', modelDir, '--data', testFile, '--out', out);
  assert.equal(second.status, 1);
  assert.match(second.stderr, /evaluations\.json, field "split": this model's test split was already evaluated on .*test\.csv, sha256 [0-9a-f]{12}….*--force/);
  // Calling the same file something else does not help: --split test is what counts.
  const renamed = lengua('evaluate', '--model', modelDir, '--data', devFile, '--split', 'test');
  assert.equal(renamed.status, 1);
  const forced = lengua('evaluate', '--model', modelDir, '--data', testFile, '--out', out, '--force');
  assert.equal(forced.status, 0, forced.stderr);
  assert.match(forced.stdout, /--force given, recorded as forced/);
  const recs = (JSON.parse(readFileSync(join(modelDir, 'evaluations.json'), 'utf8')) as { evaluations: Array<{ split: string; forced?: boolean; dataSha256: string }> }).evaluations;
  const tests = recs.filter((x) => x.split === 'test');
  assert.equal(tests.length, 2);
  assert.equal(tests[1]!.forced, true);
  assert.equal(tests[0]!.dataSha256, j.dataSha256);
});

test('bad input: unknown labels named, label-map id, missing model folder', () => {
  const other = join(tmp, 'val-other.csv');
  writeFileSync(other, 'text,label\nhola,bien\nadios,mal\n');
  const r = lengua('evaluate', '--model', `baseline:${modelDir}`, '--data', other);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /"bien", "mal" are not among the model's labels \(negative, neutral, positive\)/);
  const byId = lengua('evaluate', '--model', `baseline:${modelDir}`, '--data', other, '--label-map', 'id', '--out', join(tmp, 'o2'));
  assert.equal(byId.status, 0, byId.stderr);
  const missing = lengua('evaluate', '--model', `baseline:${join(tmp, 'nope')}`, '--data', devFile);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /nope: not a baseline folder/);
});

test('evaluate a transformer folder (golden BERT, 3 labels)', { skip: skipWithoutGolden }, () => {
  const dir = join(tmp, 'bert');
  cpSync(golden('fixtures', 'bert-synth-seqcls'), dir, { recursive: true });
  const r = lengua('evaluate', '--model', dir, '--data', devFile, '--split', 'validation', '--json');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { model: { kind: string }; n: number; labels: string[]; metrics: Record<string, number> };
  assert.equal(j.model.kind, 'BertForSequenceClassification');
  assert.equal(j.n, 40);
  assert.deepEqual(j.labels, ['negative', 'neutral', 'positive']);
  assert.ok(j.metrics.log_loss! > 0);
  assert.ok(existsSync(join(dir, 'eval-validation', 'report.html')));
});
