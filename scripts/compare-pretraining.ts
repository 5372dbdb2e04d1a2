/**
 * Does pretraining help? Fine-tunes the same classifier three ways and scores each on validation:
 * from Lengua's pretrained model (`models/lengua-bert-mini`), from the same architecture and tokenizer with
 * random weights, and the TF-IDF + logistic regression baseline — each transformer with each strategy
 * (head, freeze, full). Data: the bundled sample tweets (the demo's split) and UMSAB English and Spanish
 * (their train and validation files; never a test split).
 *
 *   npm run compare:pretraining                      # prints the table (also .cache/compare-pretraining/comparison.md)
 *   npm run compare:pretraining -- --card models/lengua-bert-mini/README.md   # and puts it in the model card
 *   npm run compare:pretraining -- --data sample --strategies full --out .scratch/cmp
 *
 * Protocol, so nothing is tuned on validation: fixed hyperparameters per strategy (the same for both
 * initialisations), a fixed number of epochs, the final model scored once; seed 42. Two runs at a time, one
 * thread each (the machine has 2 cores).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeFileAtomic } from '../src/util/fs.js';

const REPO = resolve(import.meta.dirname, '..');
const SHARED = process.env.LENGUA_SHARED ?? resolve(REPO, '../shared');

interface Data { name: string; train: string; validation: string; epochs: number }
interface Row { data: string; model: string; strategy: string; accuracy: number; macroRecall: number; macroF1: number; seconds: number }

/** Per strategy: what trains, at which learning rate (head only moves a linear layer, so it takes a larger step). */
const STRATEGIES: Record<string, string[]> = {
  head: ['--strategy', 'head', '--learning-rate', '3e-3'],
  freeze: ['--strategy', 'freeze', '--freeze-layers', '2', '--learning-rate', '5e-4'],
  full: ['--strategy', 'full', '--learning-rate', '5e-4'],
};

const PROTOCOL = 'Validation scores of the same fine-tuning from this model, from the same architecture and tokenizer with random weights, '
  + 'and of a TF-IDF + logistic regression baseline (`npm run compare:pretraining`). Fixed settings per strategy, the same for both '
  + 'starting points, nothing selected on validation: batch 16, at most 64 tokens, warmup 10 %, weight decay 0.01, seed 42; '
  + 'head: learning rate 3e-3; freeze (embeddings and the lower 2 layers frozen) and full: 5e-4; 10 epochs on the sample, 5 on UMSAB. '
  + 'The sample is the demo\'s split of examples/data/tweets-sample.csv (275 train / 35 validation); UMSAB English and Spanish have '
  + '1,839 training and 324 validation tweets each, 3 classes. One run each: on 35 texts one example is 2.9 points.';

function lengua(args: string[], log: string): Promise<void> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [join(REPO, 'bin', 'lengua.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    child.on('close', (code) => {
      writeFileSync(log, output);
      if (code === 0) ok();
      else fail(new Error(`lengua ${args.slice(0, 3).join(' ')} … failed (exit ${code}); see ${log}`));
    });
  });
}

/** Runs the jobs two at a time, in order of submission. */
async function pool<T>(jobs: Array<() => Promise<T>>, width: number): Promise<T[]> {
  const results: T[] = new Array<T>(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  }));
  return results;
}

