// BART and Marian exported as Optimum's encoder_model.onnx + decoder_model_merged.onnx, from tiny random models Lengua
// builds and saves (no golden exists for either family): exported from the saved folder with --task auto; the
// sessions' inputs and outputs are Optimum's; on ONNX Runtime the encoder output and the decoder logits — without the
// cache and then token by token with it, up to the last row of the position table — agree with libtorch's forward
// within a bound that follows from float32 summation order; greedy, beam, penalised and forced-BOS/EOS
// generation through OnnxSeq2SeqLm and the engine-independent search give exactly libtorch's ids (torchSeq2SeqLm);
// lengths beyond max_position_embeddings are refused by name; OnnxSeq2SeqLm reads BART / Marian config.json with
// transformers' defaults; python3-onnx's checker accepts the files; and
// Transformers.js, loading the folders, greedy-generates the same ids.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import * as torch from '../torch/index.js';
import { AutoConfig, AutoModelForSeq2SeqLM, torchSeq2SeqLm } from '../models/index.js';
import type { BartLikeConfig, BartLikeForConditionalGeneration } from '../models/index.js';
import { perturb } from '../models/bart/testing.js';
import { generate, resolveGenerationConfig, type GenerationOptions } from '../generation/index.js';
import { isSeq2SeqModelType, OnnxSeq2SeqLm, seq2seqShape } from '../infer/generation/onnx-seq2seq.js';
import { LenguaError } from '../errors.js';
import { REPO_ROOT } from '../testing/golden.js';
import { exportToOnnx, type ExportResult } from './index.js';
import { onnxChecker, skipChecker } from './testing.js';

torch.setNumThreads(1);
const root = mkdtempSync(join(tmpdir(), 'lengua-bart-onnx-'));

type Model = BartLikeForConditionalGeneration<BartLikeConfig>;

const BART = {
  vocab_size: 48, d_model: 16, encoder_layers: 2, decoder_layers: 2, encoder_attention_heads: 4, decoder_attention_heads: 2,
  encoder_ffn_dim: 24, decoder_ffn_dim: 20, max_position_embeddings: 32, scale_embedding: true, pad_token_id: 1, bos_token_id: 0,
  eos_token_id: 2, decoder_start_token_id: 2, forced_eos_token_id: 2,
};
// opus-mt's choices: scale_embedding, swish, pad = decoder start = the last id, EOS 0.
const MARIAN = {
  vocab_size: 40, d_model: 16, encoder_layers: 2, decoder_layers: 2, encoder_attention_heads: 2, decoder_attention_heads: 4,
  encoder_ffn_dim: 20, decoder_ffn_dim: 24, max_position_embeddings: 24, scale_embedding: true, activation_function: 'swish',
  pad_token_id: 39, decoder_start_token_id: 39, eos_token_id: 0, forced_eos_token_id: 0,
};

interface Variant {
  name: string;
  type: 'bart' | 'marian';
  config: Record<string, unknown>;
  /** A token generation may be forced to begin with (bart-large-cnn's BOS; a Marian multilingual target's language token). */
  forcedBos: number;
}
const VARIANTS: Variant[] = [
  { name: 'bart', type: 'bart', config: BART, forcedBos: 0 },
  { name: 'bart-untied-unscaled', type: 'bart', config: { ...BART, scale_embedding: false, tie_word_embeddings: false, activation_function: 'relu' }, forcedBos: 0 },
  { name: 'marian', type: 'marian', config: MARIAN, forcedBos: 7 },
  {
    name: 'marian-own-decoder-vocab', type: 'marian',
    config: { ...MARIAN, share_encoder_decoder_embeddings: false, decoder_vocab_size: 36, pad_token_id: 35, decoder_start_token_id: 35 }, forcedBos: 7,
  },
];

interface Built {
  model: Model;
  dir: string;
  out: string;
  result: ExportResult;
  onnx: OnnxSeq2SeqLm;
}
const built = new Map<string, Built>();

