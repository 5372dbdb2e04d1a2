/**
 * The document assistant: a folder indexed once (passages, BM25, and embeddings when an encoder is given),
 * then questions answered from it, each answer citing the file, lines and passage it comes from.
 *
 * ```ts
 * const assistant = await Assistant.fromFolder('docs/', { encoder: 'runs/encoder-onnx' });
 * const a = await assistant.ask('How do I reset the router?');
 * console.log(a.answer, `${a.citation?.file}:${a.citation?.lines.join('-')}`);
 * await assistant.dispose();
 * ```
 */
import { LenguaError } from '../errors.js';
import { Bm25Index, tokenize, type Bm25Parameters } from './bm25.js';
import { DenseIndex, reciprocalRankFusion, type Embedder, type RankedHit } from './dense.js';
import { linesOf, passagesOf, readDocuments, type Passage, type PassageOptions, type ReadDocumentsOptions, type SourceDocument } from './documents.js';
import { SentenceReader, type Reader, type ReaderKind } from './reader.js';

export interface AssistantOptions extends ReadDocumentsOptions, PassageOptions, Bm25Parameters {
  /** Drop English and Spanish stopwords from BM25's terms (default true). */
  stopwords?: boolean;
  /** An encoder for dense retrieval, fused with BM25 (reciprocal rank fusion). */
  embedder?: Embedder;
  /** Who answers from the retrieved passages (default: the best-matching sentence, no model). */
  reader?: Reader;
  /**
   * With an encoder, the cosine a passage needs to count as relevant when BM25 finds none of the
   * question's terms anywhere (default 0.5). Without an encoder, BM25 alone decides.
   */
  minSimilarity?: number;
}

export interface AskOptions {
  /** Passages retrieved and given to the reader (default 3). */
  topK?: number;
}

export const ASK_LIMITS = { topK: 100, questionChars: 4096 };

export interface Retrieved {
  file: string;
  lines: [number, number];
  start: number;
  end: number;
  /** The ranking's score: BM25, or the fused reciprocal-rank score when an encoder is given. */
  score: number;
  bm25: number;
  /** Cosine with the question (with an encoder). */
  similarity?: number;
  text: string;
}

export interface Citation {
  file: string;
  /** The 1-based file lines of the answer. */
  lines: [number, number];
  /** UTF-16 offsets of the answer in the file (in a .jsonl record's text field when `record`). */
  start: number;
  end: number;
  record: boolean;
  /** The passage the answer comes from. */
  passage: { text: string; start: number; end: number; lines: [number, number] };
}

export interface AssistantAnswer {
  question: string;
  /** False when nothing in the documents matched: then `answer` says so and there is no citation. */
  found: boolean;
  answer: string;
  /** The reader's score (see reader.ts); null for a generative reader or when nothing was found. */
  score: number | null;
  /** Who answered: the configured reader, or 'sentence' when its model gave no answer. */
  reader: ReaderKind;
  citation: Citation | null;
  retrieved: Retrieved[];
}

export const NOTHING_FOUND = 'I found nothing relevant in the documents.';

export class Assistant {
  private readonly lineTables = new Map<number, { lineOf(offset: number): number }>();

  private constructor(
    readonly passages: readonly Passage[],
    readonly documents: readonly SourceDocument[],
    readonly bm25: Bm25Index,
    private readonly stopwords: boolean,
    private readonly embedder: Embedder | undefined,
    private readonly dense: DenseIndex | undefined,
    readonly reader: Reader,
    private readonly minSimilarity: number,
  ) {
    this.fallback = reader.kind === 'sentence' ? reader : new SentenceReader(bm25, stopwords);
  }

  /** Answers when the reader's model gives none. */
  private readonly fallback: Reader;

  /** Reads and indexes `dir` (embedding every passage when an encoder is given). */
  static async fromFolder(dir: string, opts: AssistantOptions = {}): Promise<Assistant> {
    const docs = readDocuments(dir, opts);
    const passages = passagesOf(docs, opts);
    const stopwords = opts.stopwords ?? true;
    const bm25 = new Bm25Index(
      passages.map((p) => tokenize(p.text, { stopwords })),
      opts,
    );
    const minSimilarity = opts.minSimilarity ?? 0.5;
    if (!(minSimilarity >= -1 && minSimilarity <= 1)) throw new LenguaError(`must be in [-1, 1], got ${minSimilarity}`, { field: 'minSimilarity' });
    const dense = opts.embedder !== undefined ? new DenseIndex(await opts.embedder.embed(passages.map((p) => p.text))) : undefined;
    return new Assistant(passages, docs, bm25, stopwords, opts.embedder, dense, opts.reader ?? new SentenceReader(bm25, stopwords), minSimilarity);
  }

