/**
 * `text-generation` on ONNX Runtime, shaped like Transformers.js' and transformers' pipeline:
 *
 * ```ts
 * const generator = await TextGenerationPipeline.create('runs/gpt2-onnx');
 * await generator('Once upon a time', { maxNewTokens: 20, numBeams: 4 });   // [{ generated_text }]
 * for await (const { text } of generator.stream('Hello', { maxNewTokens: 20 })) process.stdout.write(text);
 * await generator.dispose();
 * ```
 *
 * The folder holds config.json, the tokenizer files and onnx/decoder_model_merged.onnx (what `lengua export
 * --task text-generation` writes). The decoding loop runs in a worker thread, so the event loop stays free.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { LenguaError } from '../../errors.js';
import { DEFAULT_OPTIONAL_FILES, readConfigJson, resolveModelDir, type ResolveOptions } from '../../hub/index.js';
import { callable } from '../base.js';
import { checkThreads, defaultNumThreads } from '../session.js';
import { checkIsolation, startWorkerHost, type Isolation, type WorkerHost } from '../worker-host.js';
import { checkOptions, type GenerationOptions } from '../../generation/config.js';
import { DECODER_FILE } from './onnx-decoder.js';
import { isSeq2SeqModelType } from './onnx-seq2seq.js';
import type { GeneratedRow, GenerationReply, GenerationRequest, GenerationWorkerStart } from './protocol.js';

export interface TextGenerationPipelineOptions {
  /** ONNX Runtime intra-op threads (default $LENGUA_NUM_THREADS, else 2). */
  numThreads?: number;
  /** Where the decoder runs: a worker thread (default) or a child process (a crash there ends only the worker). */
  isolation?: Isolation;
  /** Hub resolution for a model id (revision, cacheDir, offline…). */
  resolve?: Omit<ResolveOptions, 'files' | 'optionalFiles' | 'weights'>;
}

export interface TextGenerationCallOptions extends GenerationOptions {
  /** Prefix the prompt to the generated text (transformers' default true). */
  returnFullText?: boolean;
  /** Cancels the request between two steps. */
  signal?: AbortSignal;
}

export interface TextGenerationOutput {
  generated_text: string;
}

export interface StreamedToken {
  /** The token id; null on the last item when it only flushes text held back (bytes no later token completed). */
  token: number | null;
  /** The text this token made printable (may be '' while a multi-byte character is unfinished). */
  text: string;
}

/** Bounds on one call. */
export const TEXT_GENERATION_LIMITS = { prompts: 1024, promptChars: 1_000_000 };

interface Pending {
  resolve: (rows: GeneratedRow[]) => void;
  reject: (err: Error) => void;
  onTokens?: (tokens: Array<number | null>, texts: Array<string | null>) => void;
}

function workerError(m: { message: string; file?: string; field?: string }): LenguaError {
  // The worker's message already names its file and field; keep them for programs without repeating them.
  const e = new LenguaError(m.message);
  Object.assign(e, { file: m.file, field: m.field });
  return e;
}

/** An exported folder, or a Hub id resolved to one (config, tokenizer files and the merged decoder). */
export async function resolveGenerationFolder(model: string, opts: TextGenerationPipelineOptions['resolve'] = {}): Promise<string> {
  if (typeof model !== 'string' || model === '') throw new LenguaError('the model must be a folder or a Hub id', { field: 'model' });
  const local = isAbsolute(model) || model.startsWith('.') || existsSync(model);
  const dir = local ? resolve(model) : await resolveModelDir(model, { ...opts, optionalFiles: [...DEFAULT_OPTIONAL_FILES, DECODER_FILE], weights: false });
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new LenguaError('no such model folder', { file: dir });
  if (!existsSync(join(dir, DECODER_FILE))) {
    throw new LenguaError(`the folder has no ${DECODER_FILE}: run \`lengua export --model ${model} --task text-generation --out DIR\` and give DIR`, { file: dir });
  }
  return dir;
}

export class TextGenerationPipeline {
  readonly task = 'text-generation';
  private readonly pending = new Map<number, Pending>();
  // Mutable state lives in one object: the callable wrapper has this instance as prototype, and a method
  // called on the wrapper writing `this.x` would give the wrapper a field of its own.
  private readonly state: { nextId: number; failure: Error | null } = { nextId: 0, failure: null };

