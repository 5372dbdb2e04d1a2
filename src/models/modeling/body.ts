/**
 * The base model every family builds on: embeddings, a list of transformer layers, and what follows
 * them (BERT's pooler, GPT-2's final LayerNorm). The family says how to embed, which mask its layers
 * take and how to finish; the loop, the input checks and the cut for a frozen-layer cache are here,
 * written once.
 */
import * as torch from '../../torch/index.js';
import { F } from '../../torch/index.js';
import type { Tensor, TensorLike, Device, nn } from '../../torch/index.js';
import type { PretrainedConfig } from '../../hub/config.js';
import { PreTrainedModel } from '../pretrained.js';
import { asMask, prepareInput, type InputSpec, type PreparedInput } from './inputs.js';
import { checkLayerIndex, runLayers, type TransformerLayer } from './layers.js';
import { withExtras, type BaseModelOutput, type ForwardInput, type ModelOutput } from './outputs.js';
import type { ModelSplit } from './split.js';

export abstract class TransformerBody<C extends PretrainedConfig, M> extends PreTrainedModel<C> {
  /** The transformer layers, in order. */
  abstract get layers(): readonly TransformerLayer<M>[];
  /** The modules before the first layer (embeddings, their norm and dropout). */
  abstract get embeddingModules(): nn.Module[];
  /** The input embeddings for checked inputs: [b, s, hidden]. */
  protected abstract embed(call: PreparedInput): Tensor;
  /** The mask the family's layers take, from the 0/1 attention mask of a [b, s] batch. */
  protected abstract layerMask(mask: Tensor | null, seqLen: number, device: Device): M;
  /** Size of the token-type table; null when the model takes no token types. */
  protected abstract get tokenTypes(): number | null;

  /** After the last layer (default: nothing). `hiddenStates`, when kept, ends with the last layer's output. */
  protected finish(h: Tensor, hiddenStates?: Tensor[]): BaseModelOutput {
    void hiddenStates;
    return { lastHiddenState: h };
  }

  protected override get bodyPrefix(): string {
    return '';
  }

  protected inputSpec(): InputSpec {
    return {
      device: this.device, vocabSize: this.config.vocabSize, maxPositions: this.config.maxPositionEmbeddings, tokenTypes: this.tokenTypes,
      outputHiddenStates: this.config.outputHiddenStates, outputAttentions: this.config.outputAttentions, className: this.className,
    };
  }

  /** Checks and converts the user's inputs once (shared by every head). */
  prepare(input: ForwardInput): PreparedInput {
    return prepareInput(input, this.inputSpec());
  }

  run(call: PreparedInput): BaseModelOutput {
    const mask = this.layerMask(call.mask, call.ids.shape[1]!, call.ids.device);
    const r = runLayers(this.layers, this.embed(call), mask, { outputHiddenStates: call.outputHiddenStates, outputAttentions: call.outputAttentions, ownsInput: true });
    const out = this.finish(r.h, r.hiddenStates);
    if (r.hiddenStates) out.hiddenStates = r.hiddenStates;
    if (r.attentions) out.attentions = r.attentions;
    return out;
  }

  forward(input: ForwardInput): BaseModelOutput {
    return torch.tidy(() => this.run(this.prepare(input)));
  }

  /** The embeddings and layers 0..k-1: [b, s, hidden]. Runs in whatever mode the modules are in. */
  runBottom(call: PreparedInput, k: number): Tensor {
    checkLayerIndex(k, this.layers.length);
    const mask = this.layerMask(call.mask, call.ids.shape[1]!, call.ids.device);
    return runLayers(this.layers, this.embed(call), mask, { to: k, ownsInput: true }).h;
  }

  /** Layers k.. and what follows them, on hidden states from `runBottom` (same padding as `mask`). `hidden` is not freed. */
  runTop(k: number, hidden: Tensor, mask: Tensor | null): BaseModelOutput {
    checkLayerIndex(k, this.layers.length);
    const r = runLayers(this.layers, hidden, this.layerMask(mask, hidden.shape[1]!, hidden.device), { from: k });
    return this.finish(r.h);
  }

