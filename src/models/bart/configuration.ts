/** transformers `configuration_bart.py` (d_model, encoder_/decoder_ layers, heads and ffn_dim, dropouts, scale_embedding, ...). */
import { LenguaError } from '../../errors.js';
import { CONFIG_LIMITS as LIMITS, PretrainedConfig, type Json } from '../../hub/config.js';

/**
 * What BART and Marian configs share (transformers copies one into the other): the encoder-decoder sizes,
 * the dropouts, the activation, the embedding scale and the generation token ids. Each family adds how its
 * positions are made and whether its embeddings are normalised.
 */
export abstract class BartLikeConfig extends PretrainedConfig {
  protected override get numHeadsKey(): string {
    return 'encoder_attention_heads';
  }
  protected override validate(): void {
    super.validate();
    void this.encoderLayers;
    void this.decoderLayers;
    void this.encoderFfnDim;
    void this.decoderFfnDim;
    void this.dropout;
    void this.attentionDropout;
    void this.activationDropout;
    void this.activationFunction;
    void this.scaleEmbedding;
    void this.maxPositionEmbeddings;
    void this.decoderStartTokenId;
    void this.forcedBosTokenId;
    void this.forcedEosTokenId;
    void this.targetVocabSize;
    if (this.dModel % this.decoderAttentionHeads !== 0) {
      throw new LenguaError(`d_model ${this.dModel} is not a multiple of decoder_attention_heads ${this.decoderAttentionHeads}`, { file: this.source, field: 'decoder_attention_heads' });
    }
    if (this.padTokenId === null) throw new LenguaError('must be set (shift-right and the embeddings use it)', { file: this.source, field: 'pad_token_id' });
  }
  protected override get mlpWidth(): number {
    return this.encoderFfnDim;
  }
  /** Both stacks, the shared embedding and the position tables. */
  override approxParameterCount(): number {
    const d = this.dModel;
    const enc = this.encoderLayers * (4 * d * d + 2 * d * this.encoderFfnDim);
    const dec = this.decoderLayers * (8 * d * d + 2 * d * this.decoderFfnDim);
    return (this.vocabSize + 2 * this.maxPositionEmbeddings) * d + enc + dec;
  }
  get vocabSize(): number { return this.int('vocab_size', this.get('vocab_size'), 1, LIMITS.vocab); }
  /** Rows of the decoder's embedding and of the logits (Marian may give the decoder its own vocabulary). */
  get targetVocabSize(): number { return this.vocabSize; }
  get dModel(): number { return this.int('d_model', this.get('d_model'), 1, LIMITS.hidden); }
  get hiddenSize(): number { return this.dModel; }
  get encoderLayers(): number { return this.int('encoder_layers', this.get('encoder_layers'), 0, LIMITS.layers); }
  get decoderLayers(): number { return this.int('decoder_layers', this.get('decoder_layers'), 0, LIMITS.layers); }
  get numHiddenLayers(): number { return this.encoderLayers; }
  get encoderAttentionHeads(): number { return this.int('encoder_attention_heads', this.get('encoder_attention_heads'), 1, LIMITS.heads); }
  get decoderAttentionHeads(): number { return this.int('decoder_attention_heads', this.get('decoder_attention_heads'), 1, LIMITS.heads); }
  get numAttentionHeads(): number { return this.encoderAttentionHeads; }
  get encoderFfnDim(): number { return this.int('encoder_ffn_dim', this.get('encoder_ffn_dim'), 1, LIMITS.hidden * 8); }
  get decoderFfnDim(): number { return this.int('decoder_ffn_dim', this.get('decoder_ffn_dim'), 1, LIMITS.hidden * 8); }
  get maxPositionEmbeddings(): number { return this.int('max_position_embeddings', this.get('max_position_embeddings'), 1, LIMITS.positions); }
  get dropout(): number { return this.num('dropout', this.get('dropout'), 0, 1); }
  get attentionDropout(): number { return this.num('attention_dropout', this.get('attention_dropout'), 0, 1); }
  get activationDropout(): number { return this.num('activation_dropout', this.get('activation_dropout'), 0, 1); }
  get activationFunction(): string { return this.activationField('activation_function', this.get('activation_function')); }
  get initStd(): number { return this.num('init_std', this.get('init_std'), 0, 100); }
  override get initializerRange(): number { return this.initStd; }
  /** Token embeddings are multiplied by sqrt(d_model) when true. */
  get scaleEmbedding(): boolean { return this.bool('scale_embedding', this.get('scale_embedding')); }
  get decoderStartTokenId(): number { return this.int('decoder_start_token_id', this.get('decoder_start_token_id'), 0, this.targetVocabSize - 1); }
  /** Generation forces the first generated token to this one (mBART / Marian multilingual targets, bart-large-cnn's BOS). */
  get forcedBosTokenId(): number | null { return this.optTokenId('forced_bos_token_id'); }
  /** Generation forces this token when max_length is reached. */
  get forcedEosTokenId(): number | null { return this.optTokenId('forced_eos_token_id'); }
  private optTokenId(key: string): number | null {
    const v = this.optInt(key, this.get<number | null>(key) ?? null);
    if (v !== null && v >= this.targetVocabSize) throw new LenguaError(`${v} is outside the vocabulary (${this.targetVocabSize} tokens)`, { file: this.source, field: key });
    return v;
  }
}

/**
 * transformers `BartConfig` (bart-base, bart-large, bart-large-cnn, distilbart): learned positions with
 * the offset of 2, a LayerNorm on the embeddings, post-LayerNorm blocks.
 */
export class BartConfig extends BartLikeConfig {
  readonly modelType = 'bart';
  protected defaults(): Json {
    return {
      vocab_size: 50265, max_position_embeddings: 1024, encoder_layers: 12, encoder_ffn_dim: 4096, encoder_attention_heads: 16,
      decoder_layers: 12, decoder_ffn_dim: 4096, decoder_attention_heads: 16, encoder_layerdrop: 0.0, decoder_layerdrop: 0.0,
      activation_function: 'gelu', d_model: 1024, dropout: 0.1, attention_dropout: 0.0, activation_dropout: 0.0, init_std: 0.02,
      classifier_dropout: 0.0, scale_embedding: false, use_cache: true, pad_token_id: 1, bos_token_id: 0, eos_token_id: 2,
      is_encoder_decoder: true, decoder_start_token_id: 2, forced_eos_token_id: 2,
    };
  }
  protected override validate(): void {
    super.validate();
    // transformers 3.x configs carried the fairseq switches; only BART's own values are this architecture.
    for (const [key, want] of [['normalize_before', false], ['add_final_layer_norm', false], ['static_position_embeddings', false], ['normalize_embedding', true]] as const) {
      const v = this.raw[key];
      if (v !== undefined && v !== null && v !== want) {
        throw new LenguaError(`${key}: ${JSON.stringify(v)} is another architecture (mBART / Blenderbot / Marian); BART has ${want}`, { file: this.source, field: key });
      }
    }
  }
  /** transformers' BartConfig: the old `force_bos_token_to_be_generated: true` means forced_bos_token_id = bos_token_id. */
  override get forcedBosTokenId(): number | null {
    const v = super.forcedBosTokenId;
    if (v === null && this.raw.force_bos_token_to_be_generated === true) return this.bosTokenId;
    return v;
  }
}