  private constructor(
    readonly dir: string,
    readonly threads: number,
    private readonly worker: WorkerHost,
  ) {
    worker.on('message', (m: GenerationReply) => {
      if (m.type === 'loaded' || m.type === 'failed') return;
      const p = this.pending.get(m.id);
      if (p === undefined) return;
      if (m.type === 'tokens') {
        p.onTokens?.(m.tokens, m.texts);
        return;
      }
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      if (m.type === 'done') p.resolve(m.rows);
      else p.reject(workerError(m));
    });
    worker.on('error', (err) => this.fail(new LenguaError(`the generation worker failed: ${err.message}`, { file: dir }, { cause: err })));
    worker.on('exit', (how: string) => this.fail(new LenguaError(`the generation worker stopped (${how})`, { file: dir })));
    worker.unref();
  }

  /** Loads the folder (or Hub id) in a worker thread; the pipeline is callable: `await generator(text, options)`. */
  static async create(model: string, opts: TextGenerationPipelineOptions = {}): Promise<TextGenerationPipeline & TextGenerationPipeline['run']> {
    return callable(await TextGenerationPipeline.open(model, opts, 'decoder'));
  }

  /**
   * Starts the worker on a decoder-only folder (`decoder`) or an encoder-decoder one (`seq2seq`: T5, BART, Marian, whose
   * texts are sources; see Text2TextGenerationPipeline) and waits until it has loaded.
   * @internal
   */
  static async open(model: string, opts: TextGenerationPipelineOptions, kind: 'decoder' | 'seq2seq'): Promise<TextGenerationPipeline> {
    const threads = opts.numThreads === undefined ? defaultNumThreads() : checkThreads(opts.numThreads, 'numThreads');
    const dir = await resolveGenerationFolder(model, opts.resolve);
    const { json, file } = readConfigJson(dir);
    const seq2seq = isSeq2SeqModelType(json.model_type);
    if (seq2seq !== (kind === 'seq2seq')) {
      throw new LenguaError(
        seq2seq
          ? `${String(json.model_type)} is an encoder-decoder model: use pipeline('text2text-generation' | 'translation' | 'summarization')`
          : `${String(json.model_type)} is a decoder-only model: use pipeline('text-generation')`,
        { file, field: 'model_type' },
      );
    }
    const worker = startWorkerHost(import.meta.url, 'worker', { dir, threads } satisfies GenerationWorkerStart, opts.isolation === undefined ? 'thread' : checkIsolation(opts.isolation, 'isolation'));
    await new Promise<void>((res, rej) => {
      const onExit = (how: string): void => rej(new LenguaError(`the generation worker stopped while loading (${how})`, { file: dir }));
      worker.once('error', (err) => rej(new LenguaError(`the generation worker failed while loading: ${err.message}`, { file: dir }, { cause: err })));
      worker.once('exit', onExit);
      worker.on('message', function first(m: GenerationReply) {
        if (m.type !== 'loaded' && m.type !== 'failed') return;
        worker.off('message', first);
        worker.off('exit', onExit);
        if (m.type === 'loaded') res();
        else rej(workerError(m));
      });
    }).catch(async (err: unknown) => {
      await worker.terminate();
      throw err;
    });
    return new TextGenerationPipeline(dir, threads, worker);
  }

  /**
   * One prompt → `[{generated_text}]` (numReturnSequences of them); an array of prompts → one such array per
   * prompt. Batched prompts are left-padded and decoded together.
   */
  async run(texts: string, options?: TextGenerationCallOptions): Promise<TextGenerationOutput[]>;
  async run(texts: string[], options?: TextGenerationCallOptions): Promise<TextGenerationOutput[][]>;
  async run(texts: string | string[], options: TextGenerationCallOptions = {}): Promise<TextGenerationOutput[] | TextGenerationOutput[][]> {
    const single = typeof texts === 'string';
    const prompts = checkPrompts(texts);
    const rows = await this.request(prompts, options, false);
    const n = rows.length / prompts.length;
    const full = options.returnFullText ?? true;
    const out = prompts.map((p, i) => rows.slice(i * n, (i + 1) * n).map((r) => ({ generated_text: full ? p + r.text : r.text })));
    return single ? out[0]! : out;
  }

  /** Every output row of several prompts (numReturnSequences per prompt, in order), with ids and why each ended. */
  async generateRows(texts: string[], options: TextGenerationCallOptions = {}): Promise<GeneratedRow[]> {
    return this.request(checkPrompts(texts), options, false);
  }

  /** Like `run` on one prompt, with the row's ids and why it ended. */
  async generateIds(text: string, options: TextGenerationCallOptions = {}): Promise<GeneratedRow[]> {
    return this.request(checkPrompts(text), options, false);
  }

