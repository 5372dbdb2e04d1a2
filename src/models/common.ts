/**
 * Pieces shared by the four model families: input conversion, attention masks, activations, the GPT-2
 * `Conv1D` layer, a `ModuleList`, transformers-style weight initialisation and the task losses.
 */
import * as torch from '../torch/index.js';
import { nn, F } from '../torch/index.js';
import type { Tensor, TensorLike, DType, Device } from '../torch/index.js';
import { LenguaError } from '../errors.js';
import type { PretrainedConfig, ProblemType } from '../hub/config.js';

/** torch.finfo(torch.float32).min: the additive mask value transformers uses. */
export const FLOAT32_MIN = -3.4028234663852886e38;

/** What every `forward` accepts. Tensors or nested number arrays ([batch, seq]). */
export interface ForwardInput {
  inputIds: TensorLike;
  attentionMask?: TensorLike | null;
  tokenTypeIds?: TensorLike | null;
  positionIds?: TensorLike | null;
  labels?: TensorLike | null;
  outputHiddenStates?: boolean;
  outputAttentions?: boolean;
}

export interface BaseModelOutput {
  lastHiddenState: Tensor;
  /** BERT / RoBERTa base models with a pooler: tanh(dense(h[:, 0])). */
  poolerOutput?: Tensor;
  /** Embedding output then each layer's output (GPT-2: the last one after ln_f). */
  hiddenStates?: Tensor[];
  /** Softmax attention probabilities per layer, [batch, heads, q, k]. */
  attentions?: Tensor[];
}

export interface ModelOutput {
  logits: Tensor;
  loss?: Tensor;
  hiddenStates?: Tensor[];
  attentions?: Tensor[];
}

/** Converts a user input to a tensor of the wanted dtype on the model's device. */
export function asTensor(x: TensorLike, dtype: DType, device: Device, field: string): Tensor {
  let t: Tensor;
  if (x instanceof torch.Tensor) {
    t = x;
  } else {
    if (typeof x !== 'number' && typeof x !== 'boolean' && !Array.isArray(x)) {
      throw new LenguaError(`must be a Tensor or a nested array of numbers`, { field });
    }
    try {
      t = torch.tensor(x, { dtype });
    } catch (err) {
      throw new LenguaError(`is not a rectangular array of numbers: ${(err as Error).message}`, { field }, { cause: err });
    }
  }
  if (t.dtype !== dtype) t = t.to(dtype);
  if (t.device !== device) t = t.to(device);
  return t;
}

/** Integer ids ([batch, seq]): int32/int64 tensors are kept, other inputs become int64. */
export function asIds(x: TensorLike, device: Device, field: string): Tensor {
  if (x instanceof torch.Tensor && (x.dtype === 'int64' || x.dtype === 'int32')) {
    if (x.ndim !== 2) throw new LenguaError(`must have shape [batch, seq], got [${x.shape.join(', ')}]`, { field });
    return x.device === device ? x : x.to(device);
  }
  const t = asTensor(x, 'int64', device, field);
  if (t.ndim !== 2) throw new LenguaError(`must have shape [batch, seq], got [${t.shape.join(', ')}]`, { field });
  return t;
}

export function checkSameShape(t: Tensor, ref: readonly number[], field: string): void {
  if (t.shape.length !== ref.length || t.shape.some((v, i) => v !== ref[i])) {
    throw new LenguaError(`shape [${t.shape.join(', ')}] does not match input_ids [${ref.join(', ')}]`, { field });
  }
}

/** Rejects ids outside the embedding table before libtorch sees them (it would abort on CUDA). */
export function checkIdRange(ids: Tensor, size: number, field: string): void {
  if (ids.numel === 0) return;
  const lo = ids.amin(0).amin(0).item();
  const hi = ids.amax(0).amax(0).item();
  if (lo < 0 || hi >= size) throw new LenguaError(`ids must lie in [0, ${size - 1}], found ${lo < 0 ? lo : hi}`, { field });
}

/**
 * The [batch, 1, 1, k] additive mask transformers builds from a 0/1 attention mask:
 * (1 - mask) * finfo.min, broadcast over heads and queries.
 */
export function extendedAttentionMask(mask: Tensor): Tensor {
  return mask.to('float32').neg().add(1).mul(FLOAT32_MIN).unsqueeze(1).unsqueeze(1);
}

