/**
 * BERT (transformers `modeling_bert.py`). Module and parameter names equal the transformers classes'
 * so checkpoints, saved files and gradients line up by name. RoBERTa (`../roberta/`) reuses the layers.
 */
import * as torch from '../../torch/index.js';
import { nn, F } from '../../torch/index.js';
import type { Tensor, TensorLike, Device } from '../../torch/index.js';
import { LenguaError } from '../../errors.js';
import type { BertConfig } from './configuration.js';
import { activation } from '../modeling/activations.js';
import { defaultPositionIds, type PreparedInput } from '../modeling/inputs.js';
import { extendedAttentionMask } from '../modeling/masks.js';
import { ModuleList, type TransformerLayer } from '../modeling/layers.js';
import { sequenceClassificationLoss, tokenLoss, type LossOptions } from '../modeling/losses.js';
import type { BaseModelOutput, ForwardInput, ModelOutput } from '../modeling/outputs.js';
import { classifierSplit, forwardHead, maskedPositionsLoss, TransformerBody } from '../modeling/body.js';
import type { ModelSplit } from '../modeling/split.js';
import { PreTrainedModel, type BodyLayout, type DropoutLayout } from '../pretrained.js';
import { checkSpanLabels, forwardQuestionAnswering, spanLoss, type QuestionAnsweringInput, type QuestionAnsweringOutput } from './question-answering.js';

export const BERT_LAYOUT: BodyLayout = { embeddings: ['embeddings.'], layers: 'encoder.layer.' };
export const BERT_DROPOUT: DropoutLayout = {
  hidden: 'hidden_dropout_prob', attention: 'attention_probs_dropout_prob', classifier: 'classifier_dropout', attentionModules: /attention\.self\.dropout$/,
};

export class BertEmbeddings extends nn.Module {
  readonly word_embeddings: nn.Embedding;
  readonly position_embeddings: nn.Embedding;
  readonly token_type_embeddings: nn.Embedding;
  readonly LayerNorm: nn.LayerNorm;
  readonly dropout: nn.Dropout;

  constructor(protected readonly config: BertConfig, positionPaddingIdx?: number) {
    super();
    const h = config.hiddenSize;
    this.word_embeddings = this.registerModule('word_embeddings', new nn.Embedding(config.vocabSize, h, config.padTokenId ?? undefined));
    this.position_embeddings = this.registerModule('position_embeddings', new nn.Embedding(config.maxPositionEmbeddings, h, positionPaddingIdx));
    this.token_type_embeddings = this.registerModule('token_type_embeddings', new nn.Embedding(config.typeVocabSize, h));
    this.LayerNorm = this.registerModule('LayerNorm', new nn.LayerNorm(h, config.layerNormEps));
    this.dropout = this.registerModule('dropout', new nn.Dropout(config.hiddenDropoutProb));
  }

  /** Positions when none are given: 0..s-1. */
  protected positionIds(ids: Tensor): Tensor {
    const [b, s] = ids.shape as [number, number];
    const maxPos = this.config.maxPositionEmbeddings;
    if (s > maxPos) throw new LenguaError(`sequence length ${s} exceeds max_position_embeddings ${maxPos}`, { field: 'input_ids' });
    return defaultPositionIds(b, s, ids.device);
  }

  forward(ids: Tensor, tokenTypeIds: Tensor | null, positionIds: Tensor | null): Tensor {
    let x = this.word_embeddings.forward(ids);
    x = x.add(this.position_embeddings.forward(positionIds ?? this.positionIds(ids)));
    if (tokenTypeIds === null) {
      // All-zero token types: add row 0 (broadcast) instead of an embedding lookup per position.
      x = x.add(this.token_type_embeddings.weight.select(0, 0));
    } else {
      x = x.add(this.token_type_embeddings.forward(tokenTypeIds));
    }
    return this.dropout.forward(this.LayerNorm.forward(x));
  }
}

export class BertSelfAttention extends nn.Module {
  readonly query: nn.Linear;
  readonly key: nn.Linear;
  readonly value: nn.Linear;
  readonly dropout: nn.Dropout;
  private readonly heads: number;
  private readonly headDim: number;

