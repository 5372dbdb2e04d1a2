/**
 * GPT-2 (transformers `modeling_gpt2.py`): pre-LayerNorm blocks, `Conv1D` weights stored [in, out],
 * causal attention combined with the padding mask, ln_f, and `GPT2LMHeadModel` whose `lm_head` is the
 * token embedding matrix (tied: no separate parameter, the wte gradient sums both uses).
 */
import * as torch from '../../torch/index.js';
import { nn, F } from '../../torch/index.js';
import type { Tensor, TensorLike, Device } from '../../torch/index.js';
import { LenguaError } from '../../errors.js';
import type { GPT2Config } from './configuration.js';
import { activation } from '../modeling/activations.js';
import { defaultPositionIds, type PreparedInput } from '../modeling/inputs.js';
import { causalAttentionMask } from '../modeling/masks.js';
import { Conv1D, ModuleList, type TransformerLayer } from '../modeling/layers.js';
import type { InitOptions } from '../modeling/init.js';
import { causalLmLoss, type LossOptions } from '../modeling/losses.js';
import type { BaseModelOutput, ForwardInput, ModelOutput } from '../modeling/outputs.js';
import { forwardHead, TransformerBody } from '../modeling/body.js';
import { PreTrainedModel, type BodyLayout, type DropoutLayout } from '../pretrained.js';

export const GPT2_LAYOUT: BodyLayout = { embeddings: ['wte.', 'wpe.'], layers: 'h.' };
export const GPT2_DROPOUT: DropoutLayout = { hidden: 'resid_pdrop', attention: 'attn_pdrop', classifier: null, attentionModules: /attn\.attn_dropout$/ };

export class GPT2Attention extends nn.Module {
  readonly c_attn: Conv1D;
  readonly c_proj: Conv1D;
  readonly attn_dropout: nn.Dropout;
  readonly resid_dropout: nn.Dropout;
  private readonly heads: number;
  private readonly headDim: number;
  private readonly scale: number;
  constructor(config: GPT2Config, layerIdx: number) {
    super();
    const e = config.nEmbd;
    this.heads = config.numAttentionHeads;
    this.headDim = e / this.heads;
    this.c_attn = this.registerModule('c_attn', new Conv1D(3 * e, e));
    this.c_proj = this.registerModule('c_proj', new Conv1D(e, e));
    this.attn_dropout = this.registerModule('attn_dropout', new nn.Dropout(config.attnPdrop));
    this.resid_dropout = this.registerModule('resid_dropout', new nn.Dropout(config.residPdrop));
    let scale = 1;
    if (config.scaleAttnWeights) scale *= Math.sqrt(this.headDim);
    if (config.scaleAttnByInverseLayerIdx) scale *= layerIdx + 1;
    this.scale = scale;
  }
  private split(x: Tensor, b: number, s: number): Tensor {
    return x.view([b, s, this.heads, this.headDim]).permute([0, 2, 1, 3]);
  }
  forward(x: Tensor, mask: Tensor): { out: Tensor; probs: Tensor } {
    const [b, s, e] = x.shape as [number, number, number];
    const [q, k, v] = torch.split(this.c_attn.forward(x), e, 2) as [Tensor, Tensor, Tensor];
    let w = this.split(q, b, s).matmul(this.split(k, b, s).transpose(-1, -2));
    if (this.scale !== 1) w = w.div(this.scale);
    const probs = w.add(mask).softmax(-1);
    const ctx = this.attn_dropout.forward(probs).matmul(this.split(v, b, s)).permute([0, 2, 1, 3]).reshape([b, s, e]);
    return { out: this.resid_dropout.forward(this.c_proj.forward(ctx)), probs };
  }
}

export class GPT2MLP extends nn.Module {
  readonly c_fc: Conv1D;
  readonly c_proj: Conv1D;
  readonly dropout: nn.Dropout;
  private readonly act: (x: Tensor) => Tensor;
  constructor(config: GPT2Config) {
    super();
    this.c_fc = this.registerModule('c_fc', new Conv1D(config.nInner, config.nEmbd));
    this.c_proj = this.registerModule('c_proj', new Conv1D(config.nEmbd, config.nInner));
    this.act = activation(config.activationFunction);
    this.dropout = this.registerModule('dropout', new nn.Dropout(config.residPdrop));
  }
  forward(x: Tensor): Tensor {
    return this.dropout.forward(this.c_proj.forward(this.act(this.c_fc.forward(x))));
  }
}

export class GPT2Block extends nn.Module implements TransformerLayer<Tensor> {
  readonly ln_1: nn.LayerNorm;
  readonly attn: GPT2Attention;
  readonly ln_2: nn.LayerNorm;
  readonly mlp: GPT2MLP;
  constructor(config: GPT2Config, layerIdx: number) {
    super();
    this.ln_1 = this.registerModule('ln_1', new nn.LayerNorm(config.nEmbd, config.layerNormEpsilon));
    this.attn = this.registerModule('attn', new GPT2Attention(config, layerIdx));
    this.ln_2 = this.registerModule('ln_2', new nn.LayerNorm(config.nEmbd, config.layerNormEpsilon));
    this.mlp = this.registerModule('mlp', new GPT2MLP(config));
  }
  forward(x: Tensor, mask: Tensor): { out: Tensor; probs: Tensor } {
    const a = this.attn.forward(this.ln_1.forward(x), mask);
    const h = a.out.add(x);
    return { out: this.mlp.forward(this.ln_2.forward(h)).add(h), probs: a.probs };
  }
}

