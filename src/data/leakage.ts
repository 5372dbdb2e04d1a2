import { normalizedKey } from './split.js';
import type { Dataset } from './types.js';

export interface LeakOccurrence {
  split: string;
  text: string;
  textPair?: string;
  file: string;
  line: number;
}

export interface LeakEntry {
  /** The shared text (exact) or the normalized key (normalized). */
  key: string;
  /** The splits it occurs in, sorted. */
  splits: string[];
  occurrences: LeakOccurrence[];
}

export interface LeakageReport {
  /** Texts (with their pair) that occur verbatim in two or more splits. */
  exact: LeakEntry[];
  /**
   * Texts that are equal only after normalization (see GROUPING_RULE) and occur in two or more
   * splits; groups already reported as exact (every copy the same text) are not repeated here.
   */
  normalized: LeakEntry[];
  /** Per pair of splits: the number of distinct exact and normalized keys they share. */
  pairs: Array<{ a: string; b: string; exact: number; normalized: number }>;
}

/** Lists the texts that two or more of the given splits share, exactly and after normalization. */
export function leakageReport(splits: Record<string, Dataset>): LeakageReport {
  const exactMap = new Map<string, LeakOccurrence[]>();
  const normMap = new Map<string, LeakOccurrence[]>();
  for (const [split, ds] of Object.entries(splits)) {
    for (const e of ds.examples) {
      const occ: LeakOccurrence = {
        split,
        text: e.text,
        ...(e.textPair !== undefined ? { textPair: e.textPair } : {}),
        file: e.source.file,
        line: e.source.line,
      };
      const ek = e.textPair === undefined ? e.text : `${e.text}\u0000${e.textPair}`;
      push(exactMap, ek, occ);
      push(normMap, normalizedKey(e.text, e.textPair), occ);
    }
  }
  const crossing = (m: Map<string, LeakOccurrence[]>) =>
    [...m.entries()]
      .map(([key, occurrences]) => ({ key, occurrences, splits: [...new Set(occurrences.map((o) => o.split))].sort() }))
      .filter((x) => x.splits.length > 1);
  const exact = crossing(exactMap);
  const normalized = crossing(normMap).filter(
    (x) => new Set(x.occurrences.map((o) => (o.textPair === undefined ? o.text : `${o.text}\u0000${o.textPair}`))).size > 1,
  );
  const names = Object.keys(splits);
  const pairs: LeakageReport['pairs'] = [];
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const a = names[i]!;
      const b = names[j]!;
      const both = (x: LeakEntry) => x.splits.includes(a) && x.splits.includes(b);
      pairs.push({ a, b, exact: exact.filter(both).length, normalized: crossing(normMap).filter(both).length });
    }
  }
  return { exact, normalized, pairs };
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

/** A readable listing of a leakage report. */
export function formatLeakageReport(r: LeakageReport, limit = 20): string {
  const out: string[] = [];
  for (const p of r.pairs) out.push(`${p.a} ∩ ${p.b}: ${p.exact} exact, ${p.normalized} after normalization`);
  const list = (title: string, entries: LeakEntry[]) => {
    out.push('', `${title}: ${entries.length}`);
    for (const e of entries.slice(0, limit)) {
      out.push(`  [${e.splits.join(', ')}]`);
      for (const o of e.occurrences) {
        const where = o.split === o.file ? `${o.file}:${o.line}` : `${o.split}  ${o.file}:${o.line}`;
        out.push(`    ${where}  ${JSON.stringify(clip(o.text))}`);
      }
    }
    if (entries.length > limit) out.push(`  … ${entries.length - limit} more (use --json for all)`);
  };
  list('shared exact texts', r.exact);
  list('shared after normalization only', r.normalized);
  return out.join('\n');
}

function clip(s: string, n = 80): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
