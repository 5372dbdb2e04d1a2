import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from './index.js';
import { F, nn } from './index.js';

class Block extends nn.Module {
  readonly dense: nn.Linear;
  readonly norm: nn.LayerNorm;
  constructor() {
    super();
    this.dense = this.registerModule('dense', new nn.Linear(4, 3));
    this.norm = this.registerModule('norm', new nn.LayerNorm(3));
  }
  forward(x: torch.Tensor): torch.Tensor {
    return this.norm.forward(this.dense.forward(x));
  }
}
class Net extends nn.Module {
  readonly emb: nn.Embedding;
  readonly layers: Block[];
  readonly drop = new nn.Dropout(0.5);
  constructor() {
    super();
    this.emb = this.registerModule('emb', new nn.Embedding(10, 4, 0));
    const list = this.registerModule('layer', new (class extends nn.Module {})());
    this.layers = [0, 1].map((i) => list.registerModule(String(i), new Block()));
    this.registerModule('drop', this.drop);
    this.registerBuffer('position_ids', torch.arange(5).unsqueeze(0));
  }
}

test('Module: PyTorch dotted names, parameters, buffers, state dicts', () => {
  const net = torch.tidy(() => new Net());
  const names = net.namedParameters().map(([n]) => n);
  assert.deepEqual(names, [
    'emb.weight',
    'layer.0.dense.weight', 'layer.0.dense.bias', 'layer.0.norm.weight', 'layer.0.norm.bias',
    'layer.1.dense.weight', 'layer.1.dense.bias', 'layer.1.norm.weight', 'layer.1.norm.bias',
  ]);
  // created inside tidy, yet alive: registerParameter keeps them
  assert.ok(net.parameters().every((p) => !p.isDisposed && p.requiresGrad));
  const sd = net.stateDict();
  // PyTorch's order: a module's own parameters and buffers, then its children's
  assert.deepEqual([...sd.keys()].slice(0, 2), ['position_ids', 'emb.weight']);
  assert.equal(sd.get('layer.1.dense.weight'), net.layers[1]!.dense.weight);
  assert.deepEqual(net.namedModules().map(([n]) => n), ['', 'emb', 'layer', 'layer.0', 'layer.0.dense', 'layer.0.norm', 'layer.1', 'layer.1.dense', 'layer.1.norm', 'drop']);
  net.eval();
  assert.equal(net.drop.training, false);
  assert.equal(net.layers[0]!.norm.training, false);
  net.train();
  assert.equal(net.drop.training, true);

  // load: copies values in; strict checks keys; shapes named in the error
  const other = torch.tidy(() => new Net());
  const res = other.loadStateDict(net.stateDict());
  assert.deepEqual(res, { missingKeys: [], unexpectedKeys: [] });
  assert.deepEqual(other.layers[1]!.dense.weight.toArray(), net.layers[1]!.dense.weight.toArray());
  assert.notEqual(other.layers[1]!.dense.weight, net.layers[1]!.dense.weight);
  const partial = new Map(net.stateDict());
  partial.delete('emb.weight');
  const extra = torch.zeros([1]);
  partial.set('extra', extra);
  assert.throws(() => other.loadStateDict(partial), /1 missing key\(s\) \[emb.weight\], 1 unexpected key\(s\) \[extra\]/);
  assert.deepEqual(other.loadStateDict(partial, { strict: false }), { missingKeys: ['emb.weight'], unexpectedKeys: ['extra'] });
  const bad = new Map(net.stateDict());
  const wrong = torch.zeros([3, 5]);
  bad.set('layer.0.dense.weight', wrong);
  assert.throws(() => other.loadStateDict(bad), /shape mismatch for 'layer.0.dense.weight': the module has \[3, 4\], the state has \[3, 5\]/);
  assert.equal(net.to('cpu'), net);
  const base = torch.liveTensors();
  net.dispose();
  assert.equal(torch.liveTensors(), base - 10);
  other.dispose();
  extra.dispose();
  wrong.dispose();
});

