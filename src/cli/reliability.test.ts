// Issue 9 as a user meets it: the real `lengua` in child processes. Nothing lost (a finished run is not
// replaced, two runs do not share a folder), nothing silently wrong (a diverged run, one-class data, a
// second look at a test set under another name, generation past the positions), and output-path
// problems as one line naming the path, not a stack trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, runCli, sampleTrainValidation } from './testing.js';
import { golden, skipWithoutGolden as skip } from '../testing/golden.js';
import { keywordTask } from '../train/testing/task.js';
import { describeError } from './program.js';

const lengua = (...args: string[]) => runCli(args, { timeout: 180_000 });
const F = (): string => golden('fixtures', 'bert-synth-seqcls');

function keywordCsv(path: string, n: number, seed: number, names = ['kw_x', 'kw_y', 'kw_z']): string {
  const rows = keywordTask(n, seed);
  writeFileSync(path, 'text,label\n' + rows.texts.map((t, i) => `${t},${names[rows.labels[i]!]}`).join('\n') + '\n');
  return path;
}

/** No stack trace: the one-line `lengua: ...` error only. */
function assertOneLineError(stderr: string): void {
  assert.doesNotMatch(stderr, /\n\s+at /, `a stack trace was printed:\n${stderr}`);
  assert.match(stderr, /^lengua: /m);
}

