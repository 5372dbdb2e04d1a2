/**
 * BART (transformers `modeling_bart.py`): an encoder and a decoder stack over one shared token embedding
 * (times sqrt(d_model) when scale_embedding), learned positions with fairseq's offset of 2, a LayerNorm on the
 * embeddings, post-LayerNorm blocks (residual, then LayerNorm) with biased q/k/v/out projections scaled by
 * head_dim**-0.5, and `BartForConditionalGeneration`, whose LM head is the shared embedding plus the
 * `final_logits_bias` buffer. Marian (`modeling_marian.py`, "Copied from ... Bart") is the same body with
 * other positions and embeddings: the generic classes here take them from a `BodySpec`.
 */
import * as torch from '../../torch/index.js';
import { nn, F } from '../../torch/index.js';
import type { Device, Tensor, TensorLike } from '../../torch/index.js';
import { LenguaError } from '../../errors.js';
import type { SafetensorsEntry, SafetensorsFile } from '../../hub/safetensors.js';
import { entryToFloat32 } from '../../hub/safetensors.js';
import { activation } from '../modeling/activations.js';
import { asIds, asMask, checkIdRange } from '../modeling/inputs.js';
import { causalAttentionMask, extendedAttentionMask } from '../modeling/masks.js';
import { ModuleList } from '../modeling/layers.js';
import type { LossOptions } from '../modeling/losses.js';
import { attentionKeyValue, seq2seqLMOutput, seq2seqLoss, shiftRight, type BlockCache, type KeyValue, type Seq2SeqInput, type Seq2SeqLMOutput, type StackOutput } from '../modeling/seq2seq.js';
import { PreTrainedModel, type BodyLayout, type DropoutLayout, type LoadWeightsOptions, type ParamPlace } from '../pretrained.js';
import type { BartConfig, BartLikeConfig } from './configuration.js';

/** BART and Marian: dropout (hidden), attention_dropout; activation_dropout (inside the feed-forward) is left alone. */
export const BART_DROPOUT: DropoutLayout = { hidden: 'dropout', attention: 'attention_dropout', classifier: null, attentionModules: /(self_attn|encoder_attn)\.dropout$/, otherModules: /activation_dropout$/ };
export const BART_LAYOUT: BodyLayout = { embeddings: ['shared.', 'encoder.embed_', 'decoder.embed_', 'encoder.layernorm_embedding.', 'decoder.layernorm_embedding.'], layers: 'encoder.layers.' };

/** Positions added to the token embeddings: rows for positions pastLen .. pastLen + seqLen - 1, [seqLen, d_model]. */
export interface PositionTable extends nn.Module {
  forward(seqLen: number, pastLen: number): Tensor;
}

/** How a family's body differs from BART's. */
export interface BodySpec<C extends BartLikeConfig> {
  positions(config: C): PositionTable;
  /** BART normalises the embeddings (`layernorm_embedding`); Marian does not. */
  layernormEmbedding: boolean;
  /** One embedding for the encoder, the decoder and the head (`shared`), or one per stack (Marian's option). */
  sharedEmbeddings(config: C): boolean;
  /** Whether `forward` without decoder inputs shifts input_ids right (BartModel does, MarianModel refuses). */
  shiftInputIds: boolean;
}

function checkLength(config: BartLikeConfig, seqLen: number, pastLen: number): void {
  const max = config.maxPositionEmbeddings;
  if (pastLen + seqLen > max) throw new LenguaError(`sequence length ${pastLen + seqLen} exceeds max_position_embeddings ${max}`, { field: 'input_ids' });
}

/** transformers `BartLearnedPositionalEmbedding`: max_position_embeddings + 2 rows, position p reads row p + 2 (fairseq's offset). */
export class BartLearnedPositionalEmbedding extends nn.Embedding implements PositionTable {
  static readonly OFFSET = 2;
  constructor(private readonly config: BartLikeConfig) {
    super(config.maxPositionEmbeddings + BartLearnedPositionalEmbedding.OFFSET, config.dModel);
  }
  override forward(seqLen: number, pastLen?: number): Tensor;
  override forward(ids: Tensor): Tensor;
  override forward(a: number | Tensor, pastLen = 0): Tensor {
    if (typeof a !== 'number') return super.forward(a);
    checkLength(this.config, a, pastLen);
    const pos = torch.arange(pastLen + BartLearnedPositionalEmbedding.OFFSET, pastLen + a + BartLearnedPositionalEmbedding.OFFSET, 1, { dtype: 'int64', device: this.weight.device });
    return super.forward(pos);
  }
}

