// The server with API keys on loopback: the official HF client with a key, 401 without, 403 for a
// predict key on an admin route, admin actions in the audit log, open /health and /metrics, per-key rates.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { InferenceClient } from '@huggingface/inference';
import { skipWithoutGolden as skip } from '../testing/golden.js';
import { AuditLog } from './audit.js';
import { createKey } from './keys.js';
import type { LenguaServer } from './server.js';
import { buildServedFixtures, postJson, startServer, type ServedFixtures } from './testing.js';

let fx: ServedFixtures;
let server: LenguaServer;
let url: string;
let predictKey: string;
let adminKey: string;
let slowKey: string;
let auditFile: string;

before(async () => {
  if (skip !== false) return;
  fx = await buildServedFixtures(['seqcls']);
  const keys = join(fx.root, 'keys.json');
  const fast = { N: 1024, r: 8, p: 1, keylen: 32 };
  predictKey = (await createKey(keys, { name: 'app', scope: 'predict', params: fast })).key;
  adminKey = (await createKey(keys, { name: 'ops', scope: 'admin', params: fast })).key;
  slowKey = (await createKey(keys, { name: 'slow', scope: 'predict', rate: '2/s', params: fast })).key;
  auditFile = join(fx.root, 'audit.jsonl');
  ({ server, url } = await startServer({ models: [{ name: 'm', source: fx.seqcls }], keys, audit: new AuditLog(auditFile) }));
});
after(async () => {
  await server?.close();
  if (fx !== undefined) rmSync(fx.root, { recursive: true, force: true });
});

const bearer = (k: string): Record<string, string> => ({ authorization: `Bearer ${k}` });

test('the official HF client works with a key; without one the answer is 401 with WWW-Authenticate', { skip }, async () => {
  const out = await new InferenceClient(predictKey).textClassification({ endpointUrl: `${url}/models/m`, inputs: 'great' });
  assert.equal(out.length, 1);
  const none = await postJson(`${url}/models/m`, { inputs: 'x' });
  assert.equal(none.status, 401);
  assert.equal(none.headers.get('www-authenticate'), 'Bearer');
  assert.equal((none.body as { error_type: string }).error_type, 'unauthorized');
  const wrong = await postJson(`${url}/models/m`, { inputs: 'x' }, bearer(predictKey.slice(0, -2) + 'xx'));
  assert.equal(wrong.status, 401);
  assert.equal((await fetch(`${url}/health`)).status, 200);
  const metrics = await fetch(`${url}/metrics`);
  assert.equal(metrics.status, 200);
  assert.match(await metrics.text(), /lengua_errors_total\{model="m",error_type="unauthorized"\} 2/);
});

test('scopes: a predict key cannot reload a model (403); an admin key can, and the audit log records it without the key', { skip }, async () => {
  const denied = await postJson(`${url}/admin/models/m/reload`, {}, bearer(predictKey));
  assert.equal(denied.status, 403);
  const ok = await postJson(`${url}/admin/models/m/reload`, {}, bearer(adminKey));
  assert.equal(ok.status, 200);
  assert.equal((await postJson(`${url}/models/m`, { inputs: 'x' }, bearer(adminKey))).status, 200);
  const audit = readFileSync(auditFile, 'utf8');
  const lines = audit.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(lines.some((l) => l.event === 'admin' && l.action === 'model.reload' && l.actor === 'key:ops' && l.model === 'm'));
  assert.ok(lines.some((l) => l.event === 'auth_failure' && l.reason === 'forbidden'));
  // The secret is everything after lng_<hex id>_ (base64url may itself hold '_').
  for (const k of [predictKey, adminKey, slowKey]) assert.ok(!audit.includes(k.split('_').slice(2).join('_')));
});

test('a key over its rate gets 429 with Retry-After', { skip }, async () => {
  const codes: number[] = [];
  let retry: string | null = null;
  for (let i = 0; i < 5; i++) {
    const r = await postJson(`${url}/models/m`, { inputs: 'x' }, bearer(slowKey));
    codes.push(r.status);
    if (r.status === 429) retry = r.headers.get('retry-after');
  }
  assert.deepEqual(codes.slice(0, 2), [200, 200]);
  assert.ok(codes.includes(429), codes.join(','));
  assert.ok(retry !== null && Number(retry) >= 1);
});
