/**
 * What every encoder pipeline shares: the model source, the tokenizer, one OnnxSession, and the batch
 * runner — texts are tokenized without padding, sorted by token length, cut into micro-batches of at
 * most `batchSize` that are each padded only to their own longest row (and cut earlier where padding
 * would pass MAX_PADDING of a micro-batch), run, and handed back in input order.
 */
import { LenguaError } from '../errors.js';
import type { Json } from '../hub/index.js';
import { AutoTokenizer, type Encoding, type PreTrainedTokenizer } from '../text/index.js';
import { resolveOnnxModel, type ModelSource, type ModelSourceOptions, type OnnxExportTask } from './model-folder.js';
import { checkThreads, defaultNumThreads, OnnxSession, type OutputTensor } from './session.js';
import { checkIsolation, type Isolation } from './worker-host.js';

export interface PipelineOptions extends ModelSourceOptions {
  /** ONNX Runtime intra-op threads (default $LENGUA_NUM_THREADS, else 2). */
  numThreads?: number;
  /** Texts per forward pass (default 32). Each micro-batch is padded only to its own longest text. */
  batchSize?: number;
  /** Where ONNX Runtime runs: a worker thread (default) or a child process (a crash there ends only the worker). */
  isolation?: Isolation;
  /** Truncate inputs to this many tokens (default and ceiling: what the tokenizer and the model's positions allow). */
  maxLength?: number;
}

export const DEFAULT_BATCH_SIZE = 32;
/**
 * The share of a micro-batch's cells that may be padding. Padded cells cost as much as real ones, and on
 * CPU a forward pass gains little from rows beyond a few: 2,000 tweets (bert-base-uncased tokens, 4 × 256
 * BERT, 2 cores) in arrival-order windows of 32, each sorted, ran at 849 tweets/s padded whole and at
 * 1,234 cut at 10 % padding (5 micro-batches per window; 2 sessions × 1 thread). 5 % and 10 % were alike.
 */
export const MAX_PADDING = 0.1;
/** Bounds on what one call accepts, so a bad argument fails at once instead of exhausting memory. */
export const LIMITS = { batchSize: 4096, texts: 10_000_000, topK: 100_000 };

/**
 * Indices of inputs of these token lengths in micro-batches: longest first, at most `batchSize` rows, and a
 * new micro-batch where one more row would make padding more than `maxPadding` of its cells.
 */
export function microBatches(lengths: readonly number[], batchSize: number, maxPadding = MAX_PADDING): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[b]! - lengths[a]! || a - b);
  const out: number[][] = [];
  let cur: number[] = [];
  let padded = 0;
  for (const i of order) {
    const seq = cur.length === 0 ? lengths[i]! : lengths[cur[0]!]!;
    const p = padded + seq - lengths[i]!;
    if (cur.length > 0 && (cur.length >= batchSize || p > maxPadding * (cur.length + 1) * seq)) {
      out.push(cur);
      cur = [i];
      padded = 0;
    } else {
      cur.push(i);
      padded = p;
    }
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

export function checkInt(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new LenguaError(`expected an integer in [${min}, ${max}], got ${JSON.stringify(v)}`, { field });
  }
  return v;
}

/** The texts of a call: one string or an array of strings, each a string (bounded in number). */
export function checkTexts(input: unknown, field = 'texts'): { texts: string[]; single: boolean } {
  const single = typeof input === 'string';
  const texts = single ? [input] : input;
  if (!Array.isArray(texts)) throw new LenguaError(`expected a string or an array of strings, got ${typeof input}`, { field });
  if (texts.length > LIMITS.texts) throw new LenguaError(`at most ${LIMITS.texts} texts per call, got ${texts.length}`, { field });
  texts.forEach((t, i) => {
    if (typeof t !== 'string') throw new LenguaError(`text ${i} is a ${typeof t}, not a string`, { field: `${field}[${i}]` });
  });
  return { texts: texts as string[], single };
}

