/**
 * The transformer half of `lengua demo` (steps 8 on): resolve the pretrained model, fine-tune it with each
 * strategy and keep the best by validation macro recall, evaluate it (validation, then test once, with the
 * HTML report), export it to ONNX (+ int8), push it to a registry and promote it, then serve it on loopback
 * and query it with the official client. A module of its own so that the baseline half never loads libtorch.
 */
import { cpSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LenguaError } from '../errors.js';
import type { Dataset } from '../data/index.js';
import { loadClassifier } from '../eval/classifier.js';
import { checkTestDiscipline, evaluateClassifier, recordEvaluation, type EvaluationResult } from '../eval/evaluate.js';
import { renderReport } from '../eval/report/index.js';
import { exportToOnnx } from '../export/index.js';
import { resolveModel } from '../hub/resolve.js';
import { logger, readConfigFile } from '../models/index.js';
import { Registry, type PushExporter } from '../registry/index.js';
import { LenguaServer } from '../serve/server.js';
import { sharedLabels } from '../train/trial.js';
import { transformerRunner } from '../train/transformer-runner.js';
import { writeFileAtomic } from '../util/fs.js';
import { describeExport } from './export.js';
import { evaluationLine, type DemoStrategy, type DemoSteps } from './demo-steps.js';

export interface ModelStepsInput {
  /** A folder or a Hub id. */
  model: string;
  outDir: string;
  seed: number;
  epochs: number;
  strategies: DemoStrategy[];
  threads: number;
  splits: { train: Dataset; validation: Dataset; test: Dataset };
  /** The training split's file, fingerprinted into the registry manifest. */
  trainFile: string;
  baselineTest: EvaluationResult;
  steps: DemoSteps;
  print: (line: string) => void;
}

/** Learning rates that suit a small BERT on a few hundred tweets: a new head alone takes a larger step. */
const LEARNING_RATE: Record<DemoStrategy, number> = { head: 3e-3, freeze: 5e-4, full: 5e-4 };
const REGISTRY_NAME = 'tweet-sentiment';
/** What the server is asked: an English and a Spanish tweet at least, as the sample holds both. */
export const DEMO_REQUESTS: ReadonlyArray<{ lang: string; text: string }> = [
  { lang: 'en', text: 'I love this new phone, best purchase of the year! 😍' },
  { lang: 'en', text: 'worst customer service ever, two hours on hold 😡' },
  { lang: 'es', text: '¡Qué buen partido! Estoy feliz con el resultado' },
  { lang: 'es', text: 'odio los lunes, todo sale mal' },
];

interface StrategyRow {
  strategy: DemoStrategy;
  learningRate: number;
  accuracy: number;
  macroRecall: number;
  macroF1: number;
  seconds: number;
}

/** The official client, loaded when the server is up: a devDependency today, so its absence gets a clear error. */
async function inferenceClient(): Promise<{ textClassification(args: { endpointUrl: string; inputs: string }): Promise<Array<{ label: string; score: number }>> }> {
  try {
    const { InferenceClient } = await import('@huggingface/inference');
    return new InferenceClient();
  } catch (err) {
    throw new LenguaError('the demo queries the server with the official Hugging Face client, @huggingface/inference, which is not installed: npm install @huggingface/inference', { field: 'client' }, { cause: err });
  }
}

