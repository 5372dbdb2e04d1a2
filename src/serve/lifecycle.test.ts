// The server under stress on loopback: a full queue answers 429 with Retry-After, a version swapped in
// under load fails no request, a dead worker (ended while its requests wait, killed during a batch, or
// found dead while idle) gives 503s and is replaced, a close finishes
// what it accepted, a timeout answers 504.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { skipWithoutGolden as skip } from '../testing/golden.js';
import type { LenguaServer } from './server.js';
import { useServedFixtures, postJson, startServer } from './testing.js';

const fixtures = useServedFixtures(['seqcls']);

const TEXT = 'this is a tweet of moderate length to keep the model busy for a moment';

/** Polls `cond` for up to 30 s: replacing a model starts worker processes, which takes seconds on a loaded machine. */
async function until(cond: () => boolean): Promise<void> {
  const end = Date.now() + 30_000;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond(), 'timed out waiting');
}

async function withServer(opts: Partial<Parameters<typeof startServer>[0]>, fn: (s: LenguaServer, url: string) => Promise<void>): Promise<void> {
  const { server, url } = await startServer({ models: [{ name: 'm', source: fixtures().seqcls }], ...opts });
  try {
    await fn(server, url);
  } finally {
    await server.close();
  }
}

test('a full queue answers 429 with Retry-After; every accepted request is answered', { skip }, async () => {
  // The first 4 wait 2 s for company in the queue, so the others find it full.
  await withServer({ batcher: { maxConcurrentRequests: 4, maxWaitMs: 2000 } }, async (_s, url) => {
    const all = await Promise.all(Array.from({ length: 40 }, () => postJson(`${url}/models/m`, { inputs: TEXT })));
    const codes = all.map((r) => r.status);
    assert.ok(codes.includes(429), `codes: ${codes.join(',')}`);
    assert.ok(codes.every((c) => c === 200 || c === 429));
    assert.ok(codes.filter((c) => c === 200).length >= 4);
    const refused = all.find((r) => r.status === 429)!;
    assert.equal(refused.headers.get('retry-after'), '1');
    assert.equal((refused.body as { error_type: string }).error_type, 'overloaded');
  });
});

test('a new version swapped in under load fails no request; later requests see the new version', { skip }, async () => {
  await withServer({}, async (server, url) => {
    let stop = false;
    const statuses: number[] = [];
    const load = Promise.all(Array.from({ length: 6 }, async () => {
      while (!stop) statuses.push((await postJson(`${url}/models/m`, { inputs: TEXT })).status);
    }));
    await new Promise((r) => setTimeout(r, 200));
    const reload = await postJson(`${url}/admin/models/m/reload`, {});
    assert.equal(reload.status, 200);
    await new Promise((r) => setTimeout(r, 200));
    stop = true;
    await load;
    assert.ok(statuses.length > 20, `${statuses.length} requests`);
    assert.deepEqual([...new Set(statuses)], [200]);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /lengua_model_reloads_total\{model="m",reason="admin"\} 1/);
    assert.ok(server.ready);
  });
});

// The worker is ended while the requests wait for their batch. The next test kills one during a batch.
for (const workers of [1, 2]) {
  const fate = workers === 1 ? 'they get 503' : 'the other worker answers them';
  test(`a worker that dies with requests queued (${workers} per model): ${fate}, the server stays up and replaces the model`, { skip }, async () => {
    // The batch waits up to 2 s for company, so all 8 requests are queued when the worker dies.
    await withServer({ workers, batcher: { maxWaitMs: 2000 } }, async (server, url) => {
      const inFlight = Promise.all(Array.from({ length: 8 }, () => postJson(`${url}/models/m`, { inputs: TEXT })));
      await until(() => server.ctx.slot('m').current.batcher.pending === 8);
      // What a crash of the ONNX Runtime worker looks like to the server: a worker is gone. With two, the
      // last one dies (an idle worker is taken from the end of the list): the batch goes to the other.
      const pipes = server.ctx.slot('m').current.pipes as unknown as Array<{ session: { worker: { terminate(): Promise<number> } } }>;
      assert.equal(pipes.length, workers);
      await pipes.at(-1)!.session.worker.terminate();
      const codes = (await inFlight).map((r) => r.status);
      assert.deepEqual(codes, Array(8).fill(workers === 1 ? 503 : 200));
      await until(() => server.ready);
      assert.equal(server.ctx.slot('m').current.pipes.length, workers);
      const again = await Promise.all(Array.from({ length: 8 }, () => postJson(`${url}/models/m`, { inputs: TEXT })));
      assert.deepEqual(again.map((r) => r.status), Array(8).fill(200));
      assert.match(await (await fetch(`${url}/metrics`)).text(), /lengua_model_reloads_total\{model="m",reason="crash"\} 1/);
    });
  });
}

