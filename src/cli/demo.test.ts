// `lengua demo` end to end on a tiny model pretrained here (models/lengua-bert-mini is not needed): every
// step runs for real — libtorch training, the ONNX export, the registry, the server on loopback queried with
// the official client — and the test checks what each step left behind, not only what it printed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LenguaError } from '../errors.js';
import { checkTestDiscipline } from '../eval/evaluate.js';
import { FakeHub } from '../hub/testing.js';
import { pipeline } from '../infer/index.js';
import { Registry } from '../registry/index.js';
import { DEFAULT_MODEL, parseStrategies, runDemo, type DemoFlags } from './demo.js';
import { REPO, runCli, runCliAsync } from './testing.js';

const SAMPLE = join(REPO, 'examples/data/tweets-sample.csv');
const root = mkdtempSync(join(tmpdir(), 'lengua-demo-'));
const tiny = join(root, 'tiny-bert');
// One output folder for the whole file: the second run (through the Hub) goes into the folder of the first.
const out = join(root, 'out');
after(() => rmSync(root, { recursive: true, force: true }));

before(() => {
  // A 2-layer, 32-wide BERT pretrained for 3 steps: the demo's flow, not its accuracy, is under test here.
  const r = runCli([
    'pretrain', '--model-type', 'bert', '--train', SAMPLE, '--text-column', 'text', '--out', tiny, '--vocab-size', '500',
    '--config-overrides', 'hidden_size=32,num_hidden_layers=2,num_attention_heads=2,intermediate_size=64,max_position_embeddings=64',
    '--max-length', '32', '--max-steps', '3', '--threads', '1',
  ]);
  assert.equal(r.status, 0, r.stderr);
});

interface Summary {
  steps: Array<{ step: number; title: string; seconds: number }>;
  best: string;
  strategies: Array<{ strategy: string; macroRecall: number }>;
  server: { url: string; metricsUrl: string; answers: Array<{ lang: string; text: string; label: string; score: number }> };
  registry: { name: string; version: string };
}

const readJson = <T>(...path: string[]): T => JSON.parse(readFileSync(join(...path), 'utf8')) as T;
const flags = (extra: Partial<DemoFlags>): DemoFlags => ({ data: SAMPLE, out, seed: '7', model: tiny, epochs: '1', strategies: 'head,full', threads: '1', ...extra });

