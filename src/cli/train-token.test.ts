// `lengua train --task token-classification` run as a user runs it (child processes): the tiny golden BERT
// learns a context-only NER task from .conll files, the saved folder carries the tag set as id2label, the
// written word tags rescore to the reported metrics, and bad input is refused naming the file and line.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliAsync } from './testing.js';
import { entityMetrics } from '../metrics/index.js';
import { GOLDEN, TINY_MODEL } from '../train/testing/task.js';
import { NER_LABELS, nerTask, toConll } from '../train/testing/ner.js';

const skip = GOLDEN === null ? 'no goldens' : false;
const root = mkdtempSync(join(tmpdir(), 'lengua-cli-ner-'));
after(() => rmSync(root, { recursive: true, force: true }));

const lengua = (argv: string[]): Promise<{ code: number; out: string; err: string }> => runCliAsync(argv, { LENGUA_NUM_THREADS: '1' });

const trainFile = join(root, 'train.conll');
const devFile = join(root, 'dev.conll');
const dev = nerTask(60, 2);
before(() => {
  writeFileSync(trainFile, toConll(nerTask(200, 1)));
  writeFileSync(devFile, `-DOCSTART- -X- O O\n\n${toConll(dev)}`);
});

test('train --task token-classification learns the entities, saves id2label and word tags that rescore to its metrics', { skip }, async () => {
  const out = join(root, 'ner');
  const r = await lengua([
    'train', '--task', 'token-classification', '--model', TINY_MODEL, '--train', trainFile, '--eval', devFile, '--out', out,
    '--max-steps', '300', '--learning-rate', '5e-3', '--per-device-train-batch-size', '16', '--save-strategy', 'no', '--seed', '1', '--threads', '1', '--quiet', '--json',
  ]);
  assert.equal(r.code, 0, r.err);
  const { metrics, labels } = JSON.parse(r.out) as { metrics: Record<string, number>; labels: string[] };
  assert.deepEqual(labels, NER_LABELS);
  assert.ok(metrics.eval_f1! > 0.85, `f1 ${metrics.eval_f1}`);
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'eval_results.json', 'all_results.json', 'train_results.json', 'trainer_state.json']) assert.ok(existsSync(join(out, f)), f);
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { id2label: Record<string, string>; label2id: Record<string, number>; architectures: string[] };
  assert.deepEqual(config.id2label, Object.fromEntries(NER_LABELS.map((l, i) => [String(i), l])));
  assert.deepEqual(config.label2id, Object.fromEntries(NER_LABELS.map((l, i) => [l, i])));
  assert.deepEqual(config.architectures, ['BertForTokenClassification']);

  const preds = readFileSync(join(out, 'eval_predictions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { tokens: string[]; tags: string[]; predictions: string[] });
  assert.deepEqual(preds.map((p) => [p.tokens, p.tags]), dev.map((s) => [s.tokens, s.tags]));
  const written = JSON.parse(readFileSync(join(out, 'eval_results.json'), 'utf8')) as Record<string, number>;
  const m = entityMetrics(preds.map((p) => p.tags), preds.map((p) => p.predictions), { scheme: 'IOB2' });
  assert.equal(written.eval_f1, m.micro.f1);
  assert.equal(written.eval_precision, m.micro.precision);
  assert.equal(written.eval_recall, m.micro.recall);
  assert.equal(written.eval_accuracy, m.accuracy);
  assert.equal(metrics.eval_f1, written.eval_f1);

  // The trained folder trains on (its head kept: same labels), with --label-all-tokens, from an .iob file without --task.
  const iob = join(root, 'more.iob');
  writeFileSync(iob, toConll(dev));
  const again = await lengua(['train', '--model', out, '--train', iob, '--out', join(root, 'ner2'), '--max-steps', '2', '--label-all-tokens', '--save-strategy', 'no', '--threads', '1', '--quiet', '--json']);
  assert.equal(again.code, 0, again.err);
  assert.deepEqual((JSON.parse(again.out) as { labels: string[] }).labels, NER_LABELS);
});

test('bad token-classification input is a LenguaError naming the file and line', { skip }, async () => {
  // Line 4 of the eval file holds a tag the training file never has.
  const bad = join(root, 'bad.conll');
  writeFileSync(bad, 'in O\nbo B-LOC\n\nka B-ORG\n');
  const r = await lengua(['train', '--task', 'token-classification', '--model', TINY_MODEL, '--train', trainFile, '--eval', bad, '--out', join(root, 'x1'), '--max-steps', '1', '--quiet']);
  assert.notEqual(r.code, 0);
  assert.match(r.err, new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4, field "tag": tag "B-ORG" is not among the model's labels \\(O, B-LOC, I-LOC, B-PER, I-PER\\)`));

  // --format conll reads any extension; a file that is not CoNLL fails at its line.
  const txt = join(root, 'train.txt');
  writeFileSync(txt, 'in O\nbo B-LOC\nthree cells here X\n');
  const t = await lengua(['train', '--task', 'token-classification', '--format', 'conll', '--model', TINY_MODEL, '--train', txt, '--out', join(root, 'x2'), '--quiet']);
  assert.notEqual(t.code, 0);
  assert.match(t.err, /train\.txt:3, field "tag": tag "X" is not O, B-TYPE or I-TYPE/);
  const noFormat = await lengua(['train', '--task', 'token-classification', '--model', TINY_MODEL, '--train', txt, '--out', join(root, 'x3'), '--quiet']);
  assert.notEqual(noFormat.code, 0);
  assert.match(noFormat.err, /--train: token classification reads CoNLL files .*--format conll/);
  const wrongTask = await lengua(['train', '--model', TINY_MODEL, '--train', join(root, 'x.csv'), '--label-all-tokens', '--out', join(root, 'x4'), '--quiet']);
  assert.notEqual(wrongTask.code, 0);
  assert.match(wrongTask.err, /--label-all-tokens applies to --task token-classification/);
});
