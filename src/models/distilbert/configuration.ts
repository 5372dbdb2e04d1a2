/** transformers `configuration_distilbert.py`: DistilBERT's own key names (dim, n_heads, n_layers, hidden_dim). */
import { CONFIG_LIMITS as LIMITS, PretrainedConfig, type Json } from '../../hub/config.js';

/** transformers `DistilBertConfig` (its own names: dim, n_heads, n_layers, hidden_dim). */
export class DistilBertConfig extends PretrainedConfig {
  readonly modelType = 'distilbert';
  protected override get numHeadsKey(): string {
    return 'n_heads';
  }
  protected defaults(): Json {
    return {
      vocab_size: 30522, max_position_embeddings: 512, sinusoidal_pos_embds: false, n_layers: 6, n_heads: 12, dim: 768,
      hidden_dim: 3072, dropout: 0.1, attention_dropout: 0.1, activation: 'gelu', initializer_range: 0.02,
      qa_dropout: 0.1, seq_classif_dropout: 0.2, pad_token_id: 0,
    };
  }
  protected override validate(): void {
    super.validate();
    void this.hiddenDim;
    void this.activation;
    void this.sinusoidalPosEmbds;
    void this.dropout;
    void this.attentionDropout;
    void this.seqClassifDropout;
    void this.qaDropout;
  }
  protected override get mlpWidth(): number { return this.hiddenDim; }
  get vocabSize(): number { return this.int('vocab_size', this.get('vocab_size'), 1, LIMITS.vocab); }
  get hiddenSize(): number { return this.int('dim', this.get('dim'), 1, LIMITS.hidden); }
  get dim(): number { return this.hiddenSize; }
  get numHiddenLayers(): number { return this.int('n_layers', this.get('n_layers'), 0, LIMITS.layers); }
  get numAttentionHeads(): number { return this.int('n_heads', this.get('n_heads'), 1, LIMITS.heads); }
  get hiddenDim(): number { return this.int('hidden_dim', this.get('hidden_dim'), 1, LIMITS.hidden * 8); }
  get maxPositionEmbeddings(): number { return this.int('max_position_embeddings', this.get('max_position_embeddings'), 1, LIMITS.positions); }
  get sinusoidalPosEmbds(): boolean { return this.bool('sinusoidal_pos_embds', false); }
  get activation(): string { return this.activationField('activation', this.get('activation')); }
  get dropout(): number { return this.num('dropout', this.get('dropout'), 0, 1); }
  get attentionDropout(): number { return this.num('attention_dropout', this.get('attention_dropout'), 0, 1); }
  get qaDropout(): number { return this.num('qa_dropout', this.get('qa_dropout'), 0, 1); }
  get seqClassifDropout(): number { return this.num('seq_classif_dropout', this.get('seq_classif_dropout'), 0, 1); }
}
