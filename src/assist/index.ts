// Public face of the document assistant: passages from a folder, BM25 and dense retrieval, readers, Assistant.
export { Assistant, ASK_LIMITS, NOTHING_FOUND } from './assistant.js';
export type { AssistantOptions, AskOptions, AssistantAnswer, Citation, Retrieved } from './assistant.js';
export { Bm25Index, tokenize, foldTerm, isStopword } from './bm25.js';
export type { Bm25Parameters, Bm25Hit, TokenizeOptions } from './bm25.js';
export { readDocuments, splitPassages, passagesOf, linesOf, LineTable, DEFAULT_LIMITS as DOCUMENT_LIMITS, DOCUMENT_EXTENSIONS } from './documents.js';
export type { DocumentLimits, ReadDocumentsOptions, SourceDocument, PassageOptions, Passage } from './documents.js';
export { loadEncoder, cosine, DenseIndex, reciprocalRankFusion, RRF_K } from './dense.js';
export type { Embedder, RankedHit } from './dense.js';
export { SentenceReader, ExtractiveReader, GenerativeReader, generativePrompt, sentences, loadExtractiveReader, loadGenerativeReader, GENERATED_ANSWER_TOKENS } from './reader.js';
export type { Reader, ReaderAnswer, ReaderKind, QuestionAnswerer, Generator, Sentence } from './reader.js';
