// ONNX export of the token-classification, question-answering and fill-mask heads of BERT, RoBERTa and
// DistilBERT: each is built on a golden fixture's body (bert-synth-qa aside, no fixture has these heads; the
// head weights are random), saved,
// exported with --task auto, validated against libtorch (≤ 1e-4), and checked against the transformers
// goldens where they say what the answer is (the body's last hidden state through the head's weights).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import * as torch from '../torch/index.js';
import { LenguaError } from '../errors.js';
import {
  AutoModelForMaskedLM, AutoModelForQuestionAnswering, AutoModelForTokenClassification, BertForMaskedLM, DistilBertForMaskedLM, logger, RobertaForMaskedLM,
  type PreTrainedModel,
} from '../models/index.js';
import { golden, skipWithoutGolden } from '../testing/golden.js';
import { exportToOnnx, type ExportResult } from './index.js';
import { goldenTensors, onnxChecker, skipChecker } from './testing.js';

torch.setNumThreads(1);
const TOL = 1e-4;
const root = mkdtempSync(join(tmpdir(), 'lengua-export-heads-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const outDir = (name: string): string => join(root, `${name}-${n++}`);
const exported: string[] = [];
const measured: string[] = [];

const BODIES = ['bert-synth-seqcls', 'bert-tiny-seqcls', 'roberta-synth-seqcls', 'distilbert-synth-seqcls'];

/** A head on a fixture's body, its random head weights drawn from a seed; every head bias made non-zero so a dropped bias shows. */
async function headOn(fixture: string, kind: 'token' | 'mlm' | 'qa'): Promise<PreTrainedModel> {
  const dir = golden('fixtures', fixture);
  const { result: model } = await logger.captureAsync((): Promise<PreTrainedModel> => (kind === 'token'
    ? AutoModelForTokenClassification.fromPretrained(dir, { numLabels: 5, seed: 7 })
    : kind === 'qa' ? AutoModelForQuestionAnswering.fromPretrained(dir, { numLabels: 2, seed: 7 }) : AutoModelForMaskedLM.fromPretrained(dir, { seed: 7 })));
  torch.manualSeed(7);
  torch.noGrad(() => {
    for (const [name, p] of model.namedParameters()) {
      if (!name.startsWith(`${model.baseModelPrefix}.`) && name.endsWith('bias')) torch.nn.init.normal_(p, 0, 0.5);
    }
  });
  model.eval();
  return model;
}

async function exportFolder(model: PreTrainedModel, name: string): Promise<ExportResult> {
  const saved = outDir(`${name}-saved`);
  await model.savePretrained(saved);
  const r = await exportToOnnx(saved, outDir(name), { threads: 1 });
  exported.push(r.onnxFile);
  measured.push(`${name} (${r.architecture}, ${r.task}): max |ORT - libtorch| ${r.validation.maxAbsDiff.toExponential(2)}, ${r.seconds.total.toFixed(2)} s`);
  assert.ok(r.validation.maxAbsDiff <= TOL, `${name}: ${r.validation.maxAbsDiff}`);
  assert.ok(r.validation.cases.some((c) => c.lengths.some((l) => l < c.sequenceLength)), 'validated on padded batches');
  return r;
}

async function run(file: string, feeds: Record<string, number[][]>, output = 'logits'): Promise<ort.Tensor> {
  return (await runAll(file, feeds))[output]!;
}

async function runAll(file: string, feeds: Record<string, number[][]>): Promise<Record<string, ort.Tensor>> {
  const s = await ort.InferenceSession.create(file, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    const t: Record<string, ort.Tensor> = {};
    for (const [k, rows] of Object.entries(feeds)) {
      if (s.inputNames.includes(k)) t[k] = new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0]!.length]);
    }
    return await s.run(t);
  } finally {
    await s.release();
  }
}

test('token classification: every encoder body exports from its saved folder (--task auto), logits [batch_size, sequence_length, num_labels] within 1e-4 of libtorch', { skip: skipWithoutGolden }, async () => {
  for (const body of BODIES) {
    const model = await headOn(body, 'token');
    const r = await exportFolder(model, `${body} token-classification`);
    assert.equal(r.task, 'token-classification');
    assert.match(r.architecture, /^(Bert|Roberta|DistilBert)ForTokenClassification$/);
    assert.deepEqual(r.outputs, [{ name: 'logits', type: 'float32', dims: ['batch_size', 'sequence_length', 5] }]);
    assert.deepEqual(r.inputs.map((i) => i.name), body.startsWith('bert') ? ['input_ids', 'attention_mask', 'token_type_ids'] : ['input_ids', 'attention_mask']);
    const cfg = JSON.parse(readFileSync(join(r.outDir, 'config.json'), 'utf8')) as { architectures: string[]; id2label: Record<string, string> };
    assert.deepEqual(cfg.architectures, [r.architecture]);
    assert.equal(Object.keys(cfg.id2label).length, 5);
  }
});

