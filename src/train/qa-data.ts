/**
 * Extractive QA features: transformers' run_qa.py `prepare_train_features` and `prepare_validation_features`
 * in one pass. Each question + context pair is truncated 'only_second' into overflowing windows: the
 * question is kept whole, the context is cut into windows of at most maxLength - question - specials tokens,
 * consecutive windows sharing docStride tokens (the `stride` of the tokenizer call).
 *
 * The windows are the tokenizer's overflowing encodings (`encodePairWindows`, text/tokenizer/overflow.ts), token
 * for token what the fast tokenizer returns with `return_overflowing_tokens` and `stride`.
 *
 * Start/end labels follow run_qa: the first gold answer; the CLS position when the answer is not wholly
 * inside the window or the example has no answer. One deviation: run_qa's search for the start token can
 * run past the context into [SEP] (offset (0, 0)) when the answer starts in the window's last token; the
 * search here stays inside the context, which labels that case correctly.
 */
import { LenguaError } from '../errors.js';
import type { QaExample } from '../data/index.js';
import { encodePairWindows, windowRanges, type PreTrainedTokenizer } from '../text/index.js';

export interface QaFeatureOptions {
  /** Tokens per feature, special tokens included (run_qa's max_seq_length). */
  maxLength: number;
  /** Context tokens shared by consecutive windows (run_qa's doc_stride). */
  docStride: number;
  /** Pad every feature to maxLength (run_qa's pad_to_max_length); default false. */
  padToMaxLength?: boolean;
}

export interface QaFeatures {
  inputIds: number[][];
  attentionMask: number[][];
  tokenTypeIds: number[][];
  /** Per position: [start, end) in the example's context for context tokens, null for the question, specials and padding. */
  offsets: Array<Array<[number, number] | null>>;
  /** Which example each feature came from (run_qa's overflow_to_sample_mapping) and its id. */
  exampleIndex: number[];
  exampleIds: string[];
  /** Answer start/end token positions (inclusive); the CLS position when the window does not hold the answer. */
  startPositions: number[];
  endPositions: number[];
  /** Per feature: the first context token position of its window in the context's token list. */
  windowStart: number[];
  padTokenId: number;
}

export { windowRanges };

/**
 * run_qa's prepare_train_features and prepare_validation_features: one feature per context window, with
 * the example it came from, context-only offsets (for post-processing) and the answer's token positions.
 */
export function prepareQaFeatures(examples: readonly QaExample[], tokenizer: PreTrainedTokenizer, options: QaFeatureOptions): QaFeatures {
  const { maxLength, docStride } = options;
  if (!Number.isInteger(maxLength) || maxLength < 1) throw new LenguaError(`maxLength must be a positive integer, got ${maxLength}`, { field: 'maxLength' });
  if (!Number.isInteger(docStride) || docStride < 0) throw new LenguaError(`docStride must be a non-negative integer, got ${docStride}`, { field: 'docStride' });
  const pad = tokenizer.padTokenId;
  if (options.padToMaxLength === true && pad === null) throw new LenguaError('padToMaxLength needs a tokenizer with a pad token', { field: 'padToMaxLength' });
  const out: QaFeatures = {
    inputIds: [], attentionMask: [], tokenTypeIds: [], offsets: [], exampleIndex: [], exampleIds: [], startPositions: [], endPositions: [], windowStart: [],
    padTokenId: pad ?? 0,
  };
  examples.forEach((ex, i) => {
    const { windows, ranges, secondStart: first } = encodePairWindows(tokenizer, ex.question.replace(/^\s+/u, ''), ex.context, {
      maxLength, stride: docStride, fields: { first: `examples[${i}].question`, second: `examples[${i}].context`, maxLength: 'maxLength', stride: 'docStride' },
    });
    const answer = ex.answers !== undefined && ex.answers.text.length > 0 ? { start: ex.answers.answerStart[0]!, end: ex.answers.answerStart[0]! + ex.answers.text[0]!.length } : null;
    windows.forEach((win, k) => {
      const [s, e] = ranges[k]!;
      const ids = win.ids;
      const types = win.tokenTypeIds;
      const offsets = win.offsets.map((o, p) => (win.sequenceIds![p] === 1 ? o : null));
      const mask = ids.map(() => 1);
      // run_qa: the CLS token's position, else BOS's, else 0.
      const cls = clsIndex(ids, tokenizer);
      const last = first + (e - s) - 1;
      let startPos = cls;
      let endPos = cls;
      if (answer !== null && offsets[first]![0] <= answer.start && offsets[last]![1] >= answer.end) {
        let a = first;
        while (a <= last && offsets[a]![0] <= answer.start) a++;
        startPos = a - 1;
        let b = last;
        while (b >= first && offsets[b]![1] >= answer.end) b--;
        endPos = b + 1;
      }
      if (options.padToMaxLength === true) {
        while (ids.length < maxLength) {
          ids.push(pad!);
          types.push(0);
          offsets.push(null);
          mask.push(0);
        }
      }
      out.inputIds.push(ids);
      out.attentionMask.push(mask);
      out.tokenTypeIds.push(types);
      out.offsets.push(offsets);
      out.exampleIndex.push(i);
      out.exampleIds.push(ex.id);
      out.startPositions.push(startPos);
      out.endPositions.push(endPos);
      out.windowStart.push(s);
    });
  });
  return out;
}

function clsIndex(ids: number[], tokenizer: PreTrainedTokenizer): number {
  for (const id of [tokenizer.clsTokenId, tokenizer.bosTokenId]) {
    if (id === null) continue;
    const k = ids.indexOf(id);
    if (k >= 0) return k;
  }
  return 0;
}
