// The HTML report: well-formed SVG, nothing external, user text escaped, every section with its numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset } from '../../data/index.js';
import { trainBaseline } from '../../train/baseline.js';
import { baselineClassifier, evaluateClassifier, type EvaluationResult } from '../index.js';
import { renderReport, readTrainingLog, niceTicks, tickFormat, wrapText, coincidingSeries, type LogEntry } from './index.js';

const tmp = mkdtempSync(join(tmpdir(), 'lengua-report-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

const HOSTILE = '<script>alert("x")</script> & <b>bold</b> \'quoted\' </td></table><svg onload=1>';

/** Checks that a fragment is well-formed XML: balanced tags, quoted attributes, escaped text, known entities. */
function checkXml(xml: string): void {
  const stack: string[] = [];
  const re = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<|&(?!(?:amp|lt|gt|quot|#39|#\d+);)/g;
  let last = 0;
  for (let m = re.exec(xml); m !== null; m = re.exec(xml)) {
    const between = xml.slice(last, m.index);
    assert.ok(!/[<>]/.test(between) || !between.includes('<'), `stray markup before offset ${m.index}`);
    last = re.lastIndex;
    if (m[0] === '<') assert.fail(`a "<" that starts no well-formed tag at offset ${m.index}: ${xml.slice(m.index, m.index + 40)}`);
    if (m[0] === '&') assert.fail(`an unescaped "&" at offset ${m.index}: ${xml.slice(m.index, m.index + 20)}`);
    const [, close, name, , selfClose] = m;
    if (close) assert.equal(stack.pop(), name, `closing </${name}> at ${m.index} does not match`);
    else if (!selfClose) stack.push(name!);
  }
  assert.deepEqual(stack, [], 'unclosed elements');
}

async function result(): Promise<EvaluationResult> {
  const sample = loadDataset('examples/data/tweets-sample.csv');
  const { model } = trainBaseline({ ...sample, examples: sample.examples.slice(0, 200) });
  const file = join(tmp, 'dev.csv');
  // Held-out rows plus one hostile text the model gets wrong (label chosen against its prediction).
  const rows = sample.examples.slice(200, 260).map((e) => ({ text: e.text, label: e.label as string }));
  const guess = model.predict([HOSTILE])[0]!;
  rows.push({ text: HOSTILE, label: model.id2label[(guess + 1) % 3]! });
  writeFileSync(file, 'text,label\n' + rows.map((r) => `"${r.text.replace(/"/g, '""')}",${r.label}`).join('\n') + '\n');
  return evaluateClassifier(baselineClassifier(model, join(tmp, 'm')), loadDataset(file), { topErrors: 100, modelName: 'baseline <tfidf> & co' });
}

test('report: self-contained, well-formed, escaped, every section with the right numbers', async () => {
  const r = await result();
  const logFile = join(tmp, 'log.jsonl');
  writeFileSync(logFile, [
    { step: 10, epoch: 0.5, loss: 1.05, learning_rate: 4e-5 },
    { step: 20, epoch: 1, loss: 0.8, learning_rate: 3e-5 },
    { step: 20, epoch: 1, eval_loss: 0.9, eval_accuracy: 0.61, eval_macro_f1: 0.6 },
    { step: 30, epoch: 1.5, loss: 0.6, learning_rate: 2e-5 },
    { step: 40, epoch: 2, eval_loss: 0.85, eval_accuracy: 0.66, eval_macro_f1: 0.64, note: 'strings are dropped' },
  ].map((e) => JSON.stringify(e)).join('\n') + '\n');
  const folds = [{ macro_f1: 0.5, accuracy: 0.6 }, { macro_f1: 0.7, accuracy: 0.8 }, { macro_f1: 0.6, accuracy: 0.7 }];
  const html = renderReport(r, { title: 'Report <for> "tests"', trainingLog: logFile, cv: { folds } });

  // Self-contained: no script, no external resource, no URL other than the SVG namespace.
  assert.ok(!/<script|<link|<img|<iframe|\ssrc=|url\(|@import/i.test(html));
  assert.deepEqual([...new Set(html.match(/https?:\/\/[^\s"'<>)]+/g))], ['http://www.w3.org/2000/svg']);
  // The whole body is well-formed (HTML written as XML), SVGs included.
  const body = html.slice(html.indexOf('<body>'), html.indexOf('</html>'));
  checkXml(body.replace(/<br>/g, '<br/>'));
  const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
  assert.equal(svgs.length, 3 + 3, 'confusion, per-class, reliability, and 3 learning-curve charts');
  for (const s of svgs) {
    checkXml(s);
    assert.match(s, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+" height="\d+" viewBox="0 0 \d+ \d+"/);
    assert.ok(!/NaN|undefined|Infinity/.test(s), 'no NaN/undefined coordinates');
  }
  // User text is escaped, never live markup.
  assert.ok(!html.includes(HOSTILE) && !html.includes('<script>') && !html.includes('<svg onload'));
  assert.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt; &#39;quoted&#39;'));
  assert.ok(html.includes('<title>Report &lt;for&gt; &quot;tests&quot;</title>'));
  assert.ok(html.includes('baseline &lt;tfidf&gt; &amp; co'));

  // Header: model, data file with its hash, the split.
  for (const id of ['header', 'summary', 'confusion', 'per-class', 'calibration', 'learning-curves', 'cross-validation', 'errors']) {
    assert.ok(html.includes(`<section id="${id}">`) || html.includes(`<header id="${id}">`), id);
  }
  assert.ok(html.includes(r.dataSha256) && html.includes(r.dataFile));
  assert.match(html, /comes from the <strong>validation<\/strong> split/);
  assert.equal((html.match(/<span class="split">validation split<\/span>/g) ?? []).length, 6, 'banner + 5 evaluated sections carry the split');
  // Metrics table: every metric with its value and split.
  for (const [k, v] of Object.entries(r.metrics)) {
    assert.ok(html.includes(`<code>${k}</code></td><td class="num">${v === null ? '—' : v.toFixed(4)}</td><td>validation</td>`), k);
  }
  // Confusion matrix: every count is written in its cell.
  const conf = svgs[0]!;
  const cells = [...conf.matchAll(/class="cv(?: light)?">(\d+)<\/text>/g)].map((m) => Number(m[1]));
  assert.deepEqual(cells, r.confusionMatrix.matrix.flat());
  // Per-class bars: one rect per class and measure, heights proportional to the values.
  const bars = [...svgs[1]!.matchAll(/<rect x="[\d.]+" y="([\d.]+)" width="14" height="([\d.]+)" fill="#[0-9a-f]+"><title>([^<]*)<\/title>/g)];
  assert.equal(bars.length, r.perClass.length * 3);
  const f1 = r.perClass[0]!;
  assert.ok(bars[2]![3]!.includes(`${f1.label} F1: ${f1.f1.toFixed(4)}`));
  assert.ok(Math.abs(Number(bars[2]![2]) - 220 * f1.f1) < 0.01);
  // Reliability: the diagonal, and the count of each non-empty bin.
  const rel = svgs[2]!;
  assert.ok(rel.includes('class="diag"'));
  const counts = [...rel.matchAll(/class="count">(\d+)</g)].map((m) => Number(m[1]));
  assert.deepEqual(counts, r.reliability.bins.filter((b) => b.count > 0).map((b) => b.count));
  assert.ok(html.includes(`Expected calibration error: <strong>${r.reliability.ece.toFixed(4)}</strong>`));
  // Learning curves: the log's losses are drawn (x = step), string fields dropped.
  assert.match(svgs[3]!, /training loss \(train split\)/);
  assert.match(svgs[3]!, /eval_loss \(eval set\)/);
  assert.match(svgs[4]!, /eval_accuracy/);
  assert.deepEqual(readTrainingLog(logFile)[4], { step: 40, epoch: 2, eval_loss: 0.85, eval_accuracy: 0.66, eval_macro_f1: 0.64 });
  // CV: mean ± sample std per metric.
  assert.ok(html.includes('<td class="num">0.6000 ± 0.1000</td><td class="num">0.7000 ± 0.1000</td>'));
  // Errors: one row per confident error, the hostile text among them, with its true label.
  const errRows = html.slice(html.indexOf('<section id="errors">')).match(/<tr><td class="num">\d+<\/td>/g) ?? [];
  assert.equal(errRows.length, r.mostConfidentErrors.length);
  assert.ok(r.mostConfidentErrors.some((e) => e.text === HOSTILE));
});

test('report for a test split says so; a bad training log names its line', async () => {
  const r = { ...(await result()), split: 'test', splitSource: 'given' as const };
  const html = renderReport(r);
  assert.match(html, /<span class="split test">test split<\/span>/);
  assert.match(html, /held-out test split: it should be evaluated once/);
  assert.match(html, /No training log was given/);
  // A one-entry log (the baseline is fitted in one go) is shown as a table, not as empty charts.
  const one = renderReport(r, { trainingLog: [{ step: 25, epoch: 1, loss: 0.65967, eval_accuracy: 0.725 }] });
  assert.match(one, /Too few entries for curves.*<th>eval_accuracy<\/th>.*<td class="num">25<\/td><td class="num">1<\/td><td class="num">0\.65967<\/td>/s);
  assert.equal((one.match(/<svg/g) ?? []).length, 3);
  const bad = join(tmp, 'bad.jsonl');
  writeFileSync(bad, '{"step": 1, "loss": 1}\n{oops\n');
  assert.throws(() => renderReport(r, { trainingLog: bad }), /bad\.jsonl:2: invalid JSON/);
});

test('niceTicks covers the range with round steps', () => {
  assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(0.31, 1.27), [0.2, 0.4, 0.6, 0.8, 1, 1.2, 1.4]);
  const t = niceTicks(5, 5);
  assert.ok(t[0]! <= 5 && t[t.length - 1]! >= 5);
});

/** The SVG charts of a page. */
const charts = (html: string): string[] => html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];

test('CV report: fold tables fit the page, the banner says lengua set the split, no learning-curve advice', async () => {
  const r = { ...(await result()), split: 'cross-validation (out-of-fold) of a rather long pooled train + validation set', splitSource: 'given' as const };
  // The metrics a real fold reports (src/train/trial.ts validationMetrics), five folds.
  const keys = ['eval_loss', 'eval_accuracy', 'eval_macro_f1', 'eval_macro_precision', 'eval_macro_recall', 'eval_weighted_f1', 'eval_micro_f1', 'eval_mcc', 'eval_kappa'];
  const folds = [0, 1, 2, 3, 4].map((f) => Object.fromEntries(keys.map((k, j) => [k, 0.5 + 0.01 * f + 0.001 * j])));
  const html = renderReport(r, { cv: { folds, metric: 'eval_macro_recall' } });
  const section = html.slice(html.indexOf('<section id="cross-validation">'), html.indexOf('<section id="errors">'));
  const tables = section.match(/<table class="cv">[\s\S]*?<\/table>/g) ?? [];
  assert.ok(tables.length >= 2, 'nine metric columns do not fit in one table at 1044 px');
  const heads = tables.map((t) => [...t.matchAll(/<th>(eval_\w+)<\/th>/g)].map((m) => m[1]!));
  // Every metric once, the selected one first; at most 6 metric columns a table (each ≥ 120 px wide).
  assert.deepEqual(heads.flat().sort(), [...keys].sort());
  assert.equal(heads[0]![0], 'eval_macro_recall');
  for (const h of heads) assert.ok(h.length <= 6 && h.length >= 2, `${h.length} columns`);
  // Every table keeps the fold rows and the mean ± std row, with the right numbers.
  for (const t of tables) assert.equal((t.match(/<tr><td>\d+<\/td>/g) ?? []).length, 5);
  assert.ok(section.includes('<td class="num">0.5240 ± 0.0158</td>'), 'mean ± std of eval_macro_recall');
  assert.match(section, /<code>eval_macro_recall<\/code>, the metric selected on, comes first/);

  // The banner: the cross-validation set the split, not the user.
  assert.ok(!html.includes('stated by the user'));
  assert.match(html, /class="banner">[^]*?\(set by the cross-validation run that wrote this report\)/);
  assert.match(renderReport(r, { cv: { folds }, splitOrigin: 'set by lengua cv' }), /class="banner">[^]*?\(set by lengua cv\)/);
  // Learning curves: one per fold model, so none is drawn and no log.jsonl is asked for.
  const curves = html.slice(html.indexOf('<section id="learning-curves">'), html.indexOf('<section id="cross-validation">'));
  assert.match(curves, /Not drawn: cross-validation trains 5 models, one per fold/);
  assert.ok(!/log\.jsonl/.test(curves));
  assert.equal(charts(html).length, 3);

  // Chart titles: the split goes to a subtitle, wrapped to the chart's width; nothing runs past an edge.
  for (const svg of charts(html)) {
    const width = Number(/width="(\d+)"/.exec(svg)![1]);
    const lines = [...svg.matchAll(/<text x="([\d.]+)" y="[\d.]+" text-anchor="middle" class="(ct|sub)">([^<]*)<\/text>/g)];
    assert.ok(lines.length >= 2, 'a title and a subtitle');
    for (const [, x, cls, text] of lines) {
      const half = ((cls === 'ct' ? 8.4 : 7) * text!.replace(/&\w+;/g, '_').length) / 2;
      assert.ok(Number(x) - half >= 0 && Number(x) + half <= width, `"${text}" (${cls}) fits in ${width} px`);
    }
    const sub = lines.filter((l) => l[2] === 'sub').map((l) => l[3]).join(' ');
    assert.ok(sub.startsWith(r.split), `the subtitle names the split: ${sub}`);
  }
  assert.match(charts(html)[2]!, /class="ct">Reliability diagram<\/text>/);
  assert.match(charts(html)[1]!, /class="ct">Per class<\/text>/);

  // An evaluation report whose split was given: no claim that a user stated it.
  const plain = renderReport(r);
  assert.match(plain, /\(given with --split or by the program that ran the evaluation; not checked against the data\)/);
  assert.match(plain, /No training log was given \(pass the training run's log\.jsonl/);
});

test('training report: coinciding metric lines are told apart and named; each axis has one tick format', async () => {
  const r = await result();
  // Balanced data: accuracy equals macro recall and macro F1 equals weighted F1 at every evaluation.
  const log = [1, 2, 3, 4].flatMap((e): LogEntry[] => [
    { step: 50 * e, epoch: e, loss: 1.2 - 0.1 * e, learning_rate: 1e-3 * (1 - 0.2 * e) + 2e-4 },
    { step: 50 * e, epoch: e, eval_loss: 1 - 0.02 * e, eval_accuracy: 0.4 + 0.03 * e, eval_macro_f1: 0.35 + 0.04 * e, eval_macro_precision: 0.3 + 0.05 * e, eval_macro_recall: 0.4 + 0.03 * e, eval_weighted_f1: 0.35 + 0.04 * e, eval_mcc: 0.1 + 0.02 * e },
  ]);
  const html = renderReport(r, { trainingLog: log });
  const [, , , , evalChart, lrChart] = charts(html);
  assert.match(evalChart!, /eval_macro_recall \(same values as eval_accuracy: the lines coincide\)/);
  assert.match(evalChart!, /eval_weighted_f1 \(same values as eval_macro_f1: the lines coincide\)/);
  assert.match(html, /<code>eval_macro_recall<\/code> and <code>eval_accuracy<\/code> coincide/);
  assert.match(html, /<code>eval_weighted_f1<\/code> and <code>eval_macro_f1<\/code> coincide/);
  // Six lines, six different (dash pattern, width) styles: one drawn over another never looks like one line.
  const styles = [...evalChart!.matchAll(/<polyline fill="none" stroke="(#\w+)"((?: stroke-dasharray="[^"]*")? stroke-width="\d+")/g)].map((m) => m[2]);
  assert.equal(styles.length, 6);
  assert.equal(new Set(styles).size, 6, styles.join(' | '));
  // The line under a coinciding one is wider, the one on top sparsely dashed, so both show.
  assert.match(styles[0]!, /stroke-width="4"/);
  assert.match(styles[1]!, /stroke-width="4"/);
  assert.match(styles[3]!, /stroke-dasharray="4 8" stroke-width="2"/);
  assert.match(styles[4]!, /stroke-dasharray="1 5" stroke-width="2"/);
  // Marker shapes differ by series; the coinciding series' markers are hollow.
  assert.ok(evalChart!.includes('<circle') && evalChart!.includes('<rect x=') && evalChart!.includes('<polygon'));
  assert.match(evalChart!, /fill="none" stroke="#d62728" stroke-width="1\.5"><title>eval_macro_recall: /);
  // Learning-rate ticks: one exponential format for the whole axis (no "0.001" beside "8.0e-4").
  const yTicks = [...lrChart!.matchAll(/text-anchor="end" class="tick">([^<]*)</g)].map((m) => m[1]!);
  assert.ok(yTicks.length >= 4);
  for (const t of yTicks) assert.match(t, /^(0|\d\.\de-4|1\.0e-3)$/, t);
  // No line runs together with itself: series that differ are not called coinciding.
  assert.ok(!/eval_mcc \(same values/.test(evalChart!));
});

test('tickFormat: one format per axis, the fewest digits that write every tick exactly', () => {
  const lr = tickFormat(niceTicks(5e-5, 9.2e-4));
  assert.deepEqual(niceTicks(5e-5, 9.2e-4).map(lr), ['0', '2.0e-4', '4.0e-4', '6.0e-4', '8.0e-4', '1.0e-3']);
  assert.deepEqual([0.6, 0.8, 1, 1.2].map(tickFormat([0.6, 0.8, 1, 1.2])), ['0.6', '0.8', '1.0', '1.2']);
  assert.deepEqual([0, 50, 100, 250].map(tickFormat([0, 50, 100, 250])), ['0', '50', '100', '250']);
  assert.deepEqual([0, 0.25, 0.5].map(tickFormat([0, 0.25, 0.5])), ['0.00', '0.25', '0.50']);
  assert.deepEqual([0, 2.5e-4, 5e-4].map(tickFormat([0, 2.5e-4, 5e-4])), ['0', '2.5e-4', '5.0e-4']);
  assert.deepEqual([0, 2e5, 4e5].map(tickFormat([0, 2e5, 4e5])), ['0', '2.0e+5', '4.0e+5']);
  assert.deepEqual([-0.5, 0, 0.5].map(tickFormat([-0.5, 0, 0.5])), ['-0.5', '0.0', '0.5']);
});

test('wrapText and coincidingSeries', () => {
  assert.deepEqual(wrapText('cross-validation (out-of-fold) split, n = 1839', 20), ['cross-validation', '(out-of-fold) split,', 'n = 1839']);
  assert.deepEqual(wrapText('abcdefghij', 4), ['abcd', 'efgh', 'ij']);
  const s = (name: string, ys: number[]) => ({ name, points: ys.map((y, i) => [i, y] as [number, number]) });
  assert.deepEqual(coincidingSeries([s('a', [0.1, 0.2]), s('b', [0.3, 0.4]), s('c', [0.1, 0.2 + 1e-12]), s('d', [0.3, 0.41]), s('e', [0.3, 0.4])]), [-1, -1, 0, -1, 1]);
});