/** GPT-2: causal lower triangle combined with the padding mask, additive, [batch or 1, 1, q, k]. */
export function causalAttentionMask(seqLen: number, device: Device, mask: Tensor | null): Tensor {
  const pos = torch.arange(0, seqLen, 1, { dtype: 'int64', device });
  let allowed = pos.unsqueeze(0).le(pos.unsqueeze(1)).unsqueeze(0).unsqueeze(0); // [1,1,q,k]: k <= q
  if (mask !== null) allowed = allowed.logicalAnd(mask.ne(0).unsqueeze(1).unsqueeze(1));
  return allowed.logicalNot().to('float32').mul(FLOAT32_MIN);
}

/** transformers ACT2FN, for the names configs use. */
export function activation(name: string): (x: Tensor) => Tensor {
  switch (name) {
    case 'gelu':
      return (x) => x.gelu('none');
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
    case 'gelu_fast':
      // Same formula: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
      return (x) => x.gelu('tanh');
    case 'quick_gelu':
      return (x) => x.mul(x.mul(1.702).sigmoid());
    case 'relu':
      return (x) => x.relu();
    case 'silu':
    case 'swish':
      return (x) => x.mul(x.sigmoid());
    case 'tanh':
      return (x) => x.tanh();
    case 'sigmoid':
      return (x) => x.sigmoid();
    case 'linear':
      return (x) => x;
    default:
      throw new LenguaError(`unsupported activation ${JSON.stringify(name)}`, { field: 'activation' });
  }
}

/**
 * Runs one transformer layer in its own tidy scope so its intermediates are released as soon as the
 * layer is done (autograd keeps what backward needs natively) — without this every intermediate of
 * the whole forward would stay alive until the caller's scope ends, far above PyTorch's peak memory.
 * The attention probabilities are kept only when asked for.
 */
export function runLayer(fn: () => { out: Tensor; probs: Tensor }, keepProbs: boolean): { out: Tensor; probs?: Tensor } {
  return torch.tidy(() => {
    const r = fn();
    return keepProbs ? r : { out: r.out };
  });
}

/** A list of submodules named 0, 1, 2, ... (torch.nn.ModuleList). */
export class ModuleList<M extends nn.Module> extends nn.Module {
  readonly items: M[] = [];
  constructor(items: M[]) {
    super();
    items.forEach((m, i) => {
      this.items.push(this.registerModule(String(i), m));
    });
  }
  get length(): number {
    return this.items.length;
  }
}

/**
 * GPT-2's `Conv1D`: a linear layer whose weight is stored [in, out] (transposed compared with
 * nn.Linear). Kept in that layout so state dicts and saved files keep Hugging Face's shapes.
 */
export class Conv1D extends nn.Module {
  // Not readonly: Module.to() swaps the fields for the moved tensors.
  weight: Tensor;
  bias: Tensor;
  constructor(
    readonly nf: number,
    readonly nx: number,
  ) {
    super();
    this.weight = this.registerParameter('weight', torch.zeros([nx, nf]))!;
    this.bias = this.registerParameter('bias', torch.zeros([nf]))!;
  }
  forward(x: Tensor): Tensor {
    return x.matmul(this.weight).add(this.bias);
  }
}

/** Options of `initWeights`, taken from the config. */
export interface InitOptions {
  std: number;
  /** GPT-2: `c_proj.weight` gets std / sqrt(2 * n_layer) (transformers' scaled residual init). */
  scaledResidual?: { nLayer: number };
}

/**
 * transformers `_init_weights`: Linear / Conv1D / Embedding weights ~ N(0, initializer_range), biases 0,
 * LayerNorm 1 / 0, the padding row of an embedding 0. Draws from torch's generator (`torch.manualSeed`).
 * `only` restricts the init to the named parameters (newly created head weights).
 */
