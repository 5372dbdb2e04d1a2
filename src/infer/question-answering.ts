/**
 * `question-answering` (extractive): `{answer, score, start, end}` per question and context, as transformers'
 * QuestionAnsweringPipeline gives them, with `start`/`end` UTF-16 character offsets into the ORIGINAL context.
 *
 * A context longer than one window is cut into overlapping windows (`doc_stride`, the tokenizer's overflowing
 * encodings: text/tokenizer/overflow.ts) and every window is searched; Transformers.js truncates instead.
 * Per window, as transformers does it: the start and end logits go through a softmax over the context tokens
 * and the CLS token (question, special tokens and padding masked), the CLS probability is then zeroed, and a
 * span [s, e] (context tokens, s ≤ e, at most maxAnswerLen tokens) scores softmax(start)[s] · softmax(end)[e].
 * The best spans of every window are ranked together, and with handleImpossibleAnswer the null answer ("" at
 * 0..0) scores the smallest CLS probability product over the windows. The span search is the one training's
 * post-processing uses (text/tokenizer/qa-spans.ts).
 *
 * Deviations from transformers, on purpose: the question is cut to maxQuestionLen tokens (its slow-tokenizer
 * path does that; the fast path fails on a question that leaves no room); the same character span found in two
 * overlapping windows is listed once, with its higher score (transformers lists it twice with topK > 1).
 */
import { LenguaError } from '../errors.js';
import { encodePairWindows, searchSpans, type Encoding, type PreTrainedTokenizer } from '../text/index.js';
import type { ModelSource } from './model-folder.js';
import type { OnnxSession } from './session.js';
import { callable, checkInt, EncoderPipeline, LIMITS, type PipelineOptions } from './base.js';

export interface QuestionAnsweringOptions {
  /** Answers per question, best first (default 1: one object; more: an array). */
  topK?: number;
  /** Context tokens shared by consecutive windows (default min(maxSeqLen / 2, 128), as transformers). */
  docStride?: number;
  /** Tokens per window, special tokens included (default min(384, what the model takes)). */
  maxSeqLen?: number;
  /** Question tokens kept (default 64). */
  maxQuestionLen?: number;
  /** Longest answer in tokens (default 15). */
  maxAnswerLen?: number;
  /** Also rank the null answer ("" at 0..0) by the CLS score (default false). */
  handleImpossibleAnswer?: boolean;
  /** Widen the span to whole words of the context, as transformers' align_to_words (default true). */
  alignToWords?: boolean;
}

export interface QuestionAnsweringOutput {
  answer: string;
  /** softmax(start)[s] · softmax(end)[e] within the window the span was found in. */
  score: number;
  /** [start, end) in the original context (UTF-16 code units). */
  start: number;
  end: number;
}

export interface QuestionAnsweringInput {
  question: string;
  context: string;
}

/** Bounds of one call, so a runaway input fails at once: each context, each question, all text of a call, the answer length. */
export const QA_LIMITS = { contextChars: 1_000_000, questionChars: 100_000, callChars: 20_000_000, maxAnswerLen: 100_000 };

const DEFAULTS = { topK: 1, maxSeqLen: 384, maxQuestionLen: 64, maxAnswerLen: 15, stride: 128 };

function checkString(v: unknown, field: string, limit: number): string {
  if (typeof v !== 'string') throw new LenguaError(`expected a string, got ${v === null ? 'null' : typeof v}`, { field });
  if (v.length > limit) throw new LenguaError(`${v.length} characters, over the limit of ${limit} (split the text and ask each part)`, { field });
  return v;
}

