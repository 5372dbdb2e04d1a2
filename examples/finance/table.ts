/**
 * The table that run-case.sh prints (finance, retail, education): baseline and from-scratch model side by side,
 * read from the metrics.json files `lengua evaluate` wrote, with F1 per class, the training seconds and the
 * model's validation accuracy after each epoch (from its log.jsonl; the curve only, nothing was selected on it).
 *
 *   node --import tsx examples/finance/table.ts examples/finance/out
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LenguaError } from '../../src/errors.js';

interface Metrics {
  n: number;
  labels: string[];
  metrics: Record<string, number>;
  perClass: Array<{ label: string; f1: number; support: number }>;
}

function readJson<T>(file: string): T {
  if (!existsSync(file)) throw new LenguaError('missing; did run-case.sh finish?', { file });
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

const pct = (x: number | undefined): string => (x === undefined ? '—' : (100 * x).toFixed(1));

function main(): void {
  const out = process.argv[2];
  if (out === undefined) throw new LenguaError('usage: table.ts OUT_DIR');
  const timings = new Map(readFileSync(join(out, 'timings.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t') as [string, string]));
  const runs: Array<[string, string, string]> = [['TF-IDF + logistic regression', 'baseline', 'baseline'], ['BERT from scratch (2 layers, hidden 128)', 'model', 'model']];
  const rows = runs.map(([name, dir, key]) => ({ name, m: readJson<Metrics>(join(out, dir, 'eval-validation', 'metrics.json')), secs: timings.get(key) ?? '—' }));
  const labels = rows[0]!.m.labels;
  const lines = [
    `validation: ${rows[0]!.m.n} examples (${rows[0]!.m.perClass.map((c) => `${c.label} ${c.support}`).join(', ')}); percent`,
    '',
    `| model | accuracy | macro F1 | ${labels.map((l) => `F1 ${l}`).join(' | ')} | train s |`,
    `| --- | ---: | ---: | ${labels.map(() => '---:').join(' | ')} | ---: |`,
    ...rows.map(({ name, m, secs }) =>
      `| ${name} | ${pct(m.metrics.accuracy)} | ${pct(m.metrics.macro_f1)} | ${labels.map((l) => pct(m.perClass.find((c) => c.label === l)?.f1)).join(' | ')} | ${secs} |`),
  ];
  const log = join(out, 'model', 'log.jsonl');
  if (existsSync(log)) {
    // One entry per epoch: the evaluation at the end of training repeats the last epoch's.
    const byEpoch = new Map<number, number>();
    for (const l of readFileSync(log, 'utf8').split('\n')) {
      if (!l.includes('"eval_accuracy"')) continue;
      const e = JSON.parse(l) as { epoch: number; eval_accuracy: number };
      byEpoch.set(e.epoch, e.eval_accuracy);
    }
    lines.push('', `model validation accuracy after each epoch: ${[...byEpoch.values()].map(pct).join(', ')}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}

try {
  main();
} catch (err: unknown) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