type Killable = { session: { worker: { pid: number | undefined; isolation: string } } };

test('a worker process killed during a batch (SIGKILL): its requests get 503, the server stays up and replaces the model', { skip }, async () => {
  await withServer({ workers: 1, batcher: { maxWaitMs: 0 } }, async (server, url) => {
    const model = server.ctx.slot('m').current;
    const { worker } = (model.pipes[0] as unknown as Killable).session;
    assert.equal(worker.isolation, 'process');
    // Frozen first, so the batch is surely inside the worker when it dies.
    process.kill(worker.pid!, 'SIGSTOP');
    const inFlight = Promise.all(Array.from({ length: 6 }, () => postJson(`${url}/models/m`, { inputs: TEXT })));
    await until(() => model.batcher.pending === 6 && model.batcher.depth < 6);
    process.kill(worker.pid!, 'SIGKILL');
    const codes = (await inFlight).map((r) => r.status);
    assert.ok(codes.every((c) => c === 503 || c === 200), codes.join(','));
    assert.ok(codes.includes(503), codes.join(','));
    await until(() => server.ctx.slot('m').current !== model && server.ready);
    assert.equal((await postJson(`${url}/models/m`, { inputs: TEXT })).status, 200);
    assert.equal((await fetch(`${url}/health`)).status, 200);
    assert.match(await (await fetch(`${url}/metrics`)).text(), /lengua_model_reloads_total\{model="m",reason="crash"\} 1/);
  });
});

test('a worker that dies while idle is replaced before any request fails on it', { skip }, async () => {
  await withServer({ workers: 2 }, async (server, url) => {
    const first = server.ctx.slot('m').current;
    await (first.pipes[0] as unknown as { session: { worker: { terminate(): Promise<number> } } }).session.worker.terminate();
    await until(() => server.ctx.slot('m').current !== first && server.ready);
    assert.equal((await postJson(`${url}/models/m`, { inputs: TEXT })).status, 200);
    assert.match(await (await fetch(`${url}/metrics`)).text(), /lengua_model_reloads_total\{model="m",reason="crash"\} 1/);
  });
});

test('close(): stops accepting, answers every accepted request, then ends', { skip }, async () => {
  const { server, url } = await startServer({ models: [{ name: 'm', source: fixtures().seqcls }], batcher: { maxBatchRequests: 64, maxWaitMs: 2000 } });
  const inFlight = Promise.all(Array.from({ length: 12 }, () => postJson(`${url}/models/m`, { inputs: TEXT }).catch(() => ({ status: 0 }))));
  await until(() => server.ctx.slot('m').current.batcher.pending >= 6);
  const accepted = server.ctx.slot('m').current.batcher.pending;
  await server.close();
  const codes = (await inFlight).map((r) => r.status);
  // Accepted requests are answered; the others were refused (503 while closing, or no connection).
  assert.ok(codes.filter((c) => c === 200).length >= accepted, `accepted ${accepted}, codes ${codes.join(',')}`);
  assert.ok(codes.every((c) => c === 200 || c === 503 || c === 0), codes.join(','));
  await assert.rejects(fetch(`${url}/health`));
});

test('a request that waits past the timeout answers 504', { skip }, async () => {
  await withServer({ limits: { timeoutMs: 1 }, batcher: { maxBatchRequests: 1, maxWaitMs: 0 } }, async (_s, url) => {
    const codes = (await Promise.all(Array.from({ length: 10 }, () => postJson(`${url}/models/m`, { inputs: TEXT })))).map((r) => r.status);
    assert.ok(codes.includes(504), `codes: ${codes.join(',')}`);
    assert.ok(codes.every((c) => c === 200 || c === 504));
    assert.equal((await fetch(`${url}/health`)).status, 200);
  });
});
