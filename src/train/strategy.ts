/**
 * The three ways to fine-tune (`full`, `head`, `freeze`), layer-wise learning-rate decay, weight-decay
 * exclusions and dropout overrides — everything that decides which weights train and how fast.
 */
import { nn } from '../torch/index.js';
import type { Tensor, AdamWOptions } from '../torch/index.js';
import { LenguaError } from '../errors.js';
import type { PreTrainedModel } from '../models/index.js';
import type { TrainingArguments } from './arguments.js';

/** Layers frozen by `freeze` (and by `head`, which freezes the whole body). */
export function frozenLayerCount(model: PreTrainedModel, args: Pick<TrainingArguments, 'strategy' | 'freezeLayers'>): number {
  const L = model.numLayers;
  if (args.strategy === 'full') return 0;
  if (args.strategy === 'head') return L;
  const k = args.freezeLayers ?? Math.max(0, L - 2);
  if (k > L) throw new LenguaError(`freezeLayers is ${k} but ${model.className} has ${L} layers`, { field: 'freezeLayers' });
  return k;
}

export interface ParamGroup extends AdamWOptions {
  params: Tensor[];
  /** Parameter names, same order as params (for checkpoints and messages). */
  names: string[];
  lr: number;
  weightDecay: number;
}

export interface StrategyResult {
  groups: ParamGroup[];
  trainable: string[];
  frozen: string[];
  /** Encoder layers whose outputs do not depend on trainable weights (a frozen-output cache may reuse them). */
  frozenLayers: number;
}

/**
 * Sets requiresGrad for the strategy and returns AdamW parameter groups: frozen weights are left out;
 * biases and LayerNorm weights get no weight decay (as transformers' Trainer); with layerwiseLrDecay d
 * the head gets lr, layer i lr·d^(L−i), the embeddings lr·d^(L+1).
 */
export function applyStrategy(model: PreTrainedModel, args: TrainingArguments): StrategyResult {
  const L = model.numLayers;
  const k = frozenLayerCount(model, args);
  const decay = args.layerwiseLrDecay ?? 1;
  const noDecay = new Set<Tensor>();
  for (const [, m] of model.namedModules()) {
    if (m instanceof nn.LayerNorm) for (const p of m.parameters()) noDecay.add(p);
  }
  const groups = new Map<string, ParamGroup>();
  const trainable: string[] = [];
  const frozen: string[] = [];
  const fixed = model.fixedParameters();
  for (const [name, p] of model.namedParameters()) {
    const place = model.layerOf(name);
    let train: boolean;
    let depth: number; // 0 = embeddings … L + 1 = head
    switch (place.kind) {
      case 'embeddings':
        train = args.strategy === 'full';
        depth = 0;
        break;
      case 'layer':
        train = place.index >= k;
        depth = place.index + 1;
        break;
      case 'body':
        train = args.strategy !== 'head';
        depth = L + 1;
        break;
      case 'head':
        train = true;
        depth = L + 1;
        break;
    }
    // A weight the checkpoint did not have is random: frozen, it would only feed noise to the head. The
    // pooler of a model pretrained as a masked LM is the case that matters (head would train on a random tanh).
    if (model.newlyInitialized.has(name)) train = true;
    if (fixed.has(name)) train = false;
    p.requiresGrad_(train);
    if (!train) {
      frozen.push(name);
      continue;
    }
    trainable.push(name);
    const lr = args.learningRate * Math.pow(decay, L + 1 - depth);
    const wd = noDecay.has(p) || name.endsWith('bias') ? 0 : args.weightDecay;
    const key = `${lr}|${wd}`;
    let g = groups.get(key);
    if (g === undefined) {
      g = { params: [], names: [], lr, weightDecay: wd, betas: [args.adamBeta1, args.adamBeta2], eps: args.adamEpsilon };
      groups.set(key, g);
    }
    g.params.push(p);
    g.names.push(name);
  }
  if (trainable.length === 0) throw new LenguaError(`strategy ${args.strategy} leaves no weight of ${model.className} to train`, { field: 'strategy' });
  // Layers whose outputs may be cached: below the first layer (or the embeddings) with a weight that trains.
  let frozenLayers = args.strategy === 'full' ? 0 : k;
  for (const name of trainable) {
    const place = model.layerOf(name);
    if (place.kind === 'embeddings') frozenLayers = 0;
    else if (place.kind === 'layer') frozenLayers = Math.min(frozenLayers, place.index);
  }
  return { groups: [...groups.values()], trainable, frozen, frozenLayers };
}

/**
 * Applies hiddenDropoutProb / attentionProbsDropoutProb / classifierDropout to a built model (its
 * Dropout modules and its config, so the saved config.json says what was trained with).
 */
export function applyDropoutOverrides(
  model: PreTrainedModel,
  args: Pick<TrainingArguments, 'hiddenDropoutProb' | 'attentionProbsDropoutProb' | 'classifierDropout'>,
): void {
  model.setDropout({ hidden: args.hiddenDropoutProb, attention: args.attentionProbsDropoutProb, classifier: args.classifierDropout });
}