  constructor(config: BertConfig) {
    super();
    const h = config.hiddenSize;
    this.heads = config.numAttentionHeads;
    this.headDim = h / this.heads;
    this.query = this.registerModule('query', new nn.Linear(h, h));
    this.key = this.registerModule('key', new nn.Linear(h, h));
    this.value = this.registerModule('value', new nn.Linear(h, h));
    this.dropout = this.registerModule('dropout', new nn.Dropout(config.attentionProbsDropoutProb));
  }

  private split(x: Tensor, b: number, s: number): Tensor {
    return x.view([b, s, this.heads, this.headDim]).permute([0, 2, 1, 3]);
  }

  forward(x: Tensor, mask: Tensor | null): { context: Tensor; probs: Tensor } {
    const [b, s, h] = x.shape as [number, number, number];
    const q = this.split(this.query.forward(x), b, s);
    const k = this.split(this.key.forward(x), b, s);
    const v = this.split(this.value.forward(x), b, s);
    let scores = q.matmul(k.transpose(-1, -2)).div(Math.sqrt(this.headDim));
    if (mask !== null) scores = scores.add(mask);
    const probs = scores.softmax(-1);
    const context = this.dropout.forward(probs).matmul(v).permute([0, 2, 1, 3]).reshape([b, s, h]);
    return { context, probs };
  }
}

/** dense → dropout → LayerNorm(x + residual): BertSelfOutput and BertOutput. */
export class BertResidualOutput extends nn.Module {
  readonly dense: nn.Linear;
  readonly LayerNorm: nn.LayerNorm;
  readonly dropout: nn.Dropout;
  constructor(config: BertConfig, inFeatures: number) {
    super();
    this.dense = this.registerModule('dense', new nn.Linear(inFeatures, config.hiddenSize));
    this.LayerNorm = this.registerModule('LayerNorm', new nn.LayerNorm(config.hiddenSize, config.layerNormEps));
    this.dropout = this.registerModule('dropout', new nn.Dropout(config.hiddenDropoutProb));
  }
  forward(x: Tensor, residual: Tensor): Tensor {
    return this.LayerNorm.forward(this.dropout.forward(this.dense.forward(x)).add(residual));
  }
}

export class BertAttention extends nn.Module {
  readonly self: BertSelfAttention;
  readonly output: BertResidualOutput;
  constructor(config: BertConfig) {
    super();
    this.self = this.registerModule('self', new BertSelfAttention(config));
    this.output = this.registerModule('output', new BertResidualOutput(config, config.hiddenSize));
  }
  forward(x: Tensor, mask: Tensor | null): { out: Tensor; probs: Tensor } {
    const { context, probs } = this.self.forward(x, mask);
    return { out: this.output.forward(context, x), probs };
  }
}

export class BertIntermediate extends nn.Module {
  readonly dense: nn.Linear;
  private readonly act: (x: Tensor) => Tensor;
  constructor(config: BertConfig) {
    super();
    this.dense = this.registerModule('dense', new nn.Linear(config.hiddenSize, config.intermediateSize));
    this.act = activation(config.hiddenAct);
  }
  forward(x: Tensor): Tensor {
    return this.act(this.dense.forward(x));
  }
}

export class BertLayer extends nn.Module implements TransformerLayer<Tensor | null> {
  readonly attention: BertAttention;
  readonly intermediate: BertIntermediate;
  readonly output: BertResidualOutput;
  constructor(config: BertConfig) {
    super();
    this.attention = this.registerModule('attention', new BertAttention(config));
    this.intermediate = this.registerModule('intermediate', new BertIntermediate(config));
    this.output = this.registerModule('output', new BertResidualOutput(config, config.intermediateSize));
  }
  forward(x: Tensor, mask: Tensor | null): { out: Tensor; probs: Tensor } {
    const a = this.attention.forward(x, mask);
    return { out: this.output.forward(this.intermediate.forward(a.out), a.out), probs: a.probs };
  }
}

