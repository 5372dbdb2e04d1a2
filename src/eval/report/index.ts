/**
 * `renderReport(result, opts)`: one self-contained HTML page (inline CSS, hand-written SVG, no script,
 * no external reference) that a person opens from disk: header with the model, the data file and its
 * hash and the split; metrics; confusion matrix; per-class bars; learning curves from the training
 * log; reliability diagram; optional cross-validation folds; the most confident errors with their texts.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { LenguaError } from '../../errors.js';
import type { EvaluationResult } from '../evaluate.js';
import { coincidingSeries, confusionHeatmap, esc, fmt, groupedBars, lineChart, reliabilityChart, type Series } from './svg.js';

export { esc, fmt, niceTicks, tickFormat, wrapText, coincidingSeries, lineChart, confusionHeatmap, groupedBars, reliabilityChart } from './svg.js';

export type LogEntry = Record<string, number>;

export interface ReportOptions {
  title?: string;
  /** A log.jsonl path (HF log_history entries, one JSON object a line) or the entries themselves. */
  trainingLog?: string | LogEntry[];
  /**
   * Cross-validation: metrics per fold (one record per fold); the report adds mean ± std. `metric`, the
   * one selected on, leads the table. The report is then a CV report: the result's split was set by the
   * cross-validation, and learning curves (one per fold model) are not drawn unless `trainingLog` is given.
   */
  cv?: { folds: Array<Record<string, number>>; split?: string; note?: string; metric?: string };
  /**
   * Where the split label came from, in words, for the banner (e.g. "set by lengua cv"). Default: from
   * the result's `splitSource` (given to the evaluation, the data file's name, or not stated).
   */
  splitOrigin?: string;
  /** Most confident errors to show (default: all in the result). */
  maxErrors?: number;
  /** Characters of each error text shown (default 600). */
  maxTextChars?: number;
}

const MAX_LOG_BYTES = 256 * 1024 * 1024;
const MAX_LOG_LINES = 1_000_000;

/** Reads a training log: JSON Lines of objects; numeric fields are kept, others dropped. */
export function readTrainingLog(path: string): LogEntry[] {
  if (!existsSync(path)) throw new LenguaError('training log not found', { file: path });
  const size = statSync(path).size;
  if (size > MAX_LOG_BYTES) throw new LenguaError(`training log is ${size} bytes, more than the ${MAX_LOG_BYTES} read`, { file: path });
  const lines = readFileSync(path, 'utf8').split('\n');
  if (lines.length > MAX_LOG_LINES) throw new LenguaError(`more than ${MAX_LOG_LINES} lines`, { file: path });
  const out: LogEntry[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (err) {
      throw new LenguaError(`invalid JSON: ${(err as Error).message}`, { file: path, line: i + 1 }, { cause: err });
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new LenguaError('expected a JSON object', { file: path, line: i + 1 });
    const e: LogEntry = {};
    for (const [k, x] of Object.entries(v)) if (typeof x === 'number' && Number.isFinite(x)) e[k] = x;
    out.push(e);
  });
  return out;
}

