/** text/: normalization, word tokenization, n-grams and Hugging Face subword tokenizers. */
export * from './normalize.js';
export { tokenizeWords, tokenizeWordsWithOffsets, type WordToken, type WordKind, type WordTokenizeOptions } from './words.js';
export { wordNgrams, charNgrams, type NgramRange, type WordNgramOptions, type CharNgramOptions } from './ngrams.js';
export { emojiToWords, isEmoji, type EmojiLanguage } from './emoji.js';
export * from './tokenizer/index.js';
export { encodePairWindows, windowRanges, type PairWindowOptions, type PairWindows } from './tokenizer/overflow.js';
export { searchSpans, topIndices, type ScoredSpan, type SpanSearchOptions } from './tokenizer/qa-spans.js';
