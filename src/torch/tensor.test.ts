import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from './index.js';

function close(actual: number[], expected: number[], tol = 1e-5): void {
  assert.equal(actual.length, expected.length, `length ${actual.length} vs ${expected.length}`);
  actual.forEach((a, i) => assert.ok(Math.abs(a - (expected[i] as number)) <= tol, `index ${i}: ${a} vs ${expected[i]}`));
}
const flat = (t: torch.Tensor): number[] => Array.from(t.data() as Float32Array, Number);

test('creation: nested arrays infer shape and dtype like PyTorch', () => {
  torch.tidy(() => {
    const f = torch.tensor([[1.5, 2], [3, 4]]);
    assert.deepEqual(f.shape, [2, 2]);
    assert.equal(f.dtype, 'float32');
    assert.equal(f.ndim, 2);
    assert.equal(f.numel, 4);
    assert.equal(torch.tensor([1, 2, 3]).dtype, 'int64');
    assert.equal(torch.tensor([true, false]).dtype, 'bool');
    assert.deepEqual(torch.tensor([[true], [false]]).toArray(), [[true], [false]]);
    assert.equal(torch.tensor(3.5).item(), 3.5);
    assert.deepEqual(torch.tensor(3.5).shape, []);
    assert.throws(() => torch.tensor([[1, 2], [3]]), /ragged/);
    assert.deepEqual(torch.tensor(new Float32Array([1, 2, 3, 4, 5, 6]), { shape: [2, 3] }).toArray(), [[1, 2, 3], [4, 5, 6]]);
    assert.throws(() => torch.tensor(new Float32Array(5), { shape: [2, 3] }), /20 bytes but shape \[2, 3\] of Float needs 24/);
    assert.deepEqual(torch.arange(5).toArray(), [0, 1, 2, 3, 4]);
    assert.equal(torch.arange(3, { dtype: 'float32' }).dtype, 'float32');
    assert.equal(torch.arange(5).dtype, 'int64');
    assert.deepEqual(torch.arange(1, 2, 0.25).toArray(), [1, 1.25, 1.5, 1.75]);
    assert.deepEqual(torch.full([2], 7, { dtype: 'int32' }).toArray(), [7, 7]);
    assert.deepEqual(torch.zerosLike(torch.ones([2, 1])).toArray(), [[0], [0]]);
  });
});

test('dtype round trips, including float16/bfloat16 raw bits', () => {
  torch.tidy(() => {
    const h = torch.tensor([1, -2, 0.5], { dtype: 'float16' });
    // IEEE half: 1.0 = 0x3c00, -2.0 = 0xc000, 0.5 = 0x3800
    assert.deepEqual(Array.from(h.data() as Uint16Array), [0x3c00, 0xc000, 0x3800]);
    assert.deepEqual(Array.from(h.toBytes()), [0x00, 0x3c, 0x00, 0xc0, 0x00, 0x38]);
    const b = torch.tensor([1, -2, 0.5], { dtype: 'bfloat16' });
    assert.deepEqual(Array.from(b.data() as Uint16Array), [0x3f80, 0xc000, 0x3f00]);
    assert.deepEqual(b.toArray(), [1, -2, 0.5]);
    const back = torch.fromBytes(b.toBytes(), 'bfloat16', [3]);
    assert.deepEqual(back.to('float32').toArray(), [1, -2, 0.5]);
    assert.deepEqual(torch.tensor(new Uint16Array([0x3c00]), { dtype: 'float16' }).toArray(), [1]);
    const i64 = torch.tensor(new BigInt64Array([5n, -7n]));
    assert.equal(i64.dtype, 'int64');
    assert.deepEqual(Array.from(i64.data() as BigInt64Array), [5n, -7n]);
    assert.deepEqual(i64.toArray(), [5, -7]);
    const i32 = torch.tensor(new Int32Array([1, 2]));
    assert.equal(i32.dtype, 'int32');
    assert.ok(i32.data() instanceof Int32Array);
    const bool = torch.tensor([true, false, true]);
    assert.deepEqual(Array.from(bool.data() as Uint8Array), [1, 0, 1]);
    const f32 = torch.fromBytes(new Uint8Array(new Float32Array([1.25, -3]).buffer), 'float32', [2]);
    assert.deepEqual(f32.toArray(), [1.25, -3]);
    assert.deepEqual(torch.tensor([1.7, -1.7]).to('int64').toArray(), [1, -1]);
  });
});

