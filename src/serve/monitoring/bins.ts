/**
 * The fixed bins of the monitored distributions. Fixed (not fitted to the reference data) so that a
 * reference computed today and a live window next month are binned alike, and two references compare.
 *
 * Every histogram uses one rule: `edges` are inclusive upper bounds, bin i holds the values v with
 * edges[i-1] < v <= edges[i], bin 0 everything up to edges[0], and one last bin everything above the last
 * edge — so `counts.length === edges.length + 1` and no value falls outside.
 */

/** Top-label confidence: ten bins of width 0.1 (a score above 0.9, 1 included, is in the last). */
export const CONFIDENCE_EDGES: readonly number[] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
/** Input length in tokens (special tokens included, before truncation): doubling bins, then > 512. */
export const INPUT_TOKEN_EDGES: readonly number[] = [8, 16, 32, 64, 128, 256, 512];
/** Per text, unknown tokens / input tokens: none at all, then up to 1 %, 5 %, 10 %, 25 %, above. */
export const UNKNOWN_RATE_EDGES: readonly number[] = [0, 0.01, 0.05, 0.1, 0.25];

export type HistogramKind = 'confidence' | 'inputTokens' | 'unknownRate';

export const EDGES: Readonly<Record<HistogramKind, readonly number[]>> = {
  confidence: CONFIDENCE_EDGES,
  inputTokens: INPUT_TOKEN_EDGES,
  unknownRate: UNKNOWN_RATE_EDGES,
};

/** Counts over fixed edges (see the rule at the top of this file). */
export interface Histogram {
  edges: number[];
  counts: number[];
}

/** The bin of `v`: the first i with v <= edges[i], else edges.length. Binary search; NaN never reaches here. */
export function binIndex(edges: readonly number[], v: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v <= edges[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function pct(v: number): string {
  return `${Number((v * 100).toFixed(2))}%`;
}

/** Names a person reads for each bin: "0.0–0.1", "9–16", "≤1%", ">512". */
export function binNames(kind: HistogramKind, edges: readonly number[]): string[] {
  const n = edges.length + 1;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const lo = i === 0 ? null : edges[i - 1]!;
    const hi = i === edges.length ? null : edges[i]!;
    if (kind === 'confidence') {
      out.push(`${(lo ?? 0).toFixed(1)}–${(hi ?? 1).toFixed(1)}`);
    } else if (kind === 'inputTokens') {
      // Integer counts: (lo, hi] is lo+1..hi.
      out.push(lo === null ? `≤${hi}` : hi === null ? `>${lo}` : lo + 1 === hi ? `${hi}` : `${lo + 1}–${hi}`);
    } else {
      out.push(lo === null ? (hi === 0 ? 'none' : `≤${pct(hi!)}`) : hi === null ? `>${pct(lo)}` : lo === 0 ? `≤${pct(hi)}` : `${pct(lo)}–${pct(hi)}`);
    }
  }
  return out;
}

export function sameEdges(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
