import { Command } from 'commander';
import { resolve, join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import {
  formatLeakageReport,
  formatReport,
  inspectDataset,
  leakageReport,
  loadDataset,
  splitDataset,
  writeSplits,
} from '../data/index.js';
import { LenguaError } from '../errors.js';
import { normalize } from '../text/normalize.js';
import { trainBaseline } from '../train/baseline.js';
import { baselineClassifier } from '../eval/classifier.js';
import { evaluateClassifier, recordEvaluation, checkTestDiscipline } from '../eval/evaluate.js';
import { renderReport } from '../eval/report/index.js';
import { writeFileAtomic } from '../util/fs.js';
import { tokenizeWords } from '../text/words.js';
import { DemoSteps, evaluationLine, STRATEGIES, type DemoStrategy } from './demo-steps.js';
import { intFlag } from './options.js';

const SAMPLE = resolve(dirname(fileURLToPath(import.meta.url)), '../../examples/data/tweets-sample.csv');
/** The pretrained model the repository ships (built by `npm run build:model`). */
export const DEFAULT_MODEL = resolve(dirname(fileURLToPath(import.meta.url)), '../../models/lengua-bert-mini');
export interface DemoFlags {
  data: string;
  out: string;
  seed: string;
  model: string;
  epochs: string;
  strategies: string;
  threads?: string;
}

/** What the demo writes in --out, with what each is; a rerun removes these first (and nothing else there). */
export const ARTEFACTS: Readonly<Record<string, string>> = {
  'train.csv': 'training split',
  'validation.csv': 'validation split (model selection)',
  'test.csv': 'held-out test split (evaluated once per model)',
  'split.json': 'how the splits were made: seed, counts, file hashes',
  baseline: 'TF-IDF + logistic regression baseline, with its evaluations.json',
  'report-baseline-test.html': 'HTML report: the baseline on the test split',
  finetune: 'fine-tuning runs of the strategies (removed once the best is chosen)',
  'strategies.json': 'validation metrics and seconds of each fine-tuning strategy',
  model: 'the fine-tuned model (best strategy): safetensors, tokenizer, log.jsonl, evaluations.json',
  'report-model-test.html': 'HTML report: the fine-tuned model on the test split',
  export: 'ONNX export: onnx/model.onnx and onnx/model_quantized.onnx (int8), config and tokenizer',
  registry: 'model registry with the pushed version, promoted to production',
  'serve-cache': 'the registry version as the server unpacked it',
  'summary.json': 'per-step seconds, the chosen strategy, metrics, the answers of the server',
};


/** --strategies: a comma list of head, freeze, full, each once. */
export function parseStrategies(v: string): DemoStrategy[] {
  const list = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (list.length === 0) throw new LenguaError(`name at least one strategy (${STRATEGIES.join(', ')})`, { field: '--strategies' });
  for (const s of list) {
    if (!(STRATEGIES as readonly string[]).includes(s)) throw new LenguaError(`unknown strategy ${JSON.stringify(s.slice(0, 40))}; expected ${STRATEGIES.join(', ')}`, { field: '--strategies' });
  }
  if (new Set(list).size !== list.length) throw new LenguaError(`a strategy is named twice in ${JSON.stringify(v)}`, { field: '--strategies' });
  return list as DemoStrategy[];
}

function bytes(n: number): string {
  return n < 1 << 20 ? `${Math.max(1, Math.round(n / 1024))} KB` : `${(n / (1 << 20)).toFixed(1)} MB`;
}

function sizeOf(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((n, name) => n + sizeOf(join(path, name)), 0);
}

/**
 * The whole course on the bundled sample tweets, in one command: inspect the data, normalize it the
 * TweetEval way, split it stratified and leak-free, check the splits for shared texts, train the reference
 * baseline and score it (validation, then test once); fine-tune the pretrained model with each strategy
 * and keep the best by validation macro recall; evaluate it (validation, then test once, with the HTML
 * report); export it to ONNX (+ int8); push it to a registry and promote it to production; serve it on
 * loopback and query it with the official client; stop the server. Every artefact lands in `flags.out`.
 */
export async function runDemo(flags: DemoFlags, print: (line: string) => void): Promise<void> {
  const seed = intFlag(flags.seed, '--seed', 0, 2 ** 31 - 1);
  const epochs = intFlag(flags.epochs, '--epochs', 1, 100);
  const strategies = parseStrategies(flags.strategies);
  const threads = flags.threads !== undefined ? intFlag(flags.threads, '--threads', 1, 1024) : availableParallelism();
  // Fail before any work when the default model was never built (a Hub id or another folder is resolved at step 8).
  if (resolve(flags.model) === DEFAULT_MODEL && !existsSync(join(DEFAULT_MODEL, 'config.json'))) {
    throw new LenguaError(`the pretrained model is not built yet: run \`npm run build:model\` (it pretrains the model from public texts: about an hour on 2 cores), or pass --model DIR|HUB-ID`, { file: DEFAULT_MODEL, field: '--model' });
  }
  const outDir = resolve(flags.out);
  // The demo retrains everything on every run: artefacts of an earlier run (its models' test-evaluation
  // records, its registry versions) describe models that no longer exist. Only the demo's own names go.
  const present = Object.keys(ARTEFACTS).filter((name) => existsSync(join(outDir, name)));
  if (present.length > 0 && !existsSync(join(outDir, 'split.json'))) {
    // Not a folder an earlier demo wrote (it has no split.json): its model/ or registry/ may be someone's work.
    throw new LenguaError(`${outDir} holds ${present.slice(0, 3).join(', ')} but is not a demo output folder (no split.json); choose another --out`, { file: outDir, field: '--out' });
  }
  for (const name of present) rmSync(join(outDir, name), { recursive: true, force: true });
  const steps = new DemoSteps(print);

  const ds = await steps.run(`Inspect ${flags.data}`, () => {
    const d = loadDataset(flags.data);
    print(formatReport(inspectDataset(d, { listLimit: 5 })));
    return d;
  });

  await steps.run('Normalize (preset "tweet") and word-tokenize: first examples per language', () => {
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
      print(`[${p.lang} ${p.label}] ${p.text}`);
      print(`  normalized: ${p.normalized}`);
      print(`  words:      ${JSON.stringify(tokenizeWords(p.normalized, { language: p.lang === 'es' ? 'es' : 'en' }))}`);
    }
  });

  const manifest = await steps.run(`Split 80/10/10, stratified, seed ${seed}, same normalized text never in two splits`, () => {
    const result = splitDataset(ds, { val: 0.1, test: 0.1, seed });
    const m = writeSplits(ds, result, outDir, flags.data);
    for (const [name, c] of Object.entries(m.counts)) {
      print(`  ${name.padEnd(10)} ${String(c.rows).padStart(4)} rows  ${JSON.stringify(c.labels)}`);
    }
    print(`  groups of near-duplicates kept together: ${result.groupsKeptTogether}`);
    print(`  written to ${outDir} (${Object.values(m.files).flat().join(', ')}, split.json)`);
    return m;
  });
  const splitFile = (name: string): string => join(outDir, manifest.files[name]![0]!);

  const written = await steps.run('Leakage check across the splits just written', () => {
    const w = Object.fromEntries(Object.keys(manifest.files).map((name) => [name, loadDataset(splitFile(name))]));
    print(formatLeakageReport(leakageReport(w)));
    return w;
  });

  const baselineDir = join(outDir, 'baseline');
  const clf = await steps.run('Train the reference baseline (TF-IDF word 1-2 + char 2-5 grams, L2 logistic regression) on train', () => {
    const { model } = trainBaseline(written['train']!, { outputDir: baselineDir, log: (line) => print(`  ${line}`) });
    return baselineClassifier(model, baselineDir);
  });

  await steps.run('Evaluate the baseline on validation (the split that model selection may look at)', async () => {
    const val = await evaluateClassifier(clf, written['validation']!, { split: 'validation', modelName: 'baseline:tfidf-logreg' });
    recordEvaluation(baselineDir, val);
    print(evaluationLine(val));
  });

  const baselineTest = await steps.run('Baseline on the held-out test split, evaluated once (a second test evaluation of this model is refused)', async () => {
    checkTestDiscipline(baselineDir, 'test');
    const test = await evaluateClassifier(clf, written['test']!, { split: 'test', modelName: 'baseline:tfidf-logreg', trainingLog: join(baselineDir, 'log.jsonl') });
    recordEvaluation(baselineDir, test);
    print(evaluationLine(test));
    const report = join(outDir, 'report-baseline-test.html');
    writeFileAtomic(report, renderReport(test, { title: 'Lengua demo: baseline on the held-out test split' }));
    print(`  report: ${report} (open it in a browser)`);
    return test;
  });

  // Loaded only now: the transformer stages bring libtorch and ONNX Runtime.
  const { runModelSteps } = await import('./demo-model.js');
  const summary = await runModelSteps({
    model: flags.model,
    outDir,
    seed,
    epochs,
    strategies,
    threads,
    splits: { train: written['train']!, validation: written['validation']!, test: written['test']! },
    trainFile: splitFile('train'),
    baselineTest,
    steps,
    print,
  });

  const total = steps.elapsed();
  writeFileAtomic(join(outDir, 'summary.json'), JSON.stringify({ totalSeconds: total, threads, steps: steps.times, ...summary }, null, 2) + '\n');
  print(`\n# Done in ${total.toFixed(1)} s (${threads} thread(s)). Seconds per step:`);
  for (const s of steps.times) print(`  ${String(s.step).padStart(2)}. ${s.seconds.toFixed(1).padStart(6)}  ${s.title.replace(/(: | \().*$/, '')}`);
  print(`\nEverything is in ${outDir}:`);
  for (const name of readdirSync(outDir).filter((n) => ARTEFACTS[n] !== undefined).sort()) {
    const path = join(outDir, name);
    const dir = statSync(path).isDirectory();
    print(`  ${(dir ? `${name}/` : name).padEnd(26)} ${bytes(sizeOf(path)).padStart(8)}  ${ARTEFACTS[name]}`);
  }
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('the whole course on the bundled sample tweets: split, baseline, fine-tune, evaluate, export to ONNX, registry, serve and query')
    .option('--data <file>', 'labelled data to run on', SAMPLE)
    .option('--out <dir>', 'where every artefact is written (the demo\'s own files there are replaced on a rerun)', 'demo-output')
    .option('--seed <n>', 'split and training seed', '42')
    .option('--model <dir|hub-id>', 'pretrained model to fine-tune: a folder or a Hugging Face Hub id (HF_ENDPOINT, HF_HUB_CACHE and HF_TOKEN are honoured)', DEFAULT_MODEL)
    .option('--epochs <n>', 'fine-tuning epochs per strategy', '8')
    .option('--strategies <list>', `fine-tuning strategies to compare, comma-separated (${STRATEGIES.join(', ')})`, STRATEGIES.join(','))
    .option('--threads <n>', 'CPU threads for libtorch and ONNX Runtime (default: the number of cores)')
    .action(async (flags: DemoFlags) => {
      await runDemo(flags, (line) => process.stdout.write(`${line}\n`));
    });
}
