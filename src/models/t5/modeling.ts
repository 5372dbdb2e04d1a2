/**
 * T5 (transformers `modeling_t5.py`): an encoder and a decoder stack sharing one token embedding, pre-norm
 * blocks with T5LayerNorm (a scale, no mean and no bias), attention without the 1/sqrt(d) scaling and with a
 * learned bias per relative-position bucket (computed once in block 0 of each stack and reused by the
 * others), a ReLU or gated-GELU feed-forward, and `T5ForConditionalGeneration`, whose LM head is the shared
 * embedding (tied: the decoder output is scaled by d_model**-0.5 first) or its own `lm_head` (T5 v1.1).
 */
import * as torch from '../../torch/index.js';
import { nn, F } from '../../torch/index.js';
import type { Tensor, TensorLike } from '../../torch/index.js';
import { LenguaError } from '../../errors.js';
import type { T5Config } from './configuration.js';
import { activation } from '../modeling/activations.js';
import { asIds, asMask, checkIdRange } from '../modeling/inputs.js';
import { causalAttentionMask, extendedAttentionMask } from '../modeling/masks.js';
import { ModuleList } from '../modeling/layers.js';
import type { LossOptions } from '../modeling/losses.js';
import { attentionKeyValue, seq2seqLMOutput, seq2seqLoss, shiftRight, type BlockCache, type KeyValue, type Seq2SeqInput, type Seq2SeqLMOutput, type StackOutput } from '../modeling/seq2seq.js';
import { PreTrainedModel, type BodyLayout, type DropoutLayout, type ParamPlace } from '../pretrained.js';

// The encoder-decoder types were first written here; they live in modeling/seq2seq.ts, shared with BART and Marian.
export { shiftRight } from '../modeling/seq2seq.js';
export type { BlockCache, KeyValue, Seq2SeqInput, Seq2SeqLMOutput, StackOutput } from '../modeling/seq2seq.js';

export const T5_LAYOUT: BodyLayout = { embeddings: ['shared.'], layers: 'encoder.block.' };
/** T5 has one dropout_rate: hidden states and attention probabilities alike. */
export const T5_DROPOUT: DropoutLayout = { hidden: 'dropout_rate', attention: 'dropout_rate', classifier: null, attentionModules: /(SelfAttention|EncDecAttention)\.dropout$/ };

/**
 * transformers `T5Attention._relative_position_bucket`: the bucket of each relative position k - q. Half
 * the buckets (bidirectional: per direction) are exact small distances, the rest log-spaced up to
 * `maxDistance`, beyond which all share the last bucket. Computed here in exact integer-or-float64
 * arithmetic on [q][k] indices (the same values transformers' float32 formula gives for these sizes).
 */
export function relativePositionBuckets(qLen: number, kLen: number, bidirectional: boolean, numBuckets: number, maxDistance: number, qOffset = 0): number[][] {
  const out: number[][] = [];
  let n = numBuckets;
  if (bidirectional) n = Math.floor(n / 2);
  const maxExact = Math.floor(n / 2);
  for (let q = 0; q < qLen; q++) {
    const row: number[] = [];
    for (let k = 0; k < kLen; k++) {
      let rel = k - (q + qOffset);
      let bucket = 0;
      if (bidirectional) {
        if (rel > 0) bucket += n;
        rel = Math.abs(rel);
      } else {
        rel = -Math.min(rel, 0);
      }
      if (rel < maxExact) {
        bucket += rel;
      } else {
        // float32 as torch computes it: log(rel / max_exact) / log(max_distance / max_exact) * (n - max_exact), then .long()
        const f = Math.fround(Math.fround(Math.fround(Math.log(Math.fround(rel / maxExact))) / Math.fround(Math.log(Math.fround(maxDistance / maxExact)))) * (n - maxExact));
        bucket += Math.min(maxExact + Math.trunc(f), n - 1);
      }
      row.push(bucket);
    }
    out.push(row);
  }
  return out;
}

/** transformers `T5LayerNorm`: weight * x / sqrt(mean(x²) + eps); no mean subtraction, no bias. */
export class T5LayerNorm extends nn.Module {
  weight: Tensor;
  constructor(
    readonly hiddenSize: number,
    readonly eps = 1e-6,
  ) {
    super();
    this.weight = this.registerParameter('weight', torch.ones([hiddenSize]))!;
  }
  forward(x: Tensor): Tensor {
    const variance = x.pow(2).mean(-1, true);
    return x.mul(variance.add(this.eps).rsqrt()).mul(this.weight);
  }
}

