/**
 * `evaluateSeq2Seq`: an encoder-decoder's (T5, BART, Marian) generated texts on source → reference data,
 * scored as Hugging Face's example scripts and Lengua's Seq2SeqTrainer score them — sacreBLEU's BLEU and chrF
 * for translation, rouge_score's ROUGE-1/2/L/Lsum (Porter stemmer) for summarization, all of them for
 * text2text-generation — with `gen_len`, per-example sentence-level scores and the length distributions.
 *
 * The engine is the caller's: a `Seq2SeqGenerator` turns a batch of source texts into texts (libtorch on a model
 * folder, ONNX Runtime on an exported one); this stage does not depend on which.
 */
import { resolve } from 'node:path';
import { LenguaError } from '../errors.js';
import type { Seq2SeqData } from '../data/index.js';
import type { Json } from '../hub/index.js';
import { corpusBleu, generationScores, rougeScoreMulti, sentenceBleu, sentenceChrf, toReferenceStreams } from '../metrics/index.js';
import { inferSplit, sha256File, type EvaluationResult, type SplitName } from './evaluate.js';

export const SEQ2SEQ_EVAL_TASKS = ['translation', 'summarization', 'text2text-generation'] as const;
export type Seq2SeqEvalTask = (typeof SEQ2SEQ_EVAL_TASKS)[number];

/** One generated text: its decoded text and the generated ids (decoder start left out, EOS kept when it ended the row). */
export interface GeneratedText {
  text: string;
  ids: number[];
  /** Why the row ended, when the engine says: `length` means it was cut at the generation limit. */
  finishReason?: 'eos' | 'length' | 'stop';
}

/** Source texts (the prefix already applied) → one generated text each, in order. */
export type Seq2SeqGenerator = (sources: string[]) => Promise<GeneratedText[]>;

const ENCODER_DECODER_TYPES = new Set(['t5', 'mt5', 'bart', 'mbart', 'marian', 'pegasus']);

/**
 * Whether a config.json describes an encoder-decoder LM: model_type t5/bart/marian (and kin) or an
 * architecture `*ForConditionalGeneration` / `MarianMTModel`.
 */
export function isEncoderDecoderConfig(json: Json): boolean {
  if (typeof json.model_type === 'string' && ENCODER_DECODER_TYPES.has(json.model_type)) return true;
  const arch = json.architectures;
  return Array.isArray(arch) && arch.some((a) => typeof a === 'string' && (a.endsWith('ForConditionalGeneration') || a === 'MarianMTModel'));
}

/**
 * Corpus scores (`generationScores` in src/metrics, which the Seq2SeqTrainer reports too): translation → `bleu`,
 * `chrf` (sacreBLEU, 0–100); summarization → `rouge1`, `rouge2`, `rougeL`, `rougeLsum` (mean F-measure, 0–1,
 * Porter-stemmed, the best of several references); text2text → all.
 */
export function seq2seqCorpusScores(task: Seq2SeqEvalTask, predictions: string[], references: string[][]): Record<string, number> {
  return generationScores(task, predictions, references);
}

/**
 * Per-example scores: sacreBLEU's `sentence_bleu` (effective order, exp smoothing) and `sentence_chrf` for
 * translation; ROUGE-L F (stemmed, best reference) for summarization — whose mean is the corpus `rougeL`.
 */
export function seq2seqSentenceScores(task: Seq2SeqEvalTask, prediction: string, references: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  if (task !== 'summarization') {
    out.bleu = sentenceBleu(prediction, references).score;
    out.chrf = sentenceChrf(prediction, references).score;
  }
  if (task !== 'translation') out.rougeL = rougeScoreMulti(references, prediction, { rougeTypes: ['rougeL'], useStemmer: true }).rougeL!.fmeasure;
  return out;
}

/** The sentence-level score examples are ranked by: chrF where it is computed (sentence BLEU is 0 for most short sentences without a 4-gram match), else ROUGE-L. */
export function rankingScore(task: Seq2SeqEvalTask): 'chrf' | 'rougeL' {
  return task === 'summarization' ? 'rougeL' : 'chrf';
}

