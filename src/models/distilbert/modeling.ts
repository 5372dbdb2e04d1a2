/**
 * DistilBERT (transformers `modeling_distilbert.py`): no token types, post-LayerNorm blocks named
 * `attention.{q,k,v,out}_lin`, `sa_layer_norm`, `ffn.lin1/lin2`, `output_layer_norm`; optional fixed
 * sinusoidal positions. Heads: pre_classifier → ReLU → dropout → classifier; token classifier;
 * vocab_transform / vocab_layer_norm / vocab_projector (tied) for masked LM.
 */
import * as torch from '../../torch/index.js';
import { nn, F } from '../../torch/index.js';
import type { Tensor, TensorLike, Device } from '../../torch/index.js';
import { LenguaError } from '../../errors.js';
import type { DistilBertConfig } from './configuration.js';
import { activation } from '../modeling/activations.js';
import { defaultPositionIds, type PreparedInput } from '../modeling/inputs.js';
import { FLOAT32_MIN } from '../modeling/masks.js';
import { ModuleList, type TransformerLayer } from '../modeling/layers.js';
import { sequenceClassificationLoss, tokenLoss, type LossOptions } from '../modeling/losses.js';
import type { BaseModelOutput, ForwardInput, ModelOutput } from '../modeling/outputs.js';
import { classifierSplit, forwardHead, maskedPositionsLoss, TransformerBody } from '../modeling/body.js';
import type { ModelSplit } from '../modeling/split.js';
import { PreTrainedModel, type BodyLayout, type DropoutLayout } from '../pretrained.js';
import { checkSpanLabels, forwardQuestionAnswering, spanLoss, type QuestionAnsweringInput, type QuestionAnsweringOutput } from '../bert/question-answering.js';

export const DISTILBERT_LAYOUT: BodyLayout = { embeddings: ['embeddings.'], layers: 'transformer.layer.' };
export const DISTILBERT_DROPOUT: DropoutLayout = {
  hidden: 'dropout', attention: 'attention_dropout', classifier: 'seq_classif_dropout', attentionModules: /attention\.dropout$/,
};

/** DistilBERT uses 1e-12 for every LayerNorm (hard-coded in transformers). */
const LN_EPS = 1e-12;

