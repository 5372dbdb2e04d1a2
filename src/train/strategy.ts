/**
 * The three ways to fine-tune (`full`, `head`, `freeze`), layer-wise learning-rate decay, weight-decay
 * exclusions and dropout overrides — everything that decides which weights train and how fast.
 */
import { nn } from '../torch/index.js';
import type { Tensor, AdamWOptions } from '../torch/index.js';
import { LenguaError } from '../errors.js';
import type { PreTrainedModel } from '../models/index.js';
import type { TrainingArguments } from './arguments.js';

/** Where a parameter sits: the embeddings, encoder layer i, the rest of the body (pooler, final norm), or the head. */
export type ParamPlace = { kind: 'embeddings' } | { kind: 'layer'; index: number } | { kind: 'body' } | { kind: 'head' };

const LAYER_RE = /^(?:encoder\.layer|transformer\.layer|h)\.(\d+)\./;

export function paramPlace(name: string, baseModelPrefix: string): ParamPlace {
  const prefix = baseModelPrefix + '.';
  if (!name.startsWith(prefix)) return { kind: 'head' };
  const rest = name.slice(prefix.length);
  if (rest.startsWith('embeddings.') || rest.startsWith('wte.') || rest.startsWith('wpe.')) return { kind: 'embeddings' };
  const m = LAYER_RE.exec(rest);
  if (m) return { kind: 'layer', index: Number(m[1]) };
  return { kind: 'body' };
}

export function numLayers(model: PreTrainedModel): number {
  const n = (model.config as unknown as { numHiddenLayers?: number }).numHiddenLayers;
  if (typeof n !== 'number') throw new LenguaError(`${model.className}: the config does not give the number of layers`);
  return n;
}

/** Layers frozen by `freeze` (and by `head`, which freezes the whole body). */
export function frozenLayerCount(model: PreTrainedModel, args: Pick<TrainingArguments, 'strategy' | 'freezeLayers'>): number {
  const L = numLayers(model);
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
  const L = numLayers(model);
  const k = frozenLayerCount(model, args);
  const decay = args.layerwiseLrDecay ?? 1;
  const noDecay = new Set<Tensor>();
  for (const [, m] of model.namedModules()) {
    if (m instanceof nn.LayerNorm) for (const p of m.parameters()) noDecay.add(p);
  }
  const groups = new Map<string, ParamGroup>();
  const trainable: string[] = [];
  const frozen: string[] = [];
  for (const [name, p] of model.namedParameters()) {
    const place = paramPlace(name, model.baseModelPrefix);
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
  return { groups: [...groups.values()], trainable, frozen, frozenLayers: args.strategy === 'full' ? 0 : k };
}

const DROPOUT_KEYS: Record<string, { hidden: string; attention: string; classifier: string }> = {
  bert: { hidden: 'hidden_dropout_prob', attention: 'attention_probs_dropout_prob', classifier: 'classifier_dropout' },
  roberta: { hidden: 'hidden_dropout_prob', attention: 'attention_probs_dropout_prob', classifier: 'classifier_dropout' },
  distilbert: { hidden: 'dropout', attention: 'attention_dropout', classifier: 'seq_classif_dropout' },
};

/**
 * Applies hiddenDropoutProb / attentionProbsDropoutProb / classifierDropout to a built model (its
 * Dropout modules and its config, so the saved config.json says what was trained with).
 */
export function applyDropoutOverrides(
  model: PreTrainedModel,
  args: Pick<TrainingArguments, 'hiddenDropoutProb' | 'attentionProbsDropoutProb' | 'classifierDropout'>,
): void {
  const { hiddenDropoutProb: hidden, attentionProbsDropoutProb: attention, classifierDropout: classifier } = args;
  if (hidden === undefined && attention === undefined && classifier === undefined) return;
  const keys = DROPOUT_KEYS[model.config.modelType];
  if (keys === undefined) throw new LenguaError(`dropout overrides are not supported for model_type ${model.config.modelType}`);
  const prefix = model.baseModelPrefix + '.';
  for (const [name, m] of model.namedModules()) {
    if (!(m instanceof nn.Dropout)) continue;
    let p: number | undefined;
    if (!name.startsWith(prefix)) p = classifier;
    else if (/attention(\.self)?\.dropout$/.test(name)) p = attention;
    else p = hidden;
    // Dropout.p is fixed at construction; the override replaces it in place (the module reads it each forward).
    if (p !== undefined) (m as unknown as { p: number }).p = p;
  }
  if (hidden !== undefined) model.config.set(keys.hidden, hidden);
  if (attention !== undefined) model.config.set(keys.attention, attention);
  if (classifier !== undefined) model.config.set(keys.classifier, classifier);
}