/** transformers `T5DenseActDense` (wi → act → dropout → wo) or `T5DenseGatedActDense` (act(wi_0) · wi_1). */
export class T5DenseActDense extends nn.Module {
  readonly wi: nn.Linear | null;
  readonly wi_0: nn.Linear | null;
  readonly wi_1: nn.Linear | null;
  readonly wo: nn.Linear;
  readonly dropout: nn.Dropout;
  private readonly act: (x: Tensor) => Tensor;
  constructor(config: T5Config) {
    super();
    const gated = config.isGatedAct;
    this.wi = gated ? null : this.registerModule('wi', new nn.Linear(config.dModel, config.dFf, false));
    this.wi_0 = gated ? this.registerModule('wi_0', new nn.Linear(config.dModel, config.dFf, false)) : null;
    this.wi_1 = gated ? this.registerModule('wi_1', new nn.Linear(config.dModel, config.dFf, false)) : null;
    this.wo = this.registerModule('wo', new nn.Linear(config.dFf, config.dModel, false));
    this.dropout = this.registerModule('dropout', new nn.Dropout(config.dropoutRate));
    this.act = activation(config.denseActFn);
  }
  forward(x: Tensor): Tensor {
    const h = this.wi !== null ? this.act(this.wi.forward(x)) : this.act(this.wi_0!.forward(x)).mul(this.wi_1!.forward(x));
    return this.wo.forward(this.dropout.forward(h));
  }
}

export class T5LayerFF extends nn.Module {
  readonly DenseReluDense: T5DenseActDense;
  readonly layer_norm: T5LayerNorm;
  readonly dropout: nn.Dropout;
  constructor(config: T5Config) {
    super();
    this.DenseReluDense = this.registerModule('DenseReluDense', new T5DenseActDense(config));
    this.layer_norm = this.registerModule('layer_norm', new T5LayerNorm(config.dModel, config.layerNormEpsilon));
    this.dropout = this.registerModule('dropout', new nn.Dropout(config.dropoutRate));
  }
  forward(x: Tensor): Tensor {
    return x.add(this.dropout.forward(this.DenseReluDense.forward(this.layer_norm.forward(x))));
  }
}

export interface AttentionResult {
  out: Tensor;
  /** The bias added to the scores (relative positions + mask), shared with the stack's later blocks. */
  positionBias: Tensor;
  probs: Tensor;
  /** This call's keys and values (with the cache's before them). */
  keyValue: KeyValue;
}

/** transformers `T5Attention`. */
export class T5Attention extends nn.Module {
  readonly q: nn.Linear;
  readonly k: nn.Linear;
  readonly v: nn.Linear;
  readonly o: nn.Linear;
  readonly relative_attention_bias: nn.Embedding | null;
  readonly dropout: nn.Dropout;
  private readonly heads: number;
  private readonly dKv: number;
  constructor(
    private readonly config: T5Config,
    hasRelativeAttentionBias: boolean,
    private readonly isDecoder: boolean,
  ) {
    super();
    this.heads = config.numHeads;
    this.dKv = config.dKv;
    const inner = this.heads * this.dKv;
    this.q = this.registerModule('q', new nn.Linear(config.dModel, inner, false));
    this.k = this.registerModule('k', new nn.Linear(config.dModel, inner, false));
    this.v = this.registerModule('v', new nn.Linear(config.dModel, inner, false));
    this.o = this.registerModule('o', new nn.Linear(inner, config.dModel, false));
    this.relative_attention_bias = hasRelativeAttentionBias ? this.registerModule('relative_attention_bias', new nn.Embedding(config.relativeAttentionNumBuckets, this.heads)) : null;
    this.dropout = this.registerModule('dropout', new nn.Dropout(config.dropoutRate));
  }

