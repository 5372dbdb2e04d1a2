/**
 * OnnxSession: one ONNX Runtime session in its own worker (a thread, or a child process: worker-host.ts),
 * created once and reused for every batch of the pipeline that owns it. The worker keeps the process
 * alive only while a batch is in flight, so a pipeline left open never holds a script from exiting;
 * `dispose()` ends it.
 */
import { existsSync } from 'node:fs';
import { LenguaError } from '../errors.js';
import type { WorkerReply, WorkerRequest, WorkerStart } from './session-protocol.js';
import { startWorkerHost, type Isolation, type WorkerHost } from './worker-host.js';

// onnxruntime-node's Linux library starts a telemetry client (its collector is Microsoft's) unless this is
// set: inference here must not reach out. Set before any worker loads ONNX Runtime; a user's value wins.
process.env.ORT_DISABLE_TELEMETRY ??= '1';

/** ORT intra-op threads: the option, else $LENGUA_NUM_THREADS, else 2 (the measuring setup). */
export function defaultNumThreads(env: Record<string, string | undefined> = process.env): number {
  const raw = env.LENGUA_NUM_THREADS;
  if (raw === undefined || raw === '') return 2;
  return checkThreads(Number(raw), 'LENGUA_NUM_THREADS');
}

export function checkThreads(n: number, field: string): number {
  if (!Number.isSafeInteger(n) || n < 1 || n > 1024) throw new LenguaError(`threads must be an integer in [1, 1024], got ${n}`, { field });
  return n;
}

export interface OutputTensor {
  data: Float32Array;
  dims: number[];
}

interface Pending {
  resolve: (out: Record<string, OutputTensor>) => void;
  reject: (err: Error) => void;
}

export class OnnxSession {
  readonly file: string;
  readonly threads: number;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  private readonly worker: WorkerHost;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: Error | null = null;

  private constructor(file: string, threads: number, worker: WorkerHost, inputNames: string[], outputNames: string[]) {
    this.file = file;
    this.threads = threads;
    this.worker = worker;
    this.inputNames = Object.freeze(inputNames);
    this.outputNames = Object.freeze(outputNames);
    worker.on('message', (m: WorkerReply) => {
      if (m.type !== 'result' && m.type !== 'error') return;
      const p = this.pending.get(m.id);
      if (p === undefined) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      if (m.type === 'result') p.resolve(m.outputs);
      else p.reject(new LenguaError(`ONNX Runtime failed on a batch: ${m.message}`, { file: this.file }));
    });
    worker.on('error', (err) => this.fail(new LenguaError(`the ONNX Runtime worker failed: ${err.message}`, { file: this.file }, { cause: err })));
    worker.on('exit', (how: string) => this.fail(new LenguaError(`the ONNX Runtime worker stopped (${how})`, { file: this.file })));
    worker.unref();
  }

  /** Starts a worker (a thread unless `isolation` says process) and loads `file` there with `threads` intra-op threads. */
  static async create(file: string, threads: number, isolation: Isolation = 'thread'): Promise<OnnxSession> {
    checkThreads(threads, 'numThreads');
    if (!existsSync(file)) throw new LenguaError('no ONNX file here', { file });
    const worker = startWorkerHost(import.meta.url, 'session-worker', { file, threads } satisfies WorkerStart, isolation);
    const loaded = await new Promise<{ inputNames: string[]; outputNames: string[] }>((resolve, reject) => {
      const onExit = (how: string): void => reject(new LenguaError(`the ONNX Runtime worker stopped while loading (${how})`, { file }));
      worker.once('error', (err) => reject(new LenguaError(`the ONNX Runtime worker failed while loading: ${err.message}`, { file }, { cause: err })));
      worker.once('exit', onExit);
      worker.on('message', function first(m: WorkerReply) {
        if (m.type !== 'loaded' && m.type !== 'failed') return;
        worker.off('message', first);
        worker.off('exit', onExit);
        if (m.type === 'loaded') resolve(m);
        else reject(new LenguaError(`ONNX Runtime cannot load the model: ${m.message}`, { file }));
      });
    }).catch(async (err: unknown) => {
      await worker.terminate();
      throw err;
    });
    return new OnnxSession(file, threads, worker, loaded.inputNames, loaded.outputNames);
  }

  /** Runs one batch of int64 inputs; resolves with the float32 outputs asked for. */
  run(feeds: WorkerRequest['feeds'], outputs: string[]): Promise<Record<string, OutputTensor>> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      const transfer = Object.values(feeds).map((f) => f.data.buffer as ArrayBuffer);
      this.worker.post({ id, feeds, outputs } satisfies WorkerRequest, transfer);
    });
  }

  /** False once the worker has stopped (disposed, crashed or failed): every later run is refused. */
  get alive(): boolean {
    return this.failure === null;
  }

  /** Ends the worker (and the session with it); later runs are refused. */
  async dispose(): Promise<void> {
    if (this.failure === null) this.failure = new LenguaError('the pipeline was disposed', { file: this.file });
    await this.worker.terminate();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }
}