before(async () => {
  for (const [i, v] of VARIANTS.entries()) {
    const model = AutoModelForSeq2SeqLM.fromConfig(AutoConfig.forModel(v.type, v.config), { seed: 20 + i }) as Model;
    // LayerNorms, biases and final_logits_bias off their constant initial values, so a graph that skips one differs.
    perturb(model, 40 + i);
    model.eval();
    const dir = join(root, v.name, 'model');
    const out = join(root, v.name, 'onnx');
    await model.savePretrained(dir);
    const result = await exportToOnnx(dir, out, { threads: 1 });
    built.set(v.name, { model, dir, out, result, onnx: await OnnxSeq2SeqLm.load(out, 1) });
  }
});
after(async () => {
  for (const b of built.values()) await b.onnx.release();
  rmSync(root, { recursive: true, force: true });
});

const get = (name: string): Built => built.get(name)!;

/** Deterministic ids in [lo, hi). */
function ids(n: number, lo: number, hi: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return lo + ((s >>> 8) % (hi - lo));
  });
}

for (const v of VARIANTS) {
  test(`${v.name}: exports from the saved folder (--task auto) as encoder_model.onnx + decoder_model_merged.onnx with Optimum's inputs and outputs`, async () => {
    const { result, model, out } = get(v.name);
    assert.equal(result.task, 'text2text-generation');
    assert.equal(result.architecture, v.type === 'bart' ? 'BartForConditionalGeneration' : 'MarianMTModel');
    assert.deepEqual([...result.files].sort(), ['config.json', 'onnx/decoder_model_merged.onnx', 'onnx/encoder_model.onnx']);
    assert.ok(result.validation.maxAbsDiff <= 1e-4, `export validation ${result.validation.maxAbsDiff}`);
    const layers = model.config.decoderLayers;
    const past = Array.from({ length: layers }, (_, i) => ['decoder', 'encoder'].flatMap((p) => ['key', 'value'].map((kv) => `${i}.${p}.${kv}`))).flat();
    const enc = await ort.InferenceSession.create(join(out, 'onnx', 'encoder_model.onnx'));
    const dec = await ort.InferenceSession.create(join(out, 'onnx', 'decoder_model_merged.onnx'));
    try {
      assert.deepEqual(enc.inputNames, ['input_ids', 'attention_mask']);
      assert.deepEqual(enc.outputNames, ['last_hidden_state']);
      assert.deepEqual(dec.inputNames, ['encoder_attention_mask', 'input_ids', 'encoder_hidden_states', ...past.map((p) => `past_key_values.${p}`), 'use_cache_branch']);
      assert.deepEqual(dec.outputNames, ['logits', ...past.map((p) => `present.${p}`)]);
    } finally {
      await enc.release();
      await dec.release();
    }
  });

  test(`${v.name}: ONNX Runtime's encoder output and decoder logits (no cache, then token by token with it, to the last position) equal libtorch's within the float32 bound`, async (t) => {
    const { model, out } = get(v.name);
    const c = model.config;
    const maxPos = c.maxPositionEmbeddings;
    const pad = c.padTokenId!;
    const vocab = c.targetVocabSize;
    // Sources of the full position table, a short one and one between, right-padded; a decoder row as long as the table.
    const lengths = [maxPos, 5, 11];
    const sources = lengths.map((n, r) => ids(n, 3, Math.min(c.vocabSize, vocab), 7 + r));
    const inputIds = sources.map((s) => [...s, ...new Array<number>(maxPos - s.length).fill(pad)]);
    const mask = sources.map((s) => [...s.map(() => 1), ...new Array<number>(maxPos - s.length).fill(0)]);
    const decoderIds = lengths.map((_, r) => [c.decoderStartTokenId, ...ids(maxPos - 1, 3, vocab, 100 + r)]);
    const want = torch.noGrad(() => torch.tidy(() => {
      const o = model.forward({ inputIds, attentionMask: mask, decoderInputIds: decoderIds });
      return { logits: o.logits.toArray() as number[][][], hidden: o.encoderLastHiddenState.toArray() as number[][][] };
    }));
    // Each side sums in its own order: a reduction of K float32 terms is off by at most about K·u relative to the sum of
    // |terms| (u = 2^-24), and about 6 reductions run one after another per layer (q/k/v, scores, probs·v, out_proj,
    // fc1, fc2; LayerNorm renormalises), plus the embedding LayerNorm and the head. Relative to the output's scale.
    const u = 2 ** -24;
    const K = Math.max(c.dModel, c.encoderFfnDim, c.decoderFfnDim, maxPos);
    const reductions = 6 * (c.encoderLayers + c.decoderLayers) + 2;
    const scale = (t: number[][][]): number => Math.max(1, ...t.flat(2).map(Math.abs));
    const tolHidden = reductions * K * u * scale(want.hidden);
    const tolLogits = reductions * K * u * scale(want.logits);

    const t64 = (rows: number[][]): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0]!.length]);
    const enc = await ort.InferenceSession.create(join(out, 'onnx', 'encoder_model.onnx'), { intraOpNumThreads: 1 });
    const dec = await ort.InferenceSession.create(join(out, 'onnx', 'decoder_model_merged.onnx'), { intraOpNumThreads: 1 });
    try {
      const hidden = (await enc.run({ input_ids: t64(inputIds), attention_mask: t64(mask) })).last_hidden_state!;
      assert.deepEqual(hidden.dims, [3, maxPos, c.dModel]);
      const wantHidden = want.hidden.flat(2);
      let encDiff = 0;
      (hidden.data as Float32Array).forEach((x, i) => (encDiff = Math.max(encDiff, Math.abs(x - wantHidden[i]!))));
      assert.ok(encDiff <= tolHidden, `encoder: ${encDiff} > ${tolHidden}`);

      const heads = c.decoderAttentionHeads;
      const empty = new ort.Tensor('float32', new Float32Array(0), [3, heads, 0, c.dModel / heads]);
      let present: Record<string, ort.Tensor> | null = null;
      let worst = 0;
      // The first step brings 3 tokens without a cache (the cache's length then differs from the step count), then one per step.
      for (let from = 0; from < maxPos;) {
        const to = from === 0 ? 3 : from + 1;
        const feeds: Record<string, ort.Tensor> = {
          input_ids: t64(decoderIds.map((r) => r.slice(from, to))), encoder_attention_mask: t64(mask), encoder_hidden_states: hidden,
          use_cache_branch: new ort.Tensor('bool', [present !== null], [1]),
        };
        for (let i = 0; i < c.decoderLayers; i++) {
          for (const name of ['decoder.key', 'decoder.value', 'encoder.key', 'encoder.value']) feeds[`past_key_values.${i}.${name}`] = present?.[`present.${i}.${name}`] ?? empty;
        }
        const r: Record<string, ort.Tensor> = await dec.run(feeds);
        assert.deepEqual(r.logits!.dims, [3, to - from, vocab]);
        assert.deepEqual(r['present.0.decoder.key']!.dims, [3, heads, to, c.dModel / heads]);
        const got = r.logits!.data as Float32Array;
        for (let row = 0; row < 3; row++) {
          for (let t = from; t < to; t++) {
            for (let k = 0; k < vocab; k++) worst = Math.max(worst, Math.abs(got[(row * (to - from) + t - from) * vocab + k]! - want.logits[row]![t]![k]!));
          }
        }
        present = r;
        from = to;
      }
      assert.ok(worst <= tolLogits, `decoder logits: ${worst} > ${tolLogits}`);
      t.diagnostic(`${v.name}: encoder ${encDiff.toExponential(2)} (bound ${tolHidden.toExponential(2)}), logits ${worst.toExponential(2)} (bound ${tolLogits.toExponential(2)})`);
    } finally {
      await enc.release();
      await dec.release();
    }
  });

  test(`${v.name}: greedy, beam, penalised and forced-BOS generation on ONNX Runtime (OnnxSeq2SeqLm) gives libtorch's ids exactly, batched and one by one`, async () => {
    const { model, onnx } = get(v.name);
    const c = model.config;
    const eos = c.eosTokenId!;
    const start = c.decoderStartTokenId;
    const sources = [ids(9, 3, Math.min(c.vocabSize, c.targetVocabSize), 1), ids(4, 3, c.targetVocabSize, 2), ids(14, 3, c.targetVocabSize, 3)];
    const settings: GenerationOptions[] = [
      { maxNewTokens: 12 },
      { maxNewTokens: 10, numBeams: 3, numReturnSequences: 2 },
      { maxNewTokens: 10, numBeams: 4, lengthPenalty: 0.6, earlyStopping: true },
      { maxNewTokens: 12, repetitionPenalty: 1.4, noRepeatNgramSize: 2 },
      { maxNewTokens: 8, forcedBosTokenId: v.forcedBos, forcedEosTokenId: c.forcedEosTokenId },
      // No EOS: the rows run to the last row of the decoder's position table.
      { maxNewTokens: c.maxPositionEmbeddings - 1, eosTokenId: null },
    ];
    let generated = 0;
    for (const s of settings) {
      const config = resolveGenerationConfig({ eosTokenId: eos, padTokenId: c.padTokenId, ...s });
      const prompts = sources.map(() => [start]);
      const want = await generate(torchSeq2SeqLm(model, sources), prompts, config);
      const got = await generate(onnx.forSources(sources), prompts, config);
      assert.deepEqual(got.map((g) => g.sequence), want.map((g) => g.sequence), JSON.stringify(s));
      assert.deepEqual(got.map((g) => g.finishReason), want.map((g) => g.finishReason), JSON.stringify(s));
      const per = got.length / sources.length;
      for (const [i, source] of sources.entries()) {
        const alone = await generate(onnx.forSources([source]), [[start]], config);
        assert.deepEqual(alone.map((g) => g.sequence), got.slice(i * per, (i + 1) * per).map((g) => g.sequence), `${JSON.stringify(s)}, source ${i} alone`);
      }
      if (s.forcedBosTokenId !== undefined) for (const g of got) assert.equal(g.sequence[1], v.forcedBos, 'the forced first token');
      generated += got.reduce((n, g) => n + g.generated.length, 0);
    }
    // Not a run of immediate EOS: the comparison covered many decoding steps.
    assert.ok(generated > 100, `${generated} tokens generated`);
  });

  test(`${v.name}: lengths beyond max_position_embeddings are refused by name before ONNX Runtime runs`, async () => {
    const { model, onnx } = get(v.name);
    const c = model.config;
    const max = c.maxPositionEmbeddings;
    assert.equal(onnx.shape.maxPositions, max);
    assert.equal(onnx.shape.vocabSize, c.targetVocabSize);
    assert.throws(() => onnx.forSources([[5, 6], new Array<number>(max + 1).fill(5)]), (e: unknown) => e instanceof LenguaError && e.message.includes(`source 1 has ${max + 1} tokens`) && /max_position_embeddings/.test(e.message));
    await assert.rejects(
      generate(onnx.forSources([[5, 6]]), [[c.decoderStartTokenId]], resolveGenerationConfig({ maxNewTokens: max, eosTokenId: null, padTokenId: c.padTokenId })),
      (e: unknown) => e instanceof LenguaError && new RegExp(`${max} positions`).test(e.message),
    );
  });
}

