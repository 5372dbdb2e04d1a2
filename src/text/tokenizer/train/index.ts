export { trainTokenizer, saveTrainedTokenizer, checkOutputFolder, DEFAULT_SPECIAL_TOKENS, MAX_VOCAB_SIZE, type TrainTokenizerOptions, type TrainedTokenizer } from './train.js';
export { trainBpe, type BpeTrainerOptions, type BpeResult } from './bpe.js';
export { trainUnigram, type UnigramTrainerOptions, type UnigramResult } from './unigram.js';
export { readCorpus, readTextLines, MAX_CORPUS_BYTES, MAX_LINE_CHARS, type FileReader } from './corpus.js';
export { MAX_DISTINCT_WORDS } from './words.js';
export type { TrainedKind } from './pipeline-spec.js';
