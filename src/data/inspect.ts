import { normalizedKey } from './split.js';
import type { Dataset, SkippedRow, SourceLocation } from './types.js';

/** All inspection needs from a tokenizer (B's `Tokenizer` fits; so does anything with `encode`). */
export interface TokenCounter {
  encode(text: string): { ids: ArrayLike<number> };
}

export interface LengthStats {
  min: number;
  max: number;
  mean: number;
  median: number;
  p95: number;
}

export interface InspectReport {
  file: string;
  /** Parallel form: the labels and mapping files read with the text file. */
  labelsFile?: string;
  mappingFile?: string;
  format: string;
  rows: number;
  /** Examples per label, in label-id order (labels of the label set that never occur count 0). */
  labels: Record<string, number>;
  id2label: Record<string, string>;
  multiLabel: boolean;
  /** Rows without a label (kept when the load allowed missing labels). */
  missingLabels: number;
  missingLabelLines: SourceLocation[];
  balance: { majorityShare: number; minorityShare: number; imbalanceRatio: number } | null;
  /** Rows whose text is empty or whitespace only. */
  emptyTexts: number;
  emptyTextLines: SourceLocation[];
  duplicates: {
    /** Extra copies: rows minus distinct texts. */
    count: number;
    /** Distinct texts that occur more than once. */
    groups: number;
    /** Of those, texts whose copies carry different labels. */
    conflictingLabels: number;
    examples: Array<{ text: string; lines: number[]; labels: string[] }>;
    /** Extra copies after normalization (URLs, mentions, case, spacing; see GROUPING_RULE). */
    normalizedCount: number;
  };
  length: { chars: LengthStats | null; tokens?: LengthStats | null };
  skipped: { count: number; byReason: Record<string, number>; rows: SkippedRow[] };
}

export interface InspectOptions {
  tokenizer?: TokenCounter;
  /** How many duplicate groups / skipped rows / empty lines to list (default 20). */
  listLimit?: number;
}

/**
 * Describes a dataset: size, label counts and balance, empty and duplicate texts, and text lengths
 * in characters (Unicode code points, so an emoji counts 1) and, with a tokenizer, in tokens (as
 * `encode` returns them, special tokens included; a text pair counts both texts).
 */
export function inspectDataset(ds: Dataset, options: InspectOptions = {}): InspectReport {
  const limit = options.listLimit ?? 20;
  const labels: Record<string, number> = {};
  for (const name of ds.labels.names) labels[name] = 0;
  const missing: SourceLocation[] = [];
  const emptyLines: SourceLocation[] = [];
  const byText = new Map<string, { lines: number[]; labels: Set<string> }>();
  const byNorm = new Map<string, number>();
  const chars: number[] = [];
  const tokens: number[] = [];
  for (const e of ds.examples) {
    if (e.label === undefined) missing.push(e.source);
    else for (const l of typeof e.label === 'string' ? [e.label] : e.label) labels[l] = (labels[l] ?? 0) + 1;
    if (e.text.trim() === '') emptyLines.push(e.source);
    const key = e.textPair === undefined ? e.text : `${e.text}\u0000${e.textPair}`;
    const entry = byText.get(key) ?? { lines: [], labels: new Set<string>() };
    entry.lines.push(e.source.line);
    entry.labels.add(e.label === undefined ? '' : typeof e.label === 'string' ? e.label : [...e.label].sort().join('|'));
    byText.set(key, entry);
    const nk = normalizedKey(e.text, e.textPair);
    byNorm.set(nk, (byNorm.get(nk) ?? 0) + 1);
    chars.push(codePoints(e.text) + (e.textPair !== undefined ? codePoints(e.textPair) : 0));
    if (options.tokenizer) {
      let n = options.tokenizer.encode(e.text).ids.length;
      if (e.textPair !== undefined) n += options.tokenizer.encode(e.textPair).ids.length;
      tokens.push(n);
    }
  }
  const dupGroups = [...byText.entries()].filter(([, v]) => v.lines.length > 1);
  const counts = Object.values(labels);
  const total = counts.reduce((a, b) => a + b, 0);
  const present = counts.filter((c) => c > 0);
  const balance =
    total > 0 && counts.length > 0
      ? {
          majorityShare: round4(Math.max(...counts) / total),
          minorityShare: round4(Math.min(...counts) / total),
          // Ratio of the largest to the smallest class that occurs (a class with no rows would be ∞).
          imbalanceRatio: round4(Math.max(...present) / Math.min(...present)),
        }
      : null;
  const byReason: Record<string, number> = {};
  for (const s of ds.skipped) byReason[s.reason] = (byReason[s.reason] ?? 0) + 1;
  const report: InspectReport = {
    file: ds.path,
    ...(ds.labelsFile !== undefined ? { labelsFile: ds.labelsFile } : {}),
    ...(ds.mappingFile !== undefined ? { mappingFile: ds.mappingFile } : {}),
    format: ds.format,
    rows: ds.examples.length,
    labels,
    id2label: Object.fromEntries(ds.labels.names.map((n, i) => [String(i), n])),
    multiLabel: ds.multiLabel,
    // Unlabelled data (no label column at all) is not "missing" labels.
    missingLabels: ds.columns.label !== undefined || ds.columns.labels !== undefined ? missing.length : 0,
    missingLabelLines: ds.columns.label !== undefined || ds.columns.labels !== undefined ? missing.slice(0, limit) : [],
    balance,
    emptyTexts: emptyLines.length,
    emptyTextLines: emptyLines.slice(0, limit),
    duplicates: {
      count: ds.examples.length - byText.size,
      groups: dupGroups.length,
      conflictingLabels: dupGroups.filter(([, v]) => v.labels.size > 1).length,
      examples: dupGroups.slice(0, limit).map(([text, v]) => ({
        text: text.replace('\u0000', ' ‖ '),
        lines: v.lines,
        labels: [...v.labels],
      })),
      normalizedCount: ds.examples.length - byNorm.size,
    },
    length: { chars: stats(chars), ...(options.tokenizer ? { tokens: stats(tokens) } : {}) },
    skipped: { count: ds.skipped.length, byReason, rows: ds.skipped.slice(0, limit) },
  };
  return report;
}

