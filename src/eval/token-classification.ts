/**
 * `evaluateTokenClassification`: a token classifier (NER) scored on a CoNLL file at the level of words, as
 * `lengua train --task token-classification` scores its eval set: each word takes the label of its first subword,
 * and the word tags are scored with conlleval semantics (`entityMetrics`, IOB2, default mode) — entity-level
 * precision / recall / F1 (micro, macro, weighted, per type) and token accuracy. Every sentence is kept with its
 * words, gold and predicted tags, and its entities as character spans of the sentence text (the words joined with
 * single spaces), so that predictions.jsonl rescored gives back exactly these metrics.
 *
 * The engine is the caller's: a `WordTagger` turns sentences of words into one tag per word (libtorch on a model
 * folder, ONNX Runtime on an export; see src/cli/evaluate-token.ts); this stage does not depend on which.
 * Split discipline is the classifier's (src/eval/evaluate.ts): the caller checks and records it.
 */
import { basename, resolve } from 'node:path';
import { LenguaError } from '../errors.js';
import type { ConllDataset } from '../data/index.js';
import { entityMetrics, extractEntities, type TypeScores } from '../metrics/index.js';
import { inferSplit, sha256File, type EvaluationResult, type SplitName } from './evaluate.js';

/** Word tags for a batch of sentences (one tag per word), and how many words got no model position (cut by length: tagged O). */
export type WordTagger = (sentences: string[][]) => Promise<{ tags: string[][]; droppedWords: number }>;

/** An entity as a span of words [wordStart, wordEnd) and of characters [start, end) of the sentence text. */
export interface CharEntity {
  type: string;
  start: number;
  end: number;
  /** The sentence text between start and end: the entity's words joined with single spaces. */
  text: string;
  wordStart: number;
  wordEnd: number;
}

export interface TokenSentencePrediction {
  /** 0-based position of the sentence in the file. */
  index: number;
  /** 1-based line of the sentence's first word in the data file. */
  line: number;
  /** The words joined with single spaces: what entity offsets index. */
  text: string;
  words: string[];
  /** Gold tags (IOB2). */
  tags: string[];
  predicted: string[];
  /** Predicted entities, decoded from `predicted` as they are scored (conlleval chunks). */
  entities: CharEntity[];
  goldEntities: CharEntity[];
}

export interface TokenEvaluationResult {
  kind: 'token-classification';
  split: SplitName;
  splitSource: EvaluationResult['splitSource'];
  dataFile: string;
  dataSha256: string;
  dataFiles: Array<{ path: string; sha256: string }>;
  /** The scheme of the file's tags (given or detected); they are scored as IOB2, converted when IOB1. */
  fileScheme: 'IOB1' | 'IOB2';
  model: { name: string; kind: string; dir?: string };
  engine: string;
  /** The model's labels, in id order. */
  labels: string[];
  createdAt: string;
  /** Sentences. */
  n: number;
  /** Words. */
  tokens: number;
  /**
   * precision, recall, f1 (micro over entities, seqeval's overall_* and run_ner.py's names), accuracy (word tags
   * equal to the gold tags), macro_* and weighted_* over entity types.
   */
  metrics: Record<string, number>;
  perType: Record<string, TypeScores>;
  /** Predicted-type × gold-type counts at the word level (entity types, B-/I- folded, and O). */
  confusion: { labels: string[]; matrix: number[][] };
  predictions: TokenSentencePrediction[];
  warnings: string[];
}

export interface TokenEvaluateOptions {
  /** Which split the data is. Default: from the file name ({@link inferTokenSplit}). */
  split?: SplitName;
  model: { name: string; kind: string; dir?: string };
  engine: string;
  /** The model's labels (id order): every gold tag must be one of them. */
  labels: readonly string[];
  /** Sentences per tagger call. @defaultValue 64 */
  batchSize?: number;
}

/**
 * The split a CoNLL file name says. CoNLL-2002/2003 call their development set `testa` (esp.testa, eng.testa) and
 * their test set `testb`; any other name is read as {@link inferSplit} reads it.
 */
