// Native handles: nothing per tensor may stay on the malloc heap after dispose(), or the freed activation blocks get
// split between such leftovers and the heap grows (native/src/binding.cc, "Handles").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as torch from './index.js';
import { N } from './native.js';

function rssMb(): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : process.memoryUsage().rss / 1048576;
}

test('RSS stays flat over many scopes of large temporaries, without any garbage collection', () => {
  const x = torch.randn([16, 128, 256]); // 2 MB, like one activation of a small BERT
  const step = () => torch.tidy(() => void x.add(1).mul(2).add(x));
  for (let i = 0; i < 20; i++) step();
  const before = rssMb();
  // Before the handle table, each iteration left ~2 MB of split free blocks behind (400 MB over 200 iterations).
  for (let i = 0; i < 200; i++) step();
  const grown = rssMb() - before;
  x.dispose();
  assert.ok(grown < 40, `RSS grew ${grown.toFixed(0)} MB over 200 iterations`);
});

test('a stale handle whose slot was reused names no tensor: the native side refuses it', () => {
  const a = torch.tensor([1, 2, 3]);
  const stale = a.handle;
  a.dispose();
  const b = torch.tensor([7, 8, 9]); // takes the freed slot
  assert.throws(() => N.add(stale, 1), /Tensor has been disposed/);
  N.dispose(stale); // idempotent, and must not free b
  assert.deepEqual(b.toArray(), [7, 8, 9]);
  assert.throws(() => N.add(42n as never, 1), /Tensor has been disposed/);
  b.dispose();
});

test('a Tensor that is never disposed is freed by the collector; disposed ones are not freed twice', async () => {
  const { setFlagsFromString } = await import('node:v8');
  const { runInNewContext } = await import('node:vm');
  const { setImmediate: tick } = await import('node:timers/promises');
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const keep = torch.tensor([5, 6]);
  const base = torch.liveTensors();
  (() => {
    for (let i = 0; i < 20; i++) torch.zeros([10]);
    for (let i = 0; i < 20; i++) torch.zeros([10]).dispose();
  })();
  assert.equal(torch.liveTensors(), base + 20);
  for (let i = 0; i < 10 && torch.liveTensors() > base; i++) {
    gc();
    await tick();
  }
  assert.equal(torch.liveTensors(), base);
  assert.deepEqual(keep.toArray(), [5, 6]);
  keep.dispose();
});
