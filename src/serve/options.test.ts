// Server options: default workers and threads per model; on loopback: HTTPS with --tls-cert/--tls-key, CORS only for configured origins, request
// logs as JSON lines that are sampled and leave inputs and keys out unless asked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { skipWithoutGolden as skip } from '../testing/golden.js';
import { useServedFixtures, postJson, startServer } from './testing.js';
import { defaultParallelism } from './models.js';

const fixtures = useServedFixtures(['seqcls']);

const SECRET_TEXT = 'my very private tweet 12345';

test('request logs: JSON lines with route, status and time; no inputs and no Authorization header unless asked', { skip }, async () => {
  const lines: string[] = [];
  const stream = new PassThrough();
  stream.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter((l) => l !== '')));
  const { server, url } = await startServer({ models: [{ name: 'm', source: fixtures().seqcls }], log: { stream } });
  try {
    assert.equal((await postJson(`${url}/models/m`, { inputs: SECRET_TEXT }, { authorization: 'Bearer lng_secret_value' })).status, 200);
  } finally {
    await server.close();
  }
  const logs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const req = logs.find((l) => l.msg === 'request');
  assert.ok(req !== undefined, lines.join('\n'));
  assert.equal(req.route, '/models/:name');
  assert.equal(req.status, 200);
  assert.equal(typeof req.ms, 'number');
  assert.ok(!lines.join('\n').includes(SECRET_TEXT));
  assert.ok(!lines.join('\n').includes('lng_secret_value'));

  const withInputs: string[] = [];
  const s2 = new PassThrough();
  s2.on('data', (d: Buffer) => withInputs.push(d.toString()));
  const b = await startServer({ models: [{ name: 'm', source: fixtures().seqcls }], log: { stream: s2, inputs: true, sample: 0 } });
  try {
    await postJson(`${b.url}/models/m`, { inputs: SECRET_TEXT });
    await postJson(`${b.url}/models/nope`, { inputs: SECRET_TEXT });
  } finally {
    await b.server.close();
  }
  // sample 0: the success is not logged, the error is (with the inputs, as asked).
  const logged = withInputs.join('').split('\n').filter((l) => l.includes('"request"')).map((l) => JSON.parse(l) as { status: number; inputs?: string });
  assert.deepEqual(logged.map((l) => l.status), [404]);
  assert.ok(logged[0]!.inputs!.includes(SECRET_TEXT));
});

test('HTTPS with a certificate and key; CORS answers configured origins only', { skip }, async () => {
  const dir = fixtures().root;
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const { server, url } = await startServer({ models: [{ name: 'm', source: fixtures().seqcls }], tls: { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') }, corsOrigins: ['https://app.example'] });
  try {
    assert.match(url, /^https:\/\//);
    const ca = readFileSync(join(dir, 'cert.pem'));
    const answer = await new Promise<{ status: number; cors: string | undefined; hsts: string | undefined }>((resolve, reject) => {
      const req = httpsRequest(`${url}/health`, { ca, headers: { origin: 'https://app.example' } }, (res) => {
        res.resume();
        resolve({ status: res.statusCode!, cors: res.headers['access-control-allow-origin'] as string | undefined, hsts: res.headers['strict-transport-security'] as string | undefined });
      });
      req.on('error', reject);
      req.end();
    });
    assert.deepEqual({ status: answer.status, cors: answer.cors }, { status: 200, cors: 'https://app.example' });
    assert.ok(answer.hsts !== undefined);
    const other = await new Promise<string | undefined>((resolve, reject) => {
      const req = httpsRequest(`${url}/health`, { ca, headers: { origin: 'https://evil.example' } }, (res) => {
        res.resume();
        resolve(res.headers['access-control-allow-origin'] as string | undefined);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(other, undefined);
  } finally {
    await server.close();
  }
});

test('default workers and threads: a session per core up to 4, the cores shared; $LENGUA_NUM_THREADS or a flag fixes the threads', () => {
  assert.deepEqual(defaultParallelism({}, 2, {}), { workers: 2, numThreads: 1 });
  assert.deepEqual(defaultParallelism({}, 1, {}), { workers: 1, numThreads: 1 });
  assert.deepEqual(defaultParallelism({}, 16, {}), { workers: 4, numThreads: 4 });
  assert.deepEqual(defaultParallelism({}, 8, { LENGUA_NUM_THREADS: '4' }), { workers: 2, numThreads: 4 });
  assert.deepEqual(defaultParallelism({ numThreads: 2 }, 2, {}), { workers: 1, numThreads: 2 });
  assert.deepEqual(defaultParallelism({ workers: 3 }, 12, {}), { workers: 3, numThreads: 4 });
  assert.throws(() => defaultParallelism({}, 2, { LENGUA_NUM_THREADS: 'many' }), /LENGUA_NUM_THREADS/);
});
