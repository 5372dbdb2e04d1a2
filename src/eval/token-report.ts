/**
 * `renderTokenReport(result, opts)`: the report of a token-classification (NER) evaluation, one self-contained HTML
 * page in the classifier report's style (inline CSS, hand-written SVG, no script, nothing external): the entity-level
 * scores with their split, per-type scores, the word-level type confusion, learning curves from the training log, and
 * the sentences with the most entity errors, gold and predicted entities marked in the text. Every text is escaped.
 */
import { confusionHeatmap, esc, fmt, groupedBars, learningCurves, readTrainingLog, reportPage, splitBadge, type LogEntry } from './report/index.js';
import type { CharEntity, TokenEvaluationResult, TokenSentencePrediction } from './token-classification.js';

export interface TokenReportOptions {
  title?: string;
  /** Sentences with entity errors shown (default 20). */
  examples?: number;
  /** A log.jsonl of the training run (or its entries): learning curves. */
  trainingLog?: string | LogEntry[];
}

const METRIC_NAMES: Record<string, string> = {
  precision: 'precision (micro over entities)',
  recall: 'recall (micro over entities)',
  f1: 'F1 (micro over entities)',
  accuracy: 'token accuracy (word tags equal to the gold tags)',
  macro_precision: 'macro precision (mean over types)',
  macro_recall: 'macro recall',
  macro_f1: 'macro F1',
  weighted_precision: 'weighted precision (by gold entities per type)',
  weighted_recall: 'weighted recall',
  weighted_f1: 'weighted F1',
};

const key = (e: CharEntity): string => `${e.type}\u0000${e.wordStart}\u0000${e.wordEnd}`;

/** Missed gold entities plus wrong predicted ones (exact type and span, as scored). */
function entityErrors(p: TokenSentencePrediction): number {
  const gold = new Set(p.goldEntities.map(key));
  const pred = new Set(p.entities.map(key));
  return p.goldEntities.filter((e) => !pred.has(key(e))).length + p.entities.filter((e) => !gold.has(key(e))).length;
}

/** The sentence text with the entities in brackets and their type after them: `[Ana]PER vive en [Lima]LOC`. */
function marked(p: TokenSentencePrediction, entities: CharEntity[], other: CharEntity[]): string {
  const right = new Set(other.map(key));
  let out = '';
  let at = 0;
  for (const e of entities) {
    out += esc(p.text.slice(at, e.start));
    const cls = right.has(key(e)) ? 'ok' : 'bad';
    out += `<mark class="${cls}">[${esc(p.text.slice(e.start, e.end))}]<sub>${esc(e.type)}</sub></mark>`;
    at = e.end;
  }
  return out + esc(p.text.slice(at));
}

function splitOrigin(r: TokenEvaluationResult): string {
  if (r.splitSource === 'given') return 'given with --split or by the program that ran the evaluation; not checked against the data';
  return r.splitSource === 'file name' ? "judged from the data file's name" : 'not stated: treat it with care';
}