export interface Seq2SeqExample {
  index: number;
  /** Line of the example in its file. */
  line: number;
  source: string;
  prediction: string;
  references: string[];
  /** Sentence-level scores ({@link seq2seqSentenceScores}). */
  scores: Record<string, number>;
  /** Generated tokens, pad left out (what gen_len averages). */
  genLen: number;
  finishReason?: GeneratedText['finishReason'];
}

export interface LengthSummary {
  /** Lengths in words (whitespace-separated), so that predictions and references compare whatever the tokenizer. */
  unit: 'words';
  prediction: { mean: number; median: number; max: number };
  /** Of each example's first reference (its target). */
  reference: { mean: number; median: number; max: number };
  /** Σ prediction words / Σ reference words. */
  ratio: number;
  /** sacreBLEU's hypothesis/reference length ratio and brevity penalty (13a tokens, closest reference), when BLEU is computed. */
  bleuLengthRatio?: number;
  bleuBrevityPenalty?: number;
  /** Outputs the engine cut at the generation length limit (they may be unfinished). */
  cutAtMaxLength: number;
}

export interface Seq2SeqEvaluationResult {
  kind: 'seq2seq';
  task: Seq2SeqEvalTask;
  split: SplitName;
  splitSource: EvaluationResult['splitSource'];
  dataFile: string;
  dataSha256: string;
  dataFiles: Array<{ path: string; sha256: string }>;
  /** What was read: `translation.en → translation.es`, or `document → summary`. */
  sourceField: string;
  targetField: string;
  model: { name: string; kind: string; dir?: string };
  engine: string;
  /** The generation settings in force (resolved over the model's own), the source prefix and the batch size. */
  generation: Record<string, unknown>;
  createdAt: string;
  n: number;
  /** Corpus scores and gen_len (mean generated tokens, pad left out). */
  metrics: Record<string, number>;
  /** The sentence-level score best/worst examples are ranked by. */
  rankedBy: string;
  lengths: LengthSummary;
  predictions: Seq2SeqExample[];
  warnings: string[];
}

export interface Seq2SeqEvaluateOptions {
  task: Seq2SeqEvalTask;
  /** Which split the data is. Default: from the file name. */
  split?: SplitName;
  /** Prepended to every source (T5's task prefix, as at training: `--source-prefix`). */
  sourcePrefix?: string;
  /** Sources per generator call. @defaultValue 32 */
  batchSize?: number;
  /** The pad id left out of gen_len (the model config's pad_token_id). */
  padTokenId: number | null;
  model: { name: string; kind: string; dir?: string };
  engine: string;
  /** Settings to record (the generator applies them). */
  generation?: Record<string, unknown>;
}

const words = (s: string): number => s.split(/\s+/).filter(Boolean).length;

function stats(xs: number[]): { mean: number; median: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return {
    mean: xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length),
    median: s.length === 0 ? 0 : s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2,
    max: s.length === 0 ? 0 : s[s.length - 1]!,
  };
}

const round4 = (x: number): number => Math.round(x * 1e4) / 1e4;

