// T5 against the t5-synth-seq2seq golden (../shared/golden/models, README-part2.md): every forward tensor
// (hidden states, attentions, cross-attentions, position biases, bucket ids, logits, loss) within 1e-4, every
// gradient within 1e-6 + 1e-3 max|golden|; then what the golden does not cover: decoding with the key/value
// cache gives the full forward's logits, and the T5 v1.1 variant (gated-GELU, untied head) saves in
// transformers' layout and loads back.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../torch/index.js';
import type { Tensor } from '../../torch/index.js';
import { AutoConfig, AutoModelForSeq2SeqLM, modelFromPretrained, taskOfArchitecture } from '../auto.js';
import { logger } from '../logging.js';
import { goldenRoot, maxAbs, maxAbsDiff, readTensors } from '../testing.js';
import { relativePositionBuckets, shiftRight, T5ForConditionalGeneration, type BlockCache } from './modeling.js';

torch.setNumThreads(1);
const root = goldenRoot();
const skip = root === null ? 'no ../shared/golden' : false;
const FWD_TOL = 1e-4;
const tmp = mkdtempSync(join(tmpdir(), 'lengua-t5-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function fixture(): Promise<T5ForConditionalGeneration> {
  const { result, messages } = await logger.captureAsync(() => modelFromPretrained('seq2seq-lm', join(root!, 'fixtures', 't5-synth-seq2seq')));
  // shared.weight is the only embedding tensor in the file; the tied aliases are not reported missing.
  assert.deepEqual(messages, []);
  return result as T5ForConditionalGeneration;
}

test('golden t5-synth-seq2seq: forward within 1e-4, gradients within 1e-6 + 1e-3 max|g|', { skip }, async (t) => {
  const dir = join(root!, 'models', 't5-synth-seq2seq');
  const g = readTensors(join(dir, 'golden.safetensors'));
  const grads = readTensors(join(dir, 'grads.safetensors'));
  const model = await fixture();
  assert.equal(taskOfArchitecture(model.config.architectures?.[0]), 'seq2seq-lm');
  assert.deepEqual(shiftRight(g.get('inputs.labels')!, 0, 0).toArray(), g.get('inputs.decoder_input_ids')!.toArray(), 'shift_right(labels)');

  // Decoder inputs from the labels (as transformers builds them): the golden passed the same ids explicitly.
  const out = model.forward({ inputIds: g.get('inputs.input_ids')!, attentionMask: g.get('inputs.attention_mask')!, labels: g.get('inputs.labels')!, outputHiddenStates: true, outputAttentions: true });
  const enc0 = model.encoder.block.items[0]!.layer.items[0] as unknown as { SelfAttention: { computeBias(q: number, k: number): Tensor } };
  const dec0 = model.decoder.block.items[0]!.layer.items[0] as unknown as { SelfAttention: { computeBias(q: number, k: number): Tensor } };
  const ours = (name: string): Tensor => {
    const m = /^(encoder|decoder)_(hidden_states|attentions)\.(\d+)$/.exec(name);
    if (m) {
      const list = m[1] === 'encoder' ? (m[2] === 'hidden_states' ? out.encoderHiddenStates : out.encoderAttentions) : m[2] === 'hidden_states' ? out.decoderHiddenStates : out.decoderAttentions;
      return list![Number(m[3])]!;
    }
    const c = /^cross_attentions\.(\d+)$/.exec(name);
    if (c) return out.crossAttentions![Number(c[1])]!;
    switch (name) {
      case 'logits': return out.logits;
      case 'loss': return out.loss!.reshape([1]);
      case 'last_hidden_state': return out.lastHiddenState;
      case 'encoder_last_hidden_state': return out.encoderLastHiddenState;
      case 'encoder_position_bias': return enc0.SelfAttention.computeBias(18, 18);
      case 'decoder_position_bias': return dec0.SelfAttention.computeBias(12, 12);
      case 'encoder_relative_position_bucket': return torch.tensor(relativePositionBuckets(18, 18, true, 8, 128), { dtype: 'int64' });
      case 'decoder_relative_position_bucket': return torch.tensor(relativePositionBuckets(12, 12, false, 8, 128), { dtype: 'int64' });
      default: throw new Error(`no output named ${name}`);
    }
  };
  let worst = 0;
  let worstName = '';
  for (const [name, want] of g) {
    if (name.startsWith('inputs.')) continue;
    const got = ours(name);
    assert.deepEqual(got.shape, want.shape, `${name} shape`);
    if (name.endsWith('_bucket')) {
      assert.deepEqual(got.toArray(), want.toArray(), `${name}: bucket ids`);
      continue;
    }
    const d = maxAbsDiff(got, want);
    assert.ok(d <= FWD_TOL, `${name}: max diff ${d}`);
    if (d > worst) [worst, worstName] = [d, name];
  }

  out.loss!.backward();
  const params = model.namedParameters();
  assert.deepEqual(params.map(([n]) => n).sort(), [...grads.keys()].sort(), 'parameter names = golden gradient names');
  let worstRatio = 0;
  let worstGrad = '';
  for (const [name, p] of params) {
    const want = grads.get(name)!;
    const tol = 1e-6 + 1e-3 * maxAbs(want);
    const d = maxAbsDiff(p.grad!, want);
    assert.ok(d <= tol, `grad ${name}: max diff ${d} > ${tol}`);
    if (d / tol > worstRatio) [worstRatio, worstGrad] = [d / tol, name];
  }
  t.diagnostic(`t5-synth-seq2seq: max forward diff ${worst.toExponential(2)} (${worstName}); worst gradient diff/tol ${worstRatio.toFixed(4)} (${worstGrad})`);
});

test('decoding one token at a time with the key/value cache gives the full forward\'s logits', { skip }, async () => {
  const model = await fixture();
  const g = readTensors(join(root!, 'models', 't5-synth-seq2seq', 'golden.safetensors'));
  torch.noGrad(() => {
    const inputIds = g.get('inputs.input_ids')!;
    const attentionMask = g.get('inputs.attention_mask')!;
    const dec = g.get('inputs.decoder_input_ids')!;
    const full = model.forward({ inputIds, attentionMask, decoderInputIds: dec });
    const enc = model.encode(inputIds, attentionMask);
    let past: BlockCache[] | null = null;
    const steps = dec.shape[1]!;
    for (let i = 0; i < steps; i++) {
      const step = model.forward({ inputIds, attentionMask, encoderOutputs: enc, decoderInputIds: dec.narrow(1, i, 1), pastKeyValues: past });
      past = step.pastKeyValues;
      // float32 sums in another order: the logits agree to rounding.
      const d = maxAbsDiff(step.logits, full.logits.narrow(1, i, 1));
      assert.ok(d <= 1e-5, `step ${i}: ${d}`);
    }
  });
});

test('T5 v1.1 variant: gated-GELU feed-forward and an untied head save in transformers\' layout and load back unchanged', async () => {
  const config = AutoConfig.forModel('t5', {
    vocab_size: 64, d_model: 16, d_kv: 4, d_ff: 24, num_layers: 2, num_decoder_layers: 1, num_heads: 2, relative_attention_num_buckets: 8,
    feed_forward_proj: 'gated-gelu', tie_word_embeddings: false,
  });
  const model = AutoModelForSeq2SeqLM.fromConfig(config, { seed: 3 });
  const names = model.namedParameters().map(([n]) => n);
  for (const n of ['shared.weight', 'lm_head.weight', 'encoder.block.0.layer.1.DenseReluDense.wi_0.weight', 'encoder.block.0.layer.1.DenseReluDense.wi_1.weight',
    'decoder.block.0.layer.1.EncDecAttention.q.weight', 'decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight', 'encoder.final_layer_norm.weight']) {
    assert.ok(names.includes(n), n);
  }
  assert.ok(!names.includes('encoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight'), 'only block 0 has the relative bias');
  assert.equal(names.filter((n) => n.startsWith('decoder.block.')).some((n) => n.startsWith('decoder.block.1.')), false, 'num_decoder_layers 1');
  const out = join(tmp, 'v11');
  await model.savePretrained(out);
  const saved = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(saved.architectures, ['T5ForConditionalGeneration']);
  assert.equal(saved.feed_forward_proj, 'gated-gelu');
  const { result: back, messages } = await logger.captureAsync(() => AutoModelForSeq2SeqLM.fromPretrained(out));
  assert.deepEqual(messages, []);
  const input = { inputIds: [[5, 6, 7, 1]], decoderInputIds: [[0, 9, 10]] };
  torch.noGrad(() => {
    model.eval();
    assert.equal(maxAbsDiff(model.forward(input).logits, back.forward(input).logits), 0);
  });
});

test('bad T5 configs are refused with the field named', () => {
  assert.throws(() => AutoConfig.forModel('t5', { feed_forward_proj: 'gated-gated-gelu' }), /feed_forward_proj/);
  assert.throws(() => AutoConfig.forModel('t5', { feed_forward_proj: 'swishy' }), /feed_forward_proj/);
  assert.throws(() => AutoConfig.forModel('t5', { num_decoder_layers: -1 }), /num_decoder_layers/);
});
