/** Building blocks shared by the families: a ModuleList, GPT-2's Conv1D, and the layer loop. */
import * as torch from '../../torch/index.js';
import { nn } from '../../torch/index.js';
import type { Tensor } from '../../torch/index.js';
import { LenguaError } from '../../errors.js';

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

/** A transformer layer as the loop sees it: hidden states and the family's mask in, output and attention probabilities out. */
export interface TransformerLayer<M> extends nn.Module {
  forward(x: Tensor, mask: M): { out: Tensor; probs: Tensor };
}

export interface LayerLoopOptions {
  /** First layer to run (default 0) and one past the last (default all). */
  from?: number;
  to?: number;
  outputHiddenStates?: boolean;
  outputAttentions?: boolean;
  /** Whether the loop may free the input `h` once the first layer has used it (false: the caller keeps it). */
  ownsInput?: boolean;
}

export interface LayerLoopOutput {
  h: Tensor;
  /** The input and each layer's output, when asked for. */
  hiddenStates?: Tensor[];
  attentions?: Tensor[];
}

/**
 * Runs layers [from, to) on h. Each layer runs in its own tidy scope so its intermediates are released
 * as soon as it is done (autograd keeps what backward needs natively) — without this every
 * intermediate of the whole forward would stay alive until the caller's scope ends, far above
 * PyTorch's peak memory. Attention probabilities are kept only when asked for.
 */
export function runLayers<M>(layers: readonly TransformerLayer<M>[], h: Tensor, mask: M, opts: LayerLoopOptions = {}): LayerLoopOutput {
  const from = opts.from ?? 0;
  const to = opts.to ?? layers.length;
  checkLayerIndex(from, layers.length, 'from');
  checkLayerIndex(to, layers.length, 'to');
  const keepHidden = opts.outputHiddenStates ?? false;
  const keepProbs = opts.outputAttentions ?? false;
  const input = h;
  const hiddenStates: Tensor[] = [];
  const attentions: Tensor[] = [];
  for (let i = from; i < to; i++) {
    if (keepHidden) hiddenStates.push(h);
    const layer = layers[i]!;
    const x = h;
    const r: { out: Tensor; probs?: Tensor } = torch.tidy(() => {
      const o = layer.forward(x, mask);
      return keepProbs ? o : { out: o.out };
    });
    if (!keepHidden && (x !== input || opts.ownsInput === true)) x.dispose();
    h = r.out;
    if (r.probs) attentions.push(r.probs);
  }
  if (keepHidden) hiddenStates.push(h);
  return { h, ...(keepHidden ? { hiddenStates } : {}), ...(keepProbs ? { attentions } : {}) };
}

/** A layer index (where a model is split, or where a loop starts or stops): an integer in [0, layers]. */
export function checkLayerIndex(k: number, layers: number, field = 'k'): void {
  if (!Number.isInteger(k) || k < 0 || k > layers) throw new LenguaError(`layer index must be an integer in [0, ${layers}], got ${k}`, { field });
}
