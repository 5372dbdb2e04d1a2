/**
 * Dynamic batching: requests for one model wait in a queue and leave it in batches formed by a token
 * budget and a request count, as Text Embeddings Inference forms them (`--max-batch-tokens`,
 * `--max-batch-requests`, `--max-concurrent-requests`). A batch starts when a runner is
 * free (`concurrency` batches run at once, one per model worker) and either the budget is full or the
 * oldest request has waited `maxWaitMs`. Requests whose client went
 * away or whose deadline passed leave the queue without running.
 */
import { HttpError } from './errors.js';

export interface BatcherOptions {
  /** Tokens per batch (sum of the requests' costs). A single request over it runs alone. */
  maxBatchTokens: number;
  /** Requests per batch. */
  maxBatchRequests: number;
  /** Requests queued or running at once; more are refused with 429. */
  maxConcurrentRequests: number;
  /** How long the oldest queued request may wait for others to join its batch. */
  maxWaitMs: number;
  /** Batches running at once (the model's workers; default 1). */
  concurrency?: number;
}

export const DEFAULT_BATCHER: BatcherOptions = { maxBatchTokens: 16_384, maxBatchRequests: 64, maxConcurrentRequests: 512, maxWaitMs: 2 };

export interface BatchItem<I, O> {
  input: I;
  /** Tokens this item costs in the budget. */
  cost: number;
  /** Items batch together only with items of the same group (the same call options). */
  group: string;
  signal?: AbortSignal;
  /** Epoch ms after which the item is dropped from the queue with 504. */
  deadline?: number;
  resolve: (out: O) => void;
  reject: (err: Error) => void;
}

export interface BatchStats {
  requests: number;
  tokens: number;
  waitedMs: number[];
}

export class Batcher<I, O> {
  private readonly queue: Array<BatchItem<I, O> & { enqueued: number }> = [];
  private running = 0;
  private inFlight = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly runBatch: (inputs: I[], group: string) => Promise<O[]>,
    readonly options: BatcherOptions,
    private readonly onBatch: (s: BatchStats) => void = () => undefined,
  ) {}

  /** Requests queued, not yet in a batch. */
  get depth(): number {
    return this.queue.length;
  }

  /** Requests accepted and not yet answered (queued or in a running batch). */
  get pending(): number {
    return this.inFlight;
  }

  submit(item: Omit<BatchItem<I, O>, 'resolve' | 'reject'>): Promise<O> {
    if (this.closed) return Promise.reject(new HttpError(503, 'unhealthy', 'the model is being unloaded; retry'));
    if (this.inFlight >= this.options.maxConcurrentRequests) {
      return Promise.reject(new HttpError(429, 'overloaded', `the model's queue is full (${this.options.maxConcurrentRequests} requests); retry later`, { retryAfter: 1 }));
    }
    return new Promise<O>((resolve, reject) => {
      this.inFlight++;
      const done = (): void => {
        this.inFlight--;
        if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
      };
      this.queue.push({
        ...item,
        enqueued: Date.now(),
        resolve: (o) => { done(); resolve(o); },
        reject: (e) => { done(); reject(e); },
      });
      this.schedule();
    });
  }

  /** Refuses new requests and resolves once every accepted one is answered. */
  async drain(): Promise<void> {
    this.closed = true;
    if (this.inFlight === 0) return;
    await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  private schedule(): void {
    if (this.running >= (this.options.concurrency ?? 1) || this.queue.length === 0) return;
    const oldest = this.queue[0]!;
    const wait = oldest.enqueued + this.options.maxWaitMs - Date.now();
    const full = this.queue.length >= this.options.maxBatchRequests || this.queue.reduce((s, q) => s + q.cost, 0) >= this.options.maxBatchTokens;
    if (wait > 0 && !full && !this.closed) {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        this.schedule();
      }, wait);
      return;
    }
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.start();
  }

  private start(): void {
    const now = Date.now();
    // Drop the abandoned and the expired before they take a place in the batch.
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const q = this.queue[i]!;
      if (q.signal?.aborted === true) {
        this.queue.splice(i, 1);
        q.reject(new HttpError(499, 'client_closed', 'the client closed the connection'));
      } else if (q.deadline !== undefined && now > q.deadline) {
        this.queue.splice(i, 1);
        q.reject(new HttpError(504, 'timeout', 'the request waited longer than the server timeout'));
      }
    }
    if (this.queue.length === 0) return;
    const group = this.queue[0]!.group;
    const batch: typeof this.queue = [];
    let tokens = 0;
    for (let i = 0; i < this.queue.length && batch.length < this.options.maxBatchRequests; ) {
      const q = this.queue[i]!;
      if (q.group !== group) { i++; continue; }
      if (batch.length > 0 && tokens + q.cost > this.options.maxBatchTokens) break;
      batch.push(q);
      tokens += q.cost;
      this.queue.splice(i, 1);
    }
    this.running++;
    this.onBatch({ requests: batch.length, tokens, waitedMs: batch.map((q) => now - q.enqueued) });
    this.runBatch(batch.map((q) => q.input), group)
      .then((outs) => {
        if (outs.length !== batch.length) throw new Error(`the batch gave ${outs.length} results for ${batch.length} inputs`);
        batch.forEach((q, k) => q.resolve(outs[k]!));
      })
      .catch((err: unknown) => {
        for (const q of batch) q.reject(err instanceof Error ? err : new Error(String(err)));
      })
      .finally(() => {
        this.running--;
        this.schedule();
      });
    // Another runner may be free for what is left.
    this.schedule();
  }
}
