import { Command } from 'commander';
import { LenguaError } from '../errors.js';
import { compareLabels, computeClassificationMetrics, precisionRecallFscoreSupport, type ClassificationMetrics, type Label } from '../metrics/index.js';
import { pairLabelFiles, readLabelFile } from '../metrics/io.js';

interface MetricsFlags {
  references: string;
  predictions: string;
  json?: boolean;
  labels?: string;
  posLabel?: string;
  average: string;
  bins: string;
}

const AVERAGES = ['macro', 'micro', 'weighted', 'binary'] as const;
type HeadlineAverage = (typeof AVERAGES)[number];

function f4(x: number | null): string {
  return x === null || Number.isNaN(x) ? 'n/a' : x.toFixed(4);
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, j) => Math.max(...rows.map((r) => [...(r[j] ?? '')].length))) ?? [];
  return rows.map((r) => r.map((c, j) => (j === 0 ? c.padEnd(widths[j] as number) : c.padStart(widths[j] as number))).join('  ').trimEnd()).join('\n');
}

function supportText(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}

function render(m: ClassificationMetrics, refs: string, preds: string, headline: Headline): string {
  const out: string[] = [];
  out.push(`references:  ${refs}`, `predictions: ${preds}`, `samples:     ${m.n}`, '');
  const rows: string[][] = [['class', 'precision', 'recall', 'f1', 'support']];
  for (const c of m.perClass) rows.push([String(c.label), f4(c.precision), f4(c.recall), f4(c.f1), supportText(c.support)]);
  rows.push(['', '', '', '', '']);
  rows.push(['accuracy', '', '', f4(m.accuracy), String(m.n)]);
  rows.push(['macro avg', f4(m.macro.precision), f4(m.macro.recall), f4(m.macro.f1), String(m.n)]);
  rows.push(['weighted avg', f4(m.weighted.precision), f4(m.weighted.recall), f4(m.weighted.f1), String(m.n)]);
  out.push(table(rows), '');
  const summary: string[][] = [
    [`F1 (${headline.average}${headline.average === 'binary' ? `, positive ${String(headline.posLabel)}` : ''})`, f4(headline.f1)],
    ['macro recall (TweetEval)', f4(m.macroRecall)],
    ["Matthews correlation", f4(m.mcc)],
    ["Cohen's kappa", f4(m.kappa)],
  ];
  const p = m.probability;
  if (p !== null) {
    summary.push(
      ['log loss', f4(p.logLoss)],
      [m.labels.length === 2 ? 'ROC-AUC' : 'ROC-AUC (one-vs-rest, macro)', f4(p.rocAuc)],
      ...(m.labels.length === 2 ? [] : [['ROC-AUC (one-vs-rest, weighted)', f4(p.rocAucWeighted)]]),
      ['Brier score (multiclass, sum over classes)', f4(p.brier)],
      ...(p.brierBinary !== null ? [[`Brier score (binary, positive ${String([...m.labels].sort(compareLabels)[1])})`, f4(p.brierBinary)]] : []),
      [`expected calibration error (${p.reliability.bins.length} bins)`, f4(p.ece)],
    );
  }
  out.push(table(summary), '');
  const cm: string[][] = [['true \\ predicted', ...m.confusionMatrix.labels.map(String)]];
  m.confusionMatrix.matrix.forEach((row, i) => cm.push([String(m.confusionMatrix.labels[i]), ...row.map(supportText)]));
  out.push('confusion matrix (rows: true class, columns: predicted class)', table(cm));
  for (const w of m.warnings) out.push(`note: ${w}`);
  return out.join('\n') + '\n';
}

interface Headline {
  average: HeadlineAverage;
  posLabel?: Label;
  precision: number;
  recall: number;
  f1: number;
}

function run(f: MetricsFlags): void {
  if (!(AVERAGES as readonly string[]).includes(f.average)) throw new LenguaError(`--average must be one of ${AVERAGES.join(', ')} (got ${f.average})`, { field: '--average' });
  const average = f.average as HeadlineAverage;
  if (!/^\d+$/.test(f.bins) || Number(f.bins) < 1 || Number(f.bins) > 1000) throw new LenguaError(`--bins must be an integer in 1..1000 (got ${f.bins})`, { field: '--bins' });
  const refs = readLabelFile(f.references);
  const preds = readLabelFile(f.predictions);
  const labelList = f.labels?.split(',').map((s) => s.trim());
  const input = pairLabelFiles(refs, preds, { labels: labelList });
  let posLabel: Label | undefined;
  if (f.posLabel !== undefined) {
    posLabel = input.labels.find((l) => String(l) === f.posLabel);
    if (posLabel === undefined) throw new LenguaError(`${JSON.stringify(f.posLabel)} is not one of the classes (${input.labels.join(', ')})`, { field: '--pos-label' });
  }
  if (average === 'binary' && posLabel === undefined) throw new LenguaError('--average binary needs --pos-label', { field: '--pos-label' });
  const m = computeClassificationMetrics(input.yTrue, input.yPred, {
    labels: input.labels,
    posLabel,
    probabilities: input.probabilities,
    nBins: Number(f.bins),
  });
  let headline: Headline;
  if (average === 'binary') {
    headline = { average, ...(m.binary as NonNullable<ClassificationMetrics['binary']>) };
  } else {
    const r = precisionRecallFscoreSupport(input.yTrue, input.yPred, { labels: input.labels, average, zeroDivision: 0 });
    headline = { average, precision: r.precision, recall: r.recall, f1: r.fscore };
  }
  if (f.json === true) {
    process.stdout.write(JSON.stringify({ references: f.references, predictions: f.predictions, headline, ...m }, null, 2) + '\n');
  } else {
    process.stdout.write(render(m, f.references, f.predictions, headline));
  }
}

export function register(program: Command): void {
  program
    .command('metrics')
    .description(
      'Score predictions against references: accuracy, per-class and averaged precision/recall/F1, macro recall, MCC, kappa, ' +
        'and with probabilities log loss, ROC-AUC, Brier and calibration (scikit-learn 1.2 semantics).',
    )
    .requiredOption('--references <file>', 'true labels: one per line, or JSONL {"label": ...}')
    .requiredOption(
      '--predictions <file>',
      'predicted labels: one per line, or JSONL {"label": ..., "probabilities": {"<class>": p, ...}} or {"label": ..., "scores": [p, ...]} (scores in sorted class order)',
    )
    .option('--json', 'print JSON instead of tables')
    .option('--labels <list>', 'comma-separated classes, in report order (default: sorted labels found)')
    .option('--pos-label <label>', 'positive class: adds its binary precision/recall/F1')
    .option('--average <kind>', 'average for the headline F1: macro, micro, weighted or binary', 'macro')
    .option('--bins <n>', 'calibration bins for ECE and the reliability diagram', '15')
    .addHelpText(
      'after',
      '\nLabels that are all integers are compared as numbers. Undefined ratios (a class never predicted) count as 0, ' +
        "as scikit-learn's default zero_division, and are listed as notes.",
    )
    .action((flags: MetricsFlags) => run(flags));
}