/** The (question, context) pairs of a call, as transformers reads its arguments; `single` when one pair came in. */
export function qaPairs(a: unknown, b: unknown): { pairs: QuestionAnsweringInput[]; single: boolean } {
  let raw: unknown[];
  let single: boolean;
  if (typeof a === 'string') {
    if (typeof b !== 'string') throw new LenguaError('a question needs its context: (question, context) or {question, context}', { field: 'context' });
    raw = [{ question: a, context: b }];
    single = true;
  } else if (Array.isArray(a) && a.every((x) => typeof x === 'string') && b !== undefined && (typeof b === 'string' || Array.isArray(b))) {
    // Several questions: one context for all, or one context each.
    if (Array.isArray(b) && b.length !== a.length) throw new LenguaError(`${a.length} questions but ${b.length} contexts`, { field: 'context' });
    raw = a.map((q: unknown, i) => ({ question: q, context: Array.isArray(b) ? (b as unknown[])[i] : b }));
    single = false;
  } else if (Array.isArray(a)) {
    raw = a;
    single = false;
  } else if (typeof a === 'object' && a !== null) {
    raw = [a];
    single = true;
  } else {
    throw new LenguaError(`expected (question, context), {question, context} or an array of them, got ${a === null ? 'null' : typeof a}`, { field: 'question' });
  }
  if (raw.length > LIMITS.texts) throw new LenguaError(`at most ${LIMITS.texts} questions per call, got ${raw.length}`, { field: 'question' });
  let chars = 0;
  const pairs = raw.map((x, i) => {
    const at = single ? '' : `[${i}]`;
    if (typeof x !== 'object' || x === null) throw new LenguaError(`input ${i} is not a {question, context} object`, { field: `inputs${at}` });
    const o = x as Record<string, unknown>;
    const question = checkString(o.question, `question${at}`, QA_LIMITS.questionChars);
    const context = checkString(o.context, `context${at}`, QA_LIMITS.contextChars);
    if (context.trim() === '') throw new LenguaError('the context is empty', { field: `context${at}` });
    chars += question.length + context.length;
    return { question, context };
  });
  if (chars > QA_LIMITS.callChars) throw new LenguaError(`${chars} characters of questions and contexts in one call, over the limit of ${QA_LIMITS.callChars}`, { field: 'question' });
  return { pairs, single };
}

/** log Σ exp(v[k]) over the positions k where `keep(k)`; -Infinity when none. */
function logSumExp(v: ArrayLike<number>, keep: (k: number) => boolean): number {
  let m = -Infinity;
  for (let k = 0; k < v.length; k++) if (keep(k) && v[k]! > m) m = v[k]!;
  if (m === -Infinity) return m;
  let s = 0;
  for (let k = 0; k < v.length; k++) if (keep(k)) s += Math.exp(v[k]! - m);
  return m + Math.log(s);
}

/** [start, end) in the context of token positions s..e of a window: whole words (transformers' align_to_words) or the tokens' own offsets. */
export function spanChars(win: Encoding, s: number, e: number, alignToWords: boolean): [number, number] {
  const words = win.wordIds;
  const seq = win.sequenceIds!;
  if (alignToWords && words !== undefined && words[s] != null && words[e] != null) {
    // The word's tokens within this window (tokenizers' word_to_chars on the window's encoding).
    const ofWord = (w: number): number[] => words.flatMap((x, k) => (x === w && seq[k] === 1 ? [k] : []));
    const first = ofWord(words[s]!)[0]!;
    const last = ofWord(words[e]!).at(-1)!;
    return [win.offsets[first]![0], win.offsets[last]![1]];
  }
  return [win.offsets[s]![0], win.offsets[e]![1]];
}

export class QuestionAnsweringPipeline extends EncoderPipeline {
  readonly task = 'question-answering';

  private constructor(model: ModelSource, tokenizer: PreTrainedTokenizer, session: OnnxSession, opts: PipelineOptions) {
    super(model, tokenizer, session, 'start_logits', opts);
  }

  static async create(model: string, opts: PipelineOptions = {}): Promise<QuestionAnsweringPipeline & QuestionAnsweringPipeline['run']> {
    const { source, tokenizer, session } = await EncoderPipeline.load(model, 'question-answering', opts);
    try {
      if (!session.outputNames.includes('start_logits') || !session.outputNames.includes('end_logits')) {
        const arch = (source.config.architectures as unknown[] | undefined)?.[0];
        throw new LenguaError(
          `${typeof arch === 'string' ? arch : 'this model'} is not an extractive question-answering model: its export has outputs ${session.outputNames.join(', ')}, ` +
            'not start_logits and end_logits (export a *ForQuestionAnswering folder)',
          { file: source.onnxFile, field: 'architectures' },
        );
      }
      return callable(new QuestionAnsweringPipeline(source, tokenizer, session, opts));
    } catch (err) {
      await session.dispose();
      throw err;
    }
  }

