/**
 * "These two runs trained the same model", for runs that are the same maths with a different order of
 * float additions (another code path, thread count or BLAS kernel). Bit identity is not the property
 * there; what holds on every CPU is below.
 */
import assert from 'node:assert/strict';
import * as torch from '../../torch/index.js';
import type { Tensor } from '../../torch/index.js';
import type { PreTrainedModel } from '../../models/index.js';
import { collate, type EncodedDataset } from '../data.js';

/**
 * Parameters whose gradient is exactly zero in exact arithmetic: adding the key bias b_k adds q·b_k to
 * every score of a query's row, and softmax ignores a constant shift. In float32 their gradient is
 * rounding noise (~1e-9) whose sign depends on the BLAS kernel and thread count, and AdamW normalises
 * it to a full step of about ±lr.
 */
export const ZERO_GRADIENT = /attention\.self\.key\.bias$/;

/**
 * Each step's gradients differ by float32 rounding (one step of the cached path is within 1e-5 of the
 * plain one); 1e-4 leaves room for that to accumulate over a short run, while a real bug (a stale
 * cache row, a wrong mask, dropout where there should be none, a skipped or repeated step) moves
 * weights and logits by more than 1e-2.
 */
export const SAME_TRAINING_TOL = 1e-4;

/** AdamW moves a parameter by at most lr·(1-β1)/√(1-β2) per step (Kingma & Ba 2015, §2.1), so two runs
 * whose noise-level gradients differ in sign drift apart by at most twice that per step. */
export function adamDriftBound(maxLr: number, steps: number, beta1 = 0.9, beta2 = 0.999): number {
  return 2 * maxLr * (1 - beta1) / Math.sqrt(1 - beta2) * steps;
}

export function weightsOf(model: PreTrainedModel): Map<string, Float32Array> {
  return new Map([...model.namedParameters()].map(([k, v]) => [k, v.data() as Float32Array]));
}

/** Logits of a classifier on a whole dataset, by the plain forward in eval mode. */
export function logitsOf(model: PreTrainedModel, data: EncodedDataset, withTokenTypes = true): Float32Array {
  const idx = Array.from({ length: data.labels.length }, (_, i) => i);
  const b = collate(data, idx, { padTokenId: data.padTokenId ?? 0, withTokenTypes, multiLabel: false });
  return torch.tidy(() => {
    const out = model.forward({ inputIds: b.inputIds, attentionMask: b.attentionMask, ...(b.tokenTypeIds ? { tokenTypeIds: b.tokenTypeIds } : {}) }) as { logits: Tensor };
    return out.logits.data() as Float32Array;
  });
}

export function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export interface TrainedRun {
  weights: Map<string, Float32Array>;
  logits: Float32Array;
}

/**
 * Asserts that `b` trained the same model as `a`: the same parameters, every ordinary weight and every
 * logit within SAME_TRAINING_TOL, zero-gradient parameters within AdamW's drift bound, and (when
 * given) the frozen parameters bit for bit. Returns the largest differences seen, for the test's log.
 */
export function assertSameTraining(a: TrainedRun, b: TrainedRun, opts: { maxLr: number; steps: number; frozen?: Iterable<string> }): { weights: number; logits: number; zeroGradient: number } {
  assert.deepEqual([...b.weights.keys()], [...a.weights.keys()]);
  const frozen = new Set(opts.frozen ?? []);
  const bound = adamDriftBound(opts.maxLr, opts.steps);
  let worst = 0;
  let worstZero = 0;
  for (const [k, v] of a.weights) {
    const w = b.weights.get(k)!;
    if (frozen.has(k)) {
      assert.ok(Buffer.from(v.buffer, v.byteOffset, v.byteLength).equals(Buffer.from(w.buffer, w.byteOffset, w.byteLength)), `frozen ${k} differs`);
    } else if (ZERO_GRADIENT.test(k)) {
      const d = maxDiff(v, w);
      assert.ok(d <= bound, `${k} differs by ${d} > AdamW's bound ${bound}`);
      worstZero = Math.max(worstZero, d);
    } else {
      const d = maxDiff(v, w);
      assert.ok(d <= SAME_TRAINING_TOL, `${k} differs by ${d}`);
      worst = Math.max(worst, d);
    }
  }
  const dLogits = maxDiff(a.logits, b.logits);
  assert.ok(dLogits <= SAME_TRAINING_TOL, `logits differ by ${dLogits}`);
  return { weights: worst, logits: dLogits, zeroGradient: worstZero };
}