/** transformers `create_sinusoidal_embeddings`: sin on even columns, cos on odd ones. */
export function sinusoidalTable(nPos: number, dim: number): Float32Array {
  const out = new Float32Array(nPos * dim);
  for (let pos = 0; pos < nPos; pos++) {
    for (let j = 0; j < dim; j++) {
      const angle = pos / Math.pow(10000, (2 * Math.floor(j / 2)) / dim);
      out[pos * dim + j] = j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return out;
}

export class DistilEmbeddings extends nn.Module {
  readonly word_embeddings: nn.Embedding;
  readonly position_embeddings: nn.Embedding;
  readonly LayerNorm: nn.LayerNorm;
  readonly dropout: nn.Dropout;
  constructor(private readonly config: DistilBertConfig) {
    super();
    this.word_embeddings = this.registerModule('word_embeddings', new nn.Embedding(config.vocabSize, config.dim, config.padTokenId ?? undefined));
    this.position_embeddings = this.registerModule('position_embeddings', new nn.Embedding(config.maxPositionEmbeddings, config.dim));
    if (config.sinusoidalPosEmbds) this.setSinusoidal();
    this.LayerNorm = this.registerModule('LayerNorm', new nn.LayerNorm(config.dim, LN_EPS));
    this.dropout = this.registerModule('dropout', new nn.Dropout(config.dropout));
  }
  /** Fixed positions (not trained, like transformers' requires_grad=False). */
  setSinusoidal(): void {
    const w = this.position_embeddings.weight;
    torch.noGrad(() => {
      const table = torch.tensor(sinusoidalTable(this.config.maxPositionEmbeddings, this.config.dim), { shape: w.shape });
      w.copy_(table);
      table.dispose();
    });
    w.requiresGrad = false;
  }
  forward(ids: Tensor, positionIds: Tensor | null): Tensor {
    const [b, s] = ids.shape as [number, number];
    const maxPos = this.config.maxPositionEmbeddings;
    if (positionIds === null && s > maxPos) throw new LenguaError(`sequence length ${s} exceeds max_position_embeddings ${maxPos}`, { field: 'input_ids' });
    const pos = positionIds ?? defaultPositionIds(b, s, ids.device);
    const x = this.word_embeddings.forward(ids).add(this.position_embeddings.forward(pos));
    return this.dropout.forward(this.LayerNorm.forward(x));
  }
}

export class MultiHeadSelfAttention extends nn.Module {
  readonly q_lin: nn.Linear;
  readonly k_lin: nn.Linear;
  readonly v_lin: nn.Linear;
  readonly out_lin: nn.Linear;
  readonly dropout: nn.Dropout;
  private readonly heads: number;
  private readonly headDim: number;
  constructor(config: DistilBertConfig) {
    super();
    const d = config.dim;
    this.heads = config.numAttentionHeads;
    this.headDim = d / this.heads;
    this.q_lin = this.registerModule('q_lin', new nn.Linear(d, d));
    this.k_lin = this.registerModule('k_lin', new nn.Linear(d, d));
    this.v_lin = this.registerModule('v_lin', new nn.Linear(d, d));
    this.out_lin = this.registerModule('out_lin', new nn.Linear(d, d));
    this.dropout = this.registerModule('dropout', new nn.Dropout(config.attentionDropout));
  }
  private split(x: Tensor, b: number, s: number): Tensor {
    return x.view([b, s, this.heads, this.headDim]).transpose(1, 2);
  }
  /** `masked`: bool [b, 1, 1, k], true where the key is padding. */
  forward(x: Tensor, masked: Tensor | null): { out: Tensor; probs: Tensor } {
    const [b, s, d] = x.shape as [number, number, number];
    // transformers scales q before the product: q / sqrt(dim_per_head).
    const q = this.split(this.q_lin.forward(x), b, s).div(Math.sqrt(this.headDim));
    const k = this.split(this.k_lin.forward(x), b, s);
    const v = this.split(this.v_lin.forward(x), b, s);
    let scores = q.matmul(k.transpose(2, 3));
    if (masked !== null) scores = scores.maskedFill(masked, FLOAT32_MIN);
    const probs = scores.softmax(-1);
    const ctx = this.dropout.forward(probs).matmul(v).transpose(1, 2).reshape([b, s, d]);
    return { out: this.out_lin.forward(ctx), probs };
  }
}

export class FFN extends nn.Module {
  readonly lin1: nn.Linear;
  readonly lin2: nn.Linear;
  readonly dropout: nn.Dropout;
  private readonly act: (x: Tensor) => Tensor;
  constructor(config: DistilBertConfig) {
    super();
    this.dropout = this.registerModule('dropout', new nn.Dropout(config.dropout));
    this.lin1 = this.registerModule('lin1', new nn.Linear(config.dim, config.hiddenDim));
    this.lin2 = this.registerModule('lin2', new nn.Linear(config.hiddenDim, config.dim));
    this.act = activation(config.activation);
  }
  forward(x: Tensor): Tensor {
    return this.dropout.forward(this.lin2.forward(this.act(this.lin1.forward(x))));
  }
}

export class TransformerBlock extends nn.Module implements TransformerLayer<Tensor | null> {
  readonly attention: MultiHeadSelfAttention;
  readonly sa_layer_norm: nn.LayerNorm;
  readonly ffn: FFN;
  readonly output_layer_norm: nn.LayerNorm;
  constructor(config: DistilBertConfig) {
    super();
    this.attention = this.registerModule('attention', new MultiHeadSelfAttention(config));
    this.sa_layer_norm = this.registerModule('sa_layer_norm', new nn.LayerNorm(config.dim, LN_EPS));
    this.ffn = this.registerModule('ffn', new FFN(config));
    this.output_layer_norm = this.registerModule('output_layer_norm', new nn.LayerNorm(config.dim, LN_EPS));
  }
  forward(x: Tensor, masked: Tensor | null): { out: Tensor; probs: Tensor } {
    const a = this.attention.forward(x, masked);
    const sa = this.sa_layer_norm.forward(a.out.add(x));
    return { out: this.output_layer_norm.forward(this.ffn.forward(sa).add(sa)), probs: a.probs };
  }
}

export class DistilTransformer extends nn.Module {
  readonly layer: ModuleList<TransformerBlock>;
  constructor(config: DistilBertConfig) {
    super();
    const layers: TransformerBlock[] = [];
    for (let i = 0; i < config.numHiddenLayers; i++) layers.push(new TransformerBlock(config));
    this.layer = this.registerModule('layer', new ModuleList(layers));
  }
}

/** transformers `DistilBertModel`. */
export class DistilBertModel extends TransformerBody<DistilBertConfig, Tensor | null> {
  readonly className = 'DistilBertModel';
  readonly baseModelPrefix = 'distilbert';
  protected readonly bodyLayout = DISTILBERT_LAYOUT;
  readonly embeddings: DistilEmbeddings;
  readonly transformer: DistilTransformer;
  constructor(config: DistilBertConfig) {
    super(config);
    this.embeddings = this.registerModule('embeddings', new DistilEmbeddings(config));
    this.transformer = this.registerModule('transformer', new DistilTransformer(config));
  }

  override initWeights(only?: ReadonlySet<string>): void {
    super.initWeights(only);
    const name = 'embeddings.position_embeddings.weight';
    if (this.config.sinusoidalPosEmbds && (only === undefined || only.has(name) || only.has('distilbert.' + name))) this.embeddings.setSinusoidal();
  }

  /** sinusoidal_pos_embds: the position table is fixed (transformers sets requires_grad False on it). */
  override fixedParameters(): ReadonlySet<string> {
    return new Set(this.config.sinusoidalPosEmbds ? ['embeddings.position_embeddings.weight'] : []);
  }

  get layers(): readonly TransformerBlock[] {
    return this.transformer.layer.items;
  }
  get embeddingModules(): nn.Module[] {
    return [this.embeddings];
  }
  protected get tokenTypes(): null {
    return null;
  }
  protected override dropoutLayout(): DropoutLayout {
    return DISTILBERT_DROPOUT;
  }
  protected embed(call: PreparedInput): Tensor {
    return this.embeddings.forward(call.ids, call.positionIds);
  }
  /** True where the key is padding: [b, 1, 1, k] (DistilBERT masks with masked_fill, not an additive mask). */
  protected layerMask(mask: Tensor | null, _seqLen: number, _device: Device): Tensor | null {
    return mask === null ? null : mask.eq(0).unsqueeze(1).unsqueeze(1);
  }
}

abstract class DistilHead extends PreTrainedModel<DistilBertConfig> {
  readonly baseModelPrefix = 'distilbert';
  protected readonly bodyLayout = DISTILBERT_LAYOUT;
  readonly distilbert: DistilBertModel;
  constructor(config: DistilBertConfig) {
    super(config);
    this.distilbert = this.registerModule('distilbert', new DistilBertModel(config));
  }
  override initWeights(only?: ReadonlySet<string>): void {
    super.initWeights(only);
    if (this.config.sinusoidalPosEmbds && (only === undefined || only.has('distilbert.embeddings.position_embeddings.weight'))) {
      this.distilbert.embeddings.setSinusoidal();
    }
  }
  override fixedParameters(): ReadonlySet<string> {
    return new Set([...this.distilbert.fixedParameters()].map((n) => `distilbert.${n}`));
  }
  protected override dropoutLayout(): DropoutLayout {
    return DISTILBERT_DROPOUT;
  }
}

/** `DistilBertForSequenceClassification`: h[:, 0] → pre_classifier → ReLU → dropout → classifier. */
export class DistilBertForSequenceClassification extends DistilHead {
  readonly className = 'DistilBertForSequenceClassification';
  readonly pre_classifier: nn.Linear;
  readonly classifier: nn.Linear;
  readonly dropout: nn.Dropout;
  constructor(config: DistilBertConfig) {
    super(config);
    this.pre_classifier = this.registerModule('pre_classifier', new nn.Linear(config.dim, config.dim));
    this.classifier = this.registerModule('classifier', new nn.Linear(config.dim, config.numLabels));
    this.dropout = this.registerModule('dropout', new nn.Dropout(config.seqClassifDropout));
  }
  /** ReLU(pre_classifier(h[:, 0])): the classifier's input before dropout. */
  pooled(hidden: Tensor): Tensor {
    return this.pre_classifier.forward(hidden.select(1, 0)).relu();
  }
  /** The classifier's logits on the body's output. */
  private logitsOf(base: BaseModelOutput): Tensor {
    return this.classifier.forward(this.dropout.forward(this.pooled(base.lastHiddenState)));
  }
  forward(input: ForwardInput): ModelOutput {
    return forwardHead(this, this.distilbert, input, (base) => this.logitsOf(base));
  }
  override loss(logits: Tensor, labels: TensorLike, opts?: LossOptions): Tensor {
    return sequenceClassificationLoss(this.config, logits, labels, opts);
  }
  override splitAt(k: number): ModelSplit {
    return classifierSplit(this, this.distilbert, k, { logits: (base) => this.logitsOf(base) });
  }
}

/** `DistilBertForTokenClassification`: dropout(config.dropout) → classifier per token. */
export class DistilBertForTokenClassification extends DistilHead {
  readonly className = 'DistilBertForTokenClassification';
  readonly dropout: nn.Dropout;
  readonly classifier: nn.Linear;
  constructor(config: DistilBertConfig) {
    super(config);
    this.dropout = this.registerModule('dropout', new nn.Dropout(config.dropout));
    this.classifier = this.registerModule('classifier', new nn.Linear(config.dim, config.numLabels));
  }
  forward(input: ForwardInput): ModelOutput {
    return forwardHead(this, this.distilbert, input, (base) => this.classifier.forward(this.dropout.forward(base.lastHiddenState)));
  }
  override loss(logits: Tensor, labels: TensorLike, opts?: LossOptions): Tensor {
    return tokenLoss(logits, labels, opts);
  }
}

/** `DistilBertForQuestionAnswering`: dropout(qa_dropout) → qa_outputs Linear(dim, 2) per token, split into start and end logits. */
export class DistilBertForQuestionAnswering extends DistilHead {
  readonly className = 'DistilBertForQuestionAnswering';
  readonly qa_outputs: nn.Linear;
  readonly dropout: nn.Dropout;
  constructor(config: DistilBertConfig) {
    checkSpanLabels(config);
    super(config);
    this.qa_outputs = this.registerModule('qa_outputs', new nn.Linear(config.dim, config.numLabels));
    this.dropout = this.registerModule('dropout', new nn.Dropout(config.qaDropout));
  }
  forward(input: QuestionAnsweringInput): QuestionAnsweringOutput {
    return forwardQuestionAnswering(this.distilbert, input, (h) => this.qa_outputs.forward(this.dropout.forward(h)));
  }
  override loss(logits: Tensor, labels: TensorLike, opts?: LossOptions): Tensor {
    return spanLoss(logits, labels, opts);
  }
  /** The head's dropout is `qa_dropout`, not the classifiers' `seq_classif_dropout`. */
  protected override dropoutLayout(): DropoutLayout {
    return { ...DISTILBERT_DROPOUT, classifier: 'qa_dropout' };
  }
}

/** `DistilBertForMaskedLM`: vocab_transform → act → vocab_layer_norm → vocab_projector (tied weight, own bias). */
export class DistilBertForMaskedLM extends DistilHead {
  readonly className = 'DistilBertForMaskedLM';
  readonly vocab_transform: nn.Linear;
  readonly vocab_layer_norm: nn.LayerNorm;
  readonly vocab_projector: VocabProjector;
  private readonly act: (x: Tensor) => Tensor;
  constructor(config: DistilBertConfig) {
    super(config);
    this.act = activation(config.activation);
    this.vocab_transform = this.registerModule('vocab_transform', new nn.Linear(config.dim, config.dim));
    this.vocab_layer_norm = this.registerModule('vocab_layer_norm', new nn.LayerNorm(config.dim, LN_EPS));
    this.vocab_projector = this.registerModule('vocab_projector', new VocabProjector(config.vocabSize, config.dim, !config.tieWordEmbeddings));
  }
  protected override tiedCheckpointKeys(): string[] {
    return this.config.tieWordEmbeddings ? ['vocab_projector.weight'] : [];
  }
  override initWeights(only?: ReadonlySet<string>): void {
    super.initWeights(only);
    const w = this.vocab_projector.weight;
    if (w !== null && (only === undefined || only.has('vocab_projector.weight'))) nn.init.normal_(w, 0, this.config.initializerRange);
  }
  private vocabularyLogits(hidden: Tensor): Tensor {
    const h = this.vocab_layer_norm.forward(this.act(this.vocab_transform.forward(hidden)));
    return F.linear(h, this.vocab_projector.weight ?? this.distilbert.embeddings.word_embeddings.weight, this.vocab_projector.bias);
  }
  forward(input: ForwardInput): ModelOutput {
    return forwardHead(this, this.distilbert, input, (base) => this.vocabularyLogits(base.lastHiddenState));
  }
  override loss(logits: Tensor, labels: TensorLike, opts?: LossOptions): Tensor {
    return tokenLoss(logits, labels, opts);
  }
  /** The loss with the head run only at the masked positions (see maskedPositionsLoss): what pretraining uses. */
  maskedLmLoss(input: ForwardInput, positions: Tensor, targets: Tensor): { loss: Tensor; logits: Tensor } {
    return maskedPositionsLoss(this.distilbert, input, positions, targets, (h) => this.vocabularyLogits(h));
  }
}

/** `vocab_projector`: its weight is the word embedding matrix when tied, so only the bias is its own. */
export class VocabProjector extends nn.Module {
  weight: Tensor | null;
  bias: Tensor;
  constructor(vocab: number, dim: number, ownWeight: boolean) {
    super();
    this.weight = ownWeight ? this.registerParameter('weight', torch.zeros([vocab, dim])) : null;
    this.bias = this.registerParameter('bias', torch.zeros([vocab]))!;
  }
}