function metricsOf(dir: string): { accuracy: number; macroRecall: number; macroF1: number } {
  const m = JSON.parse(readFileSync(join(dir, 'all_results.json'), 'utf8')) as Record<string, number>;
  return { accuracy: m['eval_accuracy']!, macroRecall: m['eval_macro_recall']!, macroF1: m['eval_macro_f1']! };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: join(REPO, 'models', 'lengua-bert-mini') },
      out: { type: 'string', default: join(REPO, '.cache', 'compare-pretraining') },
      data: { type: 'string', default: 'sample,umsab-english,umsab-spanish' },
      strategies: { type: 'string', default: 'head,freeze,full' },
      table: { type: 'string' },
      card: { type: 'string' },
    },
  });
  const model = resolve(values.model);
  if (!existsSync(join(model, 'model.safetensors'))) throw new Error(`${model} holds no model.safetensors: run npm run build:model first`);
  const out = resolve(values.out);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const started = performance.now();

  // The data: the demo's split of the sample, and UMSAB's train/validation with a mapping.txt naming the labels.
  const all: Data[] = [];
  const wanted = new Set(values.data.split(','));
  if (wanted.has('sample')) {
    await lengua(['data', 'split', join(REPO, 'examples', 'data', 'tweets-sample.csv'), '--out', join(out, 'data', 'sample'), '--seed', '42'], join(out, 'split.log'));
    all.push({ name: 'sample', train: join(out, 'data', 'sample', 'train.csv'), validation: join(out, 'data', 'sample', 'validation.csv'), epochs: 10 });
  }
  for (const lang of ['english', 'spanish']) {
    if (!wanted.has(`umsab-${lang}`)) continue;
    const d = join(out, 'data', `umsab-${lang}`);
    mkdirSync(d, { recursive: true });
    for (const f of ['train_text', 'train_labels', 'val_text', 'val_labels']) symlinkSync(join(SHARED, 'data', `umsab-${lang}-sentiment`, `${f}.txt`), join(d, `${f}.txt`));
    writeFileSync(join(d, 'mapping.txt'), '0\tnegative\n1\tneutral\n2\tpositive\n');
    all.push({ name: `umsab-${lang}`, train: join(d, 'train_text.txt'), validation: join(d, 'val_text.txt'), epochs: 5 });
  }

  // The random-weight twin: same config and tokenizer, fresh weights (seeded).
  const scratch = join(out, 'scratch-init');
  const config = JSON.parse(readFileSync(join(model, 'config.json'), 'utf8')) as Record<string, number>;
  await new Promise<void>((ok, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'examples', 'tweet-sentiment', 'make-scratch-model.ts'), '--vocab', model, '--out', scratch,
      '--layers', String(config['num_hidden_layers']), '--hidden', String(config['hidden_size']), '--heads', String(config['num_attention_heads']),
      '--intermediate', String(config['intermediate_size']), '--max-positions', String(config['max_position_embeddings']), '--seed', '42'], { stdio: 'inherit' });
    child.on('close', (code) => (code === 0 ? ok() : fail(new Error(`make-scratch-model failed (exit ${code})`))));
  });

  const common = ['--threads', '1', '--per-device-train-batch-size', '16', '--per-device-eval-batch-size', '64', '--max-length', '64',
    '--warmup-ratio', '0.1', '--weight-decay', '0.01', '--eval-strategy', 'no', '--save-strategy', 'no', '--seed', '42', '--quiet'];
  const jobs: Array<() => Promise<Row>> = [];
  for (const d of all) {
    jobs.push(async () => {
      const dir = join(out, d.name, 'tfidf');
      const t0 = performance.now();
      await lengua(['train', '--model', 'baseline:tfidf-logreg', '--train', d.train, '--eval', d.validation, '--out', dir], `${dir}.log`);
      return { data: d.name, model: 'TF-IDF + logistic regression', strategy: '–', ...metricsOf(dir), seconds: (performance.now() - t0) / 1000 };
    });
    for (const [init, from] of [['pretrained', model], ['random init', scratch]] as const) {
      for (const s of values.strategies.split(',')) {
        const flags = STRATEGIES[s];
        if (flags === undefined) throw new Error(`unknown strategy ${s} (head, freeze, full)`);
        jobs.push(async () => {
          const dir = join(out, d.name, `${init === 'pretrained' ? 'pretrained' : 'scratch'}-${s}`);
          const t0 = performance.now();
          await lengua(['train', '--model', from, '--train', d.train, '--eval', d.validation, '--out', dir, '--num-train-epochs', String(d.epochs), ...flags, ...common], `${dir}.log`);
          return { data: d.name, model: init === 'pretrained' ? 'lengua-bert-mini' : 'same, random init', strategy: s, ...metricsOf(dir), seconds: (performance.now() - t0) / 1000 };
        });
      }
    }
  }
  const rows = await pool(jobs, 2);

  const pct = (x: number): string => (100 * x).toFixed(1);
  const table = [
    '| data (validation) | model | strategy | accuracy | macro recall | macro F1 | seconds |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.data} | ${r.model} | ${r.strategy} | ${pct(r.accuracy)} | ${pct(r.macroRecall)} | ${pct(r.macroF1)} | ${r.seconds.toFixed(0)} |`),
  ].join('\n');
  process.stdout.write(`${table}\n`);
  const tableFile = values.table ?? join(out, 'comparison.md');
  writeFileSync(tableFile, `${table}\n`);
  writeFileSync(join(out, 'comparison.json'), JSON.stringify(rows, null, 2) + '\n');
  if (values.card !== undefined) {
    // The card's section is replaced on a rerun, so the card always holds the latest measurement.
    const card = readFileSync(values.card, 'utf8');
    const heading = '## Does pretraining help?';
    const start = card.indexOf(heading);
    const end = start < 0 ? -1 : card.indexOf('\n## ', start + heading.length);
    const section = `${heading}\n\n${PROTOCOL}\n\n${table}\n`;
    const next = start < 0 ? `${card.trimEnd()}\n\n${section}` : `${card.slice(0, start)}${section}${end < 0 ? '' : card.slice(end)}`;
    writeFileAtomic(values.card, next);
  }
  process.stderr.write(`[compare] ${rows.length} runs in ${((performance.now() - started) / 60_000).toFixed(1)} min; table in ${tableFile}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`[compare] ${(err as Error).message}\n`);
  process.exit(1);
});