/** The attention result of one call, with this call's keys and values (the cache's before them). */
export interface BartAttentionResult {
  out: Tensor;
  probs: Tensor;
  keyValue: KeyValue;
}

/** transformers `BartAttention`: biased projections, scores scaled by head_dim**-0.5, an additive mask. */
export class BartAttention extends nn.Module {
  readonly k_proj: nn.Linear;
  readonly v_proj: nn.Linear;
  readonly q_proj: nn.Linear;
  readonly out_proj: nn.Linear;
  readonly dropout: nn.Dropout;
  private readonly headDim: number;
  private readonly scaling: number;
  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    attentionDropout: number,
  ) {
    super();
    if (embedDim % numHeads !== 0) throw new LenguaError(`d_model ${embedDim} is not a multiple of the number of heads ${numHeads}`, { field: 'd_model' });
    this.headDim = embedDim / numHeads;
    this.scaling = this.headDim ** -0.5;
    this.k_proj = this.registerModule('k_proj', new nn.Linear(embedDim, embedDim));
    this.v_proj = this.registerModule('v_proj', new nn.Linear(embedDim, embedDim));
    this.q_proj = this.registerModule('q_proj', new nn.Linear(embedDim, embedDim));
    this.out_proj = this.registerModule('out_proj', new nn.Linear(embedDim, embedDim));
    this.dropout = this.registerModule('dropout', new nn.Dropout(attentionDropout));
  }

  private shape(x: Tensor, b: number): Tensor {
    return x.view([b, -1, this.numHeads, this.headDim]).transpose(1, 2);
  }

  /**
   * `mask`: additive [b or 1, 1, q or 1, k]. `kvInput`: the encoder output (cross-attention). `past`: cached
   * keys/values (self-attention: the new ones are appended; cross-attention: used as they are).
   */
  forward(x: Tensor, mask: Tensor | null, opts: { kvInput?: Tensor; past?: KeyValue | null } = {}): BartAttentionResult {
    const [b, qLen] = x.shape as [number, number];
    const q = this.shape(this.q_proj.forward(x), b);
    const keyValue = attentionKeyValue(x, opts.kvInput, opts.past ?? null, (t) => ({ key: this.shape(this.k_proj.forward(t), b), value: this.shape(this.v_proj.forward(t), b) }));
    let scores = q.matmul(keyValue.key.transpose(-1, -2)).mul(this.scaling);
    if (mask !== null) scores = scores.add(mask);
    const probs = scores.softmax(-1);
    const ctx = this.dropout.forward(probs).matmul(keyValue.value).transpose(1, 2).reshape([b, qLen, this.embedDim]);
    return { out: this.out_proj.forward(ctx), probs, keyValue };
  }
}

/** fc1 → activation → activation_dropout → fc2 → dropout, then the residual and final_layer_norm (post-norm). */
abstract class BartLayerBase extends nn.Module {
  readonly fc1: nn.Linear;
  readonly fc2: nn.Linear;
  readonly final_layer_norm: nn.LayerNorm;
  readonly dropout: nn.Dropout;
  readonly activation_dropout: nn.Dropout;
  private readonly act: (x: Tensor) => Tensor;
  constructor(config: BartLikeConfig, ffnDim: number) {
    super();
    this.act = activation(config.activationFunction);
    this.dropout = this.registerModule('dropout', new nn.Dropout(config.dropout));
    this.activation_dropout = this.registerModule('activation_dropout', new nn.Dropout(config.activationDropout));
    this.fc1 = new nn.Linear(config.dModel, ffnDim);
    this.fc2 = new nn.Linear(ffnDim, config.dModel);
    this.final_layer_norm = new nn.LayerNorm(config.dModel);
  }
  /** Registers the feed-forward after the attention modules, in transformers' order (the state dict lists them so). */
  protected registerFeedForward(): void {
    this.registerModule('fc1', this.fc1);
    this.registerModule('fc2', this.fc2);
    this.registerModule('final_layer_norm', this.final_layer_norm);
  }
  protected residualNorm(residual: Tensor, out: Tensor, norm: nn.LayerNorm): Tensor {
    return norm.forward(residual.add(this.dropout.forward(out)));
  }
  protected feedForward(h: Tensor): Tensor {
    const inner = this.activation_dropout.forward(this.act(this.fc1.forward(h)));
    return this.residualNorm(h, this.fc2.forward(inner), this.final_layer_norm);
  }
}