test('elementwise math and broadcasting match known values', () => {
  torch.tidy(() => {
    const a = torch.tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float32' });
    const r = torch.tensor([10, 20, 30], { dtype: 'float32' });
    assert.deepEqual(a.add(r).toArray(), [[11, 22, 33], [14, 25, 36]]);
    assert.deepEqual(a.add(r, 2).toArray(), [[21, 42, 63], [24, 45, 66]]);
    assert.deepEqual(a.sub(1).toArray(), [[0, 1, 2], [3, 4, 5]]);
    assert.deepEqual(a.mul(2).div(4).toArray(), [[0.5, 1, 1.5], [2, 2.5, 3]]);
    assert.deepEqual(a.pow(2).sum().item(), 91);
    assert.deepEqual(a.rsub(1).toArray(), [[0, -1, -2], [-3, -4, -5]]);
    close(flat(torch.tensor([0, 1]).float().exp()), [1, Math.E]);
    close(flat(torch.tensor([1, 4]).float().sqrt()), [1, 2]);
    close(flat(torch.tensor([1, 4]).float().rsqrt()), [1, 0.5]);
    close(flat(torch.tensor([-1, 0, 2]).float().sigmoid()), [1 / (1 + Math.E), 0.5, 1 / (1 + Math.exp(-2))]);
    close(flat(torch.tensor([-1, 0.5]).float().tanh()), [Math.tanh(-1), Math.tanh(0.5)]);
    assert.deepEqual(torch.tensor([-1, 0.5]).relu().toArray(), [0, 0.5]);
    assert.deepEqual(torch.tensor([-3, 0.5, 9]).clamp(-1, 1).toArray(), [-1, 0.5, 1]);
    assert.deepEqual(torch.tensor([-3, 2]).abs().neg().toArray(), [-3, -2]);
    // int tensor with an integer scalar stays integer; a fractional scalar promotes to float
    assert.equal(torch.tensor([1, 2]).mul(3).dtype, 'int64');
    assert.equal(torch.tensor([1, 2]).mul(0.5).dtype, 'float32');
    // GELU exact vs tanh approximation at x = 1: 0.8413447 and 0.8411920 (PyTorch)
    close(flat(torch.tensor([1.0, -0.5]).float().gelu()), [0.8413447, -0.1542687], 1e-6);
    close(flat(torch.tensor([1.0, -0.5]).float().gelu('tanh')), [0.841192, -0.1542859], 1e-6);
    assert.deepEqual(torch.tensor([1, 2, 3]).gt(2).toArray(), [false, false, true]);
    assert.deepEqual(torch.tensor([1, 2, 3]).eq(torch.tensor([1, 0, 3])).toArray(), [true, false, true]);
    assert.deepEqual(torch.tensor([true, false]).logicalNot().toArray(), [false, true]);
    assert.deepEqual(torch.tensor([true, false]).logicalAnd(torch.tensor([true, true])).toArray(), [true, false]);
    assert.deepEqual(torch.tensor([true, false]).logicalOr(torch.tensor([false, false])).toArray(), [true, false]);
    assert.deepEqual(torch.where(torch.tensor([true, false]), torch.tensor([1, 2]), 0).toArray(), [1, 0]);
    assert.deepEqual(torch.where(torch.tensor([true, false]), 5, torch.tensor([1, 2])).toArray(), [5, 2]);
  });
});

