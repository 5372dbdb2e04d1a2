/**
 * A served model: its pipelines (`workers` of them, each with its ONNX session in a worker thread), its
 * tokenizer for budgeting and length checks, and its batcher, which runs one batch per pipeline at once. The server never loads libtorch: everything here comes from src/infer.
 *
 * A `ModelSlot` holds the version currently served under a name. Swapping in a new version loads it
 * first, then points new requests at it, then lets the old one finish what it accepted before disposing
 * it — so a promotion under load fails no request.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { LenguaError } from '../errors.js';
import { defaultNumThreads, pipeline, PIPELINE_TASKS, TEXT2TEXT_TASKS, type Isolation, type PipelineTask, type Text2TextTask } from '../infer/index.js';
import { AutoTokenizer, type PreTrainedTokenizer } from '../text/index.js';
import { firstArchitecture, pipelineTaskOfArchitecture } from '../hub/index.js';
import { Batcher, type BatcherOptions, type BatchStats } from './batcher.js';
import type { ModelSpec } from './server.js';

export type ServeTask = PipelineTask | Text2TextTask;
/** Every task `lengua serve` serves. */
export const SERVE_TASKS: readonly ServeTask[] = [...PIPELINE_TASKS, ...TEXT2TEXT_TASKS];

/** The task a folder serves, from config.json's architectures as transformers' pipelines read them. */
export function detectTask(config: Record<string, unknown>, file: string): ServeTask {
  const arch = firstArchitecture(config);
  // An encoder-decoder serves text2text-generation; --task NAME=translation or summarization names what it was trained for.
  const task = pipelineTaskOfArchitecture(arch);
  if (task === null) throw new LenguaError(`cannot tell which task ${JSON.stringify(arch ?? '')} serves; name it with --task NAME=TASK`, { file, field: 'architectures' });
  return task;
}

/**
 * Workers and threads per model when the caller names neither: a session per core up to 4, the cores
 * shared among them ($LENGUA_NUM_THREADS fixes the threads; the workers then fill the cores). Several
 * single-thread sessions beat one multi-thread session on short inputs: ONNX Runtime's intra-op threads
 * meet at every operator, and a tweet's operators are small. Measured on 2 cores (4 × 256 BERT, tweets,
 * bench serve's load): 2 workers × 1 thread served 697–810 req/s at 64 connections where 1 × 2 served
 * 604–613, and 629–666 against 476–528 at 16 connections with a lower p99.
 */
export function defaultParallelism(opts: { workers?: number; numThreads?: number } = {}, cores = availableParallelism(), env: Record<string, string | undefined> = process.env): { workers: number; numThreads: number } {
  const fromEnv = env.LENGUA_NUM_THREADS === undefined || env.LENGUA_NUM_THREADS === '' ? undefined : defaultNumThreads(env);
  const threads = opts.numThreads ?? fromEnv;
  const workers = opts.workers ?? Math.max(1, Math.min(4, Math.floor(cores / (threads ?? 1))));
  return { workers, numThreads: threads ?? Math.max(1, Math.floor(cores / workers)) };
}

export interface LoadOptions {
  task?: ServeTask;
  /** ONNX Runtime threads per worker. */
  numThreads?: number;
  /** Sessions per model, each running its own batch (default 1). */
  workers?: number;
  /** Where each session runs: a worker thread, or a child process (a crash there ends only that worker). */
  isolation?: Isolation;
  dtype?: 'fp32' | 'q8';
  batcher: BatcherOptions;
  onBatch?: (model: LoadedModel, s: BatchStats) => void;
}

/** A generation request: the whole job on one pipeline, run alone (the decoder has its own KV-cache batching inside one call). */
export type GenerationJob = (pipe: AnyPipeline) => Promise<unknown>;

/** A pipeline as the server drives it: texts and one call-options object per batch. */
export interface AnyPipeline {
  run(...args: unknown[]): Promise<unknown>;
  dispose(): Promise<void>;
  readonly alive?: boolean;
}

export class LoadedModel {
  readonly batcher: Batcher<unknown, unknown>;
  /** The weights' type as TEI's /info names it. */
  readonly dtype: 'float32' | 'int8';
  private disposed = false;