test('Linear/Embedding/LayerNorm initialise like PyTorch and compute', () => {
  torch.tidy(() => {
    torch.manualSeed(0);
    const lin = new nn.Linear(16, 8);
    const bound = 1 / Math.sqrt(16);
    const w = lin.weight.data() as Float32Array;
    assert.ok(w.every((v) => Math.abs(v) <= bound));
    assert.ok(Math.max(...w.map(Math.abs)) > bound * 0.8, 'uniform over the whole range');
    const x = torch.randn([5, 16]);
    const y = lin.forward(x);
    assert.deepEqual(y.shape, [5, 8]);
    const manual = x.matmul(lin.weight.transpose(0, 1)).add(lin.bias!);
    assert.ok(y.sub(manual).abs().amax().item() < 1e-5);
    const noBias = new nn.Linear(3, 2, false);
    assert.equal(noBias.bias, null);
    assert.deepEqual(noBias.namedParameters().map(([n]) => n), ['weight']);
    const emb = new nn.Embedding(6, 3, 1);
    assert.deepEqual(emb.weight.select(0, 1).toArray(), [0, 0, 0]);
    const std = (emb.weight.data() as Float32Array).length;
    assert.equal(std, 18);
    const ln = new nn.LayerNorm(3);
    assert.deepEqual(ln.weight.toArray(), [1, 1, 1]);
    assert.deepEqual(ln.bias.toArray(), [0, 0, 0]);
    const drop = new nn.Dropout(0.5);
    const ones = torch.ones([1000]);
    const d = drop.forward(ones);
    const kept = (d.data() as Float32Array).filter((v) => v !== 0);
    assert.ok(kept.every((v) => v === 2), 'survivors scaled by 1/(1-p)');
    assert.ok(kept.length > 400 && kept.length < 600);
    drop.eval();
    assert.deepEqual(drop.forward(ones).toArray(), ones.toArray());
    for (const m of [lin, noBias, emb, ln]) m.dispose();
  });
});

test('embedding: the padding row gets a zero gradient', () => {
  torch.tidy(() => {
    const w = torch.randn([5, 3]).requiresGrad_();
    const ids = torch.tensor([[0, 2, 2], [4, 0, 1]]);
    const out = F.embedding(ids, w, 2);
    assert.deepEqual(out.shape, [2, 3, 3]);
    out.sum().backward();
    // row counts: id 0 twice, 1 once, 2 padding (zero), 3 never, 4 once
    assert.deepEqual(w.grad!.toArray(), [[2, 2, 2], [1, 1, 1], [0, 0, 0], [0, 0, 0], [1, 1, 1]]);
    const w2 = torch.randn([5, 3]).requiresGrad_();
    F.embedding(ids, w2).sum().backward();
    assert.deepEqual(w2.grad!.select(0, 2).toArray(), [2, 2, 2]);
  });
});

test('init functions work in place without recording gradients', () => {
  torch.tidy(() => {
    const p = torch.zeros([100]).requiresGrad_();
    nn.init.uniform_(p, -0.1, 0.1);
    assert.ok((p.data() as Float32Array).every((v) => v >= -0.1 && v <= 0.1));
    nn.init.normal_(p, 5, 0.01);
    assert.ok(Math.abs(p.mean().item() - 5) < 0.01);
    nn.init.ones_(p);
    assert.equal(p.sum().item(), 100);
    nn.init.zeros_(p);
    assert.equal(p.sum().item(), 0);
    assert.equal(p.isLeaf, true);
    // in-place on a leaf that requires grad outside noGrad is libtorch's error, as a JS Error
    assert.throws(() => p.fill_(1), /leaf Variable that requires grad/);
  });
});

// Module.to moves each tensor with set_data; a frozen parameter (or DistilBERT's fixed sinusoidal table) must not
// come back trainable, and a trainable one must stay trainable and keep working with autograd.
test('Module.to keeps each parameter\'s requiresGrad and casts only floating tensors', () => {
  class Frozen extends nn.Module {
    readonly dense = this.registerModule('dense', new nn.Linear(4, 3));
    readonly table = this.registerParameter('table', torch.randn([5, 4]))!;
    readonly ids = this.registerBuffer('ids', torch.arange(5));
    constructor() {
      super();
      this.table.requiresGrad = false;
    }
  }
  const m = new Frozen();
  const before = new Map(m.namedParameters());
  const moves: Array<Parameters<nn.Module['to']>[0]> = ['float16', { dtype: 'float32' }];
  if (torch.cuda.isAvailable()) moves.push('cuda', { device: 'cpu' });
  for (const target of moves) {
    assert.equal(m.to(target), m);
    assert.deepEqual(new Map(m.namedParameters()), before, 'the same Tensor objects');
    assert.equal(m.table.requiresGrad, false, `frozen table after to(${JSON.stringify(target)})`);
    assert.equal(m.dense.weight.requiresGrad, true);
    assert.equal(m.dense.bias!.requiresGrad, true);
    assert.equal(m.ids.requiresGrad, false);
    assert.equal(m.ids.dtype, 'int64', 'integer buffers keep their dtype');
  }
  assert.equal(m.dense.weight.dtype, 'float32');
  assert.equal(m.table.dtype, 'float32');
  // still a working leaf: gradients reach the trainable weight, none the frozen table
  torch.tidy(() => {
    m.dense.forward(m.table).sum().backward();
    assert.deepEqual(m.dense.weight.grad!.shape, [3, 4]);
    assert.equal(m.table.grad, null);
  });
  assert.throws(() => m.to('int64'), /Module.to: dtype must be floating point, got 'int64'/);
  m.dispose();
});