  /** The modules of the bottom after k layers: the embeddings and layers 0..k-1. */
  bottomModules(k: number): nn.Module[] {
    checkLayerIndex(k, this.layers.length);
    return [...this.embeddingModules, ...this.layers.slice(0, k)];
  }
}

/** A head's logits and, given labels, the model's task loss on them. */
export function headOutput(model: PreTrainedModel, logits: Tensor, labels: TensorLike | null | undefined): ModelOutput {
  const out: ModelOutput = { logits };
  if (labels != null) out.loss = model.loss(logits, labels);
  return out;
}

/** Every head model's forward: the body on the input, the head's logits, the loss when labels are given, the body's extras. */
export function forwardHead<C extends PretrainedConfig, M>(
  model: PreTrainedModel, body: TransformerBody<C, M>, input: ForwardInput, logitsOf: (base: BaseModelOutput) => Tensor,
): ModelOutput {
  return torch.tidy(() => {
    const base = body.run(body.prepare(input));
    return withExtras(headOutput(model, logitsOf(base), input.labels), base);
  });
}

/**
 * A masked LM's loss with its vocabulary head applied only at `positions` (flat indices into the [b·s] tokens)
 * whose original ids are `targets`. The head works on each position alone, so this is the cross-entropy of the
 * full logits with -100 everywhere else, at a fraction of the cost: the vocabulary projection is most of a small
 * model's work, and only the masked ~15 % of the positions need it. Returns the mean loss and the head's logits
 * at those positions ([n, vocab]).
 */
export function maskedPositionsLoss<C extends PretrainedConfig, M>(
  body: TransformerBody<C, M>, input: ForwardInput, positions: Tensor, targets: Tensor, head: (h: Tensor) => Tensor,
): { loss: Tensor; logits: Tensor } {
  return torch.tidy(() => {
    const h = body.run(body.prepare(input)).lastHiddenState;
    const logits = head(h.reshape([-1, h.shape[2]!]).indexSelect(0, positions));
    return { loss: F.crossEntropy(logits, targets), logits };
  });
}

/** A sequence classifier's head as the cut sees it. */
export interface ClassifierHead {
  /** The head's logits on the body's output. The head must read only the first token (or the pooler). */
  logits(base: BaseModelOutput): Tensor;
  /** BERT: the pooler and the head's logits on its output, so that with every layer and the pooler frozen the cut can be after the pooler. */
  pooled?: { pooler: nn.Module; pool(h: Tensor): Tensor; logits(pooled: Tensor): Tensor };
}

/** `splitAt(k)` of a sequence classifier on a TransformerBody (see ModelSplit for the kinds). */
export function classifierSplit<C extends PretrainedConfig, M>(model: PreTrainedModel, body: TransformerBody<C, M>, k: number, c: ClassifierHead): ModelSplit {
  const L = body.layers.length;
  checkLayerIndex(k, L);
  const hiddenSize = body.config.hiddenSize;
  const bottomModules = body.bottomModules(k);
  if (k < L) {
    return {
      kind: 'hidden', hiddenSize, bottomModules,
      bottom: (input) => torch.tidy(() => body.runBottom(body.prepare(input), k)),
      top: (x, attentionMask, labels) => torch.tidy(() => headOutput(model, c.logits(body.runTop(k, x, asMask(attentionMask, x.shape.slice(0, 2), x.device))), labels)),
    };
  }
  const pooled = c.pooled;
  if (pooled !== undefined && pooled.pooler.parameters().every((p) => !p.requiresGrad)) {
    return {
      kind: 'pooled', hiddenSize, bottomModules: [...bottomModules, pooled.pooler],
      bottom: (input) => torch.tidy(() => pooled.pool(body.runBottom(body.prepare(input), k))),
      top: (x, _mask, labels) => torch.tidy(() => headOutput(model, pooled.logits(x), labels)),
    };
  }
  return {
    kind: 'first-token', hiddenSize, bottomModules,
    bottom: (input) => torch.tidy(() => body.runBottom(body.prepare(input), k).select(1, 0).contiguous()),
    top: (x, _mask, labels) => torch.tidy(() => headOutput(model, c.logits(body.runTop(k, x.unsqueeze(1), null)), labels)),
  };
}