/** transformers `BartEncoderLayer`. */
export class BartEncoderLayer extends BartLayerBase {
  readonly self_attn: BartAttention;
  readonly self_attn_layer_norm: nn.LayerNorm;
  constructor(config: BartLikeConfig) {
    super(config, config.encoderFfnDim);
    this.self_attn = this.registerModule('self_attn', new BartAttention(config.dModel, config.encoderAttentionHeads, config.attentionDropout));
    this.self_attn_layer_norm = this.registerModule('self_attn_layer_norm', new nn.LayerNorm(config.dModel));
    this.registerFeedForward();
  }
  forward(x: Tensor, mask: Tensor | null): { hidden: Tensor; probs: Tensor } {
    const a = this.self_attn.forward(x, mask);
    return { hidden: this.feedForward(this.residualNorm(x, a.out, this.self_attn_layer_norm)), probs: a.probs };
  }
}

/** transformers `BartDecoderLayer`: causal self-attention, cross-attention on the encoder output, feed-forward. */
export class BartDecoderLayer extends BartLayerBase {
  readonly self_attn: BartAttention;
  readonly self_attn_layer_norm: nn.LayerNorm;
  readonly encoder_attn: BartAttention;
  readonly encoder_attn_layer_norm: nn.LayerNorm;
  constructor(config: BartLikeConfig) {
    super(config, config.decoderFfnDim);
    this.self_attn = this.registerModule('self_attn', new BartAttention(config.dModel, config.decoderAttentionHeads, config.attentionDropout));
    this.self_attn_layer_norm = this.registerModule('self_attn_layer_norm', new nn.LayerNorm(config.dModel));
    this.encoder_attn = this.registerModule('encoder_attn', new BartAttention(config.dModel, config.decoderAttentionHeads, config.attentionDropout));
    this.encoder_attn_layer_norm = this.registerModule('encoder_attn_layer_norm', new nn.LayerNorm(config.dModel));
    this.registerFeedForward();
  }
  forward(x: Tensor, args: { mask: Tensor | null; encoderHidden: Tensor; encoderMask: Tensor | null; past: BlockCache | null }): { hidden: Tensor; selfProbs: Tensor; crossProbs: Tensor; cache: BlockCache } {
    const self = this.self_attn.forward(x, args.mask, { past: args.past?.self ?? null });
    let h = this.residualNorm(x, self.out, this.self_attn_layer_norm);
    const cross = this.encoder_attn.forward(h, args.encoderMask, { kvInput: args.encoderHidden, past: args.past?.cross ?? null });
    h = this.residualNorm(h, cross.out, this.encoder_attn_layer_norm);
    return { hidden: this.feedForward(h), selfProbs: self.probs, crossProbs: cross.probs, cache: { self: self.keyValue, cross: cross.keyValue } };
  }
}

/**
 * transformers `BartEncoder` / `BartDecoder` (and Marian's): token embedding × embed_scale + positions,
 * layernorm_embedding (BART), dropout, the layers. The token embedding is the model's `shared` unless the
 * family gives each stack its own (then it is this stack's `embed_tokens`).
 */
export class BartStack<C extends BartLikeConfig = BartLikeConfig> extends nn.Module {
  readonly embed_tokens: nn.Embedding | null;
  readonly embed_positions: PositionTable;
  readonly layernorm_embedding: nn.LayerNorm | null;
  readonly layers: ModuleList<BartEncoderLayer> | ModuleList<BartDecoderLayer>;
  readonly dropout: nn.Dropout;
  private readonly embedScale: number;
  private readonly shared: (() => nn.Embedding) | null;
  constructor(
    private readonly config: C,
    spec: BodySpec<C>,
    readonly isDecoder: boolean,
    shared: (() => nn.Embedding) | null,
  ) {
    super();
    this.shared = shared;
    this.embedScale = config.scaleEmbedding ? Math.sqrt(config.dModel) : 1;
    this.embed_tokens = shared !== null ? null : this.registerModule('embed_tokens', new nn.Embedding(isDecoder ? config.targetVocabSize : config.vocabSize, config.dModel, config.padTokenId!));
    this.embed_positions = this.registerModule('embed_positions', spec.positions(config));
    const n = isDecoder ? config.decoderLayers : config.encoderLayers;
    this.layers = this.registerModule('layers', isDecoder
      ? new ModuleList(Array.from({ length: n }, () => new BartDecoderLayer(config)))
      : new ModuleList(Array.from({ length: n }, () => new BartEncoderLayer(config))));
    this.layernorm_embedding = spec.layernormEmbedding ? this.registerModule('layernorm_embedding', new nn.LayerNorm(config.dModel)) : null;
    this.dropout = this.registerModule('dropout', new nn.Dropout(config.dropout));
  }

