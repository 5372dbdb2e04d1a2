// `lengua predict` as a real process on the golden fixtures: labels from config.id2label, softmax
// scores equal to the golden logits of the same text (tokenizer + model end to end).
import { after, test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportToOnnx } from '../export/index.js';
import assert from 'node:assert/strict';
import { runCli } from './testing.js';
import { golden, skipWithoutGolden as skip } from '../testing/golden.js';
import { readSafetensors, entryToFloat32 } from '../hub/safetensors.js';

const lengua = (...args: string[]) => runCli(args, { timeout: 120_000 });

function softmax(row: number[]): number[] {
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

test('predict --json gives every label with the golden softmax scores', { skip }, () => {
  const g = readSafetensors(golden('models', 'bert-synth-seqcls', 'golden.safetensors'));
  const logits = entryToFloat32(g.tensors.get('logits')!);
  // Golden rows: 0 = the pair, 1 = "Hello world!", 2 = "Hi."
  const want = [1, 2].map((r) => softmax([...logits.slice(r * 3, r * 3 + 3)]));
  const r = lengua('predict', '--model', golden('fixtures', 'bert-synth-seqcls'), '--json', '--top-k', '3', 'Hello world!', 'Hi.');
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout) as Array<Array<{ label: string; score: number }>>;
  assert.equal(got.length, 2);
  const names = ['negative', 'neutral', 'positive'];
  got.forEach((preds, i) => {
    assert.equal(preds.length, 3);
    for (let j = 1; j < 3; j++) assert.ok(preds[j - 1]!.score >= preds[j]!.score, 'best first');
    for (const p of preds) {
      const k = names.indexOf(p.label);
      assert.ok(k >= 0, p.label);
      assert.ok(Math.abs(p.score - want[i]![k]!) < 1e-5, `${p.label}: ${p.score} vs ${want[i]![k]}`);
    }
  });
});

test('predict prints the top label per text; bad flags fail with the flag named', { skip }, () => {
  const r = lengua('predict', '--model', golden('fixtures', 'distilbert-synth-seqcls'), 'Hello world!', 'Hi.');
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^(negative|neutral|positive)\t0\.\d{4}\t"Hello world!"$/);
  const bad = lengua('predict', '--model', golden('fixtures', 'distilbert-synth-seqcls'), '--top-k', '0', 'x');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--top-k/);
  const causal = lengua('predict', '--model', golden('fixtures', 'gpt2-synth-lm'), 'x');
  assert.equal(causal.status, 1);
  assert.match(causal.stderr, /does not support model_type gpt2/);
});

// The ONNX engine: an exported folder runs on ONNX Runtime by default; --engine chooses; same output.
const onnxRoot = mkdtempSync(join(tmpdir(), 'lengua-predict-onnx-'));
after(() => rmSync(onnxRoot, { recursive: true, force: true }));
// On-the-fly exports of this file go to its own cache, not the user's.
process.env.LENGUA_ONNX_CACHE = join(onnxRoot, 'cache');

test('predict on an exported folder uses ONNX Runtime: the golden softmax scores, the same text and JSON formats as libtorch', { skip }, async () => {
  const fixture = golden('fixtures', 'bert-synth-seqcls');
  const out = join(onnxRoot, 'bert-onnx');
  await exportToOnnx(fixture, out, { threads: 1 });
  const g = readSafetensors(golden('models', 'bert-synth-seqcls', 'golden.safetensors'));
  const logits = entryToFloat32(g.tensors.get('logits')!);
  const want = [1, 2].map((r) => softmax([...logits.slice(r * 3, r * 3 + 3)]));
  const names = ['negative', 'neutral', 'positive'];
  const r = lengua('predict', '--model', out, '--json', '--top-k', '3', 'Hello world!', 'Hi.');
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout) as Array<Array<{ label: string; score: number }>>;
  got.forEach((preds, i) => {
    assert.equal(preds.length, 3);
    // ORT and the transformers goldens sum in other orders: Optimum's 1e-4.
    for (const p of preds) assert.ok(Math.abs(p.score - want[i]![names.indexOf(p.label)]!) <= 1e-4, `${p.label}: ${p.score}`);
  });
  // The text format is the libtorch path's, line for line (labels equal; scores agree to the 4 digits shown
  // unless a 5th-digit tie rounds differently, so compare them as numbers).
  const onnxText = lengua('predict', '--model', out, 'Hello world!', 'Hi.');
  const torchText = lengua('predict', '--model', fixture, 'Hello world!', 'Hi.');
  assert.equal(onnxText.status, 0, onnxText.stderr);
  const rows = (s: string) => s.trim().split('\n').map((l) => l.split('\t'));
  assert.deepEqual(rows(onnxText.stdout).map((x) => [x[0], x[2]]), rows(torchText.stdout).map((x) => [x[0], x[2]]));
  rows(onnxText.stdout).forEach((x, i) => assert.ok(Math.abs(Number(x[1]) - Number(rows(torchText.stdout)[i]![1])) <= 1.5e-4));
  // --engine torch needs the weights an export does not have; a bad engine is refused.
  const torchOnExport = lengua('predict', '--model', out, '--engine', 'torch', 'x');
  assert.equal(torchOnExport.status, 1);
  assert.match(torchOnExport.stderr, /model\.safetensors/);
  const bad = lengua('predict', '--model', out, '--engine', 'tensorflow', 'x');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--engine/);
});

