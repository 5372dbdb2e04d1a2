// pipeline() behaviour around the models: training folders exported on the fly (once, with a note) only
// when an exporter is registered; zero-shot classification against the libtorch NLI scores; refusals;
// and the event loop staying free while ONNX Runtime computes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../torch/index.js';
import { AutoModelForSequenceClassification, logger } from '../models/index.js';
import { AutoTokenizer } from '../text/index.js';
import { exportToOnnx, type ExportOptions } from '../export/index.js';
import { LenguaError } from '../errors.js';
import { golden, skipWithoutGolden as skip } from '../testing/golden.js';
import { OnnxSession, pipeline, registerOnnxExporter, TextGenerationPipeline } from './index.js';

torch.setNumThreads(1);
const TOL = 1e-4;
const root = mkdtempSync(join(tmpdir(), 'lengua-pipeline-'));
after(() => rmSync(root, { recursive: true, force: true }));
const FIXTURE = 'bert-synth-seqcls';
let exported = '';
let nli = '';

before(async () => {
  if (skip !== false) return;
  exported = join(root, 'cls');
  await exportToOnnx(golden('fixtures', FIXTURE), exported, { threads: 1 });
  // An NLI model: the same classifier with labels named as MNLI names them (entailment is id 2).
  nli = join(root, 'nli');
  cpSync(exported, nli, { recursive: true });
  const cfg = JSON.parse(readFileSync(join(nli, 'config.json'), 'utf8')) as Record<string, unknown>;
  cfg.id2label = { 0: 'contradiction', 1: 'neutral', 2: 'entailment' };
  cfg.label2id = { contradiction: 0, neutral: 1, entailment: 2 };
  writeFileSync(join(nli, 'config.json'), JSON.stringify(cfg));
});

test('a training folder needs an exporter; with one it is exported once into the cache, with a note', { skip }, async () => {
  registerOnnxExporter(null);
  await assert.rejects(pipeline('text-classification', golden('fixtures', FIXTURE)), (e: unknown) => e instanceof LenguaError && /lengua export/.test(e.message));
  const calls: string[] = [];
  registerOnnxExporter(async (dir, out, { task }) => {
    calls.push(task);
    await exportToOnnx(dir, out, { task: task as NonNullable<ExportOptions['task']>, threads: 1 });
  });
  try {
    const notes: string[] = [];
    const cacheDir = join(root, 'cache');
    const a = await pipeline('text-classification', golden('fixtures', FIXTURE), { cacheDir, log: (l) => notes.push(l), numThreads: 1 });
    const b = await pipeline('text-classification', golden('fixtures', FIXTURE), { cacheDir, log: (l) => notes.push(l), numThreads: 1 });
    const c = await pipeline('text-classification', exported, { numThreads: 1 });
    try {
      assert.deepEqual(calls, ['text-classification'], 'exported once');
      assert.equal(notes.length, 1);
      assert.match(notes[0]!, /has no ONNX export; exporting it for text-classification into/);
      assert.ok(a.model.exported && a.model.dir.startsWith(cacheDir));
      assert.equal(a.model.dir, b.model.dir);
      const [x, y] = [await a('Hello world!', { topK: null }), await c('Hello world!', { topK: null })];
      x.forEach((p, i) => assert.ok(p.label === y[i]!.label && Math.abs(p.score - y[i]!.score) <= TOL));
    } finally {
      await Promise.all([a.dispose(), b.dispose(), c.dispose()]);
    }
  } finally {
    registerOnnxExporter(null);
  }
});

test('zero-shot-classification scores the entailment of "This example is {}." as the libtorch model does', { skip }, async () => {
  const dir = golden('fixtures', FIXTURE);
  const tok = await AutoTokenizer.fromPretrained(dir);
  const { result: model } = await logger.captureAsync(() => AutoModelForSequenceClassification.fromPretrained(dir));
  model.eval();
  const logits = (a: string, b: string): number[] => {
    const e = tok.encode(a, { pair: b });
    return torch.noGrad(() => model.forward({ inputIds: [e.ids], attentionMask: [e.attentionMask], tokenTypeIds: [e.tokenTypeIds] }).logits.toArray() as number[][])[0]!;
  };
  const sm = (v: number[]): number[] => {
    const m = Math.max(...v);
    const e = v.map((x) => Math.exp(x - m));
    return e.map((x) => x / e.reduce((s, y) => s + y, 0));
  };
  const labels = ['sports', 'politics', 'cooking'];
  const texts = ['The match ended in a draw.', 'Hi.'];
  const zs = await pipeline('zero-shot-classification', nli, { numThreads: 1, batchSize: 4 });
  try {
    const single = await zs(texts, labels);
    const multi = await zs(texts, labels, { multiLabel: true });
    texts.forEach((t, i) => {
      const rows = labels.map((l) => logits(t, `This example is ${l}.`));
      const wantSingle = sm(rows.map((r) => r[2]!));
      const wantMulti = rows.map((r) => sm([r[0]!, r[2]!])[1]!);
      assert.equal(single[i]!.sequence, t);
      assert.deepEqual([...single[i]!.labels].sort(), [...labels].sort());
      single[i]!.labels.forEach((l, k) => assert.ok(Math.abs(single[i]!.scores[k]! - wantSingle[labels.indexOf(l)]!) <= TOL, `${t} ${l}`));
      multi[i]!.labels.forEach((l, k) => assert.ok(Math.abs(multi[i]!.scores[k]! - wantMulti[labels.indexOf(l)]!) <= TOL, `${t} ${l} multi`));
      for (let k = 1; k < labels.length; k++) assert.ok(single[i]!.scores[k - 1]! >= single[i]!.scores[k]!, 'best first');
    });
    await assert.rejects(zs('x', []), /candidate label/);
    await assert.rejects(zs('x', ['a'], { hypothesisTemplate: 'no slot' }), /\{\}/);
  } finally {
    await zs.dispose();
  }
  // A classifier without an entailment label is refused, naming label2id.
  await assert.rejects(pipeline('zero-shot-classification', exported, { numThreads: 1 }), /label2id/);
});

