// The batch queue on its own: batches by token budget, request count and call options; the client that
// went away and the expired request never run; a full queue refuses; drain waits for what was accepted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Batcher, type BatcherOptions } from './batcher.js';
import { HttpError } from './errors.js';

function recorder(opts: Partial<BatcherOptions>, delayMs = 0): { batcher: Batcher<string, string>; batches: Array<{ inputs: string[]; group: string }> } {
  const batches: Array<{ inputs: string[]; group: string }> = [];
  const batcher = new Batcher<string, string>(async (inputs, group) => {
    batches.push({ inputs, group });
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    return inputs.map((x) => x.toUpperCase());
  }, { maxBatchTokens: 100, maxBatchRequests: 64, maxConcurrentRequests: 512, maxWaitMs: 20, ...opts });
  return { batcher, batches };
}

test('requests that arrive together share a batch; answers go back to their own callers', async () => {
  const { batcher, batches } = recorder({});
  const out = await Promise.all(['a', 'b', 'c'].map((x) => batcher.submit({ input: x, cost: 1, group: 'g' })));
  assert.deepEqual(out, ['A', 'B', 'C']);
  assert.deepEqual(batches, [{ inputs: ['a', 'b', 'c'], group: 'g' }]);
});

test('a batch holds at most maxBatchTokens tokens and maxBatchRequests inputs; a single input over the budget runs alone', async () => {
  const { batcher, batches } = recorder({ maxBatchTokens: 10, maxBatchRequests: 3 });
  await Promise.all([
    ...['a', 'b', 'c', 'd'].map((x) => batcher.submit({ input: x, cost: 2, group: 'g' })),
    batcher.submit({ input: 'big', cost: 50, group: 'g' }),
    ...['e', 'f'].map((x) => batcher.submit({ input: x, cost: 4, group: 'g' })),
  ]);
  assert.deepEqual(batches.map((b) => b.inputs), [['a', 'b', 'c'], ['d'], ['big'], ['e', 'f']]);
});

test('only requests with the same call options share a batch', async () => {
  const { batcher, batches } = recorder({});
  await Promise.all([
    batcher.submit({ input: 'a', cost: 1, group: 'topK=1' }),
    batcher.submit({ input: 'b', cost: 1, group: 'topK=all' }),
    batcher.submit({ input: 'c', cost: 1, group: 'topK=1' }),
  ]);
  assert.deepEqual(batches, [{ inputs: ['a', 'c'], group: 'topK=1' }, { inputs: ['b'], group: 'topK=all' }]);
});

test('a request whose client went away, or whose deadline passed, leaves the queue without running', async () => {
  const { batcher, batches } = recorder({ maxWaitMs: 30 });
  const gone = new AbortController();
  const a = batcher.submit({ input: 'gone', cost: 1, group: 'g', signal: gone.signal });
  const b = batcher.submit({ input: 'late', cost: 1, group: 'g', deadline: Date.now() + 5 });
  const c = batcher.submit({ input: 'kept', cost: 1, group: 'g' });
  gone.abort();
  await assert.rejects(a, (e: unknown) => e instanceof HttpError && e.status === 499);
  await assert.rejects(b, (e: unknown) => e instanceof HttpError && e.status === 504);
  assert.equal(await c, 'KEPT');
  assert.deepEqual(batches.map((x) => x.inputs), [['kept']]);
});

test('maxConcurrentRequests: more are refused with 429 and Retry-After; drain answers the accepted and refuses new ones', async () => {
  const { batcher } = recorder({ maxConcurrentRequests: 2, maxWaitMs: 0 }, 20);
  const accepted = [batcher.submit({ input: 'a', cost: 1, group: 'g' }), batcher.submit({ input: 'b', cost: 1, group: 'g' })];
  await assert.rejects(batcher.submit({ input: 'c', cost: 1, group: 'g' }), (e: unknown) => e instanceof HttpError && e.status === 429 && e.retryAfter === 1);
  assert.equal(batcher.pending, 2);
  const drained = batcher.drain();
  await assert.rejects(batcher.submit({ input: 'd', cost: 1, group: 'g' }), (e: unknown) => e instanceof HttpError && e.status === 503);
  await drained;
  assert.deepEqual(await Promise.all(accepted), ['A', 'B']);
  assert.equal(batcher.pending, 0);
});

test('a failed batch rejects each of its requests with the error; the queue goes on', async () => {
  let calls = 0;
  const batcher = new Batcher<string, string>(async (inputs) => {
    calls++;
    if (calls === 1) throw new Error('boom');
    return inputs;
  }, { maxBatchTokens: 100, maxBatchRequests: 1, maxConcurrentRequests: 10, maxWaitMs: 0 });
  const first = batcher.submit({ input: 'x', cost: 1, group: 'g' });
  const second = batcher.submit({ input: 'y', cost: 1, group: 'g' });
  await assert.rejects(first, /boom/);
  assert.equal(await second, 'y');
});

test('concurrency: that many batches run at once, never more, and the queue goes on as each ends', async () => {
  let running = 0;
  let most = 0;
  const gates: Array<() => void> = [];
  const batcher = new Batcher<string, string>(async (inputs) => {
    running++;
    most = Math.max(most, running);
    await new Promise<void>((r) => gates.push(r));
    running--;
    return inputs;
  }, { maxBatchTokens: 100, maxBatchRequests: 1, maxConcurrentRequests: 10, maxWaitMs: 0, concurrency: 2 });
  const out = Promise.all(['a', 'b', 'c', 'd'].map((x) => batcher.submit({ input: x, cost: 1, group: 'g' })));
  // Two batches start at once; the third waits for a free runner.
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(gates.length, 2);
  assert.equal(batcher.depth, 2);
  while (gates.length > 0 || batcher.depth > 0 || running > 0) {
    gates.shift()?.();
    await new Promise((r) => setImmediate(r));
  }
  assert.deepEqual(await out, ['a', 'b', 'c', 'd']);
  assert.equal(most, 2);
});
