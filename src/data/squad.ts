/**
 * Extractive QA examples in the HF `squad` JSONL layout (one question a line:
 * `{"id", "title"?, "context", "question", "answers": {"text": [..], "answer_start": [..]}}`), as
 * ../shared/data/xquad-en-es ships them. `answer_start` is a UTF-16 code-unit offset here (the same as a
 * code-point offset for text without astral characters; the loader checks every answer against its context).
 */
import { readFileSync } from 'node:fs';
import { LenguaError } from '../errors.js';

export interface QaAnswers {
  text: string[];
  /** Character offset of each answer in the context (UTF-16 code units). */
  answerStart: number[];
}

export interface QaExample {
  id: string;
  question: string;
  context: string;
  title?: string;
  /** Gold answers; empty lists for an unanswerable (SQuAD v2) question, absent when unlabelled. */
  answers?: QaAnswers;
}

/**
 * Reads a SQuAD-style JSONL file. Throws a LenguaError naming the line and field for a missing field,
 * a duplicate id, or an answer whose `answer_start` does not point at its text in the context.
 */
export function loadSquadJsonl(file: string): QaExample[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: QaExample[] = [];
  const ids = new Set<string>();
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let row: unknown;
    try {
      row = JSON.parse(raw);
    } catch (e) {
      throw new LenguaError(`not JSON: ${(e as Error).message}`, { file, line }, { cause: e });
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new LenguaError('expected a JSON object', { file, line });
    const r = row as Record<string, unknown>;
    for (const f of ['id', 'question', 'context'] as const) {
      if (typeof r[f] !== 'string') throw new LenguaError(`expected a string`, { file, line, field: f });
    }
    const ex: QaExample = { id: r.id as string, question: r.question as string, context: r.context as string };
    if (ids.has(ex.id)) throw new LenguaError(`duplicate id "${ex.id}"`, { file, line, field: 'id' });
    ids.add(ex.id);
    if (typeof r.title === 'string') ex.title = r.title;
    if (r.answers !== undefined) ex.answers = readAnswers(r.answers, ex.context, file, line);
    out.push(ex);
  });
  return out;
}

function readAnswers(a: unknown, context: string, file: string, line: number): QaAnswers {
  if (typeof a !== 'object' || a === null) throw new LenguaError('expected {"text": [...], "answer_start": [...]}', { file, line, field: 'answers' });
  const { text, answer_start: starts } = a as Record<string, unknown>;
  if (!Array.isArray(text) || !text.every((t) => typeof t === 'string')) throw new LenguaError('expected a list of strings', { file, line, field: 'answers.text' });
  if (!Array.isArray(starts) || !starts.every((s) => Number.isInteger(s) && (s as number) >= 0)) {
    throw new LenguaError('expected a list of non-negative integers', { file, line, field: 'answers.answer_start' });
  }
  if (text.length !== starts.length) throw new LenguaError(`${text.length} texts but ${starts.length} starts`, { file, line, field: 'answers' });
  text.forEach((t: string, k) => {
    const s = starts[k] as number;
    if (context.slice(s, s + t.length) !== t) {
      throw new LenguaError(`answer ${k} ${JSON.stringify(t)} is not at offset ${s} of the context`, { file, line, field: 'answers.answer_start' });
    }
  });
  return { text: text as string[], answerStart: starts as number[] };
}