  /** The token table this stack reads. */
  get tokens(): nn.Embedding {
    return this.embed_tokens ?? this.shared!();
  }

  forward(ids: Tensor, args: {
    mask: Tensor | null;
    encoderHidden?: Tensor | null;
    encoderMask?: Tensor | null;
    past?: BlockCache[] | null;
    outputHiddenStates?: boolean;
    outputAttentions?: boolean;
  }): StackOutput {
    const s = ids.shape[1]!;
    const past = args.past ?? null;
    const pastLen = past?.[0]?.self.key.shape[2] ?? 0;
    let h = this.tokens.forward(ids);
    if (this.embedScale !== 1) h = h.mul(this.embedScale);
    h = h.add(this.embed_positions.forward(s, pastLen));
    if (this.layernorm_embedding !== null) h = this.layernorm_embedding.forward(h);
    h = this.dropout.forward(h);
    const hidden: Tensor[] = [];
    const attentions: Tensor[] = [];
    const cross: Tensor[] = [];
    const cache: BlockCache[] = [];
    if (this.isDecoder) {
      if (args.encoderHidden == null) throw new LenguaError('the decoder needs the encoder output', { field: 'encoderHiddenStates' });
      // Causal over the cache and the new tokens, with the decoder's padding mask when given.
      const causal = causalAttentionMask(pastLen + s, ids.device, args.mask);
      const mask = pastLen === 0 ? causal : causal.narrow(2, pastLen, s);
      const encoderMask = args.encoderMask == null ? null : extendedAttentionMask(args.encoderMask);
      (this.layers as ModuleList<BartDecoderLayer>).items.forEach((layer, i) => {
        if (args.outputHiddenStates) hidden.push(h);
        const r = layer.forward(h, { mask, encoderHidden: args.encoderHidden!, encoderMask, past: past?.[i] ?? null });
        h = r.hidden;
        if (args.outputAttentions) {
          attentions.push(r.selfProbs);
          cross.push(r.crossProbs);
        }
        cache.push(r.cache);
      });
    } else {
      const mask = args.mask === null ? null : extendedAttentionMask(args.mask);
      for (const layer of (this.layers as ModuleList<BartEncoderLayer>).items) {
        if (args.outputHiddenStates) hidden.push(h);
        const r = layer.forward(h, mask);
        h = r.hidden;
        if (args.outputAttentions) attentions.push(r.probs);
      }
    }
    if (args.outputHiddenStates) hidden.push(h);
    return {
      lastHiddenState: h, cache,
      ...(args.outputHiddenStates ? { hiddenStates: hidden } : {}),
      ...(args.outputAttentions ? { attentions, ...(this.isDecoder ? { crossAttentions: cross } : {}) } : {}),
    };
  }
}

/** The encoder and decoder outputs of one forward. */
export interface Seq2SeqModelOutput {
  /** The decoder's output. */
  lastHiddenState: Tensor;
  encoderLastHiddenState: Tensor;
  encoderOutputs: StackOutput;
  decoderOutputs: StackOutput;
  pastKeyValues: BlockCache[];
}

/** The body's forward: the encoder (unless its output is given), then the decoder on `decoderIds`. */
function runBody<C extends BartLikeConfig>(model: BartLikeModel<C>, input: Seq2SeqInput, decoderIds: Tensor, device: Device): Seq2SeqModelOutput {
  const config = model.config;
  const outputHiddenStates = input.outputHiddenStates ?? config.outputHiddenStates;
  const outputAttentions = input.outputAttentions ?? config.outputAttentions;
  const encoderShape = input.encoderOutputs ? input.encoderOutputs.lastHiddenState.shape.slice(0, 2) : asIds(input.inputIds, device, 'input_ids').shape;
  const encoderMask = input.attentionMask == null ? null : asMask(input.attentionMask, encoderShape, device);
  const enc = input.encoderOutputs ?? model.encode(input.inputIds, encoderMask, { outputHiddenStates, outputAttentions });
  checkIdRange(decoderIds, config.targetVocabSize, 'decoder_input_ids');
  const decoderMask = asMask(input.decoderAttentionMask, decoderIds.shape, device);
  const dec = model.decoder.forward(decoderIds, {
    mask: decoderMask, encoderHidden: enc.lastHiddenState, encoderMask, past: input.pastKeyValues ?? null, outputHiddenStates, outputAttentions,
  });
  return { lastHiddenState: dec.lastHiddenState, encoderLastHiddenState: enc.lastHiddenState, encoderOutputs: enc, decoderOutputs: dec, pastKeyValues: dec.cache };
}

