/**
 * RoBERTa (transformers `modeling_roberta.py`): BERT's layers with padding-aware positions
 * (`cumsum(ids != pad) * (ids != pad) + pad`, position padding_idx = pad), no pooler in its heads, and
 * its own classification and LM heads.
 */
import * as torch from '../../torch/index.js';
import { nn, F } from '../../torch/index.js';
import type { Tensor } from '../../torch/index.js';
import { LenguaError } from '../../errors.js';
import type { RobertaConfig } from './configuration.js';
import { BertEmbeddings, BertForQuestionAnswering, BertForTokenClassification, BertMaskedLMBase, BertModel, BertSequenceClassifierBase, type BertModelOptions } from '../bert/modeling.js';
import { classifierSplit } from '../modeling/body.js';
import type { BaseModelOutput } from '../modeling/outputs.js';
import type { ModelSplit } from '../modeling/split.js';

/** RoBERTa's position ids: pads get `pad`, real tokens count up from pad + 1. */
export function robertaPositionIds(ids: Tensor, pad: number): Tensor {
  const mask = ids.ne(pad).to('int64');
  return mask.cumsum(1).mul(mask).add(pad);
}

export class RobertaEmbeddings extends BertEmbeddings {
  constructor(config: RobertaConfig) {
    super(config, config.padTokenId!);
  }
  protected override positionIds(ids: Tensor): Tensor {
    const s = ids.shape[1]!;
    const pad = this.config.padTokenId!;
    const maxPos = this.config.maxPositionEmbeddings;
    if (s + pad + 1 > maxPos) {
      throw new LenguaError(`sequence length ${s} exceeds what max_position_embeddings ${maxPos} allows (${maxPos - pad - 1})`, { field: 'input_ids' });
    }
    return robertaPositionIds(ids, pad);
  }
}

/** transformers `RobertaModel`. */
export class RobertaModel extends BertModel {
  override readonly className: string = 'RobertaModel';
  override readonly baseModelPrefix: string = 'roberta';
  constructor(config: RobertaConfig, opts: Omit<BertModelOptions, 'embeddings'> = {}) {
    super(config, { ...opts, embeddings: new RobertaEmbeddings(config) });
  }
  /** Positions start after the padding index, so pad + 1 of the table are never used by real tokens. */
  override get maxInputTokens(): number {
    return this.config.maxPositionEmbeddings - this.config.padTokenId! - 1;
  }
  /** RoBERTa's tokenizers produce no token types (its table has one row). */
  override get acceptsTokenTypeIds(): boolean {
    return false;
  }
}

/** RoBERTa's head: dense → tanh → out_proj on `<s>`, dropout before each projection. */
export class RobertaClassificationHead extends nn.Module {
  readonly dense: nn.Linear;
  readonly out_proj: nn.Linear;
  readonly dropout: nn.Dropout;
  constructor(config: RobertaConfig) {
    super();
    this.dense = this.registerModule('dense', new nn.Linear(config.hiddenSize, config.hiddenSize));
    this.dropout = this.registerModule('dropout', new nn.Dropout(config.classifierDropout ?? config.hiddenDropoutProb));
    this.out_proj = this.registerModule('out_proj', new nn.Linear(config.hiddenSize, config.numLabels));
  }
  /** tanh(dense(dropout(h[:, 0]))): the input of out_proj. */
  features(hidden: Tensor): Tensor {
    return this.dense.forward(this.dropout.forward(hidden.select(1, 0))).tanh();
  }
  forward(hidden: Tensor): Tensor {
    return this.out_proj.forward(this.dropout.forward(this.features(hidden)));
  }
}

/** `RobertaForSequenceClassification`: no pooler; RobertaClassificationHead on `<s>`. */
export class RobertaForSequenceClassification extends BertSequenceClassifierBase {
  readonly className = 'RobertaForSequenceClassification';
  readonly classifier: RobertaClassificationHead;
  constructor(config: RobertaConfig) {
    super(config, new RobertaModel(config, { addPoolingLayer: false }));
    this.classifier = this.registerModule('classifier', new RobertaClassificationHead(config));
  }
  protected logitsOf(base: BaseModelOutput): Tensor {
    return this.classifier.forward(base.lastHiddenState);
  }
  override splitAt(k: number): ModelSplit {
    return classifierSplit(this, this.body, k, { logits: (base) => this.logitsOf(base) });
  }
}

/** `RobertaForTokenClassification`. */
export class RobertaForTokenClassification extends BertForTokenClassification {
  override readonly className = 'RobertaForTokenClassification';
  constructor(config: RobertaConfig) {
    super(config, new RobertaModel(config, { addPoolingLayer: false }));
  }
}

/** `RobertaForQuestionAnswering`: BERT's QA head (`qa_outputs`) on a RobertaModel without pooler. */
export class RobertaForQuestionAnswering extends BertForQuestionAnswering {
  override readonly className = 'RobertaForQuestionAnswering';
  constructor(config: RobertaConfig) {
    super(config, new RobertaModel(config, { addPoolingLayer: false }));
  }
}

/** RoBERTa's `lm_head`: dense → gelu → layer_norm → decoder (tied) + bias. */
export class RobertaLMHead extends nn.Module {
  readonly dense: nn.Linear;
  readonly layer_norm: nn.LayerNorm;
  readonly decoder: nn.Linear | null;
  readonly bias: Tensor;
  constructor(config: RobertaConfig, private readonly embeddings: nn.Embedding) {
    super();
    this.dense = this.registerModule('dense', new nn.Linear(config.hiddenSize, config.hiddenSize));
    this.layer_norm = this.registerModule('layer_norm', new nn.LayerNorm(config.hiddenSize, config.layerNormEps));
    this.decoder = config.tieWordEmbeddings ? null : this.registerModule('decoder', new nn.Linear(config.hiddenSize, config.vocabSize, false));
    this.bias = this.registerParameter('bias', torch.zeros([config.vocabSize]))!;
  }
  forward(x: Tensor): Tensor {
    const h = this.layer_norm.forward(this.dense.forward(x).gelu('none'));
    return F.linear(h, this.decoder === null ? this.embeddings.weight : this.decoder.weight, this.bias);
  }
}

/** `RobertaForMaskedLM` (`lm_head.*`). */
export class RobertaForMaskedLM extends BertMaskedLMBase {
  readonly className = 'RobertaForMaskedLM';
  readonly lm_head: RobertaLMHead;
  constructor(config: RobertaConfig) {
    super(config, new RobertaModel(config, { addPoolingLayer: false }));
    this.lm_head = this.registerModule('lm_head', new RobertaLMHead(config, this.body.embeddings.word_embeddings));
  }
  protected override tiedCheckpointKeys(): string[] {
    return this.config.tieWordEmbeddings ? ['lm_head.decoder.weight'] : [];
  }
  protected override checkpointAliases(): Record<string, string> {
    return { 'lm_head.decoder.bias': 'lm_head.bias' };
  }
  protected vocabularyLogits(h: Tensor): Tensor {
    return this.lm_head.forward(h);
  }
}