test('token classification on the golden inputs equals the transformers golden last_hidden_state through the classifier (RoBERTa left padding too)', { skip: skipWithoutGolden }, async () => {
  for (const body of BODIES) {
    const model = await headOn(body, 'token');
    const r = await exportToOnnx(model, outDir(`${body}-token-golden`), { threads: 1 });
    const g = goldenTensors(body);
    const classifier = (model as unknown as { classifier: torch.nn.Linear }).classifier;
    const w = classifier.weight.data() as Float32Array; // [labels, hidden]
    const b = classifier.bias!.data() as Float32Array;
    const labels = b.length;
    for (const prefix of body.startsWith('roberta') ? ['', 'leftpad.'] : ['']) {
      const got = (await run(r.onnxFile, {
        input_ids: g.ints(`${prefix}inputs.input_ids`), attention_mask: g.ints(`${prefix}inputs.attention_mask`),
        ...(g.has('inputs.token_type_ids') ? { token_type_ids: g.ints('inputs.token_type_ids') } : {}),
      })).data as Float32Array;
      const h = g.floats(`${prefix}last_hidden_state`);
      const hidden = h.shape[2]!;
      const tokens = h.shape[0]! * h.shape[1]!;
      assert.equal(got.length, tokens * labels);
      let d = 0;
      for (let t = 0; t < tokens; t++) {
        for (let l = 0; l < labels; l++) {
          let want = b[l]!;
          for (let k = 0; k < hidden; k++) want += h.data[t * hidden + k]! * w[l * hidden + k]!;
          d = Math.max(d, Math.abs(got[t * labels + l]! - want));
        }
      }
      measured.push(`${body} token-classification ${prefix}golden: max |ORT - transformers hidden · classifier| ${d.toExponential(2)}`);
      assert.ok(d <= TOL, `${body} ${prefix}: ${d}`);
    }
  }
});

test('fill-mask: every encoder body with its MLM head exports (--task auto), logits [batch_size, sequence_length, vocab_size] within 1e-4; the tied decoder is stored once', { skip: skipWithoutGolden }, async () => {
  for (const body of BODIES) {
    const model = await headOn(body, 'mlm');
    assert.ok(model instanceof BertForMaskedLM || model instanceof RobertaForMaskedLM || model instanceof DistilBertForMaskedLM);
    const r = await exportFolder(model, `${body} fill-mask`);
    assert.equal(r.task, 'fill-mask');
    assert.match(r.architecture, /^(Bert|Roberta|DistilBert)ForMaskedLM$/);
    const vocab = model.config.vocabSize;
    assert.deepEqual(r.outputs, [{ name: 'logits', type: 'float32', dims: ['batch_size', 'sequence_length', vocab] }]);
    // Tied: the decoder reads the word embedding initializer (Transpose → MatMul); no second [hidden, vocab] copy.
    const proto = onnxProto.onnx.ModelProto.decode(readFileSync(r.onnxFile));
    const prefix = body.startsWith('distilbert') ? 'distilbert' : body.startsWith('roberta') ? 'roberta' : 'bert';
    const table = `${prefix}.embeddings.word_embeddings.weight`;
    const big = proto.graph!.initializer!.filter((i) => i.dims!.map(Number).includes(vocab) && i.dims!.length === 2).map((i) => i.name);
    assert.deepEqual(big, [table]);
    const transpose = proto.graph!.node!.find((nd) => nd.opType === 'Transpose' && nd.input![0] === table);
    assert.ok(transpose !== undefined && proto.graph!.node!.some((nd) => nd.opType === 'MatMul' && nd.input![1] === transpose.output![0]), 'the decoder multiplies by the transposed embedding table');
    assert.ok(statSync(r.onnxFile).size < 4 * model.parameters().reduce((a, t) => a + t.numel, 0) + 2 ** 16, 'no weight stored twice');
  }
});

test('a model object exports with its head; asking a head it does not have is a LenguaError, before --out is touched', { skip: skipWithoutGolden }, async () => {
  const token = await headOn('distilbert-synth-seqcls', 'token');
  const r = await exportToOnnx(token, outDir('object-token'), { threads: 1 });
  exported.push(r.onnxFile);
  assert.equal(r.task, 'token-classification');
  await assert.rejects(exportToOnnx(token, outDir('object-token-as-mlm'), { task: 'fill-mask' }), (e: unknown) => e instanceof LenguaError && /DistilBertForTokenClassification has no masked-LM head/.test(e.message));
  const fixture = golden('fixtures', 'bert-synth-seqcls');
  await assert.rejects(exportToOnnx(fixture, outDir('seqcls-as-token'), { task: 'token-classification' }), (e: unknown) => e instanceof LenguaError && /BertForSequenceClassification has no token-classification head.*random/.test(e.message));
  await assert.rejects(exportToOnnx(fixture, outDir('seqcls-as-mlm'), { task: 'fill-mask' }), (e: unknown) => e instanceof LenguaError && /has no masked-lm head/.test(e.message));
  // feature-extraction of a head folder exports its body.
  const mlm = await headOn('roberta-synth-seqcls', 'mlm');
  const fe = await exportToOnnx(mlm, outDir('mlm-feature-extraction'), { task: 'feature-extraction', threads: 1 });
  assert.equal(fe.architecture, 'RobertaModel');
});