test('matmul, reductions, softmax', () => {
  torch.tidy(() => {
    const a = torch.tensor([[1, 2], [3, 4]], { dtype: 'float32' });
    assert.deepEqual(a.matmul(a).toArray(), [[7, 10], [15, 22]]);
    assert.deepEqual(torch.ones([3, 2, 4]).matmul(torch.ones([4, 5])).shape, [3, 2, 5]);
    assert.equal(a.sum().item(), 10);
    assert.deepEqual(a.sum(0).toArray(), [4, 6]);
    assert.deepEqual(a.sum(1, true).toArray(), [[3], [7]]);
    assert.deepEqual(a.sum([0, 1]).toArray(), 10);
    assert.deepEqual(a.mean(1).toArray(), [1.5, 3.5]);
    assert.deepEqual(a.amax(1).toArray(), [2, 4]);
    assert.deepEqual(a.amin(0).toArray(), [1, 2]);
    assert.deepEqual(torch.tensor([[1, 9, 3], [7, 2, 5]]).argmax(1).toArray(), [1, 0]);
    assert.equal(torch.tensor([[1, 9, 3], [7, 2, 5]]).argmax().item(), 1);
    close(flat(a.var(1)), [0.5, 0.5]);
    close(flat(a.var(1, { unbiased: false })), [0.25, 0.25]);
    const s = torch.tensor([1, 2, 3], { dtype: 'float32' }).softmax(0);
    const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
    const z = e[0]! + e[1]! + e[2]!;
    close(flat(s), e.map((v) => v / z), 1e-6);
    close(flat(torch.tensor([1, 2, 3], { dtype: 'float32' }).logSoftmax(0)), e.map((v) => Math.log(v / z)), 1e-6);
    assert.deepEqual(torch.tensor([1, 2, 3]).cumsum(0).toArray(), [1, 3, 6]);
  });
});

test('shape ops, indexing, cat/stack/split', () => {
  torch.tidy(() => {
    const a = torch.arange(6).reshape([2, 3]);
    assert.deepEqual(a.toArray(), [[0, 1, 2], [3, 4, 5]]);
    assert.deepEqual(a.transpose(0, 1).toArray(), [[0, 3], [1, 4], [2, 5]]);
    assert.deepEqual(a.permute([1, 0]).contiguous().view([6]).toArray(), [0, 3, 1, 4, 2, 5]);
    assert.throws(() => a.transpose(0, 1).view([6]), /view size is not compatible/);
    assert.deepEqual(a.unsqueeze(0).shape, [1, 2, 3]);
    assert.deepEqual(a.unsqueeze(1).squeeze(1).shape, [2, 3]);
    assert.deepEqual(torch.ones([1, 2, 1]).squeeze().shape, [2]);
    assert.deepEqual(torch.tensor([[1], [2]]).expand([2, 3]).toArray(), [[1, 1, 1], [2, 2, 2]]);
    assert.deepEqual(torch.ones([2, 3, 4]).flatten(1).shape, [2, 12]);
    assert.deepEqual(torch.ones([2, 3, 4]).flatten().shape, [24]);
    assert.deepEqual(a.narrow(1, 1, 2).toArray(), [[1, 2], [4, 5]]);
    assert.deepEqual(a.select(0, 1).toArray(), [3, 4, 5]);
    assert.deepEqual(a.indexSelect(1, torch.tensor([2, 0])).toArray(), [[2, 0], [5, 3]]);
    assert.deepEqual(a.gather(1, torch.tensor([[0], [2]])).toArray(), [[0], [5]]);
    assert.deepEqual(a.maskedFill(a.gt(3), -1).toArray(), [[0, 1, 2], [3, -1, -1]]);
    assert.deepEqual(torch.cat([a, a], 0).shape, [4, 3]);
    assert.deepEqual(torch.cat([a, a], 1).shape, [2, 6]);
    assert.deepEqual(torch.stack([a, a], 0).shape, [2, 2, 3]);
    const parts = torch.split(torch.arange(5), 2);
    assert.deepEqual(parts.map((p) => p.toArray()), [[0, 1], [2, 3], [4]]);
    assert.deepEqual(torch.split(a, [1, 2], 1).map((p) => p.shape), [[2, 1], [2, 2]]);
    assert.deepEqual(torch.ones([3, 3]).tril().toArray(), [[1, 0, 0], [1, 1, 0], [1, 1, 1]]);
    assert.equal(a.size(-1), 3);
  });
});

