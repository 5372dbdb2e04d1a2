/**
 * `createServer()`: the inference server behind `lengua serve` — Fastify with a JSON schema per route,
 * the Hugging Face Inference API, Text Embeddings Inference and OpenAI-compatible routes, dynamic batching
 * per model in worker threads, Prometheus metrics, structured sampled logs, limits with the right status
 * codes, hot swaps of model versions and a graceful close. It runs on ONNX Runtime only (src/infer).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import helmet from '@fastify/helmet';
import cors from '@fastify/cors';
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { LenguaError } from '../errors.js';
import type { Isolation } from '../infer/index.js';
import { DEFAULT_BATCHER, type BatcherOptions } from './batcher.js';
import { clientError, DEFAULT_LIMITS, ServeContext, type ServeLimits } from './context.js';
import { HttpError, type ErrorBody } from './errors.js';
import { ServerMetrics } from './metrics.js';
import { defaultParallelism, LoadedModel, ModelSlot, type ServeTask } from './models.js';
import { registerHfRoutes } from './routes-hf.js';
import { registerOpenAiRoutes } from './routes-openai.js';
import { registerTeiRoutes } from './routes-tei.js';
import type { AuditLog } from './audit.js';
import { authPlugin } from './auth.js';
import { FEEDBACK_BODY_SCHEMA, feedbackItems, ModelMonitor, monitoringSnapshot } from './monitoring.js';
import { materialize, Registry, type ResolvedRef } from '../registry/index.js';

export const SERVER_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface ModelSpec {
  /** The name routes use (default: the folder's name). */
  name?: string;
  /** A model folder (exported or a training folder), or `registry:NAME[@VERSION|@STAGE]`. */
  source: string;
  task?: ServeTask;
}

/** Where a source's files are and which version they are. The default reads folders; the registry adds `registry:`. */
export type SourceResolver = (source: string) => Promise<{ dir: string; version: string }>;

export interface ServerOptions {
  models: ModelSpec[];
  host?: string;
  port?: number;
  /** Largest request body in bytes (default 2 MB, as TEI). */
  maxPayloadBytes?: number;
  batcher?: Partial<BatcherOptions>;
  limits?: Partial<ServeLimits>;
  /** ONNX Runtime threads per worker (default: see defaultParallelism). */
  numThreads?: number;
  /** Sessions per model, each running its own batch (default: see defaultParallelism). */
  workers?: number;
  /**
   * Where each session runs (default `process`): a child process, so that a crash in ONNX Runtime, an
   * out-of-memory kill or a SIGKILL ends only that worker and the server replaces it; or a worker thread
   * (lighter, but a native crash takes the server down).
   */
  isolation?: Isolation;
  dtype?: 'fp32' | 'q8';
  tls?: { cert: string; key: string };
  /** Origins allowed by CORS; CORS is off without them. */
  corsOrigins?: string[];
  /** Request logs (pino, JSON lines): off, or where they go; a share of requests logged; inputs only when asked. */
  log?: { stream: NodeJS.WritableStream; level?: string; sample?: number; inputs?: boolean };
  resolveSource?: SourceResolver;
  /** The API key file (`lengua keys`); absent or null: every route is open. */
  keys?: string | null;
  /** Who may read /metrics when keys are on (default open, as Prometheus scrapes without a key). */
  metricsScope?: 'open' | 'predict' | 'admin';
  /** Where auth failures and admin actions are recorded. */
  audit?: AuditLog;
  /** The registry `registry:NAME…` sources come from (default `$LENGUA_HOME/registry`, no key). */
  registry?: { root?: string; key?: Uint8Array; cacheDir?: string };
  /** How often a registry source that follows a stage (or the latest version) is looked at, in ms (default 1000; 0: never). */
  watchIntervalMs?: number;
}

function folderResolver(source: string): Promise<{ dir: string; version: string }> {
  return Promise.resolve({ dir: resolve(source), version: 'local' });
}

export function modelName(spec: ModelSpec): string {
  const name = spec.name ?? basename(resolve(spec.source.replace(/^registry:/, '').replace(/@[^/]*$/, '')));
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name)) throw new LenguaError(`model name ${JSON.stringify(name)} must be letters, digits, '.', '_' or '-' (name it with NAME=DIR)`, { field: '--model' });
  return name;
}