export function renderTokenReport(r: TokenEvaluationResult, opts: TokenReportOptions = {}): string {
  const badge = splitBadge(r.split);
  const title = opts.title ?? `Evaluation of ${r.model.name} (token classification)`;
  const k = Math.max(0, opts.examples ?? 20);
  const metricRows = Object.entries(r.metrics)
    .map(([m, v]) => `<tr><td>${esc(METRIC_NAMES[m] ?? m)}</td><td><code>${esc(m)}</code></td><td class="num">${fmt(v)}</td><td>${esc(r.split)}</td></tr>`)
    .join('');
  const types = Object.keys(r.perType);
  const typeRows = types
    .map((t) => {
      const s = r.perType[t]!;
      return `<tr><td>${esc(t)}</td><td class="num">${fmt(s.precision)}</td><td class="num">${fmt(s.recall)}</td><td class="num">${fmt(s.f1)}</td><td class="num">${s.support}</td><td class="num">${s.predicted}</td><td class="num">${s.correct}</td></tr>`;
    })
    .join('');
  const ranked = r.predictions.map((p) => ({ p, errors: entityErrors(p) })).filter((x) => x.errors > 0);
  const withErrors = ranked.length;
  ranked.sort((a, b) => b.errors - a.errors || a.p.index - b.p.index);
  const errorRows = ranked
    .slice(0, k)
    .map(
      ({ p, errors }) =>
        `<tr><td class="num">${p.index + 1}</td><td class="num">${p.line}</td><td class="text">${marked(p, p.goldEntities, p.entities)}</td>` +
        `<td class="text">${marked(p, p.entities, p.goldEntities)}</td><td class="num">${errors}</td></tr>`,
    )
    .join('');
  const sections: string[] = [];
  sections.push(`<section id="summary"><h2>Entity-level scores ${badge}</h2>
<table><tr><th>metric</th><th>key</th><th>value</th><th>split</th></tr>${metricRows}</table>
<p class="note">Words are tagged by their first subword; entities are decoded from the word tags with conlleval's rules (IOB2) and count as correct only when type, first and last word all match, as <code>lengua train --task token-classification</code>, seqeval and run_ner.py score them. ${r.n} sentences, ${r.tokens} words.</p>
${r.warnings.length > 0 ? `<p class="note">Notes: ${r.warnings.map(esc).join('; ')}</p>` : ''}</section>`);
  sections.push(`<section id="per-type"><h2>Per entity type ${badge}</h2><div class="charts">
${types.length > 0 ? groupedBars(types, ['precision', 'recall', 'F1'], types.map((t) => [r.perType[t]!.precision, r.perType[t]!.recall, r.perType[t]!.f1]), 'Per entity type', `${r.split} split`) : ''}
<table><tr><th>type</th><th>precision</th><th>recall</th><th>F1</th><th>gold</th><th>predicted</th><th>correct</th></tr>${typeRows}</table></div></section>`);
  sections.push(`<section id="confusion"><h2>Word-level type confusion ${badge}</h2>
<p class="note">Rows are gold types, columns predicted types, per word (B- and I- folded together, O for no entity); colour is the share of the row. ${r.tokens} words.</p>
${confusionHeatmap(r.confusion.labels, r.confusion.matrix, 'Word types', `${r.split} split, ${r.tokens} words`)}</section>`);
  if (opts.trainingLog !== undefined) {
    const log = typeof opts.trainingLog === 'string' ? readTrainingLog(opts.trainingLog) : opts.trainingLog;
    sections.push(`<section id="learning-curves"><h2>Learning curves</h2>${learningCurves(log, typeof opts.trainingLog === 'string' ? opts.trainingLog : 'the training log given')}</section>`);
  } else {
    sections.push('<section id="learning-curves"><h2>Learning curves</h2><p class="note">No training log was given (pass the training run\'s log.jsonl to draw learning curves).</p></section>');
  }
  sections.push(`<section id="errors"><h2>Sentences with the most entity errors ${badge}</h2>
<p class="note">${withErrors} of ${r.n} sentences have at least one missed or wrong entity; the ${Math.min(k, withErrors)} with the most are shown (ties by position). Entities are in brackets with their type; green: also on the other side, red: not. "#" is the sentence's position, "line" the line of its first word in the data file.</p>
${errorRows !== '' ? `<div class="tablewrap"><table><tr><th>#</th><th>line</th><th>gold</th><th>predicted</th><th>errors</th></tr>${errorRows}</table></div>` : '<p>No entity errors.</p>'}</section>`);
  return reportPage({
    title, extraCss: 'mark{padding:0 2px;border-radius:3px}mark.ok{background:#e3f4dc}mark.bad{background:#fbe0dc}mark sub{font-size:10px;color:#5a6372}',
    split: r.split, splitOrigin: splitOrigin(r), dataFiles: r.dataFiles, dataAt: 2, sections,
    meta: [
      ['model', `${esc(r.model.name)} (${esc(r.model.kind)})`], ['engine', esc(r.engine)],
      ['tags', `${esc(r.fileScheme)} in the file${r.fileScheme === 'IOB1' ? ', converted to IOB2' : ''}; scored as IOB2`],
      ['sentences', `${r.n} (${r.tokens} words)`], ['labels', r.labels.map(esc).join(', ')], ['evaluated', esc(r.createdAt)],
    ],
  });
}