test('feature-extraction of a BART or Marian LM is refused with the task it exports as', async () => {
  await assert.rejects(exportToOnnx(get('bart').model, join(root, 'refused'), { task: 'feature-extraction' }), /BartForConditionalGeneration exports as text2text-generation/);
  await assert.rejects(exportToOnnx(get('marian').dir, join(root, 'refused'), { task: 'feature-extraction' }), /MarianMTModel exports as text2text-generation/);
});

test("OnnxSeq2SeqLm's shapes from BART / Marian config.json: transformers' defaults for absent keys, Marian's decoder vocabulary, bad sizes refused by name", () => {
  assert.deepEqual(seq2seqShape({ model_type: 'bart' }, 'config.json'), {
    numDecoderLayers: 12, numHeads: 16, headDim: 64, dModel: 1024, vocabSize: 50265, decoderStartTokenId: 2, padTokenId: 1, maxPositions: 1024,
  });
  assert.deepEqual(seq2seqShape({ model_type: 'marian', d_model: 512, decoder_attention_heads: 8, decoder_layers: 6 }, 'config.json'), {
    numDecoderLayers: 6, numHeads: 8, headDim: 64, dModel: 512, vocabSize: 58101, decoderStartTokenId: 58100, padTokenId: 58100, maxPositions: 1024,
  });
  // decoder_vocab_size counts only when the stacks do not share their table (transformers' MarianMTModel).
  assert.equal(seq2seqShape({ model_type: 'marian', vocab_size: 40, decoder_vocab_size: 36 }, 'c').vocabSize, 40);
  assert.equal(seq2seqShape({ model_type: 'marian', vocab_size: 40, decoder_vocab_size: 36, share_encoder_decoder_embeddings: false }, 'c').vocabSize, 36);
  assert.throws(() => seq2seqShape({ model_type: 'bart', d_model: 10, decoder_attention_heads: 4 }, 'c'), (e: unknown) => e instanceof LenguaError && /decoder_attention_heads/.test(e.message));
  assert.throws(() => seq2seqShape({ model_type: 'mbart' }, 'c'), (e: unknown) => e instanceof LenguaError && /t5, bart, marian/.test(e.message) && /"mbart"/.test(e.message));
  assert.deepEqual(['t5', 'bart', 'marian', 'gpt2', undefined].map(isSeq2SeqModelType), [true, true, true, false, false]);
});