test('autograd: grads of small functions, noGrad, detach, zero-grad', () => {
  torch.tidy(() => {
    const x = torch.tensor([1, 2, 3], { dtype: 'float32', requiresGrad: true });
    assert.equal(x.requiresGrad, true);
    assert.equal(x.grad, null);
    // d/dx sum(x^2 * 3) = 6x
    x.pow(2).mul(3).sum().backward();
    assert.deepEqual(x.grad!.toArray(), [6, 12, 18]);
    // gradients accumulate like PyTorch
    x.sum().backward();
    assert.deepEqual(x.grad!.toArray(), [7, 13, 19]);
    x.setGrad(null);
    assert.equal(x.grad, null);
    // matmul: d/dW sum(W @ v) = ones ⊗ v
    const w = torch.tensor([[1, 2], [3, 4]], { dtype: 'float32', requiresGrad: true });
    const v = torch.tensor([5, 6], { dtype: 'float32' });
    w.matmul(v).sum().backward();
    assert.deepEqual(w.grad!.toArray(), [[5, 6], [5, 6]]);
    // tanh'(0.5) = 1 - tanh(0.5)^2
    const y = torch.tensor([0.5], { dtype: 'float32', requiresGrad: true });
    y.tanh().sum().backward();
    close(flat(y.grad!), [1 - Math.tanh(0.5) ** 2], 1e-6);
    const z = torch.noGrad(() => x.mul(2));
    assert.equal(z.requiresGrad, false);
    assert.equal(torch.isGradEnabled(), true);
    assert.equal(torch.noGrad(() => torch.isGradEnabled()), false);
    assert.equal(x.mul(2).detach().requiresGrad, false);
    // backward through a non-scalar needs a gradient
    const q = torch.tensor([1, 2], { dtype: 'float32', requiresGrad: true });
    q.mul(3).backward(torch.tensor([1, 10], { dtype: 'float32' }));
    assert.deepEqual(q.grad!.toArray(), [3, 30]);
  });
});

test('libtorch errors become JS Errors with its message, and the process survives', () => {
  torch.tidy(() => {
    const a = torch.ones([2, 3]);
    const b = torch.ones([4, 5]);
    assert.throws(() => a.matmul(b), (e: unknown) => e instanceof Error && /mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)/.test(e.message));
    assert.throws(() => a.reshape([7]), /shape '\[7\]' is invalid for input of size 6/);
    assert.throws(() => torch.cat([a, b], 0), /Sizes of tensors must match/);
    assert.throws(() => a.sum().backward(), /does not require grad/);
    assert.throws(() => torch.F.embedding(torch.tensor([0, 7]), torch.ones([5, 2])), /index out of range/);
    assert.throws(() => a.gather(1, torch.tensor([[9]])), /out of bounds/);
    assert.throws(() => a.to('cuda:0'), /CUDA/);
    assert.throws(() => torch.zeros([2], { device: 'tpu' as torch.Device }), /device/i);
    // still fully usable afterwards
    assert.equal(a.add(1).sum().item(), 12);
  });
});

test('disposed tensors throw a clear error; dispose is idempotent', () => {
  const t = torch.ones([2]);
  t.dispose();
  t.dispose();
  assert.equal(t.isDisposed, true);
  assert.throws(() => t.add(1), /Tensor has been disposed/);
  assert.throws(() => t.shape, /Tensor has been disposed/);
  const u = torch.ones([2]);
  assert.throws(() => u.add(t), /Tensor has been disposed/);
  u.dispose();
});

