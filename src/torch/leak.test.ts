// A 10,000-step training loop must keep native and JS memory flat: every intermediate is freed by tidy().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from './index.js';
import { F, nn, optim } from './index.js';

class Tiny extends nn.Module {
  readonly a = this.registerModule('a', new nn.Linear(16, 32));
  readonly norm = this.registerModule('norm', new nn.LayerNorm(32));
  readonly b = this.registerModule('b', new nn.Linear(32, 4));
  forward(x: torch.Tensor): torch.Tensor {
    return this.b.forward(this.norm.forward(this.a.forward(x)).gelu());
  }
}

test('10,000 training steps keep RSS and live tensors flat', () => {
  // Tensors this small gain nothing from threads, and on a busy machine OpenMP's thread hand-offs cost ~10x.
  const threads = torch.getNumThreads();
  torch.setNumThreads(1);
  torch.manualSeed(1);
  const base = torch.liveTensors();
  const model = new Tiny();
  const opt = new optim.AdamW(model.parameters(), { lr: 1e-3 });
  const x = torch.randn([8, 16]);
  const y = torch.tensor([0, 1, 2, 3, 0, 1, 2, 3]);
  let rssAt1000 = 0;
  let first = 0;
  let last = 0;
  const t0 = Date.now();
  for (let step = 1; step <= 10_000; step++) {
    const loss = torch.tidy(() => {
      const l = F.crossEntropy(model.forward(x), y, { labelSmoothing: 0.1 });
      l.backward();
      optim.clipGradNorm(model.parameters(), 1.0);
      opt.step();
      opt.zeroGrad();
      return l.item();
    });
    if (step === 1) first = loss;
    if (step === 1000) rssAt1000 = process.memoryUsage().rss;
    last = loss;
  }
  const growth = process.memoryUsage().rss - rssAt1000;
  const seconds = (Date.now() - t0) / 1000;
  assert.ok(last < first * 0.5, `the model learns: loss ${first} -> ${last}`);
  assert.ok(growth < 20 * 1024 * 1024, `RSS grew ${(growth / 1048576).toFixed(1)} MB between step 1,000 and 10,000 (${seconds.toFixed(1)} s)`);
  // model (6 parameters) + optimizer state (12) + x + y
  assert.equal(torch.liveTensors(), base + 6 + 12 + 2);
  model.dispose();
  opt.dispose();
  x.dispose();
  y.dispose();
  assert.equal(torch.liveTensors(), base);
  torch.setNumThreads(threads);
});
