/**
 * Accuracy of each model per kind of student answer (the "kind" column make-data.ts writes: both key points,
 * off-topic, ...), from the predictions.jsonl files `lengua evaluate` wrote. Off-topic answers are the ones only the
 * pair can grade: each is a right answer, to another question.
 *
 *   node --import tsx examples/education/by-kind.ts data/validation.jsonl NAME=out/baseline/eval-validation/predictions.jsonl ...
 */
import { readFileSync } from 'node:fs';
import { LenguaError } from '../../src/errors.js';

function jsonl(file: string): Array<Record<string, unknown>> {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l, i) => {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch {
      throw new LenguaError('not a JSON line', { file, line: i + 1 });
    }
  });
}

function main(): void {
  const [dataFile, ...runs] = process.argv.slice(2);
  if (dataFile === undefined || runs.length === 0) throw new LenguaError('usage: by-kind.ts validation.jsonl NAME=predictions.jsonl ...');
  const rows = jsonl(dataFile);
  const kinds = [...new Set(rows.map((r) => String(r.kind)))];
  const header = `| kind (gold grade) | n | ${runs.map((r) => r.split('=')[0]).join(' | ')} |`;
  const cells = new Map<string, string[]>(kinds.map((k) => [k, []]));
  for (const run of runs) {
    const eq = run.indexOf('=');
    if (eq < 1) throw new LenguaError(`expected NAME=predictions.jsonl, got ${JSON.stringify(run)}`);
    const file = run.slice(eq + 1);
    const preds = jsonl(file);
    if (preds.length !== rows.length) throw new LenguaError(`${preds.length} predictions for ${rows.length} rows of ${dataFile}`, { file });
    for (const k of kinds) {
      let n = 0;
      let right = 0;
      preds.forEach((p, i) => {
        // predictions.jsonl keeps the data file's order; "line" is the 1-based line it came from.
        if (p.line !== i + 1 || p.textPair !== rows[i]!.answer) throw new LenguaError('predictions are not in the data file\'s order', { file, line: i + 1 });
        if (rows[i]!.kind !== k) return;
        n++;
        if (p.predicted === p.label) right++;
      });
      cells.get(k)!.push(`${right}/${n}`);
    }
  }
  const lines = [header, `| --- | ---: | ${runs.map(() => '---:').join(' | ')} |`];
  for (const k of kinds) {
    const grade = String(rows.find((r) => r.kind === k)!.label);
    lines.push(`| ${k} (${grade}) | ${rows.filter((r) => r.kind === k).length} | ${cells.get(k)!.join(' | ')} |`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}

try {
  main();
} catch (err: unknown) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