  /** [1, heads, q, k]: the learned bias of each relative-position bucket (queries start at `qOffset` when decoding with a cache). */
  computeBias(qLen: number, kLen: number, qOffset = 0): Tensor {
    if (this.relative_attention_bias === null) throw new LenguaError('this attention layer has no relative_attention_bias');
    const buckets = relativePositionBuckets(qLen, kLen, !this.isDecoder, this.config.relativeAttentionNumBuckets, this.config.relativeAttentionMaxDistance, qOffset);
    const ids = torch.tensor(buckets, { dtype: 'int64', device: this.relative_attention_bias.weight.device });
    return this.relative_attention_bias.forward(ids).permute([2, 0, 1]).unsqueeze(0);
  }

  private shape(x: Tensor, b: number): Tensor {
    return x.view([b, -1, this.heads, this.dKv]).transpose(1, 2);
  }

  /**
   * `mask`: additive [b or 1, 1, q or 1, k]. `kvInput`: the encoder output (cross-attention). `positionBias`:
   * reuse block 0's. `past`: cached keys/values (self-attention: new ones are appended; cross-attention: used as they are).
   */
  forward(x: Tensor, mask: Tensor | null, opts: { kvInput?: Tensor; positionBias?: Tensor | null; past?: KeyValue | null; qOffset?: number } = {}): AttentionResult {
    const [b, qLen] = x.shape as [number, number];
    const q = this.shape(this.q.forward(x), b);
    const keyValue = attentionKeyValue(x, opts.kvInput, opts.past ?? null, (t) => ({ key: this.shape(this.k.forward(t), b), value: this.shape(this.v.forward(t), b) }));
    const kLen = keyValue.key.shape[2]!;
    // T5 does not scale the scores by 1/sqrt(d_kv): the initialisation of q accounts for it.
    const scores = q.matmul(keyValue.key.transpose(-1, -2));
    let positionBias = opts.positionBias ?? null;
    if (positionBias === null) {
      positionBias = this.relative_attention_bias !== null ? this.computeBias(qLen, kLen, opts.qOffset ?? 0) : torch.zeros([1, this.heads, qLen, kLen], { device: x.device });
      if (mask !== null) positionBias = positionBias.add(mask);
    }
    const probs = scores.add(positionBias).softmax(-1);
    const ctx = this.dropout.forward(probs).matmul(keyValue.value).transpose(1, 2).reshape([b, qLen, this.heads * this.dKv]);
    return { out: this.o.forward(ctx), positionBias, probs, keyValue };
  }
}

export class T5LayerSelfAttention extends nn.Module {
  readonly SelfAttention: T5Attention;
  readonly layer_norm: T5LayerNorm;
  readonly dropout: nn.Dropout;
  constructor(config: T5Config, hasRelativeAttentionBias: boolean, isDecoder: boolean) {
    super();
    this.SelfAttention = this.registerModule('SelfAttention', new T5Attention(config, hasRelativeAttentionBias, isDecoder));
    this.layer_norm = this.registerModule('layer_norm', new T5LayerNorm(config.dModel, config.layerNormEpsilon));
    this.dropout = this.registerModule('dropout', new nn.Dropout(config.dropoutRate));
  }
  forward(x: Tensor, mask: Tensor | null, positionBias: Tensor | null, past: KeyValue | null, qOffset: number): AttentionResult & { hidden: Tensor } {
    const a = this.SelfAttention.forward(this.layer_norm.forward(x), mask, { positionBias, past, qOffset });
    return { ...a, hidden: x.add(this.dropout.forward(a.out)) };
  }
}

export class T5LayerCrossAttention extends nn.Module {
  readonly EncDecAttention: T5Attention;
  readonly layer_norm: T5LayerNorm;
  readonly dropout: nn.Dropout;
  constructor(config: T5Config) {
    super();
    this.EncDecAttention = this.registerModule('EncDecAttention', new T5Attention(config, false, true));
    this.layer_norm = this.registerModule('layer_norm', new T5LayerNorm(config.dModel, config.layerNormEpsilon));
    this.dropout = this.registerModule('dropout', new nn.Dropout(config.dropoutRate));
  }
  forward(x: Tensor, encoderHidden: Tensor, mask: Tensor | null, positionBias: Tensor | null, past: KeyValue | null): AttentionResult & { hidden: Tensor } {
    const a = this.EncDecAttention.forward(this.layer_norm.forward(x), mask, { kvInput: encoderHidden, positionBias, past });
    return { ...a, hidden: x.add(this.dropout.forward(a.out)) };
  }
}

