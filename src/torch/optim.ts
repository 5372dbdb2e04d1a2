// Optimizers with PyTorch 1.13's exact update rules, each step one fused native call per parameter group.
// State tensors (moments, momentum buffers) are ordinary Tensors kept out of tidy scopes, exportable for checkpoints.
import { LenguaError } from '../errors.js';
import { N, type NativeHandle } from './native.js';
import { Tensor, tidy, zerosLike } from './tensor.js';

export interface AdamWOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}
export interface AdamWGroup {
  params: Tensor[];
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
}
export interface AdamWParamState {
  step: number;
  expAvg: Tensor;
  expAvgSq: Tensor;
}
export interface AdamWStateDict {
  step: number;
  groups: Array<Omit<AdamWGroup, 'params'> & { params: number[] }>;
  /** One entry per parameter in group order (null: never stepped). */
  state: Array<AdamWParamState | null>;
}

type GroupSpec<O> = Array<{ params: Tensor[] } & O>;

function isGroups<O>(p: Tensor[] | GroupSpec<O>): p is GroupSpec<O> {
  return p.length > 0 && !(p[0] instanceof Tensor);
}

function checkNum(v: number, name: string, min = 0): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new LenguaError(`optimizer option ${name} must be a finite number >= ${min}, got ${v}`);
  return v;
}

/** A private copy of src with p's dtype and device, outside any tidy scope. */
function copyLike(src: Tensor, p: Tensor): Tensor {
  return tidy(() => src.to({ dtype: p.dtype, device: p.device }).clone()).keep();
}

function hasGrad(p: Tensor): boolean {
  return N.hasGrad(p.handle);
}

function zeroGradAll(groups: Array<{ params: Tensor[] }>, setToNone: boolean): void {
  for (const g of groups) for (const p of g.params) {
      if (setToNone) N.setGrad(p.handle, null);
      else N.zeroGrad(p.handle);
    }
}

/** AdamW (decoupled weight decay, bias-corrected moments), as torch.optim.AdamW in PyTorch 1.13. */
export class AdamW {
  paramGroups: AdamWGroup[];
  /** Number of step() calls. */
  stepCount = 0;
  private readonly state = new Map<Tensor, AdamWParamState>();

  constructor(params: Tensor[] | GroupSpec<AdamWOptions>, opts: AdamWOptions = {}) {
    const d = { lr: opts.lr ?? 1e-3, betas: opts.betas ?? [0.9, 0.999], eps: opts.eps ?? 1e-8, weightDecay: opts.weightDecay ?? 1e-2 } as const;
    const specs: GroupSpec<AdamWOptions> = isGroups(params) ? params : [{ params }];
    this.paramGroups = specs.map((g) => {
      const group: AdamWGroup = {
        params: [...g.params],
        lr: checkNum(g.lr ?? d.lr, 'lr'),
        betas: [...(g.betas ?? d.betas)] as [number, number],
        eps: checkNum(g.eps ?? d.eps, 'eps'),
        weightDecay: checkNum(g.weightDecay ?? d.weightDecay, 'weightDecay'),
      };
      for (const b of group.betas) if (!(b >= 0 && b < 1)) throw new LenguaError(`AdamW: betas must be in [0, 1), got [${group.betas.join(', ')}]`);
      return group;
    });
  }

  step(): void {
    this.stepCount++;
    for (const g of this.paramGroups) {
      const ps: NativeHandle[] = [];
      const ms: NativeHandle[] = [];
      const vs: NativeHandle[] = [];
      const steps: number[] = [];
      for (const p of g.params) {
        if (!hasGrad(p)) continue;
        let s = this.state.get(p);
        if (s === undefined) {
          s = { step: 0, expAvg: zerosLike(p).keep(), expAvgSq: zerosLike(p).keep() };
          this.state.set(p, s);
        }
        s.step++;
        ps.push(p.handle);
        ms.push(s.expAvg.handle);
        vs.push(s.expAvgSq.handle);
        steps.push(s.step);
      }
      if (ps.length > 0) N.adamwStep(ps, ms, vs, steps, g.lr, g.betas[0], g.betas[1], g.eps, g.weightDecay);
    }
  }

  zeroGrad(setToNone = true): void {
    zeroGradAll(this.paramGroups, setToNone);
  }

  /** The optimizer state: the moment tensors are the live ones (copy or save them; do not dispose). */
  stateDict(): AdamWStateDict {
    let index = 0;
    const groups = this.paramGroups.map(({ params, ...rest }) => ({ ...rest, betas: [...rest.betas] as [number, number], params: params.map(() => index++) }));
    const state = this.paramGroups.flatMap((g) => g.params.map((p) => this.state.get(p) ?? null));
    return { step: this.stepCount, groups, state };
  }

