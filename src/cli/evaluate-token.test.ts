// `lengua evaluate` on a token classifier, run as a user runs it (child processes): the tiny golden BERT trained on a
// context-only NER task, evaluated on libtorch (its folder) and on ONNX Runtime (its export). Both give the same word
// tags; the metrics are the training run's own eval metrics and entityMetrics of predictions.jsonl; the entities'
// character offsets slice the text to their words and are the entities `lengua predict` prints; the test split is
// evaluated once; bad input names its file and line.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './testing.js';
import { entityMetrics } from '../metrics/index.js';
import { GOLDEN, TINY_MODEL } from '../train/testing/task.js';
import { nerTask, toConll } from '../train/testing/ner.js';

const skip = GOLDEN === null ? 'no goldens' : false;
const root = mkdtempSync(join(tmpdir(), 'lengua-cli-eval-ner-'));
after(() => rmSync(root, { recursive: true, force: true }));

const model = join(root, 'ner');
const exported = join(root, 'ner-onnx');
const devFile = join(root, 'dev.conll');
const dev = nerTask(60, 2);

function lengua(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = runCli([...args], { timeout: 300_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Row {
  split: string;
  line: number;
  text: string;
  words: string[];
  tags: string[];
  predicted: string[];
  entities: Array<{ type: string; start: number; end: number; text: string; word_start: number; word_end: number }>;
  gold_entities: Row['entities'];
}

const rows = (dir: string): Row[] => readFileSync(join(dir, 'predictions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Row);

before(() => {
  if (skip !== false) return;
  const train = join(root, 'train.conll');
  writeFileSync(train, toConll(nerTask(200, 1)));
  writeFileSync(devFile, `-DOCSTART- -X- O O\n\n${toConll(dev)}`);
  const r = lengua(
    'train', '--task', 'token-classification', '--model', TINY_MODEL, '--train', train, '--eval', devFile, '--out', model,
    '--max-steps', '300', '--learning-rate', '5e-3', '--per-device-train-batch-size', '16', '--save-strategy', 'no', '--seed', '1', '--threads', '1', '--quiet',
  );
  assert.equal(r.status, 0, r.stderr);
});

test('evaluate a token-classification folder: the training run\'s eval metrics, rescored predictions, offsets, report, record', { skip }, () => {
  const r = lengua('evaluate', '--model', model, '--data', devFile, '--threads', '1', '--json');
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as { split: string; engine: string; n: number; tokens: number; metrics: Record<string, number>; perType: Record<string, { f1: number }>; out: string };
  assert.equal(summary.split, 'validation');
  assert.equal(summary.engine, 'torch (libtorch)');
  assert.equal(summary.n, 60);
  // Same words, same first-subword encoding, same weights: the training run scored these very tags. (A tag could
  // only differ on a top-2 logit margin within float32 rounding of a different batch shape; the trained model's
  // margins are orders of magnitude wider.)
  const trained = JSON.parse(readFileSync(join(model, 'eval_results.json'), 'utf8')) as Record<string, number>;
  for (const k of ['precision', 'recall', 'f1', 'accuracy']) assert.equal(summary.metrics[k], trained[`eval_${k}`], k);
  assert.ok(summary.metrics.f1! > 0.85, `f1 ${summary.metrics.f1}`);
  const out = join(model, 'eval-validation');
  assert.equal(summary.out, out);
  const preds = rows(out);
  assert.deepEqual(preds.map((p) => [p.words, p.tags, p.split]), dev.map((s) => [s.tokens, s.tags, 'validation']));
  const training = readFileSync(join(model, 'eval_predictions.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { predictions: string[] }).predictions);
  assert.deepEqual(preds.map((p) => p.predicted), training);
  const m = entityMetrics(preds.map((p) => p.tags), preds.map((p) => p.predicted), { scheme: 'IOB2' });
  assert.equal(summary.metrics.f1, m.micro.f1);
  assert.equal(summary.metrics.precision, m.micro.precision);
  assert.equal(summary.metrics.recall, m.micro.recall);
  assert.equal(summary.metrics.accuracy, m.accuracy);
  assert.equal(summary.metrics.macro_f1, m.macro.f1);
  assert.deepEqual(Object.fromEntries(Object.entries(summary.perType).map(([k, v]) => [k, v.f1])), Object.fromEntries(Object.entries(m.perType).map(([k, v]) => [k, v.f1])));
  assert.equal(preds.reduce((a, p) => a + p.entities.length, 0), m.micro.predicted);
  for (const p of preds) {
    assert.equal(p.text, p.words.join(' '));
    for (const e of [...p.entities, ...p.gold_entities]) {
      assert.equal(p.text.slice(e.start, e.end), p.words.slice(e.word_start, e.word_end).join(' '));
      assert.equal(e.text, p.text.slice(e.start, e.end));
    }
  }
  // The first sentence starts on line 3, after the -DOCSTART- line and a blank line.
  assert.equal(preds[0]!.line, 3);
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  assert.match(html, /validation split/);
  assert.match(html, /id="per-type"/);
  const record = JSON.parse(readFileSync(join(model, 'evaluations.json'), 'utf8')) as { evaluations: Array<{ split: string; metrics: Record<string, number> }> };
  assert.deepEqual(record.evaluations.map((e) => [e.split, e.metrics.f1]), [['validation', summary.metrics.f1]]);

  // The same data in IOB1 (an entity starts with I- unless it follows one of its type) scores the same.
  const iob1 = join(root, 'dev-iob1.conll');
  writeFileSync(iob1, toConll(dev.map((s) => ({ tokens: s.tokens, tags: s.tags.map((t) => t.replace(/^B-/, 'I-')) }))));
  const again = lengua('evaluate', '--model', model, '--data', iob1, '--scheme', 'IOB1', '--split', 'validation', '--out', join(root, 'iob1-out'), '--threads', '1');
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /IOB1 converted to IOB2/);
  assert.deepEqual(rows(join(root, 'iob1-out')).map((p) => [p.tags, p.predicted]), preds.map((p) => [p.tags, p.predicted]));
});

test('the ONNX export gives the same word tags, and `lengua predict` prints the same entities at the same offsets', { skip }, () => {
  const ex = lengua('export', '--model', model, '--out', exported);
  assert.equal(ex.status, 0, ex.stderr);
  const r = lengua('evaluate', '--model', exported, '--data', devFile, '--threads', '1', '--out', join(root, 'onnx-eval'));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /engine: onnx \(ONNX Runtime\)/);
  const onnx = rows(join(root, 'onnx-eval'));
  const torch = rows(join(model, 'eval-validation'));
  // Tags are argmaxes: ORT and libtorch logits differ by float32 rounding, far inside the trained model's margins.
  assert.deepEqual(onnx.map((p) => p.predicted), torch.map((p) => p.predicted));
  const metrics = (dir: string) => (JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) as { metrics: unknown }).metrics;
  assert.deepEqual(metrics(join(root, 'onnx-eval')), metrics(join(model, 'eval-validation')));

  // predict's 'first' aggregation groups the same first-subword labels by B-/I- as conlleval chunks them.
  const texts = join(root, 'texts.txt');
  writeFileSync(texts, onnx.map((p) => p.text).join('\n') + '\n');
  const p = lengua('predict', '--model', exported, '--input', texts);
  assert.equal(p.status, 0, p.stderr);
  const printed = p.stdout.trim().split('\n').map((l) => JSON.parse(l) as { line: number; text: string; entities: Array<{ entity_group: string; start: number; end: number }> });
  assert.equal(printed.length, onnx.length);
  printed.forEach((x, i) => {
    assert.equal(x.text, onnx[i]!.text);
    assert.deepEqual(x.entities.map((e) => [e.entity_group, e.start, e.end]), onnx[i]!.entities.map((e) => [e.type, e.start, e.end]));
  });
  const one = lengua('predict', '--model', exported, 'in lo mr ka sa');
  assert.equal(one.status, 0, one.stderr);
  assert.match(one.stdout, /^"in lo mr ka sa"\t/);
});

test('a test split is evaluated once (by name or content); bad input is refused naming the file, line or flag', { skip }, () => {
  const testFile = join(root, 'ner.test.conll');
  writeFileSync(testFile, toConll(nerTask(30, 3)));
  const first = lengua('evaluate', '--model', model, '--data', testFile, '--threads', '1');
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /split: {2}test \(from the file name\)/);
  const second = lengua('evaluate', '--model', model, '--data', testFile, '--threads', '1');
  assert.equal(second.status, 1);
  assert.match(second.stderr, /this model's test split was already evaluated/);
  const renamed = join(root, 'other.conll');
  copyFileSync(testFile, renamed);
  const same = lengua('evaluate', '--model', model, '--data', renamed, '--split', 'validation', '--threads', '1');
  assert.equal(same.status, 1);
  assert.match(same.stderr, /is the test set this model was already evaluated on \(same sha256\)/);
  const forced = lengua('evaluate', '--model', model, '--data', testFile, '--force', '--out', join(root, 'forced'), '--threads', '1');
  assert.equal(forced.status, 0, forced.stderr);
  const record = JSON.parse(readFileSync(join(model, 'evaluations.json'), 'utf8')) as { evaluations: Array<{ split: string; forced?: boolean }> };
  assert.deepEqual(record.evaluations.filter((e) => e.split === 'test').map((e) => e.forced === true), [false, true]);

  // Line 5 holds a tag the model never learned.
  const bad = join(root, 'bad.conll');
  writeFileSync(bad, 'in O\nbo B-LOC\n\nmr O\nka B-ORG\n');
  const unknown = lengua('evaluate', '--model', model, '--data', bad);
  assert.equal(unknown.status, 1);
  assert.ok(unknown.stderr.includes(`${bad}:5, field "tag": tag "B-ORG" is not among the model's labels (O, B-LOC, I-LOC, B-PER, I-PER)`), unknown.stderr);
  assert.ok(!existsSync(join(model, 'eval-unspecified')), 'nothing written for refused data');
  const seqcls = lengua('evaluate', '--model', TINY_MODEL, '--data', devFile);
  assert.equal(seqcls.status, 1);
  assert.match(seqcls.stderr, /CoNLL file, which scores token classifiers .*BertForSequenceClassification/);
  const csv = join(root, 'x.csv');
  writeFileSync(csv, 'text,label\na,b\n');
  const notConll = lengua('evaluate', '--model', model, '--data', csv);
  assert.equal(notConll.status, 1);
  assert.match(notConll.stderr, /is a token classifier: --data must be a CoNLL file/);
  const column = lengua('evaluate', '--model', model, '--data', devFile, '--text-column', 'x');
  assert.equal(column.status, 1);
  assert.match(column.stderr, /--text-column do not apply to a token classifier/);
  const onnxEngine = lengua('evaluate', '--model', model, '--data', devFile, '--engine', 'onnx', '--out', join(root, 'x'));
  assert.equal(onnxEngine.status, 1);
  assert.match(onnxEngine.stderr, /--engine onnx needs onnx\/model\.onnx/);
});
