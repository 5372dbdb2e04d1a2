// pipeline() on ONNX Runtime against the two references a user trusts: Lengua's libtorch model on the same
// texts (scores, hidden states ≤ 1e-4) and Transformers.js loading the same exported folder (same labels,
// scores ≤ 1e-4). Every golden encoder fixture; batches of mixed lengths cut into micro-batches.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { env, pipeline as tjsPipeline } from '@huggingface/transformers';
import * as torch from '../torch/index.js';
import { AutoModel, AutoModelForSequenceClassification, logger } from '../models/index.js';
import { AutoTokenizer } from '../text/index.js';
import { exportToOnnx } from '../export/index.js';
import { golden, skipWithoutGolden as skip } from '../testing/golden.js';
import { pipeline } from './index.js';

torch.setNumThreads(1);
// Float32 models whose outputs are O(1): ORT and libtorch sum in other orders (≈1e-6 apart, as the export
// measured); 1e-4 is Optimum's tolerance, and softmax/normalization do not enlarge an absolute difference.
const TOL = 1e-4;
const SEQCLS = ['bert-synth-seqcls', 'bert-tiny-seqcls', 'distilbert-synth-seqcls', 'roberta-synth-seqcls'];
const BASE = ['bert-synth-seqcls', 'distilbert-synth-seqcls', 'roberta-synth-seqcls'];
// Mixed lengths, so that length sorting and per-micro-batch padding matter; accents, emoji, a pair-free text.
const TEXTS = [
  'Hello world!',
  'The quick brown fox jumps over the lazy dog.',
  'Hi.',
  'I love it 😍 #great',
  'meh',
  "Don't stop — naïve café, señor!",
  'Short one',
];

const root = mkdtempSync(join(tmpdir(), 'lengua-infer-'));
after(() => rmSync(root, { recursive: true, force: true }));
const classify = new Map<string, string>();
const extract = new Map<string, string>();

before(async () => {
  if (skip !== false) return;
  for (const name of SEQCLS) {
    const out = join(root, `${name}-cls`);
    await exportToOnnx(golden('fixtures', name), out, { threads: 1 });
    classify.set(name, out);
  }
  for (const name of BASE) {
    const out = join(root, `${name}-fe`);
    await exportToOnnx(golden('fixtures', name), out, { threads: 1, task: 'feature-extraction' });
    extract.set(name, out);
  }
  env.allowRemoteModels = false;
  env.localModelPath = root;
});

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** libtorch, one text at a time (no padding at all): softmax over the logits. */
async function torchScores(name: string, texts: string[]): Promise<number[][]> {
  const dir = golden('fixtures', name);
  const tok = await AutoTokenizer.fromPretrained(dir);
  const { result: model } = await logger.captureAsync(() => AutoModelForSequenceClassification.fromPretrained(dir));
  model.eval();
  const maxLength = Math.min(tok.modelMaxLength, model.maxInputTokens);
  return texts.map((t) => {
    const e = tok.encode(t, { truncation: true, maxLength });
    return torch.noGrad(() => torch.tidy(() => model.forward({ inputIds: [e.ids], attentionMask: [e.attentionMask], tokenTypeIds: model.acceptsTokenTypeIds ? [e.tokenTypeIds] : null }).logits.softmax(-1).toArray() as number[][]))[0]!;
  });
}

test('text-classification equals the libtorch model on every fixture, in input order, whatever the micro-batch size', { skip }, async () => {
  // Past bert-synth's 64 positions (77 tokens of its small vocabulary), and past every fixture's:
  // truncated like the libtorch path. (Transformers.js truncates to model_max_length only, and fails on the first.)
  const texts = [...TEXTS, 'The quick brown fox jumps over the lazy dog, again and again, until the dog finally gets up.', 'word '.repeat(700)];
  for (const name of SEQCLS) {
    const want = await torchScores(name, texts);
    const labels = (await AutoModelForSequenceClassification.fromPretrained(golden('fixtures', name)).catch(() => null))?.config.id2label;
    for (const batchSize of [1, 3, 32]) {
      const classifier = await pipeline('text-classification', classify.get(name)!, { numThreads: 1, batchSize });
      try {
        const got = await classifier(texts, { topK: null });
        assert.equal(got.length, texts.length);
        got.forEach((preds, i) => {
          assert.equal(preds.length, want[i]!.length);
          for (let j = 1; j < preds.length; j++) assert.ok(preds[j - 1]!.score >= preds[j]!.score, 'best first');
          for (const p of preds) {
            const k = Object.values(labels ?? {}).indexOf(p.label) >= 0 ? Object.values(labels!).indexOf(p.label) : Number(p.label.replace('LABEL_', ''));
            assert.ok(Math.abs(p.score - want[i]![k]!) <= TOL, `${name} batch ${batchSize} text ${i} ${p.label}: ${p.score} vs ${want[i]![k]}`);
          }
        });
        // The default is the best label only; a single text gives one list.
        const top = await classifier(texts[0]!);
        assert.equal(top.length, 1);
        assert.equal(top[0]!.label, got[0]![0]!.label);
      } finally {
        await classifier.dispose();
      }
    }
  }
});