export class LenguaServer {
  readonly app: FastifyInstance;
  readonly ctx: ServeContext;
  readonly metrics: ServerMetrics;
  private readonly resolveSource: SourceResolver;
  private readonly batcher: BatcherOptions;
  private closing = false;
  private readonly reloading = new Map<string, Promise<void>>();
  /** Drift and live-accuracy monitors of the classifier versions being served (with their gauges' removers). */
  private readonly monitors = new Map<LoadedModel, { monitor: ModelMonitor; unregister: () => void }>();

  private registry: Promise<Registry> | null = null;
  private watcher: NodeJS.Timeout | null = null;
  private healthCheck: NodeJS.Timeout | null = null;

  private constructor(private readonly opts: ServerOptions) {
    this.resolveSource = opts.resolveSource ?? ((source) => (source.startsWith('registry:') ? this.fromRegistry(source) : folderResolver(source)));
    this.batcher = { ...DEFAULT_BATCHER, ...opts.batcher };
    this.metrics = new ServerMetrics(() => [...this.ctx.slots.values()].map((s) => ({ model: s.name, version: s.current.version, depth: s.current.batcher.depth, pending: s.current.batcher.pending })));
    this.ctx = new ServeContext({ ...DEFAULT_LIMITS, ...opts.limits }, this.metrics);
    this.ctx.onDead = (slot) => this.replaceDead(slot);
    this.ctx.observers.push((model, observed, request) => this.monitors.get(model)?.monitor.observeRequest(observed, request.id, request.apiKey?.id));
    this.app = Fastify({
      bodyLimit: opts.maxPayloadBytes ?? 2 * 1024 * 1024,
      ...(opts.tls !== undefined ? { https: { cert: readFileSync(opts.tls.cert), key: readFileSync(opts.tls.key) } } : {}),
      logger: opts.log !== undefined ? { level: opts.log.level ?? 'info', stream: opts.log.stream, redact: ['req.headers.authorization', 'headers.authorization'] } : false,
      // Fastify's own per-request lines are off: the onResponse hook writes one sampled line per request.
      logController: new LogController({ disableRequestLogging: true }),
      // Random request ids, echoed as x-request-id: feedback names the prediction by it.
      genReqId: () => randomUUID(),
      // Keep-alive connections that sit idle do not hold a shutdown back.
      forceCloseConnections: 'idle',
      return503OnClosing: true,
    }) as unknown as FastifyInstance;
  }

  /** Loads every model, then registers the routes; `listen()` starts serving. */
  static async create(opts: ServerOptions): Promise<LenguaServer> {
    if (opts.models.length === 0) throw new LenguaError('serve at least one model (--model NAME=DIR)', { field: '--model' });
    const server = new LenguaServer(opts);
    const names = new Set<string>();
    try {
      for (const spec of opts.models) {
        const name = modelName(spec);
        if (names.has(name)) throw new LenguaError(`two models are named ${JSON.stringify(name)}; name them with NAME=DIR`, { field: '--model' });
        names.add(name);
        const model = await server.load(name, spec);
        server.ctx.slots.set(name, new ModelSlot(model, spec));
      }
      await server.setup();
      server.watch();
    } catch (err) {
      await server.close();
      throw err;
    }
    return server;
  }

  /** `registry:NAME[@VERSION|@STAGE]` → the version's files, materialized (hashes checked) in the registry's cache. */
  private async resolveRegistryRef(source: string): Promise<ResolvedRef> {
    this.registry ??= Registry.open({
      ...(this.opts.registry?.root !== undefined ? { root: this.opts.registry.root } : {}),
      ...(this.opts.registry?.key !== undefined ? { key: this.opts.registry.key } : {}),
    });
    return (await this.registry).resolveRef(source.slice('registry:'.length));
  }

  private async fromRegistry(source: string): Promise<{ dir: string; version: string }> {
    const ref = await this.resolveRegistryRef(source);
    const m = await materialize(ref, this.opts.registry?.cacheDir);
    return { dir: m.dir, version: m.version };
  }

