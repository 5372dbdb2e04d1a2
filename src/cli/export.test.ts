// `lengua export` as a real process on the golden fixtures: the Optimum layout, the validation printed,
// --json, --task, and the refusals (non-empty --out without --overwrite, a bad --task or --opset).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './testing.js';
import { golden, skipWithoutGolden as skip } from '../testing/golden.js';

const lengua = (...args: string[]) => runCli(args, { timeout: 120_000 });
const root = mkdtempSync(join(tmpdir(), 'lengua-cli-export-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('export writes config.json, the tokenizer files and onnx/model.onnx and prints the validation', { skip }, () => {
  const out = join(root, 'bert');
  const r = lengua('export', '--model', golden('fixtures', 'bert-synth-seqcls'), '--out', out);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /exported BertForSequenceClassification \(bert\) for text-classification/);
  assert.match(r.stdout, /inputs: {2}input_ids int64 \[batch_size, sequence_length\], attention_mask int64 \[batch_size, sequence_length\], token_type_ids int64 \[batch_size, sequence_length\]/);
  assert.match(r.stdout, /outputs: logits float32 \[batch_size, 3\]/);
  assert.match(r.stdout, /max \|difference\| \S+ \(tolerance 0\.0001\)/);
  assert.deepEqual(readdirSync(out).sort(), ['config.json', 'onnx', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt']);
  assert.ok(existsSync(join(out, 'onnx', 'model.onnx')));

  // Again into the same folder: refused without --overwrite, naming it; accepted with it.
  const again = lengua('export', '--model', golden('fixtures', 'bert-synth-seqcls'), '--out', out);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /lengua: .*output folder .* is not empty .*--overwrite/);
  assert.equal(lengua('export', '--model', golden('fixtures', 'bert-synth-seqcls'), '--out', out, '--overwrite').status, 0);
});

test('export --json --task feature-extraction on RoBERTa: last_hidden_state, no token_type_ids', { skip }, () => {
  const out = join(root, 'roberta');
  const r = lengua('export', '--model', golden('fixtures', 'roberta-synth-seqcls'), '--out', out, '--task', 'feature-extraction', '--json');
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout) as { task: string; architecture: string; inputs: Array<{ name: string }>; outputs: Array<{ name: string; dims: unknown[] }>; validation: { maxAbsDiff: number }; files: string[] };
  assert.equal(res.task, 'feature-extraction');
  assert.equal(res.architecture, 'RobertaModel');
  assert.deepEqual(res.inputs.map((i) => i.name), ['input_ids', 'attention_mask']);
  assert.deepEqual(res.outputs, [{ name: 'last_hidden_state', type: 'float32', dims: ['batch_size', 'sequence_length', 32] }]);
  assert.ok(res.validation.maxAbsDiff <= 1e-4);
  assert.ok(res.files.includes('merges.txt') && res.files.includes('vocab.json'));
});

test('export refuses a bad --task or --opset and a folder holding other files', { skip }, () => {
  const model = golden('fixtures', 'distilbert-synth-seqcls');
  const task = lengua('export', '--model', model, '--out', join(root, 'x'), '--task', 'image-to-text');
  assert.notEqual(task.status, 0);
  assert.match(task.stderr, /--task.*image-to-text.*choices/s);
  const opset = lengua('export', '--model', model, '--out', join(root, 'y'), '--opset', '13');
  assert.notEqual(opset.status, 0);
  assert.match(opset.stderr, /--opset/);
  const busy = join(root, 'busy');
  mkdirSync(busy);
  writeFileSync(join(busy, 'data.csv'), 'a\n');
  const r = lengua('export', '--model', model, '--out', busy);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /not empty \(data\.csv\)/);
});

test('export --quantize int8 writes onnx/model_quantized.onnx beside model.onnx and prints its check against the float file', { skip }, () => {
  const out = join(root, 'int8');
  const r = lengua('export', '--model', golden('fixtures', 'bert-tiny-seqcls'), '--out', out, '--quantize', 'int8');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /onnx\/model_quantized\.onnx: \d+ KB, 14 MatMuls int8 .*relative error [\d.]+ % \(bound 15\.8 %\), same argmax on \d+ % of rows/);
  assert.deepEqual(readdirSync(join(out, 'onnx')).sort(), ['model.onnx', 'model_quantized.onnx']);
  const json = lengua('export', '--model', golden('fixtures', 'bert-tiny-seqcls'), '--out', out, '--quantize', 'int8', '--overwrite', '--json');
  assert.equal(json.status, 0, json.stderr);
  const res = JSON.parse(json.stdout) as { files: string[]; quantized: { file: string; validation: { relError: number; rtol: number } } };
  assert.equal(res.quantized.file, 'onnx/model_quantized.onnx');
  assert.ok(res.files.includes('onnx/model_quantized.onnx'));
  assert.ok(res.quantized.validation.relError <= res.quantized.validation.rtol);
  const bad = lengua('export', '--model', golden('fixtures', 'bert-tiny-seqcls'), '--out', join(root, 'int4'), '--quantize', 'int4');
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--quantize.*int4.*choices.*int8/s);
});