export class BertEncoder extends nn.Module {
  readonly layer: ModuleList<BertLayer>;
  constructor(config: BertConfig) {
    super();
    const layers: BertLayer[] = [];
    for (let i = 0; i < config.numHiddenLayers; i++) layers.push(new BertLayer(config));
    this.layer = this.registerModule('layer', new ModuleList(layers));
  }
}

export class BertPooler extends nn.Module {
  readonly dense: nn.Linear;
  constructor(config: BertConfig) {
    super();
    this.dense = this.registerModule('dense', new nn.Linear(config.hiddenSize, config.hiddenSize));
  }
  forward(hidden: Tensor): Tensor {
    return this.dense.forward(hidden.select(1, 0)).tanh();
  }
}

export interface BertModelOptions {
  addPoolingLayer?: boolean;
  /** The embeddings module (RoBERTa passes its own). */
  embeddings?: BertEmbeddings;
}

/** transformers `BertModel`: the body of every BERT head (and, with its own embeddings, of RoBERTa's). */
export class BertModel extends TransformerBody<BertConfig, Tensor | null> {
  readonly className: string = 'BertModel';
  readonly baseModelPrefix: string = 'bert';
  protected readonly bodyLayout = BERT_LAYOUT;
  readonly embeddings: BertEmbeddings;
  readonly encoder: BertEncoder;
  readonly pooler: BertPooler | null;

  constructor(config: BertConfig, opts: BertModelOptions = {}) {
    super(config);
    this.embeddings = this.registerModule('embeddings', opts.embeddings ?? new BertEmbeddings(config));
    this.encoder = this.registerModule('encoder', new BertEncoder(config));
    this.pooler = opts.addPoolingLayer === false ? null : this.registerModule('pooler', new BertPooler(config));
  }

  override get acceptsTokenTypeIds(): boolean {
    return true;
  }
  get layers(): readonly BertLayer[] {
    return this.encoder.layer.items;
  }
  get embeddingModules(): nn.Module[] {
    return [this.embeddings];
  }
  protected get tokenTypes(): number {
    return this.config.typeVocabSize;
  }
  protected override dropoutLayout(): DropoutLayout {
    return BERT_DROPOUT;
  }
  protected embed(call: PreparedInput): Tensor {
    return this.embeddings.forward(call.ids, call.tokenTypeIds, call.positionIds);
  }
  protected layerMask(mask: Tensor | null, _seqLen: number, _device: Device): Tensor | null {
    return mask === null ? null : extendedAttentionMask(mask);
  }
  protected override finish(h: Tensor): BaseModelOutput {
    const out: BaseModelOutput = { lastHiddenState: h };
    if (this.pooler !== null) out.poolerOutput = this.pooler.forward(h);
    return out;
  }
}

/** Base of the heads on a BertModel body, registered under the body's prefix (`bert`, `roberta`). */
export abstract class BertHeadModel extends PreTrainedModel<BertConfig> {
  readonly baseModelPrefix: string;
  readonly body: BertModel;
  protected readonly bodyLayout = BERT_LAYOUT;
  constructor(config: BertConfig, body: BertModel) {
    super(config);
    this.baseModelPrefix = body.baseModelPrefix;
    this.body = this.registerModule(this.baseModelPrefix, body);
  }
  override get maxInputTokens(): number {
    return this.body.maxInputTokens;
  }
  override get acceptsTokenTypeIds(): boolean {
    return this.body.acceptsTokenTypeIds;
  }
  protected override dropoutLayout(): DropoutLayout {
    return BERT_DROPOUT;
  }
}

/** A sequence classifier on a BertModel body: the loss and the frozen-layer cut are the same for BERT and RoBERTa. */
export abstract class BertSequenceClassifierBase extends BertHeadModel {
  /** The head's logits on the body's output. */
  protected abstract logitsOf(base: BaseModelOutput): Tensor;

  forward(input: ForwardInput): ModelOutput {
    return forwardHead(this, this.body, input, (base) => this.logitsOf(base));
  }
  override loss(logits: Tensor, labels: TensorLike, opts?: LossOptions): Tensor {
    return sequenceClassificationLoss(this.config, logits, labels, opts);
  }
}

