/**
 * Per-type entity scores of a `lengua train --task token-classification` run, read back from its
 * eval_predictions.jsonl (`tokens`, gold `tags`, `predictions` per sentence) and scored with the same
 * `entityMetrics` (IOB2, conlleval semantics) as the baseline, so the two tables compare line by line.
 * (`lengua train` itself reports only the micro figures.)
 *
 *   node --import tsx examples/ner/score-predictions.ts examples/ner/out/model/eval_predictions.jsonl
 */
import { readFileSync } from 'node:fs';
import { entityMetrics, LenguaError } from '../../src/index.js';
import { formatTable } from './baselines.js';

function main(): void {
  const file = process.argv[2];
  if (file === undefined) throw new LenguaError('usage: score-predictions.ts eval_predictions.jsonl');
  const gold: string[][] = [];
  const pred: string[][] = [];
  readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const row = JSON.parse(line) as { tags?: unknown; predictions?: unknown };
    if (!Array.isArray(row.tags) || !Array.isArray(row.predictions)) throw new LenguaError('each line needs "tags" and "predictions" arrays', { file, line: i + 1 });
    gold.push(row.tags as string[]);
    pred.push(row.predictions as string[]);
  });
  const m = entityMetrics(gold, pred, { scheme: 'IOB2' });
  process.stdout.write(`model predictions in ${file}: ${gold.length} sentences, ${m.tokens} words, token accuracy ${(100 * m.accuracy).toFixed(2)} %\n`);
  process.stdout.write(formatTable(m));
}

try {
  main();
} catch (err: unknown) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
