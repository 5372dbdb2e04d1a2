// torch.nn: Module with PyTorch's dotted parameter names and state dicts, and the basic layers.
import { LenguaError } from '../errors.js';
import * as F from './functional.js';
import { Tensor, isDType, isFloating, noGrad, type DType, type Device } from './tensor.js';
import * as T from './tensor.js';

/** In-place initialisers (no gradient recorded), as torch.nn.init. */
export const init = {
  normal_(t: Tensor, mean = 0, std = 1): Tensor {
    return noGrad(() => t.normal_(mean, std));
  },
  uniform_(t: Tensor, a = 0, b = 1): Tensor {
    return noGrad(() => t.uniform_(a, b));
  },
  zeros_(t: Tensor): Tensor {
    return noGrad(() => t.zero_());
  },
  ones_(t: Tensor): Tensor {
    return noGrad(() => t.fill_(1));
  },
  constant_(t: Tensor, v: number): Tensor {
    return noGrad(() => t.fill_(v));
  },
};

export abstract class Module {
  training = true;
  private readonly _params = new Map<string, Tensor | null>();
  private readonly _buffers = new Map<string, Tensor>();
  private readonly _modules = new Map<string, Module>();

  train(mode = true): this {
    this.training = mode;
    for (const m of this._modules.values()) m.train(mode);
    return this;
  }
  eval(): this {
    return this.train(false);
  }

  /** Registers a parameter (marks it requiresGrad, exempts it from tidy scopes). null keeps the slot (bias=false). */
  registerParameter(name: string, t: Tensor | null): Tensor | null {
    checkName(name);
    if (t !== null) {
      t.keep();
      if (!t.requiresGrad) t.requiresGrad = true;
    }
    this._params.set(name, t);
    return t;
  }

  /** Registers a non-trainable tensor saved in the state dict (e.g. position ids). */
  registerBuffer(name: string, t: Tensor): Tensor {
    checkName(name);
    t.keep();
    this._buffers.set(name, t);
    return t;
  }

  registerModule<M extends Module>(name: string, m: M): M {
    checkName(name);
    this._modules.set(name, m);
    return m;
  }

  children(): Module[] {
    return [...this._modules.values()];
  }
  namedChildren(): Array<[string, Module]> {
    return [...this._modules.entries()];
  }

