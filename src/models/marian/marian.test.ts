// Marian against the independent float64 restatement of transformers' modeling_marian.py
// (scripts/seq2seq-references.py, Debian's python3-torch; no golden exists for Marian), with shared embeddings
// (every opus-mt model) and with one table per stack and a decoder vocabulary of its own; the sinusoidal table's
// layout; the saved folder in transformers' layout (no position tables) loading back, also from a checkpoint
// that carries them; the cache; greedy generation through torchSeq2SeqLm from the pad start token.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../torch/index.js';
import { readSafetensors } from '../../hub/safetensors.js';
import { saveCheckpoint } from '../../hub/checkpoint.js';
import { AutoConfig, AutoModelForSeq2SeqLM, taskOfArchitecture } from '../auto.js';
import { logger } from '../logging.js';
import { maxAbsDiff } from '../testing.js';
import { generate, resolveGenerationConfig } from '../../generation/index.js';
import { torchSeq2SeqLm } from '../generation.js';
import { compareWithReference, perturb, runReference, skipReference, type ReferenceInputs } from '../bart/testing.js';
import type { MarianConfig } from './configuration.js';
import { marianSinusoidalTable, MarianMTModel } from './modeling.js';

torch.setNumThreads(1);
const tmp = mkdtempSync(join(tmpdir(), 'lengua-marian-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

// opus-mt's choices: scale_embedding true, swish, pad = decoder start = the last id, EOS 0.
const TINY = {
  vocab_size: 40, d_model: 16, encoder_layers: 2, decoder_layers: 2, encoder_attention_heads: 2, decoder_attention_heads: 4,
  encoder_ffn_dim: 20, decoder_ffn_dim: 24, max_position_embeddings: 24, scale_embedding: true, activation_function: 'swish',
  pad_token_id: 39, decoder_start_token_id: 39, eos_token_id: 0, forced_eos_token_id: 0,
};
const INPUTS: ReferenceInputs = {
  input_ids: [[5, 17, 23, 8, 30, 0], [12, 6, 0, 39, 39, 39]],
  attention_mask: [[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0]],
  labels: [[7, 19, 3, 0], [25, 0, -100, -100]],
  decoder_attention_mask: [[1, 1, 1, 1], [1, 1, 1, 0]],
};

function tiny(seed: number, extra: Record<string, unknown> = {}): MarianMTModel {
  return AutoModelForSeq2SeqLM.fromConfig(AutoConfig.forModel('marian', { ...TINY, ...extra }), { seed }) as MarianMTModel;
}

test('the sinusoidal table: sin in the first half, cos of the same angles in the second, position 0 first (no offset)', () => {
  const t = marianSinusoidalTable(3, 4);
  const want = [0, 0, 1, 1, Math.sin(1), Math.sin(1 / 100), Math.cos(1), Math.cos(1 / 100), Math.sin(2), Math.sin(2 / 100), Math.cos(2), Math.cos(2 / 100)];
  want.forEach((w, i) => assert.ok(Math.abs(t[i]! - w) < 1e-7, `${i}: ${t[i]} vs ${w}`));
  const odd = marianSinusoidalTable(2, 5); // ceil(5/2) = 3 sin columns, 2 cos columns
  assert.ok(Math.abs(odd[5 + 2]! - Math.sin(1 / 10000 ** (4 / 5))) < 1e-7);
  assert.ok(Math.abs(odd[5 + 3]! - Math.cos(1)) < 1e-7);
});

const VARIANTS = [
  { name: 'shared embeddings', extra: {}, start: 39, labels: INPUTS.labels },
  { name: 'one table per stack, decoder_vocab_size 36', extra: { share_encoder_decoder_embeddings: false, decoder_vocab_size: 36, pad_token_id: 35, decoder_start_token_id: 35 }, start: 35, labels: [[7, 19, 3, 0], [25, 0, 34, -100]] },
];
for (const [i, variant] of VARIANTS.entries()) {
  test(`Marian (${variant.name}): forward within 1e-4 and gradients within 1e-6 + 1e-3 max|g| of the float64 reference`, { skip: skipReference }, async (t) => {
    const model = tiny(1, variant.extra);
    perturb(model, 2);
    const dir = join(tmp, `reference-${i}`);
    await model.savePretrained(dir);
    const names = [...readSafetensors(join(dir, 'model.safetensors')).tensors.keys()];
    if (i === 1) assert.ok(names.includes('model.decoder.embed_tokens.weight') && !names.includes('model.shared.weight'), 'one table per stack');
    const inputs = { ...INPUTS, labels: variant.labels };
    const ref = runReference(dir, inputs, tmp);
    assert.deepEqual((ref.get('decoder_input_ids')!.toArray() as number[][])[0], [variant.start, 7, 19, 3], 'the decoder starts with decoder_start_token_id (pad)');
    const worst = compareWithReference(model, ref, inputs);
    t.diagnostic(`marian (${variant.name}): max forward diff ${worst.forward}; worst gradient ${worst.gradient}`);
  });
}

test('Marian saves in transformers\' layout without the fixed position tables and loads back unchanged, also from a checkpoint that has them', async () => {
  const model = tiny(3);
  perturb(model, 4);
  const dir = join(tmp, 'roundtrip');
  await model.savePretrained(dir);
  assert.deepEqual((JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { architectures: string[] }).architectures, ['MarianMTModel']);
  assert.equal(taskOfArchitecture('MarianMTModel'), 'seq2seq-lm');
  const file = readSafetensors(join(dir, 'model.safetensors'));
  for (const k of ['model.shared.weight', 'model.encoder.layers.0.self_attn.k_proj.weight', 'model.decoder.layers.1.encoder_attn.q_proj.bias', 'final_logits_bias']) assert.ok(file.tensors.has(k), k);
  for (const k of ['lm_head.weight', 'model.encoder.embed_positions.weight', 'model.decoder.embed_positions.weight', 'model.encoder.layernorm_embedding.weight']) assert.ok(!file.tensors.has(k), k);
  assert.ok(!model.namedParameters().some(([n]) => n.includes('embed_positions')), 'the position tables are not parameters: no optimizer trains them');

  const input = { inputIds: INPUTS.input_ids, attentionMask: INPUTS.attention_mask, labels: INPUTS.labels };
  model.eval();
  const want = torch.noGrad(() => model.forward(input).logits);
  const { result: back, messages } = await logger.captureAsync(() => AutoModelForSeq2SeqLM.fromPretrained(dir));
  assert.deepEqual(messages, []);
  assert.ok(back instanceof MarianMTModel);
  torch.noGrad(() => assert.equal(maxAbsDiff(back.forward(input).logits, want), 0));

  // Checkpoints converted by older transformers carry the tables: they are recomputed, not loaded, and not reported.
  const old = join(tmp, 'old');
  const tensors = new Map(file.tensors);
  const garbage = new Float32Array(24 * 16).fill(7);
  for (const k of ['model.encoder.embed_positions.weight', 'model.decoder.embed_positions.weight']) tensors.set(k, { dtype: 'F32', shape: [24, 16], data: new Uint8Array(garbage.buffer) });
  saveCheckpoint(old, tensors);
  (back.config as MarianConfig).savePretrained(old);
  const { result: fromOld, messages: oldMessages } = await logger.captureAsync(() => AutoModelForSeq2SeqLM.fromPretrained(old));
  assert.deepEqual(oldMessages, []);
  torch.noGrad(() => assert.equal(maxAbsDiff(fromOld.forward(input).logits, want), 0));
});

test('Marian: cached decoding equals the full forward; greedy generation through torchSeq2SeqLm starts from pad and follows the argmax', async () => {
  const model = tiny(5);
  perturb(model, 6);
  model.eval();
  torch.noGrad(() => {
    const dec = [[39, 7, 19, 3, 0], [39, 25, 0, 39, 39]];
    const full = model.forward({ inputIds: INPUTS.input_ids, attentionMask: INPUTS.attention_mask, decoderInputIds: dec });
    const enc = model.encode(INPUTS.input_ids, INPUTS.attention_mask);
    let past = null;
    for (let i = 0; i < dec[0]!.length; i++) {
      const step = model.forward({ inputIds: INPUTS.input_ids, attentionMask: INPUTS.attention_mask, encoderOutputs: enc, decoderInputIds: dec.map((r) => [r[i]!]), pastKeyValues: past });
      past = step.pastKeyValues;
      assert.ok(maxAbsDiff(step.logits, full.logits.narrow(1, i, 1)) <= 1e-5, `step ${i}`);
    }
  });
  const rows = await generate(torchSeq2SeqLm(model, INPUTS.input_ids.map((r, i) => r.filter((_, j) => INPUTS.attention_mask[i]![j] === 1))), [[39], [39]], resolveGenerationConfig({ maxNewTokens: 5, eosTokenId: 0, padTokenId: 39 }));
  torch.noGrad(() => {
    rows.forEach((row, r) => {
      const src = INPUTS.input_ids[r]!.filter((_, j) => INPUTS.attention_mask[r]![j] === 1);
      for (let i = 1; i < row.sequence.length; i++) {
        const logits = model.forward({ inputIds: [src], decoderInputIds: [row.sequence.slice(0, i)] }).logits;
        assert.equal(logits.select(1, i - 1).argmax(-1).item(), row.sequence[i], `row ${r} token ${i}`);
      }
    });
  });
});

test('bad Marian configs are refused with the field named', () => {
  assert.throws(() => AutoConfig.forModel('marian', { ...TINY, share_encoder_decoder_embeddings: false, decoder_vocab_size: 36 }), /decoder_start_token_id/, 'the decoder start must be in the decoder vocabulary');
  assert.throws(() => AutoConfig.forModel('marian', { ...TINY, pad_token_id: null }), /pad_token_id/);
  assert.throws(() => AutoConfig.forModel('marian', { ...TINY, decoder_start_token_id: 40 }), /decoder_start_token_id/);
  assert.throws(() => AutoConfig.forModel('marian', { ...TINY, share_encoder_decoder_embeddings: 'yes' }), /share_encoder_decoder_embeddings/);
  const model = tiny(7);
  assert.throws(() => model.forward({ inputIds: [[5, 6]] }), /decoderInputIds or labels/);
});
