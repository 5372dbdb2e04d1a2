/**
 * The reference every NER result here is read against: "memorize the training tags". Each word (its exact,
 * cased form) gets the tag it carried most often in the training file; ties and unseen words get O. The tag
 * sequence is then repaired to valid IOB2 (an I-X after O or after another type becomes B-X), so a memorized
 * "General/I-PER" after an unknown word still counts as one entity. Scored with `entityMetrics` (conlleval
 * semantics, as `lengua train --task token-classification` scores its eval set).
 *
 *   node --import tsx examples/ner/baselines.ts ../shared/data/conll2002-es/esp.train.utf8 ../shared/data/conll2002-es/esp.testa.utf8
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { entityMetrics, LenguaError, loadConll, type EntityMetrics } from '../../src/index.js';

/** word → its most frequent training tag; words whose top count is shared by two tags (or more) map to O. */
export function memorizeTags(sentences: ReadonlyArray<{ tokens: readonly string[]; tags: readonly string[] }>): Map<string, string> {
  const counts = new Map<string, Map<string, number>>();
  for (const s of sentences) {
    s.tokens.forEach((w, i) => {
      const tag = s.tags[i]!;
      let c = counts.get(w);
      if (c === undefined) counts.set(w, (c = new Map()));
      c.set(tag, (c.get(tag) ?? 0) + 1);
    });
  }
  const best = new Map<string, string>();
  for (const [w, c] of counts) {
    let top = 'O';
    let n = 0;
    let tie = false;
    for (const [tag, k] of c) {
      if (k > n) [top, n, tie] = [tag, k, false];
      else if (k === n) tie = true;
    }
    best.set(w, tie ? 'O' : top);
  }
  return best;
}

/** IOB2 repair: an I-X that does not follow B-X or I-X starts an entity, so it becomes B-X. */
export function repairIob2(tags: readonly string[]): string[] {
  const out: string[] = [];
  tags.forEach((t, i) => {
    const prev = i > 0 ? out[i - 1]! : 'O';
    out.push(t.startsWith('I-') && (prev === 'O' || prev.slice(2) !== t.slice(2)) ? `B-${t.slice(2)}` : t);
  });
  return out;
}

export function memorizeBaseline(trainFile: string, evalFile: string): { metrics: EntityMetrics; unseen: number; words: number } {
  const train = loadConll(trainFile);
  const dev = loadConll(evalFile);
  if (train.tagScheme !== 'IOB2' || dev.tagScheme !== 'IOB2') throw new LenguaError('expected tags converted to IOB2', { file: trainFile });
  const table = memorizeTags(train.sentences);
  let unseen = 0;
  const pred = dev.sentences.map((s) =>
    repairIob2(s.tokens.map((w) => {
      const t = table.get(w);
      if (t === undefined) unseen++;
      return t ?? 'O';
    })),
  );
  return { metrics: entityMetrics(dev.sentences.map((s) => s.tags), pred, { scheme: 'IOB2' }), unseen, words: dev.tokens };
}

function pct(x: number): string {
  return (100 * x).toFixed(2).padStart(6);
}

/** The per-type and micro precision / recall / F1 table (percent) that run.sh prints for the baseline and the model. */
export function formatTable(m: EntityMetrics): string {
  const rows: Array<[string, { precision: number; recall: number; f1: number; support: number }]> = [...Object.entries(m.perType), ['micro (overall)', m.micro]];
  let out = `${'type'.padEnd(16)} ${'P %'.padStart(6)} ${'R %'.padStart(6)} ${'F1 %'.padStart(6)} ${'gold'.padStart(6)}\n`;
  for (const [name, s] of rows) out += `${name.padEnd(16)} ${pct(s.precision)} ${pct(s.recall)} ${pct(s.f1)} ${String(s.support).padStart(6)}\n`;
  return out;
}

function main(): void {
  const [trainFile, evalFile] = process.argv.slice(2);
  if (trainFile === undefined || evalFile === undefined) throw new LenguaError('usage: baselines.ts TRAIN.conll EVAL.conll');
  const { metrics: m, unseen, words } = memorizeBaseline(trainFile, evalFile);
  process.stdout.write(`memorize-the-training-tags baseline on ${evalFile}: ${words} words (${unseen} unseen in training → O), token accuracy ${pct(m.accuracy)} %\n`);
  process.stdout.write(formatTable(m));
}

// Run only as a script, so the functions above can be imported (e.g. from a check) without side effects.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    main();
  } catch (err: unknown) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