test('question answering: the bert-synth-qa golden exports (--task auto) with start_logits and end_logits [batch_size, sequence_length] equal to the transformers golden within 1e-4', { skip: skipWithoutGolden }, async () => {
  const r = await exportToOnnx(golden('fixtures', 'bert-synth-qa'), outDir('bert-synth-qa'), { threads: 1 });
  exported.push(r.onnxFile);
  measured.push(`bert-synth-qa (${r.architecture}, ${r.task}): max |ORT - libtorch| ${r.validation.maxAbsDiff.toExponential(2)} over ${r.validation.output}`);
  assert.equal(r.task, 'question-answering');
  assert.equal(r.architecture, 'BertForQuestionAnswering');
  assert.deepEqual(r.outputs, [
    { name: 'start_logits', type: 'float32', dims: ['batch_size', 'sequence_length'] },
    { name: 'end_logits', type: 'float32', dims: ['batch_size', 'sequence_length'] },
  ]);
  assert.equal(r.validation.output, 'start_logits, end_logits');
  assert.ok(r.validation.maxAbsDiff <= TOL && r.validation.cases.some((c) => c.lengths.some((l) => l < c.sequenceLength)), 'validated on padded batches');
  const g = goldenTensors('bert-synth-qa');
  const out = await runAll(r.onnxFile, { input_ids: g.ints('inputs.input_ids'), attention_mask: g.ints('inputs.attention_mask'), token_type_ids: g.ints('inputs.token_type_ids') });
  for (const name of ['start_logits', 'end_logits']) {
    const want = g.floats(name);
    const got = out[name]!;
    assert.deepEqual([...got.dims], want.shape);
    // The golden's own fp32-vs-fp64 noise is ~1e-6 (manifest numerical_checks); 1e-4 is its forward tolerance.
    let d = 0;
    (got.data as Float32Array).forEach((v, i) => { d = Math.max(d, Math.abs(v - want.data[i]!)); });
    measured.push(`bert-synth-qa ${name}: max |ORT - transformers golden| ${d.toExponential(2)}`);
    assert.ok(d <= TOL, `${name}: ${d}`);
  }
});

test('question answering: RoBERTa and DistilBERT QA heads on the fixtures\' bodies export from their saved folders within 1e-4 of libtorch, and quantize to int8', { skip: skipWithoutGolden }, async () => {
  for (const body of ['roberta-synth-seqcls', 'distilbert-synth-seqcls']) {
    const model = await headOn(body, 'qa');
    const r = await exportFolder(model, `${body} question-answering`);
    assert.equal(r.task, 'question-answering');
    assert.match(r.architecture, /^(Roberta|DistilBert)ForQuestionAnswering$/);
    assert.deepEqual(r.outputs.map((o) => o.name), ['start_logits', 'end_logits']);
    const q = await exportToOnnx(model, outDir(`${body}-qa-int8`), { threads: 1, quantize: 'int8' });
    exported.push(q.onnxFile);
    assert.equal(q.quantized!.validation.output, 'start_logits, end_logits');
    assert.ok(q.quantized!.validation.relError <= q.quantized!.validation.rtol);
    measured.push(`${body} question-answering int8: relative error ${q.quantized!.validation.relError.toFixed(3)} (bound ${q.quantized!.validation.rtol.toFixed(3)})`);
  }
  // A classifier folder asked for question answering is refused by its architecture (its export would hold a random QA head).
  await assert.rejects(
    exportToOnnx(golden('fixtures', 'bert-synth-seqcls'), outDir('seqcls-as-qa'), { task: 'question-answering' }),
    (e: unknown) => e instanceof LenguaError && /BertForSequenceClassification has no question-answering head/.test(e.message),
  );
});

test('python3-onnx onnx.checker (full_check) accepts every token-classification, question-answering and fill-mask file', { skip: skipChecker }, (t) => {
  assert.ok(exported.length >= 9, `only ${exported.length} files exported`);
  const res = onnxChecker(exported);
  assert.deepEqual(res.bad, {});
  assert.equal(res.checked, exported.length);
  t.diagnostic(`onnx ${res.version} checker accepted ${res.checked} files`);
});

test('measured differences (diagnostics)', (t) => {
  for (const line of measured) t.diagnostic(line);
});