/** `BertForSequenceClassification`: pooler → dropout → classifier. */
export class BertForSequenceClassification extends BertSequenceClassifierBase {
  readonly className = 'BertForSequenceClassification';
  readonly dropout: nn.Dropout;
  readonly classifier: nn.Linear;

  constructor(config: BertConfig) {
    super(config, new BertModel(config));
    this.dropout = this.registerModule('dropout', new nn.Dropout(config.classifierDropout ?? config.hiddenDropoutProb));
    this.classifier = this.registerModule('classifier', new nn.Linear(config.hiddenSize, config.numLabels));
  }

  protected logitsOf(base: BaseModelOutput): Tensor {
    return this.pooledLogits(base.poolerOutput!);
  }

  private pooledLogits(pooled: Tensor): Tensor {
    return this.classifier.forward(this.dropout.forward(pooled));
  }

  override splitAt(k: number): ModelSplit {
    const pooler = this.body.pooler!;
    return classifierSplit(this, this.body, k, {
      logits: (base) => this.logitsOf(base),
      pooled: { pooler, pool: (h) => pooler.forward(h), logits: (p) => this.pooledLogits(p) },
    });
  }
}

/** `BertForTokenClassification` (and RoBERTa's): dropout → classifier per token. */
/** The pooler of a BertModel checkpoint (`bert.pooler.*`, `roberta.pooler.*`, or unprefixed). */
const POOLER_KEY = /(^|\.)pooler\./;

export class BertForTokenClassification extends BertHeadModel {
  readonly className: string = 'BertForTokenClassification';
  readonly dropout: nn.Dropout;
  readonly classifier: nn.Linear;
  constructor(config: BertConfig, body: BertModel = new BertModel(config, { addPoolingLayer: false })) {
    super(config, body);
    this.dropout = this.registerModule('dropout', new nn.Dropout(config.classifierDropout ?? config.hiddenDropoutProb));
    this.classifier = this.registerModule('classifier', new nn.Linear(config.hiddenSize, config.numLabels));
  }
  forward(input: ForwardInput): ModelOutput {
    return forwardHead(this, this.body, input, (base) => this.classifier.forward(this.dropout.forward(base.lastHiddenState)));
  }
  override loss(logits: Tensor, labels: TensorLike, opts?: LossOptions): Tensor {
    return tokenLoss(logits, labels, opts);
  }
  /** No pooler here: a checkpoint's is left over without a warning (transformers' `_keys_to_ignore_on_load_unexpected`). */
  protected override ignoredUnexpectedKeys(): RegExp {
    return POOLER_KEY;
  }
}

/**
 * `BertForQuestionAnswering` (and RoBERTa's): no pooler, `qa_outputs` Linear(hidden, 2) on every token,
 * no dropout of its own. `forward` returns `startLogits` / `endLogits` [b, s] and, given
 * `startPositions` / `endPositions` (or `labels` [b, 2]), the span loss.
 */
export class BertForQuestionAnswering extends BertHeadModel {
  readonly className: string = 'BertForQuestionAnswering';
  readonly qa_outputs: nn.Linear;
  constructor(config: BertConfig, body: BertModel = new BertModel(config, { addPoolingLayer: false })) {
    checkSpanLabels(config);
    super(config, body);
    this.qa_outputs = this.registerModule('qa_outputs', new nn.Linear(config.hiddenSize, config.numLabels));
  }
  forward(input: QuestionAnsweringInput): QuestionAnsweringOutput {
    return forwardQuestionAnswering(this.body, input, (h) => this.qa_outputs.forward(h));
  }
  override loss(logits: Tensor, labels: TensorLike, opts?: LossOptions): Tensor {
    return spanLoss(logits, labels, opts);
  }
  /** The head has no dropout module, so there is no classifier dropout to override. */
  protected override dropoutLayout(): DropoutLayout {
    return { ...BERT_DROPOUT, classifier: null };
  }
  /** A checkpoint's pooler (every pre-trained BERT and RoBERTa has one) is left over without a warning, as in transformers. */
  protected override ignoredUnexpectedKeys(): RegExp {
    return POOLER_KEY;
  }
}