/**
 * transformers `BartModel` / `MarianModel`: `shared` (when the stacks share it), `encoder`, `decoder`. It is
 * the base model (task 'base') and, under the name `model`, the body of the LM.
 */
export class BartLikeModel<C extends BartLikeConfig> extends PreTrainedModel<C> {
  readonly className: string = 'BartModel';
  readonly baseModelPrefix = 'model';
  protected readonly bodyLayout = BART_LAYOUT;
  readonly shared: nn.Embedding | null;
  readonly encoder: BartStack<C>;
  readonly decoder: BartStack<C>;
  constructor(
    config: C,
    readonly spec: BodySpec<C>,
  ) {
    super(config);
    const share = spec.sharedEmbeddings(config);
    if (share && config.targetVocabSize !== config.vocabSize) {
      throw new LenguaError(`shared embeddings need one vocabulary, got vocab_size ${config.vocabSize} and decoder_vocab_size ${config.targetVocabSize}`, { file: config.source, field: 'decoder_vocab_size' });
    }
    this.shared = share ? this.registerModule('shared', new nn.Embedding(config.vocabSize, config.dModel, config.padTokenId!)) : null;
    const table = share ? () => this.shared! : null;
    this.encoder = this.registerModule('encoder', new BartStack(config, spec, false, table));
    this.decoder = this.registerModule('decoder', new BartStack(config, spec, true, table));
  }
  /** The parameters sit at the top (`shared`, `encoder.`, `decoder.`), as in transformers' base model. */
  protected override get bodyPrefix(): string {
    return '';
  }
  override get numLayers(): number {
    return this.config.encoderLayers;
  }
  override layerOf(name: string): ParamPlace {
    return bodyPlace(name);
  }
  protected override dropoutLayout(): DropoutLayout {
    return BART_DROPOUT;
  }
  protected override tiedCheckpointKeys(): string[] {
    return this.shared !== null ? ['encoder.embed_tokens.weight', 'decoder.embed_tokens.weight'] : [];
  }
  /** The decoder's token table (the LM head ties to it). */
  get decoderTokens(): nn.Embedding {
    return this.decoder.tokens;
  }
  override initWeights(only?: ReadonlySet<string>): void {
    super.initWeights(only);
    reinitFixedPositions(this, only);
  }
  override loadWeights(ckpt: SafetensorsFile, opts: LoadWeightsOptions = {}): { missing: string[]; unexpected: string[]; mismatched: string[] } {
    return super.loadWeights(withoutFixedPositions(this, ckpt), opts);
  }

  /** The encoder alone (generation runs it once per input). */
  encode(inputIds: TensorLike, attentionMask?: TensorLike | null, opts: { outputHiddenStates?: boolean; outputAttentions?: boolean } = {}): StackOutput {
    const ids = asIds(inputIds, this.device, 'input_ids');
    checkIdRange(ids, this.config.vocabSize, 'input_ids');
    const mask = asMask(attentionMask, ids.shape, this.device);
    return this.encoder.forward(ids, { mask, outputHiddenStates: opts.outputHiddenStates ?? false, outputAttentions: opts.outputAttentions ?? false });
  }

  forward(input: Seq2SeqInput): Seq2SeqModelOutput {
    let decoderIds: Tensor;
    if (input.decoderInputIds != null) {
      decoderIds = asIds(input.decoderInputIds, this.device, 'decoder_input_ids');
    } else if (this.spec.shiftInputIds && input.encoderOutputs == null) {
      // transformers' BartModel: without decoder inputs, the decoder reads input_ids shifted right (denoising).
      decoderIds = shiftRight(asIds(input.inputIds, this.device, 'input_ids'), this.config.decoderStartTokenId, this.config.padTokenId!);
    } else {
      throw new LenguaError('give decoderInputIds (the decoder needs its inputs)', { field: 'decoder_input_ids' });
    }
    return runBody(this, input, decoderIds, this.device);
  }
}

