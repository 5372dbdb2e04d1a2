/**
 * GPT-2 (transformers `modeling_gpt2.py`): pre-LayerNorm blocks, `Conv1D` weights stored [in, out],
 * causal attention combined with the padding mask, ln_f, and `GPT2LMHeadModel` whose `lm_head` is the
 * token embedding matrix (tied: no separate parameter, the wte gradient sums both uses).
 */
import * as torch from '../torch/index.js';
import { nn, F } from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { LenguaError } from '../errors.js';
import type { GPT2Config } from '../hub/config.js';
import {
  activation, asIds, asTensor, causalAttentionMask, causalLmLoss, checkIdRange, checkSameShape, Conv1D, ModuleList, runLayer,
} from './common.js';
import type { BaseModelOutput, ForwardInput, InitOptions, ModelOutput } from './common.js';
import { PreTrainedModel } from './pretrained.js';

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

export class GPT2Block extends nn.Module {
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

interface GPT2Call {
  ids: Tensor;
  mask: Tensor | null;
  tokenTypeIds: Tensor | null;
  positionIds: Tensor | null;
  outputHiddenStates: boolean;
  outputAttentions: boolean;
}

/** transformers `GPT2Model`. */
export class GPT2Model extends PreTrainedModel<GPT2Config> {
  readonly className = 'GPT2Model';
  readonly baseModelPrefix = 'transformer';
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
    return { std: this.config.initializerRange, scaledResidual: { nLayer: this.config.numHiddenLayers } };
  }

  prepare(input: ForwardInput): GPT2Call {
    const device = this.device;
    const ids = asIds(input.inputIds, device, 'input_ids');
    checkIdRange(ids, this.config.vocabSize, 'input_ids');
    const mask = input.attentionMask == null ? null : asTensor(input.attentionMask, 'int64', device, 'attention_mask');
    if (mask !== null) checkSameShape(mask, ids.shape, 'attention_mask');
    const tt = input.tokenTypeIds == null ? null : asIds(input.tokenTypeIds, device, 'token_type_ids');
    if (tt !== null) {
      checkSameShape(tt, ids.shape, 'token_type_ids');
      checkIdRange(tt, this.config.vocabSize, 'token_type_ids');
    }
    const pos = input.positionIds == null ? null : asIds(input.positionIds, device, 'position_ids');
    if (pos !== null) {
      checkSameShape(pos, ids.shape, 'position_ids');
      checkIdRange(pos, this.config.maxPositionEmbeddings, 'position_ids');
    }
    return {
      ids, mask, tokenTypeIds: tt, positionIds: pos,
      outputHiddenStates: input.outputHiddenStates ?? this.config.outputHiddenStates,
      outputAttentions: input.outputAttentions ?? this.config.outputAttentions,
    };
  }

  run(call: GPT2Call): BaseModelOutput {
    const [b, s] = call.ids.shape as [number, number];
    const maxPos = this.config.maxPositionEmbeddings;
    if (call.positionIds === null && s > maxPos) {
      throw new LenguaError(`sequence length ${s} exceeds n_positions ${maxPos}`, { field: 'input_ids' });
    }
    const pos = call.positionIds ?? torch.arange(0, s, 1, { dtype: 'int64', device: call.ids.device }).unsqueeze(0).expand([b, s]);
    let h = this.wte.forward(call.ids).add(this.wpe.forward(pos));
    // GPT-2 embeds token types with the token embedding matrix (transformers does the same).
    if (call.tokenTypeIds !== null) h = h.add(this.wte.forward(call.tokenTypeIds));
    h = this.drop.forward(h);
    const mask = causalAttentionMask(s, call.ids.device, call.mask);
    const hiddenStates: Tensor[] = [];
    const attentions: Tensor[] = [];
    for (const block of this.h.items) {
      if (call.outputHiddenStates) hiddenStates.push(h);
      const r = runLayer(() => block.forward(h, mask), call.outputAttentions);
      if (!call.outputHiddenStates) h.dispose();
      h = r.out;
      if (r.probs) attentions.push(r.probs);
    }
    h = this.ln_f.forward(h);
    if (call.outputHiddenStates) hiddenStates.push(h);
    const out: BaseModelOutput = { lastHiddenState: h };
    if (call.outputHiddenStates) out.hiddenStates = hiddenStates;
    if (call.outputAttentions) out.attentions = attentions;
    return out;
  }

  forward(input: ForwardInput): BaseModelOutput {
    return torch.tidy(() => this.run(this.prepare(input)));
  }
}

/** transformers `GPT2LMHeadModel`: logits = h · wteᵀ (tied), causal LM loss on shifted labels. */
export class GPT2LMHeadModel extends PreTrainedModel<GPT2Config> {
  readonly className = 'GPT2LMHeadModel';
  readonly baseModelPrefix = 'transformer';
  readonly transformer: GPT2Model;
  /** Only when tie_word_embeddings is false. */
  readonly lm_head: nn.Linear | null;
  constructor(config: GPT2Config) {
    super(config);
    this.transformer = this.registerModule('transformer', new GPT2Model(config));
    this.lm_head = config.tieWordEmbeddings ? null : this.registerModule('lm_head', new nn.Linear(config.nEmbd, config.vocabSize, false));
  }
  protected override initOptions(): InitOptions {
    return { std: this.config.initializerRange, scaledResidual: { nLayer: this.config.numHiddenLayers } };
  }
  protected override tiedCheckpointKeys(): string[] {
    return this.config.tieWordEmbeddings ? ['lm_head.weight'] : [];
  }
  forward(input: ForwardInput): ModelOutput {
    return torch.tidy(() => {
      const base = this.transformer.run(this.transformer.prepare(input));
      const w = this.lm_head === null ? this.transformer.wte.weight : this.lm_head.weight;
      const logits = F.linear(base.lastHiddenState, w);
      const out: ModelOutput = { logits };
      if (input.labels != null) out.loss = causalLmLoss(logits, input.labels);
      if (base.hiddenStates) out.hiddenStates = base.hiddenStates;
      if (base.attentions) out.attentions = base.attentions;
      return out;
    });
  }
}