/** BERT's `cls.predictions.transform`: dense → act → LayerNorm. */
export class BertPredictionHeadTransform extends nn.Module {
  readonly dense: nn.Linear;
  readonly LayerNorm: nn.LayerNorm;
  private readonly act: (x: Tensor) => Tensor;
  constructor(config: BertConfig) {
    super();
    this.dense = this.registerModule('dense', new nn.Linear(config.hiddenSize, config.hiddenSize));
    this.act = activation(config.hiddenAct);
    this.LayerNorm = this.registerModule('LayerNorm', new nn.LayerNorm(config.hiddenSize, config.layerNormEps));
  }
  forward(x: Tensor): Tensor {
    return this.LayerNorm.forward(this.act(this.dense.forward(x)));
  }
}

/** `cls.predictions`: transform, then a decoder tied to the word embeddings plus its own bias. */
export class BertLMPredictionHead extends nn.Module {
  readonly transform: BertPredictionHeadTransform;
  readonly bias: Tensor;
  readonly decoder: nn.Linear | null;
  constructor(config: BertConfig, private readonly embeddings: nn.Embedding) {
    super();
    this.transform = this.registerModule('transform', new BertPredictionHeadTransform(config));
    this.decoder = config.tieWordEmbeddings ? null : this.registerModule('decoder', new nn.Linear(config.hiddenSize, config.vocabSize, false));
    this.bias = this.registerParameter('bias', torch.zeros([config.vocabSize]))!;
  }
  forward(x: Tensor): Tensor {
    const w = this.decoder === null ? this.embeddings.weight : this.decoder.weight;
    return F.linear(this.transform.forward(x), w, this.bias);
  }
}

export class BertOnlyMLMHead extends nn.Module {
  readonly predictions: BertLMPredictionHead;
  constructor(config: BertConfig, embeddings: nn.Embedding) {
    super();
    this.predictions = this.registerModule('predictions', new BertLMPredictionHead(config, embeddings));
  }
}

/** A masked LM on a BertModel body; the vocabulary head is the family's. */
export abstract class BertMaskedLMBase extends BertHeadModel {
  protected abstract vocabularyLogits(h: Tensor): Tensor;
  forward(input: ForwardInput): ModelOutput {
    return forwardHead(this, this.body, input, (base) => this.vocabularyLogits(base.lastHiddenState));
  }
  override loss(logits: Tensor, labels: TensorLike, opts?: LossOptions): Tensor {
    return tokenLoss(logits, labels, opts);
  }
  /** The loss with the head run only at the masked positions (see maskedPositionsLoss): what pretraining uses. */
  maskedLmLoss(input: ForwardInput, positions: Tensor, targets: Tensor): { loss: Tensor; logits: Tensor } {
    return maskedPositionsLoss(this.body, input, positions, targets, (h) => this.vocabularyLogits(h));
  }
  /** No pooler here: a checkpoint's is left over without a warning (transformers' `_keys_to_ignore_on_load_unexpected`). */
  protected override ignoredUnexpectedKeys(): RegExp {
    return POOLER_KEY;
  }
}

/** `BertForMaskedLM` (`cls.predictions.*`). */
export class BertForMaskedLM extends BertMaskedLMBase {
  readonly className = 'BertForMaskedLM';
  readonly cls: BertOnlyMLMHead;
  constructor(config: BertConfig) {
    super(config, new BertModel(config, { addPoolingLayer: false }));
    this.cls = this.registerModule('cls', new BertOnlyMLMHead(config, this.body.embeddings.word_embeddings));
  }
  protected override tiedCheckpointKeys(): string[] {
    return this.config.tieWordEmbeddings ? ['cls.predictions.decoder.weight'] : [];
  }
  protected override checkpointAliases(): Record<string, string> {
    return { 'cls.predictions.decoder.bias': 'cls.predictions.bias' };
  }
  protected vocabularyLogits(h: Tensor): Tensor {
    return this.cls.predictions.forward(h);
  }
}