function bodyPlace(name: string): ParamPlace {
  const rest = name.startsWith('model.') ? name.slice('model.'.length) : name;
  if (BART_LAYOUT.embeddings.some((e) => rest.startsWith(e))) return { kind: 'embeddings' };
  const m = /^encoder\.layers\.(\d+)\./.exec(rest);
  if (m) return { kind: 'layer', index: Number(m[1]) };
  // For the fine-tuning strategies the decoder is the head on top of the encoder (see T5's layerOf).
  if (name.startsWith('lm_head.') || name === 'final_logits_bias' || rest.startsWith('decoder.')) return { kind: 'head' };
  return { kind: 'body' };
}

/** Fixed (not learned) position tables are buffers computed from the config; re-made when a reinit asks for them. */
function reinitFixedPositions(root: nn.Module, only?: ReadonlySet<string>): void {
  for (const [prefix, m] of root.namedModules()) {
    const p = m as nn.Module & { reset?: () => void };
    if (typeof p.reset === 'function' && (only === undefined || only.has(prefix + '.weight'))) p.reset();
  }
}

/** A checkpoint without the fixed position tables transformers may have written (they are computed, never loaded). */
function withoutFixedPositions(root: nn.Module, ckpt: SafetensorsFile): SafetensorsFile {
  const fixed = new Set<string>();
  for (const [name, buf] of root.namedBuffers()) {
    if (!name.endsWith('embed_positions.weight')) continue;
    void buf;
    fixed.add(name);
    fixed.add(name.startsWith('model.') ? name.slice('model.'.length) : 'model.' + name);
  }
  if (fixed.size === 0) return ckpt;
  const tensors = new Map([...ckpt.tensors].filter(([k]) => !fixed.has(k)));
  return tensors.size === ckpt.tensors.size ? ckpt : { tensors, metadata: ckpt.metadata };
}

/**
 * transformers `BartForConditionalGeneration` / `MarianMTModel`: the body as `model`, the LM head tied to
 * the decoder's token table (or its own `lm_head` when tie_word_embeddings is false), plus the
 * `final_logits_bias` buffer ([1, target vocab], zeros unless a checkpoint brings one).
 */
export abstract class BartLikeForConditionalGeneration<C extends BartLikeConfig> extends PreTrainedModel<C> {
  abstract override readonly className: string;
  readonly baseModelPrefix = 'model';
  protected readonly bodyLayout = BART_LAYOUT;
  readonly model: BartLikeModel<C>;
  readonly lm_head: nn.Linear | null;
  readonly final_logits_bias: Tensor;
  constructor(config: C, model: BartLikeModel<C>) {
    super(config);
    this.model = this.registerModule('model', model);
    this.lm_head = config.tieWordEmbeddings ? null : this.registerModule('lm_head', new nn.Linear(config.dModel, config.targetVocabSize, false));
    this.final_logits_bias = this.registerBuffer('final_logits_bias', torch.zeros([1, config.targetVocabSize]));
  }

  override get numLayers(): number {
    return this.config.encoderLayers;
  }
  override layerOf(name: string): ParamPlace {
    return bodyPlace(name);
  }
  protected override dropoutLayout(): DropoutLayout {
    return BART_DROPOUT;
  }
  protected override tiedCheckpointKeys(): string[] {
    const tied = this.model.shared !== null ? ['model.encoder.embed_tokens.weight', 'model.decoder.embed_tokens.weight'] : [];
    return [...tied, ...(this.lm_head === null ? ['lm_head.weight'] : [])];
  }
  get shared(): nn.Embedding | null {
    return this.model.shared;
  }
  get encoder(): BartStack<C> {
    return this.model.encoder;
  }
  get decoder(): BartStack<C> {
    return this.model.decoder;
  }

  /** transformers' `_init_weights` (normal(init_std), zero biases and padding rows, LayerNorm 1/0), final_logits_bias 0, fixed positions recomputed. */
  override initWeights(only?: ReadonlySet<string>): void {
    super.initWeights(only);
    if (only === undefined || only.has('final_logits_bias')) torch.noGrad(() => void this.final_logits_bias.zero_());
    reinitFixedPositions(this, only);
  }

