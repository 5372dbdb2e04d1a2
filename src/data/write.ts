import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LenguaError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { GROUPING_RULE, type SplitResult } from './split.js';
import type { Dataset, Example } from './types.js';

/** File names a split is written to, by input format. */
export function splitFileNames(format: Dataset['format'], split: string, labelled: boolean): string[] {
  switch (format) {
    case 'csv':
      return [`${split}.csv`];
    case 'tsv':
      return [`${split}.tsv`];
    case 'jsonl':
      return [`${split}.jsonl`];
    case 'json':
      return [`${split}.json`];
    case 'parallel':
      return labelled ? [`${split}_text.txt`, `${split}_labels.txt`] : [`${split}_text.txt`];
  }
}

/**
 * Serializes examples in their dataset's own form: the same header, delimiter and columns for
 * CSV/TSV (each row's original fields, all columns kept), the original lines for JSONL, the original
 * objects for JSON, text and label lines for parallel files. Returns file name → content.
 */
export function serializeSplit(ds: Dataset, examples: readonly Example[], split: string): Map<string, string> {
  const files = new Map<string, string>();
  const labelled = ds.format === 'parallel' ? ds.labelsFile !== undefined : true;
  const names = splitFileNames(ds.format, split, labelled);
  switch (ds.format) {
    case 'csv':
    case 'tsv': {
      const delim = ds.layout.delimiter ?? (ds.format === 'tsv' ? '\t' : ',');
      const lines: string[] = [];
      const header = ds.layout.header;
      if (header) lines.push(header.map((h) => field(h, delim, ds.path, 1)).join(delim));
      for (const e of examples) {
        const fields = e.raw?.kind === 'fields' ? e.raw.fields : fieldsOf(ds, e);
        lines.push(fields.map((f) => field(f, delim, e.source.file, e.source.line)).join(delim));
      }
      files.set(names[0]!, lines.map((l) => `${l}\n`).join(''));
      break;
    }
    case 'jsonl':
      files.set(names[0]!, examples.map((e) => `${e.raw?.kind === 'jsonl' ? e.raw.line : JSON.stringify(plain(e))}\n`).join(''));
      break;
    case 'json':
      files.set(names[0]!, `${JSON.stringify(examples.map((e) => (e.raw?.kind === 'json' ? e.raw.value : plain(e))), null, ds.layout.jsonIndent ?? 2)}\n`);
      break;
    case 'parallel': {
      files.set(names[0]!, examples.map((e) => `${oneLine(e.raw?.kind === 'parallel' ? e.raw.text : e.text, e)}\n`).join(''));
      if (labelled) {
        files.set(
          names[1]!,
          examples.map((e) => `${e.raw?.kind === 'parallel' && e.raw.label !== undefined ? e.raw.label : labelText(e)}\n`).join(''),
        );
      }
      break;
    }
  }
  return files;
}

function plain(e: Example): Record<string, unknown> {
  return { text: e.text, ...(e.textPair !== undefined ? { text_pair: e.textPair } : {}), ...(e.label !== undefined ? { label: e.label } : {}) };
}

function labelText(e: Example): string {
  return e.label === undefined ? '' : typeof e.label === 'string' ? e.label : e.label.join(',');
}

function fieldsOf(ds: Dataset, e: Example): string[] {
  const header = ds.layout.header ?? [ds.columns.text, ...(ds.columns.label ? [ds.columns.label] : [])];
  return header.map((h) => (h === ds.columns.text ? e.text : h === ds.columns.textPair ? (e.textPair ?? '') : h === ds.columns.label ? labelText(e) : ''));
}

function oneLine(s: string, e: Example): string {
  if (/[\r\n]/.test(s)) throw new LenguaError('text holds a line break and cannot be written one per line', { file: e.source.file, line: e.source.line, field: 'text' });
  return s;
}

