// BART against an independent float64 restatement of transformers' modeling_bart.py (scripts/seq2seq-references.py,
// Debian's python3-torch; no golden exists for BART): a tiny random model saved in transformers' layout, read
// by the script, gives the same logits, loss and hidden states within 1e-4 and every gradient within
// 1e-6 + 1e-3 max|g|. Then what the reference does not cover: decoding with the cache equals the full
// forward, the saved folder loads back unchanged, and greedy generation through torchSeq2SeqLm (the search
// the CLI uses) follows the model's argmax, stops at EOS and honours forced_bos_token_id.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../torch/index.js';
import { readSafetensors } from '../../hub/safetensors.js';
import { AutoConfig, AutoModel, AutoModelForSeq2SeqLM, taskOfArchitecture } from '../auto.js';
import { logger } from '../logging.js';
import { maxAbsDiff } from '../testing.js';
import { generate, resolveGenerationConfig } from '../../generation/index.js';
import { torchSeq2SeqLm } from '../generation.js';
import type { BartConfig } from './configuration.js';
import { BartForConditionalGeneration, BartModel } from './modeling.js';
import { compareWithReference, perturb, runReference, skipReference, type ReferenceInputs } from './testing.js';

torch.setNumThreads(1);
const tmp = mkdtempSync(join(tmpdir(), 'lengua-bart-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const TINY = {
  vocab_size: 48, d_model: 16, encoder_layers: 2, decoder_layers: 2, encoder_attention_heads: 4, decoder_attention_heads: 2,
  encoder_ffn_dim: 24, decoder_ffn_dim: 20, max_position_embeddings: 32, scale_embedding: true, pad_token_id: 1, bos_token_id: 0,
  eos_token_id: 2, decoder_start_token_id: 2, forced_eos_token_id: 2,
};
// Row 2 is padded (encoder) and has ignored label positions (-100), as a collated batch has.
const INPUTS: ReferenceInputs = {
  input_ids: [[0, 11, 25, 7, 39, 4, 2], [0, 30, 8, 2, 1, 1, 1]],
  attention_mask: [[1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0, 0]],
  labels: [[0, 14, 9, 33, 2], [0, 21, 2, -100, -100]],
};

function tiny(seed: number, extra: Record<string, unknown> = {}): BartForConditionalGeneration {
  const config = AutoConfig.forModel('bart', { ...TINY, ...extra });
  return AutoModelForSeq2SeqLM.fromConfig(config, { seed }) as BartForConditionalGeneration;
}

test('BART: forward within 1e-4 and gradients within 1e-6 + 1e-3 max|g| of the float64 reference, from the saved folder', { skip: skipReference }, async (t) => {
  const model = tiny(1);
  perturb(model, 2);
  const dir = join(tmp, 'reference');
  await model.savePretrained(dir);
  const ref = runReference(dir, INPUTS, tmp);
  assert.deepEqual(ref.get('decoder_input_ids')!.toArray(), [[2, 0, 14, 9, 33], [2, 0, 21, 2, 1]], 'shift_tokens_right(labels): decoder_start first, the last label dropped, -100 → pad');
  const worst = compareWithReference(model, ref, INPUTS);
  t.diagnostic(`bart: max forward diff ${worst.forward}; worst gradient ${worst.gradient}`);
});

test('BART saves in transformers\' layout (model.shared, tied embed_tokens and lm_head left out, final_logits_bias) and loads back unchanged', async () => {
  const model = tiny(3);
  perturb(model, 4);
  const dir = join(tmp, 'roundtrip');
  await model.savePretrained(dir);
  const saved = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(saved.architectures, ['BartForConditionalGeneration']);
  assert.equal(taskOfArchitecture('BartForConditionalGeneration'), 'seq2seq-lm');
  const keys = readSafetensors(join(dir, 'model.safetensors')).tensors;
  for (const k of ['model.shared.weight', 'model.encoder.layers.0.self_attn.k_proj.weight', 'model.encoder.layers.0.self_attn.k_proj.bias', 'model.decoder.layers.1.encoder_attn.out_proj.weight',
    'model.encoder.layernorm_embedding.weight', 'model.decoder.layers.0.encoder_attn_layer_norm.bias', 'model.encoder.layers.1.fc2.weight', 'final_logits_bias']) {
    assert.ok(keys.has(k), k);
  }
  assert.deepEqual(keys.get('model.encoder.embed_positions.weight')!.shape, [32 + 2, 16], 'max_position_embeddings + the offset of 2');
  assert.deepEqual(keys.get('final_logits_bias')!.shape, [1, 48]);
  for (const k of ['lm_head.weight', 'model.encoder.embed_tokens.weight', 'model.decoder.embed_tokens.weight']) assert.ok(!keys.has(k), `${k} is tied to model.shared.weight`);

  const { result: back, messages } = await logger.captureAsync(() => AutoModelForSeq2SeqLM.fromPretrained(dir));
  assert.deepEqual(messages, []);
  assert.ok(back instanceof BartForConditionalGeneration);
  const input = { inputIds: INPUTS.input_ids, attentionMask: INPUTS.attention_mask, labels: INPUTS.labels };
  torch.noGrad(() => {
    model.eval();
    assert.equal(maxAbsDiff(model.forward(input).logits, back.forward(input).logits), 0);
    assert.equal(maxAbsDiff(model.final_logits_bias, back.final_logits_bias), 0);
  });
  // The base model reads the same folder (the LM's `model.` prefix is stripped; the head and the bias are unused, as in transformers).
  const { result: base, messages: baseMessages } = await logger.captureAsync(() => AutoModel.fromPretrained(dir));
  assert.ok(base instanceof BartModel);
  assert.match(baseMessages.join('\n'), /were not used when initializing BartModel: \['final_logits_bias'\]/);
  torch.noGrad(() => {
    const h = (base as BartModel).forward({ inputIds: INPUTS.input_ids.slice(0, 1), decoderInputIds: [[2, 0, 14]] }).lastHiddenState;
    const want = model.forward({ inputIds: INPUTS.input_ids.slice(0, 1), decoderInputIds: [[2, 0, 14]] }).lastHiddenState;
    assert.equal(maxAbsDiff(h, want), 0);
  });
});

test('BART: decoding one token at a time with the key/value cache gives the full forward\'s logits', () => {
  const model = tiny(5);
  perturb(model, 6);
  model.eval();
  torch.noGrad(() => {
    const dec = [[2, 0, 14, 9, 33, 2], [2, 0, 21, 2, 1, 1]];
    const full = model.forward({ inputIds: INPUTS.input_ids, attentionMask: INPUTS.attention_mask, decoderInputIds: dec });
    const enc = model.encode(INPUTS.input_ids, INPUTS.attention_mask);
    let past = null;
    for (let i = 0; i < dec[0]!.length; i++) {
      const step = model.forward({ inputIds: INPUTS.input_ids, attentionMask: INPUTS.attention_mask, encoderOutputs: enc, decoderInputIds: dec.map((r) => [r[i]!]), pastKeyValues: past });
      past = step.pastKeyValues;
      const d = maxAbsDiff(step.logits, full.logits.narrow(1, i, 1));
      assert.ok(d <= 1e-5, `step ${i}: ${d}`);
    }
  });
});

test('BART generation through torchSeq2SeqLm: greedy ids are the full forward\'s argmax, EOS ends a row, forced_bos_token_id is honoured', async () => {
  const model = tiny(7);
  perturb(model, 8);
  model.eval();
  const config = model.config as BartConfig;
  const source = INPUTS.input_ids[0]!;
  const [free] = await generate(torchSeq2SeqLm(model, [source]), [[config.decoderStartTokenId]], resolveGenerationConfig({ maxNewTokens: 6, eosTokenId: 2, padTokenId: 1 }));
  // Each generated token is the argmax of a forward over the whole prefix, without the cache.
  torch.noGrad(() => {
    for (let i = 1; i < free!.sequence.length; i++) {
      const logits = model.forward({ inputIds: [source], decoderInputIds: [free!.sequence.slice(0, i)] }).logits;
      assert.equal(logits.select(1, i - 1).argmax(-1).item(), free!.sequence[i], `token ${i}`);
    }
  });

  // A large final_logits_bias on EOS makes EOS the first choice: the row stops there.
  torch.noGrad(() => void model.final_logits_bias.narrow(1, 2, 1).fill_(50));
  const [stopped] = await generate(torchSeq2SeqLm(model, [source]), [[2]], resolveGenerationConfig({ maxNewTokens: 6, eosTokenId: 2, padTokenId: 1 }));
  assert.deepEqual(stopped!.sequence, [2, 2]);
  assert.equal(stopped!.finishReason, 'eos');

  // forced_bos_token_id (bart-large-cnn forces BOS 0 after the decoder start).
  const forcedConfig = resolveGenerationConfig({ maxNewTokens: 6, eosTokenId: 2, padTokenId: 1, forcedBosTokenId: 0 });
  const [forced] = await generate(torchSeq2SeqLm(model, [source]), [[2]], forcedConfig);
  assert.deepEqual(forced!.sequence, [2, 0, 2]);
});

test('bad BART configs are refused with the field named', () => {
  assert.throws(() => AutoConfig.forModel('bart', { ...TINY, normalize_before: true }), /normalize_before/);
  assert.throws(() => AutoConfig.forModel('bart', { ...TINY, decoder_attention_heads: 5 }), /decoder_attention_heads/);
  assert.throws(() => AutoConfig.forModel('bart', { ...TINY, activation_function: 'swishy' }), /activation_function/);
  assert.throws(() => AutoConfig.forModel('bart', { ...TINY, forced_bos_token_id: 48 }), /forced_bos_token_id/);
  assert.equal((AutoConfig.forModel('bart', { ...TINY, force_bos_token_to_be_generated: true }) as BartConfig).forcedBosTokenId, 0, 'the old flag means BOS');
  const model = tiny(9);
  assert.throws(() => model.forward({ inputIds: [[0, 1]], decoderInputIds: [Array.from({ length: 33 }, () => 5)] }), /max_position_embeddings 32/);
});