  /**
   * Streams one prompt's tokens as they are generated (greedy search or sampling, one return sequence: a
   * beam's tokens are not final until the search ends, so transformers' streamers refuse beam search too).
   */
  async *stream(text: string, options: TextGenerationCallOptions = {}): AsyncGenerator<StreamedToken, void, undefined> {
    if ((options.numBeams ?? 1) > 1 || (options.numReturnSequences ?? 1) > 1) {
      throw new LenguaError('streaming generates one sequence: numBeams and numReturnSequences must be 1', { field: (options.numBeams ?? 1) > 1 ? 'numBeams' : 'numReturnSequences' });
    }
    const queue: StreamedToken[] = [];
    let wake: (() => void) | null = null;
    let finished = false;
    let error: Error | null = null;
    let rows: GeneratedRow[] = [];
    let printed = 0;
    const done = this.request(checkPrompts(text), options, true, (tokens, texts) => {
      const t = tokens[0];
      if (t === null || t === undefined) return;
      queue.push({ token: t, text: texts[0] ?? '' });
      wake?.();
    }).then(
      (r) => {
        rows = r;
        finished = true;
        wake?.();
      },
      (err: Error) => {
        error = err;
        finished = true;
        wake?.();
      },
    );
    while (true) {
      const next = queue.shift();
      if (next !== undefined) {
        printed += next.text.length;
        yield next;
        continue;
      }
      if (finished) break;
      await new Promise<void>((r) => (wake = r));
      wake = null;
    }
    await done;
    if (error !== null) throw error;
    const rest = rows[0]?.text.slice(printed) ?? '';
    if (rest !== '') yield { token: null, text: rest };
  }

  private request(prompts: string[], options: TextGenerationCallOptions, stream: boolean, onTokens?: Pending['onTokens']): Promise<GeneratedRow[]> {
    if (this.state.failure !== null) return Promise.reject(this.state.failure);
    const { returnFullText, signal, ...gen } = options ?? {};
    if (returnFullText !== undefined && typeof returnFullText !== 'boolean') return Promise.reject(new LenguaError(`expected true or false, got ${JSON.stringify(returnFullText)}`, { field: 'returnFullText' }));
    try {
      checkOptions(gen);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    if (signal?.aborted === true) return Promise.reject(new LenguaError('generation was cancelled', { field: 'signal' }));
    const id = this.state.nextId++;
    return new Promise<GeneratedRow[]>((resolve, reject) => {
      // A cancelled request cannot interrupt ORT mid-step; the worker finishes it and the reply is dropped.
      const onAbort = (): void => {
        if (!this.pending.delete(id)) return;
        if (this.pending.size === 0) this.worker.unref();
        reject(new LenguaError('generation was cancelled', { field: 'signal' }));
      };
      const settle = <T>(fn: (v: T) => void) => (v: T): void => {
        signal?.removeEventListener('abort', onAbort);
        fn(v);
      };
      this.pending.set(id, { resolve: settle(resolve), reject: settle(reject), ...(onTokens !== undefined ? { onTokens } : {}) });
      this.worker.ref();
      this.worker.post({ id, prompts, options: gen, stream } satisfies GenerationRequest);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** False once the worker has stopped (disposed or crashed). */
  get alive(): boolean {
    return this.state.failure === null;
  }

  /** Ends the worker; later calls are refused. */
  async dispose(): Promise<void> {
    this.state.failure ??= new LenguaError('the pipeline was disposed', { file: this.dir });
    await this.worker.terminate();
  }

  private fail(err: Error): void {
    const failure = (this.state.failure ??= err);
    for (const p of this.pending.values()) p.reject(failure);
    this.pending.clear();
  }
}

function checkPrompts(texts: unknown): string[] {
  const list = typeof texts === 'string' ? [texts] : texts;
  if (!Array.isArray(list) || list.length === 0) throw new LenguaError('expected a prompt or a non-empty array of prompts', { field: 'texts' });
  if (list.length > TEXT_GENERATION_LIMITS.prompts) throw new LenguaError(`at most ${TEXT_GENERATION_LIMITS.prompts} prompts per call, got ${list.length}`, { field: 'texts' });
  list.forEach((t, i) => {
    if (typeof t !== 'string') throw new LenguaError(`prompt ${i} is a ${typeof t}, not a string`, { field: `texts[${i}]` });
    if (t.length > TEXT_GENERATION_LIMITS.promptChars) throw new LenguaError(`prompt ${i} has ${t.length} characters; at most ${TEXT_GENERATION_LIMITS.promptChars}`, { field: `texts[${i}]` });
  });
  return list as string[];
}
