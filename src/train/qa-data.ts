/**
 * Extractive QA features: transformers' run_qa.py `prepare_train_features` and `prepare_validation_features`
 * in one pass. Each question + context pair is truncated 'only_second' into overflowing windows: the
 * question is kept whole, the context is cut into windows of at most maxLength - question - specials tokens,
 * consecutive windows sharing docStride tokens (the `stride` of the tokenizer call).
 *
 * The tokenizer has no overflow support, so the windows are built here the way the Rust `tokenizers`
 * crate builds them (`Encoding::truncate`): the pair is encoded once with its special tokens and no
 * truncation, then split into a frame (specials + question before the context, specials after it) and the
 * context tokens; window k holds context tokens [k·(w - stride), min(that + w, n)) and the last window is
 * the first that reaches the end. Truncation acts after tokenization there too, so the spliced windows
 * are token for token what the fast tokenizer's overflowing encodings are.
 *
 * Start/end labels follow run_qa: the first gold answer; the CLS position when the answer is not wholly
 * inside the window or the example has no answer. One deviation: run_qa's search for the start token can
 * run past the context into [SEP] (offset (0, 0)) when the answer starts in the window's last token; the
 * search here stays inside the context, which labels that case correctly.
 */
import { LenguaError } from '../errors.js';
import type { QaExample } from '../data/index.js';
import type { PreTrainedTokenizer } from '../text/tokenizer/index.js';

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

/** Question (left-stripped, as run_qa does) and context encoded once, cut into frame and context tokens. */
interface PairParts {
  ids: number[];
  types: number[];
  offsets: Array<[number, number]>;
  /** Positions of the context tokens (sequence 1) in the full encoding: [ctxStart, ctxEnd). */
  ctxStart: number;
  ctxEnd: number;
}

function encodePair(tokenizer: PreTrainedTokenizer, ex: QaExample, i: number): PairParts {
  const enc = tokenizer.encode(ex.question.replace(/^\s+/u, ''), { pair: ex.context });
  const seq = enc.sequenceIds;
  if (seq === undefined) throw new LenguaError('the tokenizer gives no sequence ids for pairs', { field: `examples[${i}]` });
  const ctx = seq.flatMap((s, k) => (s === 1 ? [k] : []));
  if (ctx.length === 0) throw new LenguaError(`context of example "${ex.id}" has no tokens`, { field: `examples[${i}].context` });
  const ctxStart = ctx[0]!;
  const ctxEnd = ctx[ctx.length - 1]! + 1;
  if (ctx.length !== ctxEnd - ctxStart) throw new LenguaError('context tokens are not contiguous in the pair encoding', { field: `examples[${i}]` });
  return { ids: enc.ids, types: enc.tokenTypeIds, offsets: enc.offsets, ctxStart, ctxEnd };
}

/** `tokenizers`' Encoding::truncate ranges: starts step by (w - stride); stop at the first window reaching n. */
export function windowRanges(n: number, w: number, stride: number): Array<[number, number]> {
  if (n <= w) return [[0, n]];
  const out: Array<[number, number]> = [];
  for (let s = 0; ; s += w - stride) {
    const e = Math.min(s + w, n);
    out.push([s, e]);
    if (e === n) return out;
  }
}

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
    const p = encodePair(tokenizer, ex, i);
    const frame = p.ids.length - (p.ctxEnd - p.ctxStart);
    const w = maxLength - frame;
    if (w < 1) {
      throw new LenguaError(`question of example "${ex.id}" and special tokens take ${frame} tokens, leaving no room for context in maxLength ${maxLength}`, { field: `examples[${i}].question` });
    }
    const n = p.ctxEnd - p.ctxStart;
    // tokenizers refuses a stride that does not move the window forward.
    if (n > w && docStride >= w) {
      throw new LenguaError(`docStride ${docStride} must be smaller than the ${w} context tokens a window of example "${ex.id}" holds (maxLength ${maxLength})`, { field: 'docStride' });
    }
    const answer = ex.answers !== undefined && ex.answers.text.length > 0 ? { start: ex.answers.answerStart[0]!, end: ex.answers.answerStart[0]! + ex.answers.text[0]!.length } : null;
    for (const [s, e] of windowRanges(n, w, docStride)) {
      const keep = (k: number): boolean => k < p.ctxStart || k >= p.ctxEnd || (k >= p.ctxStart + s && k < p.ctxStart + e);
      const pos = [...p.ids.keys()].filter(keep);
      const ids = pos.map((k) => p.ids[k]!);
      const types = pos.map((k) => p.types[k]!);
      const offsets = pos.map((k) => (k >= p.ctxStart && k < p.ctxEnd ? ([...p.offsets[k]!] as [number, number]) : null));
      const mask = ids.map(() => 1);
      // run_qa: the CLS token's position, else BOS's, else 0.
      const cls = clsIndex(ids, tokenizer);
      const first = p.ctxStart; // window context starts right after the leading frame
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
    }
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
