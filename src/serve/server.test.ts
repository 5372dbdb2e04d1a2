// The server end to end on loopback: real exported models, real HTTP, the official Hugging Face client,
// answers equal to the pipelines' own; limits and errors with their status codes; metrics; batching.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { InferenceClient } from '@huggingface/inference';
import { pipeline } from '../infer/index.js';
import { skipWithoutGolden as skip } from '../testing/golden.js';
import type { LenguaServer } from './server.js';
import { buildServedFixtures, postJson, startServer, type ServedFixtures } from './testing.js';

let fx: ServedFixtures;
let server: LenguaServer;
let url: string;
const TEXTS = ['I love this so much', 'meh, it was fine I guess', 'worst day ever 😡', 'ok'];

before(async () => {
  if (skip !== false) return;
  fx = await buildServedFixtures(['seqcls', 'nli', 'ner', 'mlm', 'embed']);
  ({ server, url } = await startServer({
    models: [
      { name: 'sentiment', source: fx.seqcls },
      { name: 'nli', source: fx.nli, task: 'zero-shot-classification' },
      { name: 'ner', source: fx.ner },
      { name: 'mlm', source: fx.mlm },
      { name: 'embed', source: fx.embed, task: 'feature-extraction' },
    ],
    maxPayloadBytes: 64 * 1024,
    // A batch window wide enough that concurrent requests meet even on a loaded machine.
    batcher: { maxWaitMs: 50 },
    limits: { maxClientBatchSize: 8 },
  }));
});
after(async () => {
  await server?.close();
  if (fx !== undefined) rmSync(fx.root, { recursive: true, force: true });
});

const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-6;

test('the official @huggingface/inference client gets the pipelines\' own answers for every encoder task', { skip }, async () => {
  const hf = new InferenceClient();
  const direct = await pipeline('text-classification', fx.seqcls, { numThreads: 1 });
  try {
    const got = await hf.textClassification({ endpointUrl: `${url}/models/sentiment`, inputs: TEXTS[0]! });
    const want = await direct(TEXTS[0]!);
    assert.equal(got[0]!.label, want[0]!.label);
    assert.ok(close(got[0]!.score, want[0]!.score));
  } finally {
    await direct.dispose();
  }

  const ner = await hf.tokenClassification({ endpointUrl: `${url}/models/ner`, inputs: 'Hugging Face is in New York' });
  const nerDirect = await pipeline('token-classification', fx.ner, { numThreads: 1 });
  try {
    const want = await nerDirect('Hugging Face is in New York', { aggregationStrategy: 'simple' });
    assert.deepEqual(ner.map((e) => [e.entity_group, e.word, e.start, e.end]), want.map((e) => ['entity_group' in e ? e.entity_group : '', e.word, e.start, e.end]));
  } finally {
    await nerDirect.dispose();
  }

  const masked = await hf.fillMask({ endpointUrl: `${url}/models/mlm`, inputs: 'the weather is [MASK] today' });
  const mlmDirect = await pipeline('fill-mask', fx.mlm, { numThreads: 1 });
  try {
    const want = (await mlmDirect('the weather is [MASK] today')) as Array<{ token: number; token_str: string; sequence: string }>;
    assert.deepEqual(masked.map((m) => [m.token, m.token_str, m.sequence]), want.map((m) => [m.token, m.token_str, m.sequence]));
    assert.equal(masked.length, 5);
  } finally {
    await mlmDirect.dispose();
  }

  const zs = await hf.zeroShotClassification({ endpointUrl: `${url}/models/nli`, inputs: 'I want my money back', parameters: { candidate_labels: ['refund', 'shipping', 'praise'] } });
  assert.deepEqual(zs.map((x) => x.label).sort(), ['praise', 'refund', 'shipping']);
  assert.ok(Math.abs(zs.reduce((s, x) => s + x.score, 0) - 1) < 1e-6);

  const emb = (await hf.featureExtraction({ endpointUrl: `${url}/models/embed`, inputs: 'hello world', parameters: { pooling: 'mean', normalize: true } as never })) as number[];
  assert.ok(emb.length > 1 && emb.every((v) => typeof v === 'number'));
  assert.ok(Math.abs(Math.hypot(...emb) - 1) < 1e-5);
});

test('HF route: a batch gets one answer per input, in order; top_k null gives every label', { skip }, async () => {
  const r = await postJson(`${url}/models/sentiment`, { inputs: TEXTS, parameters: { top_k: null } });
  assert.equal(r.status, 200);
  const out = r.body as Array<Array<{ label: string; score: number }>>;
  assert.equal(out.length, TEXTS.length);
  for (const row of out) assert.deepEqual(row.map((x) => x.label).sort(), ['negative', 'neutral', 'positive']);
  const one = await postJson(`${url}/models/sentiment`, { inputs: TEXTS[2] });
  assert.deepEqual((one.body as unknown[][])[0], [out[2]![0]]);
});