test('python3-onnx onnx.checker (full_check) accepts every BART and Marian file', { skip: skipChecker }, (t) => {
  const files = VARIANTS.flatMap((v) => ['encoder_model.onnx', 'decoder_model_merged.onnx'].map((f) => join(get(v.name).out, 'onnx', f)));
  const r = onnxChecker(files);
  assert.equal(r.checked, files.length);
  assert.deepEqual(r.bad, {});
  t.diagnostic(`onnx ${r.version} checked ${r.checked} files`);
});

// Transformers.js runs in a child process: it brings its own onnxruntime-node build, which must not share a process with ours.
const tjsMissing = existsSync(join(REPO_ROOT, 'node_modules', '@huggingface', 'transformers', 'package.json')) ? false : '@huggingface/transformers is not installed (npm ci installs the dev dependencies)';
const TJS = `
import { AutoModelForSeq2SeqLM, env, Tensor } from '@huggingface/transformers';
const [root, id, sourcesJson, maxLength] = process.argv.slice(1);
env.allowRemoteModels = false;
env.localModelPath = root + '/';
const model = await AutoModelForSeq2SeqLM.from_pretrained(id, { dtype: 'fp32', session_options: { intraOpNumThreads: 1, interOpNumThreads: 1 } });
const out = [];
for (const s of JSON.parse(sourcesJson)) {
  const dims = [1, s.length];
  const r = await model.generate({ input_ids: new Tensor('int64', BigInt64Array.from(s.map(BigInt)), dims), attention_mask: new Tensor('int64', new BigInt64Array(s.length).fill(1n), dims), max_length: Number(maxLength), do_sample: false });
  out.push(r.tolist()[0].map(Number));
}
await model.dispose();
console.log(JSON.stringify(out));
`;

