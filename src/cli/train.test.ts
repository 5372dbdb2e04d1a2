import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildProgram } from './program.js';
import { ARGUMENT_FLAGS, resolveArguments } from './train.js';
import { kebab } from './options.js';
import { TRAINING_ARGUMENT_DOCS } from '../train/arguments.js';
import { GOLDEN, TINY_MODEL, keywordTask } from '../train/testing/task.js';
import { LenguaError } from '../errors.js';
import { runCliAsync } from './testing.js';

const skip = GOLDEN === null ? 'no ../shared/golden' : false;

/** Runs the real CLI in a child process (the test runner owns this process's stdout). */
const lengua = (argv: string[]): Promise<{ code: number; out: string; err: string }> => runCliAsync(argv);

function csv(path: string, rows: { texts: string[]; labels: number[] }, names = ['kw_x', 'kw_y', 'kw_z']): void {
  writeFileSync(path, 'text,label\n' + rows.texts.map((t, i) => `${t},${names[rows.labels[i]!]}`).join('\n') + '\n');
}

test('lengua train --help documents every training argument with its default', async () => {
  // helpInformation() is what --help prints (--help itself exits the process).
  const help = (await buildProgram()).commands.find((c) => c.name() === 'train')!.helpInformation();
  const r = { out: help };
  for (const name of ARGUMENT_FLAGS) {
    assert.ok(r.out.includes(`--${kebab(name)}`), `--help lacks --${kebab(name)}`);
  }
  assert.match(r.out.replace(/\s+/g, ' '), /--learning-rate <n> Peak learning rate of AdamW \(reached after warmup\)\. \[number; default 0\.00005;/);
  assert.ok(ARGUMENT_FLAGS.length === Object.keys(TRAINING_ARGUMENT_DOCS).length - 1);
});

test('flags override the config file, which overrides the defaults; bad flags name the flag', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lengua-cli-args-'));
  try {
    const cfg = join(dir, 'a.yaml');
    writeFileSync(cfg, 'learning_rate: 2.0e-5\nnum_train_epochs: 7\nseed: 3\n');
    const a = resolveArguments({ learningRate: '1e-4', quiet: true, resumeFromCheckpoint: true }, join(dir, 'out'), cfg);
    assert.equal(a.learningRate, 1e-4);
    assert.equal(a.numTrainEpochs, 7);
    assert.equal(a.seed, 3);
    assert.equal(a.quiet, true);
    assert.equal(a.resumeFromCheckpoint, true);
    assert.equal(a.perDeviceTrainBatchSize, 8);
    assert.throws(() => resolveArguments({ warmupRatio: '2' }, 'o'), (e: unknown) => e instanceof LenguaError && /--warmup-ratio: must be <= 1/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('lengua train fine-tunes the tiny golden BERT on a CSV with a new label set and saves an HF folder', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lengua-cli-train-'));
  try {
    csv(join(dir, 'train.csv'), keywordTask(240, 7));
    csv(join(dir, 'dev.csv'), keywordTask(60, 8));
    writeFileSync(join(dir, 'args.json'), JSON.stringify({ learning_rate: 1e-3, per_device_train_batch_size: 16, eval_strategy: 'epoch', save_strategy: 'epoch', save_total_limit: 1 }));
    const out = join(dir, 'out');
    const r = await lengua([
      'train', '--model', TINY_MODEL, '--train', join(dir, 'train.csv'), '--eval', join(dir, 'dev.csv'), '--out', out,
      '--config', join(dir, 'args.json'), '--num-train-epochs', '8', '--threads', '1', '--json', '--quiet',
    ]);
    assert.equal(r.code, 0, r.err);
    const res = JSON.parse(r.out) as { globalStep: number; metrics: Record<string, number> };
    assert.equal(res.globalStep, 120);
    assert.ok(res.metrics.eval_accuracy! > 0.7, `accuracy ${res.metrics.eval_accuracy}`);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { id2label: Record<string, string>; architectures: string[] };
    assert.deepEqual(config.id2label, { 0: 'kw_x', 1: 'kw_y', 2: 'kw_z' });
    assert.deepEqual(config.architectures, ['BertForSequenceClassification']);
    for (const f of ['model.safetensors', 'tokenizer.json', 'training_args.json', 'all_results.json', 'eval_results.json', 'trainer_state.json', 'log.jsonl', 'checkpoint-120']) {
      assert.ok(existsSync(join(out, f)), `missing ${f}`);
    }
    const targs = JSON.parse(readFileSync(join(out, 'training_args.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(targs.num_train_epochs, 8);
    assert.equal(targs.learning_rate, 1e-3);
    // Eval labels must be known from training: the error names the unknown one and where it is.
    writeFileSync(join(dir, 'bad.csv'), 'text,label\na x b,kw_x\nc d,kw_w\n');
    const bad = await lengua(['train', '--model', TINY_MODEL, '--train', join(dir, 'train.csv'), '--eval', join(dir, 'bad.csv'), '--out', join(dir, 'o2'), '--quiet']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /bad\.csv.*kw_w/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('lengua train --model baseline:tfidf-logreg fits the baseline', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lengua-cli-base-'));
  try {
    const sample = fileURLToPath(new URL('../../examples/data/tweets-sample.csv', import.meta.url));
    const out = join(dir, 'out');
    const r = await lengua(['train', '--model', 'baseline:tfidf-logreg', '--train', sample, '--eval', sample, '--out', out, '--quiet', '--json']);
    assert.equal(r.code, 0, r.err);
    const res = JSON.parse(r.out) as { metrics: Record<string, number> };
    assert.ok(res.metrics.eval_accuracy! > 0.9, 'the baseline fits its own training data');
    assert.ok(existsSync(join(out, 'lengua-baseline.json')));
    const bad = await lengua(['train', '--model', 'baseline:svm', '--train', sample, '--out', join(dir, 'o2')]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /unknown baseline baseline:svm/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
