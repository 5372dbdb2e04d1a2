/** transformers `configuration_t5.py` (d_model, d_kv, d_ff, num_layers, num_heads, relative buckets, feed_forward_proj, ...). */
import { LenguaError } from '../../errors.js';
import { CONFIG_LIMITS as LIMITS, PretrainedConfig, type Json } from '../../hub/config.js';

/**
 * transformers `T5Config`. Also what T5 v1.1, flan-t5 and mT5 checkpoints say (`feed_forward_proj:
 * "gated-gelu"`, `tie_word_embeddings: false`): one class, as in transformers since v4.
 */
export class T5Config extends PretrainedConfig {
  readonly modelType = 't5';
  protected override get numHeadsKey(): string {
    return 'num_heads';
  }
  protected defaults(): Json {
    return {
      vocab_size: 32128, d_model: 512, d_kv: 64, d_ff: 2048, num_layers: 6, num_decoder_layers: null, num_heads: 8,
      relative_attention_num_buckets: 32, relative_attention_max_distance: 128, dropout_rate: 0.1, layer_norm_epsilon: 1e-6,
      initializer_factor: 1.0, feed_forward_proj: 'relu', is_encoder_decoder: true, use_cache: true, pad_token_id: 0,
      eos_token_id: 1, decoder_start_token_id: 0, classifier_dropout: 0.0,
    };
  }
  protected override validate(): void {
    super.validate();
    void this.dKv;
    void this.dFf;
    void this.numDecoderLayers;
    void this.relativeAttentionNumBuckets;
    void this.relativeAttentionMaxDistance;
    void this.dropoutRate;
    void this.layerNormEpsilon;
    void this.initializerFactor;
    void this.denseActFn;
    void this.decoderStartTokenId;
  }
  protected override get mlpWidth(): number {
    return this.dFf;
  }
  /** Relative attention: no position table; the decoder and the encoder add their own layers. */
  override approxParameterCount(): number {
    const d = this.dModel;
    const inner = this.numHeads * this.dKv;
    const ff = (this.isGatedAct ? 3 : 2) * d * this.dFf;
    const layers = this.numLayers * (4 * d * inner + ff) + this.numDecoderLayers * (8 * d * inner + ff);
    return this.vocabSize * d * (this.tieWordEmbeddings ? 1 : 2) + layers;
  }
  get vocabSize(): number { return this.int('vocab_size', this.get('vocab_size'), 1, LIMITS.vocab); }
  get dModel(): number { return this.int('d_model', this.get('d_model'), 1, LIMITS.hidden); }
  get hiddenSize(): number { return this.dModel; }
  get dKv(): number { return this.int('d_kv', this.get('d_kv'), 1, LIMITS.hidden); }
  get dFf(): number { return this.int('d_ff', this.get('d_ff'), 1, LIMITS.hidden * 8); }
  get numLayers(): number { return this.int('num_layers', this.get('num_layers'), 0, LIMITS.layers); }
  get numHiddenLayers(): number { return this.numLayers; }
  /** `num_decoder_layers`, or num_layers when null (transformers' rule). */
  get numDecoderLayers(): number {
    const v = this.optInt('num_decoder_layers', null);
    if (v === null) return this.numLayers;
    if (v > LIMITS.layers) throw new LenguaError(`must be at most ${LIMITS.layers}`, { file: this.source, field: 'num_decoder_layers' });
    return v;
  }
  get numHeads(): number { return this.int('num_heads', this.get('num_heads'), 1, LIMITS.heads); }
  get numAttentionHeads(): number { return this.numHeads; }
  /** T5 has no position table: relative buckets take any length. Inputs are bounded by what a tokenizer or a caller asks. */
  get maxPositionEmbeddings(): number { return this.int('n_positions', 512, 1, LIMITS.positions); }
  get relativeAttentionNumBuckets(): number { return this.int('relative_attention_num_buckets', this.get('relative_attention_num_buckets'), 1, 4096); }
  get relativeAttentionMaxDistance(): number { return this.int('relative_attention_max_distance', this.get('relative_attention_max_distance'), 1, 1_000_000); }
  get dropoutRate(): number { return this.num('dropout_rate', this.get('dropout_rate'), 0, 1); }
  get layerNormEpsilon(): number { return this.num('layer_norm_epsilon', this.get('layer_norm_epsilon'), 0, 1); }
  get initializerFactor(): number { return this.num('initializer_factor', this.get('initializer_factor'), 0, 1e6); }
  override get initializerRange(): number { return this.initializerFactor; }
  get feedForwardProj(): string { return this.str('feed_forward_proj', this.get('feed_forward_proj')); }
  /** `gated-ACT` (T5 v1.1, flan-t5, mT5) or `ACT`, as transformers splits it. */
  get isGatedAct(): boolean {
    return this.parsedFeedForward().gated;
  }
  /** The feed-forward activation; "gated-gelu" means gelu_new, as in transformers. */
  get denseActFn(): string {
    return this.parsedFeedForward().act;
  }
  get decoderStartTokenId(): number { return this.int('decoder_start_token_id', this.get('decoder_start_token_id'), 0, this.vocabSize - 1); }
  private parsedFeedForward(): { gated: boolean; act: string } {
    const v = this.feedForwardProj;
    const parts = v.split('-');
    if (parts.length > 2 || (parts.length === 2 && parts[0] !== 'gated')) {
      throw new LenguaError(`must be a valid activation function or "gated-" followed by one, got ${JSON.stringify(v)}`, { file: this.source, field: 'feed_forward_proj' });
    }
    const act = v === 'gated-gelu' ? 'gelu_new' : parts[parts.length - 1]!;
    return { gated: parts.length === 2, act: this.activationField('feed_forward_proj', act) };
  }
}
