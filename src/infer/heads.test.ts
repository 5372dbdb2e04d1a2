// token-classification and fill-mask pipelines against libtorch and Transformers.js, on models made from
// the golden fixtures' bodies with new heads (saved, exported with exportToOnnx, reloaded on both sides):
// the heads are random, the comparison is not — same folder, same ids, scores ≤ 1e-4.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env, pipeline as tjsPipeline } from '@huggingface/transformers';
import * as torch from '../torch/index.js';
import { AutoModelForMaskedLM, AutoModelForTokenClassification, logger } from '../models/index.js';
import { AutoTokenizer } from '../text/index.js';
import { exportToOnnx } from '../export/index.js';
import { golden, skipWithoutGolden as skip } from '../testing/golden.js';
import { pipeline, type TokenEntity } from './index.js';

torch.setNumThreads(1);
// Float32 outputs O(1); ORT and libtorch differ by reordered sums (≈1e-6); softmax does not enlarge it.
const TOL = 1e-4;
const FAMILIES = ['bert-synth-seqcls', 'roberta-synth-seqcls', 'distilbert-synth-seqcls'];
const NER = { 0: 'O', 1: 'B-PER', 2: 'I-PER', 3: 'B-ORG', 4: 'I-ORG' };
const TEXTS = ['Hugging Face is in New York', 'Ana vive en Málaga 😍', 'x'];
const root = mkdtempSync(join(tmpdir(), 'lengua-heads-'));
after(() => rmSync(root, { recursive: true, force: true }));
const folders = new Map<string, { src: string; onnx: string }>();

before(async () => {
  if (skip !== false) return;
  for (const name of FAMILIES) {
    const tok = await AutoTokenizer.fromPretrained(golden('fixtures', name));
    for (const head of ['ner', 'mlm'] as const) {
      const src = join(root, `${name}-${head}`);
      const { result: model } = await logger.captureAsync(
        (): Promise<{ savePretrained(dir: string): Promise<void> | void }> =>
          head === 'ner' ? AutoModelForTokenClassification.fromPretrained(golden('fixtures', name), { numLabels: 5, id2label: NER }) : AutoModelForMaskedLM.fromPretrained(golden('fixtures', name)),
      );
      await model.savePretrained(src);
      tok.savePretrained(src);
      const onnx = join(root, `onnx-${name}-${head}`);
      await exportToOnnx(src, onnx, { threads: 1 });
      folders.set(`${name}-${head}`, { src, onnx });
    }
  }
  env.allowRemoteModels = false;
  env.localModelPath = root;
});

/** libtorch logits [tokens][width] of one unpadded text. */
async function torchLogits(kind: 'ner' | 'mlm', dir: string, ids: number[], mask: number[], types: number[]): Promise<number[][]> {
  const { result: model } = await logger.captureAsync(async () => (kind === 'ner' ? AutoModelForTokenClassification.fromPretrained(dir) : AutoModelForMaskedLM.fromPretrained(dir)) as Promise<Awaited<ReturnType<typeof AutoModelForMaskedLM.fromPretrained>>>);
  model.eval();
  return torch.noGrad(() => torch.tidy(() => model.forward({ inputIds: [ids], attentionMask: [mask], tokenTypeIds: model.acceptsTokenTypeIds ? [types] : null }).logits.softmax(-1).toArray() as number[][][]))[0]!;
}

test('token-classification (none): each token\'s label and score equal libtorch\'s; offsets point into the original text', { skip }, async () => {
  for (const name of FAMILIES) {
    const { src, onnx } = folders.get(`${name}-ner`)!;
    const tok = await AutoTokenizer.fromPretrained(src);
    const ner = await pipeline('token-classification', onnx, { numThreads: 1, batchSize: 2 });
    try {
      const got = (await ner(TEXTS, { ignoreLabels: [] })) as TokenEntity[][];
      for (const [i, text] of TEXTS.entries()) {
        const e = tok.encode(text);
        const probs = await torchLogits('ner', src, e.ids, e.attentionMask, e.tokenTypeIds);
        const real = e.ids.map((_, k) => k).filter((k) => e.specialTokensMask[k] !== 1);
        assert.deepEqual(got[i]!.map((x) => x.index), real, `${name}: one entry per real token`);
        for (const x of got[i]!) {
          const p = probs[x.index]!;
          const best = p.indexOf(Math.max(...p));
          assert.ok(Math.abs(x.score - p[best]!) <= TOL, `${name} ${text} token ${x.index}`);
          if (Math.abs(p[best]! - [...p].sort((a, b) => b - a)[1]!) > TOL) assert.equal(x.entity, NER[best as keyof typeof NER]);
          assert.deepEqual([x.start, x.end], e.offsets[x.index]);
          assert.ok(x.end <= text.length && text.slice(x.start, x.end).length === x.end - x.start);
        }
      }
      // Grouped entities span whole words of the original text, in order, without overlap.
      for (const strategy of ['simple', 'first', 'average', 'max'] as const) {
        const groups = await ner(TEXTS[0]!, { aggregationStrategy: strategy, ignoreLabels: [] });
        let last = 0;
        for (const g of groups) {
          assert.ok('entity_group' in g && g.start >= last && g.end > g.start, `${name} ${strategy}`);
          last = g.end;
        }
      }
    } finally {
      await ner.dispose();
    }
  }
});

