/**
 * BERT and RoBERTa (transformers `modeling_bert.py` / `modeling_roberta.py`). RoBERTa is BERT with
 * padding-aware positions (`cumsum(ids != pad) * (ids != pad) + pad`, position padding_idx = pad) and
 * its own heads. Module and parameter names equal the transformers classes' so checkpoints, saved
 * files and gradients line up by name.
 */
import * as torch from '../torch/index.js';
import { nn, F } from '../torch/index.js';
import type { Tensor, TensorLike } from '../torch/index.js';
import { LenguaError } from '../errors.js';
import type { BertConfig, RobertaConfig } from '../hub/config.js';
import {
  activation, asIds, asTensor, checkIdRange, checkSameShape, extendedAttentionMask, ModuleList, runLayer,
  sequenceClassificationLoss, tokenLoss,
} from './common.js';
import type { BaseModelOutput, ForwardInput, ModelOutput } from './common.js';
import { PreTrainedModel } from './pretrained.js';

type EncoderConfig = BertConfig | RobertaConfig;

/** RoBERTa's position ids: pads get `pad`, real tokens count up from pad + 1. */
export function robertaPositionIds(ids: Tensor, pad: number): Tensor {
  const mask = ids.ne(pad).to('int64');
  return mask.cumsum(1).mul(mask).add(pad);
}

export class BertEmbeddings extends nn.Module {
  readonly word_embeddings: nn.Embedding;
  readonly position_embeddings: nn.Embedding;
  readonly token_type_embeddings: nn.Embedding;
  readonly LayerNorm: nn.LayerNorm;
  readonly dropout: nn.Dropout;
  private readonly roberta: boolean;

  constructor(private readonly config: EncoderConfig) {
    super();
    this.roberta = config.modelType === 'roberta';
    const pad = config.padTokenId ?? undefined;
    const h = config.hiddenSize;
    this.word_embeddings = this.registerModule('word_embeddings', new nn.Embedding(config.vocabSize, h, pad));
    this.position_embeddings = this.registerModule(
      'position_embeddings',
      new nn.Embedding(config.maxPositionEmbeddings, h, this.roberta ? pad : undefined),
    );
    this.token_type_embeddings = this.registerModule('token_type_embeddings', new nn.Embedding(config.typeVocabSize, h));
    this.LayerNorm = this.registerModule('LayerNorm', new nn.LayerNorm(h, config.layerNormEps));
    this.dropout = this.registerModule('dropout', new nn.Dropout(config.hiddenDropoutProb));
  }