export function inferTokenSplit(file: string): SplitName | null {
  const words = basename(file).toLowerCase().split(/[^a-z]+/).filter(Boolean);
  if (words.includes('testa')) return 'validation';
  if (words.includes('testb')) return 'test';
  return inferSplit(file);
}

/** Character span [start, end) of each word in the words joined with single spaces (UTF-16 units, as JS strings). */
export function wordOffsets(words: readonly string[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let at = 0;
  for (const w of words) {
    out.push([at, at + w.length]);
    at += w.length + 1;
  }
  return out;
}

/** The entities of one sentence's IOB2 tags (conlleval chunks, as scored) with their character spans. */
export function charEntities(words: readonly string[], tags: readonly string[]): CharEntity[] {
  const text = words.join(' ');
  const spans = wordOffsets(words);
  return extractEntities([tags], { scheme: 'IOB2' }).map((e) => {
    const start = spans[e.start]![0];
    const end = spans[e.end]![1];
    return { type: e.type, start, end, text: text.slice(start, end), wordStart: e.start, wordEnd: e.end + 1 };
  });
}

/**
 * Word tags from the tokens of the sentence text (`wordOffsets` spans): each word takes the label of its first token,
 * the first that starts inside it or in the space before it (a byte-level BPE token such as "Ġworld" may carry the
 * space in its offsets); a word without a token (cut by truncation) is O. Tokens come in text order.
 */
export function firstTokenTags(spans: ReadonlyArray<readonly [number, number]>, tokens: ReadonlyArray<{ start: number; label: string }>): { tags: string[]; dropped: number } {
  const tags = spans.map(() => 'O');
  const seen = spans.map(() => false);
  let w = 0;
  for (const t of tokens) {
    while (w < spans.length && t.start >= spans[w]![1]) w++;
    if (w === spans.length) break;
    if (!seen[w]) {
      seen[w] = true;
      tags[w] = t.label;
    }
  }
  return { tags, dropped: seen.filter((s) => !s).length };
}

/** Every gold tag must be one of the model's labels: the first one that is not names its file and line. */
export function checkGoldTags(data: ConllDataset, labels: readonly string[]): void {
  const known = new Set(labels);
  for (const s of data.sentences) {
    s.tags.forEach((tag, i) => {
      if (known.has(tag)) return;
      const converted = data.scheme === 'IOB1' && data.tagScheme === 'IOB2' ? ' (the file is IOB1; tags are read as IOB2)' : '';
      // One word per line: the sentence's i-th word is i lines below its first.
      throw new LenguaError(`tag "${tag}"${converted} is not among the model's labels (${labels.join(', ')})`, { file: data.path, line: s.line + i, field: 'tag' });
    });
  }
}

function foldTag(t: string): string {
  return t === 'O' ? 'O' : t.slice(2);
}

export async function evaluateTokenClassification(tagger: WordTagger, data: ConllDataset, opts: TokenEvaluateOptions): Promise<TokenEvaluationResult> {
  if (data.sentences.length === 0) throw new LenguaError('no sentences to evaluate', { file: data.path });
  if (data.tagScheme !== 'IOB2') throw new LenguaError(`tags must be read as IOB2 (loadConll's default conversion), got ${data.tagScheme}`, { file: data.path, field: 'scheme' });
  const batchSize = opts.batchSize ?? 64;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > 4096) throw new LenguaError(`batch size must be in [1, 4096], got ${batchSize}`, { field: 'batchSize' });
  checkGoldTags(data, opts.labels);
  const known = new Set(opts.labels);
  const inferred = inferTokenSplit(data.path);
  const split: SplitName = opts.split ?? inferred ?? 'unspecified';
  const splitSource: EvaluationResult['splitSource'] = opts.split !== undefined ? 'given' : inferred !== null ? 'file name' : 'unknown';
  const predicted: string[][] = [];
  let dropped = 0;
  for (let i = 0; i < data.sentences.length; i += batchSize) {
    const part = data.sentences.slice(i, i + batchSize);
    const r = await tagger(part.map((s) => [...s.tokens]));
    if (!Array.isArray(r?.tags) || r.tags.length !== part.length) throw new LenguaError(`the tagger returned ${Array.isArray(r?.tags) ? r.tags.length : 'no'} rows for ${part.length} sentences`, { field: 'tagger' });
    r.tags.forEach((row, j) => {
      if (!Array.isArray(row) || row.length !== part[j]!.tokens.length || row.some((t) => !known.has(t))) {
        throw new LenguaError(`the tagger returned a malformed row for sentence ${i + j} (expected ${part[j]!.tokens.length} of the model's labels)`, { field: 'tagger' });
      }
    });
    predicted.push(...r.tags);
    dropped += r.droppedWords;
  }
  const gold = data.sentences.map((s) => s.tags);
  const m = entityMetrics(gold, predicted, { scheme: 'IOB2' });
  const metrics: Record<string, number> = {
    precision: m.micro.precision,
    recall: m.micro.recall,
    f1: m.micro.f1,
    accuracy: m.accuracy,
    macro_precision: m.macro.precision,
    macro_recall: m.macro.recall,
    macro_f1: m.macro.f1,
    weighted_precision: m.weighted.precision,
    weighted_recall: m.weighted.recall,
    weighted_f1: m.weighted.f1,
  };
  const types = ['O', ...new Set(opts.labels.filter((l) => l !== 'O').map(foldTag))];
  const at = new Map(types.map((t, i) => [t, i]));
  const matrix = types.map(() => types.map(() => 0));
  gold.forEach((g, s) => g.forEach((t, i) => matrix[at.get(foldTag(t))!]![at.get(foldTag(predicted[s]![i]!))!]!++));
  const predictions: TokenSentencePrediction[] = data.sentences.map((s, i) => ({
    index: i,
    line: s.line,
    text: s.tokens.join(' '),
    words: [...s.tokens],
    tags: [...s.tags],
    predicted: predicted[i]!,
    entities: charEntities(s.tokens, predicted[i]!),
    goldEntities: charEntities(s.tokens, s.tags),
  }));
  const warnings: string[] = [];
  if (dropped > 0) warnings.push(`${dropped} of ${m.tokens} words fall past the model's input length; they are predicted O and still scored`);
  if (data.alternativeTags > 0) warnings.push(`${data.alternativeTags} gold tag cells held alternatives; the first of each was scored`);
  const sha = sha256File(data.path);
  return {
    kind: 'token-classification',
    split,
    splitSource,
    dataFile: resolve(data.path),
    dataSha256: sha,
    dataFiles: [{ path: resolve(data.path), sha256: sha }],
    fileScheme: data.scheme,
    model: opts.model,
    engine: opts.engine,
    labels: [...opts.labels],
    createdAt: new Date().toISOString(),
    n: data.sentences.length,
    tokens: m.tokens,
    metrics,
    perType: m.perType,
    confusion: { labels: types, matrix },
    predictions,
    warnings,
  };
}

/** The result without per-sentence rows: what `metrics.json` holds. */
export function summarizeTokenResult(result: TokenEvaluationResult): Omit<TokenEvaluationResult, 'predictions'> {
  const { predictions, ...rest } = result;
  void predictions;
  return rest;
}

/** One predictions.jsonl line (snake_case keys, as the other evaluations write). */
export function tokenPredictionRecord(split: string, p: TokenSentencePrediction): Record<string, unknown> {
  const ent = (e: CharEntity): Record<string, unknown> => ({ type: e.type, start: e.start, end: e.end, text: e.text, word_start: e.wordStart, word_end: e.wordEnd });
  return { split, index: p.index, line: p.line, text: p.text, words: p.words, tags: p.tags, predicted: p.predicted, entities: p.entities.map(ent), gold_entities: p.goldEntities.map(ent) };
}