/** The largest number of tokens the model's positions take (RoBERTa's start after the pad id). */
export function maxModelTokens(config: Json): number {
  const mpe = typeof config.max_position_embeddings === 'number' ? config.max_position_embeddings : Infinity;
  const type = String(config.model_type ?? '');
  if (['roberta', 'xlm-roberta', 'camembert'].includes(type)) return mpe - (typeof config.pad_token_id === 'number' ? config.pad_token_id : 1) - 1;
  return mpe;
}

/** `[label for id]` from config.json's id2label (LABEL_i where it names none), checked against the output width. */
export function labelsOf(config: Json, numLabels: number, file: string): string[] {
  const id2label = (config.id2label ?? {}) as Record<string, unknown>;
  const out: string[] = [];
  for (let i = 0; i < numLabels; i++) {
    const l = id2label[String(i)];
    out.push(typeof l === 'string' ? l : `LABEL_${i}`);
  }
  const extra = Object.keys(id2label).filter((k) => !(Number(k) >= 0 && Number(k) < numLabels));
  if (extra.length > 0) throw new LenguaError(`id2label has ids ${extra.slice(0, 5).join(', ')} but the model outputs ${numLabels} labels`, { file, field: 'id2label' });
  return out;
}

export abstract class EncoderPipeline {
  abstract readonly task: string;
  readonly model: ModelSource;
  readonly tokenizer: PreTrainedTokenizer;
  readonly session: OnnxSession;
  readonly batchSize: number;
  readonly maxLength: number;
  protected readonly output: string;
  private readonly tokenTypes: boolean;

  protected constructor(model: ModelSource, tokenizer: PreTrainedTokenizer, session: OnnxSession, output: string, opts: PipelineOptions) {
    this.model = model;
    this.tokenizer = tokenizer;
    this.session = session;
    this.output = output;
    this.batchSize = opts.batchSize === undefined ? DEFAULT_BATCH_SIZE : checkInt(opts.batchSize, 'batchSize', 1, LIMITS.batchSize);
    const ceiling = Math.min(tokenizer.modelMaxLength, maxModelTokens(model.config));
    this.maxLength = opts.maxLength === undefined ? ceiling : Math.min(checkInt(opts.maxLength, 'maxLength', 1, 1_000_000), ceiling);
    if (!session.outputNames.includes(output)) {
      throw new LenguaError(`the model has no output ${output} (it has ${session.outputNames.join(', ')}): it was exported for another task`, { file: model.onnxFile });
    }
    for (const name of session.inputNames) {
      if (!['input_ids', 'attention_mask', 'token_type_ids'].includes(name)) throw new LenguaError(`the model takes an input ${name} that an encoder pipeline does not give`, { file: model.onnxFile });
    }
    this.tokenTypes = session.inputNames.includes('token_type_ids');
  }

  /** Loads what every encoder pipeline needs: the folder (exporting a training folder for `exportTask`), its tokenizer, the session. */
  protected static async load(model: string, exportTask: OnnxExportTask, opts: PipelineOptions): Promise<{ source: ModelSource; tokenizer: PreTrainedTokenizer; session: OnnxSession }> {
    const threads = opts.numThreads === undefined ? defaultNumThreads() : checkThreads(opts.numThreads, 'numThreads');
    const source = await resolveOnnxModel(model, exportTask, opts);
    const tokenizer = await AutoTokenizer.fromPretrained(source.dir);
    const session = await OnnxSession.create(source.onnxFile, threads, opts.isolation === undefined ? 'thread' : checkIsolation(opts.isolation, 'isolation'));
    return { source, tokenizer, session };
  }

  /** Tokenizes texts (or pairs) with truncation and no padding. */
  protected encode(inputs: Array<string | [string, string]>, truncation: 'longest_first' | 'only_first' = 'longest_first'): Encoding[] {
    return this.tokenizer.encodeBatch(inputs, { truncation, maxLength: this.maxLength });
  }

