// Dropout overrides (TrainingArguments hiddenDropoutProb / attentionProbsDropoutProb) on the encoder-decoders:
// each Dropout module gets the rate of the config key transformers reads for it, and the saved config says so.
// T5 has one dropout_rate for both; BART and Marian keep activation_dropout (its own key) untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nn } from '../torch/index.js';
import { LenguaError } from '../errors.js';
import { AutoConfig, AutoModelForSeq2SeqLM } from './index.js';
import type { PreTrainedModel } from './pretrained.js';

function dropouts(model: PreTrainedModel): Map<string, number> {
  return new Map(model.namedModules().filter(([, m]) => m instanceof nn.Dropout).map(([n, m]) => [n, (m as nn.Dropout).p]));
}

test('T5: one dropout_rate for hidden states and attention; two different values are refused', () => {
  const t5 = AutoModelForSeq2SeqLM.fromConfig(AutoConfig.forModel('t5', { vocab_size: 40, d_model: 16, d_kv: 4, d_ff: 32, num_layers: 2, num_heads: 4, dropout_rate: 0.1 }));
  t5.setDropout({ hidden: 0.25 });
  const d = dropouts(t5);
  assert.ok(d.size > 10 && [...d.values()].every((p) => p === 0.25), JSON.stringify([...d]));
  assert.ok([...d.keys()].some((n) => n.endsWith('SelfAttention.dropout')) && [...d.keys()].some((n) => n.endsWith('EncDecAttention.dropout')));
  assert.equal(t5.config.toJSON().dropout_rate, 0.25);
  t5.setDropout({ attention: 0 });
  assert.ok([...dropouts(t5).values()].every((p) => p === 0));
  assert.throws(() => t5.setDropout({ hidden: 0.1, attention: 0.2 }), (e: unknown) => e instanceof LenguaError && /one dropout rate \(dropout_rate\)/.test(e.message));
});

for (const type of ['bart', 'marian'] as const) {
  test(`${type}: dropout and attention_dropout set their modules; activation_dropout is left alone`, () => {
    const config = AutoConfig.forModel(type, {
      vocab_size: 40, d_model: 16, encoder_layers: 2, decoder_layers: 2, encoder_attention_heads: 4, decoder_attention_heads: 4, encoder_ffn_dim: 24,
      decoder_ffn_dim: 24, max_position_embeddings: 32, pad_token_id: 1, eos_token_id: 2, decoder_start_token_id: type === 'marian' ? 1 : 2,
      dropout: 0.1, attention_dropout: 0.0, activation_dropout: 0.05,
    });
    const model = AutoModelForSeq2SeqLM.fromConfig(config);
    model.setDropout({ hidden: 0.3, attention: 0.15 });
    const d = dropouts(model);
    let attention = 0;
    let activation = 0;
    let hidden = 0;
    for (const [name, p] of d) {
      if (/(self_attn|encoder_attn)\.dropout$/.test(name)) {
        assert.equal(p, 0.15, name);
        attention++;
      } else if (name.endsWith('activation_dropout')) {
        assert.equal(p, 0.05, name);
        activation++;
      } else {
        assert.equal(p, 0.3, name);
        hidden++;
      }
    }
    // 2 + 2 layers: self-attention in each, cross-attention in the decoder's; an activation dropout per layer.
    assert.deepEqual([attention, activation], [6, 4]);
    assert.ok(hidden >= 6);
    const json = model.config.toJSON();
    assert.deepEqual([json.dropout, json.attention_dropout, json.activation_dropout], [0.3, 0.15, 0.05]);
    assert.throws(() => model.setDropout({ classifier: 0.1 }), (e: unknown) => e instanceof LenguaError && e.field === 'classifierDropout');
  });
}