test('lengua demo runs the whole course: splits, baseline, fine-tuning, test once, ONNX, registry, server', async () => {
  const lines: string[] = [];
  await runDemo(flags({}), (l) => lines.push(l));
  const stdout = lines.join('\n');

  // Every step ran, in order, each with its seconds.
  for (let n = 1; n <= 14; n++) assert.match(stdout, new RegExp(`^# ${n}\\. .*\\n(.*\\n)*?  \\[step ${n}: \\d+\\.\\d s`, 'm'), `step ${n}`);
  assert.match(stdout, /# Done in \d+\.\d s/);

  // The data half, as before.
  assert.match(stdout, /rows\s+345/);
  assert.match(stdout, /normalized: .*http/); // URLs replaced the TweetEval way
  assert.match(stdout, /Holaa!/); // letters repeated 3+ times squeezed
  assert.match(stdout, /train ∩ test: 0 exact, 0 after normalization/);
  const manifest = readJson<{ seed: number; counts: Record<string, { rows: number }> }>(out, 'split.json');
  assert.equal(manifest.seed, 7);
  assert.equal(Object.values(manifest.counts).reduce((a, c) => a + c.rows, 0), 345);
  // The baseline learns: clearly above the one-in-three majority share on validation and test (its lines come first).
  for (const split of ['validation', 'test']) {
    const m = new RegExp(`\\[${split}, n=\\d+\\] accuracy (\\d\\.\\d+)`).exec(stdout);
    assert.ok(m, `no ${split} accuracy in:\n${stdout}`);
    assert.ok(Number(m[1]) > 0.45, `${split} accuracy ${m[1]}`);
  }

  // Fine-tuning: the strategies asked for, the best by validation macro recall kept as model/, the runs removed.
  const s = readJson<Summary>(out, 'summary.json');
  assert.deepEqual(s.strategies.map((r) => r.strategy), ['head', 'full']);
  const top = Math.max(...s.strategies.map((r) => r.macroRecall));
  assert.equal(s.best, s.strategies.find((r) => r.macroRecall === top)!.strategy);
  assert.equal(s.steps.length, 14);
  assert.ok(!existsSync(join(out, 'finetune')));
  const model = join(out, 'model');
  const labels = Object.values(readJson<{ id2label: Record<string, string> }>(model, 'config.json').id2label).sort();
  assert.deepEqual(labels, ['negative', 'neutral', 'positive']);

  // Test discipline: each model's test split was evaluated exactly once, and a second time is refused.
  for (const dir of ['baseline', 'model']) {
    const evaluations = readJson<{ evaluations: Array<{ split: string }> }>(out, dir, 'evaluations.json').evaluations;
    assert.deepEqual(evaluations.map((e) => e.split), ['validation', 'test'], dir);
    assert.throws(() => checkTestDiscipline(join(out, dir), 'test'), LenguaError);
  }
  for (const report of ['report-baseline-test.html', 'report-model-test.html']) {
    const html = readFileSync(join(out, report), 'utf8');
    assert.match(html, /<svg/);
    assert.match(html, /test split/);
  }

  // The export loads in ONNX Runtime and gives the server's answers (the server served this very file).
  assert.ok(existsSync(join(out, 'export', 'onnx', 'model_quantized.onnx')));
  const classify = await pipeline('text-classification', join(out, 'export'), { numThreads: 1 });
  try {
    assert.ok(s.server.answers.some((a) => a.lang === 'en') && s.server.answers.some((a) => a.lang === 'es'));
    for (const a of s.server.answers) {
      assert.ok(labels.includes(a.label), a.label);
      const [want] = await classify(a.text);
      assert.equal(a.label, want!.label);
      // Same ONNX file and runtime: float32 rounding of one softmax, not a modelling difference.
      assert.ok(Math.abs(a.score - want!.score) < 1e-5, `${a.score} vs ${want!.score}`);
    }
  } finally {
    await classify.dispose();
  }

  // The registry holds the version, promoted to production, with the test evaluation in its manifest.
  const registry = await Registry.open({ root: join(out, 'registry') });
  assert.equal((await registry.stage('tweet-sentiment', 'production'))?.version, '1.0.0');
  const pushed = await registry.resolveRef('tweet-sentiment@production');
  assert.ok(pushed.manifest.onnx.includes('onnx/model_quantized.onnx'));
  assert.ok(pushed.manifest.metrics.evaluations.some((e) => e.split === 'test'));

  // /metrics served Prometheus text counting the requests; the server is closed: its port refuses.
  assert.match(stdout, new RegExp(`metrics \\(Prometheus text\\): ${s.server.metricsUrl.replace(/[.]/g, '\\.')}`));
  assert.match(stdout, new RegExp(`lengua_requests_total\\{model="tweet-sentiment",[^}]*status="200"\\} ${s.server.answers.length}\\b`));
  await assert.rejects(fetch(s.server.metricsUrl), (e: Error) => /ECONNREFUSED/.test(String((e.cause as Error | undefined)?.message ?? e.message)));

  // The summary lists every artefact of the folder.
  for (const name of readdirSync(out)) assert.match(stdout, new RegExp(`^  ${name.replace(/[.]/g, '\\.')}/?\\s+\\d+(\\.\\d)? (KB|MB)  \\w`, 'm'), name);
});

test('lengua demo --model HUB-ID downloads through HF_ENDPOINT (a loopback Hub) and a rerun into the same folder starts clean', async () => {
  const hub = new FakeHub();
  await hub.start();
  try {
    const repo = hub.addFolder('lengua-test/tiny-bert', tiny);
    const cache = join(root, 'hf-cache');
    const r = await runCliAsync(
      ['demo', '--model', 'lengua-test/tiny-bert', '--out', out, '--seed', '7', '--epochs', '1', '--strategies', 'head', '--threads', '1'],
      // No token saved on this machine (HF_HOME/token, HF_TOKEN_PATH) and no offline switch leaks into the run.
      { HF_ENDPOINT: hub.hubUrl, HF_HUB_CACHE: cache, HF_HOME: join(root, 'hf-home'), HF_TOKEN_PATH: join(root, 'no-token'), HF_HUB_OFFLINE: '0', TRANSFORMERS_OFFLINE: '0', HF_TOKEN: '' },
    );
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Hub lengua-test\/tiny-bert@[0-9a-f]{12} \(downloaded \d+ file\(s\)\)/);
    // Downloaded for real: config and tokenizer from the hub, the weights through the CDN redirect, into the cache layout.
    assert.ok(hub.hubLog.some((q) => q.url.endsWith('/config.json')));
    assert.ok(hub.cdnLog.length > 0, 'the safetensors came from the CDN');
    assert.ok(existsSync(join(cache, 'models--lengua-test--tiny-bert', 'snapshots', repo.commit, 'model.safetensors')));

    // The earlier run's model, registry versions and test record are gone: one version, one test evaluation.
    const registry = await Registry.open({ root: join(out, 'registry') });
    assert.deepEqual(await registry.versions('tweet-sentiment'), ['1.0.0']);
    const evaluations = readJson<{ evaluations: Array<{ split: string }> }>(out, 'model', 'evaluations.json').evaluations;
    assert.deepEqual(evaluations.map((e) => e.split), ['validation', 'test']);
    assert.deepEqual(readJson<Summary>(out, 'summary.json').strategies.map((x) => x.strategy), ['head']);
  } finally {
    hub.stop();
  }
});