test('Transformers.js loads the BART and Marian exports and greedy-generates the ids of OnnxSeq2SeqLm and of libtorch', { skip: tjsMissing }, async (t) => {
  for (const v of VARIANTS) {
    const { model, out, onnx } = get(v.name);
    const c = model.config;
    const sources = [ids(9, 3, Math.min(c.vocabSize, c.targetVocabSize), 1), ids(4, 3, c.targetVocabSize, 2)];
    // Transformers.js reads decoder_start_token_id, eos_token_id and forced_eos_token_id from config.json: the same options here.
    const maxLength = 16;
    const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', TJS, dirname(out), basename(out), JSON.stringify(sources), String(maxLength)], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
    const theirs = JSON.parse(stdout.trim().split('\n').at(-1)!) as number[][];
    const config = resolveGenerationConfig({ maxLength, eosTokenId: c.eosTokenId, padTokenId: c.padTokenId, forcedEosTokenId: c.forcedEosTokenId });
    for (const [i, source] of sources.entries()) {
      const [ours] = await generate(onnx.forSources([source]), [[c.decoderStartTokenId]], config);
      const [torchIds] = await generate(torchSeq2SeqLm(model, [source]), [[c.decoderStartTokenId]], config);
      assert.deepEqual(theirs[i], ours!.sequence, `${v.name}, source ${i}`);
      assert.deepEqual(theirs[i], torchIds!.sequence, `${v.name}, source ${i}: libtorch`);
    }
    t.diagnostic(`${v.name}: ${theirs.map((r) => r.length).join(' and ')} ids`);
  }
});
