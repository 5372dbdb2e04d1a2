// int8 dynamic quantization: the weight rounding as ORT's quantize_data does it; a quantized Linear in ONNX
// Runtime computes exactly the integer arithmetic the file describes; every encoder fixture exports with
// --quantize int8 within the derived bound of the float file; a broken quantized file is refused and
// removed; Debian's python3-onnx checker accepts the files.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import * as torch from '../torch/index.js';
import { LenguaError } from '../errors.js';
import { modelFromPretrained } from '../models/index.js';
import { golden, skipWithoutGolden } from '../testing/golden.js';
import { buildGraph, exportToOnnx, Graph } from './index.js';
import { exportQuantized, quantizeBytes, quantizeDynamic, quantizeWeight, QUANTIZED_RTOL_PER_MATMUL, validateQuantized } from './quantize.js';

const { onnx } = onnxProto;
torch.setNumThreads(1);
const root = mkdtempSync(join(tmpdir(), 'lengua-quantize-'));
after(() => rmSync(root, { recursive: true, force: true }));
const written: string[] = [];
const measured: string[] = [];

test('quantizeWeight: symmetric per-column scales 2·max|w|/128, round half to even, zero columns get scale 1', () => {
  // [K=3, N=3] row-major; column 1 all zeros.
  const w = Float32Array.from([0.64, 0, -1, -0.32, 0, 0.5, 0.005, 0, 0.0078125]);
  const { q, scale, relError } = quantizeWeight(w, 3, 3, { perChannel: true, reduceRange: true });
  assert.deepEqual([...scale], [Math.fround(0.01), 1, Math.fround(1 / 64)]);
  // 0.005 / 0.01 = 0.5 → 0 (half to even); 0.0078125 / (1/64) = 0.5 → 0; -1 / (1/64) = -64.
  assert.deepEqual([...q], [64, 0, -64, -32, 0, 32, 0, 0, 0]);
  assert.ok(relError > 0 && relError < 0.01);
  const full = quantizeWeight(w, 3, 3, { perChannel: false, reduceRange: false });
  assert.deepEqual([...full.scale], [Math.fround(1 / 127)]);
  assert.deepEqual([...full.q].slice(0, 3), [81, 0, -127]);
  // Every dequantized weight is within half a step of the float one.
  const rnd = Float32Array.from({ length: 64 * 48 }, (_, i) => Math.sin(i * 12.9898) * (1 + (i % 7)));
  const r = quantizeWeight(rnd, 64, 48, { perChannel: true, reduceRange: true });
  for (let i = 0; i < rnd.length; i++) assert.ok(Math.abs(r.q[i]! * r.scale[i % 48]! - rnd[i]!) <= r.scale[i % 48]! / 2 + 1e-7, `element ${i}`);
});

/** ONNX's DynamicQuantizeLinear, written out: uint8, the range widened to hold 0, round half to even. */
function dynamicQuantize(x: Float32Array): { q: Uint8Array; scale: number; zp: number } {
  const rne = (v: number): number => {
    const r = Math.round(v);
    return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
  };
  const lo = Math.min(0, ...x);
  const hi = Math.max(0, ...x);
  const scale = Math.fround((hi - lo) / 255);
  const zp = Math.min(255, Math.max(0, rne(-lo / scale)));
  return { q: Uint8Array.from(x, (v) => Math.min(255, Math.max(0, rne(Math.fround(v / scale)) + zp))), scale, zp };
}

test('a quantized Linear in ONNX Runtime computes the integer product the file describes (DynamicQuantizeLinear, MatMulInteger, scales)', async () => {
  const [k, n, rows] = [40, 24, 5];
  torch.manualSeed(3);
  const lin = new torch.nn.Linear(k, n);
  const g = new Graph('lin', new Map([[lin.weight, 'weight'], [lin.bias!, 'bias']]));
  const x = g.input('x', 'float32', ['batch', k]);
  const y = g.op('lin', 'Add', [g.op('lin', 'MatMul', [x, g.param(lin.weight, { transpose: true })]), g.param(lin.bias!)]);
  g.output(y, 'float32', ['batch', n], 'y');
  const model = g.toModel({ opset: 17, producerName: 'lengua', producerVersion: '0' });
  const { model: qm, report } = quantizeDynamic(model);
  assert.deepEqual(report.matmuls.map((m) => [m.node, m.shape]), [['/lin/MatMul', [k, n]]]);
  assert.equal(report.depth, 1);
  assert.deepEqual(qm.graph!.node!.map((nd) => `${nd.opType} ${nd.name}`), [
    'DynamicQuantizeLinear x_QuantizeLinear', 'Mul /lin/MatMul_quant_scales_mul', 'MatMulInteger /lin/MatMul_quant',
    'Cast /lin/MatMul_quant_output_cast', 'Mul /lin/MatMul_quant_output_scale_mul', 'Add /lin/Add',
  ]);
  assert.deepEqual(qm.graph!.initializer!.map((t) => t.name).sort(), ['bias', 'weight.T_quantized', 'weight.T_scale', 'weight.T_zero_point']);
  assert.equal(model.graph!.node!.length, 2, 'the input model is left as it was');

  const xs = Float32Array.from({ length: rows * k }, (_, i) => Math.cos(i * 0.37) * 3 - 0.5);
  const s = await ort.InferenceSession.create(onnx.ModelProto.encode(qm).finish(), { intraOpNumThreads: 1 });
  const got = (await s.run({ x: new ort.Tensor('float32', xs, [rows, k]) })).y!.data as Float32Array;
  await s.release();

  const w = torch.tidy(() => lin.weight.transpose(0, 1).contiguous().data() as Float32Array);
  const b = torch.tidy(() => lin.bias!.data() as Float32Array);
  const wq = quantizeWeight(w, k, n, { perChannel: true, reduceRange: true });
  const a = dynamicQuantize(xs);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < n; c++) {
      let acc = 0; // the int32 accumulation: exact
      for (let j = 0; j < k; j++) acc += (a.q[r * k + j]! - a.zp) * wq.q[j * n + c]!;
      const want = Math.fround(Math.fround(acc) * Math.fround(a.scale * wq.scale[c]!)) + b[c]!;
      // Only float32 rounding of the scaling and the bias add separates the two (a few ulps of |want|).
      assert.ok(Math.abs(got[r * n + c]! - want) <= 4 * 2 ** -23 * (Math.abs(want) + Math.abs(b[c]!)), `[${r}, ${c}]: ${got[r * n + c]} vs ${want}`);
    }
  }
});