test('errors: status codes and {error, error_type} bodies that name the problem', { skip }, async () => {
  const unknown = await postJson(`${url}/models/nope`, { inputs: 'x' });
  assert.equal(unknown.status, 404);
  assert.deepEqual(Object.keys(unknown.body as object).sort(), ['error', 'error_type']);
  assert.match((unknown.body as { error: string }).error, /nope/);

  const badJson = await postJson(`${url}/models/sentiment`, '{"inputs": ');
  assert.equal(badJson.status, 400);

  const noInputs = await postJson(`${url}/models/sentiment`, { text: 'x' });
  assert.equal(noInputs.status, 400);
  assert.match((noInputs.body as { error: string }).error, /inputs/);

  const badParam = await postJson(`${url}/models/sentiment`, { inputs: 'x', parameters: { top_k: 'three' } });
  assert.equal(badParam.status, 422);
  assert.match((badParam.body as { error: string }).error, /top_k/);

  const big = await postJson(`${url}/models/sentiment`, { inputs: 'a '.repeat(40_000) });
  assert.equal(big.status, 413);
  assert.equal((big.body as { error_type: string }).error_type, 'payload_too_large');

  const long = 'word '.repeat(200);
  const tooLong = await postJson(`${url}/models/sentiment`, { inputs: long });
  assert.equal(tooLong.status, 422);
  assert.match((tooLong.body as { error: string }).error, /at most 64/);
  const truncated = await postJson(`${url}/models/sentiment`, { inputs: long, parameters: { truncation: true } });
  assert.equal(truncated.status, 200);

  const tooMany = await postJson(`${url}/models/sentiment`, { inputs: Array(9).fill('x') });
  assert.equal(tooMany.status, 422);
  assert.match((tooMany.body as { error: string }).error, /limit is 8/);

  const route = await fetch(`${url}/nowhere`);
  assert.equal(route.status, 404);
  const wrongTask = await postJson(`${url}/embed?model=sentiment`, { inputs: 'x' });
  assert.equal(wrongTask.status, 400);
});

test('TEI routes: /predict, /embed, /tokenize, /decode, /info', { skip }, async () => {
  const pred = await postJson(`${url}/predict`, { inputs: 'I love it' });
  assert.equal(pred.status, 200);
  assert.equal((pred.body as unknown[]).length, 3);
  const pair = await postJson(`${url}/predict`, { inputs: [['I love it', 'I hate it'], 'plain'] });
  assert.equal((pair.body as unknown[][]).length, 2);

  const emb = await postJson(`${url}/embed`, { inputs: ['a', 'b c'] });
  const vecs = emb.body as number[][];
  assert.equal(vecs.length, 2);
  for (const v of vecs) assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-5);

  const tok = await postJson(`${url}/tokenize?model=sentiment`, { inputs: 'Hello world' });
  const tokens = (tok.body as Array<Array<{ id: number; text: string; special: boolean; start: number | null; stop: number | null }>>)[0]!;
  assert.equal(tokens[0]!.special, true);
  const words = tokens.filter((t) => !t.special);
  assert.equal('Hello world'.slice(words[0]!.start!, words[0]!.stop!), words[0]!.text);
  const dec = await postJson(`${url}/decode?model=sentiment`, { ids: tokens.map((t) => t.id) });
  assert.equal((dec.body as string[])[0], 'hello world');

  const info = (await (await fetch(`${url}/info`)).json()) as { model_id: string; max_input_length: number; model_type: { classifier?: unknown }; models: unknown[] };
  assert.equal(info.model_id, 'sentiment');
  assert.equal(info.max_input_length, 64);
  assert.ok(info.model_type.classifier !== undefined);
  assert.equal(info.models.length, 5);
});

test('dynamic batching: concurrent requests share batches; /metrics shows requests, batches and the event loop', { skip }, async () => {
  const before = await (await fetch(`${url}/metrics`)).text();
  const batchesBefore = Number(/lengua_batch_size_count\{model="sentiment",version="local"\} (\d+)/.exec(before)?.[1] ?? 0);
  const n = 40;
  const answers = await Promise.all(Array.from({ length: n }, (_, i) => postJson(`${url}/models/sentiment`, { inputs: `${TEXTS[i % TEXTS.length]} ${i}` })));
  assert.ok(answers.every((a) => a.status === 200));
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const batches = Number(/lengua_batch_size_count\{model="sentiment",version="local"\} (\d+)/.exec(metrics)![1]) - batchesBefore;
  assert.ok(batches < n, `${n} concurrent requests ran in ${batches} batches`);
  assert.match(metrics, /lengua_requests_total\{model="sentiment",route="\/models\/:name",status="200"\} \d+/);
  assert.match(metrics, /lengua_request_duration_seconds_bucket/);
  assert.match(metrics, /lengua_errors_total\{model="nope",error_type="not_found"\} 1/);
  assert.match(metrics, /lengua_nodejs_eventloop_lag_seconds/);
  assert.match(metrics, /lengua_queue_depth\{model="sentiment",version="local"\} 0/);
  assert.match(metrics, /lengua_model_info\{model="ner",version="local",task="token-classification"\} 1/);
});

test('security headers are set; CORS is off unless configured', { skip }, async () => {
  const res = await fetch(`${url}/health`, { headers: { origin: 'https://evil.example' } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(res.headers.get('access-control-allow-origin'), null);
  const ready = (await (await fetch(`${url}/ready`)).json()) as { status: string; models: unknown[] };
  assert.equal(ready.status, 'ready');
  assert.equal(ready.models.length, 5);
});
