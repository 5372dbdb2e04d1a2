/**
 * `lengua serve --model [NAME=]DIR|registry:NAME[@VERSION|@STAGE] ... --port N`: the inference server
 * (src/serve) on ONNX Runtime. It prints the URL on stdout once every model is loaded and serving, and
 * closes gracefully on SIGTERM / SIGINT: stop accepting, answer what was accepted, exit 0.
 */
import { Command, Option } from 'commander';
import { LenguaError } from '../errors.js';
import { parseKey, readKeyFile } from '../registry/index.js';
import { AuditLog, defaultAuditPath } from '../serve/audit.js';
import { DEFAULT_BATCHER } from '../serve/batcher.js';
import { DEFAULT_LIMITS } from '../serve/context.js';
import { SERVE_TASKS, type ServeTask } from '../serve/models.js';
import { LenguaServer, type ModelSpec, type ServerOptions } from '../serve/server.js';
import { intFlag } from './options.js';

interface ServeFlags {
  model: string[];
  task: string[];
  host: string;
  port: string;
  threads?: string;
  workers?: string;
  isolation?: 'thread' | 'process';
  dtype?: 'fp32' | 'q8';
  maxBatchTokens: string;
  maxBatchRequests: string;
  maxConcurrentRequests: string;
  maxWaitMs: string;
  maxClientBatchSize: string;
  maxPayload: string;
  timeoutMs: string;
  maxNewTokens: string;
  tlsCert?: string;
  tlsKey?: string;
  cors: string[];
  log?: boolean;
  logSample: string;
  logInputs?: boolean;
  keys?: string;
  metrics: 'open' | 'predict' | 'admin';
  audit?: string;
  registry?: string;
  encryptionKeyFile?: string;
  watchMs: string;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** The registry's key: --encryption-key-file, else LENGUA_REGISTRY_KEY, else none (a plain registry). Never printed. */
function registryKey(flags: ServeFlags): Uint8Array | undefined {
  if (flags.encryptionKeyFile !== undefined) return readKeyFile(flags.encryptionKeyFile);
  const env = process.env.LENGUA_REGISTRY_KEY;
  return env !== undefined && env !== '' ? parseKey(env, 'LENGUA_REGISTRY_KEY') : undefined;
}


/** `--model` values: `NAME=SOURCE` or `SOURCE`; `--task NAME=TASK` overrides a model's detected task. */
export function modelSpecs(models: string[], tasks: string[]): ModelSpec[] {
  const taskOf = new Map<string, ServeTask>();
  for (const t of tasks) {
    const m = /^([^=]+)=(.+)$/.exec(t);
    if (m === null || !(SERVE_TASKS as readonly string[]).includes(m[2]!)) throw new LenguaError(`expected NAME=TASK with TASK one of ${SERVE_TASKS.join(', ')}, got ${JSON.stringify(t)}`, { field: '--task' });
    taskOf.set(m[1]!, m[2] as ServeTask);
  }
  const specs = models.map((v): ModelSpec => {
    // A name is a plain word before '='; `registry:` sources and paths may hold '=' only after that.
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)=(.+)$/.exec(v);
    return m !== null ? { name: m[1]!, source: m[2]! } : { source: v };
  });
  for (const s of specs) {
    const name = s.name ?? s.source;
    const t = taskOf.get(name);
    if (t !== undefined) s.task = t;
  }
  return specs;
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve models over HTTP: the Hugging Face Inference API, Text Embeddings Inference and OpenAI-compatible routes, on ONNX Runtime')
    .option('--model <[name=]source>', 'a model to serve: an exported folder, a training folder, or registry:NAME[@VERSION|@production|@staging] (repeat for several)', collect, [])
    .option('--task <name=task>', `the task of a model when config.json does not tell it (${SERVE_TASKS.join(', ')})`, collect, [])
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port to listen on (0: any free port)', '8080')
    .option('--workers <n>', 'ONNX Runtime sessions per model, each in its worker thread running its own batch (default: one per core, at most 4)')
    .addOption(new Option('--isolation <where>', 'where each worker runs: a child process (a crash ends only that worker, which is replaced) or a thread (lighter; a native crash ends the server)').choices(['process', 'thread']).default('process'))
    .option('--threads <n>', 'ONNX Runtime threads per worker (default $LENGUA_NUM_THREADS, else the cores shared among the workers)')
    .addOption(new Option('--dtype <dtype>', 'weights to load: fp32 (onnx/model.onnx) or q8 (onnx/model_quantized.onnx)').choices(['fp32', 'q8']))
    .option('--max-batch-tokens <n>', 'tokens per batch', String(DEFAULT_BATCHER.maxBatchTokens))
    .option('--max-batch-requests <n>', 'inputs per batch', String(DEFAULT_BATCHER.maxBatchRequests))
    .option('--max-concurrent-requests <n>', 'inputs queued or running per model; more get 429', String(DEFAULT_BATCHER.maxConcurrentRequests))
    .option('--max-wait-ms <n>', 'how long the oldest queued input waits for others to join its batch', String(DEFAULT_BATCHER.maxWaitMs))
    .option('--max-client-batch-size <n>', 'inputs per request', String(DEFAULT_LIMITS.maxClientBatchSize))
    .option('--max-payload <bytes>', 'largest request body; larger get 413', String(2 * 1024 * 1024))
    .option('--timeout-ms <n>', 'time a request may take; later it gets 504', String(DEFAULT_LIMITS.timeoutMs))
    .option('--max-new-tokens <n>', 'new tokens one generation request may ask for', String(DEFAULT_LIMITS.maxNewTokens))
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM), with --tls-key')
    .option('--tls-key <file>', 'the private key of --tls-cert (PEM)')
    .option('--cors <origin>', 'allow cross-origin requests from this origin (repeat; CORS is off without it)', collect, [])
    .option('--keys <file>', 'API key file (lengua keys create …; default none: every route is open)')
    .addOption(new Option('--metrics <scope>', 'who may read /metrics when keys are on').choices(['open', 'predict', 'admin']).default('open'))
    .option('--audit <file>', 'audit log of auth failures and admin actions (JSON lines; default $LENGUA_HOME/audit.jsonl when --keys is given)')
    .option('--registry <dir>', 'the registry of registry:NAME sources (default $LENGUA_HOME/registry)')
    .option('--encryption-key-file <file>', 'the key of an encrypted registry (or set LENGUA_REGISTRY_KEY)')
    .option('--watch-ms <n>', 'how often a registry:NAME@STAGE source is checked for a moved stage (0: never)', '1000')
    .option('--log', 'JSON request logs on stderr (pino); inputs are left out')
    .option('--log-sample <p>', 'share of successful requests logged (errors always are)', '1')
    .option('--log-inputs', 'also log request inputs (at most 2,000 characters each)')
    .action(async (flags: ServeFlags) => {
      if (flags.model.length === 0) throw new LenguaError('name at least one model: --model NAME=DIR', { field: '--model' });
      if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) throw new LenguaError('give both --tls-cert and --tls-key', { field: flags.tlsCert === undefined ? '--tls-cert' : '--tls-key' });
      const sample = Number(flags.logSample);
      if (!(sample >= 0 && sample <= 1)) throw new LenguaError(`expected a number in [0, 1], got ${JSON.stringify(flags.logSample)}`, { field: '--log-sample' });
      const opts: ServerOptions = {
        models: modelSpecs(flags.model, flags.task),
        host: flags.host,
        port: intFlag(flags.port, '--port', 0, 65535),
        ...(flags.threads !== undefined ? { numThreads: intFlag(flags.threads, '--threads', 1, 1024) } : {}),
        ...(flags.workers !== undefined ? { workers: intFlag(flags.workers, '--workers', 1, 64) } : {}),
        ...(flags.isolation !== undefined ? { isolation: flags.isolation } : {}),
        ...(flags.dtype !== undefined ? { dtype: flags.dtype } : {}),
        batcher: {
          maxBatchTokens: intFlag(flags.maxBatchTokens, '--max-batch-tokens', 1, 10_000_000),
          maxBatchRequests: intFlag(flags.maxBatchRequests, '--max-batch-requests', 1, 100_000),
          maxConcurrentRequests: intFlag(flags.maxConcurrentRequests, '--max-concurrent-requests', 1, 1_000_000),
          maxWaitMs: intFlag(flags.maxWaitMs, '--max-wait-ms', 0, 60_000),
        },
        limits: {
          maxClientBatchSize: intFlag(flags.maxClientBatchSize, '--max-client-batch-size', 1, 100_000),
          timeoutMs: intFlag(flags.timeoutMs, '--timeout-ms', 1, 3_600_000),
          maxNewTokens: intFlag(flags.maxNewTokens, '--max-new-tokens', 1, 100_000),
        },
        maxPayloadBytes: intFlag(flags.maxPayload, '--max-payload', 1024, 1024 * 1024 * 1024),
        ...(flags.tlsCert !== undefined && flags.tlsKey !== undefined ? { tls: { cert: flags.tlsCert, key: flags.tlsKey } } : {}),
        ...(flags.cors.length > 0 ? { corsOrigins: flags.cors } : {}),
        ...(flags.log === true ? { log: { stream: process.stderr, sample, inputs: flags.logInputs === true } } : {}),
        keys: flags.keys ?? null,
        registry: {
          ...(flags.registry !== undefined ? { root: flags.registry } : {}),
          ...(registryKey(flags) !== undefined ? { key: registryKey(flags)! } : {}),
        },
        watchIntervalMs: intFlag(flags.watchMs, '--watch-ms', 0, 3_600_000),
        metricsScope: flags.metrics,
        ...(flags.keys !== undefined || flags.audit !== undefined ? { audit: new AuditLog(flags.audit ?? defaultAuditPath()) } : {}),
      };
      if (flags.keys === undefined) {
        const loopback = ['127.0.0.1', '::1', 'localhost'].includes(flags.host);
        process.stderr.write(`warning: no --keys: every route is open${loopback ? '' : ` to anyone who reaches ${flags.host}`}. Create keys with lengua keys create --name NAME --scope predict\n`);
      }
      // Until the server serves, a signal just ends the process (nothing is accepted yet); as PID 1 in a
      // container, Node would otherwise ignore SIGTERM while the models load.
      const early = (signal: string): void => {
        process.stderr.write(`${signal} while loading: stopping\n`);
        process.exit(0);
      };
      const onTerm = (): void => early('SIGTERM');
      const onInt = (): void => early('SIGINT');
      process.once('SIGTERM', onTerm);
      process.once('SIGINT', onInt);
      const server = await LenguaServer.create(opts);
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      let url: string;
      try {
        url = await server.listen();
      } catch (err) {
        await server.close();
        throw err;
      }
      for (const s of server.ctx.slots.values()) process.stderr.write(`serving ${s.name} (${s.current.task}, version ${s.current.version}) at ${url}/models/${s.name}\n`);
      process.stdout.write(`${url}\n`);
      await new Promise<void>((resolve) => {
        const stop = (signal: string): void => {
          process.stderr.write(`${signal}: finishing accepted requests, then stopping\n`);
          server.close().then(resolve, (err: unknown) => {
            process.stderr.write(`lengua: closing failed: ${(err as Error).message}\n`);
            resolve();
          });
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
    });
}
