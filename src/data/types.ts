import type { LabelOrder, LabelSet } from './labels.js';
import type { TextEncoding } from './decode.js';

export type DataFormat = 'csv' | 'tsv' | 'jsonl' | 'json' | 'parallel';

/** Where an example came from: the file and the 1-based line its record starts on. */
export interface SourceLocation {
  file: string;
  line: number;
}

export interface Example {
  text: string;
  textPair?: string;
  /** One label, or several for a multi-label example. Absent for unlabelled data. */
  label?: string | string[];
  id?: string;
  source: SourceLocation;
  /** The record as read (CSV fields, a JSONL line, a JSON object, parallel-file lines): lets a split be written back in the input's own form. */
  raw?: RawRecord;
}

export type RawRecord =
  | { kind: 'fields'; fields: string[] }
  | { kind: 'jsonl'; line: string }
  | { kind: 'json'; value: unknown }
  | { kind: 'parallel'; text: string; label?: string };

/** A row left out because the caller asked for bad rows to be skipped; the report counts these. */
export interface SkippedRow {
  file: string;
  line: number;
  field?: string;
  reason: string;
}

/** What a writer needs to reproduce the input's layout (header, delimiter, file names). */
export interface DatasetLayout {
  header?: string[] | null;
  delimiter?: string;
  /** Parallel files: the mapping file's text, copied beside written splits. */
  mappingText?: string;
  /** JSON arrays: the indentation the writer uses. */
  jsonIndent?: number;
}

export interface Dataset {
  examples: Example[];
  labels: LabelSet;
  format: DataFormat;
  /** The file the examples were read from (for parallel files, the text file). */
  path: string;
  /** The labels file and mapping file used, for parallel data. */
  labelsFile?: string;
  mappingFile?: string;
  multiLabel: boolean;
  /** Which columns were used, after defaults were applied. */
  columns: { text: string; textPair?: string; label?: string; labels?: string[]; id?: string };
  skipped: SkippedRow[];
  layout: DatasetLayout;
}

/** What a dataset is without its rows: what `streamDataset` returns once it has handed every example on. */
export type DatasetInfo = Omit<Dataset, 'examples' | 'skipped'>;

export interface LoadOptions {
  /** Defaults from the extension: .csv, .tsv, .jsonl/.ndjson, .json, and `X_text.txt` (parallel). */
  format?: DataFormat;
  /** Column (or JSON key) of the text. Default: the first of text, sentence, tweet, content, review. */
  textColumn?: string;
  /** Column of the second text of a pair. Default: none (sentence1/sentence2 files are paired automatically). */
  textPairColumn?: string;
  /** Column of the label. Default: the first of label, labels, sentiment, class, target; none found → unlabelled. */
  labelColumn?: string;
  /** Multi-label as one 0/1 column per label: each column named is a label, set when its value is 1/true. */
  labelColumns?: string[];
  /** Multi-label in one CSV/TSV column, e.g. "sports|politics" with labelSeparator "|". */
  labelSeparator?: string;
  /** Column holding an example id. */
  idColumn?: string;
  /** CSV/TSV: whether line 1 is a header (default true). Without a header, columns are named 0, 1, 2, ... */
  header?: boolean;
  /** Parallel form: the labels file (default: X_labels.txt beside X_text.txt). */
  labelsFile?: string;
  /** Parallel form: `id<TAB>name` lines giving label names and their order (default: mapping.txt beside the text file, if present). */
  mappingFile?: string;
  encoding?: TextEncoding;
  /** `error` (default) stops at the first bad row; `skip` leaves it out and records it in `skipped`. */
  onBadRow?: 'error' | 'skip';
  /** Keep empty or whitespace-only texts instead of treating them as bad rows (inspection does this to count them). */
  allowEmptyText?: boolean;
  /**
   * Labels are needed (training, evaluation): a file without a label column is an error naming the
   * columns it has and --label-column (parallel form: without a labels file, naming --labels), instead
   * of loading as unlabelled data.
   */
  requireLabel?: boolean;
  /** Keep rows without a label (label undefined) instead of treating them as bad rows. */
  allowMissingLabel?: boolean;
  /** Order of the label set built from the data; see LabelSet.fromLabels. */
  labelOrder?: LabelOrder;
  /** A fixed label set (e.g. a model's id2label at evaluation): a label outside it is an error naming every unknown label. */
  labels?: LabelSet;
}
