/** transformers `configuration_marian.py`: BART's fields, plus `decoder_vocab_size` and `share_encoder_decoder_embeddings`. */
import { CONFIG_LIMITS as LIMITS, type Json } from '../../hub/config.js';
import { BartLikeConfig } from '../bart/configuration.js';

/**
 * transformers `MarianConfig` (the opus-mt models): BART's body with fixed sinusoidal positions and no
 * LayerNorm on the embeddings. Opus-mt checkpoints set `scale_embedding: true` and `activation_function:
 * "swish"`; transformers' defaults (false, gelu) are kept here so a config means what it means in Python.
 */
export class MarianConfig extends BartLikeConfig {
  readonly modelType = 'marian';
  protected defaults(): Json {
    return {
      vocab_size: 58101, decoder_vocab_size: null, max_position_embeddings: 1024, encoder_layers: 12, encoder_ffn_dim: 4096,
      encoder_attention_heads: 16, decoder_layers: 12, decoder_ffn_dim: 4096, decoder_attention_heads: 16, encoder_layerdrop: 0.0,
      decoder_layerdrop: 0.0, use_cache: true, is_encoder_decoder: true, activation_function: 'gelu', d_model: 1024, dropout: 0.1,
      attention_dropout: 0.0, activation_dropout: 0.0, init_std: 0.02, decoder_start_token_id: 58100, scale_embedding: false,
      pad_token_id: 58100, eos_token_id: 0, forced_eos_token_id: 0, share_encoder_decoder_embeddings: true,
    };
  }
  protected override validate(): void {
    super.validate();
    void this.decoderVocabSize;
  }
  /** `decoder_vocab_size`, or vocab_size when null (transformers' rule). */
  get decoderVocabSize(): number {
    const v = this.optInt('decoder_vocab_size', null);
    return v === null ? this.vocabSize : this.int('decoder_vocab_size', v, 1, LIMITS.vocab);
  }
  /** One embedding for the encoder, the decoder and the head (true in every opus-mt model), or one per stack. */
  get shareEncoderDecoderEmbeddings(): boolean {
    return this.bool('share_encoder_decoder_embeddings', this.get('share_encoder_decoder_embeddings'));
  }
  /** MarianMTModel: vocab_size when the embeddings are shared, else decoder_vocab_size. */
  override get targetVocabSize(): number {
    return this.shareEncoderDecoderEmbeddings ? this.vocabSize : this.decoderVocabSize;
  }
}
