// Losses, layer norm, optimizers and clipping against numbers PyTorch 1.13 computed (fixtures/make_reference.py).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as torch from './index.js';
import { F, optim } from './index.js';

type Nested = number | Nested[];
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const ref: any = JSON.parse(readFileSync(new URL('./fixtures/reference.json', import.meta.url), 'utf8'));

const flatten = (v: Nested): number[] => (Array.isArray(v) ? v.flatMap(flatten) : [v]);
function close(actual: torch.Tensor | number, expected: Nested, rtol = 1e-5, atol = 1e-6, what = ''): void {
  const a = typeof actual === 'number' ? [actual] : flatten(actual.toArray() as Nested);
  const e = flatten(expected);
  assert.equal(a.length, e.length, `${what}: ${a.length} values vs ${e.length}`);
  a.forEach((x, i) => {
    const y = e[i] as number;
    assert.ok(Math.abs(x - y) <= atol + rtol * Math.abs(y), `${what}[${i}]: got ${x}, PyTorch ${y}`);
  });
}
const f32 = (v: Nested): torch.Tensor => torch.tensor(v, { dtype: 'float32' });

test('crossEntropy matches PyTorch: ignoreIndex, labelSmoothing, weight, reductions, gradients', () => {
  const ce = ref.crossEntropy;
  for (const c of ce.cases) {
    torch.tidy(() => {
      const x = f32(ce.logits).requiresGrad_();
      const loss = F.crossEntropy(x, torch.tensor(c.target), {
        ignoreIndex: c.opts.ignoreIndex,
        labelSmoothing: c.opts.labelSmoothing,
        reduction: c.opts.reduction,
        weight: c.opts.weight ? f32(ce.weight) : undefined,
      });
      close(loss, c.loss, 1e-5, 1e-6, `loss ${JSON.stringify(c.opts)}`);
      loss.sum().backward();
      close(x.grad!, c.grad, 1e-5, 1e-6, `grad ${JSON.stringify(c.opts)}`);
    });
  }
  assert.throws(() => F.crossEntropy(torch.zeros([1, 2]), torch.tensor([0]), { reduction: 'avg' as 'mean' }), /reduction must be/);
});

test('BCE-with-logits (posWeight) and MSE match PyTorch', () => {
  torch.tidy(() => {
    const b = ref.bce;
    const x = f32(b.logits).requiresGrad_();
    const loss = F.binaryCrossEntropyWithLogits(x, f32(b.target), { posWeight: f32(b.posWeight) });
    close(loss, b.loss, 1e-5, 1e-6, 'bce');
    loss.backward();
    close(x.grad!, b.grad, 1e-5, 1e-6, 'bce grad');
    close(F.binaryCrossEntropyWithLogits(f32(b.logits), f32(b.target)), b.lossPlain, 1e-5, 1e-6, 'bce plain');
    const m = ref.mse;
    close(F.mseLoss(f32(m.input), f32(m.target)), m.mean, 1e-5, 1e-6, 'mse mean');
    close(F.mseLoss(f32(m.input), f32(m.target), { reduction: 'sum' }), m.sum, 1e-5, 1e-6, 'mse sum');
  });
});

test('layerNorm forward and gradients match PyTorch', () => {
  torch.tidy(() => {
    const l = ref.layerNorm;
    const x = f32(l.x).requiresGrad_();
    const w = f32(l.weight).requiresGrad_();
    const b = f32(l.bias).requiresGrad_();
    const y = F.layerNorm(x, [4], w, b, 1e-5);
    close(y, l.y, 1e-5, 1e-5, 'y');
    y.mul(torch.arange(24).reshape([2, 3, 4])).sum().backward();
    close(x.grad!, l.gx, 1e-4, 1e-5, 'gx');
    close(w.grad!, l.gw, 1e-5, 1e-5, 'gw');
    close(b.grad!, l.gb, 1e-5, 1e-5, 'gb');
    const ln = new torch.nn.LayerNorm(4);
    close(ln.forward(f32(l.x)), F.layerNorm(f32(l.x), [4]).toArray() as Nested, 0, 0, 'module');
    ln.dispose();
  });
});

type MakeOpt = (p1: torch.Tensor, p2: torch.Tensor) => { step(): void };
function runOptimizer(r: { p1: Nested; p2: Nested; grads1: Nested[]; grads2: Array<Nested | null>; trajectory: Nested[][] }, make: MakeOpt, what: string): [torch.Tensor, torch.Tensor] {
  const p1 = f32(r.p1).requiresGrad_();
  const p2 = f32(r.p2).requiresGrad_();
  const opt = make(p1, p2);
  r.trajectory.forEach((expected, s) => {
    torch.tidy(() => {
      p1.setGrad(f32(r.grads1[s] as Nested));
      const g2 = r.grads2[s];
      p2.setGrad(g2 === null || g2 === undefined ? null : f32(g2));
      opt.step();
    });
    close(p1, expected[0] as Nested, 1e-5, 1e-6, `${what} step ${s + 1} p1`);
    close(p2, expected[1] as Nested, 1e-5, 1e-6, `${what} step ${s + 1} p2`);
  });
  return [p1, p2];
}

