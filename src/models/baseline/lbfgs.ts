/**
 * A compact L-BFGS minimizer for smooth convex objectives (Nocedal & Wright, algorithms 7.4/7.5 with
 * the strong-Wolfe line search of 3.5/3.6). Enough for L2-regularized logistic regression, whose
 * optimum is unique: any converged method lands on the point scikit-learn's lbfgs reaches.
 */

/** Writes the gradient at `x` into `grad` and returns the objective. */
export type ObjectiveFn = (x: Float64Array, grad: Float64Array) => number;

export interface LbfgsOptions {
  /** Stop when the largest absolute gradient entry is at most this (scikit-learn's `gtol`). @defaultValue 1e-6 */
  gtol?: number;
  /** Stop when the relative decrease of the objective in one step is at most this. @defaultValue 1e-15 */
  ftol?: number;
  /** @defaultValue 1000 */
  maxIter?: number;
  /** Correction pairs kept. @defaultValue 10 */
  memory?: number;
}

export interface LbfgsResult {
  x: Float64Array;
  f: number;
  iterations: number;
  evaluations: number;
  converged: boolean;
  gradMax: number;
  reason: 'gtol' | 'ftol' | 'maxIter' | 'lineSearch';
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** Minimizer of a cubic through (a, fa, ga) and (b, fb, gb), kept inside the interval's middle. */
function cubicStep(a: number, fa: number, ga: number, b: number, fb: number, gb: number): number {
  const d1 = ga + gb - (3 * (fa - fb)) / (a - b);
  const disc = d1 * d1 - ga * gb;
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  let t = (a + b) / 2;
  if (disc >= 0) {
    const d2 = Math.sign(b - a) * Math.sqrt(disc);
    const c = b - (b - a) * ((gb + d2 - d1) / (gb - ga + 2 * d2));
    if (Number.isFinite(c)) t = c;
  }
  // Safeguard: stay at least 10% away from either end so the bracket keeps shrinking.
  const margin = 0.1 * (hi - lo);
  return Math.min(Math.max(t, lo + margin), hi - margin);
}

export function lbfgs(fn: ObjectiveFn, x0: Float64Array, opts: LbfgsOptions = {}): LbfgsResult {
  const gtol = opts.gtol ?? 1e-6;
  const ftol = opts.ftol ?? 1e-15;
  const maxIter = opts.maxIter ?? 1000;
  const m = opts.memory ?? 10;
  const n = x0.length;
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let evaluations = 1;
  let f = fn(x, g);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const d = new Float64Array(n);
  const alpha = new Array<number>(m).fill(0);
  let xNew = new Float64Array(n);
  let gNew = new Float64Array(n);
  const c1 = 1e-4;
  const c2 = 0.9;

  for (let iter = 0; iter < maxIter; iter++) {
    const gmax = maxAbs(g);
    if (gmax <= gtol) return { x, f, iterations: iter, evaluations, converged: true, gradMax: gmax, reason: 'gtol' };
    // Two-loop recursion: d = -H g.
    for (let i = 0; i < n; i++) d[i] = -g[i]!;
    for (let k = S.length - 1; k >= 0; k--) {
      alpha[k] = rho[k]! * dot(S[k]!, d);
      const yk = Y[k]!;
      const a = alpha[k]!;
      for (let i = 0; i < n; i++) d[i] = d[i]! - a * yk[i]!;
    }
    if (S.length > 0) {
      const last = S.length - 1;
      const gamma = dot(S[last]!, Y[last]!) / dot(Y[last]!, Y[last]!);
      for (let i = 0; i < n; i++) d[i] = d[i]! * gamma;
    } else {
      // First step: a unit-length move, as the scale of H is unknown.
      const gn = Math.sqrt(dot(g, g));
      for (let i = 0; i < n; i++) d[i] = d[i]! / gn;
    }
    for (let k = 0; k < S.length; k++) {
      const b = rho[k]! * dot(Y[k]!, d);
      const sk = S[k]!;
      const a = alpha[k]! - b;
      for (let i = 0; i < n; i++) d[i] = d[i]! + a * sk[i]!;
    }
    let dg0 = dot(d, g);
    if (!(dg0 < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
      const gn = Math.sqrt(dot(g, g));
      for (let i = 0; i < n; i++) d[i] = -g[i]! / gn;
      dg0 = dot(d, g);
    }

    // Strong-Wolfe line search along d.
    // xNew/gNew/fLast always hold the last point evaluated: the accepted one when the search ends.
    let fLast = f;
    const phi = (t: number): [number, number] => {
      for (let i = 0; i < n; i++) xNew[i] = x[i]! + t * d[i]!;
      evaluations++;
      fLast = fn(xNew, gNew);
      return [fLast, dot(gNew, d)];
    };
    let accepted = false;
    let tPrev = 0;
    let fPrev = f;
    let gPrev = dg0;
    let t = 1;
    let lo = 0, flo = f, glo = dg0, hi = 0, fhi = 0, ghi = 0;
    let bracketed = false;
    for (let ls = 0; ls < 40 && !accepted; ls++) {
      const [ft, gt] = phi(t);
      if (!Number.isFinite(ft) || ft > f + c1 * t * dg0 || (ls > 0 && ft >= fPrev)) {
        [lo, flo, glo, hi, fhi, ghi] = [tPrev, fPrev, gPrev, t, ft, gt];
        bracketed = true;
        break;
      }
      if (Math.abs(gt) <= -c2 * dg0) {
        accepted = true;
        break;
      }
      if (gt >= 0) {
        [lo, flo, glo, hi, fhi, ghi] = [t, ft, gt, tPrev, fPrev, gPrev];
        bracketed = true;
        break;
      }
      tPrev = t;
      fPrev = ft;
      gPrev = gt;
      t *= 2;
    }
    if (!accepted && bracketed) {
      for (let z = 0; z < 40; z++) {
        const tj = Number.isFinite(fhi) ? cubicStep(lo, flo, glo, hi, fhi, ghi) : (lo + hi) / 2;
        const [fj, gj] = phi(tj);
        if (!Number.isFinite(fj) || fj > f + c1 * tj * dg0 || fj >= flo) {
          [hi, fhi, ghi] = [tj, fj, gj];
        } else {
          if (Math.abs(gj) <= -c2 * dg0) {
            accepted = true;
            break;
          }
          if (gj * (hi - lo) >= 0) [hi, fhi, ghi] = [lo, flo, glo];
          [lo, flo, glo] = [tj, fj, gj];
        }
        if (Math.abs(hi - lo) < 1e-16 * Math.max(1, Math.abs(lo))) break;
      }
      if (!accepted && lo > 0 && flo < f) {
        // No Wolfe point in floating point, but a decrease: take it (the best the precision allows).
        phi(lo);
        accepted = true;
      }
    }
    if (!accepted) return { x, f, iterations: iter, evaluations, converged: maxAbs(g) <= gtol, gradMax: maxAbs(g), reason: 'lineSearch' };

    // Reuse the pair about to be dropped from the memory (no garbage per iteration).
    const full = S.length === m;
    const sVec = full ? S[0]! : new Float64Array(n);
    const yVec = full ? Y[0]! : new Float64Array(n);
    for (let i = 0; i < n; i++) {
      sVec[i] = xNew[i]! - x[i]!;
      yVec[i] = gNew[i]! - g[i]!;
    }
    const fAfter = fLast;
    const sy = dot(sVec, yVec);
    if (full) {
      S.shift();
      Y.shift();
      rho.shift();
    }
    if (sy > 1e-12 * dot(yVec, yVec)) {
      S.push(sVec);
      Y.push(yVec);
      rho.push(1 / sy);
    }
    const fOld = f;
    [x, xNew] = [xNew, x];
    [g, gNew] = [gNew, g];
    f = fAfter;
    if ((fOld - f) / Math.max(Math.abs(fOld), Math.abs(f), 1) <= ftol) {
      const gm = maxAbs(g);
      // As scipy's L-BFGS-B: no more progress in floating point counts as converged.
      return { x, f, iterations: iter + 1, evaluations, converged: true, gradMax: gm, reason: 'ftol' };
    }
  }
  return { x, f, iterations: maxIter, evaluations, converged: maxAbs(g) <= gtol, gradMax: maxAbs(g), reason: 'maxIter' };
}