test('tidy disposes intermediates, keeps results and kept tensors, nests', () => {
  const base = torch.liveTensors();
  let kept: torch.Tensor | undefined;
  const out = torch.tidy(() => {
    const a = torch.ones([3]);
    const b = a.mul(2).add(1);
    kept = torch.zeros([1]).keep();
    const inner = torch.tidy(() => {
      const c = b.exp();
      return { c, list: [c.sum()], map: new Map([['x', c.neg()]]) };
    });
    assert.equal(inner.c.isDisposed, false);
    return { sum: b.sum(), nested: [inner.list[0]!], fromMap: inner.map.get('x')! };
  });
  assert.equal(out.sum.item(), 9);
  assert.equal(out.nested[0]!.isDisposed, false);
  assert.equal(out.fromMap.isDisposed, false);
  // returned: sum, nested[0], fromMap; plus kept
  assert.equal(torch.liveTensors(), base + 4);
  out.sum.dispose();
  out.nested[0]!.dispose();
  out.fromMap.dispose();
  kept!.dispose();
  assert.equal(torch.liveTensors(), base);
  // a throwing body disposes what it made
  assert.throws(() => torch.tidy(() => {
    torch.ones([2]);
    throw new Error('boom');
  }), /boom/);
  assert.equal(torch.liveTensors(), base);
  // grad handles made inside tidy are freed too
  const p = torch.ones([2], { requiresGrad: true });
  torch.tidy(() => {
    p.mul(p).sum().backward();
    assert.deepEqual(p.grad!.toArray(), [2, 2]);
  });
  assert.equal(torch.liveTensors(), base + 1);
  p.dispose();
});

test('runtime: threads default to the cores, seeds repeat, backend reports OpenBLAS', async () => {
  const { availableParallelism } = await import('node:os');
  const info = torch.backendInfo();
  if (process.env.LENGUA_NUM_THREADS === undefined) assert.equal(torch.getNumThreads(), availableParallelism());
  assert.equal(info.threads, torch.getNumThreads());
  assert.equal(info.libtorchVersion.split('.').length >= 2, true);
  assert.equal(info.openblas, true, `BLAS in use: ${info.blas} ${info.blasPath}`);
  assert.match(info.libtorchPath, /libtorch_cpu/);
  assert.equal(torch.cuda.isAvailable(), info.cuda);
  torch.setNumThreads(1);
  assert.equal(torch.getNumThreads(), 1);
  torch.setNumThreads(availableParallelism());
  assert.throws(() => torch.setNumThreads(0), /integer >= 1/);
  torch.tidy(() => {
    torch.manualSeed(42);
    const a = torch.randn([5]).toArray();
    torch.manualSeed(42);
    assert.deepEqual(torch.randn([5]).toArray(), a);
    // PyTorch: torch.manual_seed(0); torch.rand(3) -> [0.4963, 0.7682, 0.0885]
    torch.manualSeed(0);
    close(flat(torch.rand([3])), [0.49625659, 0.76822180, 0.08847743], 1e-6);
  });
});

test('classifyBlas tells OpenBLAS from the reference BLAS in a memory map', () => {
  assert.equal(torch.classifyBlas('', false, '/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3').kind, 'openblas');
  // OpenBLAS's LAPACK mapped, yet sgemm_ served by the reference BLAS: the provider decides
  assert.equal(torch.classifyBlas('7f 1 /usr/lib/x86_64-linux-gnu/openblas-pthread/liblapack.so.3', false, '/usr/lib/x86_64-linux-gnu/blas/libblas.so.3').kind, 'reference');
  const open = '7f00-7f01 r-xp 00000000 08:01 1 /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3\n';
  const ref = '7f00-7f01 r-xp 00000000 08:01 1 /usr/lib/x86_64-linux-gnu/blas/libblas.so.3\n';
  assert.equal(torch.classifyBlas(open).kind, 'openblas');
  assert.equal(torch.classifyBlas(ref).kind, 'reference');
  assert.equal(torch.classifyBlas(ref + open).kind, 'openblas');
  assert.equal(torch.classifyBlas('', true).kind, 'mkl');
  assert.equal(torch.classifyBlas('').kind, 'unknown');
});
