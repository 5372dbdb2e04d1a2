/**
 * L2-regularized logistic regression over sparse rows, with scikit-learn 1.2's `LogisticRegression`
 * objective (`solver='lbfgs'`, `multi_class='auto'`): several classes are one multinomial (softmax)
 * model with a coefficient row per class; two classes are one binary model (a single row, class 1
 * positive), as scikit-learn fits them. The intercept is fitted and not penalized. The loss is
 * minimized as mean loss + ||W||² / (2·C·n), scikit-learn's scaling, so tolerances mean the same.
 */
import { LenguaError } from '../../errors.js';
import type { Csr } from './tfidf.js';
import { lbfgs, type LbfgsResult } from './lbfgs.js';

export interface LogRegOptions {
  /** Inverse regularization strength. @defaultValue 1 */
  C?: number;
  /** @defaultValue 1000 */
  maxIter?: number;
  /** Gradient tolerance (largest entry of the gradient of the mean objective). @defaultValue 1e-6 */
  tol?: number;
  /** One weight per class id (scikit-learn's `class_weight`), or 'balanced' = n / (classes · count). */
  classWeight?: 'balanced' | number[] | null;
}

export interface LogRegModel {
  /** Rows: one per class (K > 2) or one for the binary model. Row-major, `rows × nFeatures`. */
  coef: Float64Array;
  intercept: Float64Array;
  rows: number;
  nFeatures: number;
  nClasses: number;
}

export interface LogRegFit {
  model: LogRegModel;
  optimizer: Omit<LbfgsResult, 'x'>;
}

export function fitLogReg(X: Csr, y: readonly number[], nClasses: number, opts: LogRegOptions = {}): LogRegFit {
  const C = opts.C ?? 1;
  if (!(C > 0) || !Number.isFinite(C)) throw new LenguaError(`C must be a positive number, got ${C}`, { field: 'C' });
  if (!Number.isInteger(nClasses) || nClasses < 2) throw new LenguaError(`need at least 2 classes, got ${nClasses}`, { field: 'labels' });
  const n = X.nRows;
  if (y.length !== n) throw new LenguaError(`${y.length} labels for ${n} rows`, { field: 'labels' });
  const counts = new Array<number>(nClasses).fill(0);
  for (const c of y) {
    if (!Number.isInteger(c) || c < 0 || c >= nClasses) throw new LenguaError(`label id ${c} outside 0..${nClasses - 1}`, { field: 'labels' });
    counts[c]!++;
  }
  if (counts.filter((c) => c > 0).length < 2) {
    throw new LenguaError('the training data holds only one class: logistic regression needs at least two', { field: 'labels' });
  }
  const sw = sampleWeights(y, counts, opts.classWeight ?? null);
  // scikit-learn divides by the sum of sample weights (n without class weights).
  const swSum = sw.reduce((a, b) => a + b, 0);
  const alpha = 1 / (C * swSum);
  const d = X.nCols;
  const binary = nClasses === 2;
  const rows = binary ? 1 : nClasses;
  const nW = rows * d;
  const { indptr, indices, data } = X;
  const z = new Float64Array(rows);

  const objective = (w: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const a = indptr[i]!;
      const b = indptr[i + 1]!;
      for (let k = 0; k < rows; k++) {
        let s = w[nW + k]!;
        const off = k * d;
        for (let p = a; p < b; p++) s += data[p]! * w[off + indices[p]!]!;
        z[k] = s;
      }
      const wi = sw[i]! / swSum;
      if (binary) {
        const t = y[i] === 1 ? 1 : 0;
        const zi = z[0]!;
        // log(1 + exp(-zi)) for t = 1, log(1 + exp(zi)) for t = 0, computed without overflow.
        const m = t === 1 ? -zi : zi;
        loss += wi * (m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m)));
        const p1 = zi >= 0 ? 1 / (1 + Math.exp(-zi)) : Math.exp(zi) / (1 + Math.exp(zi));
        const r = wi * (p1 - t);
        for (let p = a; p < b; p++) grad[indices[p]!]! += r * data[p]!;
        grad[nW]! += r;
      } else {
        let mx = -Infinity;
        for (let k = 0; k < rows; k++) mx = Math.max(mx, z[k]!);
        let se = 0;
        for (let k = 0; k < rows; k++) se += Math.exp(z[k]! - mx);
        const lse = mx + Math.log(se);
        const yi = y[i]!;
        loss += wi * (lse - z[yi]!);
        for (let k = 0; k < rows; k++) {
          const r = wi * (Math.exp(z[k]! - lse) - (k === yi ? 1 : 0));
          if (r === 0) continue;
          const off = k * d;
          for (let p = a; p < b; p++) grad[off + indices[p]!]! += r * data[p]!;
          grad[nW + k]! += r;
        }
      }
    }
    let reg = 0;
    for (let j = 0; j < nW; j++) {
      reg += w[j]! * w[j]!;
      grad[j]! += alpha * w[j]!;
    }
    return loss + 0.5 * alpha * reg;
  };

  const res = lbfgs(objective, new Float64Array(nW + rows), { gtol: opts.tol ?? 1e-6, maxIter: opts.maxIter ?? 1000 });
  const { x, ...optimizer } = res;
  return {
    model: { coef: x.slice(0, nW), intercept: x.slice(nW), rows, nFeatures: d, nClasses },
    optimizer,
  };
}

function sampleWeights(y: readonly number[], counts: number[], cw: 'balanced' | number[] | null): number[] {
  if (cw === null) return y.map(() => 1);
  const k = counts.length;
  let perClass: number[];
  if (cw === 'balanced') {
    const present = counts.filter((c) => c > 0).length;
    // scikit-learn's compute_class_weight: n / (classes present · count).
    perClass = counts.map((c) => (c > 0 ? y.length / (present * c) : 0));
  } else {
    if (cw.length !== k || cw.some((w) => !(w >= 0) || !Number.isFinite(w))) {
      throw new LenguaError(`classWeight needs ${k} finite non-negative numbers, got ${JSON.stringify(cw)}`, { field: 'classWeight' });
    }
    perClass = cw;
  }
  return y.map((c) => perClass[c]!);
}

/** Class probabilities of each row: softmax of the scores, or [1 − p, p] with p = sigmoid for the binary model. */
export function predictProbaLogReg(model: LogRegModel, X: Csr): number[][] {
  if (X.nCols !== model.nFeatures) throw new LenguaError(`rows have ${X.nCols} features, the model ${model.nFeatures}`);
  const { coef, intercept, rows, nFeatures: d } = model;
  const out: number[][] = [];
  for (let i = 0; i < X.nRows; i++) {
    const z = new Array<number>(rows);
    for (let k = 0; k < rows; k++) {
      let s = intercept[k]!;
      const off = k * d;
      for (let p = X.indptr[i]!; p < X.indptr[i + 1]!; p++) s += X.data[p]! * coef[off + X.indices[p]!]!;
      z[k] = s;
    }
    if (rows === 1) {
      const zi = z[0]!;
      const p1 = zi >= 0 ? 1 / (1 + Math.exp(-zi)) : Math.exp(zi) / (1 + Math.exp(zi));
      out.push([1 - p1, p1]);
    } else {
      const mx = Math.max(...z);
      const e = z.map((v) => Math.exp(v - mx));
      const s = e.reduce((a, b) => a + b, 0);
      out.push(e.map((v) => v / s));
    }
  }
  return out;
}