  /** Loads `final_logits_bias` (a buffer, absent from older checkpoints: then zeros, as transformers), then the parameters. */
  override loadWeights(ckpt: SafetensorsFile, opts: LoadWeightsOptions = {}): { missing: string[]; unexpected: string[]; mismatched: string[] } {
    const entry = ckpt.tensors.get('final_logits_bias');
    let rest = withoutFixedPositions(this, ckpt);
    if (entry !== undefined) {
      const want = this.final_logits_bias.shape;
      if (entry.shape.length !== 2 || entry.shape[0] !== want[0] || entry.shape[1] !== want[1]) {
        throw new LenguaError(`the checkpoint has shape [${entry.shape.join(', ')}] but ${this.className} needs [${want.join(', ')}]`, { file: opts.source, field: 'final_logits_bias' });
      }
      torch.noGrad(() => {
        const t = torch.tensor(entryToFloat32(entry), { shape: entry.shape }).to(this.final_logits_bias.device);
        this.final_logits_bias.copy_(t);
        t.dispose();
      });
      rest = { tensors: new Map([...rest.tensors].filter(([k]) => k !== 'final_logits_bias')), metadata: rest.metadata };
    } else {
      torch.noGrad(() => void this.final_logits_bias.zero_());
    }
    return super.loadWeights(rest, opts);
  }

  /** The parameters and `final_logits_bias`, which transformers saves in the state dict (fixed position tables are not saved). */
  override stateTensors(): Map<string, SafetensorsEntry> {
    const out = super.stateTensors();
    const cpu = this.final_logits_bias.to({ device: 'cpu', dtype: 'float32' });
    out.set('final_logits_bias', { dtype: 'F32', shape: [...cpu.shape], data: cpu.toBytes() });
    if (cpu !== this.final_logits_bias) cpu.dispose();
    return out;
  }

  /** The encoder alone (generation runs it once per input). */
  encode(inputIds: TensorLike, attentionMask?: TensorLike | null, opts: { outputHiddenStates?: boolean; outputAttentions?: boolean } = {}): StackOutput {
    return this.model.encode(inputIds, attentionMask, opts);
  }

  forward(input: Seq2SeqInput): Seq2SeqLMOutput {
    const labels = input.labels == null ? null : asIds(input.labels, this.device, 'labels');
    let decoderIds: Tensor;
    if (input.decoderInputIds != null) {
      decoderIds = asIds(input.decoderInputIds, this.device, 'decoder_input_ids');
    } else if (labels !== null) {
      decoderIds = shiftRight(labels, this.config.decoderStartTokenId, this.config.padTokenId!);
    } else {
      throw new LenguaError('give decoderInputIds or labels (the decoder needs its inputs)', { field: 'decoder_input_ids' });
    }
    const o = runBody(this.model, input, decoderIds, this.device);
    const logits = this.lmLogits(o.lastHiddenState);
    const out = seq2seqLMOutput(logits, o.encoderOutputs, o.decoderOutputs);
    if (labels !== null) out.loss = this.loss(logits, labels);
    return out;
  }

  /** lm_head(h) + final_logits_bias; the head is the decoder's token table when tied. */
  lmLogits(h: Tensor): Tensor {
    const logits = this.lm_head !== null ? this.lm_head.forward(h) : F.linear(h, this.model.decoderTokens.weight);
    return logits.add(this.final_logits_bias);
  }

  /** Cross-entropy over every label position, -100 ignored (transformers' CrossEntropyLoss on the logits). */
  override loss(logits: Tensor, labels: TensorLike, opts: LossOptions = {}): Tensor {
    return seq2seqLoss(logits, labels, opts);
  }
}

export const BART_SPEC: BodySpec<BartConfig> = {
  positions: (config) => new BartLearnedPositionalEmbedding(config),
  layernormEmbedding: true,
  sharedEmbeddings: () => true,
  shiftInputIds: true,
};

/** transformers `BartModel`. */
export class BartModel extends BartLikeModel<BartConfig> {
  override readonly className: string = 'BartModel';
  constructor(config: BartConfig) {
    super(config, BART_SPEC);
  }
}

/** transformers `BartForConditionalGeneration` (bart-base, bart-large-cnn, distilbart). */
export class BartForConditionalGeneration extends BartLikeForConditionalGeneration<BartConfig> {
  readonly className: string = 'BartForConditionalGeneration';
  constructor(config: BartConfig) {
    super(config, new BartModel(config));
  }
}
