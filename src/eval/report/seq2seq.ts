/**
 * `renderSeq2SeqReport(result, opts)`: the report of an encoder-decoder evaluation (translation, summarization),
 * one self-contained HTML page as the classifier's (inline CSS, hand-written SVG, no script, nothing external):
 * the scores with their split, the generation settings, the output lengths against the reference lengths, and
 * the worst and best examples by the sentence-level score. Every text from the data or the model is escaped.
 */
import type { Seq2SeqEvaluationResult, Seq2SeqExample } from '../seq2seq.js';
import { learningCurves, readTrainingLog, reportPage, splitBadge, type LogEntry } from './index.js';
import { esc, fmt, groupedBars } from './svg.js';

export interface Seq2SeqReportOptions {
  title?: string;
  /** Examples shown at each end of the ranking (default 10). */
  examples?: number;
  /** Characters of each text shown (default 600). */
  maxTextChars?: number;
  /** A log.jsonl of the training run (or its entries): learning curves. */
  trainingLog?: string | LogEntry[];
}

const METRIC_NAMES: Record<string, string> = {
  bleu: 'BLEU (sacreBLEU: 13a tokens, exp smoothing; 0–100)',
  chrf: 'chrF2 (sacreBLEU: character 6-grams, β = 2; 0–100)',
  rouge1: 'ROUGE-1 F (Porter-stemmed; 0–1)',
  rouge2: 'ROUGE-2 F (Porter-stemmed; 0–1)',
  rougeL: 'ROUGE-L F (Porter-stemmed; 0–1)',
  rougeLsum: 'ROUGE-Lsum F (sentences split on newlines; 0–1)',
  gen_len: 'mean generated tokens (pad left out)',
};

/** Bucket edges of width 1, 2 or 5 × 10^k, at most ~12 buckets from 0 to past `max`. */
function buckets(max: number): number[] {
  const raw = Math.max(1, (max + 1) / 12);
  const pow = 10 ** Math.floor(Math.log10(raw));
  const width = [1, 2, 5, 10].map((m) => m * pow).find((w) => w >= raw)!;
  const width1 = Math.max(1, Math.ceil(width));
  const edges: number[] = [];
  for (let e = 0; e <= max; e += width1) edges.push(e);
  edges.push(edges[edges.length - 1]! + width1);
  return edges;
}

function lengthSection(r: Seq2SeqEvaluationResult): string {
  const words = (s: string): number => s.split(/\s+/).filter(Boolean).length;
  const pred = r.predictions.map((p) => words(p.prediction));
  const ref = r.predictions.map((p) => words(p.references[0]!));
  const edges = buckets(Math.max(...pred, ...ref, 0));
  const labels = edges.slice(0, -1).map((lo, i) => (edges[i + 1]! - lo === 1 ? String(lo) : `${lo}–${edges[i + 1]! - 1}`));
  const share = (xs: number[], i: number): number => xs.filter((x) => x >= edges[i]! && x < edges[i + 1]!).length / Math.max(1, xs.length);
  const values = labels.map((_, i) => [share(pred, i), share(ref, i)]);
  const L = r.lengths;
  const row = (name: string, s: { mean: number; median: number; max: number }): string =>
    `<tr><td>${esc(name)}</td><td class="num">${fmt(s.mean, 2)}</td><td class="num">${fmt(s.median, 1)}</td><td class="num">${s.max}</td></tr>`;
  const extra = [
    `prediction words / reference words: <strong>${fmt(L.ratio, 3)}</strong>`,
    ...(L.bleuLengthRatio !== undefined ? [`BLEU's length ratio (13a tokens, closest reference): ${fmt(L.bleuLengthRatio, 3)}, brevity penalty ${fmt(L.bleuBrevityPenalty, 3)}`] : []),
    `outputs cut at the generation length limit: <strong>${L.cutAtMaxLength}</strong> of ${r.n}`,
  ];
  return `<div class="charts">${groupedBars(labels, ['prediction', 'reference'], values, 'Output and reference lengths', `share of examples by words, ${r.split} split`)}
<div><table><tr><th>words</th><th>mean</th><th>median</th><th>max</th></tr>${row('prediction', L.prediction)}${row('reference (first)', L.reference)}</table>
<p>${extra.join('<br>')}</p>
<p class="note">Lengths are counted in whitespace-separated words, so predictions and references compare whatever the tokenizer; the reference is each example's first (its target). <code>gen_len</code> counts generated tokens instead.</p></div></div>`;
}

function exampleTable(list: Seq2SeqExample[], keys: string[], clip: (s: string) => string): string {
  if (list.length === 0) return '<p>No examples.</p>';
  const head = `<tr><th>#</th><th>line</th><th>source</th><th>prediction</th><th>reference${list.some((e) => e.references.length > 1) ? 's' : ''}</th>${keys.map((k) => `<th>${esc(k)}</th>`).join('')}</tr>`;
  const rows = list
    .map(
      (e) =>
        `<tr><td class="num">${e.index + 1}</td><td class="num">${e.line}</td><td class="text">${esc(clip(e.source))}</td>` +
        `<td class="text">${e.prediction === '' ? '<em>(empty)</em>' : esc(clip(e.prediction))}${e.finishReason === 'length' ? ' <em>(cut at the length limit)</em>' : ''}</td>` +
        `<td class="text">${e.references.map((x) => esc(clip(x))).join('<hr>')}</td>${keys.map((k) => `<td class="num">${fmt(e.scores[k], k.startsWith('rouge') ? 3 : 1)}</td>`).join('')}</tr>`,
    )
    .join('');
  return `<div class="tablewrap"><table>${head}${rows}</table></div>`;
}