/** CSV quoting as RFC 4180 (only when needed); TSV has no quoting, so a tab or line break in a field is refused. */
function field(s: string, delim: string, file: string, line: number): string {
  if (delim === '\t') {
    if (/[\t\r\n]/.test(s)) throw new LenguaError('field holds a tab or line break, which TSV cannot represent', { file, line });
    return s;
  }
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

/** What writeSplits / writeFolds do with files already in the output folder. */
export interface WriteOptions {
  /**
   * Replace files of the same name (default true, as a file write does). `false` refuses before
   * anything is written when any output file exists: the CLI's default, so a second split into the
   * same folder never silently replaces the first one.
   */
  overwrite?: boolean;
}

/**
 * Throws, naming the first one, when any of `files` (relative to `outDir`) exists and `overwrite` is off.
 * The CLI calls it with the names it can predict before loading, so a long load is not wasted.
 */
export function refuseExistingOutputs(outDir: string, files: Iterable<string>, overwrite = false): void {
  if (overwrite) return;
  for (const f of files) {
    const path = join(outDir, f);
    if (existsSync(path)) {
      throw new LenguaError('already exists (written by an earlier run?); pass --overwrite to replace it, or choose another --out', {
        file: path,
      });
    }
  }
}

/** The files `writeSplits` writes for these splits, besides `mapping.txt` of parallel data (known once loaded). */
export function splitOutputFiles(format: Dataset['format'], labelled: boolean, splits: Iterable<string>): string[] {
  return [...[...splits].flatMap((s) => splitFileNames(format, s, labelled)), 'split.json'];
}

/**
 * The files `writeFolds` would write for k folds that already exist in `outDir`, besides each fold's
 * `mapping.txt` of parallel data. Only fold folders present are listed, so a large k costs nothing.
 */
export function foldOutputFiles(outDir: string, format: Dataset['format'], labelled: boolean, k: number): string[] {
  const files = ['folds.json'];
  let entries: string[] = [];
  try {
    entries = readdirSync(outDir);
  } catch {
    return files; // no folder yet: nothing to replace
  }
  for (const name of entries) {
    const m = /^fold-(\d+)$/.exec(name);
    if (m === null || Number(m[1]) >= k || `fold-${Number(m[1])}` !== name) continue;
    for (const s of ['train', 'validation']) files.push(...splitFileNames(format, s, labelled).map((f) => join(name, f)));
  }
  return files;
}

export interface SplitManifest {
  input: string;
  labelsFile?: string;
  mappingFile?: string;
  format: Dataset['format'];
  seed: number;
  prng: string;
  ratios: SplitResult['ratios'];
  grouping: string;
  groupsKeptTogether: number;
  counts: Record<string, { rows: number; labels: Record<string, number> }>;
  files: Record<string, string[]>;
  skipped: number;
}

/**
 * Writes every split in the input's format into `outDir`, each file atomically, then `split.json`
 * (seed, ratios, counts per split and label, the input, the grouping rule). No timestamps: the same
 * input and seed give byte-identical output.
 */
export function writeSplits(ds: Dataset, result: SplitResult, outDir: string, inputName = ds.path, options: WriteOptions = {}): SplitManifest {
  const outputs = new Map<string, string>();
  const manifest: SplitManifest = {
    input: inputName,
    ...(ds.labelsFile !== undefined ? { labelsFile: ds.labelsFile } : {}),
    ...(ds.mappingFile !== undefined ? { mappingFile: ds.mappingFile } : {}),
    format: ds.format,
    seed: result.seed,
    prng: 'mulberry32',
    ratios: result.ratios,
    grouping: GROUPING_RULE,
    groupsKeptTogether: result.groupsKeptTogether,
    counts: {},
    files: {},
    skipped: ds.skipped.length,
  };
  for (const [name, split] of Object.entries(result.splits)) {
    const files = serializeSplit(ds, split.examples, name);
    for (const [f, content] of files) outputs.set(f, content);
    manifest.files[name] = [...files.keys()];
    const labels: Record<string, number> = {};
    for (const l of ds.labels.names) labels[l] = 0;
    for (const e of split.examples) {
      if (e.label === undefined) continue;
      for (const l of typeof e.label === 'string' ? [e.label] : e.label) labels[l] = (labels[l] ?? 0) + 1;
    }
    manifest.counts[name] = { rows: split.examples.length, labels };
  }
  if (ds.format === 'parallel' && ds.layout.mappingText !== undefined) outputs.set('mapping.txt', ds.layout.mappingText);
  // Serialize and check everything first so a row that cannot be written, or a file that would be
  // replaced, stops the command before any file changes.
  refuseExistingOutputs(outDir, [...outputs.keys(), 'split.json'], options.overwrite ?? true);
  for (const [f, content] of outputs) writeFileAtomic(join(outDir, f), content);
  writeFileAtomic(join(outDir, 'split.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

export interface FoldsManifest {
  input: string;
  format: Dataset['format'];
  k: number;
  seed: number;
  prng: string;
  grouping: string;
  folds: Array<{ fold: number; dir: string; train: number; validation: number; labels: Record<string, number> }>;
}

/**
 * Writes k-fold cross-validation sets: `fold-0/train.*`, `fold-0/validation.*`, ... in the input's
 * format, then `folds.json`. Like writeSplits, no timestamps, so reruns are byte-identical.
 */
export function writeFolds(
  ds: Dataset,
  folds: ReadonlyArray<{ fold: number; train: Dataset; validation: Dataset }>,
  seed: number,
  outDir: string,
  inputName = ds.path,
  options: WriteOptions = {},
): FoldsManifest {
  const outputs = new Map<string, string>();
  const manifest: FoldsManifest = { input: inputName, format: ds.format, k: folds.length, seed, prng: 'mulberry32', grouping: GROUPING_RULE, folds: [] };
  for (const f of folds) {
    const dir = `fold-${f.fold}`;
    for (const [name, split] of [['train', f.train], ['validation', f.validation]] as const) {
      for (const [file, content] of serializeSplit(ds, split.examples, name)) outputs.set(join(dir, file), content);
    }
    if (ds.format === 'parallel' && ds.layout.mappingText !== undefined) outputs.set(join(dir, 'mapping.txt'), ds.layout.mappingText);
    const labels: Record<string, number> = {};
    for (const l of ds.labels.names) labels[l] = 0;
    for (const e of f.validation.examples) {
      if (e.label === undefined) continue;
      for (const l of typeof e.label === 'string' ? [e.label] : e.label) labels[l] = (labels[l] ?? 0) + 1;
    }
    manifest.folds.push({ fold: f.fold, dir, train: f.train.examples.length, validation: f.validation.examples.length, labels });
  }
  refuseExistingOutputs(outDir, [...outputs.keys(), 'folds.json'], options.overwrite ?? true);
  for (const [f, content] of outputs) writeFileAtomic(join(outDir, f), content);
  writeFileAtomic(join(outDir, 'folds.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