test('AdamW matches PyTorch step by step (groups, skipped grads, weight decay) and its state', () => {
  const a = ref.adamw;
  let opt: optim.AdamW | undefined;
  const [p1, p2] = runOptimizer(a, (x, y) => (opt = new optim.AdamW([{ params: [x] }, { params: [y], weightDecay: 0, lr: 0.05 }], { lr: 0.01, betas: [0.9, 0.95], eps: 1e-6, weightDecay: 0.1 })), 'adamw');
  const sd = opt!.stateDict();
  assert.equal(sd.state.length, 2);
  assert.equal(sd.state[0]!.step, a.final.step1);
  assert.equal(sd.state[1]!.step, a.final.step2);
  close(sd.state[0]!.expAvg, a.final.expAvg1, 1e-5, 1e-7, 'expAvg1');
  close(sd.state[0]!.expAvgSq, a.final.expAvgSq1, 1e-5, 1e-8, 'expAvgSq1');
  close(sd.state[1]!.expAvg, a.final.expAvg2, 1e-5, 1e-7, 'expAvg2');
  close(sd.state[1]!.expAvgSq, a.final.expAvgSq2, 1e-5, 1e-8, 'expAvgSq2');
  assert.deepEqual(sd.groups.map((g) => [g.lr, g.weightDecay, g.params]), [[0.01, 0.1, [0]], [0.05, 0, [1]]]);
  // a fresh optimizer loaded from the state continues exactly like the original
  const q1 = p1.clone().requiresGrad_();
  const q2 = p2.clone().requiresGrad_();
  const opt2 = new optim.AdamW([{ params: [q1] }, { params: [q2] }]);
  opt2.loadStateDict(sd);
  assert.equal(opt2.paramGroups[1]!.lr, 0.05);
  for (const [o, x, y] of [[opt!, p1, p2], [opt2, q1, q2]] as const) {
    torch.tidy(() => {
      x.setGrad(torch.onesLike(x));
      y.setGrad(torch.onesLike(y).mul(-1));
      o.step();
    });
  }
  assert.deepEqual(q1.toArray(), p1.toArray());
  assert.deepEqual(q2.toArray(), p2.toArray());
  assert.throws(() => opt2.loadStateDict({ ...sd, state: [sd.state[0]!] }), /1 parameter states, the optimizer has 2/);
  // zeroGrad: set to none by default, zeros when asked
  opt2.zeroGrad();
  assert.equal(q1.grad, null);
  q1.setGrad(torch.onesLike(q1));
  opt2.zeroGrad(false);
  assert.deepEqual(q1.grad!.toArray(), [[0, 0, 0], [0, 0, 0]]);
  for (const t of [p1, p2, q1, q2]) t.dispose();
  opt!.dispose();
  opt2.dispose();
});

test('AdamW defaults match torch.optim.AdamW defaults', () => {
  const [p1, p2] = runOptimizer(ref.adamwDefault, (x, y) => new optim.AdamW([x, y]), 'adamw default');
  p1.dispose();
  p2.dispose();
});

test('SGD (momentum, dampening, Nesterov, weight decay) matches PyTorch, with state round trip', () => {
  const cases: Array<[string, MakeOpt]> = [
    ['sgdMomentum', (x, y) => new optim.SGD([x, y], { lr: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 })],
    ['sgdNesterov', (x, y) => new optim.SGD([x, y], { lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.02 })],
    ['sgdPlain', (x, y) => new optim.SGD([x, y], { lr: 0.3 })],
  ];
  for (const [name, make] of cases) {
    const [p1, p2] = runOptimizer(ref[name], make, name);
    p1.dispose();
    p2.dispose();
  }
  const p = torch.ones([2]).requiresGrad_();
  const sgd = new optim.SGD([p], { lr: 0.1, momentum: 0.5 });
  p.setGrad(torch.ones([2]).keep());
  sgd.step();
  const sd = sgd.stateDict();
  assert.deepEqual(sd.state[0]!.momentumBuffer.toArray(), [1, 1]);
  const sgd2 = new optim.SGD([p], { lr: 1 });
  sgd2.loadStateDict(sd);
  assert.equal(sgd2.paramGroups[0]!.lr, 0.1);
  assert.deepEqual(sgd2.stateDict().state[0]!.momentumBuffer.toArray(), [1, 1]);
  assert.throws(() => new optim.SGD([p], { lr: 0.1, nesterov: true }), /Nesterov/);
  sgd.dispose();
  sgd2.dispose();
  p.dispose();
});

test('clipGradNorm matches torch.nn.utils.clip_grad_norm_ (2, inf, 1 norms)', () => {
  const c = ref.clipGradNorm;
  for (const k of c.cases) {
    torch.tidy(() => {
      const a = torch.zeros([2, 3]).requiresGrad_();
      const b = torch.zeros([4]).requiresGrad_();
      const unused = torch.zeros([1]).requiresGrad_(); // no grad: skipped like PyTorch
      a.setGrad(f32(c.g1));
      b.setGrad(f32(c.g2));
      const total = optim.clipGradNorm([a, b, unused], k.maxNorm, k.normType === 'inf' ? Infinity : k.normType);
      close(total, k.total, 1e-5, 1e-6, `total ${k.maxNorm}/${k.normType}`);
      close(a.grad!, k.g1, 1e-5, 1e-6, 'g1');
      close(b.grad!, k.g2, 1e-5, 1e-6, 'g2');
    });
  }
  assert.equal(optim.clipGradNorm([], 1), 0);
});
