/**
 * Where a pipeline's ONNX Runtime work runs, off the caller's event loop: a worker thread, or a child
 * process. Both speak the same messages (session-protocol.ts, generation/protocol.ts); the pipeline does
 * not know which one it has.
 *
 * - `thread` (a library call's default): cheapest to start, shares the process. A crash in native code
 *   takes the whole process with it, and so does ending a worker thread while ONNX Runtime computes in
 *   it (measured: `worker.terminate()` during a run aborts the process).
 * - `process` (the server's default): its own process, talking over an IPC channel with structured-clone
 *   serialization (typed arrays cross as they are). A crash, an out-of-memory kill or a SIGKILL of it ends
 *   only that worker: the owner sees it exit, fails its pending calls and can start another.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { LenguaError } from '../errors.js';

export type Isolation = 'thread' | 'process';
export const ISOLATIONS: readonly Isolation[] = ['thread', 'process'];

export function checkIsolation(v: unknown, field: string): Isolation {
  if (!(ISOLATIONS as readonly unknown[]).includes(v)) throw new LenguaError(`expected ${ISOLATIONS.join(' or ')}, got ${JSON.stringify(v)}`, { field });
  return v as Isolation;
}

/** The environment variable that carries a process worker's start data (a thread gets it as workerData). */
export const WORKER_DATA_ENV = 'LENGUA_WORKER_DATA';

/**
 * One worker, thread or process. Events: `message` (a reply), `exit` (a description: "exit code 1",
 * "killed by SIGKILL"), `error`.
 */
export interface WorkerHost extends EventEmitter {
  readonly isolation: Isolation;
  /** The process id of a process worker (undefined for a thread). */
  readonly pid: number | undefined;
  post(message: unknown, transfer?: ArrayBuffer[]): void;
  /** Holds the owner's process open (while calls are in flight) or lets it exit. */
  ref(): void;
  unref(): void;
  /** Ends the worker; resolves once it has stopped. */
  terminate(): Promise<void>;
}

/** Starts the worker module `name` (a file beside `base`, without its extension) with `data`. */
export function startWorkerHost(base: string, name: string, data: unknown, isolation: Isolation): WorkerHost {
  const ts = base.endsWith('.ts');
  const url = new URL(`./${name}.${ts ? 'ts' : 'js'}`, base);
  return isolation === 'process' ? new ProcessHost(url, ts, data) : new ThreadHost(url, ts, data);
}

class ThreadHost extends EventEmitter implements WorkerHost {
  readonly isolation = 'thread';
  readonly pid = undefined;
  private readonly worker: Worker;

  constructor(url: URL, ts: boolean, data: unknown) {
    super();
    // From the sources the worker loads TypeScript through tsx's API: a worker inherits no module hooks.
    this.worker = ts
      ? new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`, { eval: true, workerData: data })
      : new Worker(url, { workerData: data });
    this.worker.on('message', (m) => this.emit('message', m));
    this.worker.on('error', (err) => this.emit('error', err));
    this.worker.on('exit', (code) => this.emit('exit', `exit code ${code}`));
  }

  post(message: unknown, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(message, transfer);
  }

  ref(): void {
    this.worker.ref();
  }

  unref(): void {
    this.worker.unref();
  }

  /**
   * Asks the worker to end itself, which it does when its event loop next turns: between two ONNX Runtime
   * runs (a run blocks the worker's thread). `worker.terminate()` during a run aborts the whole process
   * (onnxruntime-node throws from native code), so it is only the fallback for a worker that does not answer.
   */
  async terminate(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.ref();
    try {
      this.worker.postMessage(CLOSE);
    } catch {
      // already gone
    }
    const hard = setTimeout(() => void this.worker.terminate(), TERMINATE_FALLBACK_MS);
    await exited;
    clearTimeout(hard);
  }
}

/** The message that asks a worker to end itself (see ThreadHost.terminate). */
const CLOSE = { lenguaWorkerClose: true } as const;
/** How long a worker may take to end itself before it is terminated (a run longer than this aborts the process). */
const TERMINATE_FALLBACK_MS = 60_000;

function isClose(m: unknown): boolean {
  return typeof m === 'object' && m !== null && (m as { lenguaWorkerClose?: unknown }).lenguaWorkerClose === true;
}

class ProcessHost extends EventEmitter implements WorkerHost {
  readonly isolation = 'process';
  private readonly child: ChildProcess;
  private exited: Promise<void>;

  constructor(url: URL, ts: boolean, data: unknown) {
    super();
    this.child = fork(fileURLToPath(url), [], {
      // From the sources the child loads TypeScript through tsx; the parent's own flags (a profiler, an
      // inspector port) are not passed on.
      execArgv: ts ? ['--import', import.meta.resolve('tsx')] : [],
      env: { ...process.env, [WORKER_DATA_ENV]: JSON.stringify(data) },
      serialization: 'advanced',
      // The child's stdout goes to the parent's stderr: a CLI's stdout (a URL, a key) stays its own.
      stdio: ['ignore', 2, 'inherit', 'ipc'],
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.emit('exit', signal !== null ? `killed by ${signal}` : `exit code ${code}`);
        resolve();
      });
    });
    this.child.on('message', (m) => this.emit('message', m));
    this.child.on('error', (err) => this.emit('error', err));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  post(message: unknown): void {
    // A child that has just died: its exit event fails the pending calls, this one included.
    if (!this.child.connected) return;
    this.child.send(message as object, (err) => {
      if (err !== null && err !== undefined && this.child.connected) this.emit('error', err);
    });
  }

  ref(): void {
    this.child.ref();
    this.child.channel?.ref();
  }

  unref(): void {
    this.child.unref();
    this.child.channel?.unref();
  }

  async terminate(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      // An unref'd child would let the loop end before its exit is seen.
      this.child.ref();
      this.child.kill('SIGTERM');
      // A child stuck in native code is ended for sure.
      const hard = setTimeout(() => this.child.kill('SIGKILL'), 2000);
      hard.unref();
      await this.exited;
      clearTimeout(hard);
    }
  }
}

/** The worker's side: its start data and its channel to the owner, in a thread or a process alike. */
export interface HostPort<Start> {
  start: Start;
  post(message: unknown, transfer?: ArrayBuffer[]): void;
  onMessage<M>(f: (message: M) => void): void;
}

export async function hostPort<Start>(): Promise<HostPort<Start>> {
  const { isMainThread, parentPort, workerData } = await import('node:worker_threads');
  if (!isMainThread && parentPort !== null) {
    const port = parentPort;
    // The owner's request to end: handled when this thread's event loop turns, so never inside a run.
    port.on('message', (m: unknown) => {
      if (isClose(m)) process.exit(0);
    });
    return {
      start: workerData as Start,
      post: (m, transfer = []) => port.postMessage(m, transfer),
      onMessage: <M>(f: (message: M) => void) => {
        port.on('message', (m: unknown) => {
          if (!isClose(m)) f(m as M);
        });
      },
    };
  }
  if (process.send === undefined) throw new Error('this module runs as a Lengua worker (a worker thread or a forked process)');
  // The owner went away (its process ended): so does the worker.
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
  return {
    start: JSON.parse(process.env[WORKER_DATA_ENV] ?? 'null') as Start,
    post: (m) => {
      if (process.connected) process.send!(m as object);
    },
    onMessage: <M>(f: (message: M) => void) => {
      process.on('message', (m) => f(m as M));
    },
  };
}
