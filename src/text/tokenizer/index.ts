export { AutoTokenizer, PreTrainedTokenizer, readTokenizerFiles, completeTokenizerFolder, MAX_INPUT_CHARS, type TokenizerFiles } from './tokenizer.js';
export type { SlowFilesReport } from './slow-files.js';
export type { Encoding, EncodeOptions, DecodeOptions, SpecialTokens, FromPretrainedOptions, TruncationStrategy, PaddingStrategy } from './types.js';
export { AlignedString } from './aligned.js';
