/**
 * A served model: one pipeline (its ONNX session in a worker thread), its tokenizer for budgeting and
 * length checks, and its batcher. The server never loads libtorch: everything here comes from src/infer.
 *
 * A `ModelSlot` holds the version currently served under a name. Swapping in a new version loads it
 * first, then points new requests at it, then lets the old one finish what it accepted before disposing
 * it — so a promotion under load fails no request.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LenguaError } from '../errors.js';
import { pipeline, type PipelineTask } from '../infer/index.js';
import { AutoTokenizer, type PreTrainedTokenizer } from '../text/index.js';
import { Batcher, type BatcherOptions, type BatchStats } from './batcher.js';
import type { ModelSpec } from './server.js';

export type ServeTask = PipelineTask;

/** The task a folder serves, from config.json's architectures as transformers' pipelines read them. */
export function detectTask(config: Record<string, unknown>, file: string): ServeTask {
  const arch = Array.isArray(config.architectures) ? String(config.architectures[0] ?? '') : '';
  if (arch.endsWith('ForSequenceClassification')) return 'text-classification';
  if (arch.endsWith('ForTokenClassification')) return 'token-classification';
  if (arch.endsWith('ForMaskedLM')) return 'fill-mask';
  if (arch.endsWith('LMHeadModel') || arch.endsWith('ForCausalLM')) return 'text-generation';
  if (/^[A-Za-z0-9]+Model$/.test(arch)) return 'feature-extraction';
  throw new LenguaError(`cannot tell which task ${JSON.stringify(arch)} serves; name it with --task NAME=TASK`, { file, field: 'architectures' });
}

export interface LoadOptions {
  task?: ServeTask;
  numThreads?: number;
  dtype?: 'fp32' | 'q8';
  batcher: BatcherOptions;
  onBatch?: (model: LoadedModel, s: BatchStats) => void;
}

/** A generation request: the whole job, run alone (the decoder has its own KV-cache batching inside one call). */
export type GenerationJob = () => Promise<unknown>;

/** A pipeline as the server drives it: texts and one call-options object per batch. */
interface AnyPipeline {
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
    readonly pipe: AnyPipeline,
    /** Tokens the model takes at most (inputs longer are refused with 422 unless truncation is asked). */
    readonly maxTokens: number,
    opts: LoadOptions,
  ) {
    this.dtype = opts.dtype === 'q8' && task !== 'text-generation' ? 'int8' : 'float32';
    const run = this.task === 'text-generation'
      ? async (jobs: unknown[]) => [await (jobs[0] as GenerationJob)()]
      : async (texts: unknown[], group: string) => {
        const o = JSON.parse(group) as { callOptions: Record<string, unknown>; candidateLabels?: string[] };
        const out = this.task === 'zero-shot-classification'
          ? await this.pipe.run(texts, o.candidateLabels, o.callOptions)
          : await this.pipe.run(texts, o.callOptions);
        return out as unknown[];
      };
    const batcher = this.task === 'text-generation' ? { ...opts.batcher, maxBatchRequests: 1 } : opts.batcher;
    this.batcher = new Batcher(run, batcher, (s) => opts.onBatch?.(this, s));
  }

  static async load(name: string, version: string, dir: string, opts: LoadOptions): Promise<LoadedModel> {
    const configFile = join(dir, 'config.json');
    if (!existsSync(configFile)) throw new LenguaError('no config.json: serve an exported folder (lengua export) or a training folder', { file: dir });
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    const task = opts.task ?? detectTask(config, configFile);
    const pipeOpts = { ...(opts.numThreads !== undefined ? { numThreads: opts.numThreads } : {}), ...(opts.dtype !== undefined && task !== 'text-generation' ? { dtype: opts.dtype } : {}) };
    const pipe = (await pipeline(task, dir, pipeOpts as never)) as unknown as AnyPipeline;
    try {
      const tokenizer = 'tokenizer' in pipe ? (pipe as unknown as { tokenizer: PreTrainedTokenizer }).tokenizer : await AutoTokenizer.fromPretrained(dir);
      const maxTokens = 'maxLength' in pipe ? (pipe as unknown as { maxLength: number }).maxLength : tokenizer.modelMaxLength;
      return new LoadedModel(name, version, task, dir, config, tokenizer, pipe, maxTokens, opts);
    } catch (err) {
      await pipe.dispose();
      throw err;
    }
  }

  /** False once the pipeline's worker has died (a crash, not a bad input): the slot replaces the model. */
  get alive(): boolean {
    return !this.disposed && this.pipe.alive !== false;
  }

  /** Finishes the accepted requests, then ends the worker. */
  async retire(): Promise<void> {
    await this.batcher.drain();
    await this.dispose();
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.pipe.dispose();
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