/** transformers `T5Block`: self-attention, cross-attention (decoder), feed-forward, each pre-norm with a residual. */
export class T5Block extends nn.Module {
  readonly layer: ModuleList<T5LayerSelfAttention | T5LayerCrossAttention | T5LayerFF>;
  private readonly isDecoder: boolean;
  constructor(config: T5Config, hasRelativeAttentionBias: boolean, isDecoder: boolean) {
    super();
    this.isDecoder = isDecoder;
    const layers: Array<T5LayerSelfAttention | T5LayerCrossAttention | T5LayerFF> = [new T5LayerSelfAttention(config, hasRelativeAttentionBias, isDecoder)];
    if (isDecoder) layers.push(new T5LayerCrossAttention(config));
    layers.push(new T5LayerFF(config));
    this.layer = this.registerModule('layer', new ModuleList(layers));
  }
  forward(
    x: Tensor,
    args: { mask: Tensor | null; positionBias: Tensor | null; encoderHidden: Tensor | null; encoderMask: Tensor | null; encoderPositionBias: Tensor | null; past: BlockCache | null; qOffset: number },
  ): { hidden: Tensor; positionBias: Tensor; encoderPositionBias: Tensor | null; selfProbs: Tensor; crossProbs: Tensor | null; cache: BlockCache } {
    const items = this.layer.items;
    const self = (items[0] as T5LayerSelfAttention).forward(x, args.mask, args.positionBias, args.past?.self ?? null, args.qOffset);
    let h = self.hidden;
    let cross: (AttentionResult & { hidden: Tensor }) | null = null;
    if (this.isDecoder) {
      if (args.encoderHidden === null) throw new LenguaError('the decoder needs the encoder output', { field: 'encoderHiddenStates' });
      cross = (items[1] as T5LayerCrossAttention).forward(h, args.encoderHidden, args.encoderMask, args.encoderPositionBias, args.past?.cross ?? null);
      h = cross.hidden;
    }
    h = (items[items.length - 1] as T5LayerFF).forward(h);
    return {
      hidden: h, positionBias: self.positionBias, encoderPositionBias: cross?.positionBias ?? null, selfProbs: self.probs, crossProbs: cross?.probs ?? null,
      cache: { self: self.keyValue, cross: cross?.keyValue ?? null },
    };
  }
}

/** transformers `T5Stack`: the encoder or the decoder. The token embedding is the model's `shared` (not a parameter of the stack). */
export class T5Stack extends nn.Module {
  readonly block: ModuleList<T5Block>;
  readonly final_layer_norm: T5LayerNorm;
  readonly dropout: nn.Dropout;
  constructor(
    config: T5Config,
    private readonly embedTokens: () => nn.Embedding,
    readonly isDecoder: boolean,
  ) {
    super();
    const n = isDecoder ? config.numDecoderLayers : config.numLayers;
    const blocks: T5Block[] = [];
    for (let i = 0; i < n; i++) blocks.push(new T5Block(config, i === 0, isDecoder));
    this.block = this.registerModule('block', new ModuleList(blocks));
    this.final_layer_norm = this.registerModule('final_layer_norm', new T5LayerNorm(config.dModel, config.layerNormEpsilon));
    this.dropout = this.registerModule('dropout', new nn.Dropout(config.dropoutRate));
  }

