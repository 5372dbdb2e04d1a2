/**
 * Prometheus metrics of one server (its own prom-client Registry, so two servers in one process, as in
 * tests, do not share counters): requests, latency, queue depth, batch sizes and tokens per model and
 * version, errors by type, and prom-client's process metrics (event-loop lag, memory, CPU).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'model' | 'route' | 'status'>;
  readonly latency: Histogram<'model' | 'route'>;
  readonly errors: Counter<'model' | 'error_type'>;
  readonly batchSize: Histogram<'model' | 'version'>;
  readonly batchTokens: Histogram<'model' | 'version'>;
  readonly queueWait: Histogram<'model' | 'version'>;
  readonly inputTokens: Histogram<'model' | 'version'>;
  readonly modelInfo: Gauge<'model' | 'version' | 'task'>;
  readonly reloads: Counter<'model' | 'reason'>;

  constructor(queueDepth: () => Array<{ model: string; version: string; depth: number; pending: number }>) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'lengua_' });
    this.requests = new Counter({ name: 'lengua_requests_total', help: 'HTTP requests answered, by model (or "-"), route and status code', labelNames: ['model', 'route', 'status'], registers });
    this.latency = new Histogram({
      name: 'lengua_request_duration_seconds', help: 'Time from request to response', labelNames: ['model', 'route'], registers,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    });
    this.errors = new Counter({ name: 'lengua_errors_total', help: 'Error responses by type (error_type of the body)', labelNames: ['model', 'error_type'], registers });
    this.batchSize = new Histogram({ name: 'lengua_batch_size', help: 'Requests per batch', labelNames: ['model', 'version'], registers, buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256] });
    this.batchTokens = new Histogram({ name: 'lengua_batch_tokens', help: 'Tokens per batch', labelNames: ['model', 'version'], registers, buckets: [16, 64, 256, 1024, 4096, 16384, 65536] });
    this.queueWait = new Histogram({ name: 'lengua_queue_wait_seconds', help: 'Time a request waited in the queue before its batch started', labelNames: ['model', 'version'], registers, buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1] });
    this.inputTokens = new Histogram({ name: 'lengua_input_tokens', help: 'Tokens per input text', labelNames: ['model', 'version'], registers, buckets: [8, 16, 32, 64, 128, 256, 512, 1024] });
    this.modelInfo = new Gauge({ name: 'lengua_model_info', help: 'The version served under each name (1 = served)', labelNames: ['model', 'version', 'task'], registers });
    this.reloads = new Counter({ name: 'lengua_model_reloads_total', help: 'Model versions swapped in (promotion, admin reload, crashed worker replaced)', labelNames: ['model', 'reason'], registers });
    // Read at scrape time, so the gauges are never stale.
    new Gauge({
      name: 'lengua_queue_depth', help: 'Requests waiting for a batch', labelNames: ['model', 'version'], registers,
      collect() {
        this.reset();
        for (const q of queueDepth()) this.set({ model: q.model, version: q.version }, q.depth);
      },
    });
    new Gauge({
      name: 'lengua_requests_pending', help: 'Requests accepted and not yet answered (queued or in a running batch)', labelNames: ['model', 'version'], registers,
      collect() {
        this.reset();
        for (const q of queueDepth()) this.set({ model: q.model, version: q.version }, q.pending);
      },
    });
  }
}