  run(question: string, context: string, opts?: QuestionAnsweringOptions): Promise<QuestionAnsweringOutput | QuestionAnsweringOutput[]>;
  run(input: QuestionAnsweringInput, opts?: QuestionAnsweringOptions): Promise<QuestionAnsweringOutput | QuestionAnsweringOutput[]>;
  run(questions: string[], contexts: string | string[], opts?: QuestionAnsweringOptions): Promise<Array<QuestionAnsweringOutput | QuestionAnsweringOutput[]>>;
  run(inputs: QuestionAnsweringInput[], opts?: QuestionAnsweringOptions): Promise<Array<QuestionAnsweringOutput | QuestionAnsweringOutput[]>>;
  async run(a: unknown, b?: unknown, c?: unknown): Promise<QuestionAnsweringOutput | QuestionAnsweringOutput[] | Array<QuestionAnsweringOutput | QuestionAnsweringOutput[]>> {
    const contextGiven = typeof b === 'string' || (Array.isArray(b) && Array.isArray(a) && a.every((x) => typeof x === 'string'));
    const { pairs, single } = qaPairs(a, contextGiven ? b : undefined);
    const opts = ((contextGiven ? c : b) ?? {}) as QuestionAnsweringOptions;
    if (typeof opts !== 'object') throw new LenguaError('options must be an object', { field: 'options' });
    const topK = opts.topK === undefined ? DEFAULTS.topK : checkInt(opts.topK, 'topK', 1, LIMITS.topK);
    // transformers: max_seq_len defaults to min(model_max_length, 384); here also within the model's positions.
    const maxSeqLen = Math.min(opts.maxSeqLen === undefined ? DEFAULTS.maxSeqLen : checkInt(opts.maxSeqLen, 'maxSeqLen', 1, 1_000_000), this.maxLength);
    const docStride = opts.docStride === undefined ? Math.min(Math.floor(maxSeqLen / 2), DEFAULTS.stride) : checkInt(opts.docStride, 'docStride', 0, maxSeqLen);
    const maxQuestionLen = opts.maxQuestionLen === undefined ? DEFAULTS.maxQuestionLen : checkInt(opts.maxQuestionLen, 'maxQuestionLen', 1, 1_000_000);
    const maxAnswerLen = opts.maxAnswerLen === undefined ? DEFAULTS.maxAnswerLen : checkInt(opts.maxAnswerLen, 'maxAnswerLen', 1, QA_LIMITS.maxAnswerLen);
    const impossible = opts.handleImpossibleAnswer ?? false;
    const align = opts.alignToWords ?? true;
    if (typeof impossible !== 'boolean') throw new LenguaError(`handleImpossibleAnswer must be true or false, got ${JSON.stringify(impossible)}`, { field: 'handleImpossibleAnswer' });
    if (typeof align !== 'boolean') throw new LenguaError(`alignToWords must be true or false, got ${JSON.stringify(align)}`, { field: 'alignToWords' });

    // Every window of every pair, flattened for the micro-batches; owner[w] is the pair window w came from.
    const windows: Encoding[] = [];
    const owner: number[] = [];
    pairs.forEach((p, i) => {
      const r = encodePairWindows(this.tokenizer, p.question, p.context, {
        maxLength: maxSeqLen, stride: docStride, maxFirstTokens: maxQuestionLen,
        fields: { first: single ? 'question' : `question[${i}]`, second: single ? 'context' : `context[${i}]`, maxLength: 'maxSeqLen', stride: 'docStride' },
      });
      for (const w of r.windows) {
        windows.push(w);
        owner.push(i);
      }
    });
    const found: Array<Map<string, QuestionAnsweringOutput>> = pairs.map(() => new Map());
    const minNull = pairs.map(() => Infinity);
    const cls = this.tokenizer.clsTokenId;
    await this.runBatches(windows, (w, startOut, row, seq, all) => {
      const win = windows[w]!;
      const i = owner[w]!;
      const n = win.ids.length;
      const start = startOut.data.subarray(row * seq, row * seq + n);
      const end = all.end_logits!.data.subarray(row * seq, row * seq + n);
      const context = (k: number): boolean => win.sequenceIds![k] === 1;
      // transformers' p_mask: context tokens and every CLS token take part in the softmax.
      const inSoftmax = (k: number): boolean => context(k) || (cls !== null && win.ids[k] === cls);
      const norm = logSumExp(start, inSoftmax) + logSumExp(end, inSoftmax);
      if (impossible) minNull[i] = Math.min(minNull[i]!, inSoftmax(0) ? Math.exp(start[0]! + end[0]! - norm) : 0);
      for (const sp of searchSpans(start, end, { topK, maxAnswerLength: maxAnswerLen, allowed: context })) {
        const [s, e] = spanChars(win, sp.start, sp.end, align);
        const score = Math.exp(sp.score - norm);
        const key = `${s}:${e}`;
        const had = found[i]!.get(key);
        if (had === undefined || had.score < score) found[i]!.set(key, { answer: pairs[i]!.context.slice(s, e), score, start: s, end: e });
      }
    }, ['start_logits', 'end_logits']);

    const results = pairs.map((_, i) => {
      const answers = [...found[i]!.values()];
      if (impossible) answers.push({ answer: '', score: minNull[i]!, start: 0, end: 0 });
      answers.sort((x, y) => y.score - x.score);
      const kept = answers.slice(0, topK);
      // A window always has a context token, so at least one span exists (a one-token answer fits any length).
      return topK === 1 ? kept[0]! : kept;
    });
    return single ? results[0]! : results;
  }
}
