/**
 * Population Stability Index between a reference distribution and a live one, over the same bins:
 *
 *   PSI = Σ_i (a_i − e_i) · ln(a_i / e_i)
 *
 * with e_i the reference's share of bin i and a_i the live share. A share of 0 would make a term infinite,
 * so every share below PSI_EPSILON (1e-4) is raised to it, without renormalising the rest (the usual
 * practice; a bin empty on both sides then adds exactly 0). The conventional reading: below 0.1 stable,
 * 0.1 to 0.25 a moderate shift, above 0.25 a significant one.
 */

export const PSI_EPSILON = 1e-4;
export const PSI_MODERATE = 0.1;
export const PSI_SIGNIFICANT = 0.25;

export type DriftVerdict = 'stable' | 'moderate' | 'significant' | 'insufficient data' | 'no reference';

/** PSI of `live` against `reference` (counts per bin, same length); null when either side is empty. */
export function psi(reference: readonly number[], live: readonly number[], epsilon = PSI_EPSILON): number | null {
  if (reference.length !== live.length) throw new RangeError(`psi: ${reference.length} reference bins against ${live.length} live bins`);
  const re = reference.reduce((s, c) => s + c, 0);
  const li = live.reduce((s, c) => s + c, 0);
  if (re <= 0 || li <= 0) return null;
  let total = 0;
  for (let i = 0; i < live.length; i++) {
    const e = Math.max(reference[i]! / re, epsilon);
    const a = Math.max(live[i]! / li, epsilon);
    total += (a - e) * Math.log(a / e);
  }
  return total;
}

/**
 * What PSI reads from sampling alone when nothing drifted: for n live and m reference observations over k
 * bins that either side uses, PSI ≈ Σ (a−e)²/e, whose expectation is (k−1)(1/n + 1/m). A PSI near this
 * value is noise, whatever its verdict says.
 */
export function psiNoise(reference: readonly number[], live: readonly number[]): number | null {
  const m = reference.reduce((s, c) => s + c, 0);
  const n = live.reduce((s, c) => s + c, 0);
  if (m <= 0 || n <= 0) return null;
  let k = 0;
  for (let i = 0; i < live.length; i++) if (live[i]! > 0 || reference[i]! > 0) k++;
  return Math.max(k - 1, 0) * (1 / n + 1 / m);
}

/**
 * The conventional reading of a PSI; 'insufficient data' with no PSI or below `minCount` live observations
 * (where sampling noise alone approaches the 0.1 threshold). The caller says 'no reference' itself.
 */
export function verdict(value: number | null, liveCount: number, minCount: number): DriftVerdict {
  if (value === null || liveCount < minCount) return 'insufficient data';
  if (value > PSI_SIGNIFICANT) return 'significant';
  if (value >= PSI_MODERATE) return 'moderate';
  return 'stable';
}

const SEVERITY: Record<DriftVerdict, number> = { 'no reference': 0, 'insufficient data': 1, stable: 2, moderate: 3, significant: 4 };

/** The most severe of several verdicts (a one-word summary of a model): significant > moderate > stable > insufficient data > no reference. */
export function worstVerdict(verdicts: Iterable<DriftVerdict>): DriftVerdict {
  let worst: DriftVerdict = 'no reference';
  for (const v of verdicts) if (SEVERITY[v] > SEVERITY[worst]) worst = v;
  return worst;
}
