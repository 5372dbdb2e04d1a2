import { Command, Option } from 'commander';
import { LenguaError } from '../errors.js';
import {
  formatLeakageReport,
  formatReport,
  inspectDataset,
  leakageReport,
  loadConll,
  entitySpans,
  loadDataset,
  splitDataset,
  stratifiedKFold,
  writeFolds,
  writeSplits,
  LabelSet,
  type Dataset,
  type LoadOptions,
  readTextFile,
  type TokenCounter,
} from '../data/index.js';

interface LoadFlags {
  format?: LoadOptions['format'];
  textColumn?: string;
  textPairColumn?: string;
  labelColumn?: string;
  labelColumns?: string;
  labelSeparator?: string;
  idColumn?: string;
  header: boolean;
  labels?: string;
  mapping?: string;
  encoding: 'utf8' | 'latin1';
  skipBadRows?: boolean;
  labelSet?: string;
}

function addLoadOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--format <format>', 'input format (default: from the extension)').choices(['csv', 'tsv', 'jsonl', 'json', 'parallel']))
    .option('--text-column <column>', 'column or JSON key holding the text (default: text, sentence, tweet, content or review)')
    .option('--text-pair-column <column>', 'column holding the second text of a pair')
    .option('--label-column <column>', 'column holding the label (default: label, labels, sentiment, class or target)')
    .option('--label-columns <columns>', 'multi-label: comma-separated 0/1 columns, one per label')
    .option('--label-separator <sep>', 'multi-label: separator of several labels in one cell')
    .option('--id-column <column>', 'column holding an example id')
    .option('--no-header', 'CSV/TSV without a header line: name columns by index 0, 1, 2, ...')
    .option('--labels <file>', 'parallel form: the labels file (default: X_labels.txt beside X_text.txt)')
    .option('--mapping <file>', 'parallel form: id<TAB>name label mapping (default: mapping.txt beside the text file)')
    .addOption(new Option('--encoding <encoding>', 'text encoding').choices(['utf8', 'latin1']).default('utf8'))
    .option('--skip-bad-rows', 'leave out bad rows (they are counted and listed) instead of stopping at the first')
    .option('--label-set <config.json>', "fix the labels to a model's id2label (config.json): any other label is an error naming it");
}

