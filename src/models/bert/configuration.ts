/** transformers `configuration_bert.py`: BERT's config.json keys and defaults. */
import { LenguaError } from '../../errors.js';
import { CONFIG_LIMITS as LIMITS, PretrainedConfig, type Json } from '../../hub/config.js';
import { preview } from '../../hub/json.js';

/** transformers `BertConfig`. */
export class BertConfig extends PretrainedConfig {
  readonly modelType: string = 'bert';
  protected defaults(): Json {
    return {
      vocab_size: 30522, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072,
      hidden_act: 'gelu', hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1, max_position_embeddings: 512,
      type_vocab_size: 2, initializer_range: 0.02, layer_norm_eps: 1e-12, pad_token_id: 0,
      position_embedding_type: 'absolute', use_cache: true, classifier_dropout: null,
    };
  }
  protected override validate(): void {
    super.validate();
    void this.intermediateSize;
    void this.hiddenAct;
    void this.typeVocabSize;
    void this.layerNormEps;
    void this.hiddenDropoutProb;
    void this.attentionProbsDropoutProb;
    void this.classifierDropout;
    const pet = this.get<unknown>('position_embedding_type');
    if (pet !== 'absolute') {
      throw new LenguaError(`only "absolute" position embeddings are implemented, got ${preview(pet)}`, { file: this.source, field: 'position_embedding_type' });
    }
  }
  protected override get mlpWidth(): number { return this.intermediateSize; }
  get vocabSize(): number { return this.int('vocab_size', this.get('vocab_size'), 1, LIMITS.vocab); }
  get hiddenSize(): number { return this.int('hidden_size', this.get('hidden_size'), 1, LIMITS.hidden); }
  get numHiddenLayers(): number { return this.int('num_hidden_layers', this.get('num_hidden_layers'), 0, LIMITS.layers); }
  get numAttentionHeads(): number { return this.int('num_attention_heads', this.get('num_attention_heads'), 1, LIMITS.heads); }
  get intermediateSize(): number { return this.int('intermediate_size', this.get('intermediate_size'), 1, LIMITS.hidden * 8); }
  get maxPositionEmbeddings(): number { return this.int('max_position_embeddings', this.get('max_position_embeddings'), 1, LIMITS.positions); }
  get typeVocabSize(): number { return this.int('type_vocab_size', this.get('type_vocab_size'), 1, LIMITS.vocab); }
  get hiddenAct(): string { return this.activationField('hidden_act', this.get('hidden_act')); }
  get layerNormEps(): number { return this.num('layer_norm_eps', this.get('layer_norm_eps'), 0, 1); }
  get hiddenDropoutProb(): number { return this.num('hidden_dropout_prob', this.get('hidden_dropout_prob'), 0, 1); }
  get attentionProbsDropoutProb(): number { return this.num('attention_probs_dropout_prob', this.get('attention_probs_dropout_prob'), 0, 1); }
  get classifierDropout(): number | null { return this.optNum('classifier_dropout', 0, 1); }
}
