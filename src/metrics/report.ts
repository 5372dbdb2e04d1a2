// sklearn `classification_report`: the same dict shape and, character for character, the same text table.
import { LenguaError } from '../errors.js';
import { precisionRecallFscoreSupport } from './classification.js';
import { type Label, type WarningHandler, type ZeroDivision, checkLabelOption, checkPair, labelKind, sortedUnique, sum } from './labels.js';

export interface ReportOptions {
  labels?: readonly Label[];
  /** Display names for the labels, in the same order. */
  targetNames?: readonly string[];
  sampleWeight?: readonly number[];
  /** Decimal places in the text table (default 2). */
  digits?: number;
  zeroDivision?: ZeroDivision;
  onWarning?: WarningHandler;
}

export interface ReportRow {
  precision: number;
  recall: number;
  'f1-score': number;
  support: number;
}

/**
 * sklearn's `output_dict=True` shape: one row per class name, then 'accuracy' (a number) when the report
 * covers all present labels, else a 'micro avg' row; then 'macro avg' and 'weighted avg'.
 */
export type ReportDict = Record<string, ReportRow | number>;

interface ReportData {
  names: string[];
  rows: ReportRow[];
  averages: Array<{ heading: string; row: ReportRow }>;
  floatSupport: boolean;
}

function reportData(yTrue: readonly Label[], yPred: readonly Label[], options: ReportOptions): ReportData {
  checkPair(yTrue, yPred);
  checkLabelOption(options.labels, labelKind(yTrue));
  const present = sortedUnique(yTrue, yPred);
  const labelsGiven = options.labels !== undefined;
  const labels = labelsGiven ? [...(options.labels as Label[])] : present;
  const microIsAccuracy = !labelsGiven || (new Set(labels).size === present.length && present.every((l) => labels.includes(l)));
  let names: string[];
  if (options.targetNames !== undefined && options.targetNames.length !== labels.length) {
    if (!labelsGiven) {
      throw new LenguaError(`there are ${labels.length} classes but ${options.targetNames.length} targetNames; pass labels to say which`, {
        field: 'targetNames',
      });
    }
    // sklearn only warns here and pairs names with rows up to the shorter length.
    names = [...options.targetNames];
  } else {
    names = options.targetNames !== undefined ? [...options.targetNames] : labels.map(String);
  }
  const common = { labels, sampleWeight: options.sampleWeight, zeroDivision: options.zeroDivision, onWarning: options.onWarning };
  const per = precisionRecallFscoreSupport(yTrue, yPred, { ...common, average: null });
  const n = Math.min(names.length, labels.length);
  const rows: ReportRow[] = [];
  for (let i = 0; i < n; i++) {
    rows.push({ precision: per.precision[i] as number, recall: per.recall[i] as number, 'f1-score': per.fscore[i] as number, support: per.support[i] as number });
  }
  const totalSupport = sum(per.support);
  const averages: ReportData['averages'] = [];
  for (const average of ['micro', 'macro', 'weighted'] as const) {
    const a = precisionRecallFscoreSupport(yTrue, yPred, { ...common, average });
    const heading = average === 'micro' && microIsAccuracy ? 'accuracy' : `${average} avg`;
    averages.push({ heading, row: { precision: a.precision, recall: a.recall, 'f1-score': a.fscore, support: totalSupport } });
  }
  // sklearn's supports are floats (printed '4.0') with sample weights, and also, by a quirk of its
  // multilabel_confusion_matrix, when no sample at all is predicted correctly.
  const floatSupport = options.sampleWeight !== undefined || !yTrue.some((t, i) => t === yPred[i]);
  return { names: names.slice(0, n), rows, averages, floatSupport };
}

/** The report as sklearn's `output_dict=True` dictionary. */
export function classificationReport(yTrue: readonly Label[], yPred: readonly Label[], options: ReportOptions & { outputDict: true }): ReportDict;
/** The report as sklearn's text table. */
export function classificationReport(yTrue: readonly Label[], yPred: readonly Label[], options?: ReportOptions & { outputDict?: false }): string;
export function classificationReport(yTrue: readonly Label[], yPred: readonly Label[], options: ReportOptions & { outputDict?: boolean } = {}): string | ReportDict {
  const data = reportData(yTrue, yPred, options);
  if (options.outputDict === true) {
    const out: ReportDict = {};
    data.names.forEach((name, i) => (out[name] = data.rows[i] as ReportRow));
    for (const { heading, row } of data.averages) out[heading] = heading === 'accuracy' ? row.precision : row;
    return out;
  }
  const digits = options.digits ?? 2;
  if (!Number.isInteger(digits) || digits < 0 || digits > 20) throw new LenguaError(`digits must be an integer in 0..20 (got ${digits})`, { field: 'digits' });
  const width = Math.max(...data.names.map(cpLength), 'weighted avg'.length, digits);
  const fmt = (x: number): string => padStart(formatFixed(x, digits), 9);
  const sup = (x: number): string => padStart(data.floatSupport ? pyFloatStr(x) : String(x), 9);
  let text = `${padStart('', width)} ${['precision', 'recall', 'f1-score', 'support'].map((h) => ' ' + padStart(h, 9)).join('')}\n\n`;
  data.names.forEach((name, i) => {
    const r = data.rows[i] as ReportRow;
    text += `${padStart(name, width)}  ${fmt(r.precision)} ${fmt(r.recall)} ${fmt(r['f1-score'])} ${sup(r.support)}\n`;
  });
  text += '\n';
  for (const { heading, row } of data.averages) {
    if (heading === 'accuracy') {
      text += `${padStart(heading, width)}  ${padStart('', 9)} ${padStart('', 9)} ${fmt(row['f1-score'])} ${sup(row.support)}\n`;
    } else {
      text += `${padStart(heading, width)}  ${fmt(row.precision)} ${fmt(row.recall)} ${fmt(row['f1-score'])} ${sup(row.support)}\n`;
    }
  }
  return text;
}

function cpLength(s: string): number {
  return [...s].length;
}

/** Right-aligns to a width counted in code points, as Python's format does. */
export function padStart(s: string, width: number): string {
  const n = cpLength(s);
  return n >= width ? s : ' '.repeat(width - n) + s;
}

/**
 * Python's `format(x, '.Nf')`: the exact binary value rounded half-to-even. JS `toFixed` rounds exact ties
 * away from zero (0.125 -> '0.13' where Python prints '0.12'), so ties are detected and fixed here.
 */
export function formatFixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const s = x.toFixed(digits);
  // toFixed(100) is the exact decimal expansion for any double this table prints (|x| < 1e21).
  const exact = Math.abs(x).toFixed(100);
  const dot = exact.indexOf('.');
  const tail = exact.slice(dot + 1 + digits);
  if (!/^50*$/.test(tail)) return s;
  // An exact tie: toFixed went away from zero; Python keeps the even digit.
  const kept = exact.slice(0, dot + 1 + digits).replace(/\.$/, '');
  const lastDigit = Number(kept[kept.length - 1]);
  if (lastDigit % 2 === 0) return (x < 0 ? '-' : '') + kept;
  return s;
}

/** Python's `str(float)`: shortest round-trip digits, '.0' on integers, exponent outside [1e-4, 1e16). */
export function pyFloatStr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-4 || a >= 1e16)) {
    const [mant, exp] = x.toExponential().split('e') as [string, string];
    const sign = exp.startsWith('-') ? '-' : '+';
    const digits = exp.replace(/^[+-]/, '');
    return `${mant}e${sign}${digits.padStart(2, '0')}`;
  }
  const s = String(x);
  return Number.isInteger(x) ? `${s}.0` : s;
}