function loadOptions(f: LoadFlags, lenient: boolean): LoadOptions {
  return {
    ...(f.format ? { format: f.format } : {}),
    ...(f.textColumn !== undefined ? { textColumn: f.textColumn } : {}),
    ...(f.textPairColumn !== undefined ? { textPairColumn: f.textPairColumn } : {}),
    ...(f.labelColumn !== undefined ? { labelColumn: f.labelColumn } : {}),
    ...(f.labelColumns !== undefined ? { labelColumns: f.labelColumns.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
    ...(f.labelSeparator !== undefined ? { labelSeparator: f.labelSeparator } : {}),
    ...(f.idColumn !== undefined ? { idColumn: f.idColumn } : {}),
    header: f.header,
    ...(f.labels !== undefined ? { labelsFile: f.labels } : {}),
    ...(f.mapping !== undefined ? { mappingFile: f.mapping } : {}),
    encoding: f.encoding,
    onBadRow: f.skipBadRows ? 'skip' : 'error',
    ...(f.labelSet !== undefined ? { labels: readLabelSet(f.labelSet) } : {}),
    // Inspection reports empty texts and missing labels (with their lines) instead of stopping at them.
    allowEmptyText: lenient,
    allowMissingLabel: lenient,
  };
}

/** The label set of a model: `id2label` of a config.json (or of any JSON object that has one). */
function readLabelSet(path: string): LabelSet {
  let json: unknown;
  try {
    json = JSON.parse(readTextFile(path));
  } catch (err) {
    if (err instanceof LenguaError) throw err;
    throw new LenguaError(`invalid JSON: ${(err as Error).message}`, { file: path }, { cause: err });
  }
  const id2label = (json as { id2label?: unknown } | null)?.id2label;
  if (id2label === null || typeof id2label !== 'object' || Array.isArray(id2label)) {
    throw new LenguaError('no id2label object', { file: path, field: 'id2label' });
  }
  try {
    return LabelSet.fromId2Label(id2label as Record<string, string>);
  } catch (err) {
    throw new LenguaError((err as Error).message, { file: path, field: 'id2label' }, { cause: err });
  }
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
    .action(async (file: string, flags: LoadFlags & { tokenizer?: string; json?: boolean; strict?: boolean }) => {
      const ds = loadDataset(file, loadOptions(flags, !flags.strict));
      const tokenizer = flags.tokenizer !== undefined ? await loadTokenizer(flags.tokenizer) : undefined;
      const report = inspectDataset(ds, tokenizer ? { tokenizer } : {});
      print(flags.json ? JSON.stringify(report, null, 2) : formatReport(report));
    });

  addLoadOptions(
    data
      .command('split')
      .description('stratified train/validation/test split, written in the input format with split.json')
      .argument('<file>', 'the dataset to split'),
  )
    .requiredOption('--out <dir>', 'folder for the split files and split.json')
    .option('--val <ratio>', 'validation share', parseRatio('val'), 0.1)
    .option('--test <ratio>', 'test share', parseRatio('test'), 0.1)
    .option('--seed <n>', 'seed of the shuffle', parseInteger('seed'), 42)
    .option('--no-stratify', 'do not keep label shares equal across splits')
    .option('--json', 'print split.json instead of a summary')
    .action((file: string, flags: LoadFlags & { out: string; val: number; test: number; seed: number; stratify: boolean; json?: boolean }) => {
      const ds = loadDataset(file, loadOptions(flags, false));
      const result = splitDataset(ds, { val: flags.val, test: flags.test, seed: flags.seed, stratify: flags.stratify });
      const manifest = writeSplits(ds, result, flags.out, file);
      if (flags.json) return print(JSON.stringify(manifest, null, 2));
      const lines = Object.entries(manifest.counts).map(
        ([name, c]) =>
          `${name.padEnd(10)} ${String(c.rows).padStart(7)}  ${Object.entries(c.labels)
            .map(([l, n]) => `${l}=${n}`)
            .join(' ')}  → ${manifest.files[name]!.join(', ')}`,
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
    .option('--k <n>', 'number of folds', parseInteger('k'), 5)
    .option('--seed <n>', 'seed of the shuffle', parseInteger('seed'), 42)
    .option('--json', 'print folds.json instead of a summary')
    .action((file: string, flags: LoadFlags & { out: string; k: number; seed: number; json?: boolean }) => {
      const ds = loadDataset(file, loadOptions(flags, false));
      const folds = stratifiedKFold(ds, flags.k, flags.seed);
      const manifest = writeFolds(ds, folds, flags.seed, flags.out, file);
      if (flags.json) return print(JSON.stringify(manifest, null, 2));
      print(
        [
          ...manifest.folds.map(
            (f) =>
              `${f.dir}  train ${f.train}  validation ${f.validation}  ${Object.entries(f.labels)
                .map(([l, n]) => `${l}=${n}`)
                .join(' ')}`,
          ),
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
    .action((files: string[], flags: LoadFlags & { json?: boolean }) => {
      if (files.length < 2) throw new LenguaError('leakage needs at least two files');
      const splits: Record<string, Dataset> = {};
      for (const f of files) {
        const m = /^([^=/\\]+)=(.+)$/.exec(f);
        const [name, path] = m ? [m[1]!, m[2]!] : [f, f];
        if (splits[name]) throw new LenguaError(`split name "${name}" given twice`);
        splits[name] = loadDataset(path, loadOptions(flags, true));
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
          `entities    ${Object.entries(entities)
            .map(([t, n]) => `${t}=${n}`)
            .join(' ')}`,
          ...(d.alternativeTags > 0 ? [`alternative tags cut to the first: ${d.alternativeTags}`] : []),
        ].join('\n'),
      );
    });
}