  /**
   * Follows registry sources that name a stage (or no version): when the stage moves, the new version is
   * loaded and swapped in as an admin reload would, without dropping a request.
   */
  private watch(): void {
    // A worker that dies while idle is replaced now, not after a request has failed on it.
    this.healthCheck = setInterval(() => {
      for (const slot of this.ctx.slots.values()) if (!slot.current.alive) this.replaceDead(slot);
    }, 200);
    this.healthCheck.unref();
    const every = this.opts.watchIntervalMs ?? 1000;
    const followed = [...this.ctx.slots.values()].filter((s) => s.spec.source.startsWith('registry:') && !/@\d/.test(s.spec.source));
    if (every <= 0 || followed.length === 0) return;
    let busy = false;
    this.watcher = setInterval(() => {
      if (busy || this.closing) return;
      busy = true;
      void (async () => {
        for (const slot of followed) {
          try {
            const ref = await this.resolveRegistryRef(slot.spec.source);
            if (ref.version !== slot.current.version && !this.closing) {
              const from = slot.current.version;
              await this.reload(slot.name, 'stage');
              this.app.log.info({ model: slot.name, from, to: ref.version }, 'stage moved: new version serving');
              this.opts.audit?.admin({ action: 'model.follow', actor: 'registry', model: slot.name, source: slot.spec.source, from, to: ref.version });
            }
          } catch (err) {
            this.app.log.error({ model: slot.name, err: (err as Error).message }, 'following the registry failed; the current version keeps serving');
          }
        }
      })().finally(() => {
        busy = false;
      });
    }, every);
    this.watcher.unref();
  }

  private async load(name: string, spec: ModelSpec): Promise<LoadedModel> {
    const { dir, version } = await this.resolveSource(spec.source);
    const model = await LoadedModel.load(name, version, dir, {
      ...(spec.task !== undefined ? { task: spec.task } : {}),
      ...defaultParallelism({
        ...(this.opts.numThreads !== undefined ? { numThreads: this.opts.numThreads } : {}),
        ...(this.opts.workers !== undefined ? { workers: this.opts.workers } : {}),
      }),
      ...(this.opts.dtype !== undefined ? { dtype: this.opts.dtype } : {}),
      isolation: this.opts.isolation ?? 'process',
      batcher: this.batcher,
      onBatch: (m, s) => {
        const labels = { model: m.name, version: m.version };
        this.metrics.batchSize.observe(labels, s.requests);
        this.metrics.batchTokens.observe(labels, s.tokens);
        for (const w of s.waitedMs) this.metrics.queueWait.observe(labels, w / 1000);
      },
    });
    this.metrics.modelInfo.set({ model: name, version, task: model.task }, 1);
    if (model.task === 'text-classification') {
      const monitor = ModelMonitor.forModel({ model: name, version, dir, config: model.config });
      this.monitors.set(model, { monitor, unregister: monitor.registerMetrics(this.metrics.registry) });
    }
    return model;
  }

  /**
   * Loads the source's current version (or `source`, when given) and swaps it in under `name`; requests
   * already accepted by the old version finish on it. Resolves once the new version serves.
   */
  async reload(name: string, reason: 'admin' | 'stage' | 'crash', source?: string): Promise<{ version: string }> {
    const slot = this.ctx.slot(name);
    const spec = source !== undefined ? { ...slot.spec, source } : slot.spec;
    const previous = this.reloading.get(name) ?? Promise.resolve();
    let version = '';
    const next = previous.then(async () => {
      const model = await this.load(name, spec);
      const old = slot.current;
      slot.spec = spec;
      void slot.swap(model).then(() => this.forget(old));
      if (old.version !== model.version) this.metrics.modelInfo.remove({ model: name, version: old.version, task: old.task });
      this.metrics.reloads.inc({ model: name, reason });
      version = model.version;
    });
    this.reloading.set(name, next.catch(() => undefined));
    await next;
    return { version };
  }

  /** Drops a retired version's monitor and its gauges. */
  private forget(model: LoadedModel): void {
    const m = this.monitors.get(model);
    if (m === undefined) return;
    m.unregister();
    this.monitors.delete(model);
  }