test('predict --engine onnx on a training folder exports it once (a note on stderr) and agrees with --engine torch; streams too', { skip }, () => {
  const fixture = golden('fixtures', 'roberta-synth-seqcls');
  const onnx = lengua('predict', '--model', fixture, '--engine', 'onnx', '--json', '--top-k', '3', 'Hello world!', 'Hi.');
  assert.equal(onnx.status, 0, onnx.stderr);
  assert.match(onnx.stderr, /has no ONNX export; exporting it for text-classification/);
  const torchRun = lengua('predict', '--model', fixture, '--engine', 'torch', '--json', '--top-k', '3', 'Hello world!', 'Hi.');
  const a = JSON.parse(onnx.stdout) as Array<Array<{ label: string; score: number }>>;
  const b = JSON.parse(torchRun.stdout) as Array<Array<{ label: string; score: number }>>;
  a.forEach((preds, i) => preds.forEach((p, j) => assert.ok(p.label === b[i]![j]!.label && Math.abs(p.score - b[i]![j]!.score) <= 1e-4)));
  const again = runCli(['predict', '--model', fixture, '--engine', 'onnx', '--input', '-'], { timeout: 120_000, input: 'Hello world!\nHi.\n' });
  assert.equal(again.status, 0, again.stderr);
  assert.doesNotMatch(again.stderr, /exporting/, 'the cached export is reused');
  const lines = again.stdout.trim().split('\n').map((l) => JSON.parse(l) as { line: number; label: string; score: number });
  assert.deepEqual(lines.map((l) => [l.line, l.label]), [[1, a[0]![0]!.label], [2, a[1]![0]!.label]]);
});

test('predict on a token classifier prints its entities with character offsets (ONNX, first aggregation); none, stdin and --engine torch', { skip }, async () => {
  const { AutoModelForTokenClassification } = await import('../models/index.js');
  const labels = ['O', 'B-LOC', 'I-LOC', 'B-PER', 'I-PER'];
  const dir = join(onnxRoot, 'bert-ner');
  // A seeded random head over the golden BERT: arbitrary labels, so entities of every shape show up.
  const model = await AutoModelForTokenClassification.fromPretrained(golden('fixtures', 'bert-synth-seqcls'), {
    id2label: Object.fromEntries(labels.map((l, i) => [i, l])), label2id: Object.fromEntries(labels.map((l, i) => [l, i])), seed: 11,
  });
  await model.savePretrained(dir);
  const texts = ['Ana vive en Lima, Perú.', 'Hello world! mr ka sa in bo'];
  const first = lengua('predict', '--model', dir, '--json', ...texts);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stderr, /has no ONNX export; exporting it for token-classification/);
  const groups = JSON.parse(first.stdout) as Array<Array<{ entity_group: string; score: number; start: number; end: number }>>;
  const none = lengua('predict', '--model', dir, '--json', '--aggregation', 'none', ...texts);
  assert.equal(none.status, 0, none.stderr);
  const tokens = JSON.parse(none.stdout) as Array<Array<{ entity: string; start: number; end: number }>>;
  assert.ok(groups.flat().length > 0, 'the random head predicts entities');
  groups.forEach((list, i) => {
    const text = texts[i]!;
    for (const g of list) {
      const span = text.slice(g.start, g.end);
      // A group covers whole words: it neither starts nor ends inside a word, nor with a space.
      assert.ok(span.length > 0 && span.trim() === span, JSON.stringify(span));
      assert.ok(g.start === 0 || !/\w/.test(text[g.start - 1]!) || !/\w/.test(text[g.start]!), `starts inside a word: ${JSON.stringify(span)}`);
      assert.ok(g.end === text.length || !/\w/.test(text[g.end]!) || !/\w/.test(text[g.end - 1]!), `ends inside a word: ${JSON.stringify(span)}`);
      assert.ok(g.score > 0 && g.score <= 1);
      // 'first': the group's first word takes its first token's label, which 'none' lists at the same offset.
      assert.ok(tokens[i]!.some((t) => t.start === g.start && t.entity.slice(2) === g.entity_group), `no token at ${g.start} for ${g.entity_group}`);
    }
  });
  // Lines on stdin: one JSON line per text, the same entities; the text format names each entity's offsets and text.
  const streamed = runCli(['predict', '--model', dir, '--input', '-'], { timeout: 120_000, input: texts.join('\n') + '\n' });
  assert.equal(streamed.status, 0, streamed.stderr);
  assert.doesNotMatch(streamed.stderr, /exporting/, 'the cached export is reused');
  const lines = streamed.stdout.trim().split('\n').map((l) => JSON.parse(l) as { line: number; text: string; entities: unknown[] });
  assert.deepEqual(lines.map((l) => [l.line, l.text, l.entities]), texts.map((t, i) => [i + 1, t, groups[i]]));
  const plain = lengua('predict', '--model', dir, texts[0]!);
  assert.equal(plain.status, 0, plain.stderr);
  const shown = groups[0]!.map((g) => `${g.entity_group} ${g.start}-${g.end} ${JSON.stringify(texts[0]!.slice(g.start, g.end))}`);
  for (const s of shown) assert.ok(plain.stdout.includes(s), `${s} in ${plain.stdout}`);
  const torchEngine = lengua('predict', '--model', dir, '--engine', 'torch', 'x');
  assert.equal(torchEngine.status, 1);
  assert.match(torchEngine.stderr, /a token classifier predicts on ONNX Runtime/);
});