test('Transformers.js gives the same token labels and scores on the exported token-classification folders', { skip }, async () => {
  for (const name of FAMILIES) {
    const { onnx } = folders.get(`${name}-ner`)!;
    const theirs = await tjsPipeline('token-classification', onnx.split('/').pop()!, { dtype: 'fp32', session_options: { intraOpNumThreads: 1 } });
    const ours = await pipeline('token-classification', onnx, { numThreads: 1 });
    try {
      for (const text of TEXTS) {
        const a = (await theirs(text, { ignore_labels: [] })) as unknown as Array<{ entity: string; score: number; index: number; word: string }>;
        const all = (await ours(text, { ignoreLabels: [] })) as TokenEntity[];
        // Transformers.js skips every special id, [UNK] included; transformers (and Lengua) keep an unknown
        // token as a word of the text (its surface as the word). Those are the only extra entries.
        const theirIndex = new Set(a.map((x) => x.index));
        const tok = await AutoTokenizer.fromPretrained(onnx);
        const enc = tok.encode(text);
        for (const x of all) if (!theirIndex.has(x.index)) assert.equal(enc.ids[x.index], tok.unkTokenId, `${name} ${text}: only [UNK] differs`);
        const b = all.filter((x) => theirIndex.has(x.index));
        assert.deepEqual(a.map((x) => x.index), b.map((x) => x.index), `${name} ${text}`);
        // The word: transformers' raw token ("ĠNew"), where Transformers.js decodes it (" New").
        b.forEach((x, k) => {
          assert.equal(x.word, enc.tokens[x.index]);
          assert.equal(a[k]!.word, tok.decode([enc.ids[x.index]!]));
        });
        a.forEach((x, k) => {
          assert.ok(Math.abs(x.score - b[k]!.score) <= TOL, `${name} ${text} ${x.word}`);
          assert.equal(x.entity, b[k]!.entity, `${name} ${text} ${x.word}`);
        });
      }
    } finally {
      await theirs.dispose();
      await ours.dispose();
    }
  }
});

test('fill-mask: the top tokens and scores equal libtorch\'s, and Transformers.js gives the same', { skip }, async () => {
  for (const name of FAMILIES) {
    const { src, onnx } = folders.get(`${name}-mlm`)!;
    const tok = await AutoTokenizer.fromPretrained(src);
    const text = `Hello ${tok.specialTokens.maskToken} world.`;
    const e = tok.encode(text);
    const pos = e.ids.indexOf(tok.maskTokenId!);
    const probs = (await torchLogits('mlm', src, e.ids, e.attentionMask, e.tokenTypeIds))[pos]!;
    const want = probs.map((p, id) => ({ p, id })).sort((a, b) => b.p - a.p).slice(0, 5);
    const fill = await pipeline('fill-mask', onnx, { numThreads: 1 });
    const theirs = await tjsPipeline('fill-mask', onnx.split('/').pop()!, { dtype: 'fp32', session_options: { intraOpNumThreads: 1 } });
    try {
      const got = (await fill(text)) as Array<{ score: number; token: number; token_str: string; sequence: string }>;
      assert.equal(got.length, 5);
      got.forEach((g, k) => {
        assert.ok(Math.abs(g.score - want[k]!.p) <= TOL, `${name} rank ${k}`);
        assert.ok(g.token === want[k]!.id || Math.abs(want[k]!.p - probs[g.token]!) <= TOL, `${name} rank ${k} token`);
        assert.equal(g.token_str, tok.decode([g.token]));
      });
      const a = (await theirs(text, { top_k: 5 })) as unknown as Array<{ score: number; token: number; sequence: string }>;
      a.forEach((x, k) => assert.ok(x.token === got[k]!.token && Math.abs(x.score - got[k]!.score) <= TOL, `${name} Transformers.js rank ${k}`));
      // targets restrict the candidates and keep the full softmax's scores.
      const target = tok.decode([want[3]!.id]).trim();
      const t = (await fill(text, { targets: [target] })) as Array<{ score: number; token: number }>;
      assert.equal(t.length, 1);
      assert.ok(Math.abs(t[0]!.score - probs[t[0]!.token]!) <= TOL);
      await assert.rejects(fill('no mask here'), /no mask token/);
    } finally {
      await fill.dispose();
      await theirs.dispose();
    }
  }
});