/** transformers `GPT2Model`. */
export class GPT2Model extends TransformerBody<GPT2Config, Tensor> {
  readonly className = 'GPT2Model';
  readonly baseModelPrefix = 'transformer';
  protected readonly bodyLayout = GPT2_LAYOUT;
  readonly wte: nn.Embedding;
  readonly wpe: nn.Embedding;
  readonly drop: nn.Dropout;
  readonly h: ModuleList<GPT2Block>;
  readonly ln_f: nn.LayerNorm;
  constructor(config: GPT2Config) {
    super(config);
    this.wte = this.registerModule('wte', new nn.Embedding(config.vocabSize, config.nEmbd));
    this.wpe = this.registerModule('wpe', new nn.Embedding(config.maxPositionEmbeddings, config.nEmbd));
    this.drop = this.registerModule('drop', new nn.Dropout(config.embdPdrop));
    const blocks: GPT2Block[] = [];
    for (let i = 0; i < config.numHiddenLayers; i++) blocks.push(new GPT2Block(config, i));
    this.h = this.registerModule('h', new ModuleList(blocks));
    this.ln_f = this.registerModule('ln_f', new nn.LayerNorm(config.nEmbd, config.layerNormEpsilon));
  }

  protected override initOptions(): InitOptions {
    return gpt2InitOptions(this.config);
  }
  get layers(): readonly GPT2Block[] {
    return this.h.items;
  }
  get embeddingModules(): nn.Module[] {
    return [this.wte, this.wpe, this.drop];
  }
  /** GPT-2 embeds token types with the token embedding matrix (transformers does the same). */
  protected get tokenTypes(): number {
    return this.config.vocabSize;
  }
  protected override dropoutLayout(): DropoutLayout {
    return GPT2_DROPOUT;
  }
  protected embed(call: PreparedInput): Tensor {
    const [b, s] = call.ids.shape as [number, number];
    const maxPos = this.config.maxPositionEmbeddings;
    if (call.positionIds === null && s > maxPos) throw new LenguaError(`sequence length ${s} exceeds n_positions ${maxPos}`, { field: 'input_ids' });
    const pos = call.positionIds ?? defaultPositionIds(b, s, call.ids.device);
    let h = this.wte.forward(call.ids).add(this.wpe.forward(pos));
    if (call.tokenTypeIds !== null) h = h.add(this.wte.forward(call.tokenTypeIds));
    return this.drop.forward(h);
  }
  protected layerMask(mask: Tensor | null, seqLen: number, device: Device): Tensor {
    return causalAttentionMask(seqLen, device, mask);
  }
  /** ln_f; like transformers, the last hidden state reported is after ln_f (it replaces the last block's output). */
  protected override finish(h: Tensor, hiddenStates?: Tensor[]): BaseModelOutput {
    const out = this.ln_f.forward(h);
    if (hiddenStates !== undefined) hiddenStates[hiddenStates.length - 1] = out;
    return { lastHiddenState: out };
  }
}

function gpt2InitOptions(config: GPT2Config): InitOptions {
  return { std: config.initializerRange, scaledResidual: { nLayer: config.numHiddenLayers } };
}

/** transformers `GPT2LMHeadModel`: logits = h · wteᵀ (tied), causal LM loss on shifted labels. */
export class GPT2LMHeadModel extends PreTrainedModel<GPT2Config> {
  readonly className = 'GPT2LMHeadModel';
  readonly baseModelPrefix = 'transformer';
  protected readonly bodyLayout = GPT2_LAYOUT;
  readonly transformer: GPT2Model;
  /** Only when tie_word_embeddings is false. */
  readonly lm_head: nn.Linear | null;
  constructor(config: GPT2Config) {
    super(config);
    this.transformer = this.registerModule('transformer', new GPT2Model(config));
    this.lm_head = config.tieWordEmbeddings ? null : this.registerModule('lm_head', new nn.Linear(config.nEmbd, config.vocabSize, false));
  }
  protected override initOptions(): InitOptions {
    return gpt2InitOptions(this.config);
  }
  protected override tiedCheckpointKeys(): string[] {
    return this.config.tieWordEmbeddings ? ['lm_head.weight'] : [];
  }
  protected override dropoutLayout(): DropoutLayout {
    return GPT2_DROPOUT;
  }
  forward(input: ForwardInput): ModelOutput {
    return forwardHead(this, this.transformer, input, (base) => F.linear(base.lastHiddenState, this.lm_head === null ? this.transformer.wte.weight : this.lm_head.weight));
  }
  override loss(logits: Tensor, labels: TensorLike, opts?: LossOptions): Tensor {
    return causalLmLoss(logits, labels, opts);
  }
}