const FIXTURES = ['bert-tiny-seqcls', 'bert-synth-seqcls', 'distilbert-synth-seqcls', 'roberta-synth-seqcls'];

test('every encoder fixture exports with quantize int8: model_quantized.onnx within the derived bound of the float file', { skip: skipWithoutGolden }, async () => {
  for (const name of FIXTURES) {
    for (const task of ['text-classification', 'feature-extraction'] as const) {
      const out = join(root, `${name}-${task}`);
      const r = await exportToOnnx(golden('fixtures', name), out, { task, quantize: 'int8', threads: 1 });
      const q = r.quantized!;
      assert.ok(q !== undefined);
      const file = join(out, 'onnx', 'model_quantized.onnx');
      assert.ok(existsSync(file) && r.files.includes(q.file));
      written.push(file);
      assert.ok(q.validation.relError <= q.validation.rtol, `${name}: ${q.validation.relError}`);
      assert.equal(q.validation.rtol, QUANTIZED_RTOL_PER_MATMUL * Math.sqrt(q.report.depth));
      assert.ok(q.report.weightBytes.after < q.report.weightBytes.before);
      // Every float-weight MatMul became a MatMulInteger; the remaining MatMuls multiply two activations.
      const m = onnx.ModelProto.decode(readFileSync(file));
      const inits = new Set(m.graph!.initializer!.map((t) => t.name));
      const ops = m.graph!.node!;
      assert.equal(ops.filter((nd) => nd.opType === 'MatMul' && inits.has(nd.input![1]!)).length, 0);
      assert.equal(ops.filter((nd) => nd.opType === 'MatMulInteger').length, q.report.matmuls.length);
      const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
      const layers = Number(cfg.num_hidden_layers ?? cfg.n_layers);
      // 6 Linear per layer (q, k, v, attention output, intermediate, output); the classifier adds its own.
      assert.ok(q.report.matmuls.length >= 6 * layers, `${name}: ${q.report.matmuls.length} for ${layers} layers`);
      if (q.validation.argmaxAgreement !== undefined) assert.ok(q.validation.argmaxAgreement >= 0 && q.validation.argmaxAgreement <= 1);
      measured.push(`${name} ${task}: ${q.report.matmuls.length} MatMuls int8 (depth ${q.report.depth}), relative error ${(100 * q.validation.relError).toFixed(2)} % ` +
        `(bound ${(100 * q.validation.rtol).toFixed(1)} %), max |diff| ${q.validation.maxAbsDiff.toExponential(2)}, weights ${q.report.weightBytes.before} → ${q.report.weightBytes.after} B`);
    }
  }
});

test('ONNX Runtime fuses every quantized MatMul into its integer kernels (MatMulIntegerToFloat / DynamicQuantizeMatMul)', { skip: skipWithoutGolden }, async () => {
  const file = written.find((f) => f.includes('bert-tiny-seqcls-text-classification'));
  assert.ok(file !== undefined);
  const optimized = join(root, 'optimized.onnx');
  const s = await ort.InferenceSession.create(file, { intraOpNumThreads: 1, graphOptimizationLevel: 'extended', optimizedModelFilePath: optimized });
  await s.release();
  const ops = onnx.ModelProto.decode(readFileSync(optimized)).graph!.node!.map((nd) => `${nd.domain ?? ''}:${nd.opType}`);
  const fused = ops.filter((o) => o === 'com.microsoft:MatMulIntegerToFloat' || o === 'com.microsoft:DynamicQuantizeMatMul').length;
  // 14 quantized MatMuls, none left unfused (an unfused one would run as MatMulInteger + Cast + Mul).
  assert.equal(fused, 14, ops.join(', '));
  assert.equal(ops.filter((o) => o === ':MatMulInteger').length, 0);
});

