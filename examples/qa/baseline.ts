/**
 * The no-training baseline for extractive QA: pick the context sentence that shares the most question words
 * (each shared word weighted by its inverse sentence frequency in the paragraph, log(1 + S / sf), so "the" or "de"
 * count little; ties: the earlier sentence), then answer with a span of that sentence made of words the question
 * does not contain (the answer is rarely a question word): the longest such run of consecutive words, cut at
 * punctuation, at most MAX_WORDS = 12 words (chosen on the training questions: F1 rises with the cap up to about 12, flat after). Language-neutral (no stop list), so it runs unchanged on Spanish.
 * Scored with the same SQuAD v1.1 EM/F1 as the models (src/eval/qa.ts).
 *
 *   node --import tsx examples/qa/baseline.ts FILE.jsonl [FILE.jsonl ...] [--out predictions.jsonl]
 */
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { loadSquadJsonl, type QaExample } from '../../src/data/index.js';
import { qaMetrics, qaPredictionRecord } from '../../src/eval/qa.js';

/** Longest answer span the baseline gives, in words (SQuAD answers average about 3 words). */
const MAX_WORDS = 12;

interface Word { text: string; key: string; start: number; end: number }

function words(s: string, offset = 0): Word[] {
  return [...s.matchAll(/[\p{L}\p{N}][\p{L}\p{N}'’\-.]*[\p{L}\p{N}]|[\p{L}\p{N}]/gu)].map((m) => ({ text: m[0], key: m[0].toLowerCase(), start: offset + m.index!, end: offset + m.index! + m[0].length }));
}

/** Sentences as [start, end) spans: a ., ! or ? followed by whitespace ends one. */
function sentences(context: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let s = 0;
  for (const m of context.matchAll(/[.!?]["')\]]*\s+/g)) {
    out.push([s, m.index! + m[0].length]);
    s = m.index! + m[0].length;
  }
  if (s < context.length) out.push([s, context.length]);
  return out;
}

export function answer(ex: QaExample): string {
  const q = new Set(words(ex.question).map((w) => w.key));
  const sents = sentences(ex.context).map(([a, b]) => ({ a, b, words: words(ex.context.slice(a, b), a) }));
  const sf = new Map<string, number>();
  for (const s of sents) for (const k of new Set(s.words.map((w) => w.key))) sf.set(k, (sf.get(k) ?? 0) + 1);
  let best = sents[0]!;
  let bestScore = -1;
  for (const s of sents) {
    const shared = new Set(s.words.map((w) => w.key).filter((k) => q.has(k)));
    const score = [...shared].reduce((a, k) => a + Math.log(1 + sents.length / sf.get(k)!), 0);
    if (score > bestScore) {
      best = s;
      bestScore = score;
    }
  }
  // Runs of consecutive non-question words; punctuation between two words (",", ";", "(") ends a run.
  let run: Word[] = [];
  let longest: Word[] = [];
  const close = (): void => {
    if (run.length > longest.length) longest = run;
    run = [];
  };
  best.words.forEach((w, i) => {
    const prev = best.words[i - 1];
    if (prev !== undefined && /[,;:()"“”]/.test(ex.context.slice(prev.end, w.start))) close();
    if (q.has(w.key)) close();
    else run.push(w);
  });
  close();
  const span = longest.slice(0, MAX_WORDS);
  return span.length === 0 ? '' : ex.context.slice(span[0]!.start, span[span.length - 1]!.end);
}

function main(): void {
  const { values, positionals } = parseArgs({ options: { out: { type: 'string' } }, allowPositionals: true });
  for (const file of positionals) {
    const examples = loadSquadJsonl(file);
    const records = examples.map((ex) => qaPredictionRecord(ex, answer(ex), false));
    const m = qaMetrics(records, false);
    process.stdout.write(`${file}: ${records.length} questions, EM ${m.exact_match!.toFixed(2)}, F1 ${m.f1!.toFixed(2)}\n`);
    if (values.out !== undefined && positionals.length === 1) writeFileSync(values.out, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  }
}

main();