export function initWeights(root: nn.Module, opts: InitOptions, only?: ReadonlySet<string>): void {
  const want = (n: string) => only === undefined || only.has(n);
  torch.noGrad(() => {
    for (const [prefix, m] of root.namedModules()) {
      const p = prefix === '' ? '' : prefix + '.';
      if (m instanceof nn.Linear || m instanceof Conv1D) {
        const scaled = opts.scaledResidual !== undefined && m instanceof Conv1D && /(^|\.)c_proj$/.test(prefix);
        const std = scaled ? opts.std / Math.sqrt(2 * opts.scaledResidual!.nLayer) : opts.std;
        if (want(p + 'weight')) nn.init.normal_(m.weight, 0, std);
        if (m.bias !== null && want(p + 'bias')) nn.init.zeros_(m.bias);
      } else if (m instanceof nn.Embedding) {
        if (want(p + 'weight')) {
          nn.init.normal_(m.weight, 0, opts.std);
          const pad = (m as unknown as { paddingIdx?: number | null }).paddingIdx;
          if (pad !== undefined && pad !== null) {
            const row = m.weight.select(0, pad);
            row.zero_();
            row.dispose();
          }
        }
      } else if (m instanceof nn.LayerNorm) {
        if (m.weight !== null && want(p + 'weight')) nn.init.ones_(m.weight);
        if (m.bias !== null && want(p + 'bias')) nn.init.zeros_(m.bias);
      }
    }
  });
}

/** Float labels for regression / multi-label, integer class ids otherwise. */
function labelTensor(labels: TensorLike, dtype: DType, device: Device): Tensor {
  return asTensor(labels, dtype, device, 'labels');
}

/**
 * Sequence-classification loss exactly as transformers picks it: `problem_type` when set, else
 * regression for one label, single-label CE for integer labels, multi-label BCE otherwise. Nested
 * JS arrays carry no int/float distinction, so for them "labels shaped like the logits" means
 * multi-label. Like transformers, the chosen problem type is recorded in the config.
 */
export function sequenceClassificationLoss(config: PretrainedConfig, logits: Tensor, labels: TensorLike): Tensor {
  const numLabels = config.numLabels;
  const device = logits.device;
  let problem: ProblemType | null = config.problemType;
  if (problem === null) {
    if (numLabels === 1) problem = 'regression';
    else if (labels instanceof torch.Tensor) {
      problem = labels.dtype === 'int64' || labels.dtype === 'int32' ? 'single_label_classification' : 'multi_label_classification';
    } else {
      const probe = torch.tensor(labels as torch.NestedArray);
      const shapeLikeLogits = probe.ndim === 2 && probe.shape[1] === numLabels;
      probe.dispose();
      problem = shapeLikeLogits ? 'multi_label_classification' : 'single_label_classification';
    }
    config.problemType = problem;
  }
  if (problem === 'regression') {
    const y = labelTensor(labels, 'float32', device);
    if (numLabels === 1) return F.mseLoss(logits.squeeze(), y.squeeze());
    return F.mseLoss(logits, y);
  }
  if (problem === 'single_label_classification') {
    const y = labelTensor(labels, 'int64', device);
    return F.crossEntropy(logits.reshape([-1, numLabels]), y.reshape([-1]));
  }
  const y = labelTensor(labels, 'float32', device);
  if (y.shape.join(',') !== logits.shape.join(',')) {
    throw new LenguaError(`multi-label targets must have the logits' shape [${logits.shape.join(', ')}], got [${y.shape.join(', ')}]`, { field: 'labels' });
  }
  return F.binaryCrossEntropyWithLogits(logits, y);
}

/** Token classification / masked LM: CE over every position, -100 ignored. */
export function tokenLoss(logits: Tensor, labels: TensorLike): Tensor {
  const n = logits.shape[logits.ndim - 1]!;
  const y = labelTensor(labels, 'int64', logits.device);
  return F.crossEntropy(logits.reshape([-1, n]), y.reshape([-1]), { ignoreIndex: -100 });
}

/** Causal LM: predict token t+1 from position t; -100 ignored. */
export function causalLmLoss(logits: Tensor, labels: TensorLike): Tensor {
  const [b, s, v] = logits.shape as [number, number, number];
  const y = labelTensor(labels, 'int64', logits.device);
  if (s < 2) throw new LenguaError('a causal LM loss needs sequences of at least 2 tokens', { field: 'labels' });
  const shiftLogits = logits.narrow(1, 0, s - 1).reshape([b * (s - 1), v]);
  const shiftLabels = y.narrow(1, 1, s - 1).reshape([b * (s - 1)]);
  return F.crossEntropy(shiftLogits, shiftLabels, { ignoreIndex: -100 });
}

/** First parameter's device: where inputs must go. */
export function moduleDevice(m: nn.Module): Device {
  const p = m.parameters()[0];
  return p === undefined ? 'cpu' : p.device;
}
