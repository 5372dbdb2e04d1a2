/** transformers `configuration_roberta.py`: BERT's keys with RoBERTa's vocabulary and special ids. */
import { LenguaError } from '../../errors.js';
import type { Json } from '../../hub/config.js';
import { BertConfig } from '../bert/configuration.js';

/** transformers `RobertaConfig`: BERT's fields with RoBERTa's vocabulary and special ids. */
export class RobertaConfig extends BertConfig {
  override readonly modelType: string = 'roberta';
  protected override defaults(): Json {
    return { ...super.defaults(), vocab_size: 50265, pad_token_id: 1, bos_token_id: 0, eos_token_id: 2 };
  }
  protected override validate(): void {
    super.validate();
    if (this.padTokenId === null) throw new LenguaError('RoBERTa needs a pad_token_id (positions count from it)', { file: this.source, field: 'pad_token_id' });
    if (this.maxPositionEmbeddings <= this.padTokenId + 1) {
      throw new LenguaError(`max_position_embeddings ${this.maxPositionEmbeddings} leaves no positions after pad_token_id ${this.padTokenId}`, { file: this.source, field: 'max_position_embeddings' });
    }
  }
}
