// `lengua predict` as a real process on the golden fixtures: labels from config.id2label, softmax
// scores equal to the golden logits of the same text (tokenizer + model end to end).
import { test } from 'node:test';
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
