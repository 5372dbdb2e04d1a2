import { Command } from 'commander';
import { resolve, join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  formatLeakageReport,
  formatReport,
  inspectDataset,
  leakageReport,
  loadDataset,
  splitDataset,
  writeSplits,
} from '../data/index.js';
import { rmSync } from 'node:fs';
import { normalize } from '../text/normalize.js';
import { trainBaseline } from '../train/baseline.js';
import { baselineClassifier } from '../eval/classifier.js';
import { evaluateClassifier, recordEvaluation, checkTestDiscipline } from '../eval/evaluate.js';
import { renderReport } from '../eval/report/index.js';
import { writeFileAtomic } from '../util/fs.js';
import { tokenizeWords } from '../text/words.js';

const SAMPLE = resolve(dirname(fileURLToPath(import.meta.url)), '../../examples/data/tweets-sample.csv');

interface DemoFlags {
  data: string;
  out: string;
  seed: string;
}

/**
 * The main job: the most complete flow Lengua runs end to end today, on the bundled sample tweets —
 * inspect the data, normalize it the TweetEval way, split it stratified and leak-free, check the
 * splits for shared texts, train the reference baseline, select on validation, and score the held-out
 * test split once at the end, with an HTML report.
 */
export async function runDemo(flags: DemoFlags, out: (line: string) => void): Promise<void> {
  const seed = Number(flags.seed);
  out(`# 1. Inspect ${flags.data}`);
  const ds = loadDataset(flags.data);
  out(formatReport(inspectDataset(ds, { listLimit: 5 })));

  out('\n# 2. Normalize (preset "tweet") and word-tokenize: first examples per language');
  // Show one example per language and label, preferring texts that normalization changes.
  const langColumn = ds.layout.header?.indexOf('lang') ?? -1;
  const picked = new Map<string, { lang: string; label: string; text: string; normalized: string }>();
  for (const e of ds.examples) {
    const lang = e.raw?.kind === 'fields' && langColumn >= 0 ? (e.raw.fields[langColumn] ?? '?') : '?';
    const label = String(e.label);
    const normalized = normalize(e.text, { preset: 'tweet', language: lang === 'es' ? 'es' : 'en' });
    const key = `${lang}:${label}`;
    const seen = picked.get(key);
    if (seen === undefined || (seen.normalized === seen.text && normalized !== e.text)) picked.set(key, { lang, label, text: e.text, normalized });
  }
  for (const p of [...picked.values()].sort((a, b) => a.lang.localeCompare(b.lang) || a.label.localeCompare(b.label))) {
    out(`[${p.lang} ${p.label}] ${p.text}`);
    out(`  normalized: ${p.normalized}`);
    out(`  words:      ${JSON.stringify(tokenizeWords(p.normalized, { language: p.lang === 'es' ? 'es' : 'en' }))}`);
  }

  out(`\n# 3. Split 80/10/10, stratified, seed ${seed}, same normalized text never in two splits`);
  const result = splitDataset(ds, { val: 0.1, test: 0.1, seed });
  const manifest = writeSplits(ds, result, flags.out, flags.data);
  for (const [name, c] of Object.entries(manifest.counts)) {
    out(`  ${name.padEnd(10)} ${String(c.rows).padStart(4)} rows  ${JSON.stringify(c.labels)}`);
  }
  out(`  groups of near-duplicates kept together: ${result.groupsKeptTogether}`);
  out(`  written to ${flags.out} (${Object.values(manifest.files).flat().join(', ')}, split.json)`);

  out('\n# 4. Leakage check across the splits just written');
  const written = Object.fromEntries(
    Object.entries(manifest.files).map(([name, files]) => [name, loadDataset(join(flags.out, files[0]!))]),
  );
  out(formatLeakageReport(leakageReport(written)));

  out('\n# 5. Train the reference baseline (TF-IDF word 1-2 + char 2-5 grams, L2 logistic regression) on train');
  const modelDir = join(flags.out, 'baseline');
  // The demo retrains from scratch on every run: the old folder (and its record of test evaluations) is
  // of a model that no longer exists.
  rmSync(modelDir, { recursive: true, force: true });
  const { model } = trainBaseline(written['train']!, { outputDir: modelDir, log: (line) => out(`  ${line}`) });
  const clf = baselineClassifier(model, modelDir);
  const show = (r: { split: string; n: number; metrics: Record<string, number | null> }): void => {
    const m = r.metrics;
    const f = (k: string): string => (typeof m[k] === 'number' ? (m[k] as number).toFixed(4) : 'n/a');
    out(`  [${r.split}, n=${r.n}] accuracy ${f('accuracy')}  macro recall ${f('macro_recall')}  macro F1 ${f('macro_f1')}  log loss ${f('log_loss')}`);
  };

  out('\n# 6. Evaluate on validation (the split that model selection may look at)');
  const val = await evaluateClassifier(clf, written['validation']!, { split: 'validation', modelName: 'baseline:tfidf-logreg' });
  recordEvaluation(modelDir, val);
  show(val);

  out('\n# 7. Held-out test, evaluated once at the end (a second test evaluation of this model is refused)');
  checkTestDiscipline(modelDir, 'test');
  const test = await evaluateClassifier(clf, written['test']!, { split: 'test', modelName: 'baseline:tfidf-logreg', trainingLog: join(modelDir, 'log.jsonl') });
  recordEvaluation(modelDir, test);
  show(test);
  const report = join(flags.out, 'report-test.html');
  writeFileAtomic(report, renderReport(test, { title: 'Lengua demo: baseline on the held-out test split' }));
  out(`  report: ${report} (open it in a browser)`);
  out('\nNext: fine-tune a transformer with the same data: lengua train --model DIR|HUB-ID --train ... --eval ... --out ...');
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('run the main flow on the bundled sample tweets: inspect, normalize, split, check leakage')
    .option('--data <file>', 'labelled data to run on', SAMPLE)
    .option('--out <dir>', 'where the splits are written', 'demo-output')
    .option('--seed <n>', 'split seed', '42')
    .action(async (flags: DemoFlags) => {
      await runDemo(flags, (line) => process.stdout.write(`${line}\n`));
    });
}
