/**
 * A small learnable extractive-QA task for the QA trainer tests: a context of 3–5 filler words holding both
 * "in X" and "mr X Y" at random places (X, Y drawn from the same filler words), and the question "where is it"
 * (answer X after "in") or "who is it" (answer "X Y" after "mr"). Only the question and the markers tell where
 * the answer is. With `unanswerable` > 0, that share of "who" questions get a context without "mr" and no
 * answer (SQuAD v2). The tiny golden QA BERT learns the answerable task in a few hundred steps.
 */
import { mulberry32 } from '../../data/split.js';
import type { QaExample } from '../../data/index.js';
import { goldenRoot } from '../../testing/golden.js';
import { join } from 'node:path';

export const GOLDEN_QA = goldenRoot();
/** The tiny golden BertForQuestionAnswering (hidden 32, 2 layers, 64 positions, uncased WordPiece). */
export const TINY_QA_MODEL = join(GOLDEN_QA ?? '/nonexistent', 'fixtures', 'bert-synth-qa');

export function qaTask(n: number, seed: number, opts: { unanswerable?: number; prefix?: string } = {}): QaExample[] {
  const rand = mulberry32(seed);
  const pool = ['bo', 'ka', 'mi', 'te', 'ru', 'sa', 'lo', 'ne'];
  const pick = (): string => pool[Math.floor(rand() * pool.length)]!;
  const out: QaExample[] = [];
  for (let i = 0; i < n; i++) {
    const words = Array.from({ length: 3 + Math.floor(rand() * 3) }, pick);
    const where = rand() < 0.5;
    const noAnswer = !where && rand() < (opts.unanswerable ?? 0);
    const loc = [pick()];
    const per = [pick(), pick()];
    // Insert the later phrase first so the earlier one's word index stays valid.
    const phrases: Array<{ at: number; words: string[]; answer: string[] }> = [{ at: Math.floor(rand() * (words.length + 1)), words: ['in', ...loc], answer: loc }];
    if (!noAnswer) phrases.push({ at: Math.floor(rand() * (words.length + 1)), words: ['mr', ...per], answer: per });
    phrases.sort((a, b) => b.at - a.at);
    for (const p of phrases) words.splice(p.at, 0, ...p.words);
    const context = words.join(' ');
    const id = `${opts.prefix ?? 'q'}${i}`;
    if (noAnswer) {
      out.push({ id, question: 'who is it', context, answers: { text: [], answerStart: [] } });
      continue;
    }
    const marker = where ? 'in' : 'mr';
    const answer = (where ? loc : per).join(' ');
    const wordsBefore = words.indexOf(marker) + 1;
    const start = words.slice(0, wordsBefore).join(' ').length + 1;
    out.push({ id, question: where ? 'where is it' : 'who is it', context, answers: { text: [answer], answerStart: [start] } });
  }
  return out;
}

/** The examples as SQuAD JSONL (the HF `squad` layout loadSquadJsonl reads). */
export function toSquadJsonl(examples: readonly QaExample[]): string {
  return examples.map((e) => JSON.stringify({ id: e.id, title: 't', context: e.context, question: e.question, answers: { text: e.answers?.text ?? [], answer_start: e.answers?.answerStart ?? [] } })).join('\n') + '\n';
}
