// Model monitoring in the server: predictions feed the model's monitor, GET /monitoring compares them
// with the reference `lengua monitor reference` recorded, POST /feedback (by the x-request-id the server
// sent) gives live accuracy, the gauges reach /metrics, and a swapped-in version gets a fresh monitor.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../cli/testing.js';
import { skipWithoutGolden as skip } from '../testing/golden.js';
import type { MonitoringSnapshot } from './monitoring.js';
import type { LenguaServer } from './server.js';
import { buildServedFixtures, postJson, startServer, type ServedFixtures } from './testing.js';

let fx: ServedFixtures;
let server: LenguaServer;
let url: string;
const TEXTS = ['I love it', 'terrible service', 'it is ok', 'best day ever', 'so sad today', 'meh'];

before(async () => {
  if (skip !== false) return;
  fx = await buildServedFixtures(['seqcls']);
  const data = join(fx.root, 'reference.csv');
  writeFileSync(data, 'text,label\n' + TEXTS.map((t, i) => `${t},${['positive', 'negative', 'neutral'][i % 3]}`).join('\n') + '\n');
  const r = runCli(['monitor', 'reference', '--model', fx.seqcls, '--data', data]);
  assert.equal(r.status, 0, r.stderr);
  ({ server, url } = await startServer({ models: [{ name: 'm', source: fx.seqcls }] }));
});
after(async () => {
  await server?.close();
  if (fx !== undefined) rmSync(fx.root, { recursive: true, force: true });
});

test('predictions reach /monitoring next to the reference; feedback by x-request-id gives live accuracy', { skip }, async () => {
  const answers = await Promise.all(TEXTS.map((t) => postJson(`${url}/models/m`, { inputs: t })));
  const ids = answers.map((a) => a.headers.get('x-request-id'));
  assert.ok(ids.every((id) => id !== null && /^[0-9a-f-]{36}$/.test(id)), ids.join(','));
  const predicted = answers.map((a) => (a.body as Array<Array<{ label: string }>>)[0]![0]!.label);
  const fb = await postJson(`${url}/feedback`, { model: 'm', feedback: ids.map((id, i) => ({ request_id: id, label: i % 2 === 0 ? predicted[i] : 'positive' })) });
  assert.equal(fb.status, 200, JSON.stringify(fb.body));
  assert.equal((fb.body as { recorded: number }).recorded, TEXTS.length);
  const again = await postJson(`${url}/feedback`, { request_id: ids[0], label: 'negative' });
  // A request's feedback counts once (once all of it is given, its id is forgotten).
  assert.notEqual((again.body as { results: Array<{ status: string }> }).results[0]!.status, 'recorded');
  const unknown = await postJson(`${url}/feedback`, { request_id: 'no-such-id', label: 'negative' });
  assert.equal((unknown.body as { results: Array<{ status: string }> }).results[0]!.status, 'unknown_request');

  const snap = (await (await fetch(`${url}/monitoring`)).json()) as MonitoringSnapshot;
  assert.equal(snap.models.length, 1);
  const m = snap.models[0]!;
  assert.equal(m.model, 'm');
  assert.equal(m.window.count, TEXTS.length);
  assert.ok(m.reference !== null);
  assert.equal(m.reference.count, TEXTS.length);
  const expectedAccuracy = predicted.filter((p, i) => (i % 2 === 0 ? true : p === 'positive')).length / TEXTS.length;
  assert.ok(Math.abs(m.feedback.accuracy! - expectedAccuracy) < 1e-12);
  const metrics = await (await fetch(`${url}/metrics`)).text();
  assert.match(metrics, /lengua_monitoring_live_accuracy\{model="m",version="local"\} /);
  assert.match(metrics, /lengua_monitoring_window_predictions\{model="m",version="local"\} 6/);

  const bad = await postJson(`${url}/feedback`, { model: 'm', label: 'positive' });
  assert.equal(bad.status, 422);
});

test('a version swapped in gets a fresh monitor; the old one leaves /monitoring and /metrics', { skip }, async () => {
  assert.equal((await postJson(`${url}/admin/models/m/reload`, {})).status, 200);
  // The old version leaves once it has answered what it accepted and its worker has ended.
  let snap = (await (await fetch(`${url}/monitoring`)).json()) as MonitoringSnapshot;
  for (let i = 0; i < 100 && snap.models.length > 1; i++) {
    await new Promise((r) => setTimeout(r, 20));
    snap = (await (await fetch(`${url}/monitoring`)).json()) as MonitoringSnapshot;
  }
  assert.equal(snap.models.length, 1);
  assert.equal(snap.models[0]!.window.count, 0);
  const metrics = await (await fetch(`${url}/metrics`)).text();
  assert.match(metrics, /lengua_monitoring_window_predictions\{model="m",version="local"\} 0/);
});