  private constructor(
    readonly name: string,
    readonly version: string,
    readonly task: ServeTask,
    readonly dir: string,
    readonly config: Record<string, unknown>,
    readonly tokenizer: PreTrainedTokenizer,
    /** One pipeline per worker; a batch takes an idle one (the batcher runs at most this many at once). */
    readonly pipes: AnyPipeline[],
    /** Tokens the model takes at most (inputs longer are refused with 422 unless truncation is asked). */
    readonly maxTokens: number,
    opts: LoadOptions,
  ) {
    this.dtype = opts.dtype === 'q8' && task !== 'text-generation' ? 'int8' : 'float32';
    // A batch takes an idle pipeline whose worker is alive: while a model with a dead worker is being
    // replaced, its other workers go on serving. With every worker dead, the batch fails (503) at once.
    const idle = [...pipes];
    const waiting: Array<() => void> = [];
    const acquire = async (): Promise<AnyPipeline> => {
      for (;;) {
        const i = idle.findLastIndex((p) => p.alive !== false);
        if (i >= 0) return idle.splice(i, 1)[0]!;
        if (!pipes.some((p) => p.alive !== false)) return pipes[0]!;
        await new Promise<void>((r) => waiting.push(r));
      }
    };
    const onIdle = async <T>(f: (pipe: AnyPipeline) => Promise<T>): Promise<T> => {
      const pipe = await acquire();
      try {
        return await f(pipe);
      } finally {
        if (!idle.includes(pipe)) idle.push(pipe);
        waiting.shift()?.();
      }
    };
    const run = this.task === 'text-generation'
      ? (jobs: unknown[]) => onIdle(async (pipe) => [await (jobs[0] as GenerationJob)(pipe)])
      : (texts: unknown[], group: string) => onIdle(async (pipe) => {
        const o = JSON.parse(group) as { callOptions: Record<string, unknown>; candidateLabels?: string[] };
        const out = this.task === 'zero-shot-classification'
          ? await pipe.run(texts, o.candidateLabels, o.callOptions)
          : await pipe.run(texts, o.callOptions);
        return out as unknown[];
      });
    const concurrency = pipes.length;
    const batcher = this.task === 'text-generation' ? { ...opts.batcher, maxBatchRequests: 1, concurrency } : { ...opts.batcher, concurrency };
    this.batcher = new Batcher(run, batcher, (s) => opts.onBatch?.(this, s));
  }

  static async load(name: string, version: string, dir: string, opts: LoadOptions): Promise<LoadedModel> {
    const configFile = join(dir, 'config.json');
    if (!existsSync(configFile)) throw new LenguaError('no config.json: serve an exported folder (lengua export) or a training folder', { file: dir });
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    const task = opts.task ?? detectTask(config, configFile);
    const pipeOpts = { ...(opts.numThreads !== undefined ? { numThreads: opts.numThreads } : {}), ...(opts.isolation !== undefined ? { isolation: opts.isolation } : {}), ...(opts.dtype !== undefined && task !== 'text-generation' ? { dtype: opts.dtype } : {}) };
    const workers = opts.workers ?? 1;
    // Loaded one after another: two sessions optimizing one graph at once only slow each other down.
    const pipes: AnyPipeline[] = [];
    try {
      for (let w = 0; w < workers; w++) pipes.push((await pipeline(task, dir, pipeOpts as never)) as unknown as AnyPipeline);
      const pipe = pipes[0]!;
      const tokenizer = 'tokenizer' in pipe ? (pipe as unknown as { tokenizer: PreTrainedTokenizer }).tokenizer : await AutoTokenizer.fromPretrained(dir);
      const maxTokens = 'maxLength' in pipe ? (pipe as unknown as { maxLength: number }).maxLength : tokenizer.modelMaxLength;
      return new LoadedModel(name, version, task, dir, config, tokenizer, pipes, maxTokens, opts);
    } catch (err) {
      await Promise.all(pipes.map((p) => p.dispose()));
      throw err;
    }
  }

  /** The first pipeline (what a route needs besides running batches: its tokenizer, its model folder). */
  get pipe(): AnyPipeline {
    return this.pipes[0]!;
  }

  /**
   * False once a pipeline's worker has died (a crash, not a bad input): the slot replaces the model. One
   * dead worker replaces the whole model, so a reload always starts from the same state.
   */
  get alive(): boolean {
    return !this.disposed && this.pipes.every((p) => p.alive !== false);
  }

  /** Finishes the accepted requests, then ends the worker. */
  async retire(): Promise<void> {
    await this.batcher.drain();
    await this.dispose();
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await Promise.all(this.pipes.map((p) => p.dispose()));
  }
}

/** The version served under one name, swapped without dropping requests. */
export class ModelSlot {
  private swapping: Promise<void> = Promise.resolve();

  constructor(
    public current: LoadedModel,
    /** Where the model comes from, for reloads: a folder, or a registry reference. */
    public spec: ModelSpec,
  ) {}

  get name(): string {
    return this.current.name;
  }

  /** Serves `next` from now on; the previous version finishes its accepted requests, then is disposed. */
  swap(next: LoadedModel): Promise<void> {
    const old = this.current;
    this.current = next;
    this.swapping = this.swapping.then(() => old.retire()).catch(() => undefined);
    return this.swapping;
  }

  async close(): Promise<void> {
    await this.swapping;
    await this.current.retire();
  }
}