export async function runModelSteps(inp: ModelStepsInput): Promise<Record<string, unknown>> {
  const { outDir, steps, print, threads } = inp;
  const f4 = (x: number | null | undefined): string => (typeof x === 'number' ? x.toFixed(4) : 'n/a');

  const resolved = await steps.run(`Pretrained model ${inp.model}`, async () => {
    // A Hub id downloads into the Hugging Face cache (HF_ENDPOINT, HF_HUB_CACHE, HF_TOKEN as huggingface_hub).
    const r = await resolveModel(inp.model);
    const c = readConfigFile(r.dir);
    print(`  ${r.source === 'local' ? 'folder' : `Hub ${r.repoId}@${r.commit?.slice(0, 12)} (${r.source === 'cache' ? 'from the cache' : `downloaded ${r.fetched.length} file(s)`})`}: ${r.dir}`);
    print(`  ${c.modelType}: ${c.numHiddenLayers} layers, hidden ${c.hiddenSize}, vocabulary ${c.vocabSize}, positions ${c.maxPositionEmbeddings}`);
    return r;
  });

  const modelDir = join(outDir, 'model');
  const data = { train: inp.splits.train, validation: inp.splits.validation, labels: sharedLabels(inp.splits.train, inp.splits.validation) };
  const rows = await steps.run(`Fine-tune with each strategy (${inp.strategies.join(', ')}), ${inp.epochs} epoch(s) each; keep the best by validation macro recall`, async () => {
    const runner = transformerRunner(resolved.dir, { threads });
    const out: StrategyRow[] = [];
    const warned = new Set<string>();
    for (const strategy of inp.strategies) {
      const dir = join(outDir, 'finetune', strategy);
      const config = {
        strategy, learningRate: LEARNING_RATE[strategy], numTrainEpochs: inp.epochs, perDeviceTrainBatchSize: 16, perDeviceEvalBatchSize: 64,
        maxLength: 64, warmupRatio: 0.1, weightDecay: 0.01, seed: inp.seed,
      };
      print(`  ${strategy}: learning rate ${config.learningRate}`);
      const t = performance.now();
      // Loading an MLM checkpoint as a classifier warns about the new head (expected): said once, briefly.
      const { result: r, messages } = await logger.captureAsync(() => runner.run(config, data, {
        report: (epoch, m) => {
          print(`    epoch ${epoch.toFixed(0)}: validation accuracy ${f4(m.eval_accuracy)}, macro recall ${f4(m.eval_macro_recall)}`);
          return 'continue';
        },
      }, { saveDir: dir, workDir: dir, log: (l) => print(`  ${l}`) }));
      for (const m of messages.map((x) => x.split('\n')[0]!)) {
        if (warned.has(m)) continue;
        warned.add(m);
        print(`    note: ${m.length > 160 ? `${m.slice(0, 160)}…` : m}`);
      }
      const m = r.metrics;
      out.push({ strategy, learningRate: config.learningRate, accuracy: m.eval_accuracy!, macroRecall: m.eval_macro_recall!, macroF1: m.eval_macro_f1!, seconds: (performance.now() - t) / 1000 });
      writeFileAtomic(join(dir, 'all_results.json'), JSON.stringify(m, null, 2) + '\n');
    }
    // Ties go to the strategy listed first (head, freeze, full: the cheaper one).
    const best = out.reduce((a, b) => (b.macroRecall > a.macroRecall ? b : a));
    print('\n  strategy  lr      val accuracy  macro recall  macro F1  seconds');
    for (const r of out) {
      print(`  ${r.strategy.padEnd(8)}  ${r.learningRate.toExponential(0).padEnd(6)}  ${f4(r.accuracy).padStart(12)}  ${f4(r.macroRecall).padStart(12)}  ${f4(r.macroF1).padStart(8)}  ${r.seconds.toFixed(1).padStart(7)}${r === best ? '  ← best' : ''}`);
    }
    renameSync(join(outDir, 'finetune', best.strategy), modelDir);
    rmSync(join(outDir, 'finetune'), { recursive: true, force: true });
    writeFileAtomic(join(outDir, 'strategies.json'), JSON.stringify({ selectedBy: 'validation macro recall', best: best.strategy, strategies: out }, null, 2) + '\n');
    print(`  kept ${best.strategy} in ${modelDir}`);
    return { all: out, best };
  });

  const clf = await loadClassifier(modelDir, { maxLength: 64 });
  const modelName = `${inp.model} (${rows.best.strategy})`;
  const validation = await steps.run('Evaluate the fine-tuned model on validation', async () => {
    const val = await evaluateClassifier(clf, inp.splits.validation, { split: 'validation', modelName });
    recordEvaluation(modelDir, val);
    print(evaluationLine(val));
    return val;
  });

  const test = await steps.run('Fine-tuned model on the held-out test split, evaluated once, with the HTML report', async () => {
    checkTestDiscipline(modelDir, 'test');
    const t = await evaluateClassifier(clf, inp.splits.test, { split: 'test', modelName, trainingLog: join(modelDir, 'log.jsonl') });
    recordEvaluation(modelDir, t);
    print(evaluationLine(t));
    const report = join(outDir, 'report-model-test.html');
    writeFileAtomic(report, renderReport(t, { title: `Lengua demo: ${rows.best.strategy} fine-tuning on the held-out test split` }));
    print(`  report: ${report}`);
    print('\n  test split     baseline  fine-tuned  difference');
    for (const k of ['accuracy', 'macro_recall', 'macro_f1', 'log_loss']) {
      const a = inp.baselineTest.metrics[k];
      const b = t.metrics[k];
      const d = typeof a === 'number' && typeof b === 'number' ? `${b - a >= 0 ? '+' : ''}${(b - a).toFixed(4)}` : 'n/a';
      print(`  ${k.padEnd(13)} ${f4(a).padStart(9)} ${f4(b).padStart(11)} ${d.padStart(11)}`);
    }
    return t;
  });

  const exportDir = join(outDir, 'export');
  const exported = await steps.run('Export to ONNX (+ int8), checked in ONNX Runtime against libtorch', async () => {
    const r = await exportToOnnx(modelDir, exportDir, { quantize: 'int8', threads });
    print(describeExport(r).trimEnd().split('\n').map((l) => `  ${l}`).join('\n'));
    return r;
  });

  const registryDir = join(outDir, 'registry');
  const pushed = await steps.run(`Push to the registry ${registryDir} and promote to production`, async () => {
    const registry = await Registry.open({ root: registryDir });
    // The training folder is what gets pushed (its evaluations and training results go into the manifest);
    // its ONNX files are the export just validated, not a second export.
    const reuseExport: PushExporter = (_src, dest) => {
      cpSync(exportDir, dest, { recursive: true });
      return Promise.resolve({ task: exported.task, opset: exported.opset, maxAbsDiff: exported.validation.maxAbsDiff, atol: exported.validation.atol });
    };
    const r = await registry.push(modelDir, {
      name: REGISTRY_NAME,
      notes: `lengua demo: ${rows.best.strategy} fine-tuning of ${inp.model} on ${inp.trainFile}`,
      exporter: reuseExport,
      dataFiles: [inp.trainFile],
      // The registry announces an export; here it copies the one of the step before.
      log: (l) => print(`  ${l.startsWith('exporting ') ? `ONNX files: the export of the step before (${exportDir})` : l}`),
    });
    print(`  pushed ${r.name}@${r.version}: ${r.manifest.files.length} files; onnx: ${r.manifest.onnx.join(', ')}`);
    await registry.promote(r.name, r.version, 'production');
    print(`  ${r.name}@production → ${r.version}`);
    return { name: r.name, version: r.version };
  });

  const served = await steps.run(`Serve the production version on 127.0.0.1, query it with @huggingface/inference, stop: registry:${REGISTRY_NAME}@production`, async () => {
    const client = await inferenceClient();
    const server = await LenguaServer.create({
      models: [{ name: REGISTRY_NAME, source: `registry:${REGISTRY_NAME}@production` }],
      host: '127.0.0.1',
      port: 0,
      registry: { root: registryDir, cacheDir: join(outDir, 'serve-cache') },
      // One session in a thread: a handful of requests, and the demo ends the server itself.
      workers: 1,
      isolation: 'thread',
      numThreads: threads,
      watchIntervalMs: 0,
    });
    let url: string | undefined;
    try {
      url = await server.listen();
      print(`  serving ${REGISTRY_NAME} (version ${pushed.version}) at ${url}/models/${REGISTRY_NAME}`);
      const answers: Array<{ lang: string; text: string; label: string; score: number }> = [];
      for (const q of DEMO_REQUESTS) {
        const got = await client.textClassification({ endpointUrl: `${url}/models/${REGISTRY_NAME}`, inputs: q.text });
        const top = got.reduce((a, b) => (b.score > a.score ? b : a));
        answers.push({ ...q, label: top.label, score: top.score });
        print(`  [${q.lang}] ${q.text}\n       → ${got.map((g) => `${g.label} ${g.score.toFixed(3)}`).join(', ')}`);
      }
      const metricsUrl = `${url}/metrics`;
      const res = await fetch(metricsUrl);
      const text = await res.text();
      if (!res.ok) throw new LenguaError(`GET ${metricsUrl} answered ${res.status}`, { field: 'metrics' });
      print(`  metrics (Prometheus text): ${metricsUrl}`);
      for (const l of text.split('\n').filter((x) => /^lengua_(requests_total|request_duration_seconds_count|model_info)\{/.test(x)).slice(0, 6)) print(`    ${l}`);
      return { url, metricsUrl, answers };
    } finally {
      await server.close();
      if (url !== undefined) print(`  server stopped: ${url} is closed`);
    }
  });

  return {
    model: { given: inp.model, source: resolved.source, dir: resolved.dir },
    strategies: rows.all,
    best: rows.best.strategy,
    baselineTest: inp.baselineTest.metrics,
    validation: validation.metrics,
    test: test.metrics,
    export: { dir: exportDir, files: exported.files, maxAbsDiff: exported.validation.maxAbsDiff },
    registry: { dir: registryDir, ...pushed, stage: 'production' },
    server: served,
  };
}