  forward(ids: Tensor, args: {
    mask: Tensor | null;
    encoderHidden?: Tensor | null;
    encoderMask?: Tensor | null;
    past?: BlockCache[] | null;
    outputHiddenStates?: boolean;
    outputAttentions?: boolean;
  }): StackOutput {
    const [b, s] = ids.shape as [number, number];
    const past = args.past ?? null;
    const pastLen = past?.[0]?.self.key.shape[2] ?? 0;
    let mask: Tensor | null;
    if (this.isDecoder) {
      // Causal over the cache and the new tokens, with the decoder's padding mask when given.
      const full = pastLen + s;
      const causal = causalAttentionMask(full, ids.device, args.mask);
      mask = pastLen === 0 ? causal : causal.narrow(2, pastLen, s);
    } else {
      mask = args.mask === null ? null : extendedAttentionMask(args.mask);
    }
    const encoderMask = this.isDecoder && args.encoderMask != null ? extendedAttentionMask(args.encoderMask) : null;
    let h = this.dropout.forward(this.embedTokens().forward(ids));
    const hidden: Tensor[] = [];
    const attentions: Tensor[] = [];
    const cross: Tensor[] = [];
    const cache: BlockCache[] = [];
    let positionBias: Tensor | null = null;
    let encoderPositionBias: Tensor | null = null;
    this.block.items.forEach((blk, i) => {
      if (args.outputHiddenStates) hidden.push(h);
      const r = blk.forward(h, {
        mask, positionBias, encoderHidden: args.encoderHidden ?? null, encoderMask, encoderPositionBias, past: past?.[i] ?? null, qOffset: pastLen,
      });
      h = r.hidden;
      positionBias = r.positionBias;
      encoderPositionBias = r.encoderPositionBias;
      if (args.outputAttentions) {
        attentions.push(r.selfProbs);
        if (r.crossProbs !== null) cross.push(r.crossProbs);
      }
      cache.push(r.cache);
    });
    h = this.dropout.forward(this.final_layer_norm.forward(h));
    if (args.outputHiddenStates) hidden.push(h);
    void b;
    return {
      lastHiddenState: h, cache,
      ...(args.outputHiddenStates ? { hiddenStates: hidden } : {}),
      ...(args.outputAttentions ? { attentions, ...(this.isDecoder ? { crossAttentions: cross } : {}) } : {}),
    };
  }
}

/** transformers `T5ForConditionalGeneration`. */
export class T5ForConditionalGeneration extends PreTrainedModel<T5Config> {
  readonly className: string = 'T5ForConditionalGeneration';
  readonly baseModelPrefix = 'transformer';
  protected readonly bodyLayout = T5_LAYOUT;
  readonly shared: nn.Embedding;
  readonly encoder: T5Stack;
  readonly decoder: T5Stack;
  /** Only when tie_word_embeddings is false (T5 v1.1, flan-t5, mT5). */
  readonly lm_head: nn.Linear | null;
  constructor(config: T5Config) {
    super(config);
    this.shared = this.registerModule('shared', new nn.Embedding(config.vocabSize, config.dModel));
    this.encoder = this.registerModule('encoder', new T5Stack(config, () => this.shared, false));
    this.decoder = this.registerModule('decoder', new T5Stack(config, () => this.shared, true));
    this.lm_head = config.tieWordEmbeddings ? null : this.registerModule('lm_head', new nn.Linear(config.dModel, config.vocabSize, false));
  }

  /** No prefix: the encoder, the decoder and `shared` sit at the top, as in transformers. */
  protected override get bodyPrefix(): string {
    return '';
  }
  override get numLayers(): number {
    return this.config.numLayers;
  }
  protected override dropoutLayout(): DropoutLayout {
    return T5_DROPOUT;
  }
  override layerOf(name: string): ParamPlace {
    if (name.startsWith('shared.')) return { kind: 'embeddings' };
    const m = /^encoder\.block\.(\d+)\./.exec(name);
    if (m) return { kind: 'layer', index: Number(m[1]) };
    // For the fine-tuning strategies the decoder is the head on top of the encoder: `head` trains it alone
    // (transformers' old --freeze_encoder --freeze_embeds), `freeze` also the top encoder layers.
    if (name.startsWith('lm_head.') || name.startsWith('decoder.')) return { kind: 'head' };
    return { kind: 'body' };
  }
  protected override tiedCheckpointKeys(): string[] {
    return ['encoder.embed_tokens.weight', 'decoder.embed_tokens.weight', ...(this.config.tieWordEmbeddings ? ['lm_head.weight'] : [])];
  }