export async function evaluateSeq2Seq(generate: Seq2SeqGenerator, data: Seq2SeqData, opts: Seq2SeqEvaluateOptions): Promise<Seq2SeqEvaluationResult> {
  if (!(SEQ2SEQ_EVAL_TASKS as readonly string[]).includes(opts.task)) throw new LenguaError(`task must be one of ${SEQ2SEQ_EVAL_TASKS.join(', ')}, got ${JSON.stringify(opts.task)}`, { field: 'task' });
  if (data.pairs.length === 0) throw new LenguaError('no examples to evaluate', { file: data.file });
  const batchSize = opts.batchSize ?? 32;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > 1024) throw new LenguaError(`batch size must be in [1, 1024], got ${batchSize}`, { field: 'batchSize' });
  const inferred = inferSplit(data.file);
  const split: SplitName = opts.split ?? inferred ?? 'unspecified';
  const splitSource: EvaluationResult['splitSource'] = opts.split !== undefined ? 'given' : inferred !== null ? 'file name' : 'unknown';
  const prefix = opts.sourcePrefix ?? '';
  const generated: GeneratedText[] = [];
  for (let i = 0; i < data.pairs.length; i += batchSize) {
    const part = data.pairs.slice(i, i + batchSize);
    const rows = await generate(part.map((p) => prefix + p.source));
    if (!Array.isArray(rows) || rows.length !== part.length || rows.some((r) => typeof r?.text !== 'string' || !Array.isArray(r.ids))) {
      throw new LenguaError(`the generator returned ${Array.isArray(rows) ? rows.length : 'no'} rows for ${part.length} sources (expected one {text, ids} each)`, { field: 'generator' });
    }
    generated.push(...rows);
  }
  // As the Seq2SeqTrainer: special tokens skipped by the decoder, surrounding whitespace trimmed.
  const predictions = generated.map((g) => g.text.trim());
  const references = data.pairs.map((p) => p.references);
  const metrics = seq2seqCorpusScores(opts.task, predictions, references);
  const pad = opts.padTokenId;
  const genLens = generated.map((g) => g.ids.filter((t) => t !== pad).length);
  // transformers' run_translation / run_summarization: the mean count of non-pad generated tokens.
  metrics.gen_len = round4(genLens.reduce((a, b) => a + b, 0) / genLens.length);
  const examples: Seq2SeqExample[] = data.pairs.map((p, i) => ({
    index: i,
    line: p.where.line,
    source: p.source,
    prediction: predictions[i]!,
    references: p.references,
    scores: seq2seqSentenceScores(opts.task, predictions[i]!, p.references),
    genLen: genLens[i]!,
    ...(generated[i]!.finishReason !== undefined ? { finishReason: generated[i]!.finishReason } : {}),
  }));
  const predWords = predictions.map(words);
  const refWords = data.pairs.map((p) => words(p.references[0]!));
  const cut = generated.filter((g) => g.finishReason === 'length').length;
  const lengths: LengthSummary = {
    unit: 'words',
    prediction: stats(predWords),
    reference: stats(refWords),
    ratio: predWords.reduce((a, b) => a + b, 0) / Math.max(1, refWords.reduce((a, b) => a + b, 0)),
    cutAtMaxLength: cut,
  };
  if (opts.task !== 'summarization') {
    const b = corpusBleu(predictions, toReferenceStreams(references));
    lengths.bleuLengthRatio = b.sysLen / Math.max(1, b.refLen);
    lengths.bleuBrevityPenalty = b.bp;
  }
  const warnings: string[] = [];
  if (cut > 0) warnings.push(`${cut} of ${examples.length} outputs stopped at the generation length limit (${JSON.stringify(opts.generation?.maxNewTokens ?? opts.generation?.maxLength ?? '?')}); raise --max-new-tokens or --max-length if they are cut short`);
  const empty = predictions.filter((p) => p === '').length;
  if (empty > 0) warnings.push(`${empty} of ${examples.length} outputs are empty`);
  const sha = sha256File(data.file);
  return {
    kind: 'seq2seq',
    task: opts.task,
    split,
    splitSource,
    dataFile: resolve(data.file),
    dataSha256: sha,
    dataFiles: [{ path: resolve(data.file), sha256: sha }],
    sourceField: data.sourceField,
    targetField: data.targetField,
    model: opts.model,
    engine: opts.engine,
    generation: { ...(opts.generation ?? {}), sourcePrefix: prefix, batchSize },
    createdAt: new Date().toISOString(),
    n: examples.length,
    metrics,
    rankedBy: rankingScore(opts.task),
    lengths,
    predictions: examples,
    warnings,
  };
}

/** The result without per-example rows: what `metrics.json` holds. */
export function summarizeSeq2Seq(result: Seq2SeqEvaluationResult): Omit<Seq2SeqEvaluationResult, 'predictions'> {
  const { predictions, ...rest } = result;
  void predictions;
  return rest;
}
