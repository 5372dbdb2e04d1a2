/**
 * Flags that several commands share: the data-loading flags (data inspect/split/kfold/leakage, train,
 * evaluate) and the TrainingArguments flags (train, cv, search), so that each is written once.
 */
import { Command, Option } from 'commander';
import { LenguaError } from '../errors.js';
import { LabelSet, readTextFile, type LoadOptions } from '../data/index.js';
import { TRAINING_ARGUMENT_DOCS, type TrainingArguments } from '../train/arguments.js';

/** The parsed data-loading flags; the optional groups are undefined where a command does not offer them. */
export interface DataFlags {
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

/** Which data flags a command offers beyond the common ones (format, columns, --no-header, --encoding). */
export interface DataOptionGroups {
  /** --label-columns and --label-separator. */
  multiLabel?: boolean;
  /** --labels and --mapping for the parallel X_text.txt / X_labels.txt form. */
  parallelFiles?: boolean;
  /** --skip-bad-rows, with this help text (commands differ in what they say about skipped rows). */
  skipBadRows?: string;
  /** --label-set. */
  labelSet?: boolean;
  /** Formats this command reads besides the loaders' (train: conll, for token classification). */
  extraFormats?: readonly string[];
}

/** Adds the data-loading flags (in one fixed order) to `cmd`. */
export function addDataOptions(cmd: Command, groups: DataOptionGroups = {}): Command {
  cmd
    .addOption(new Option('--format <format>', 'input format (default: from the extension)').choices(['csv', 'tsv', 'jsonl', 'json', 'parallel', ...(groups.extraFormats ?? [])]))
    .option('--text-column <column>', 'column or JSON key holding the text (default: text, sentence, tweet, content or review)')
    .option('--text-pair-column <column>', 'column holding the second text of a pair')
    .option('--label-column <column>', 'column holding the label (default: label, labels, sentiment, class or target)');
  if (groups.multiLabel) {
    cmd
      .option('--label-columns <columns>', 'multi-label: comma-separated 0/1 columns, one per label')
      .option('--label-separator <sep>', 'multi-label: separator of several labels in one cell');
  }
  cmd
    .option('--id-column <column>', 'column holding an example id')
    .option('--no-header', 'CSV/TSV without a header line: name columns by index 0, 1, 2, ...');
  if (groups.parallelFiles) {
    cmd
      .option('--labels <file>', 'parallel form: the labels file (default: X_labels.txt beside X_text.txt)')
      .option('--mapping <file>', 'parallel form: id<TAB>name label mapping (default: mapping.txt beside the text file)');
  }
  cmd.addOption(new Option('--encoding <encoding>', 'text encoding').choices(['utf8', 'latin1']).default('utf8'));
  if (groups.skipBadRows !== undefined) cmd.option('--skip-bad-rows', groups.skipBadRows);
  if (groups.labelSet) cmd.option('--label-set <config.json>', "fix the labels to a model's id2label (config.json): any other label is an error naming it");
  return cmd;
}

/**
 * The flags as `loadDataset` options. `lenient` (data inspection) reports empty texts and missing labels
 * instead of stopping at them; left out, those stay errors.
 */
export function dataLoadOptions(f: DataFlags, opts: { lenient?: boolean; requireLabel?: boolean } = {}): LoadOptions {
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
    ...(opts.lenient !== undefined ? { allowEmptyText: opts.lenient, allowMissingLabel: opts.lenient } : {}),
    // Training and evaluation need labels: say which columns exist instead of loading unlabelled rows.
    ...(opts.requireLabel ? { requireLabel: true } : {}),
  };
}

/** The label set of a model: `id2label` of a config.json (or of any JSON object that has one). */
export function readLabelSet(path: string): LabelSet {
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

/** camelCase → kebab-case: the flag of a TrainingArguments field (`learningRate` → `learning-rate`). */
export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * The flag of one TrainingArguments field, with its type, default and config key in the help. Booleans
 * may stand alone (`--quiet`); a bare `--resume-from-checkpoint` means the latest checkpoint.
 */
export function argumentOption(name: keyof TrainingArguments): Option {
  const d = TRAINING_ARGUMENT_DOCS[name];
  const flag = `--${kebab(name)}`;
  const shownDefault = d.default === undefined || d.default === null ? 'unset' : JSON.stringify(d.default);
  const help = `${d.help} [${d.type}; default ${shownDefault}; config key ${name} / ${d.hfName}]`;
  if (d.kind === 'boolean') return new Option(`${flag} [bool]`, help);
  if (d.kind === 'resume') return new Option(`${flag} [dir]`, help);
  const o = new Option(`${flag} <${d.kind === 'enum' ? 'name' : d.kind === 'string' ? 'value' : 'n'}>`, help);
  return d.choices ? o.choices([...d.choices]) : o;
}

/** An integer flag in [min, max]: digits only (no "1e3", "0x10" or "2.0"), the error naming the flag and its range. */
export function intFlag(value: string, flag: string, min: number, max: number): number {
  const v = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new LenguaError(`expected a whole number in [${min}, ${max}], got ${JSON.stringify(value)}`, { field: flag });
  }
  return v;
}
