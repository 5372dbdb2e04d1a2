// The safety net: tensors that are never disposed are freed when V8 collects them, and their native bytes count
// toward V8's heap pressure so that collection happens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { setImmediate as tick } from 'node:timers/promises';
import * as torch from './index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

test('undisposed tensors are freed by the garbage collector', async () => {
  const base = torch.liveTensors();
  for (let i = 0; i < 50; i++) torch.zeros([1000]);
  assert.equal(torch.liveTensors(), base + 50);
  for (let i = 0; i < 5 && torch.liveTensors() > base; i++) {
    gc();
    await tick();
  }
  assert.equal(torch.liveTensors(), base);
});

test('allocation pressure alone keeps memory bounded (bytes are reported to V8)', async () => {
  const rss0 = process.memoryUsage().rss;
  // 150 x 8 MB = 1.2 GB if nothing were freed; no explicit gc() here
  for (let i = 0; i < 150; i++) {
    torch.zeros([2 * 1024 * 1024]);
    if (i % 5 === 4) await tick();
  }
  const grown = (process.memoryUsage().rss - rss0) / 1048576;
  assert.ok(grown < 600, `RSS grew ${grown.toFixed(0)} MB`);
});
