import type { ResolveOptions } from '../../hub/resolve.js';

/**
 * One encoded input (a text or a text pair), in the shape of the Rust `tokenizers` Encoding.
 * `offsets` are [start, end) UTF-16 code-unit offsets into the ORIGINAL text of the sequence the
 * token came from (the first text or the pair text), so `text.slice(start, end)` is the token's
 * surface. Special tokens added by the post-processor and padding get [0, 0].
 */
export interface Encoding {
  ids: number[];
  tokens: string[];
  attentionMask: number[];
  tokenTypeIds: number[];
  offsets: Array<[number, number]>;
  /** 1 for tokens added by the post-processor ([CLS], [SEP], <s>, </s>) and for padding. */
  specialTokensMask: number[];
  /** Index of the pre-tokenizer word each token belongs to, per sequence; null for special/padding. */
  wordIds?: Array<number | null>;
  /** 0 or 1: which input the token came from; null for special tokens and padding. */
  sequenceIds?: Array<number | null>;
}

export type TruncationStrategy = 'longest_first' | 'only_first' | 'only_second';
export type PaddingStrategy = 'longest' | 'max_length';

export interface EncodeOptions {
  /** Second text of a pair (encode only; encodeBatch takes [text, pair] tuples). */
  pair?: string;
  /** Add the post-processor's special tokens ([CLS] ... [SEP], <s> ... </s>). Default true. */
  addSpecialTokens?: boolean;
  /** true = 'longest_first'. Truncation removes tokens before special tokens are added. */
  truncation?: boolean | TruncationStrategy;
  /** Length limit for truncation and 'max_length' padding; defaults to modelMaxLength. */
  maxLength?: number;
  /** true = 'longest' (pad to the longest encoding of the batch). */
  padding?: boolean | PaddingStrategy;
  paddingSide?: 'right' | 'left';
  /** Which end loses tokens when truncating; default 'right' (keep the beginning). */
  truncationSide?: 'right' | 'left';
  padToMultipleOf?: number;
}

export interface DecodeOptions {
  skipSpecialTokens?: boolean;
  cleanUpTokenizationSpaces?: boolean;
}

export interface SpecialTokens {
  bosToken?: string;
  eosToken?: string;
  unkToken?: string;
  sepToken?: string;
  padToken?: string;
  clsToken?: string;
  maskToken?: string;
  additionalSpecialTokens: string[];
}

/** Hub resolution options (revision, cacheDir, offline, endpoint, token...) for model ids. */
export type FromPretrainedOptions = Omit<ResolveOptions, 'files' | 'weights'>;