function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff || i + 1 >= s.length) n++;
    else {
      const d = s.charCodeAt(i + 1);
      n++;
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
  }
  return n;
}

/** Min, max, mean, median and 95th percentile (linear interpolation, numpy's default). */
export function stats(xs: readonly number[]): LengthStats | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => {
    const pos = (s.length - 1) * p;
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
  };
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return { min: s[0]!, max: s[s.length - 1]!, mean: round4(mean), median: round4(q(0.5)), p95: round4(q(0.95)) };
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** The report as a readable, aligned table. */
export function formatReport(r: InspectReport): string {
  const out: string[] = [];
  const kv: Array<[string, string]> = [
    ['file', r.file],
  ];
  if (r.labelsFile !== undefined) kv.push(['labels file', r.labelsFile]);
  if (r.mappingFile !== undefined) kv.push(['mapping file', r.mappingFile]);
  kv.push(['format', r.format], ['rows', fmt(r.rows)]);
  if (r.missingLabels > 0) kv.push(['rows without label', fmt(r.missingLabels) + locs(r.missingLabelLines, r.file)]);
  kv.push(['empty texts', fmt(r.emptyTexts) + locs(r.emptyTextLines, r.file)]);
  kv.push([
    'duplicate texts',
    `${fmt(r.duplicates.count)} extra copies of ${fmt(r.duplicates.groups)} texts` +
      (r.duplicates.conflictingLabels > 0 ? ` (${r.duplicates.conflictingLabels} with conflicting labels)` : ''),
  ]);
  kv.push(['duplicates after normalization', fmt(r.duplicates.normalizedCount)]);
  if (r.skipped.count > 0) {
    kv.push([
      'skipped rows',
      `${fmt(r.skipped.count)} (${Object.entries(r.skipped.byReason)
        .map(([k, v]) => `${k}: ${v}`)
        .join('; ')})`,
    ]);
  }
  const w = Math.max(...kv.map(([k]) => k.length));
  for (const [k, v] of kv) out.push(`${k.padEnd(w)}  ${v}`);

  const names = Object.keys(r.labels);
  if (names.length > 0) {
    out.push('');
    const rows = names.map((name, i) => {
      const n = r.labels[name]!;
      const share = r.rows > 0 ? (100 * n) / r.rows : 0;
      return [String(i), name, fmt(n), `${share.toFixed(1)}%`];
    });
    out.push(...table(['id', 'label', 'count', 'share'], rows, [false, false, true, true]));
    if (r.balance) {
      out.push(
        `balance: majority ${(r.balance.majorityShare * 100).toFixed(1)}%, minority ${(r.balance.minorityShare * 100).toFixed(1)}%, ratio ${r.balance.imbalanceRatio.toFixed(2)}`,
      );
    }
  } else out.push('', 'no labels');

  out.push('');
  const lrows: string[][] = [];
  const add = (name: string, s: LengthStats | null | undefined) => {
    if (s) lrows.push([name, fmt(s.min), fmt(s.median), s.mean.toFixed(1), fmt(s.p95), fmt(s.max)]);
  };
  add('characters', r.length.chars);
  add('tokens', r.length.tokens);
  if (lrows.length > 0) out.push(...table(['length', 'min', 'median', 'mean', 'p95', 'max'], lrows, [false, true, true, true, true, true]));

  if (r.duplicates.examples.length > 0) {
    out.push('', 'duplicates (lines):');
    for (const d of r.duplicates.examples) out.push(`  ${d.lines.join(', ')}  ${JSON.stringify(clip(d.text))}`);
  }
  if (r.skipped.rows.length > 0) {
    out.push('', 'skipped:');
    for (const s of r.skipped.rows) out.push(`  ${s.file}:${s.line}${s.field ? ` (${s.field})` : ''}  ${s.reason}`);
  }
  return out.join('\n');
}

function locs(lines: SourceLocation[], file: string): string {
  if (lines.length === 0) return '';
  return ` (${lines.map((l) => (l.file === file ? `line ${l.line}` : `${l.file}:${l.line}`)).join(', ')})`;
}

function table(head: string[], rows: string[][], right: boolean[]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

function fmt(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString('en-US') : n.toFixed(1);
}

function clip(s: string, n = 80): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
