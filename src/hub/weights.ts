/**
 * Maps checkpoint tensor names onto a model's parameter names the way transformers'
 * `from_pretrained` does:
 *
 * - legacy TF-era names `LayerNorm.gamma` / `LayerNorm.beta` become `.weight` / `.bias`;
 * - the base-model prefix (`bert.`, `roberta.`, `distilbert.`, `transformer.`) is added when a base
 *   checkpoint is loaded into a model with a head, and removed when a head checkpoint is loaded into a
 *   base model (GPT-2 files exist both ways: `h.0.attn...` and `transformer.h.0.attn...`);
 * - tied weights (`lm_head.weight`, MLM decoders) may be absent or present: they are the input
 *   embedding, so a stored copy is skipped;
 * - aliases (`cls.predictions.decoder.bias` is `cls.predictions.bias`) fill the parameter when the
 *   canonical name is absent;
 * - non-parameter buffers old checkpoints carry (`embeddings.position_ids`, GPT-2 `attn.bias`,
 *   `attn.masked_bias`) are ignored silently;
 * - everything else left over is reported as unused, every parameter not found as missing, and shape
 *   disagreements as mismatched, so the caller can warn or fail like transformers.
 */

export interface WeightPlanSpec {
  /** Parameter names of the model and their shapes. */
  modelShapes: Map<string, readonly number[]>;
  /** Checkpoint names and their shapes. */
  checkpointShapes: Map<string, readonly number[]>;
  /** Base-model attribute: `bert`, `roberta`, `distilbert`, `transformer`. */
  basePrefix: string;
  /** Checkpoint names (after prefix handling) that are tied copies of another parameter: skipped. */
  tiedKeys?: readonly string[];
  /** checkpoint name → model name, used only when the model name is not otherwise filled. */
  aliases?: Readonly<Record<string, string>>;
  /** Checkpoint names matching one of these are dropped silently (buffers, not weights). */
  ignoreUnexpected?: readonly RegExp[];
}

export interface WeightPlan {
  /** model parameter name → checkpoint name to copy from. */
  assign: Map<string, string>;
  /** Model parameters with no checkpoint value (they stay newly initialised). */
  missing: string[];
  /** Checkpoint names that matched no parameter. */
  unexpected: string[];
  /** Names present on both sides with different shapes (not in `assign`). */
  mismatched: Array<{ name: string; checkpointKey: string; checkpointShape: number[]; modelShape: number[] }>;
}

/** Buffers transformers itself ignores when they are present in a checkpoint. */
export const DEFAULT_IGNORED: readonly RegExp[] = [
  /(^|\.)embeddings\.position_ids$/,
  /(^|\.)attn\.(bias|masked_bias)$/,
  /(^|\.)embeddings\.token_type_ids$/,
];

/** `x.LayerNorm.gamma` → `x.LayerNorm.weight`, `x.LayerNorm.beta` → `x.LayerNorm.bias` (legacy names). */
export function normalizeKey(key: string): string {
  if (key.endsWith('.gamma')) return key.slice(0, -'.gamma'.length) + '.weight';
  if (key.endsWith('.beta')) return key.slice(0, -'.beta'.length) + '.bias';
  return key;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Decides which checkpoint tensor fills which parameter. Pure: no tensors are touched. */
export function planWeightLoading(spec: WeightPlanSpec): WeightPlan {
  const prefix = spec.basePrefix + '.';
  const tied = new Set(spec.tiedKeys ?? []);
  const ignored = [...DEFAULT_IGNORED, ...(spec.ignoreUnexpected ?? [])];
  const assign = new Map<string, string>();
  const unexpected: string[] = [];
  const mismatched: WeightPlan['mismatched'] = [];
  const aliasHits: Array<[string, string]> = [];

  // Exact (normalized) names win over prefix-adjusted ones, so a checkpoint holding both spellings
  // (rare, but seen in hand-merged files) resolves deterministically.
  const keys = [...spec.checkpointShapes.keys()].sort((a, b) => a.localeCompare(b));
  const resolved: Array<[string, string | null]> = keys.map((k) => [k, null]);
  const candidatesOf = (key: string): string[] => {
    const n = normalizeKey(key);
    const c = [n, prefix + n];
    if (n.startsWith(prefix)) c.push(n.slice(prefix.length));
    return c;
  };
  for (const entry of resolved) {
    const key = entry[0];
    const cands = candidatesOf(key);
    const hit = cands.find((c) => spec.modelShapes.has(c) && !assign.has(c));
    if (hit !== undefined) {
      const ms = spec.modelShapes.get(hit)!;
      const cs = spec.checkpointShapes.get(key)!;
      if (!sameShape(ms, cs)) {
        mismatched.push({ name: hit, checkpointKey: key, checkpointShape: [...cs], modelShape: [...ms] });
        // Mark as consumed so the same parameter is not filled by another spelling.
        assign.set(hit, '');
        entry[1] = hit;
        continue;
      }
      assign.set(hit, key);
      entry[1] = hit;
      continue;
    }
    if (cands.some((c) => tied.has(c))) {
      entry[1] = '';
      continue;
    }
    const alias = cands.map((c) => spec.aliases?.[c]).find((a) => a !== undefined);
    if (alias !== undefined && spec.modelShapes.has(alias)) {
      aliasHits.push([alias, key]);
      entry[1] = '';
      continue;
    }
    if (ignored.some((re) => cands.some((c) => re.test(c)))) {
      entry[1] = '';
      continue;
    }
    unexpected.push(key);
  }
  for (const [name, key] of aliasHits) {
    if (assign.has(name)) continue;
    const ms = spec.modelShapes.get(name)!;
    const cs = spec.checkpointShapes.get(key)!;
    if (!sameShape(ms, cs)) mismatched.push({ name, checkpointKey: key, checkpointShape: [...cs], modelShape: [...ms] });
    else assign.set(name, key);
  }
  for (const [name, key] of [...assign.entries()]) if (key === '') assign.delete(name);
  const mismatchedNames = new Set(mismatched.map((m) => m.name));
  const missing = [...spec.modelShapes.keys()].filter((n) => !assign.has(n) && !mismatchedNames.has(n)).sort();
  return { assign, missing, unexpected: unexpected.sort(), mismatched };
}
