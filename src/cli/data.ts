import { Command, Option } from 'commander';
import { LenguaError } from '../errors.js';
import { ensureWritableDir } from '../util/fs.js';
import {
  detectFormat,
  foldOutputFiles,
  formatLeakageReport,
  formatReport,
  inspectFile,
  leakageReport,
  loadConll,
  entitySpans,
  loadDataset,
  refuseExistingOutputs,
  siblingLabelsFile,
  splitDataset,
  splitOutputFiles,
  stratifiedKFold,
  writeFolds,
  writeSplits,
  type Dataset,
  type TokenCounter,
} from '../data/index.js';
import { addDataOptions, dataLoadOptions, type DataFlags } from './options.js';

/** inspect, split, kfold and leakage take every data-loading flag. */
function addLoadOptions(cmd: Command): Command {
  return addDataOptions(cmd, {
    multiLabel: true,
    parallelFiles: true,
    skipBadRows: 'leave out bad rows (they are counted and listed) instead of stopping at the first',
    labelSet: true,
  });
}

function parseRatio(name: string) {
  return (v: string): number => {
    const x = Number(v);
    if (v.trim() === '' || !Number.isFinite(x) || x < 0 || x >= 1) {
      throw new LenguaError(`--${name} must be a number in [0, 1), got "${v}"`, { field: name });
    }
    return x;
  };
}

function parseInteger(name: string) {
  return (v: string): number => {
    if (!/^-?\d+$/.test(v.trim())) throw new LenguaError(`--${name} must be an integer, got "${v}"`, { field: name });
    return Number(v);
  };
}

async function loadTokenizer(dir: string): Promise<TokenCounter> {
  const mod = (await import('../text/tokenizer/index.js')) as {
    AutoTokenizer: { fromPretrained(dir: string): Promise<TokenCounter> };
  };
  return mod.AutoTokenizer.fromPretrained(dir);
}

/** `{a: 3, b: 1}` → `a=3 b=1`, for the one-line summaries. */
function counts(byName: Record<string, number>): string {
  return Object.entries(byName)
    .map(([name, n]) => `${name}=${n}`)
    .join(' ');
}

/**
 * Before any loading: `--out` must be a folder that can be written, and (without --overwrite) must not
 * hold the files this run would write. Parallel data writes X_labels.txt only when it has labels.
 */
function checkOutput(file: string, flags: DataFlags & { out: string; overwrite?: boolean }, files: (format: Dataset['format'], labelled: boolean) => string[]): void {
  ensureWritableDir(flags.out, '--out');
  const format = flags.format ?? detectFormat(file);
  const labelled = format !== 'parallel' || (flags.labels ?? siblingLabelsFile(file)) !== undefined;
  refuseExistingOutputs(flags.out, files(format, labelled), flags.overwrite === true);
}

function print(s: string): void {
  process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
}