test('refusals: unknown task, a folder exported for another task, bad options, bad texts', { skip }, async () => {
  await assert.rejects(pipeline('image-to-text' as 'fill-mask', exported), /unknown task/);
  await assert.rejects(pipeline('feature-extraction', exported, { numThreads: 1 }), /no output last_hidden_state/);
  await assert.rejects(pipeline('text-classification', exported, { numThreads: 0 }), /numThreads/);
  await assert.rejects(pipeline('text-classification', exported, { batchSize: 0 }), /batchSize/);
  await assert.rejects(pipeline('text-classification', exported, { dtype: 'q8' }), /model_quantized\.onnx/);
  await assert.rejects(pipeline('text-classification', join(root, 'nowhere')), LenguaError);
  const c = await pipeline('text-classification', exported, { numThreads: 1 });
  try {
    await assert.rejects(c([1 as unknown as string]), /texts\[0\]/);
  } finally {
    await c.dispose();
  }
  await assert.rejects(c('x'), /disposed/);
});

test('ONNX Runtime computes in the worker: the main event loop keeps turning during a long batch', { skip }, async () => {
  const session = await OnnxSession.create(join(exported, 'onnx', 'model.onnx'), 1);
  try {
    const [b, s] = [256, 64];
    const ids = BigInt64Array.from({ length: b * s }, (_, i) => BigInt(1 + (i % 1000)));
    const mask = new BigInt64Array(b * s).fill(1n);
    const types = new BigInt64Array(b * s);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const t0 = performance.now();
    const out = await session.run({ input_ids: { data: ids, dims: [b, s] }, attention_mask: { data: mask, dims: [b, s] }, token_type_ids: { data: types, dims: [b, s] } }, ['logits']);
    const ms = performance.now() - t0;
    clearInterval(timer);
    assert.deepEqual(out.logits!.dims, [b, 3]);
    // On the main thread the timer could not fire until run() returned: ticks would be 0.
    assert.ok(ms < 20 || ticks >= 2, `${ticks} ticks in ${ms.toFixed(0)} ms`);
    assert.ok(ms >= 20, `the batch took ${ms.toFixed(1)} ms: too short to show anything`);
  } finally {
    await session.dispose();
  }
});

test("isolation 'process': the session runs in a child process with the same outputs; a killed child fails its calls with a clear error", { skip }, async () => {
  const texts = ['a fine day', 'a long and rather bad afternoon, all things told'];
  const inThread = await pipeline('text-classification', exported, { numThreads: 1 });
  const inProcess = await pipeline('text-classification', exported, { numThreads: 1, isolation: 'process' });
  try {
    assert.deepEqual(await inProcess(texts, { topK: null }), await inThread(texts, { topK: null }));
    const worker = (inProcess as unknown as { session: { worker: { pid: number; isolation: string } } }).session.worker;
    assert.equal(worker.isolation, 'process');
    process.kill(worker.pid, 'SIGKILL');
    for (let i = 0; i < 200 && inProcess.alive; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(inProcess.alive, false);
    await assert.rejects(inProcess('x'), /ONNX Runtime worker stopped \(killed by SIGKILL\)/);
    // This process is unharmed.
    assert.equal((await inThread('x')).length, 1);
  } finally {
    await inThread.dispose();
    await inProcess.dispose();
  }
  await assert.rejects(pipeline('text-classification', exported, { isolation: 'fork' as never }), (e: unknown) => e instanceof LenguaError && e.field === 'isolation');
});

test("pipeline('text-generation') gives generation/'s pipeline: greedy ids as that pipeline makes them", { skip }, async () => {
  const out = join(root, 'gpt2');
  await exportToOnnx(golden('fixtures', 'gpt2-synth-lm'), out, { threads: 1, task: 'text-generation' });
  const viaFactory = await pipeline('text-generation', out, { numThreads: 1 });
  const direct = await TextGenerationPipeline.create(out, { numThreads: 1 });
  try {
    assert.ok(viaFactory instanceof TextGenerationPipeline);
    const [a, b] = [await viaFactory('Hello', { maxNewTokens: 4 }), await direct('Hello', { maxNewTokens: 4 })];
    assert.deepEqual(a, b);
    assert.ok(a[0]!.generated_text.startsWith('Hello') && a[0]!.generated_text.length > 'Hello'.length);
  } finally {
    await Promise.all([viaFactory.dispose(), direct.dispose()]);
  }
});