test('a quantized file that computes something else is refused and removed (the classifier scales negated)', { skip: skipWithoutGolden }, async () => {
  const dir = golden('fixtures', 'bert-tiny-seqcls');
  const out = join(root, 'broken');
  const r = await exportToOnnx(dir, out, { threads: 1 });
  const floatBytes = readFileSync(r.onnxFile);
  const model = await modelFromPretrained('sequence-classification', dir);
  const built = buildGraph(model, 'text-classification');

  // The good file passes; the same file with the classifier's scales negated does not. (A random-init
  // fixture's layers add little to the residual stream, so a broken layer weight can hide there: the
  // fine-tuned model of bench/quantize-accuracy.ts is where the task accuracy is measured.)
  const good = await exportQuantized(r.onnxFile, floatBytes, built, { threads: 1 });
  assert.ok(good.validation.relError <= good.validation.rtol);
  const { bytes } = quantizeBytes(floatBytes);
  const m = onnx.ModelProto.decode(bytes);
  const scale = m.graph!.initializer!.find((t) => t.name === 'classifier.weight.T_scale')!;
  const v = new Float32Array(new Uint8Array(scale.rawData!).buffer);
  for (let i = 0; i < v.length; i++) v[i] = -v[i]!;
  scale.rawData = new Uint8Array(v.buffer);
  const bad = join(out, 'onnx', 'model_quantized.onnx');
  writeFileSync(bad, onnx.ModelProto.encode(m).finish());
  await assert.rejects(validateQuantized(r.onnxFile, bad, built, good.report.depth, { threads: 1 }), (e: unknown) => {
    assert.ok(e instanceof LenguaError);
    assert.match(e.message, /model_quantized\.onnx.*field "logits".*int8 model differs from the float model by [\d.]+ % \(relative L2; bound 15\.8 % for 10 quantized MatMuls in depth\)/);
    return true;
  });

  // exportQuantized removes its file when the validation fails (here: a bound no quantization meets).
  await assert.rejects(exportQuantized(r.onnxFile, floatBytes, built, { threads: 1, rtol: 1e-9 }), LenguaError);
  assert.deepEqual(readdirSync(join(out, 'onnx')), ['model.onnx']);
});

test('quantize refusals: an unknown mode, text-generation, an opset without DynamicQuantizeLinear, bytes that are no model', { skip: skipWithoutGolden }, async () => {
  await assert.rejects(exportToOnnx(golden('fixtures', 'bert-tiny-seqcls'), join(root, 'int4'), { quantize: 'int4' as 'int8' }), /field "quantize": unknown quantization "int4" \(one of int8\)/);
  await assert.rejects(exportToOnnx(golden('fixtures', 'gpt2-tiny'), join(root, 'gpt2'), { task: 'text-generation', quantize: 'int8' }), (e: unknown) => {
    assert.ok(e instanceof LenguaError);
    assert.match(e.message, /--quantize int8 is not available for text-generation/);
    return true;
  });
  assert.ok(!existsSync(join(root, 'gpt2')) || readdirSync(join(root, 'gpt2')).length === 0);
  const old = onnx.ModelProto.create({ irVersion: 6, opsetImport: [{ domain: '', version: 10 }], graph: { name: 'g' } });
  assert.throws(() => quantizeDynamic(old, {}, 'old.onnx'), /old\.onnx, field "opset_import": DynamicQuantizeLinear needs opset 11 or later; the model imports opset 10/);
  assert.throws(() => quantizeBytes(Uint8Array.from([0xff, 0xff, 0xff]), {}, 'junk.onnx'), /junk\.onnx: not an ONNX model/);
});

const PY = '/usr/bin/python3';
const probe = spawnSync(PY, ['-c', 'import onnx'], { encoding: 'utf8' });
const skipChecker = probe.status === 0 ? skipWithoutGolden : 'Debian python3-onnx is not installed (apt-get install python3-onnx)';

test('python3-onnx onnx.checker (full_check) accepts every quantized file', { skip: skipChecker }, (t) => {
  assert.ok(written.length >= FIXTURES.length * 2, `only ${written.length} files`);
  const script = [
    'import json, sys, onnx',
    'bad = {}',
    'for p in sys.argv[1:]:',
    '    try:',
    '        onnx.checker.check_model(onnx.load(p), full_check=True)',
    '    except Exception as e:',
    '        bad[p] = str(e)',
    'print(json.dumps({"checked": len(sys.argv) - 1, "bad": bad}))',
  ].join('\n');
  const r = spawnSync(PY, ['-c', script, ...written], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout) as { checked: number; bad: Record<string, string> };
  assert.deepEqual(res.bad, {});
  t.diagnostic(`checker accepted ${res.checked} quantized files`);
});

test('measured quantization errors (diagnostics)', (t) => {
  for (const line of measured) t.diagnostic(line);
});