  /**
   * Runs the encodings in length-sorted micro-batches, each padded to its own longest row; `onRow(i, out,
   * row, seq)` gets input i's row `row` of the output of a batch padded to `seq` tokens. The next batch is
   * built while the worker computes the current one. `outputs` (which must hold the pipeline's own output):
   * what the session computes, every one handed to `onRow` as `all` (question answering reads two).
   */
  protected async runBatches(
    encodings: Encoding[], onRow: (i: number, out: OutputTensor, row: number, seq: number, all: Record<string, OutputTensor>) => void, outputs: readonly string[] = [this.output],
  ): Promise<void> {
    const pad = BigInt(this.tokenizer.padTokenId ?? 0);
    let inFlight: Promise<void> | null = null;
    for (const rows of microBatches(encodings.map((e) => e.ids.length), this.batchSize)) {
      const seq = Math.max(1, ...rows.map((i) => encodings[i]!.ids.length));
      const n = rows.length * seq;
      const ids = new BigInt64Array(n).fill(pad);
      const mask = new BigInt64Array(n);
      const types = new BigInt64Array(n);
      rows.forEach((i, r) => {
        const e = encodings[i]!;
        for (let t = 0; t < e.ids.length; t++) {
          ids[r * seq + t] = BigInt(e.ids[t]!);
          mask[r * seq + t] = BigInt(e.attentionMask[t]!);
          types[r * seq + t] = BigInt(e.tokenTypeIds[t] ?? 0);
        }
      });
      const dims = [rows.length, seq];
      const feeds: Record<string, { data: BigInt64Array; dims: number[] }> = { input_ids: { data: ids, dims }, attention_mask: { data: mask, dims } };
      if (this.tokenTypes) feeds.token_type_ids = { data: types, dims };
      const running = this.session.run(feeds, [...outputs]).then((out) => {
        const t = out[this.output]!;
        rows.forEach((i, r) => onRow(i, t, r, seq, out));
      });
      // Awaited below; the handler only keeps a failure from being reported as unhandled meanwhile.
      running.catch(() => undefined);
      if (inFlight !== null) await inFlight;
      inFlight = running;
    }
    if (inFlight !== null) await inFlight;
  }

  /** The rows of a [batch, width] output (logits) for each input, in input order. */
  protected async logitRows(inputs: Array<string | [string, string]>, truncation: 'longest_first' | 'only_first' = 'longest_first'): Promise<Float32Array[]> {
    const enc = this.encode(inputs, truncation);
    const rows: Float32Array[] = new Array<Float32Array>(inputs.length);
    await this.runBatches(enc, (i, out, r) => {
      const width = out.dims[1]!;
      rows[i] = out.data.slice(r * width, (r + 1) * width);
    });
    return rows;
  }

  /** False once the ONNX Runtime worker has stopped (disposed or crashed). */
  get alive(): boolean {
    return this.session.alive;
  }

  /** Ends the ONNX Runtime worker; the pipeline cannot run afterwards. */
  async dispose(): Promise<void> {
    await this.session.dispose();
  }
}

/** Makes a pipeline callable like Transformers.js' (`await classifier(texts)`), keeping its methods and fields. */
export function callable<P extends { run: (...args: never[]) => unknown }>(p: P): P & P['run'] {
  const f = ((...args: Parameters<P['run']>) => p.run(...args)) as P & P['run'];
  Object.setPrototypeOf(f, p);
  return f;
}

/** Softmax of a row in float64 (max subtracted first). */
export function softmax(row: ArrayLike<number>): number[] {
  let m = -Infinity;
  for (let i = 0; i < row.length; i++) m = Math.max(m, row[i]!);
  const e = Array.from(row, (v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

export function sigmoid(v: number): number {
  return 1 / (1 + Math.exp(-v));
}
