/**
 * Dense retrieval: passages and questions embedded by an encoder (feature-extraction, mean-pooled over the
 * attention mask and L2-normalized, as sentence-transformers embeds), compared by cosine similarity; and
 * the hybrid ranking that merges it with BM25.
 *
 * Hybrid = reciprocal rank fusion (Cormack, Clarke & Büttcher 2009): score(d) = Σ_lists 1 / (k + rank(d)),
 * k = 60. It needs no calibration between BM25's unbounded scores and cosines in [-1, 1], which a weighted
 * sum of the two would (and that weight would differ for every corpus and encoder).
 */
import { LenguaError } from '../errors.js';
import { pipeline, type PipelineOptions } from '../infer/index.js';

/** Turns texts into vectors of one length. */
export interface Embedder {
  embed(texts: string[]): Promise<number[][]>;
  dispose(): Promise<void>;
}

/** An encoder folder (an export, a training folder, or a Hub id) as an Embedder: mean pooling, normalized. */
export async function loadEncoder(model: string, opts: PipelineOptions = {}): Promise<Embedder> {
  const extractor = await pipeline('feature-extraction', model, opts);
  return {
    embed: (texts) => (texts.length === 0 ? Promise.resolve([]) : extractor(texts, { pooling: 'mean', normalize: true })),
    dispose: () => extractor.dispose(),
  };
}

/** Cosine similarity; 0 when either vector is zero. */
export function cosine(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new LenguaError(`vectors of different lengths (${a.length} and ${b.length})`, { field: 'embedding' });
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

export interface RankedHit {
  index: number;
  score: number;
}

/** Passage vectors, searched exhaustively (a user's folder is thousands of passages, not millions). */
export class DenseIndex {
  constructor(readonly vectors: readonly (readonly number[])[]) {}

  /** Every passage's cosine with `query`, best first (ties: the earlier passage first). */
  search(query: readonly number[], k: number): RankedHit[] {
    const hits = this.vectors.map((v, index) => ({ index, score: cosine(query, v) }));
    hits.sort((a, b) => b.score - a.score || a.index - b.index);
    return hits.slice(0, k);
  }
}

export const RRF_K = 60;

/** Reciprocal rank fusion of rankings (each best first); the fused list best first, ties by index. */
export function reciprocalRankFusion(rankings: readonly (readonly RankedHit[])[], k = RRF_K): RankedHit[] {
  const fused = new Map<number, number>();
  for (const list of rankings) list.forEach((h, rank) => fused.set(h.index, (fused.get(h.index) ?? 0) + 1 / (k + rank + 1)));
  return [...fused].map(([index, score]) => ({ index, score })).sort((a, b) => b.score - a.score || a.index - b.index);
}
