// `lengua train --task question-answering` run as a user runs it (child processes): the tiny golden QA BERT
// learns a synthetic QA task from SQuAD JSONL, eval_predictions.jsonl rescores (SQuAD v1.1) to the reported
// EM/F1, the saved folder reloads as a QA model, and bad input is refused naming the file, line and flag.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliAsync } from './testing.js';
import { squadV1 } from '../metrics/index.js';
import { GOLDEN_QA, TINY_QA_MODEL, qaTask, toSquadJsonl } from '../train/testing/qa.js';

const skip = GOLDEN_QA === null ? 'no goldens' : false;
const root = mkdtempSync(join(tmpdir(), 'lengua-cli-qa-'));
after(() => rmSync(root, { recursive: true, force: true }));

const lengua = (argv: string[]): Promise<{ code: number; out: string; err: string }> => runCliAsync(argv, { LENGUA_NUM_THREADS: '1' });

const trainFile = join(root, 'train.jsonl');
const devFile = join(root, 'dev.jsonl');
const dev = qaTask(60, 2);
before(() => {
  writeFileSync(trainFile, toSquadJsonl(qaTask(240, 1)));
  writeFileSync(devFile, toSquadJsonl(dev));
});

const FAST = ['--learning-rate', '1e-2', '--per-device-train-batch-size', '32', '--hidden-dropout-prob', '0', '--attention-probs-dropout-prob', '0', '--save-strategy', 'no', '--threads', '1', '--quiet'];

test('train --task question-answering learns the task and writes predictions that rescore to its EM/F1', { skip }, async () => {
  const out = join(root, 'qa');
  const r = await lengua([
    'train', '--task', 'question-answering', '--model', TINY_QA_MODEL, '--train', trainFile, '--eval', devFile, '--out', out,
    '--max-steps', '200', '--seed', '1', '--max-seq-length', '64', '--doc-stride', '16', '--max-answer-length', '10', '--json', ...FAST,
  ]);
  assert.equal(r.code, 0, r.err);
  const { metrics, settings } = JSON.parse(r.out) as { metrics: Record<string, number>; settings: Record<string, unknown> };
  assert.deepEqual(settings, { maxSeqLength: 64, docStride: 16, maxAnswerLength: 10, nBestSize: 20, version2WithNegative: false });
  assert.ok(metrics.eval_exact_match! > 60, `EM ${metrics.eval_exact_match}`);
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'eval_results.json', 'all_results.json', 'train_results.json', 'trainer_state.json']) assert.ok(existsSync(join(out, f)), f);
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { architectures: string[] };
  assert.deepEqual(config.architectures, ['BertForQuestionAnswering']);

  const lines = readFileSync(join(out, 'eval_predictions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; question: string; prediction: string; answers: string[]; em: number; f1: number });
  assert.deepEqual(lines.map((l) => [l.id, l.question, l.answers]), dev.map((e) => [e.id, e.question, e.answers!.text]));
  const s = squadV1(lines.map((l) => ({ id: l.id, answers: l.answers })), Object.fromEntries(lines.map((l) => [l.id, l.prediction])));
  const written = JSON.parse(readFileSync(join(out, 'eval_results.json'), 'utf8')) as Record<string, number>;
  assert.equal(written.eval_exact_match, s.exactMatch);
  assert.equal(written.eval_f1, s.f1);
  assert.equal(metrics.eval_f1, written.eval_f1);
  // The per-question em/f1 average (×100) to the same scores; the sums run in the same order.
  assert.equal((100 * lines.reduce((a, l) => a + l.em, 0)) / lines.length, s.exactMatch);
  assert.equal((100 * lines.reduce((a, l) => a + l.f1, 0)) / lines.length, s.f1);

  // The trained folder trains on as a QA model, with unanswerable questions under --version-2-with-negative.
  const v2File = join(root, 'v2.jsonl');
  writeFileSync(v2File, toSquadJsonl(qaTask(40, 3, { unanswerable: 0.5 })));
  const again = await lengua(['train', '--task', 'question-answering', '--model', out, '--train', v2File, '--eval', v2File, '--out', join(root, 'qa2'), '--max-steps', '2', '--max-seq-length', '64', '--doc-stride', '16', '--version-2-with-negative', '--json', ...FAST]);
  assert.equal(again.code, 0, again.err);
  const m2 = (JSON.parse(again.out) as { metrics: Record<string, number> }).metrics;
  assert.ok(m2.eval_NoAns_total! > 0 && m2.eval_HasAns_total! > 0, JSON.stringify(m2));
});

test('bad question-answering input is a LenguaError naming the file, line or flag', { skip }, async () => {
  const run = (extra: string[], train = trainFile): Promise<{ code: number; out: string; err: string }> =>
    lengua(['train', '--task', 'question-answering', '--model', TINY_QA_MODEL, '--train', train, '--out', join(root, `x${Math.random().toString(36).slice(2)}`), '--max-steps', '1', ...extra, ...FAST]);
  // Line 2's answer is not at its offset in the context.
  const bad = join(root, 'bad.jsonl');
  writeFileSync(bad, `${toSquadJsonl(dev.slice(0, 1))}${JSON.stringify({ id: 'b', question: 'who', context: 'mr bo ka', answers: { text: ['bo ka'], answer_start: [2] } })}\n`);
  const a = await run(['--max-seq-length', '64'], bad);
  assert.notEqual(a.code, 0);
  assert.match(a.err, /bad\.jsonl:2, field "answers\.answer_start": answer 0 "bo ka" is not at offset 2 of the context/);
  // Unanswerable questions without --version-2-with-negative.
  const v2 = join(root, 'unanswerable.jsonl');
  writeFileSync(v2, toSquadJsonl(qaTask(30, 3, { unanswerable: 1 })));
  const b = await run(['--max-seq-length', '64'], v2);
  assert.notEqual(b.code, 0);
  assert.match(b.err, /unanswerable\.jsonl:\d+, field "answers": --train: question "q\d+" has no answer; unanswerable questions need --version-2-with-negative/);
  const c = await run(['--max-length', '64']);
  assert.match(c.err, /--max-length: question answering takes --max-seq-length/);
  const d = await run(['--max-seq-length', '64', '--null-score-diff-threshold', '1']);
  assert.match(d.err, /--null-score-diff-threshold applies with --version-2-with-negative/);
  const e = await run(['--max-seq-length', '64', '--doc-stride', 'x']);
  assert.match(e.err, /field "--doc-stride": expected a whole number in \[0, 100000\], got "x"/);
  // QA flags with another task.
  const f = await lengua(['train', '--model', TINY_QA_MODEL, '--train', join(root, 'x.csv'), '--doc-stride', '64', '--out', join(root, 'x-other'), '--quiet']);
  assert.notEqual(f.code, 0);
  assert.match(f.err, /--doc-stride applies to --task question-answering/);
});