export function register(program: Command): void {
  const data = program.command('data').description('load, inspect, split and check labelled datasets');

  addLoadOptions(
    data
      .command('inspect')
      .description('rows, labels and balance, empty and duplicate texts, text lengths')
      .argument('<file>', 'CSV, TSV, JSONL, JSON array, or X_text.txt (with X_labels.txt beside it)'),
  )
    .option('--tokenizer <dir>', 'also measure lengths in tokens with the tokenizer in this folder')
    .option('--strict', 'treat empty texts and missing labels as errors')
    .option('--json', 'print JSON')
    .action(async (file: string, flags: DataFlags & { tokenizer?: string; json?: boolean; strict?: boolean }) => {
      const tokenizer = flags.tokenizer !== undefined ? await loadTokenizer(flags.tokenizer) : undefined;
      // Streamed: the file is read in pieces and no text is kept, so memory does not grow with the file.
      const report = await inspectFile(file, dataLoadOptions(flags, { lenient: !flags.strict }), tokenizer ? { tokenizer } : {});
      print(flags.json ? JSON.stringify(report, null, 2) : formatReport(report));
    });

  addLoadOptions(
    data
      .command('split')
      .description('stratified train/validation/test split, written in the input format with split.json')
      .argument('<file>', 'the dataset to split'),
  )
    .requiredOption('--out <dir>', 'folder for the split files and split.json')
    .option('--overwrite', 'replace split files already in --out (by default their presence is an error)')
    .option('--val <ratio>', 'validation share', parseRatio('val'), 0.1)
    .option('--test <ratio>', 'test share', parseRatio('test'), 0.1)
    .option('--seed <n>', 'seed of the shuffle', parseInteger('seed'), 42)
    .option('--no-stratify', 'do not keep label shares equal across splits')
    .option('--json', 'print split.json instead of a summary')
    .action((file: string, flags: DataFlags & { out: string; overwrite?: boolean; val: number; test: number; seed: number; stratify: boolean; json?: boolean }) => {
      const splits = ['train', ...(flags.val > 0 ? ['validation'] : []), ...(flags.test > 0 ? ['test'] : [])];
      checkOutput(file, flags, (format, labelled) => splitOutputFiles(format, labelled, splits));
      const ds = loadDataset(file, dataLoadOptions(flags, { lenient: false }));
      const result = splitDataset(ds, { val: flags.val, test: flags.test, seed: flags.seed, stratify: flags.stratify });
      const manifest = writeSplits(ds, result, flags.out, file, { overwrite: flags.overwrite === true });
      if (flags.json) return print(JSON.stringify(manifest, null, 2));
      const lines = Object.entries(manifest.counts).map(
        ([name, c]) => `${name.padEnd(10)} ${String(c.rows).padStart(7)}  ${counts(c.labels)}  → ${manifest.files[name]!.join(', ')}`,
      );
      if (ds.skipped.length > 0) lines.push(`skipped ${ds.skipped.length} bad rows`);
      if (result.groupsKeptTogether > 0) lines.push(`${result.groupsKeptTogether} groups of same-text examples kept within one split`);
      lines.push(`seed ${manifest.seed}; wrote ${flags.out}/split.json`);
      print(lines.join('\n'));
    });

  addLoadOptions(
    data
      .command('kfold')
      .description('stratified k-fold cross-validation sets (same grouping as split), with folds.json')
      .argument('<file>', 'the dataset to fold'),
  )
    .requiredOption('--out <dir>', 'folder for fold-N/ folders and folds.json')
    .option('--overwrite', 'replace fold files already in --out (by default their presence is an error)')
    .option('--k <n>', 'number of folds', parseInteger('k'), 5)
    .option('--seed <n>', 'seed of the shuffle', parseInteger('seed'), 42)
    .option('--json', 'print folds.json instead of a summary')
    .action((file: string, flags: DataFlags & { out: string; overwrite?: boolean; k: number; seed: number; json?: boolean }) => {
      checkOutput(file, flags, (format, labelled) => foldOutputFiles(flags.out, format, labelled, flags.k));
      const ds = loadDataset(file, dataLoadOptions(flags, { lenient: false }));
      const folds = stratifiedKFold(ds, flags.k, flags.seed);
      const manifest = writeFolds(ds, folds, flags.seed, flags.out, file, { overwrite: flags.overwrite === true });
      if (flags.json) return print(JSON.stringify(manifest, null, 2));
      print(
        [
          ...manifest.folds.map((f) => `${f.dir}  train ${f.train}  validation ${f.validation}  ${counts(f.labels)}`),
          `seed ${flags.seed}; wrote ${flags.out}/folds.json`,
        ].join('\n'),
      );
    });

  addLoadOptions(
    data
      .command('leakage')
      .description('texts shared between splits, exactly and after normalization')
      .argument('<files...>', 'two or more split files (named by file name, or NAME=FILE)'),
  )
    .option('--json', 'print JSON')
    .action((files: string[], flags: DataFlags & { json?: boolean }) => {
      if (files.length < 2) throw new LenguaError('leakage needs at least two files');
      const splits: Record<string, Dataset> = {};
      for (const f of files) {
        const m = /^([^=/\\]+)=(.+)$/.exec(f);
        const [name, path] = m ? [m[1]!, m[2]!] : [f, f];
        if (splits[name]) throw new LenguaError(`split name "${name}" given twice`);
        splits[name] = loadDataset(path, dataLoadOptions(flags, { lenient: true }));
      }
      const report = leakageReport(splits);
      print(flags.json ? JSON.stringify(report, null, 2) : formatLeakageReport(report));
      if (report.exact.length + report.normalized.length > 0) process.exitCode = 2;
    });

  data
    .command('conll')
    .description('read CoNLL NER data: documents, sentences, tokens, tag scheme and entities')
    .argument('<file>', 'CoNLL file (token ... tag per line, blank lines between sentences)')
    .addOption(new Option('--encoding <encoding>', 'text encoding').choices(['utf8', 'latin1']).default('utf8'))
    .addOption(new Option('--scheme <scheme>', 'tag scheme of the file').choices(['IOB1', 'IOB2', 'auto']).default('auto'))
    .option('--json', 'print JSON')
    .action((file: string, flags: { encoding: 'utf8' | 'latin1'; scheme: 'IOB1' | 'IOB2' | 'auto'; json?: boolean }) => {
      const d = loadConll(file, { encoding: flags.encoding, scheme: flags.scheme });
      const entities: Record<string, number> = {};
      for (const t of d.entityTypes) entities[t] = 0;
      for (const s of d.sentences) for (const e of entitySpans(s.tags)) entities[e.type] = (entities[e.type] ?? 0) + 1;
      const summary = {
        file,
        documents: d.documents,
        sentences: d.sentences.length,
        tokens: d.tokens,
        scheme: d.scheme,
        tagScheme: d.tagScheme,
        tagSet: d.tagSet,
        entities,
        alternativeTags: d.alternativeTags,
      };
      if (flags.json) return print(JSON.stringify(summary, null, 2));
      print(
        [
          `file        ${file}`,
          `documents   ${d.documents}`,
          `sentences   ${d.sentences.length.toLocaleString('en-US')}`,
          `tokens      ${d.tokens.toLocaleString('en-US')}`,
          `scheme      ${d.scheme}${d.scheme !== d.tagScheme ? ` (converted to ${d.tagScheme})` : ''}`,
          `entities    ${counts(entities)}`,
          ...(d.alternativeTags > 0 ? [`alternative tags cut to the first: ${d.alternativeTags}`] : []),
        ].join('\n'),
      );
    });
}