test('predict on an extractive QA model answers questions from --context, --context-file or a SQuAD JSONL --input, as pipeline() does', { skip }, async () => {
  const dir = golden('fixtures', 'bert-synth-qa');
  const context = 'The lamp joins 2.4 GHz networks only. Switch it on and off six times to reset it. The warranty lasts two years.';
  const questions = ['How do I reset the lamp?', 'How long is the warranty?'];
  // The reference: the same training folder through pipeline() (exported once into the same cache).
  const { pipeline } = await import('../infer/index.js');
  const { registerOnnxExporter } = await import('../infer/index.js');
  registerOnnxExporter(async (d, out, { task }) => void (await exportToOnnx(d, out, { task: task as 'question-answering' })));
  const qa = await pipeline('question-answering', dir);
  const want = await Promise.all(questions.map((question) => qa({ question, context }) as Promise<{ answer: string; score: number; start: number; end: number }>));
  await qa.dispose();

  const r = lengua('predict', '--model', dir, '--context', context, '--json', ...questions);
  assert.equal(r.status, 0, r.stderr);
  const got = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { question: string; answer: string; score: number; start: number; end: number });
  assert.equal(got.length, 2);
  got.forEach((g, i) => {
    assert.equal(g.question, questions[i]);
    assert.equal(g.answer, want[i]!.answer);
    assert.equal(g.answer, context.slice(g.start, g.end), 'offsets slice the context to the answer');
    assert.ok(Math.abs(g.score - want[i]!.score) < 1e-6, `${g.score} vs ${want[i]!.score}`);
  });
  const text = lengua('predict', '--model', dir, '--context', context, questions[0]!);
  assert.equal(text.status, 0, text.stderr);
  assert.equal(text.stdout, `${JSON.stringify(want[0]!.answer)}\t${want[0]!.score.toFixed(4)}\t${want[0]!.start}-${want[0]!.end}\t${JSON.stringify(questions[0])}\n`);

  const root = mkdtempSync(join(tmpdir(), 'lengua-predict-qa-'));
  try {
    const { writeFileSync } = await import('node:fs');
    const file = join(root, 'questions.jsonl');
    writeFileSync(file, questions.map((question, i) => JSON.stringify({ id: `q${i}`, question, context })).join('\n') + '\n');
    const viaFile = lengua('predict', '--model', dir, '--input', file);
    assert.equal(viaFile.status, 0, viaFile.stderr);
    assert.deepEqual(viaFile.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { id: string; answer: string }).id), ['q0', 'q1']);
    const ctx = join(root, 'context.txt');
    writeFileSync(ctx, context);
    const viaContextFile = lengua('predict', '--model', dir, '--context-file', ctx, '--json', questions[1]!);
    assert.equal((JSON.parse(viaContextFile.stdout) as { answer: string }).answer, want[1]!.answer);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const noContext = lengua('predict', '--model', dir, questions[0]!);
  assert.equal(noContext.status, 1);
  assert.match(noContext.stderr, /--context/);
  const onClassifier = lengua('predict', '--model', golden('fixtures', 'bert-synth-seqcls'), '--context', 'x', 'a question');
  assert.equal(onClassifier.status, 1);
  assert.match(onClassifier.stderr, /--context applies to question-answering models/);
});
