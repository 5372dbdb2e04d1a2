/**
 * The comparison table of this example: the memorize-the-training-tags baseline (examples/ner/baselines.ts) and
 * the fine-tuned model (its eval_predictions.jsonl from `lengua train --task token-classification`), both scored
 * with `entityMetrics` (IOB2, conlleval semantics) on the validation file, plus the recall on gold entities whose
 * exact words were a training entity of the same type ("seen") and on the others ("unseen": names held out of
 * training, or doses with a new number); the split the data was built to test.
 *
 *   node --import tsx examples/health/compare.ts data/train.conll data/validation.conll out/model/eval_predictions.jsonl
 */
import { readFileSync } from 'node:fs';
import { entityMetrics, LenguaError, loadConll, type EntityMetrics } from '../../src/index.js';
import { entitySpans } from '../../src/data/index.js';
import { memorizeTags, repairIob2 } from '../ner/baselines.js';

type Tags = readonly string[];

function readPredictions(file: string, gold: readonly Tags[]): string[][] {
  const rows = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  if (rows.length !== gold.length) throw new LenguaError(`${rows.length} prediction rows for ${gold.length} validation sentences`, { file });
  return rows.map((l, i) => {
    const row = JSON.parse(l) as { tags?: unknown; predictions?: unknown };
    if (!Array.isArray(row.predictions) || JSON.stringify(row.tags) !== JSON.stringify(gold[i])) {
      throw new LenguaError('each line needs "predictions", and its "tags" must be the validation file\'s in order', { file, line: i + 1 });
    }
    return row.predictions as string[];
  });
}

/** Recall on gold spans whose (type, words) occurred as a training entity, and on the rest. */
function seenRecall(tokens: readonly Tags[], gold: readonly Tags[], pred: readonly Tags[], trainEntities: Set<string>) {
  const r = { seen: { hit: 0, n: 0 }, unseen: { hit: 0, n: 0 } };
  gold.forEach((g, s) => {
    const predicted = new Set(entitySpans(pred[s]!).map((p) => `${p.type} ${p.start} ${p.end}`));
    for (const span of entitySpans(g)) {
      const bucket = trainEntities.has(`${span.type} ${tokens[s]!.slice(span.start, span.end).join(' ')}`) ? r.seen : r.unseen;
      bucket.n++;
      if (predicted.has(`${span.type} ${span.start} ${span.end}`)) bucket.hit++;
    }
  });
  return r;
}

const pct = (x: number): string => (100 * x).toFixed(1);

function main(): void {
  const [trainFile, evalFile, predFile] = process.argv.slice(2);
  if (trainFile === undefined || evalFile === undefined || predFile === undefined) throw new LenguaError('usage: compare.ts TRAIN.conll VALIDATION.conll eval_predictions.jsonl');
  const train = loadConll(trainFile);
  const dev = loadConll(evalFile);
  const gold = dev.sentences.map((s) => s.tags);
  const tokens = dev.sentences.map((s) => s.tokens);
  const trainEntities = new Set(train.sentences.flatMap((s) => entitySpans(s.tags).map((e) => `${e.type} ${s.tokens.slice(e.start, e.end).join(' ')}`)));
  const table = memorizeTags(train.sentences);
  const baseline = tokens.map((ws) => repairIob2(ws.map((w) => table.get(w) ?? 'O')));
  const model = readPredictions(predFile, gold);
  const types = dev.entityTypes;
  const lines = [
    `validation: ${dev.sentences.length} sentences, ${dev.tokens} words; entity-level, percent`,
    '',
    `| model | P | R | **F1** | ${types.map((t) => `F1 ${t}`).join(' | ')} | R seen | R unseen |`,
    `| --- | ---: | ---: | ---: | ${types.map(() => '---:').join(' | ')} | ---: | ---: |`,
  ];
  let counts = '';
  for (const [name, pred] of [['memorize the training tags', baseline], ['BERT from scratch (2 layers, hidden 128)', model]] as const) {
    const m: EntityMetrics = entityMetrics(gold, pred, { scheme: 'IOB2' });
    const r = seenRecall(tokens, gold, pred, trainEntities);
    lines.push(`| ${name} | ${pct(m.micro.precision)} | ${pct(m.micro.recall)} | **${pct(m.micro.f1)}** | ${types.map((t) => pct(m.perType[t]?.f1 ?? 0)).join(' | ')} | ` +
      `${pct(r.seen.hit / r.seen.n)} | ${pct(r.unseen.hit / r.unseen.n)} |`);
    counts = `gold entities: ${types.map((t) => `${t} ${m.perType[t]?.support ?? 0}`).join(', ')}; seen in training ${r.seen.n}, unseen ${r.unseen.n}`;
  }
  lines.push('', counts);
  process.stdout.write(lines.join('\n') + '\n');
}

try {
  main();
} catch (err: unknown) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
