/**
 * Readers: what turns the retrieved passages into an answer. Each returns the answer, the passage it comes
 * from and where in that passage, so the assistant can cite it.
 *
 * - `SentenceReader` (no model): the best-matching sentence of the passages, scored by BM25 with the
 *   corpus' idf. A label — a question (it ends in "?"), a markdown heading, or a short line without a full
 *   stop — is not an answer. In a FAQ the question line is the best match and the text after it answers
 *   it, so the score of the questions right before a sentence is added to its own. A heading's is not: it
 *   names a whole section ("Shipping and delivery"), not the line under it. When no sentence shares a term with the question (the passages came
 *   from dense retrieval alone), the best passage's first statement answers, with score 0.
 * - `ExtractiveReader`: an extractive QA model (`question-answering` pipeline) over each passage; the span
 *   with the highest probability wins, as transformers' pipeline picks among several contexts.
 * - `GenerativeReader`: a text2text model (T5) given "question: … context: …" for the best passage.
 */
import { pipeline, type PipelineOptions, type QuestionAnsweringOutput, type TextGenerationPipelineOptions } from '../infer/index.js';
import { Bm25Index, tokenize } from './bm25.js';
import type { Passage } from './documents.js';

export interface ReaderAnswer {
  answer: string;
  /** The reader's own score: BM25 (sentence), span probability (extractive), none for generative. */
  score: number | null;
  /** The index, in the list given to `read`, of the passage the answer comes from. */
  passage: number;
  /** UTF-16 offsets of the answer in that passage's text (the whole passage when the answer is not a span of it). */
  start: number;
  end: number;
}

export type ReaderKind = 'sentence' | 'extractive' | 'generative';

export interface Reader {
  readonly kind: ReaderKind;
  /** The answer from `passages` (best first), or null when none of them answers. */
  read(question: string, passages: readonly Passage[]): Promise<ReaderAnswer | null>;
  dispose(): Promise<void>;
}

interface Span {
  start: number;
  end: number;
}

export interface Sentence extends Span {
  /** A question, a markdown heading or a short line without a full stop: it labels the text after it. */
  label: boolean;
  /** A question (ends in "?"): its score carries to the statement after it. */
  question: boolean;
}