  private replaceDead(slot: ModelSlot): void {
    if (this.closing || this.reloading.has(`dead:${slot.name}`) || slot.current.alive) return;
    const done = this.reload(slot.name, 'crash')
      .catch((err: unknown) => this.app.log.error({ model: slot.name, err: (err as Error).message }, 'replacing a crashed model failed'))
      .finally(() => this.reloading.delete(`dead:${slot.name}`));
    this.reloading.set(`dead:${slot.name}`, done.then(() => undefined));
  }

  private onlyClassifier(): ModelSlot {
    const cls = [...this.ctx.slots.values()].filter((s) => s.current.task === 'text-classification');
    if (cls.length !== 1) throw new HttpError(422, 'validation', `name the model in the body ("model"): ${cls.length === 0 ? 'no classifier is served' : `${cls.length} classifiers are served`}`);
    return cls[0]!;
  }

  get ready(): boolean {
    return !this.closing && [...this.ctx.slots.values()].every((s) => s.current.alive);
  }

  private async setup(): Promise<void> {
    const app = this.app;
    await app.register(helmet, { global: true });
    if (this.opts.corsOrigins !== undefined && this.opts.corsOrigins.length > 0) await app.register(cors, { origin: this.opts.corsOrigins });
    await app.register(authPlugin, { keys: this.opts.keys ?? null, metrics: this.opts.metricsScope ?? 'open', ...(this.opts.audit !== undefined ? { audit: this.opts.audit } : {}) });

    app.setErrorHandler((err: FastifyError, request, reply) => this.sendError(err, request, reply));
    app.setNotFoundHandler((request, reply) => this.sendError(new HttpError(404, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`), request, reply));

    // While closing, answers end their connection: an idle keep-alive connection would hold close() for
    // the keep-alive timeout (72 s in Fastify).
    app.addHook('onSend', async (request, reply, payload) => {
      void reply.header('x-request-id', request.id);
      if (this.closing) void reply.header('connection', 'close');
      // Errors by type, whoever answered them (the routes, or the auth plugin's 401/403/429).
      if (reply.statusCode >= 400 && typeof payload === 'string' && payload.length < 65_536) {
        let type = 'unknown';
        try {
          type = String((JSON.parse(payload) as { error_type?: unknown }).error_type ?? 'unknown');
        } catch {
          // not JSON: counted as unknown
        }
        this.metrics.errors.inc({ model: (request.params as { name?: string } | undefined)?.name ?? '-', error_type: type });
      }
      return payload;
    });

    const sample = this.opts.log?.sample ?? 1;
    app.addHook('onResponse', async (request, reply) => {
      const model = (request.params as { name?: string } | undefined)?.name ?? '-';
      const route = request.routeOptions.url ?? 'unmatched';
      this.metrics.requests.inc({ model, route, status: String(reply.statusCode) });
      this.metrics.latency.observe({ model, route }, reply.elapsedTime / 1000);
      if (this.opts.log !== undefined && (reply.statusCode >= 400 || Math.random() < sample)) {
        const body = this.opts.log.inputs === true ? (request.body as { inputs?: unknown } | undefined)?.inputs : undefined;
        request.log.info({
          method: request.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10, model,
          key: request.apiKey?.name,
          ...(body !== undefined ? { inputs: JSON.stringify(body).slice(0, 2000) } : {}),
        }, 'request');
      }
    });

    app.get('/health', { config: { scope: 'open' } }, async () => ({ status: 'ok' }));
    app.get('/ready', { config: { scope: 'open' } }, async (_request, reply) => {
      const models = [...this.ctx.slots.values()].map((s) => ({ name: s.name, version: s.current.version, task: s.current.task, alive: s.current.alive }));
      if (!this.ready) return reply.code(503).send({ status: this.closing ? 'closing' : 'unavailable', models });
      return { status: 'ready', models };
    });
    app.get('/metrics', { config: { scope: 'metrics' } }, async (_request, reply) => {
      void reply.header('content-type', this.metrics.registry.contentType);
      return this.metrics.registry.metrics();
    });

    app.get('/monitoring', { config: { scope: 'metrics' } }, async () => monitoringSnapshot([...this.monitors.values()].map((m) => m.monitor)));
    app.post('/feedback', { schema: { body: FEEDBACK_BODY_SCHEMA }, config: { scope: 'predict' } }, async (request) => {
      const { model, items } = feedbackItems(request.body);
      const slot = model !== undefined ? this.ctx.pick(['text-classification'], model) : this.onlyClassifier();
      const m = this.monitors.get(slot.current);
      if (m === undefined) throw new HttpError(404, 'not_found', `model ${slot.name} is not monitored`);
      return m.monitor.feedbackBatch(items, request.apiKey?.id);
    });

    app.get('/admin/models', { config: { scope: 'admin' } }, async () => [...this.ctx.slots.values()].map((s) => ({
      name: s.name, source: s.spec.source, version: s.current.version, task: s.current.task, dir: s.current.dir,
      queue: s.current.batcher.depth, pending: s.current.batcher.pending, alive: s.current.alive,
    })));
    app.post<{ Params: { name: string }; Body: { source?: string } | undefined }>('/admin/models/:name/reload', {
      schema: { body: { type: ['object', 'null'], properties: { source: { type: 'string', maxLength: 4096 } } } },
      config: { scope: 'admin' },
    }, async (request) => {
      const actor = request.apiKey !== null ? `key:${request.apiKey.name}` : `ip:${request.ip}`;
      const from = this.ctx.slot(request.params.name).current.version;
      try {
        const { version } = await this.reload(request.params.name, 'admin', request.body?.source);
        this.opts.audit?.admin({ action: 'model.reload', actor, model: request.params.name, from, to: version, ...(request.body?.source !== undefined ? { source: request.body.source } : {}) });
        return { name: request.params.name, version };
      } catch (err) {
        this.opts.audit?.admin({ action: 'model.reload', actor, model: request.params.name, from, failed: (err as Error).message });
        throw err;
      }
    });

    registerHfRoutes(app, this.ctx);
    registerTeiRoutes(app, this.ctx, SERVER_VERSION);
    registerOpenAiRoutes(app, this.ctx);
  }

  private sendError(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
    let e = clientError(err);
    const fe = err as FastifyError;
    if (e === null) {
      if (fe.validation !== undefined) e = new HttpError(400, 'validation', `${fe.validationContext ?? 'body'}${fe.message.replace(/^(body|querystring|params)/, '')}`);
      else if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') e = new HttpError(413, 'payload_too_large', `the request body is over the limit of ${this.app.initialConfig.bodyLimit} bytes`);
      else if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') e = new HttpError(415, 'validation', 'send JSON (content-type: application/json)');
      else if (fe.statusCode !== undefined && fe.statusCode >= 400 && fe.statusCode < 500) e = new HttpError(fe.statusCode, 'validation', fe.message);
      else if (err instanceof LenguaError) {
        // A pipeline that failed on the model's side (ONNX Runtime, a dead worker): no stack, no paths.
        e = new HttpError(424, 'backend', 'the model failed on this request');
        request.log.error({ err: err.message }, 'model failure');
      } else {
        e = new HttpError(500, 'internal', 'internal error');
        request.log.error({ err: err.message, stack: err.stack }, 'internal error');
      }
    }
    if (e.status === 499) return reply; // the client is gone; nobody reads an answer
    if (e.retryAfter !== undefined) void reply.header('retry-after', String(e.retryAfter));
    if (e.status === 401) void reply.header('www-authenticate', 'Bearer');
    return reply.code(e.status).send({ error: e.message, error_type: e.errorType } satisfies ErrorBody);
  }

  async listen(): Promise<string> {
    return this.app.listen({ host: this.opts.host ?? '127.0.0.1', port: this.opts.port ?? 8080 });
  }

  /** Stops accepting, answers what was accepted, then ends every model's worker. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.watcher !== null) clearInterval(this.watcher);
    if (this.healthCheck !== null) clearInterval(this.healthCheck);
    await this.app.close();
    await Promise.all([...this.reloading.values()]);
    await Promise.all([...this.ctx.slots.values()].map((s) => s.close()));
    for (const model of [...this.monitors.keys()]) this.forget(model);
  }
}