  forward(ids: Tensor, tokenTypeIds: Tensor | null, positionIds: Tensor | null): Tensor {
    const [b, s] = ids.shape as [number, number];
    const maxPos = this.config.maxPositionEmbeddings;
    let pos = positionIds;
    if (pos === null) {
      if (this.roberta) {
        const pad = this.config.padTokenId!;
        if (s + pad + 1 > maxPos) {
          throw new LenguaError(`sequence length ${s} exceeds what max_position_embeddings ${maxPos} allows (${maxPos - pad - 1})`, { field: 'input_ids' });
        }
        pos = robertaPositionIds(ids, pad);
      } else {
        if (s > maxPos) throw new LenguaError(`sequence length ${s} exceeds max_position_embeddings ${maxPos}`, { field: 'input_ids' });
        pos = torch.arange(0, s, 1, { dtype: 'int64', device: ids.device }).unsqueeze(0).expand([b, s]);
      }
    } else {
      checkIdRange(pos, maxPos, 'position_ids');
    }
    let x = this.word_embeddings.forward(ids);
    x = x.add(this.position_embeddings.forward(pos));
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

  constructor(config: EncoderConfig) {
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
  constructor(config: EncoderConfig, inFeatures: number) {
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
  constructor(config: EncoderConfig) {
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
  constructor(config: EncoderConfig) {
    super();
    this.dense = this.registerModule('dense', new nn.Linear(config.hiddenSize, config.intermediateSize));
    this.act = activation(config.hiddenAct);
  }
  forward(x: Tensor): Tensor {
    return this.act(this.dense.forward(x));
  }
}

export class BertLayer extends nn.Module {
  readonly attention: BertAttention;
  readonly intermediate: BertIntermediate;
  readonly output: BertResidualOutput;
  constructor(config: EncoderConfig) {
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
  constructor(config: EncoderConfig) {
    super();
    const layers: BertLayer[] = [];
    for (let i = 0; i < config.numHiddenLayers; i++) layers.push(new BertLayer(config));
    this.layer = this.registerModule('layer', new ModuleList(layers));
  }
}

export class BertPooler extends nn.Module {
  readonly dense: nn.Linear;
  constructor(config: EncoderConfig) {
    super();
    this.dense = this.registerModule('dense', new nn.Linear(config.hiddenSize, config.hiddenSize));
  }
  forward(hidden: Tensor): Tensor {
    return this.dense.forward(hidden.select(1, 0)).tanh();
  }
}

/** Options every encoder forward understands beyond the tensors. */
interface EncoderCall {
  ids: Tensor;
  mask: Tensor | null;
  tokenTypeIds: Tensor | null;
  positionIds: Tensor | null;
  outputHiddenStates: boolean;
  outputAttentions: boolean;
}

/** transformers `BertModel` (also the body of every BERT head; `RobertaModel` with model_type roberta). */
export class BertModel extends PreTrainedModel<EncoderConfig> {
  readonly className: string;
  readonly baseModelPrefix: string;
  readonly embeddings: BertEmbeddings;
  readonly encoder: BertEncoder;
  readonly pooler: BertPooler | null;

  constructor(config: EncoderConfig, opts: { addPoolingLayer?: boolean } = {}) {
    super(config);
    const roberta = config.modelType === 'roberta';
    this.className = roberta ? 'RobertaModel' : 'BertModel';
    this.baseModelPrefix = roberta ? 'roberta' : 'bert';
    this.embeddings = this.registerModule('embeddings', new BertEmbeddings(config));
    this.encoder = this.registerModule('encoder', new BertEncoder(config));
    this.pooler = opts.addPoolingLayer === false ? null : this.registerModule('pooler', new BertPooler(config));
  }

  /** Checks and converts the user's inputs once (shared by every head). */
  prepare(input: ForwardInput): EncoderCall {
    const device = this.device;
    const ids = asIds(input.inputIds, device, 'input_ids');
    checkIdRange(ids, this.config.vocabSize, 'input_ids');
    const mask = input.attentionMask == null ? null : asTensor(input.attentionMask, 'int64', device, 'attention_mask');
    if (mask !== null) checkSameShape(mask, ids.shape, 'attention_mask');
    const tt = input.tokenTypeIds == null ? null : asIds(input.tokenTypeIds, device, 'token_type_ids');
    if (tt !== null) {
      checkSameShape(tt, ids.shape, 'token_type_ids');
      checkIdRange(tt, this.config.typeVocabSize, 'token_type_ids');
    }
    const pos = input.positionIds == null ? null : asIds(input.positionIds, device, 'position_ids');
    if (pos !== null) checkSameShape(pos, ids.shape, 'position_ids');
    return {
      ids, mask, tokenTypeIds: tt, positionIds: pos,
      outputHiddenStates: input.outputHiddenStates ?? this.config.outputHiddenStates,
      outputAttentions: input.outputAttentions ?? this.config.outputAttentions,
    };
  }

  run(call: EncoderCall): BaseModelOutput {
    const ext = call.mask === null ? null : extendedAttentionMask(call.mask);
    let h = this.embeddings.forward(call.ids, call.tokenTypeIds, call.positionIds);
    const hiddenStates: Tensor[] = [];
    const attentions: Tensor[] = [];
    for (const layer of this.encoder.layer.items) {
      if (call.outputHiddenStates) hiddenStates.push(h);
      const r = runLayer(() => layer.forward(h, ext), call.outputAttentions);
      if (!call.outputHiddenStates) h.dispose();
      h = r.out;
      if (r.probs) attentions.push(r.probs);
    }
    if (call.outputHiddenStates) hiddenStates.push(h);
    const out: BaseModelOutput = { lastHiddenState: h };
    if (this.pooler !== null) out.poolerOutput = this.pooler.forward(h);
    if (call.outputHiddenStates) out.hiddenStates = hiddenStates;
    if (call.outputAttentions) out.attentions = attentions;
    return out;
  }

  forward(input: ForwardInput): BaseModelOutput {
    return torch.tidy(() => this.run(this.prepare(input)));
  }

  /**
   * The frozen bottom for a frozen-layer cache: embeddings then encoder layers 0..k-1, [b, s, h].
   * Runs in whatever mode the modules are in (the cache puts them in eval mode).
   */
  encodeTo(call: EncoderCall, k: number): Tensor {
    checkLayerIndex(k, this.encoder.layer.items.length);
    const ext = call.mask === null ? null : extendedAttentionMask(call.mask);
    let h = this.embeddings.forward(call.ids, call.tokenTypeIds, call.positionIds);
    for (const layer of this.encoder.layer.items.slice(0, k)) {
      const r = runLayer(() => layer.forward(h, ext), false);
      h.dispose();
      h = r.out;
    }
    return h;
  }

  /** The trainable top: encoder layers k.. (and the pooler) on hidden states from encodeTo. `hidden` is not disposed. */
  runFrom(k: number, hidden: Tensor, mask: Tensor | null): BaseModelOutput {
    checkLayerIndex(k, this.encoder.layer.items.length);
    const ext = mask === null ? null : extendedAttentionMask(mask);
    let h = hidden;
    for (const layer of this.encoder.layer.items.slice(k)) {
      const r = runLayer(() => layer.forward(h, ext), false);
      if (h !== hidden) h.dispose();
      h = r.out;
    }
    const out: BaseModelOutput = { lastHiddenState: h };
    if (this.pooler !== null) out.poolerOutput = this.pooler.forward(h);
    return out;
  }
}

function checkLayerIndex(k: number, layers: number): void {
  if (!Number.isInteger(k) || k < 0 || k > layers) throw new LenguaError(`layer index must be an integer in [0, ${layers}], got ${k}`, { field: 'k' });
}

function withExtras(out: ModelOutput, base: BaseModelOutput): ModelOutput {
  if (base.hiddenStates) out.hiddenStates = base.hiddenStates;
  if (base.attentions) out.attentions = base.attentions;
  return out;
}

/** Base class of the BERT / RoBERTa heads: holds the body under `bert` or `roberta`. */
abstract class EncoderHead extends PreTrainedModel<EncoderConfig> {
  readonly baseModelPrefix: string;
  readonly body: BertModel;
  constructor(config: EncoderConfig, addPoolingLayer: boolean) {
    super(config);
    this.baseModelPrefix = config.modelType === 'roberta' ? 'roberta' : 'bert';
    this.body = this.registerModule(this.baseModelPrefix, new BertModel(config, { addPoolingLayer }));
  }
  protected get isRoberta(): boolean {
    return this.config.modelType === 'roberta';
  }
}

/** RoBERTa's head: dense → tanh → out_proj on `<s>`, dropout before each projection. */
export class RobertaClassificationHead extends nn.Module {
  readonly dense: nn.Linear;
  readonly out_proj: nn.Linear;
  readonly dropout: nn.Dropout;
  constructor(config: EncoderConfig) {
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

/**
 * `BertForSequenceClassification` (pooler → dropout → classifier) and
 * `RobertaForSequenceClassification` (no pooler; RobertaClassificationHead).
 */
export class BertForSequenceClassification extends EncoderHead {
  readonly className: string;
  readonly dropout: nn.Dropout | null;
  readonly classifier: nn.Linear | RobertaClassificationHead;

  constructor(config: EncoderConfig) {
    super(config, config.modelType !== 'roberta');
    this.className = this.isRoberta ? 'RobertaForSequenceClassification' : 'BertForSequenceClassification';
    if (this.isRoberta) {
      this.dropout = null;
      this.classifier = this.registerModule('classifier', new RobertaClassificationHead(config));
    } else {
      this.dropout = this.registerModule('dropout', new nn.Dropout(config.classifierDropout ?? config.hiddenDropoutProb));
      this.classifier = this.registerModule('classifier', new nn.Linear(config.hiddenSize, config.numLabels));
    }
  }

  forward(input: ForwardInput): ModelOutput {
    return torch.tidy(() => {
      const base = this.body.run(this.body.prepare(input));
      return withExtras(this.head(base, input.labels), base);
    });
  }

  /** The classification head and its loss on the encoder's output (RoBERTa: <s> state; BERT: pooler). */
  private head(base: BaseModelOutput, labels: TensorLike | null | undefined): ModelOutput {
    let logits: Tensor;
    if (this.classifier instanceof RobertaClassificationHead) logits = this.classifier.forward(base.lastHiddenState);
    else logits = this.classifier.forward(this.dropout!.forward(base.poolerOutput!));
    const out: ModelOutput = { logits };
    if (labels != null) out.loss = sequenceClassificationLoss(this.config, logits, labels);
    return out;
  }

  // --- The frozen bottom once, the trainable top many times (frozen-layer cache, src/train/frozen-cache.ts).

  /** Hidden states after the embeddings and encoder layers 0..k-1: [b, s, h]. */
  encodeFrozen(input: ForwardInput, k: number): Tensor {
    return torch.tidy(() => this.body.encodeTo(this.body.prepare(input), k));
  }

  /** Layers k.. + the head on hidden states from encodeFrozen (same padding as attentionMask). Equals forward() when the bottom ran in the same mode. */
  forwardFromLayer(k: number, hidden: Tensor, attentionMask: TensorLike | null, labels?: TensorLike | null): ModelOutput {
    return torch.tidy(() => {
      const mask = attentionMask == null ? null : asTensor(attentionMask, 'int64', this.device, 'attention_mask');
      if (mask !== null) checkSameShape(mask, hidden.shape.slice(0, 2), 'attention_mask');
      return this.head(this.body.runFrom(k, hidden, mask), labels);
    });
  }

  /** BERT's pooler output [b, h] from the last hidden state (the smallest thing the head needs when the pooler is frozen). */
  pooledFromHidden(lastHidden: Tensor): Tensor {
    if (this.body.pooler === null) throw new LenguaError(`${this.className} has no pooler`);
    return this.body.pooler.forward(lastHidden);
  }

  /** dropout → classifier on a pooler output (BERT only). */
  forwardFromPooled(pooled: Tensor, labels?: TensorLike | null): ModelOutput {
    if (this.dropout === null || this.classifier instanceof RobertaClassificationHead) throw new LenguaError(`${this.className} has no pooled head`);
    const linear = this.classifier;
    return torch.tidy(() => {
      const logits = linear.forward(this.dropout!.forward(pooled));
      const out: ModelOutput = { logits };
      if (labels != null) out.loss = sequenceClassificationLoss(this.config, logits, labels);
      return out;
    });
  }
}

/** `BertForTokenClassification` / `RobertaForTokenClassification`: dropout → classifier per token. */
export class BertForTokenClassification extends EncoderHead {
  readonly className: string;
  readonly dropout: nn.Dropout;
  readonly classifier: nn.Linear;
  constructor(config: EncoderConfig) {
    super(config, false);
    this.className = this.isRoberta ? 'RobertaForTokenClassification' : 'BertForTokenClassification';
    this.dropout = this.registerModule('dropout', new nn.Dropout(config.classifierDropout ?? config.hiddenDropoutProb));
    this.classifier = this.registerModule('classifier', new nn.Linear(config.hiddenSize, config.numLabels));
  }
  forward(input: ForwardInput): ModelOutput {
    return torch.tidy(() => {
      const base = this.body.run(this.body.prepare(input));
      const logits = this.classifier.forward(this.dropout.forward(base.lastHiddenState));
      const out: ModelOutput = { logits };
      if (input.labels != null) out.loss = tokenLoss(logits, input.labels);
      return withExtras(out, base);
    });
  }
}

/** BERT's `cls.predictions.transform`: dense → act → LayerNorm. */
export class BertPredictionHeadTransform extends nn.Module {
  readonly dense: nn.Linear;
  readonly LayerNorm: nn.LayerNorm;
  private readonly act: (x: Tensor) => Tensor;
  constructor(config: EncoderConfig) {
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
  constructor(config: EncoderConfig, private readonly embeddings: nn.Embedding) {
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
  constructor(config: EncoderConfig, embeddings: nn.Embedding) {
    super();
    this.predictions = this.registerModule('predictions', new BertLMPredictionHead(config, embeddings));
  }
}

/** RoBERTa's `lm_head`: dense → gelu → layer_norm → decoder (tied) + bias. */
export class RobertaLMHead extends nn.Module {
  readonly dense: nn.Linear;
  readonly layer_norm: nn.LayerNorm;
  readonly decoder: nn.Linear | null;
  readonly bias: Tensor;
  constructor(config: EncoderConfig, private readonly embeddings: nn.Embedding) {
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

/** `BertForMaskedLM` (`cls.predictions.*`) / `RobertaForMaskedLM` (`lm_head.*`). */
export class BertForMaskedLM extends EncoderHead {
  readonly className: string;
  readonly cls: BertOnlyMLMHead | null;
  readonly lm_head: RobertaLMHead | null;
  constructor(config: EncoderConfig) {
    super(config, false);
    this.className = this.isRoberta ? 'RobertaForMaskedLM' : 'BertForMaskedLM';
    const emb = this.body.embeddings.word_embeddings;
    if (this.isRoberta) {
      this.cls = null;
      this.lm_head = this.registerModule('lm_head', new RobertaLMHead(config, emb));
    } else {
      this.lm_head = null;
      this.cls = this.registerModule('cls', new BertOnlyMLMHead(config, emb));
    }
  }
  protected override tiedCheckpointKeys(): string[] {
    if (!this.config.tieWordEmbeddings) return [];
    return this.isRoberta ? ['lm_head.decoder.weight'] : ['cls.predictions.decoder.weight'];
  }
  protected override checkpointAliases(): Record<string, string> {
    return this.isRoberta ? { 'lm_head.decoder.bias': 'lm_head.bias' } : { 'cls.predictions.decoder.bias': 'cls.predictions.bias' };
  }
  forward(input: ForwardInput): ModelOutput {
    return torch.tidy(() => {
      const base = this.body.run(this.body.prepare(input));
      const h = base.lastHiddenState;
      const logits = this.lm_head !== null ? this.lm_head.forward(h) : this.cls!.predictions.forward(h);
      const out: ModelOutput = { logits };
      if (input.labels != null) out.loss = tokenLoss(logits, input.labels);
      return withExtras(out, base);
    });
  }
}