  /** Loads a state dict made by stateDict() for the same parameter layout (values are copied). */
  loadStateDict(sd: AdamWStateDict): void {
    const params = this.paramGroups.flatMap((g) => g.params);
    if (sd.groups.length !== this.paramGroups.length) throw new LenguaError(`AdamW.loadStateDict: ${sd.groups.length} groups in the state, ${this.paramGroups.length} in the optimizer`);
    if (sd.state.length !== params.length) throw new LenguaError(`AdamW.loadStateDict: ${sd.state.length} parameter states, the optimizer has ${params.length} parameters`);
    sd.groups.forEach((g, i) => {
      const own = this.paramGroups[i] as AdamWGroup;
      if (g.params.length !== own.params.length) throw new LenguaError(`AdamW.loadStateDict: group ${i} has ${g.params.length} parameters in the state, ${own.params.length} here`);
      own.lr = g.lr;
      own.betas = [...g.betas] as [number, number];
      own.eps = g.eps;
      own.weightDecay = g.weightDecay;
    });
    for (const s of this.state.values()) {
      s.expAvg.dispose();
      s.expAvgSq.dispose();
    }
    this.state.clear();
    sd.state.forEach((s, i) => {
      const p = params[i] as Tensor;
      if (s === null) return;
      for (const [name, t] of [['expAvg', s.expAvg], ['expAvgSq', s.expAvgSq]] as const) {
        const a = t.shape;
        const b = p.shape;
        if (a.length !== b.length || a.some((v, k) => v !== b[k])) {
          throw new LenguaError(`AdamW.loadStateDict: ${name} of parameter ${i} has shape [${a.join(', ')}], the parameter [${b.join(', ')}]`);
        }
      }
      this.state.set(p, { step: s.step, expAvg: copyLike(s.expAvg, p), expAvgSq: copyLike(s.expAvgSq, p) });
    });
    this.stepCount = sd.step;
  }

  /** Frees the state tensors. */
  dispose(): void {
    for (const s of this.state.values()) {
      s.expAvg.dispose();
      s.expAvgSq.dispose();
    }
    this.state.clear();
  }
}

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}
export interface SGDGroup {
  params: Tensor[];
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
}
export interface SGDStateDict {
  step: number;
  groups: Array<Omit<SGDGroup, 'params'> & { params: number[] }>;
  state: Array<{ momentumBuffer: Tensor } | null>;
}

/** SGD with optional momentum, dampening, weight decay and Nesterov, as torch.optim.SGD in PyTorch 1.13. */
export class SGD {
  paramGroups: SGDGroup[];
  stepCount = 0;
  private readonly buffers = new Map<Tensor, Tensor>();

  constructor(params: Tensor[] | GroupSpec<Partial<SGDOptions>>, opts: SGDOptions) {
    const specs: GroupSpec<Partial<SGDOptions>> = isGroups(params) ? params : [{ params }];
    this.paramGroups = specs.map((g) => {
      const group: SGDGroup = {
        params: [...g.params],
        lr: checkNum(g.lr ?? opts.lr, 'lr'),
        momentum: checkNum(g.momentum ?? opts.momentum ?? 0, 'momentum'),
        dampening: checkNum(g.dampening ?? opts.dampening ?? 0, 'dampening'),
        weightDecay: checkNum(g.weightDecay ?? opts.weightDecay ?? 0, 'weightDecay'),
        nesterov: g.nesterov ?? opts.nesterov ?? false,
      };
      if (group.nesterov && (group.momentum <= 0 || group.dampening !== 0)) throw new LenguaError('SGD: Nesterov momentum requires a momentum and zero dampening');
      return group;
    });
  }

  step(): void {
    this.stepCount++;
    for (const g of this.paramGroups) {
      const ps = g.params.filter(hasGrad);
      if (ps.length === 0) continue;
      const bufs = ps.map((p) => this.buffers.get(p)?.handle ?? null);
      const created = N.sgdStep(ps.map((p) => p.handle), bufs, g.lr, g.momentum, g.dampening, g.weightDecay, g.nesterov);
      created.forEach((hnd, i) => {
        if (hnd !== null) {
          const t = new Tensor(hnd).keep();
          this.buffers.set(ps[i] as Tensor, t);
        }
      });
    }
  }

  zeroGrad(setToNone = true): void {
    zeroGradAll(this.paramGroups, setToNone);
  }

  stateDict(): SGDStateDict {
    let index = 0;
    const groups = this.paramGroups.map(({ params, ...rest }) => ({ ...rest, params: params.map(() => index++) }));
    const state = this.paramGroups.flatMap((g) => g.params.map((p) => {
      const b = this.buffers.get(p);
      return b === undefined ? null : { momentumBuffer: b };
    }));
    return { step: this.stepCount, groups, state };
  }

  loadStateDict(sd: SGDStateDict): void {
    const params = this.paramGroups.flatMap((g) => g.params);
    if (sd.groups.length !== this.paramGroups.length || sd.state.length !== params.length) {
      throw new LenguaError(`SGD.loadStateDict: the state has ${sd.groups.length} groups / ${sd.state.length} parameters, the optimizer ${this.paramGroups.length} / ${params.length}`);
    }
    sd.groups.forEach((g, i) => {
      const { params: _p, ...rest } = g;
      Object.assign(this.paramGroups[i] as SGDGroup, rest);
    });
    for (const b of this.buffers.values()) b.dispose();
    this.buffers.clear();
    sd.state.forEach((s, i) => {
      const p = params[i] as Tensor;
      if (s !== null) this.buffers.set(p, copyLike(s.momentumBuffer, p));
    });
    this.stepCount = sd.step;
  }

  dispose(): void {
    for (const b of this.buffers.values()) b.dispose();
    this.buffers.clear();
  }
}

/** Scales gradients in place so their total norm is at most maxNorm; returns the norm before clipping. */
export function clipGradNorm(params: Tensor[], maxNorm: number, normType = 2): number {
  checkNum(maxNorm, 'maxNorm');
  if (!(normType > 0)) throw new LenguaError(`clipGradNorm(): normType must be > 0, got ${normType}`);
  return N.clipGradNorm(params.map((p) => p.handle), maxNorm, normType);
}