// Leading markdown that is layout, not content: headings, quotes, list bullets and numbers, emphasis.
const LEADING_MARKUP = /^(?:#{1,6}\s+|>\s*|[-*+]\s+|\d+[.)]\s+|\*\*|__)+/;
const IS_QUESTION = /\?["'”’»)\]*_]*$/u;
const ENDS_SENTENCE = /[.!?…:;]["'”’»)\]*_]*$/u;
/** Words a line without a full stop may have and still be a heading ("Shipping and delivery"). */
const HEADING_WORDS = 8;

/**
 * Sentences of `text` with their offsets: cut after . ! ? … (followed by a space or the end) and at line
 * breaks (list items, headings and FAQ lines are units of their own), trimmed of spaces and leading markup.
 */
export function sentences(text: string): Sentence[] {
  const out: Sentence[] = [];
  const push = (start: number, end: number, atLineEnd: boolean): void => {
    while (start < end && /\s/.test(text[start]!)) start++;
    const lead = LEADING_MARKUP.exec(text.slice(start, end));
    if (lead !== null) start += lead[0].length;
    while (end > start && /\s/.test(text[end - 1]!)) end--;
    // Closing emphasis (`**Is it free?**`) is layout too.
    while (end - 2 > start && /^(?:\*\*|__)$/.test(text.slice(end - 2, end))) end -= 2;
    const s = text.slice(start, end);
    if (end <= start || !/[\p{L}\p{N}]/u.test(s)) return;
    const heading = lead?.[0].includes('#') === true || (atLineEnd && !ENDS_SENTENCE.test(s) && s.split(/\s+/).length <= HEADING_WORDS);
    const question = IS_QUESTION.test(s);
    out.push({ start, end, label: heading || question, question });
  };
  let pos = 0;
  let lineStart = true;
  for (const m of text.matchAll(/[.!?…]+["'”’»)\]*_]*(?=\s|$)|\n/gu)) {
    const end = m.index + m[0].length;
    // A heading is a whole line: it began a line and ends one.
    push(pos, end, lineStart && m[0] === '\n');
    lineStart = m[0] === '\n' || /^\s*\n/.test(text.slice(end, end + 2));
    pos = end;
  }
  push(pos, text.length, lineStart);
  return out;
}

/** The best sentence of the passages for a question, by BM25 with the index's idf (see the module comment). */
export class SentenceReader implements Reader {
  readonly kind = 'sentence';

  constructor(
    private readonly index: Bm25Index,
    private readonly stopwords = true,
  ) {}

  read(question: string, passages: readonly Passage[]): Promise<ReaderAnswer | null> {
    const query = tokenize(question, { stopwords: this.stopwords });
    const all: Array<Sentence & { passage: number; terms: string[] }> = [];
    passages.forEach((p, passage) => {
      for (const s of sentences(p.text)) all.push({ ...s, passage, terms: tokenize(p.text.slice(s.start, s.end), { stopwords: this.stopwords }) });
    });
    const avgdl = all.reduce((n, s) => n + s.terms.length, 0) / Math.max(all.length, 1);
    const own = all.map((s) => this.index.scoreTerms(query, s.terms, avgdl));
    // A label answers nothing, unless every sentence is one (then it is still the best pointer).
    const labelsAnswer = all.every((o) => o.label);
    let best: ReaderAnswer | null = null;
    let carried = 0;
    all.forEach((s, i) => {
      if (i > 0 && all[i - 1]!.passage !== s.passage) carried = 0;
      const score = s.label && !labelsAnswer ? 0 : own[i]! + carried;
      carried = s.question ? carried + own[i]! : s.label ? carried : 0;
      // Strictly greater: among equal scores the earlier passage (the better retrieved) wins.
      if (score > 0 && (best === null || score > best.score!)) best = { answer: passages[s.passage]!.text.slice(s.start, s.end), score, passage: s.passage, start: s.start, end: s.end };
    });
    if (best === null && all.length > 0) {
      // No sentence shares a term with the question: the passages came from dense retrieval (a paraphrase).
      // The first statement of the best passage is then the answer, with score 0.
      const s = all.find((o) => o.passage === 0 && !o.label) ?? all[0]!;
      best = { answer: passages[s.passage]!.text.slice(s.start, s.end), score: 0, passage: s.passage, start: s.start, end: s.end };
    }
    return Promise.resolve(best);
  }

  dispose(): Promise<void> {
    return Promise.resolve();
  }
}

/** The extractive QA call over several (question, context) pairs, as the `question-answering` pipeline answers them. */
export type QuestionAnswerer = (inputs: Array<{ question: string; context: string }>) => Promise<Array<{ answer: string; score: number; start: number; end: number }>>;

/** Runs a QA model over each passage (one call, so the pipeline batches their windows); the most probable span wins. */
export class ExtractiveReader implements Reader {
  readonly kind = 'extractive';

  constructor(
    private readonly qa: QuestionAnswerer,
    private readonly close: () => Promise<void> = () => Promise.resolve(),
  ) {}

  async read(question: string, passages: readonly Passage[]): Promise<ReaderAnswer | null> {
    if (passages.length === 0) return null;
    const answers = await this.qa(passages.map((p) => ({ question, context: p.text })));
    let best: ReaderAnswer | null = null;
    answers.forEach((r, i) => {
      if (r.answer.trim() === '' || r.end <= r.start) return;
      if (best === null || r.score > best.score!) best = { answer: r.answer, score: r.score, passage: i, start: r.start, end: r.end };
    });
    return best;
  }

  dispose(): Promise<void> {
    return this.close();
  }
}

/** An extractive QA export (a *ForQuestionAnswering folder exported by `lengua export`, or a Hub id) as a reader. */
export async function loadExtractiveReader(model: string, opts: PipelineOptions = {}): Promise<ExtractiveReader> {
  const qa = await pipeline('question-answering', model, opts);
  // The question keeps at most a quarter of the window (transformers' 64 tokens when the window is 256 or
  // more), so the context always has room past the default stride: a 64-position model otherwise gives a
  // 30-token question half its window and no window can overlap the next.
  const maxQuestionLen = Math.max(1, Math.min(64, Math.floor(Math.min(384, qa.maxLength) / 4)));
  return new ExtractiveReader(
    // topK 1: one answer object per pair.
    async (inputs) => (await qa(inputs, { maxQuestionLen })) as QuestionAnsweringOutput[],
    () => qa.dispose(),
  );
}

/** The text2text call: a prompt in, the generated text out. */
export type Generator = (prompt: string) => Promise<string>;

/** The prompt a T5 reader gets (the format of T5-style QA fine-tuning data). */
export function generativePrompt(question: string, context: string): string {
  return `question: ${question} context: ${context}`;
}

/**
 * A text2text model answering from the best passage. Its answer is cited at its place in the passage when
 * it is a span of it (compared case-insensitively), else the whole passage is the citation.
 */
export class GenerativeReader implements Reader {
  readonly kind = 'generative';

  constructor(
    private readonly generate: Generator,
    private readonly close: () => Promise<void> = () => Promise.resolve(),
  ) {}

  async read(question: string, passages: readonly Passage[]): Promise<ReaderAnswer | null> {
    const p = passages[0];
    if (p === undefined) return null;
    const answer = (await this.generate(generativePrompt(question, p.text))).trim();
    if (answer === '') return null;
    // toLowerCase keeps the length of these scripts' strings except a few (İ): then the offsets would be off, so check.
    const at = p.text.toLowerCase().indexOf(answer.toLowerCase());
    const span = at >= 0 && p.text.slice(at, at + answer.length).toLowerCase() === answer.toLowerCase() ? { start: at, end: at + answer.length } : { start: 0, end: p.text.length };
    return { answer, score: null, passage: 0, ...span };
  }

  dispose(): Promise<void> {
    return this.close();
  }
}

/** Tokens a generative reader writes at most (an answer, not an essay). */
export const GENERATED_ANSWER_TOKENS = 64;

/** A text2text model folder (a T5 export: encoder + merged decoder, or a Hub id holding one) as a reader. */
export async function loadGenerativeReader(model: string, opts: TextGenerationPipelineOptions = {}): Promise<GenerativeReader> {
  const generator = await pipeline('text2text-generation', model, opts);
  return new GenerativeReader(
    async (prompt) => {
      const [out] = await generator(prompt, { maxNewTokens: GENERATED_ANSWER_TOKENS });
      return out !== undefined && 'generated_text' in out ? out.generated_text : '';
    },
    () => generator.dispose(),
  );
}
