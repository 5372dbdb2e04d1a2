/**
 * What every `lengua evaluate` path (classifier, encoder-decoder, NER, extractive QA) does around its own
 * metrics: write metrics.json, predictions.jsonl and report.html atomically, record the evaluation in the model
 * folder (the once-only test-split record), then print either the JSON summary or the header lines (model,
 * engine, data, split, notes). Each path prints its metrics after it, then `wroteLine`.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../util/fs.js';

export interface EvaluationOutput {
  out: string;
  summary: object;
  /** One JSON line each. */
  predictions: readonly unknown[];
  /** The HTML report, when the task has one. */
  report?: string;
  /** Records the evaluation in the model folder; absent when the model is not a local folder. */
  record?: () => void;
  /** An earlier evaluation of the test split (this one was forced). */
  earlier: { time: string } | null;
  json: boolean;
  /** [name, value] lines printed before the metrics; "split" is added from split and splitSource. */
  header: Array<[string, string]>;
  split: string;
  splitSource: string;
  warnings?: readonly string[];
}

/** Writes the files and prints the header; false when --json printed the summary and nothing more should be. */
export function writeEvaluation(e: EvaluationOutput, write: (s: string) => void): boolean {
  writeFileAtomic(join(e.out, 'metrics.json'), JSON.stringify(e.summary, null, 2) + '\n');
  writeFileAtomic(join(e.out, 'predictions.jsonl'), e.predictions.map((p) => JSON.stringify(p)).join('\n') + '\n');
  if (e.report !== undefined) writeFileAtomic(join(e.out, 'report.html'), e.report);
  e.record?.();
  const unrecorded = e.record === undefined ? 'note: the model is not a local folder, so this evaluation is not recorded and a test split cannot be guarded\n' : '';
  if (e.json) {
    if (unrecorded !== '') process.stderr.write(unrecorded);
    write(JSON.stringify({ ...e.summary, out: e.out }) + '\n');
    return false;
  }
  const how = e.splitSource === 'given' ? 'given' : e.splitSource === 'file name' ? 'from the file name' : 'not stated; pass --split';
  const lines: Array<[string, string]> = [...e.header, ['split', `${e.split} (${how})`]];
  const width = Math.max(...lines.map(([k]) => k.length)) + 2;
  for (const [k, v] of lines) write(`${`${k}:`.padEnd(width)}${v}\n`);
  write(unrecorded);
  if (e.earlier !== null) write(`note: the test split was evaluated before (${e.earlier.time}); --force given, recorded as forced\n`);
  for (const w of e.warnings ?? []) write(`note: ${w}\n`);
  return true;
}

/** The last line: the files written. */
export function wroteLine(e: Pick<EvaluationOutput, 'out' | 'report'>): string {
  return `wrote ${join(e.out, 'metrics.json')}, ${join(e.out, 'predictions.jsonl')}${e.report !== undefined ? `, ${join(e.out, 'report.html')}` : ''}\n`;
}