  /** Answers `question` from the best `topK` passages. */
  async ask(question: string, opts: AskOptions = {}): Promise<AssistantAnswer> {
    if (typeof question !== 'string' || question.trim() === '') throw new LenguaError('the question is empty', { field: 'question' });
    if (question.length > ASK_LIMITS.questionChars) throw new LenguaError(`a question has at most ${ASK_LIMITS.questionChars} characters, got ${question.length}`, { field: 'question' });
    const topK = opts.topK ?? 3;
    if (!Number.isSafeInteger(topK) || topK < 1 || topK > ASK_LIMITS.topK) throw new LenguaError(`must be an integer in [1, ${ASK_LIMITS.topK}], got ${JSON.stringify(topK)}`, { field: 'topK' });

    const bm25Scores = this.bm25.scores(tokenize(question, { stopwords: this.stopwords }));
    const lexical: RankedHit[] = [];
    bm25Scores.forEach((score, index) => {
      if (score > 0) lexical.push({ index, score });
    });
    lexical.sort((a, b) => b.score - a.score || a.index - b.index);

    let ranked = lexical;
    let similarity: Map<number, number> | undefined;
    if (this.embedder !== undefined && this.dense !== undefined && this.passages.length > 0) {
      const [q] = await this.embedder.embed([question]);
      const semantic = this.dense.search(q!, this.passages.length);
      similarity = new Map(semantic.map((h) => [h.index, h.score]));
      // Dense hits count when BM25 found something, or on their own above minSimilarity (a paraphrase).
      const usable = lexical.length > 0 ? semantic : semantic.filter((h) => h.score >= this.minSimilarity);
      ranked = usable.length > 0 ? reciprocalRankFusion([lexical, usable]) : [];
    }

    const top = ranked.slice(0, topK);
    const retrieved: Retrieved[] = top.map((h) => {
      const p = this.passages[h.index]!;
      const sim = similarity?.get(h.index);
      return { file: p.file, lines: [p.lineStart, p.lineEnd], start: p.start, end: p.end, score: h.score, bm25: bm25Scores[h.index]!, ...(sim !== undefined ? { similarity: sim } : {}), text: p.text };
    });
    const nothing: AssistantAnswer = { question, found: false, answer: NOTHING_FOUND, score: null, reader: this.reader.kind, citation: null, retrieved };
    if (top.length === 0) return nothing;

    const passages = top.map((h) => this.passages[h.index]!);
    let reader: Reader = this.reader;
    let read = await reader.read(question, passages);
    if (read === null && reader.kind !== 'sentence') {
      // The model gave no answer (a generator that wrote nothing): the passages still hold the best sentence.
      reader = this.fallback;
      read = await reader.read(question, passages);
    }
    if (read === null) return nothing;
    const p = passages[read.passage]!;
    const lines = this.lines(p);
    return {
      question,
      found: true,
      answer: read.answer,
      score: read.score,
      reader: reader.kind,
      citation: {
        file: p.file,
        lines: [lines.lineOf(p.start + read.start), lines.lineOf(p.start + Math.max(read.end - 1, read.start))],
        start: p.start + read.start,
        end: p.start + read.end,
        record: p.record,
        passage: { text: p.text, start: p.start, end: p.end, lines: [p.lineStart, p.lineEnd] },
      },
      retrieved,
    };
  }

  /** Lines of the document a passage comes from (built on the first citation of it). */
  private lines(p: Passage): { lineOf(offset: number): number } {
    let t = this.lineTables.get(p.document);
    if (t === undefined) this.lineTables.set(p.document, (t = linesOf(this.documents[p.document]!)));
    return t;
  }

  /** Frees the models' workers. */
  async dispose(): Promise<void> {
    await this.reader.dispose();
    await this.embedder?.dispose();
  }
}