  /** transformers `T5PreTrainedModel._init_weights` (Mesh TensorFlow's initialisation, scaled by initializer_factor). */
  override initWeights(only?: ReadonlySet<string>): void {
    const f = this.config.initializerFactor;
    const c = this.config;
    const want = (n: string): boolean => only === undefined || only.has(n);
    torch.noGrad(() => {
      for (const [prefix, m] of this.namedModules()) {
        const p = prefix === '' ? '' : prefix + '.';
        const normal = (t: Tensor, std: number, name: string): void => {
          if (want(p + name)) nn.init.normal_(t, 0, std);
        };
        if (m instanceof T5LayerNorm) {
          if (want(p + 'weight')) nn.init.constant_(m.weight, f);
        } else if (m === this.shared) {
          normal(this.shared.weight, f, 'weight');
        } else if (this.lm_head !== null && m === this.lm_head) {
          normal(this.lm_head.weight, f, 'weight');
        } else if (m instanceof T5DenseActDense) {
          for (const wi of [m.wi, m.wi_0, m.wi_1]) if (wi !== null) normal(wi.weight, f * c.dModel ** -0.5, `${wi === m.wi ? 'wi' : wi === m.wi_0 ? 'wi_0' : 'wi_1'}.weight`);
          normal(m.wo.weight, f * c.dFf ** -0.5, 'wo.weight');
        } else if (m instanceof T5Attention) {
          normal(m.q.weight, f * (c.dModel * c.dKv) ** -0.5, 'q.weight');
          normal(m.k.weight, f * c.dModel ** -0.5, 'k.weight');
          normal(m.v.weight, f * c.dModel ** -0.5, 'v.weight');
          normal(m.o.weight, f * (c.numHeads * c.dKv) ** -0.5, 'o.weight');
          if (m.relative_attention_bias !== null) normal(m.relative_attention_bias.weight, f * c.dModel ** -0.5, 'relative_attention_bias.weight');
        }
      }
    });
  }

  /** The encoder alone (generation runs it once per input). */
  encode(inputIds: TensorLike, attentionMask?: TensorLike | null, opts: { outputHiddenStates?: boolean; outputAttentions?: boolean } = {}): StackOutput {
    const ids = asIds(inputIds, this.device, 'input_ids');
    checkIdRange(ids, this.config.vocabSize, 'input_ids');
    const mask = asMask(attentionMask, ids.shape, this.device);
    return this.encoder.forward(ids, { mask, outputHiddenStates: opts.outputHiddenStates ?? false, outputAttentions: opts.outputAttentions ?? false });
  }

  forward(input: Seq2SeqInput): Seq2SeqLMOutput {
    const outputHiddenStates = input.outputHiddenStates ?? this.config.outputHiddenStates;
    const outputAttentions = input.outputAttentions ?? this.config.outputAttentions;
    const encoderMask = input.attentionMask == null ? null : asMask(input.attentionMask, input.encoderOutputs ? input.encoderOutputs.lastHiddenState.shape.slice(0, 2) : asIds(input.inputIds, this.device, 'input_ids').shape, this.device);
    const enc = input.encoderOutputs ?? this.encode(input.inputIds, encoderMask, { outputHiddenStates, outputAttentions });
    const labels = input.labels == null ? null : asIds(input.labels, this.device, 'labels');
    let decoderIds: Tensor;
    if (input.decoderInputIds != null) {
      decoderIds = asIds(input.decoderInputIds, this.device, 'decoder_input_ids');
    } else if (labels !== null) {
      decoderIds = shiftRight(labels, this.config.decoderStartTokenId, this.config.padTokenId ?? 0);
    } else {
      throw new LenguaError('give decoderInputIds or labels (the decoder needs its inputs)', { field: 'decoder_input_ids' });
    }
    checkIdRange(decoderIds, this.config.vocabSize, 'decoder_input_ids');
    const decoderMask = asMask(input.decoderAttentionMask, decoderIds.shape, this.device);
    const dec = this.decoder.forward(decoderIds, {
      mask: decoderMask, encoderHidden: enc.lastHiddenState, encoderMask, past: input.pastKeyValues ?? null, outputHiddenStates, outputAttentions,
    });
    const logits = this.lmLogits(dec.lastHiddenState);
    const out = seq2seqLMOutput(logits, enc, dec);
    if (labels !== null) out.loss = this.loss(logits, labels);
    return out;
  }

  /** The LM head: tied → (h · d_model**-0.5) · sharedᵀ; untied → lm_head(h). */
  lmLogits(h: Tensor): Tensor {
    if (this.lm_head !== null) return this.lm_head.forward(h);
    return F.linear(h.mul(this.config.dModel ** -0.5), this.shared.weight);
  }

  /** Cross-entropy over every label position (no shift: the decoder inputs are the shifted labels), -100 ignored. */
  override loss(logits: Tensor, labels: TensorLike, opts: LossOptions = {}): Tensor {
    return seq2seqLoss(logits, labels, opts);
  }
}
