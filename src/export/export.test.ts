// ONNX export: every encoder fixture (and base models, a Trainer-fine-tuned folder and a checkpoint-N
// folder) exports; ONNX Runtime matches the libtorch forward within 1e-4 and the transformers goldens
// within 1e-4; the session has exactly Optimum's inputs and outputs and dynamic axes; Debian's
// python3-onnx checker accepts every file written; refusals are LenguaErrors.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import * as torch from '../torch/index.js';
import { LenguaError } from '../errors.js';
import { readSafetensors } from '../hub/index.js';
import { AutoConfig, AutoModel, AutoModelForSequenceClassification, logger } from '../models/index.js';
import { AutoTokenizer } from '../text/tokenizer/index.js';
import { Trainer, encodeTexts, trainingArguments } from '../train/index.js';
import { keywordTask } from '../train/testing/task.js';
import { golden, skipWithoutGolden } from '../testing/golden.js';
import { checkProtobufSize, exportToOnnx, Graph, needsExternalData, type ExportResult } from './index.js';
import { onnxChecker, skipChecker as checkerSkip } from './testing.js';

torch.setNumThreads(1);
const TOL = 1e-4;
const root = mkdtempSync(join(tmpdir(), 'lengua-export-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const outDir = (name: string): string => join(root, `${name}-${n++}`);

/** Every file exported by the tests of this file, for the independent protobuf check at the end. */
const exported: string[] = [];
/** Measured ORT-vs-libtorch differences, printed as diagnostics. */
const measured: string[] = [];

async function exportOk(model: Parameters<typeof exportToOnnx>[0], name: string, opts: Parameters<typeof exportToOnnx>[2] = {}): Promise<ExportResult> {
  const out = outDir(name);
  const r = await exportToOnnx(model, out, { threads: 1, ...opts });
  exported.push(r.onnxFile);
  measured.push(`${name} (${r.architecture}, ${r.task}): max |ORT - libtorch| ${r.validation.maxAbsDiff.toExponential(2)}, ${r.seconds.total.toFixed(2)} s`);
  assert.ok(r.validation.maxAbsDiff <= TOL, `${name}: ${r.validation.maxAbsDiff}`);
  assert.ok(existsSync(r.onnxFile) && existsSync(join(out, 'config.json')));
  return r;
}

async function session(file: string): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(file, { intraOpNumThreads: 1, interOpNumThreads: 1 });
}

function int64(rows: number[][]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0]!.length]);
}

const SEQCLS = ['bert-synth-seqcls', 'bert-tiny-seqcls', 'distilbert-synth-seqcls', 'roberta-synth-seqcls'];