function splitOrigin(r: Seq2SeqEvaluationResult): string {
  if (r.splitSource === 'given') return 'given with --split or by the program that ran the evaluation; not checked against the data';
  return r.splitSource === 'file name' ? "judged from the data file's name" : 'not stated: treat it with care';
}

export function renderSeq2SeqReport(r: Seq2SeqEvaluationResult, opts: Seq2SeqReportOptions = {}): string {
  const badge = splitBadge(r.split);
  const title = opts.title ?? `Evaluation of ${r.model.name} (${r.task})`;
  const maxChars = opts.maxTextChars ?? 600;
  const clip = (s: string): string => (s.length > maxChars ? `${s.slice(0, maxChars)}… (${s.length} characters)` : s);
  const k = Math.max(0, opts.examples ?? 10);
  const key = r.rankedBy;
  const score = (e: Seq2SeqExample): number => e.scores[key] ?? 0;
  const ranked = [...r.predictions].sort((a, b) => score(a) - score(b) || a.index - b.index);
  const worst = ranked.slice(0, Math.min(k, ranked.length));
  // The best are taken from what the worst left, so that a short set shows no example twice.
  const best = ranked.slice(worst.length).reverse().slice(0, k);
  const sentenceKeys = Object.keys(r.predictions[0]?.scores ?? {});
  const metricRows = Object.entries(r.metrics)
    .map(([m, v]) => `<tr><td>${esc(METRIC_NAMES[m] ?? m)}</td><td><code>${esc(m)}</code></td><td class="num">${fmt(v)}</td><td>${esc(r.split)}</td></tr>`)
    .join('');
  const settings = Object.entries(r.generation)
    .map(([name, v]) => `<tr><td><code>${esc(name)}</code></td><td>${esc(JSON.stringify(v) ?? 'null')}</td></tr>`)
    .join('');
  const sections: string[] = [];
  sections.push(`<section id="summary"><h2>Scores ${badge}</h2>
<table><tr><th>metric</th><th>key</th><th>value</th><th>split</th></tr>${metricRows}</table>
<p class="note">Corpus scores over all ${r.n} examples, each prediction against all its references, as the Seq2SeqTrainer and Hugging Face's run_translation.py / run_summarization.py compute them (ROUGE: the exact mean F-measure, not evaluate's bootstrap median).</p>
${r.warnings.length > 0 ? `<p class="note">Notes: ${r.warnings.map(esc).join('; ')}</p>` : ''}</section>`);
  sections.push(`<section id="generation"><h2>Generation settings</h2>
<p class="note">Engine: <strong>${esc(r.engine)}</strong>. The model's own generation defaults with the command's flags over them; the source prefix is prepended to every source before tokenization.</p>
<table><tr><th>setting</th><th>value</th></tr>${settings}</table></section>`);
  sections.push(`<section id="lengths"><h2>Output lengths ${badge}</h2>${lengthSection(r)}</section>`);
  if (opts.trainingLog !== undefined) {
    const log = typeof opts.trainingLog === 'string' ? readTrainingLog(opts.trainingLog) : opts.trainingLog;
    sections.push(`<section id="learning-curves"><h2>Learning curves</h2>${learningCurves(log, typeof opts.trainingLog === 'string' ? opts.trainingLog : 'the training log given')}</section>`);
  }
  const rankNote = `Ranked by sentence-level <code>${esc(key)}</code>${key === 'chrf' ? ' (sacreBLEU sentence_chrf; sentence BLEU is shown beside it but is 0 for most short sentences without a shared 4-gram)' : ' (ROUGE-L F, stemmed, best reference)'}; ties by position in the file. "#" is the example's position, "line" its line in the data file.`;
  sections.push(`<section id="worst"><h2>Worst examples ${badge}</h2><p class="note">${rankNote}</p>${exampleTable(worst, sentenceKeys, clip)}</section>`);
  sections.push(`<section id="best"><h2>Best examples ${badge}</h2><p class="note">${rankNote}</p>${exampleTable(best, sentenceKeys, clip)}</section>`);
  return reportPage({
    title, extraCss: 'hr{border:0;border-top:1px dashed #dde1e7;margin:4px 0}', split: r.split, splitOrigin: splitOrigin(r), dataFiles: r.dataFiles, dataAt: 3, sections,
    meta: [
      ['model', `${esc(r.model.name)} (${esc(r.model.kind)})`], ['task', esc(r.task)], ['engine', esc(r.engine)], ['fields', `${esc(r.sourceField)} → ${esc(r.targetField)}`],
      ['examples', String(r.n)], ['evaluated', esc(r.createdAt)],
    ],
  });
}