  /** This module and every descendant, with dotted names ('' for this one). */
  namedModules(prefix = ''): Array<[string, Module]> {
    const out: Array<[string, Module]> = [[prefix, this]];
    for (const [name, m] of this._modules) out.push(...m.namedModules(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  namedParameters(prefix = ''): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    const seen = new Set<Tensor>();
    for (const [mp, m] of this.namedModules(prefix)) {
      for (const [name, t] of m._params) {
        if (t === null || seen.has(t)) continue; // tied weights appear once, as in PyTorch
        seen.add(t);
        out.push([mp ? `${mp}.${name}` : name, t]);
      }
    }
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  namedBuffers(prefix = ''): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    for (const [mp, m] of this.namedModules(prefix)) for (const [name, t] of m._buffers) out.push([mp ? `${mp}.${name}` : name, t]);
    return out;
  }

  /** Parameters and buffers by dotted name: the same tensors, not copies. Tied weights appear under every name. */
  stateDict(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [mp, m] of this.namedModules()) {
      for (const [name, t] of m._params) if (t !== null) out.set(mp ? `${mp}.${name}` : name, t);
      for (const [name, t] of m._buffers) out.set(mp ? `${mp}.${name}` : name, t);
    }
    return out;
  }

  /** Copies values in (casting dtype/device to the module's). Strict (default) throws on missing or unexpected keys. */
  loadStateDict(state: Map<string, Tensor>, opts: { strict?: boolean } = {}): { missingKeys: string[]; unexpectedKeys: string[] } {
    const own = this.stateDict();
    const missingKeys = [...own.keys()].filter((k) => !state.has(k));
    const unexpectedKeys = [...state.keys()].filter((k) => !own.has(k));
    if ((opts.strict ?? true) && (missingKeys.length > 0 || unexpectedKeys.length > 0)) {
      throw new LenguaError(
        `loadStateDict: ${missingKeys.length} missing key(s) [${missingKeys.slice(0, 10).join(', ')}], ` +
          `${unexpectedKeys.length} unexpected key(s) [${unexpectedKeys.slice(0, 10).join(', ')}]`,
      );
    }
    for (const [k, dst] of own) {
      const src = state.get(k);
      if (src === undefined) continue;
      const a = dst.shape;
      const b = src.shape;
      if (a.length !== b.length || a.some((v, i) => v !== b[i])) {
        throw new LenguaError(`loadStateDict: shape mismatch for '${k}': the module has [${a.join(', ')}], the state has [${b.join(', ')}]`, { field: k });
      }
    }
    noGrad(() => {
      for (const [k, dst] of own) {
        const src = state.get(k);
        if (src !== undefined && src !== dst) dst.copy_(src);
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  /**
   * Moves parameters and buffers to a device and/or casts them to a dtype, in place: the same Tensor objects now
   * live there (param.data = ...). As in PyTorch, a dtype applies to floating-point tensors only (integer buffers such
   * as position ids keep theirs). Each tensor keeps its requiresGrad: frozen parameters (and DistilBERT's fixed
   * sinusoidal table) stay frozen.
   */
  to(target: Device | DType | { device?: Device; dtype?: DType }): this {
    let device: Device | undefined;
    let dtype: DType | undefined;
    if (typeof target === 'string') {
      if (isDType(target)) dtype = target;
      else device = target;
    } else {
      device = target.device;
      dtype = target.dtype;
    }
    if (dtype !== undefined && !isFloating(dtype)) throw new LenguaError(`Module.to: dtype must be floating point, got '${dtype}'`);
    noGrad(() => {
      const done = new Set<Tensor>(); // tied weights move once
      for (const [, m] of this.namedModules()) {
        const slots = [...m._params.values(), ...m._buffers.values()];
        for (const t of slots) {
          if (t === null || done.has(t)) continue;
          done.add(t);
          const newDevice = device !== undefined && t.device !== device ? device : undefined;
          const newDtype = dtype !== undefined && isFloating(t.dtype) && t.dtype !== dtype ? dtype : undefined;
          if (newDevice === undefined && newDtype === undefined) continue;
          const requiresGrad = t.requiresGrad;
          const moved = t.to({ device: newDevice, dtype: newDtype });
          t.setData_(moved);
          moved.dispose();
          // set_data takes the new tensor's metadata; the flag is the parameter's own, so put it back as it was.
          if (t.requiresGrad !== requiresGrad) t.requiresGrad = requiresGrad;
        }
      }
    });
    return this;
  }

  /** Frees every parameter and buffer. */
  dispose(): void {
    for (const [, m] of this.namedModules()) {
      for (const t of m._params.values()) t?.dispose();
      for (const t of m._buffers.values()) t.dispose();
    }
  }
}

function checkName(name: string): void {
  if (name === '' || name.includes('.')) throw new LenguaError(`module/parameter name '${name}' must be non-empty and contain no '.'`);
}

export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    bias = true,
  ) {
    super();
    // PyTorch's reset_parameters: kaiming_uniform(a=sqrt(5)) == U(-1/sqrt(in), 1/sqrt(in)) for weight and bias.
    const bound = inFeatures > 0 ? 1 / Math.sqrt(inFeatures) : 0;
    this.weight = this.registerParameter('weight', init.uniform_(T.empty([outFeatures, inFeatures]), -bound, bound)) as Tensor;
    this.bias = this.registerParameter('bias', bias ? init.uniform_(T.empty([outFeatures]), -bound, bound) : null);
  }
  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }
}

export class Embedding extends Module {
  weight: Tensor;
  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    readonly paddingIdx?: number,
  ) {
    super();
    if (paddingIdx !== undefined && (paddingIdx < -numEmbeddings || paddingIdx >= numEmbeddings)) {
      throw new LenguaError(`Embedding: paddingIdx ${paddingIdx} out of range for ${numEmbeddings} embeddings`);
    }
    if (paddingIdx !== undefined && paddingIdx < 0) this.paddingIdx = paddingIdx + numEmbeddings;
    const w = init.normal_(T.empty([numEmbeddings, embeddingDim]), 0, 1);
    if (this.paddingIdx !== undefined) {
      const row = w.select(0, this.paddingIdx);
      init.zeros_(row);
      row.dispose();
    }
    this.weight = this.registerParameter('weight', w) as Tensor;
  }
  forward(ids: Tensor): Tensor {
    return F.embedding(ids, this.weight, this.paddingIdx);
  }
}

export class LayerNorm extends Module {
  weight: Tensor;
  bias: Tensor;
  readonly normalizedShape: number[];
  constructor(
    dim: number | number[],
    readonly eps = 1e-5,
  ) {
    super();
    this.normalizedShape = Array.isArray(dim) ? dim : [dim];
    this.weight = this.registerParameter('weight', T.ones(this.normalizedShape)) as Tensor;
    this.bias = this.registerParameter('bias', T.zeros(this.normalizedShape)) as Tensor;
  }
  forward(x: Tensor): Tensor {
    return F.layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }
}

export class Dropout extends Module {
  private _p = 0;
  constructor(p = 0.1) {
    super();
    this.p = p;
  }
  /** The drop probability; settable (training arguments may override a checkpoint's dropout). */
  get p(): number {
    return this._p;
  }
  set p(p: number) {
    if (!(p >= 0 && p <= 1)) throw new LenguaError(`Dropout: p must be in [0, 1], got ${p}`);
    this._p = p;
  }
  forward(x: Tensor): Tensor {
    return F.dropout(x, this._p, this.training);
  }
}