test('every encoder fixture exports as text-classification; ORT matches libtorch within 1e-4; the Optimum layout is written', { skip: skipWithoutGolden }, async () => {
  for (const name of SEQCLS) {
    const fixture = golden('fixtures', name);
    const r = await exportOk(fixture, name);
    assert.equal(r.task, 'text-classification');
    assert.match(r.architecture, /ForSequenceClassification$/);
    assert.deepEqual(r.outputs.map((o) => o.name), ['logits']);
    assert.deepEqual(r.inputs.map((i) => i.name), name.startsWith('bert') ? ['input_ids', 'attention_mask', 'token_type_ids'] : ['input_ids', 'attention_mask']);
    // Tokenizer files copied as they are; config.json as transformers writes it.
    for (const f of readdirSync(fixture).filter((f) => /^(tokenizer.*|special_tokens_map|vocab|merges)\.(json|txt)$/.test(f))) {
      assert.deepEqual(readFileSync(join(r.outDir, f)), readFileSync(join(fixture, f)), `${name}: ${f} differs`);
    }
    const cfg = JSON.parse(readFileSync(join(r.outDir, 'config.json'), 'utf8')) as Record<string, unknown>;
    const src = JSON.parse(readFileSync(join(fixture, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(cfg.architectures, src.architectures);
    assert.equal(cfg.model_type, src.model_type);
    assert.deepEqual(cfg.id2label ?? null, src.id2label ?? cfg.id2label ?? null);
    assert.ok(r.validation.cases.length >= 3 && r.validation.cases.some((c) => c.lengths.some((l) => l < c.sequenceLength)), 'validated on padded batches');
  }
});

test('base models (BertModel, RobertaModel, DistilBertModel folders) export as feature-extraction with last_hidden_state', { skip: skipWithoutGolden }, async () => {
  for (const name of ['bert-synth-seqcls', 'roberta-synth-seqcls', 'distilbert-synth-seqcls']) {
    const dir = outDir(`${name}-base-folder`);
    const { result: base } = await logger.captureAsync(() => AutoModel.fromPretrained(golden('fixtures', name)));
    await base.savePretrained(dir);
    const r = await exportOk(dir, `${name} base model`);
    assert.equal(r.task, 'feature-extraction');
    assert.match(r.architecture, /^(Bert|Roberta|DistilBert)Model$/);
    assert.deepEqual(r.outputs, [{ name: 'last_hidden_state', type: 'float32', dims: ['batch_size', 'sequence_length', 32] }]);
    assert.ok(existsSync(join(r.outDir, 'tokenizer.json')));
  }
  // A classification folder exported as feature-extraction exports its body.
  const r = await exportOk(golden('fixtures', 'bert-synth-seqcls'), 'bert-synth-seqcls as feature-extraction', { task: 'feature-extraction' });
  assert.equal(r.architecture, 'BertModel');
});

test('ORT on the golden inputs reproduces the transformers goldens (logits, last_hidden_state, RoBERTa left padding) within 1e-4', { skip: skipWithoutGolden }, async () => {
  for (const name of SEQCLS) {
    const g = readSafetensors(golden('models', name, 'golden.safetensors')).tensors;
    const ints = (key: string): number[][] => {
      const e = g.get(key)!;
      const flat = Array.from(new BigInt64Array(e.data.slice().buffer), Number);
      return Array.from({ length: e.shape[0]! }, (_, i) => flat.slice(i * e.shape[1]!, (i + 1) * e.shape[1]!));
    };
    const floats = (key: string): Float32Array => new Float32Array(g.get(key)!.data.slice().buffer);
    for (const task of ['text-classification', 'feature-extraction'] as const) {
      const r = await exportOk(golden('fixtures', name), `${name} ${task} (golden)`, { task });
      const s = await session(r.onnxFile);
      try {
        for (const prefix of name.startsWith('roberta') ? ['', 'leftpad.'] : ['']) {
          const feeds: Record<string, ort.Tensor> = { input_ids: int64(ints(`${prefix}inputs.input_ids`)), attention_mask: int64(ints(`${prefix}inputs.attention_mask`)) };
          if (s.inputNames.includes('token_type_ids')) feeds.token_type_ids = int64(ints('inputs.token_type_ids'));
          const out = (await s.run(feeds))[r.outputs[0]!.name]!;
          const want = floats(`${prefix}${task === 'text-classification' ? 'logits' : 'last_hidden_state'}`);
          const got = out.data as Float32Array;
          assert.equal(got.length, want.length);
          let d = 0;
          for (let i = 0; i < got.length; i++) d = Math.max(d, Math.abs(got[i]! - want[i]!));
          measured.push(`${name} ${task} ${prefix}golden: max |ORT - transformers| ${d.toExponential(2)}`);
          assert.ok(d <= TOL, `${name} ${prefix}${task}: ${d}`);
        }
      } finally {
        await s.release();
      }
    }
  }
});

test('the session has exactly the named inputs and outputs, and other batch sizes and lengths run (dynamic axes)', { skip: skipWithoutGolden }, async () => {
  for (const name of SEQCLS) {
    const r = await exportOk(golden('fixtures', name), `${name} (dynamic axes)`);
    const s = await session(r.onnxFile);
    try {
      assert.deepEqual(s.inputNames, r.inputs.map((i) => i.name));
      assert.deepEqual(s.outputNames, ['logits']);
      const labels = r.outputs[0]!.dims[1] as number;
      for (const [b, len] of [[1, 1], [5, 40], [2, 3]] as const) {
        const rows = Array.from({ length: b }, (_, i) => Array.from({ length: len }, (_, j) => 5 + ((i * 7 + j * 3) % 50)));
        const feeds: Record<string, ort.Tensor> = { input_ids: int64(rows), attention_mask: int64(rows.map((row) => row.map(() => 1))) };
        if (s.inputNames.includes('token_type_ids')) feeds.token_type_ids = int64(rows.map((row) => row.map(() => 0)));
        const out = (await s.run(feeds)).logits!;
        assert.deepEqual(out.dims, [b, labels]);
        assert.ok((out.data as Float32Array).every(Number.isFinite));
      }
    } finally {
      await s.release();
    }
    // The declared dims are the symbolic names Optimum uses.
    const model = onnxProto.onnx.ModelProto.decode(readFileSync(r.onnxFile));
    for (const input of model.graph!.input!) assert.deepEqual(input.type!.tensorType!.shape!.dim!.map((d) => d.dimParam), ['batch_size', 'sequence_length']);
    assert.deepEqual(model.opsetImport!.map((o) => [o.domain, Number(o.version)]), [['', 17]]);
    const ops = new Set(model.graph!.node!.map((nd) => nd.opType));
    assert.ok(ops.has('LayerNormalization') && ops.has('Erf') && !ops.has('ReduceMean'), [...ops].join(','));
    // Initializers carry the model's parameter names.
    const inits = new Set(model.graph!.initializer!.map((i) => i.name));
    const embed = name.startsWith('distilbert') ? 'distilbert' : name.startsWith('roberta') ? 'roberta' : 'bert';
    assert.ok(inits.has(`${embed}.embeddings.word_embeddings.weight`), [...inits].slice(0, 5).join(','));
  }
});

test('a model fine-tuned by the Trainer, its checkpoint-N folder and a model object export and validate', { skip: skipWithoutGolden }, async () => {
  for (const name of ['bert-synth-seqcls', 'roberta-synth-seqcls', 'distilbert-synth-seqcls']) {
    const fixture = golden('fixtures', name);
    const tokenizer = await AutoTokenizer.fromPretrained(fixture);
    const model = await AutoModelForSequenceClassification.fromPretrained(fixture);
    const run = outDir(`${name}-run`);
    const args = trainingArguments({
      outputDir: run, learningRate: 5e-3, maxSteps: 4, perDeviceTrainBatchSize: 8, saveStrategy: 'steps', saveSteps: 2, loggingSteps: 2, quiet: true, seed: 3,
    });
    const trainer = new Trainer({ model, args, trainDataset: encodeTexts(keywordTask(32, 5), tokenizer, 16), tokenizer });
    await trainer.train();
    await trainer.saveModel();
    assert.ok(existsSync(join(run, 'checkpoint-2', 'model.safetensors')));
    await exportOk(run, `${name} fine-tuned (Trainer, 4 steps)`);
    await exportOk(join(run, 'checkpoint-2'), `${name} checkpoint-2`);
    // The trained model object itself (no folder read back); its source folder's tokenizer files come along.
    const r = await exportOk(model, `${name} fine-tuned model object`);
    assert.equal(r.task, 'text-classification');
  }
});

test('a model built from a config (no source folder) exports config.json and the graph, without tokenizer files', async () => {
  const config = AutoConfig.forModel('distilbert', { dim: 16, n_heads: 2, n_layers: 1, hidden_dim: 24, vocab_size: 50, max_position_embeddings: 20, num_labels: 4 });
  const model = AutoModelForSequenceClassification.fromConfig(config, { seed: 1 });
  model.eval();
  const r = await exportOk(model, 'distilbert from config');
  assert.deepEqual(r.files, ['onnx/model.onnx', 'config.json']);
  assert.deepEqual(r.outputs[0]!.dims, ['batch_size', 4]);
});

test('opset 18 exports validate too', { skip: skipWithoutGolden }, async () => {
  const r = await exportOk(golden('fixtures', 'roberta-synth-seqcls'), 'roberta-synth-seqcls opset 18', { opset: 18 });
  assert.equal(r.opset, 18);
  exported.pop(); // python3-onnx 1.12 knows opsets up to 17
});

test('refusals: a non-empty --out without overwrite, the model folder itself, a random head (a QA folder asked for a classifier), a bad opset', { skip: skipWithoutGolden }, async () => {
  const fixture = golden('fixtures', 'bert-synth-seqcls');
  const out = outDir('nonempty');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'notes.txt'), 'mine');
  await assert.rejects(exportToOnnx(fixture, out, { overwriteFlag: '--overwrite' }), (e: unknown) => e instanceof LenguaError && /not empty \(notes\.txt\).*--overwrite/.test(e.message));
  // --overwrite replaces an earlier export and leaves other files alone.
  await exportToOnnx(fixture, out, { overwrite: true, threads: 1 });
  writeFileSync(join(out, 'onnx', 'stale.onnx'), 'old');
  await exportToOnnx(golden('fixtures', 'distilbert-synth-seqcls'), out, { overwrite: true, threads: 1 });
  assert.equal(readFileSync(join(out, 'notes.txt'), 'utf8'), 'mine');
  assert.ok(!existsSync(join(out, 'onnx', 'stale.onnx')) && !existsSync(join(out, 'vocab.json')));
  assert.equal((JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { model_type: string }).model_type, 'distilbert');

  await assert.rejects(exportToOnnx(fixture, fixture), (e: unknown) => e instanceof LenguaError && /model's own folder/.test(e.message));
  const base = outDir('base-folder');
  const { result: bm } = await logger.captureAsync(() => AutoModel.fromPretrained(fixture));
  await bm.savePretrained(base);
  await assert.rejects(exportToOnnx(base, outDir('x'), { task: 'text-classification' }), (e: unknown) => e instanceof LenguaError && /no sequence-classification head/.test(e.message));
  const kept = outDir('kept');
  mkdirSync(join(kept, 'onnx'), { recursive: true });
  writeFileSync(join(kept, 'onnx', 'model.onnx'), 'earlier');
  await assert.rejects(exportToOnnx(bm, kept, { task: 'text-classification', overwrite: true }), (e: unknown) => e instanceof LenguaError && /BertModel has no sequence-classification head/.test(e.message));
  assert.equal(readFileSync(join(kept, 'onnx', 'model.onnx'), 'utf8'), 'earlier', 'a refused export leaves an earlier one alone');
  // A QA folder exports as question-answering (heads.test.ts); asked for another head it is refused by its architecture.
  await assert.rejects(exportToOnnx(golden('fixtures', 'bert-synth-qa'), outDir('qa'), { task: 'text-classification' }), (e: unknown) => e instanceof LenguaError && /BertForQuestionAnswering has no sequence-classification head/.test(e.message) && e.field === 'architectures');
  await assert.rejects(exportToOnnx(fixture, outDir('opset'), { opset: 11 }), (e: unknown) => e instanceof LenguaError && /opset 11 is not supported/.test(e.message));
});

test('a validation failure names the output and the difference and leaves no file of the export behind', { skip: skipWithoutGolden }, async () => {
  const out = outDir('fails');
  await assert.rejects(
    exportToOnnx(golden('fixtures', 'bert-synth-seqcls'), out, { atol: 1e-12, threads: 1 }),
    (e: unknown) => e instanceof LenguaError && /output "logits" of ONNX Runtime differs from the libtorch forward by up to \S+ on a batch of 3 × 16 tokens \(tolerance 1e-12\); nothing of this export was kept/.test(e.message),
  );
  assert.deepEqual(existsSync(out) ? readdirSync(out).filter((f) => !f.startsWith('.')) : [], []);
});

test('weights over protobuf 2 GB are chosen for external data by size; a model file over 2 GB is refused', () => {
  assert.equal(needsExternalData(1.5 * 2 ** 30), false);
  assert.equal(needsExternalData(2 ** 31 - 2 ** 20), true, 'no room left for the graph beside the weights');
  assert.equal(needsExternalData(2.5 * 2 ** 30), true);
  assert.equal(needsExternalData(2.5 * 2 ** 30, 2 ** 40), true, 'a larger threshold cannot lift protobuf\'s limit');
  assert.equal(needsExternalData(5000, 4096), true);
  assert.doesNotThrow(() => checkProtobufSize(1.5 * 2 ** 30));
  assert.throws(() => checkProtobufSize(2.5 * 2 ** 30, 'big/model'), (e: unknown) => e instanceof LenguaError && /2\.50 GiB.*at most 2 GB.*external data \(model\.onnx_data\)/.test(e.message));
});

test('external data (threshold lowered): onnx/model.onnx_data at 4096-aligned offsets, the graph keeps only small tensors; ORT loads and validates it; the checker reads it', { skip: skipWithoutGolden }, async () => {
  for (const [name, task, file] of [['bert-synth-seqcls', 'auto', 'model.onnx'], ['gpt2-synth-lm', 'auto', 'decoder_model_merged.onnx']] as const) {
    const r = await exportOk(golden('fixtures', name), `${name} external data`, { task, externalDataThreshold: 0 });
    const dataFile = join(r.outDir, 'onnx', `${file}_data`);
    assert.deepEqual(r.files.slice(0, 2), [`onnx/${file}_data`, `onnx/${file}`]);
    const data = readFileSync(dataFile);
    const model = onnxProto.onnx.ModelProto.decode(readFileSync(r.onnxFile));
    const external = model.graph!.initializer!.filter((i) => i.dataLocation === onnxProto.onnx.TensorProto.DataLocation.EXTERNAL);
    assert.ok(external.length > 0);
    let stored = 0;
    for (const t of external) {
      const kv = Object.fromEntries(t.externalData!.map((e) => [e.key, e.value]));
      assert.equal(kv.location, `${file}_data`);
      const offset = Number(kv.offset);
      const length = Number(kv.length);
      assert.equal(offset % 4096, 0);
      assert.equal(length, 4 * t.dims!.reduce((a: number, d) => a * Number(d), 1), t.name!);
      assert.ok(offset + length <= data.length);
      assert.equal(t.rawData === undefined || t.rawData === null || t.rawData.length === 0, true);
      stored += length;
    }
    // Everything of 1 KiB or more moved; what stayed inside is small.
    for (const t of model.graph!.initializer!.filter((i) => !external.includes(i))) assert.ok(t.rawData!.length < 1024, t.name!);
    assert.ok(readFileSync(r.onnxFile).length < 64 * 1024 && stored > 100_000, `${readFileSync(r.onnxFile).length} bytes of graph, ${stored} of data`);
    // Debian's onnx.load reads the external data from beside the file; its checker accepts the model.
    if (checkerSkip === skipWithoutGolden) assert.deepEqual(onnxChecker([r.onnxFile]).bad, {});
    exported.pop(); // overwritten below
    // A second export over it (overwrite) leaves no stale data file when the weights fit inline again.
    const again = await exportToOnnx(golden('fixtures', name), r.outDir, { task, overwrite: true, threads: 1 });
    assert.ok(!existsSync(dataFile) && !again.files.some((f) => f.endsWith('_data')));
  }
  await assert.rejects(exportToOnnx(golden('fixtures', 'bert-synth-seqcls'), outDir('bad-threshold'), { externalDataThreshold: -1 }), (e: unknown) => e instanceof LenguaError && /externalDataThreshold/.test(e.message));
});

test('the graph builder: torch.onnx-style names, initializers under parameter names, an output renamed where produced', async () => {
  const lin = new torch.nn.Linear(3, 2);
  const g = new Graph('tiny', new Map(lin.namedParameters().map(([k, t]) => [t, k])));
  g.input('x', 'float32', ['batch_size', 3]);
  const y = g.op('lin', 'Add', [g.op('lin', 'MatMul', ['x', g.param(lin.weight, { transpose: true })]), g.param(lin.bias!)]);
  assert.equal(y, '/lin/Add_output_0');
  g.output(y, 'float32', ['batch_size', 2], 'y');
  const bytes = g.serialize({ opset: 17, producerName: 'lengua', producerVersion: '0' });
  const m = onnxProto.onnx.ModelProto.decode(bytes);
  assert.deepEqual(m.graph!.initializer!.map((i) => i.name).sort(), ['bias', 'weight.T']);
  assert.deepEqual(m.graph!.node!.map((nd) => nd.name), ['/lin/MatMul', '/lin/Add']);
  const s = await ort.InferenceSession.create(bytes);
  const x = [1, -2, 0.5, 3, 0, -1];
  const got = (await s.run({ x: new ort.Tensor('float32', Float32Array.from(x), [2, 3]) })).y!.data as Float32Array;
  const want = torch.tidy(() => lin.forward(torch.tensor(x, { shape: [2, 3] })).data() as Float32Array);
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(got[i]! - want[i]!) < 1e-6);
  await s.release();
});

/** Debian's python3-onnx (1.12): an implementation of the ONNX checker independent of onnx-proto and ONNX Runtime. */
const PY = '/usr/bin/python3';
const checkerProbe = spawnSync(PY, ['-c', 'import onnx; print(onnx.__version__)'], { encoding: 'utf8' });
const skipChecker = checkerProbe.status === 0 ? skipWithoutGolden
  : 'Debian python3-onnx is not installed (apt-get install python3-onnx, or LENGUA_SETUP_TEST_TOOLS=1 bash scripts/setup.sh as .ci/run does)';

test('python3-onnx onnx.checker (full_check) accepts every exported file', { skip: skipChecker }, (t) => {
  assert.ok(exported.length >= 20, `only ${exported.length} files exported by the tests above`);
  const script = [
    'import json, sys, onnx',
    'bad = {}',
    'for p in sys.argv[1:]:',
    '    try:',
    '        onnx.checker.check_model(onnx.load(p), full_check=True)',
    '    except Exception as e:',
    '        bad[p] = str(e)',
    'print(json.dumps({"version": onnx.__version__, "checked": len(sys.argv) - 1, "bad": bad}))',
  ].join('\n');
  const r = spawnSync(PY, ['-c', script, ...exported], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout) as { version: string; checked: number; bad: Record<string, string> };
  assert.deepEqual(res.bad, {});
  assert.equal(res.checked, exported.length);
  t.diagnostic(`onnx ${res.version} checker accepted ${res.checked} files`);
});

test('measured differences (diagnostics)', (t) => {
  for (const line of measured) t.diagnostic(line);
});

test('generation_config.json and monitoring/reference.json travel with the export, byte for byte', { skip: skipWithoutGolden }, async () => {
  const src = outDir('carried-src');
  mkdirSync(join(src, 'monitoring'), { recursive: true });
  for (const f of readdirSync(golden('fixtures', 'bert-synth-seqcls'))) writeFileSync(join(src, f), readFileSync(join(golden('fixtures', 'bert-synth-seqcls'), f)));
  writeFileSync(join(src, 'monitoring', 'reference.json'), '{"format":"x","n":1}\n');
  writeFileSync(join(src, 'generation_config.json'), '{"max_new_tokens": 7}\n');
  const out = outDir('carried');
  const r = await exportToOnnx(src, out, { threads: 1 });
  for (const f of ['monitoring/reference.json', 'generation_config.json']) {
    assert.ok(r.files.includes(f), r.files.join(','));
    assert.deepEqual(readFileSync(join(out, f)), readFileSync(join(src, f)));
  }
});