test('the default model: the repository\'s models/lengua-bert-mini', { skip: !existsSync(join(DEFAULT_MODEL, 'config.json')) && 'models/lengua-bert-mini not built' }, async () => {
  const dir = join(root, 'default');
  const r = await runCliAsync(['demo', '--out', dir, '--epochs', '1', '--strategies', 'head', '--threads', '1']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /# 8\. Pretrained model .*lengua-bert-mini\n {2}folder: /);
  assert.equal(readJson<Summary>(dir, 'summary.json').steps.length, 14);
});

test('without models/lengua-bert-mini the default --model is an error saying how to build it', { skip: existsSync(join(DEFAULT_MODEL, 'config.json')) && 'models/lengua-bert-mini is built' }, async () => {
  const dir = join(root, 'no-default');
  await assert.rejects(runDemo(flags({ out: dir, model: DEFAULT_MODEL }), () => undefined), (e: unknown) => {
    assert.ok(e instanceof LenguaError);
    assert.match(e.message, /npm run build:model/);
    assert.match(e.message, /lengua-bert-mini/);
    return true;
  });
  assert.ok(!existsSync(dir), 'nothing was written');
});

test('bad flags and a foreign --out folder are refused before any work', async () => {
  assert.throws(() => parseStrategies('head,bogus'), /unknown strategy "bogus"/);
  assert.throws(() => parseStrategies('full,full'), /named twice/);
  assert.throws(() => parseStrategies(' , '), /at least one strategy/);
  const lines: string[] = [];
  await assert.rejects(runDemo(flags({ out: join(root, 'never'), epochs: '0' }), (l) => lines.push(l)), /--epochs|\[1, 100\]/);
  // A folder with a model/ that no demo wrote (no split.json) is someone's work: not deleted.
  const foreign = join(root, 'foreign');
  mkdirSync(join(foreign, 'model'), { recursive: true });
  await assert.rejects(runDemo(flags({ out: foreign }), (l) => lines.push(l)), /not a demo output folder/);
  assert.ok(existsSync(join(foreign, 'model')));
  assert.deepEqual(lines, []);
});
