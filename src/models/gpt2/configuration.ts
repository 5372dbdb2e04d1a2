/** transformers `configuration_gpt2.py` (n_embd, n_layer, n_head, n_positions, n_inner, activation_function, ...). */
import { LenguaError } from '../../errors.js';
import { CONFIG_LIMITS as LIMITS, PretrainedConfig, type Json } from '../../hub/config.js';

/** transformers `GPT2Config` (n_embd, n_layer, n_head, n_positions, n_inner, activation_function, ...). */
export class GPT2Config extends PretrainedConfig {
  readonly modelType = 'gpt2';
  protected override get numHeadsKey(): string {
    return 'n_head';
  }
  protected defaults(): Json {
    return {
      vocab_size: 50257, n_positions: 1024, n_embd: 768, n_layer: 12, n_head: 12, n_inner: null,
      activation_function: 'gelu_new', resid_pdrop: 0.1, embd_pdrop: 0.1, attn_pdrop: 0.1, layer_norm_epsilon: 1e-5,
      initializer_range: 0.02, summary_type: 'cls_index', summary_use_proj: true, summary_activation: null,
      summary_proj_to_labels: true, summary_first_dropout: 0.1, scale_attn_weights: true, use_cache: true,
      bos_token_id: 50256, eos_token_id: 50256, scale_attn_by_inverse_layer_idx: false, reorder_and_upcast_attn: false,
    };
  }
  protected override validate(): void {
    super.validate();
    void this.nInner;
    void this.activationFunction;
    void this.layerNormEpsilon;
    void this.residPdrop;
    void this.embdPdrop;
    void this.attnPdrop;
    void this.scaleAttnWeights;
    void this.scaleAttnByInverseLayerIdx;
  }
  protected override get mlpWidth(): number { return this.nInner; }
  get vocabSize(): number { return this.int('vocab_size', this.get('vocab_size'), 1, LIMITS.vocab); }
  get hiddenSize(): number { return this.int('n_embd', this.get('n_embd'), 1, LIMITS.hidden); }
  get nEmbd(): number { return this.hiddenSize; }
  get numHiddenLayers(): number { return this.int('n_layer', this.get('n_layer'), 0, LIMITS.layers); }
  get numAttentionHeads(): number { return this.int('n_head', this.get('n_head'), 1, LIMITS.heads); }
  get maxPositionEmbeddings(): number { return this.int('n_positions', this.get('n_positions'), 1, LIMITS.positions); }
  /** MLP width: `n_inner`, or 4 * n_embd when null (HF rule). */
  get nInner(): number {
    const v = this.optInt('n_inner', null);
    if (v === null) return 4 * this.hiddenSize;
    if (v < 1 || v > LIMITS.hidden * 8) throw new LenguaError(`must be null or an integer in [1, ${LIMITS.hidden * 8}]`, { file: this.source, field: 'n_inner' });
    return v;
  }
  get activationFunction(): string { return this.activationField('activation_function', this.get('activation_function')); }
  get layerNormEpsilon(): number { return this.num('layer_norm_epsilon', this.get('layer_norm_epsilon'), 0, 1); }
  get residPdrop(): number { return this.num('resid_pdrop', this.get('resid_pdrop'), 0, 1); }
  get embdPdrop(): number { return this.num('embd_pdrop', this.get('embd_pdrop'), 0, 1); }
  get attnPdrop(): number { return this.num('attn_pdrop', this.get('attn_pdrop'), 0, 1); }
  get scaleAttnWeights(): boolean { return this.bool('scale_attn_weights', true); }
  get scaleAttnByInverseLayerIdx(): boolean { return this.bool('scale_attn_by_inverse_layer_idx', false); }
}