test('train refuses an output folder holding a finished run; --overwrite-output-dir replaces it; predict answers from the kept weights', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lengua-cli-overwrite-'));
  try {
    const T = keywordCsv(join(dir, 'train.csv'), 48, 7);
    const R = join(dir, 'run');
    const a = lengua('train', '--model', F(), '--train', T, '--out', R, '--max-steps', '2', '--save-strategy', 'no', '--quiet');
    assert.equal(a.status, 0, a.stderr);
    const weights = readFileSync(join(R, 'model.safetensors'));
    const before = lengua('predict', '--model', R, '--json', 'hola');
    assert.equal(before.status, 0, before.stderr);

    const b = lengua('train', '--model', 'baseline:tfidf-logreg', '--train', T, '--out', R);
    assert.equal(b.status, 1);
    assertOneLineError(b.stderr);
    assert.match(b.stderr, /output folder .*run is not empty .*holds a trained model.*--overwrite-output-dir.*--resume-from-checkpoint/);
    assert.deepEqual(readFileSync(join(R, 'model.safetensors')), weights, 'the trained weights are untouched');
    const after = lengua('predict', '--model', R, '--json', 'hola');
    assert.equal(after.stdout, before.stdout, 'predict answers from the same trained weights');

    const c = lengua('train', '--model', 'baseline:tfidf-logreg', '--train', T, '--out', R, '--overwrite-output-dir');
    assert.equal(c.status, 0, c.stderr);
    // The baseline writes its own model.safetensors; the transformer's config.json and tokenizer must not
    // survive beside it (predict would pair them and answer from mismatched weights).
    assert.ok(!existsSync(join(R, 'config.json')) && !existsSync(join(R, 'tokenizer.json')) && !existsSync(join(R, 'vocab.txt')), 'the old transformer files are gone');
    assert.ok(existsSync(join(R, 'lengua-baseline.json')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a second lengua train into the folder of a running one is refused, naming the running one', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lengua-cli-lock-'));
  try {
    const T = keywordCsv(join(dir, 'train.csv'), 48, 7);
    const R = join(dir, 'run');
    // A run long enough to still be going while the second starts; killed at the end.
    const first = spawn(process.execPath, [BIN, 'train', '--model', F(), '--train', T, '--out', R, '--max-steps', '1000000', '--save-strategy', 'no', '--quiet'], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 600 && !existsSync(join(R, '.lengua.lock')); i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok(existsSync(join(R, '.lengua.lock')), 'the first run locked its folder');
      const second = lengua('train', '--model', 'baseline:tfidf-logreg', '--train', T, '--out', R, '--overwrite-output-dir');
      assert.equal(second.status, 1);
      assertOneLineError(second.stderr);
      assert.match(second.stderr, new RegExp(`is in use by another run: lengua train \\(pid ${first.pid} `));
    } finally {
      await new Promise<void>((res) => {
        first.once('exit', () => res());
        first.kill('SIGKILL');
      });
    }
    // The killed run's lock is stale: the next run takes the folder (its partial files need the overwrite).
    const third = lengua('train', '--model', 'baseline:tfidf-logreg', '--train', T, '--out', R, '--overwrite-output-dir');
    assert.equal(third.status, 0, third.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--learning-rate 1e10 diverges: exit 1, the error says so, no model is saved', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lengua-cli-nan-'));
  try {
    const T = keywordCsv(join(dir, 'train.csv'), 48, 7);
    const R = join(dir, 'run');
    const r = lengua('train', '--model', F(), '--train', T, '--out', R, '--learning-rate', '1e10', '--max-steps', '20', '--quiet');
    assert.equal(r.status, 1, r.stderr);
    assertOneLineError(r.stderr);
    assert.match(r.stderr, /training diverged at step \d+/);
    assert.ok(!existsSync(join(R, 'model.safetensors')));
    const p = lengua('predict', '--model', R, 'hola');
    assert.equal(p.status, 1, 'no model to answer from');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('training a transformer or the baseline on one-class data is refused', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lengua-cli-oneclass-'));
  try {
    const T = join(dir, 'train.csv');
    writeFileSync(T, 'text,label\nhola,pos\nque tal,pos\nbien,pos\n');
    for (const model of [F(), 'baseline:tfidf-logreg']) {
      const r = lengua('train', '--model', model, '--train', T, '--out', join(dir, 'run'), '--quiet');
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /need at least 2 labels to train a classifier, got 1 \("pos"\)/);
      assert.ok(!existsSync(join(dir, 'run', 'config.json')) && !existsSync(join(dir, 'run', 'lengua-baseline.json')));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a test set is evaluated once, whatever the split name or the file name; train warns on a test file', () => {
  const s = sampleTrainValidation('lengua-cli-testonce-');
  try {
    const model = join(s.dir, 'model');
    const test = join(s.dir, 'test.csv');
    copyFileSync(s.validation, test);
    const warn = lengua('train', '--model', 'baseline:tfidf-logreg', '--train', test, '--out', join(s.dir, 'oops'));
    assert.match(warn.stderr, /warning: --train .*test\.csv is named like a test split/);
    const t = lengua('train', '--model', 'baseline:tfidf-logreg', '--train', s.train, '--out', model);
    assert.equal(t.status, 0, t.stderr);
    const first = lengua('evaluate', '--model', `baseline:${model}`, '--data', test);
    assert.equal(first.status, 0, first.stderr);
    // The same content as "validation", and under another file name: the same test set.
    const renamed = lengua('evaluate', '--model', `baseline:${model}`, '--data', test, '--split', 'validation');
    assert.equal(renamed.status, 1);
    assert.match(renamed.stderr, /this data \(split "validation"\) is the test set this model was already evaluated on \(same sha256\)/);
    const copy = join(s.dir, 'holdout-copy.csv');
    copyFileSync(test, copy);
    const copied = lengua('evaluate', '--model', `baseline:${model}`, '--data', copy);
    assert.equal(copied.status, 1);
    assert.match(copied.stderr, /same sha256/);
    // Other data under another split is fine.
    const val = lengua('evaluate', '--model', `baseline:${model}`, '--data', s.train, '--split', 'validation', '--out', join(s.dir, 'ev'));
    assert.equal(val.status, 0, val.stderr);
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});

test('generate refuses more new tokens than the positions left, saying how many fit', { skip }, () => {
  const r = lengua('generate', '--model', golden('fixtures', 'gpt2-fake-lmbuddy'), '--max-new-tokens', '100000', 'Hello');
  assert.equal(r.status, 1);
  assertOneLineError(r.stderr);
  assert.match(r.stderr, /plus 100000 new tokens is more than the (\d+) positions the model has \(n_positions\); ask for at most \d+ new tokens/);
});

test('output-path problems are one line naming the path, before any work: --out is a file, or a place that cannot be written', () => {
  const s = sampleTrainValidation('lengua-cli-outpath-');
  try {
    const file = join(s.dir, 'a-file');
    writeFileSync(file, 'x');
    const cases: string[][] = [
      ['train', '--model', 'baseline:tfidf-logreg', '--train', s.train, '--out', file],
      ['cv', '--model', 'baseline:tfidf-logreg', '--train', s.train, '--folds', '2', '--out', file],
      ['train', '--model', 'baseline:tfidf-logreg', '--train', s.train, '--out', join(file, 'sub')],
    ];
    for (const args of cases) {
      const r = lengua(...args);
      assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
      assertOneLineError(r.stderr);
      assert.match(r.stderr, /a-file/);
      assert.match(r.stderr, /is a file; --out names a folder|a part of the path is a file/);
    }
    // /sys refuses new folders even to root (EPERM or EROFS).
    if (existsSync('/sys/kernel')) {
      const r = lengua('train', '--model', 'baseline:tfidf-logreg', '--train', s.train, '--out', '/sys/lengua-out');
      assert.equal(r.status, 1);
      assertOneLineError(r.stderr);
      assert.match(r.stderr, /--out \/sys\/lengua-out: (operation not permitted|the file system is read-only|permission denied)/);
    }
    const model = join(s.dir, 'model');
    assert.equal(lengua('train', '--model', 'baseline:tfidf-logreg', '--train', s.train, '--out', model).status, 0);
    const ev = lengua('evaluate', '--model', `baseline:${model}`, '--data', s.validation, '--out', file);
    assert.equal(ev.status, 1);
    assertOneLineError(ev.stderr);
    assert.match(ev.stderr, /a-file is a file/);
    assert.ok(!existsSync(join(model, 'evaluations.json')), 'nothing recorded for an evaluation that wrote nothing');
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});

test('a full disk is described with the path and what to do; an unexpected error says it is a bug and how to see the trace', () => {
  let full: unknown;
  try {
    writeFileSync('/dev/full', 'x');
  } catch (err) {
    full = err;
  }
  assert.ok(full !== undefined, '/dev/full refuses writes');
  (full as NodeJS.ErrnoException).path = '/runs/a/model.safetensors';
  assert.equal(describeError(full), '/runs/a/model.safetensors: the disk is full; free some space or choose another disk (files written so far are left whole)');
  assert.match(describeError(new TypeError('x is undefined')), /^unexpected error \(a bug in lengua; please report it\): TypeError: x is undefined\. Run again with --debug/);
});

test('predict streams --input files (text lines, CSV with ids, JSONL) and stdin as JSON lines in input order', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lengua-cli-predict-input-'));
  try {
    const texts = Array.from({ length: 70 }, (_, i) => `texto número ${i}`);
    const args = (text: string): string[] => ['predict', '--model', F(), '--json', '--top-k', '3', text];
    const want = JSON.parse(lengua(...args(texts[0]!)).stdout) as unknown[][];
    const lines = join(dir, 'in.txt');
    writeFileSync(lines, texts.join('\n') + '\n\n');
    const r = lengua('predict', '--model', F(), '--input', lines, '--batch-size', '16', '--top-k', '3');
    assert.equal(r.status, 0, r.stderr);
    const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { line: number; text: string; label: string; score: number; predictions: unknown[] });
    assert.equal(out.length, 70, 'the blank line is skipped');
    out.forEach((o, i) => {
      assert.equal(o.line, i + 1);
      assert.equal(o.text, texts[i]);
    });
    // The same labels and scores as the text given alone (batched with padding: float32 rounding apart).
    const got = out[0]!.predictions as Array<{ label: string; score: number }>;
    (want[0] as Array<{ label: string; score: number }>).forEach((w, k) => {
      assert.equal(got[k]!.label, w.label);
      assert.ok(Math.abs(got[k]!.score - w.score) < 1e-5, `${got[k]!.score} vs ${w.score}`);
    });

    const csvFile = join(dir, 'in.csv');
    writeFileSync(csvFile, 'id,tweet\na1,"hola, amigo"\na2,"dos\nlíneas"\n');
    const c = lengua('predict', '--model', F(), '--input', csvFile, '--id-column', 'id');
    assert.equal(c.status, 0, c.stderr);
    assert.deepEqual(c.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { id: string; text: string }).id), ['a1', 'a2']);

    const jsonl = join(dir, 'in.jsonl');
    writeFileSync(jsonl, '{"text":"uno"}\n"dos"\n{"text": 3}\n');
    const j = lengua('predict', '--model', F(), '--input', jsonl);
    assert.equal(j.status, 1);
    assert.match(j.stderr, /in\.jsonl:3, field "text": "text" is not a string/);

    const piped = runCli(['predict', '--model', F()], { input: 'uno\ndos\n', timeout: 120_000 });
    assert.equal(piped.status, 0, piped.stderr);
    assert.equal(piped.stdout.trim().split('\n').length, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('train and evaluate on a file without a label column name the columns found and the flag to use', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lengua-cli-nolabel-'));
  try {
    const T = join(dir, 'train.csv');
    writeFileSync(T, 'id,tweet,polarity\n1,good day,pos\n2,bad day,neg\n3,fine day,pos\n4,awful day,neg\n');
    const t = lengua('train', '--model', 'baseline:tfidf-logreg', '--train', T, '--text-column', 'tweet', '--out', join(dir, 'run'));
    assert.equal(t.status, 1);
    assertOneLineError(t.stderr);
    assert.match(t.stderr, /train\.csv.*no label column found .*columns are: .*"id".*"tweet".*"polarity".*--label-column/);
    // With the column named, the same file trains: the refusal was about the missing name, not the data.
    const ok = lengua('train', '--model', 'baseline:tfidf-logreg', '--train', T, '--text-column', 'tweet', '--label-column', 'polarity', '--out', join(dir, 'run'), '--quiet');
    assert.equal(ok.status, 0, ok.stderr);
    const e = lengua('evaluate', '--model', join(dir, 'run'), '--data', T, '--text-column', 'tweet', '--split', 'validation');
    assert.equal(e.status, 1);
    assert.match(e.stderr, /no label column found .*--label-column/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