test('text-classification: functionToApply none gives the logits and sigmoid their sigmoid; bad options are refused', { skip }, async () => {
  const name = 'bert-synth-seqcls';
  const dir = golden('fixtures', name);
  const tok = await AutoTokenizer.fromPretrained(dir);
  const { result: model } = await logger.captureAsync(() => AutoModelForSequenceClassification.fromPretrained(dir));
  model.eval();
  const e = tok.encode('Hello world!');
  const logits = torch.noGrad(() => model.forward({ inputIds: [e.ids], attentionMask: [e.attentionMask], tokenTypeIds: [e.tokenTypeIds] }).logits.toArray() as number[][])[0]!;
  const classifier = await pipeline('text-classification', classify.get(name)!, { numThreads: 1 });
  try {
    const none = await classifier('Hello world!', { topK: null, functionToApply: 'none' });
    const sig = await classifier('Hello world!', { topK: null, functionToApply: 'sigmoid' });
    const idx = (l: string): number => ['negative', 'neutral', 'positive'].indexOf(l);
    for (const p of none) assert.ok(Math.abs(p.score - logits[idx(p.label)]!) <= TOL, `${p.label} logit`);
    for (const p of sig) assert.ok(Math.abs(p.score - 1 / (1 + Math.exp(-logits[idx(p.label)]!))) <= TOL, `${p.label} sigmoid`);
    await assert.rejects(classifier('x', { functionToApply: 'relu' as 'none' }), /functionToApply/);
    await assert.rejects(classifier('x', { topK: 0 }), /topK/);
  } finally {
    await classifier.dispose();
  }
});

test('feature-extraction equals the libtorch base model: every token, mean and CLS pooling, normalized', { skip }, async () => {
  for (const name of BASE) {
    const dir = golden('fixtures', name);
    const tok = await AutoTokenizer.fromPretrained(dir);
    const { result: model } = await logger.captureAsync(() => AutoModel.fromPretrained(dir));
    model.eval();
    const extractor = await pipeline('feature-extraction', extract.get(name)!, { numThreads: 1, batchSize: 3 });
    try {
      const tokens = await extractor(TEXTS);
      const mean = await extractor(TEXTS, { pooling: 'mean' });
      const cls = await extractor(TEXTS, { pooling: 'cls', normalize: true });
      TEXTS.forEach((t, i) => {
        const e = tok.encode(t, { truncation: true, maxLength: Math.min(tok.modelMaxLength, model.maxInputTokens) });
        const h = torch.noGrad(() => torch.tidy(() => (model.forward({ inputIds: [e.ids], attentionMask: [e.attentionMask], tokenTypeIds: model.acceptsTokenTypeIds ? [e.tokenTypeIds] : null }) as { lastHiddenState: torch.Tensor }).lastHiddenState.toArray() as number[][][]))[0]!;
        assert.equal(tokens[i]!.length, e.ids.length, 'one vector per token, no padding');
        assert.ok(maxDiff(tokens[i]!.flat(), h.flat()) <= TOL, `${name} text ${i} tokens`);
        const m = h[0]!.map((_, k) => h.reduce((s, row) => s + row[k]!, 0) / h.length);
        assert.ok(maxDiff(mean[i]!, m) <= TOL, `${name} text ${i} mean`);
        const norm = Math.hypot(...h[0]!);
        assert.ok(maxDiff(cls[i]!, h[0]!.map((x) => x / norm)) <= TOL, `${name} text ${i} cls normalized`);
        assert.ok(Math.abs(Math.hypot(...cls[i]!) - 1) < 1e-9);
      });
    } finally {
      await extractor.dispose();
    }
  }
});

test('Transformers.js loads the exported folders and gives the same labels and scores (text-classification)', { skip }, async () => {
  for (const name of SEQCLS) {
    const folder = classify.get(name)!;
    const theirs = await tjsPipeline('text-classification', basename(folder), { dtype: 'fp32', session_options: { intraOpNumThreads: 1 } });
    const ours = await pipeline('text-classification', folder, { numThreads: 1, batchSize: 2 });
    try {
      const a = (await theirs(TEXTS, { top_k: null })) as unknown as Array<Array<{ label: string; score: number }>>;
      const b = await ours(TEXTS, { topK: null });
      assert.equal(a.length, b.length);
      a.forEach((row, i) => {
        assert.deepEqual(row.map((p) => p.label), b[i]!.map((p) => p.label), `${name} text ${i}: label order`);
        row.forEach((p, j) => assert.ok(Math.abs(p.score - b[i]![j]!.score) <= TOL, `${name} text ${i} ${p.label}: ${p.score} vs ${b[i]![j]!.score}`));
      });
    } finally {
      await theirs.dispose();
      await ours.dispose();
    }
  }
});

test('Transformers.js loads the exported base models and gives the same embeddings (feature-extraction, mean and CLS, normalized)', { skip }, async () => {
  for (const name of BASE) {
    const folder = extract.get(name)!;
    const theirs = await tjsPipeline('feature-extraction', basename(folder), { dtype: 'fp32', session_options: { intraOpNumThreads: 1 } });
    const ours = await pipeline('feature-extraction', folder, { numThreads: 1 });
    try {
      for (const pooling of ['mean', 'cls'] as const) {
        const a = (await theirs(TEXTS, { pooling, normalize: true })).tolist() as number[][];
        const b = await ours(TEXTS, { pooling, normalize: true });
        a.forEach((v, i) => assert.ok(maxDiff(v, b[i]!) <= TOL, `${name} ${pooling} text ${i}`));
      }
      // No pooling: Transformers.js pads to the longest text; the real tokens agree.
      const a = (await theirs(TEXTS)).tolist() as number[][][];
      const b = await ours(TEXTS);
      b.forEach((rows, i) => assert.ok(maxDiff(a[i]!.slice(0, rows.length).flat(), rows.flat()) <= TOL, `${name} tokens text ${i}`));
    } finally {
      await theirs.dispose();
      await ours.dispose();
    }
  }
});