/** The report pages' stylesheet (inline: a report references nothing outside itself). */
export const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;margin:0;background:#f5f6f8}
main{max-width:1100px;margin:0 auto;padding:20px 28px 60px;background:#fff}
h1{font-size:24px;margin:0 0 6px}h2{font-size:18px;margin:34px 0 8px;border-bottom:1px solid #dde1e7;padding-bottom:4px}
.split{display:inline-block;font-size:12px;font-weight:600;padding:1px 8px;border-radius:10px;background:#e8f0fb;color:#1a4f8b;vertical-align:middle;margin-left:6px}
.split.test{background:#fdecea;color:#a1261c}.split.train{background:#eef6e8;color:#2f6a1b}
.banner{background:#fff8e1;border:1px solid #f0d98a;border-radius:6px;padding:8px 12px;margin:12px 0}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:3px 14px;margin:10px 0}dl.meta dt{color:#5a6372}dl.meta dd{margin:0;word-break:break-all}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #dde1e7;padding:4px 9px;text-align:left;vertical-align:top}
th{background:#f0f2f5;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.text{max-width:560px;white-space:pre-wrap;word-break:break-word}
.charts{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}
.tables{display:flex;flex-direction:column;gap:6px}.tablewrap{max-width:100%;overflow-x:auto}table.cv th{white-space:nowrap}
.note{color:#5a6372;font-size:13px}
svg{background:#fff;font-family:inherit}
svg .ct{font-size:14px;font-weight:600;fill:#1d2330}svg .sub{font-size:12px;fill:#5a6372}svg .axis{font-size:12px;fill:#3a4250}svg .tick{font-size:11px;fill:#5a6372}
svg .legend{font-size:11px;fill:#1d2330}svg .grid{stroke:#e6e9ee;stroke-width:1}svg .frame{fill:none;stroke:#9aa3b0}
svg .cv{font-size:13px;fill:#1d2330;font-weight:600}svg .cv.light{fill:#fff}svg .count{font-size:10px;fill:#3a4250}
svg .diag{stroke:#5a6372;stroke-width:1.5;stroke-dasharray:5 4}svg .relbar{fill:rgba(31,119,180,.55);stroke:#1f77b4}svg .relconf{fill:#d62728}
`;

/** What every report page has: its title, the split banner, the facts of the run, its sections. */
export interface ReportPage {
  title: string;
  /** CSS added after the shared style. */
  extraCss?: string;
  split: string;
  /** Where the split name came from (the file name, the record, a flag). */
  splitOrigin: string;
  /** The classifier's report marks a few numbers (cross-validation, training curves) as from other data. */
  unlessMarkedOtherwise?: boolean;
  /** [name, HTML value] rows of the header's facts; "data" rows come from dataFiles. */
  meta: Array<[string, string]>;
  dataFiles: ReadonlyArray<{ path: string; sha256: string }>;
  /** Where the data row goes among the meta rows (default after the first row). */
  dataAt?: number;
  sections: string[];
}

/** The self-contained page (inline CSS, no script) every evaluation report is. */
export function reportPage(p: ReportPage): string {
  const files = p.dataFiles.map((f) => `${esc(f.path)} <code>sha256 ${esc(f.sha256)}</code>`).join('<br>');
  const meta = [...p.meta];
  meta.splice(p.dataAt ?? 1, 0, ['data', files]);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(p.title)}</title>
<style>${CSS}${p.extraCss !== undefined ? `\n${p.extraCss}\n` : ''}</style>
</head>
<body>
<main>
<header id="header">
<h1>${esc(p.title)}</h1>
<div class="banner">Every number on this page${p.unlessMarkedOtherwise ? ', unless marked otherwise,' : ''} comes from the <strong>${esc(p.split)}</strong> split ${splitBadge(p.split)} (${esc(p.splitOrigin)}).${p.split === 'test' ? ' This is the held-out test split: it should be evaluated once, after model selection.' : ''}</div>
<dl class="meta">
${meta.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('\n')}
</dl>
</header>
${p.sections.join('\n')}
</main>
</body>
</html>
`;
}

export function splitBadge(split: string): string {
  const cls = split === 'test' ? 'split test' : split === 'train' ? 'split train' : 'split';
  return `<span class="${cls}">${esc(split)} split</span>`;
}

function metricRows(result: EvaluationResult): string {
  const names: Record<string, string> = {
    accuracy: 'accuracy',
    macro_precision: 'macro precision',
    macro_recall: 'macro recall',
    macro_f1: 'macro F1',
    micro_f1: 'micro F1',
    weighted_precision: 'weighted precision',
    weighted_recall: 'weighted recall',
    weighted_f1: 'weighted F1',
    mcc: 'Matthews correlation',
    kappa: "Cohen's kappa",
    log_loss: 'log loss',
    brier: 'Brier score (multiclass, 0–2)',
    brier_binary: 'Brier score (binary)',
    ece: `expected calibration error (${result.reliability.bins.length} bins)`,
    roc_auc: 'ROC-AUC (one-vs-rest macro)',
    roc_auc_weighted: 'ROC-AUC (one-vs-rest weighted)',
  };
  return Object.entries(result.metrics)
    .map(([k, v]) => `<tr><td>${esc(names[k] ?? k)}</td><td><code>${esc(k)}</code></td><td class="num">${fmt(v)}</td><td>${esc(result.split)}</td></tr>`)
    .join('');
}

export function learningCurves(entries: LogEntry[], source: string): string {
  const byStep = (key: string): Array<[number, number]> =>
    entries.filter((e) => e[key] !== undefined).map((e, i) => [e.step ?? e.global_step ?? e.epoch ?? i, e[key]!] as [number, number]);
  const xLabel = entries.some((e) => e.step !== undefined || e.global_step !== undefined) ? 'step' : 'epoch';
  const loss: Series[] = [];
  const train = byStep('loss');
  if (train.length > 0) loss.push({ name: 'training loss (train split)', points: train });
  const evalLoss = byStep('eval_loss');
  if (evalLoss.length > 0) loss.push({ name: 'eval_loss (eval set)', points: evalLoss, dashed: true });
  const evalKeys = [...new Set(entries.flatMap((e) => Object.keys(e)))].filter(
    (k) => k.startsWith('eval_') && k !== 'eval_loss' && !/(runtime|per_second|samples|steps|epoch)/.test(k),
  );
  const evalSeries: Series[] = evalKeys.slice(0, 8).map((k) => ({ name: k, points: byStep(k) }));
  const lr = byStep('learning_rate');
  const intro =
    `<p class="note">From ${esc(source)}, ${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}. Training loss is measured on the training data; ` +
    `<code>eval_*</code> values on the evaluation set the trainer was given during training (a validation split), not on the data this report evaluates.</p>`;
  const num = (v: number): string => (Number.isInteger(v) ? String(v) : fmt(v, 5));
  if (![...loss, ...evalSeries, { points: lr }].some((s) => s.points.length > 1)) {
    // One point per series (a model fitted in one go, like the baseline) makes no curve: show the entries.
    const keys = [...new Set(entries.flatMap((e) => Object.keys(e)))];
    return `${intro}<p class="note">Too few entries for curves; the log as recorded:</p><table><tr>${keys.map((k) => `<th>${esc(k)}</th>`).join('')}</tr>${entries
      .slice(-50)
      .map((e) => `<tr>${keys.map((k) => `<td class="num">${e[k] === undefined ? '' : num(e[k]!)}</td>`).join('')}</tr>`)
      .join('')}</table>`;
  }
  const charts: string[] = [];
  const notes: string[] = [];
  // Series with equal values draw one line over the other; say which, beside the chart's own legend.
  for (const group of [loss, evalSeries]) {
    const same = coincidingSeries(group);
    group.forEach((s, j) => {
      if (same[j]! >= 0) notes.push(`<code>${esc(s.name)}</code> and <code>${esc(group[same[j]!]!.name)}</code> coincide (the same value at every logged point)`);
    });
  }
  if (loss.length > 0) charts.push(lineChart(loss, { title: 'Loss', xLabel, yLabel: 'loss' }));
  if (evalSeries.length > 0) charts.push(lineChart(evalSeries, { title: 'Evaluation metrics during training', xLabel, yLabel: 'value' }));
  if (lr.length > 1) charts.push(lineChart([{ name: 'learning rate', points: lr }], { title: 'Learning rate', xLabel, yLabel: 'learning rate', height: 220 }));
  if (charts.length === 0) return `<p class="note">The training log (${esc(source)}) has no loss or eval_* entries.</p>`;
  const last = entries[entries.length - 1]!;
  return (
    intro +
    `<div class="charts">${charts.join('')}</div>` +
    (notes.length > 0 ? `<p class="note">${notes.join('; ')}: their lines lie on top of each other, told apart by dash pattern and marker (hollow for the later series).</p>` : '') +
    `<p class="note">Last entry: ${esc(Object.entries(last).map(([k, v]) => `${k} = ${num(v)}`).join(', '))}</p>`
  );
}

/** Estimated rendered width (px) of a CV table column: its header or a "0.0000 ± 0.0000" cell, plus padding. */
function cvColumnWidth(key: string): number {
  return Math.max(8.6 * key.length, 120) + 22;
}

/**
 * Cross-validation folds: one row per fold and a mean ± std row, in as many tables as it takes for
 * each to fit the page (one column per metric would run past its right edge with ten metrics).
 */
function cvSection(cv: NonNullable<ReportOptions['cv']>): string {
  const folds = cv.folds;
  if (folds.length === 0) return '<p class="note">No folds.</p>';
  const seen = [...new Set(folds.flatMap((f) => Object.keys(f)))];
  const keys = cv.metric !== undefined && seen.includes(cv.metric) ? [cv.metric, ...seen.filter((k) => k !== cv.metric)] : seen;
  const stats = new Map(
    keys.map((k) => {
      const xs = folds.map((f) => f[k]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
      const mean = xs.reduce((a, b) => a + b, 0) / (xs.length || 1);
      // Sample standard deviation (n − 1), as usually reported for k folds.
      const std = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
      return [k, { mean, std, n: xs.length }];
    }),
  );
  // Columns packed greedily into tables of at most ~940 px: the page's text column is 1044 px wide,
  // minus the fold column, with room for fonts wider than the estimate.
  const budget = 940 - 90;
  const chunks: string[][] = [];
  let width = Infinity;
  for (const k of keys) {
    const w = cvColumnWidth(k);
    if (width + w > budget) {
      chunks.push([]);
      width = 0;
    }
    chunks[chunks.length - 1]!.push(k);
    width += w;
  }
  // The same number of tables, evened out (5 + 4 columns rather than 8 + 1) when that still fits.
  const per = Math.ceil(keys.length / chunks.length);
  const even = chunks.map((_, i) => keys.slice(i * per, (i + 1) * per)).filter((c) => c.length > 0);
  if (even.length === chunks.length && even.every((c) => c.reduce((a, k) => a + cvColumnWidth(k), 0) <= budget)) chunks.splice(0, chunks.length, ...even);
  const table = (cols: string[]): string => {
    const head = `<tr><th>fold</th>${cols.map((k) => `<th>${esc(k)}</th>`).join('')}</tr>`;
    const rows = folds.map((f, i) => `<tr><td>${i + 1}</td>${cols.map((k) => `<td class="num">${fmt(f[k])}</td>`).join('')}</tr>`).join('');
    const summary = `<tr><th>mean ± std</th>${cols.map((k) => `<td class="num">${fmt(stats.get(k)!.mean)} ± ${fmt(stats.get(k)!.std)}</td>`).join('')}</tr>`;
    return `<div class="tablewrap"><table class="cv">${head}${rows}${summary}</table></div>`;
  };
  return (
    `<p class="note">Each fold's numbers come from that fold's held-out part ${esc(cv.split ?? '(validation folds of the training data)')}; ` +
    `std is the sample standard deviation over ${folds.length} folds.${keys[0] === cv.metric ? ` <code>${esc(cv.metric)}</code>, the metric selected on, comes first.` : ''}${chunks.length > 1 ? ` ${keys.length} metrics in ${chunks.length} tables, so that each fits the page.` : ''}` +
    `${cv.note !== undefined ? ' ' + esc(cv.note) : ''}</p>` +
    `<div class="tables">${chunks.map(table).join('')}</div>`
  );
}

/** Where the split label came from, truthfully: the program that set it, the evaluation's caller, or the file name. */
function splitOrigin(result: EvaluationResult, opts: ReportOptions): string {
  if (opts.splitOrigin !== undefined) return opts.splitOrigin;
  if (result.splitSource === 'given') {
    return opts.cv !== undefined
      ? 'set by the cross-validation run that wrote this report'
      : 'given with --split or by the program that ran the evaluation; not checked against the data';
  }
  return result.splitSource === 'file name' ? "judged from the data file's name" : 'not stated: treat it with care';
}

export function renderReport(result: EvaluationResult, opts: ReportOptions = {}): string {
  const split = result.split;
  const badge = splitBadge(split);
  const title = opts.title ?? `Evaluation of ${result.model.name}`;
  const maxChars = opts.maxTextChars ?? 600;
  const clip = (s: string): string => (s.length > maxChars ? `${s.slice(0, maxChars)}… (${s.length} characters)` : s);
  let log: LogEntry[] | null = null;
  let logSource = '';
  if (opts.trainingLog !== undefined) {
    log = typeof opts.trainingLog === 'string' ? readTrainingLog(opts.trainingLog) : opts.trainingLog;
    logSource = typeof opts.trainingLog === 'string' ? opts.trainingLog : 'the training log given';
  } else if (result.trainingLog !== undefined && existsSync(result.trainingLog)) {
    log = readTrainingLog(result.trainingLog);
    logSource = result.trainingLog;
  }
  const perClassRows = result.perClass
    .map((c) => `<tr><td>${esc(c.label)}</td><td class="num">${fmt(c.precision)}</td><td class="num">${fmt(c.recall)}</td><td class="num">${fmt(c.f1)}</td><td class="num">${c.support}</td></tr>`)
    .join('');
  const errors = result.mostConfidentErrors.slice(0, opts.maxErrors ?? result.mostConfidentErrors.length);
  const errorRows = errors
    .map(
      (e, i) =>
        `<tr><td class="num">${i + 1}</td><td class="num">${e.line}</td><td class="text">${esc(clip(e.text))}${e.textPair !== undefined ? `<br><em>pair:</em> ${esc(clip(e.textPair))}` : ''}</td>` +
        `<td>${esc(e.label)}</td><td>${esc(e.predicted)}</td><td class="num">${fmt(e.confidence, 3)}</td><td class="num">${fmt(e.probabilities[e.label], 3)}</td></tr>`,
    )
    .join('');
  const rel = result.reliability;
  const sections: string[] = [];
  sections.push(`<section id="summary"><h2>Metrics ${badge}</h2>
<table><tr><th>metric</th><th>key</th><th>value</th><th>split</th></tr>${metricRows(result)}</table>
${result.warnings.length > 0 ? `<p class="note">Notes: ${result.warnings.map(esc).join('; ')}</p>` : ''}</section>`);
  sections.push(`<section id="confusion"><h2>Confusion matrix ${badge}</h2>
<p class="note">Rows are true labels, columns predictions; colour is the share of the row (blue: correct, red: confused). n = ${result.n}.</p>
${confusionHeatmap(result.confusionMatrix.labels, result.confusionMatrix.matrix, 'Confusion matrix', `${split} split, n = ${result.n}`)}</section>`);
  sections.push(`<section id="per-class"><h2>Per-class precision, recall and F1 ${badge}</h2><div class="charts">
${groupedBars(result.perClass.map((c) => c.label), ['precision', 'recall', 'F1'], result.perClass.map((c) => [c.precision, c.recall, c.f1]), 'Per class', `${split} split`)}
<table><tr><th>label</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>${perClassRows}</table></div></section>`);
  sections.push(`<section id="calibration"><h2>Calibration ${badge}</h2><div class="charts">
${reliabilityChart(rel.bins, 'Reliability diagram', `${split} split, n = ${rel.n}`)}
<div><p>Expected calibration error: <strong>${fmt(rel.ece)}</strong>; maximum calibration error: ${fmt(rel.mce)}; ${rel.n} predictions in ${rel.bins.length} equal-width confidence bins.</p>
<p class="note">A bar below the diagonal means the model is more confident than it is right in that bin (over-confidence); above it, under-confidence.</p></div></div></section>`);
  const noLog =
    opts.cv !== undefined
      ? // One model per fold, each with its own training run: no single log belongs to these predictions.
        `<p class="note">Not drawn: cross-validation trains ${opts.cv.folds.length} models, one per fold, each with its own learning curve, and this report pools their out-of-fold predictions. The per-fold scores are under <a href="#cross-validation">Cross-validation</a>.</p>`
      : '<p class="note">No training log was given (pass the training run\'s log.jsonl to draw learning curves).</p>';
  sections.push(`<section id="learning-curves"><h2>Learning curves</h2>${log !== null ? learningCurves(log, logSource) : noLog}</section>`);
  if (opts.cv !== undefined) sections.push(`<section id="cross-validation"><h2>Cross-validation</h2>${cvSection(opts.cv)}</section>`);
  sections.push(`<section id="errors"><h2>Most confident errors ${badge}</h2>
<p class="note">Wrong predictions with the highest confidence, out of ${result.predictions.filter((p) => p.label !== p.predicted).length} errors in ${result.n} examples. "line" is the example's line in the data file.</p>
${errors.length > 0 ? `<table><tr><th>#</th><th>line</th><th>text</th><th>true</th><th>predicted</th><th>confidence</th><th>p(true)</th></tr>${errorRows}</table>` : '<p>No errors.</p>'}</section>`);
  return reportPage({
    title, split, splitOrigin: splitOrigin(result, opts), unlessMarkedOtherwise: true, dataFiles: result.dataFiles, sections,
    meta: [['model', `${esc(result.model.name)} (${esc(result.model.kind)})`], ['examples', String(result.n)], ['labels', result.labels.map(esc).join(', ')], ['evaluated', esc(result.createdAt)]],
  });
}
