/**
 * `lengua serve` under load and under faults, on loopback only, against a naive server on the same exported
 * model: Fastify + Transformers.js' `pipeline('text-classification')`, one pipeline call per request (what one
 * writes without a batcher). Both servers are child processes with the same CPU budget: 2 ONNX Runtime threads (`--threads`), one
 * session for the naive server, a single-thread worker per thread for lengua serve (its default); the
 * load comes from autocannon in this process, every request one real tweet (TweetEval sentiment validation
 * texts of ../shared/data), each request the next tweet. The model is a BERT classifier of the small shape
 * (4 layers × 256) with random weights, exported with its tokenizer (bench/inference-int8.ts's helpers).
 *
 * Configurations (one JSON line each; `ratio` is Lengua's over the reference's, higher is better, and null
 * where no reference runs):
 * - `saturated-64`: 64 connections as fast as each server answers; req/s (200s), p50, p99 of both.
 * - `p99<=50ms`: the throughput each server sustains while its p99 stays <= 50 ms. autocannon's
 *   `overallRate` does not give a steady offered rate (each connection sends its per-second quota back to
 *   back when a second starts, and its coordinated-omission correction assumes an interval of 1/rate ms), so
 *   the load is stepped by connections instead (closed loop): a bisection over the connection count, a step
 *   passing when p99 <= 50 ms, every answer 200 and no socket error; the passing step with the most req/s is
 *   reported, with every step. Goal: >= 3x the naive server.
 * - `overload`: 512 connections against a server started with a small --max-concurrent-requests: 429s carry
 *   Retry-After, every other answer is 200, no socket error or timeout (the client waits 40 s, past the
 *   server's own 30 s timeout, so a timeout is a request never answered), RSS (VmRSS of the server child,
 *   sampled every 500 ms) bounded: at most 1.5x its RSS after warm-up at 64 connections. The server's own
 *   counts (/metrics) are reported beside the client's.
 * - `soak`: `--soak N` requests (default 100,000) at 64 connections; RSS every 2 s; flat when every sample after
 *   the warm-up (the first 20 % of the run) is within 10 % of the first sample after it; passes when none is
 *   above it by more than 10 % (a fall is a GC returning pages, not a leak). The main thread's JS
 *   heap (from /metrics, every 10 s) is reported beside it, to tell JS objects from native memory.
 * - `promote-under-load`: `POST /admin/models/m/reload` three times while 64 connections load the server
 *   (API keys off, so the admin route is open): zero non-200 answers.
 * - `kill-worker-between-batches` and `kill-worker-mid-batch`: a model worker of `lengua serve` (a child
 *   process of the server) is killed with SIGKILL from this bench, as a crash or the kernel's OOM killer would
 *   end it: once while it is mostly idle (8 connections, --max-wait-ms 300), once with a batch surely inside
 *   (64 connections; stopped 300 ms before the kill). Passes when the server stays up, every non-200 is a 503,
 *   no socket fails, the model is replaced (one `reason="crash"` reload, /ready 200, as many workers as
 *   before) and 200s come back.
 * - `engine-ceiling`: no HTTP. The pipeline alone, in this process, on 1,000 of the same tweets: one tweet
 *   per call on one session with the naive server's threads (what it computes per request), against windows
 *   of 32 tweets in arrival order on lengua serve's workers (what its batches compute). Their ratio is the
 *   most any batching server could gain over one call per request on this model and machine, were HTTP free:
 *   it tells how far the `p99<=50ms` goal is from what the arithmetic allows.
 *
 * Before every measurement the bench waits until both servers use no CPU: a server keeps computing requests
 * whose clients went away (the naive one runs every request it took), and that must not land on the next step.
 *
 *   npm run bench -- serve [--duration 10] [--soak 100000] [--skip-soak] [--threads 2] [--workers N] [--config small]
 *                          [--overload-connections 512] [--overload-max-concurrent 32]
 *
 * Flag of the child mode (internal): --naive-child SPEC.
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { arg, bertBaseUncasedTokenizer, CONFIGS, randomBertClassifier, tweetTexts } from './inference-int8.js';
import { defaultParallelism } from '../src/serve/models.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');
const REFERENCE = 'naive-transformers.js';
const P99_LIMIT_MS = 50;
const GOAL = 3;
/** Where the connection search stops going up (it starts from the 64-connection saturated run). */
const MAX_CONNECTIONS = 256;
/** Longest tweet body the naive server takes (the Lengua server has its own limits). */
const MAX_INPUT_CHARS = 10_000;

// ---------------------------------------------------------------- child modes

interface NaiveSpec {
  /** Transformers.js' localModelPath and the model folder's name in it. */
  root: string;
  id: string;
  threads: number;
}

/** The naive server: Fastify and one Transformers.js pipeline call per request; prints its URL, stops on SIGTERM. */
async function naiveChild(spec: NaiveSpec): Promise<number> {
  const { pipeline, env } = await import('@huggingface/transformers');
  const { default: Fastify } = await import('fastify');
  env.allowRemoteModels = false;
  env.localModelPath = spec.root + '/';
  const clf = await pipeline('text-classification', spec.id, { dtype: 'fp32', session_options: { intraOpNumThreads: spec.threads, interOpNumThreads: 1 } });
  const app = Fastify({ bodyLimit: 64 * 1024 });
  app.post<{ Body: { inputs: string } }>('/models/:name', {
    schema: { body: { type: 'object', required: ['inputs'], properties: { inputs: { type: 'string', maxLength: MAX_INPUT_CHARS } } } },
  }, async (request) => [await clf(request.body.inputs)]); // [[{label, score}]], the HF Inference API's shape
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(`${url}\n`);
  await new Promise<void>((done) => process.once('SIGTERM', () => done()));
  await app.close();
  await clf.dispose();
  return 0;
}


// ---------------------------------------------------------------- server children

/** A server in a child process: started, its URL read from the first line of its stdout. */
class ServerChild {
  private exitCode: number | null | undefined = undefined;
  /** The exit code, or the signal that ended it; undefined while it runs. */
  exitStatus: number | string | undefined = undefined;
  private readonly exited: Promise<number | null>;

  private constructor(readonly name: string, readonly proc: ChildProcess, readonly url: string, exited: Promise<number | null>, readonly tail: string[]) {
    this.exited = exited;
    void exited.then((c) => { this.exitCode = c; });
    proc.once('exit', (code, signal) => { this.exitStatus = code ?? signal ?? undefined; });
  }

  static async start(name: string, args: string[]): Promise<ServerChild> {
    const proc = spawn(process.execPath, args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    createInterface({ input: proc.stderr! }).on('line', (l) => {
      tail.push(l);
      if (tail.length > 40) tail.shift();
      process.stderr.write(`  [${name}] ${l}\n`);
    });
    const exited = new Promise<number | null>((done) => proc.once('exit', (code) => done(code)));
    const url = await new Promise<string>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`${name}: no URL on stdout after 300 s`)), 300_000);
      createInterface({ input: proc.stdout! }).on('line', (l) => {
        if (/^https?:\/\//.test(l)) {
          clearTimeout(timer);
          done(l.trim());
        }
      });
      void exited.then((code) => {
        clearTimeout(timer);
        fail(new Error(`${name}: exited (code ${code}) before serving:\n${tail.join('\n')}`));
      });
    }).catch((err: unknown) => {
      proc.kill('SIGKILL');
      throw err;
    });
    return new ServerChild(name, proc, url, exited, tail);
  }

  get pid(): number {
    return this.proc.pid!;
  }

  get alive(): boolean {
    return this.exitCode === undefined;
  }

  /** SIGTERM, then the exit code (SIGKILL after 60 s: null). */
  async stop(): Promise<number | null> {
    if (!this.alive) return this.exitCode ?? null;
    this.proc.kill('SIGTERM');
    // Unreferenced: a pending 60 s timer must not hold this process open once the child has exited.
    const code = await Promise.race([this.exited, sleep(60_000, undefined, { ref: false }).then(() => 'late' as const)]);
    if (code !== 'late') return code;
    this.proc.kill('SIGKILL');
    await this.exited;
    return null;
  }
}

// ---------------------------------------------------------------- measurements

/** VmRSS of a process, in MiB (NaN once it is gone). */
/** The child processes of `pid` (Linux /proc). */
function childPids(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((t) => readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').split(' ').filter((x) => x.trim() !== '').map(Number));
  } catch {
    return [];
  }
}

/** VmRSS of `pid` and every process below it (a server's model workers are child processes), in MB. */
function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return (m === null ? NaN : Number(m[1]) / 1024) + childPids(pid).reduce((sum, c) => sum + rssMb(c), 0);
  } catch {
    return NaN;
  }
}

/** CPU time (user + system, in clock ticks, every thread) a process has used so far (NaN once it is gone). */
function cpuTicks(pid: number): number {
  try {
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const rest = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').at(-1)!.split(' ');
    return Number(rest[11]) + Number(rest[12]);
  } catch {
    return NaN;
  }
}

/**
 * Waits (30 s at most) until every server is idle: under 2 clock ticks of CPU in 250 ms. A server whose
 * clients went away may still be computing their requests (the naive one runs every request it took), and
 * that work must not land on the next measurement.
 */
async function quiesce(pids: number[]): Promise<void> {
  const until = performance.now() + 30_000;
  let before = pids.map(cpuTicks);
  while (performance.now() < until) {
    await sleep(250);
    const now = pids.map(cpuTicks);
    if (now.every((t, i) => !(t - before[i]! > 2))) return;
    before = now;
  }
}

/** Samples a process's RSS on an interval. */
class RssSampler {
  readonly samples: Array<{ s: number; mb: number }> = [];
  private readonly t0 = performance.now();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number, everyMs: number) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  private sample(): void {
    this.samples.push({ s: (performance.now() - this.t0) / 1000, mb: rssMb(this.pid) });
  }

  stop(): Array<{ s: number; mb: number }> {
    clearInterval(this.timer);
    this.sample();
    return this.samples;
  }
}

interface LoadResult {
  connections: number;
  seconds: number;
  /** Answers by status code. */
  statuses: Record<string, number>;
  ok: number;
  non200: number;
  /** Socket errors, timeouts included, and timeouts alone (no answer in the client's timeout, 10 s unless asked). */
  errors: number;
  timeouts: number;
  /** 429 answers, and those of them that carried Retry-After. */
  refused: number;
  refusedWithRetryAfter: number;
  /** 200 answers per second, and their latency percentiles (ms). */
  reqPerS: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Every answer's time since the start (ms) and status, when asked. */
  timeline?: Array<[number, number]>;
}

/** Every request is the next tweet, across runs. */
let cursor = 0;

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

const r1 = (x: number): number => Number(x.toFixed(1));

/**
 * Loads `url`'s model route with `connections` closed-loop connections for `duration` seconds (or `amount`
 * requests); `during` runs alongside (it gets the run's start time) and is awaited before the result.
 */
async function load(url: string, bodies: string[], o: { connections: number; duration?: number; amount?: number; timeoutS?: number; timeline?: boolean; during?: (t0: number) => Promise<void> }): Promise<LoadResult> {
  const latencies: number[] = [];
  const timeline: Array<[number, number]> = [];
  let refused = 0;
  let refusedWithRetryAfter = 0;
  const t0 = performance.now();
  let finished!: (r: autocannon.Result) => void;
  let failed!: (e: Error) => void;
  const done = new Promise<autocannon.Result>((ok, fail) => {
    finished = ok;
    failed = fail;
  });
  const inst = autocannon({
    url,
    connections: o.connections,
    ...(o.amount !== undefined ? { amount: o.amount } : { duration: o.duration ?? 10 }),
    timeout: o.timeoutS ?? 10,
    requests: [{
      method: 'POST',
      path: '/models/m',
      headers: { 'content-type': 'application/json' },
      setupRequest: (req) => ({ ...req, body: bodies[cursor++ % bodies.length]! }),
      onResponse: (status, _body, _ctx, headers) => {
        if (status !== 429) return;
        refused++;
        if (Object.keys(headers ?? {}).some((k) => k.toLowerCase() === 'retry-after')) refusedWithRetryAfter++;
      },
    }],
  }, (err: unknown, result: autocannon.Result) => {
    if (err !== null && err !== undefined) failed(err instanceof Error ? err : new Error(String(err)));
    else finished(result);
  });
  inst.on('response', (_client, status, _bytes, ms) => {
    if (status === 200) latencies.push(ms);
    if (o.timeline === true) timeline.push([performance.now() - t0, status]);
  });
  const side = o.during?.(t0);
  const result = await done;
  await side;
  latencies.sort((a, b) => a - b);
  const statuses: Record<string, number> = {};
  for (const [code, v] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = v.count ?? 0;
  const all = Object.values(statuses).reduce((a, b) => a + b, 0);
  const ok = statuses['200'] ?? 0;
  return {
    connections: o.connections, seconds: result.duration, statuses, ok, non200: all - ok,
    errors: result.errors, timeouts: result.timeouts, refused, refusedWithRetryAfter,
    reqPerS: r1(ok / result.duration), p50Ms: r1(percentile(latencies, 0.5)), p90Ms: r1(percentile(latencies, 0.9)),
    p99Ms: r1(percentile(latencies, 0.99)), maxMs: r1(latencies.at(-1) ?? NaN),
    ...(o.timeline === true ? { timeline } : {}),
  };
}

const brief = (r: LoadResult): string =>
  `${r.connections} conn: ${r.reqPerS} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms` +
  `${r.non200 > 0 ? `, non-200 ${JSON.stringify(Object.fromEntries(Object.entries(r.statuses).filter(([k]) => k !== '200')))}` : ''}` +
  `${r.errors > 0 ? `, ${r.errors} socket errors (${r.timeouts} timeouts)` : ''}`;

const passes = (r: LoadResult): boolean => r.p99Ms <= P99_LIMIT_MS && r.non200 === 0 && r.errors === 0;

/**
 * The next connection count of the search for the most connections whose p99 stays under the limit:
 * up (doubling) while every step passes, then a bisection between the highest pass and the lowest fail
 * above it, until they are within a quarter of the pass (or 1).
 */
function nextConnections(steps: Map<number, LoadResult>): number | null {
  const ran = [...steps.entries()];
  const lo = Math.max(0, ...ran.filter(([, r]) => passes(r)).map(([c]) => c));
  const hi = Math.min(Infinity, ...ran.filter(([c, r]) => c > lo && !passes(r)).map(([c]) => c));
  if (hi === Infinity) return lo >= MAX_CONNECTIONS ? null : Math.min(MAX_CONNECTIONS, lo * 2);
  if (hi - lo <= Math.max(1, Math.floor(lo / 4))) return null;
  const next = Math.floor((lo + hi) / 2);
  return steps.has(next) || next < 1 ? null : next;
}

/** The passing step with the most 200s per second, if any. */
function bestPassing(steps: Map<number, LoadResult>): LoadResult | null {
  let best: LoadResult | null = null;
  for (const r of steps.values()) if (passes(r) && (best === null || r.reqPerS > best.reqPerS)) best = r;
  return best;
}

async function getJson(url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url);
  return { status: res.status, text: await res.text() };
}

/** The value of one Prometheus sample line (0 when absent). */
function metric(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && labels.split(',').every((kv) => l.includes(kv)));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** Samples of one Prometheus metric for model "m", summed by one label (e.g. requests by status). */
function byLabel(text: string, name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of text.split('\n')) {
    if (!l.startsWith(`${name}{`) || !l.includes('model="m"')) continue;
    const v = new RegExp(`${label}="([^"]*)"`).exec(l)?.[1];
    if (v !== undefined) out[v] = (out[v] ?? 0) + Number(l.slice(l.lastIndexOf(' ') + 1));
  }
  return out;
}

// ---------------------------------------------------------------- the bench

type Row = Record<string, unknown>;

const stripTimeline = (r: LoadResult): Omit<LoadResult, 'timeline'> => {
  const { timeline: _t, ...rest } = r;
  return rest;
};

function rssSummary(samples: Array<{ s: number; mb: number }>): { firstMb: number; lastMb: number; maxMb: number; minMb: number } {
  const mbs = samples.map((x) => x.mb).filter((x) => Number.isFinite(x));
  return { firstMb: r1(mbs[0] ?? NaN), lastMb: r1(mbs.at(-1) ?? NaN), maxMb: r1(Math.max(...mbs)), minMb: r1(Math.min(...mbs)) };
}

function table(rows: Row[]): string {
  const out: string[] = [];
  const tp = rows.filter((r) => r.reference === REFERENCE);
  out.push('| config | Lengua req/s | p50 / p99 ms | naive req/s | p50 / p99 ms | ratio | goal |', '| --- | --- | --- | --- | --- | --- | --- |');
  for (const r of tp) {
    // A side with no passing step of the p99 search shows "none passed" instead of figures.
    const conn = (x: unknown): string => (x === null ? 'none passed' : `${String(x)} conn`);
    const figures = (c: unknown, rps: unknown, p50: unknown, p99: unknown): string => (c === null ? 'none passed | -' : `${String(rps)} (${conn(c)}) | ${String(p50)} / ${String(p99)}`);
    out.push(`| ${String(r.config)} | ${figures(r.connections, r.reqPerS, r.p50Ms, r.p99Ms)} | ${figures(r.referenceConnections ?? r.connections, r.referenceReqPerS, r.referenceP50Ms, r.referenceP99Ms)} | ` +
      `${r.ratio === null ? '-' : `${Number(r.ratio).toFixed(2)}x`} | ${r.goal !== undefined ? `>= ${String(r.goal)}x` : ''} |`);
  }
  out.push('', '| fault | result | pass |', '| --- | --- | --- |');
  for (const r of rows.filter((x) => x.reference !== REFERENCE)) out.push(`| ${String(r.config)} | ${String(r.summary)} | ${r.pass === true ? 'yes' : 'NO'} |`);
  return out.join('\n') + '\n';
}

/**
 * Kills a model worker of `lengua serve` (a child process of the server: `--isolation process`, the default)
 * with SIGKILL while the server is under load, from outside, as a crash or an out-of-memory kill would end
 * it. `busy`: 64 connections, and the worker is stopped (SIGSTOP) 300 ms before the kill, so a batch is
 * surely inside it when it dies (the load never lets it sit idle that long). `idle`: 8 connections and
 * batches that wait 300 ms for company, so the worker is idle most of the time. Passes when the server stays
 * up, every non-200 is a 503, no socket fails, the model is replaced (one `reason="crash"` reload, /ready
 * 200) and 200s come back; `busy` must also have given 503s (its batch died with the worker).
 */
async function killWorker(when: 'idle' | 'busy', dir: string, duration: number, bodies: string[],
  start: (name: string, args: string[]) => Promise<ServerChild>, args: (dir: string, extra: string[]) => string[], settle: () => Promise<void>): Promise<Row> {
  const config = when === 'busy' ? 'kill-worker-mid-batch' : 'kill-worker-between-batches';
  const connections = when === 'busy' ? 64 : 8;
  const extra = when === 'idle' ? ['--max-wait-ms', '300'] : [];
  const s = await start(`lengua-kill-${when}`, args(dir, extra));
  await load(s.url, bodies, { connections: 64, duration: 3 });
  await settle();
  let killedAt = NaN;
  let victim: number | null = null;
  const workersBefore = childPids(s.pid);
  const r = await load(s.url, bodies, {
    connections, duration, timeline: true,
    during: async (t0) => {
      await sleep(0.3 * duration * 1000);
      victim = workersBefore[0] ?? null;
      if (victim === null) return;
      if (when === 'busy') {
        process.kill(victim, 'SIGSTOP');
        await sleep(300);
      }
      killedAt = performance.now() - t0;
      process.kill(victim, 'SIGKILL');
    },
  });
  if (!s.alive) {
    process.stdout.write(`${config}: the server PROCESS DIED when its worker was killed (exit ${String(s.exitStatus)}); last stderr lines:\n${s.tail.slice(-3).join('\n')}\n`);
    return {
      bench: 'serve', config, reference: null, ratio: null, pass: false, serverDied: true, exitStatus: s.exitStatus ?? null,
      summary: `the server PROCESS DIED (${String(s.exitStatus)}) when worker ${String(victim)} was killed under ${connections} conn: "${s.tail.slice(-2).join(' ').slice(0, 200)}"; ${r.ok} x 200 before, then ${r.errors} socket errors`,
      stderrTail: s.tail.slice(-10), ...stripTimeline(r),
    };
  }
  const tl = r.timeline!;
  const failedAt = tl.filter(([, st]) => st === 503).map(([t]) => t);
  const lastFail = failedAt.at(-1) ?? killedAt;
  const okAfter = tl.filter(([t, st]) => st === 200 && t > lastFail).length;
  const firstOkAfter = tl.find(([t, st]) => st === 200 && t > lastFail)?.[0] ?? NaN;
  const others = Object.entries(r.statuses).filter(([c]) => c !== '200' && c !== '503');
  const ready = await getJson(`${s.url}/ready`);
  const crashReloads = metric((await getJson(`${s.url}/metrics`)).text, 'lengua_model_reloads_total', 'model="m",reason="crash"');
  const workersAfter = childPids(s.pid);
  const n503 = r.statuses['503'] ?? 0;
  const pass = victim !== null && (when === 'idle' || n503 > 0) && others.length === 0 && r.errors === 0 && ready.status === 200 && crashReloads === 1 && okAfter > 0 &&
    workersAfter.length === workersBefore.length && !workersAfter.includes(victim);
  const window = failedAt.length > 0 ? `${r1(failedAt[0]! - killedAt)}..${r1(lastFail - killedAt)} ms after the kill` : 'none';
  const exit = await s.stop();
  const summary = `worker process ${String(victim)} of ${workersBefore.length} killed (SIGKILL${when === 'busy' ? ', stopped 300 ms before so a batch was inside' : ''}) under ${connections} conn${extra.length > 0 ? ` (${extra.join(' ')})` : ''}: ` +
    `${n503} x 503 (${window}), other non-200 ${others.length === 0 ? 'none' : JSON.stringify(Object.fromEntries(others))}, ${r.errors} socket errors; ` +
    `200s again from +${r1(firstOkAfter - killedAt)} ms (${okAfter} after the last 503); /ready ${ready.status}, crash reloads ${crashReloads}, workers after ${workersAfter.length}, exit ${exit}`;
  process.stdout.write(`${config}: ${brief(r)}; ${summary}\n`);
  return {
    bench: 'serve', config, reference: null, ratio: null, pass, summary, answered503: n503,
    first503MsAfterKill: r1((failedAt[0] ?? NaN) - killedAt), last503MsAfterKill: r1(lastFail - killedAt), firstOkMsAfterKill: r1(firstOkAfter - killedAt), okAfter503s: okAfter,
    readyStatus: ready.status, crashReloads, exitCode: exit, ...stripTimeline(r),
  };
}

/** See `engine-ceiling` in the header: tweets/s of one call per tweet against arrival-order windows of 32 on the workers. */
async function engineCeiling(dir: string, tweets: string[], threads: number, workers: number, workerThreads: number): Promise<Row> {
  const { pipeline } = await import('../src/infer/index.js');
  const texts = tweets.slice(0, 1000);
  const single = await pipeline('text-classification', dir, { numThreads: threads });
  const pool = await Promise.all(Array.from({ length: workers }, () => pipeline('text-classification', dir, { numThreads: workerThreads })));
  const best = { single: 0, batched: 0 };
  try {
    for (let round = 0; round < 3; round++) {
      let t0 = performance.now();
      for (const t of texts) await single(t);
      best.single = Math.max(best.single, texts.length / ((performance.now() - t0) / 1000));
      t0 = performance.now();
      let next = 0;
      await Promise.all(pool.map(async (p) => {
        while (next < texts.length) {
          const from = next;
          next += 32;
          await p(texts.slice(from, from + 32));
        }
      }));
      best.batched = Math.max(best.batched, texts.length / ((performance.now() - t0) / 1000));
    }
  } finally {
    await single.dispose();
    await Promise.all(pool.map((p) => p.dispose()));
  }
  const ratio = Number((best.batched / best.single).toFixed(3));
  const summary = `no HTTP: ${r1(best.batched)} tweets/s in windows of 32 on ${workers} × ${workerThreads}-thread sessions, ${r1(best.single)} tweets/s one per call on one ${threads}-thread session (best of 3): ${ratio}x is the most batching can gain here`;
  process.stdout.write(`engine-ceiling ${summary}\n`);
  return { bench: 'serve', config: 'engine-ceiling', reference: null, ratio: null, pass: true, summary, batchedPerS: r1(best.batched), singlePerS: r1(best.single), ceiling: ratio };
}

function posInt(argv: string[], name: string, dflt: string): number {
  const v = Number(arg(argv, name, dflt));
  if (!Number.isSafeInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer`);
  return v;
}

export async function main(argv: string[]): Promise<number> {
  const naiveAt = argv.indexOf('--naive-child');
  if (naiveAt >= 0) return naiveChild(JSON.parse(argv[naiveAt + 1]!) as NaiveSpec);

  const duration = posInt(argv, 'duration', '10');
  const soak = posInt(argv, 'soak', '100000');
  const skipSoak = argv.includes('--skip-soak');
  const threads = posInt(argv, 'threads', '2');
  const overloadConnections = posInt(argv, 'overload-connections', '512');
  const overloadMax = posInt(argv, 'overload-max-concurrent', '32');
  const configName = arg(argv, 'config', 'small');
  const shape = CONFIGS[configName];
  if (shape === undefined) throw new Error(`unknown --config ${configName} (one of ${Object.keys(CONFIGS).join(', ')})`);

  const load0 = loadavg();
  process.stdout.write(`serve bench: ${configName} (${shape.layers} layers × ${shape.hidden}), ${threads} ORT threads per server, ${duration} s per step; load average ${load0.map((x) => x.toFixed(2)).join(' ')}\n`);

  const root = mkdtempSync(join(tmpdir(), 'lengua-bench-serve-'));
  const children: ServerChild[] = [];
  const start = async (name: string, args: string[]): Promise<ServerChild> => {
    const c = await ServerChild.start(name, args);
    children.push(c);
    return c;
  };
  // The same CPU budget as the naive server's: `threads` cores, shared as lengua serve shares them by default
  // (defaultParallelism: a single-thread worker per core, at most 4), unless --workers says otherwise.
  const given = argv.includes('--workers') ? posInt(argv, 'workers', '1') : undefined;
  const { workers, numThreads: workerThreads } = defaultParallelism(given !== undefined ? { workers: given } : {}, threads, {});
  process.stdout.write(`lengua serve: ${workers} worker process(es) × ${workerThreads} thread(s); naive: one session × ${threads} threads\n`);
  const lenguaArgs = (dir: string, extra: string[] = []): string[] =>
    [join(repo, 'bin', 'lengua.js'), 'serve', '--model', `m=${dir}`, '--port', '0', '--workers', String(workers), '--threads', String(workerThreads), ...extra];
  const rows: Row[] = [];
  const settle = (): Promise<void> => quiesce(children.filter((c) => c.alive).map((c) => c.pid));
  try {
    // The model: random weights (seed 0), exported with the bert-base-uncased tokenizer.
    const t0 = performance.now();
    const { exportToOnnx } = await import('../src/export/index.js');
    const dir = join(root, 'model');
    const model = await randomBertClassifier(shape);
    model.eval();
    await exportToOnnx(model, dir, { threads, overwrite: true });
    (await bertBaseUncasedTokenizer()).savePretrained(dir);
    const tweets = tweetTexts(2000).map((t) => t.slice(0, MAX_INPUT_CHARS));
    const bodies = tweets.map((t) => JSON.stringify({ inputs: t }));
    process.stdout.write(`exported in ${((performance.now() - t0) / 1000).toFixed(0)} s; ${tweets.length} tweets, one per request\n`);

    const lengua = await start('lengua', lenguaArgs(dir));
    const naive = await start('naive', ['--import', 'tsx', join(here, 'run.ts'), 'serve', '--naive-child', JSON.stringify({ root, id: 'model', threads } satisfies NaiveSpec)]);
    process.stdout.write(`lengua serve at ${lengua.url} (pid ${lengua.pid}), naive at ${naive.url} (pid ${naive.pid})\n`);

    // Both answer the same labels (random weights: near ties may flip a few).
    let same = 0;
    const checked = 50;
    for (const body of bodies.slice(0, checked)) {
      const top = async (url: string): Promise<string> => {
        const res = await fetch(`${url}/models/m`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        if (res.status !== 200) throw new Error(`${url}: status ${res.status}: ${await res.text()}`);
        return ((await res.json()) as Array<Array<{ label: string }>>)[0]![0]!.label;
      };
      if ((await top(lengua.url)) === (await top(naive.url))) same++;
    }
    process.stdout.write(`labels: ${same} of ${checked} tweets the same on both servers\n`);

    // Warm-up (JIT, ORT's allocations), then the saturated run, one side after the other.
    for (const s of [lengua, naive]) await load(s.url, bodies, { connections: 64, duration: 3 });
    const lSteps = new Map<number, LoadResult>();
    const nSteps = new Map<number, LoadResult>();
    await settle();
    const lSat = await load(lengua.url, bodies, { connections: 64, duration });
    process.stdout.write(`saturated  lengua ${brief(lSat)}\n`);
    await settle();
    const nSat = await load(naive.url, bodies, { connections: 64, duration });
    process.stdout.write(`saturated  naive  ${brief(nSat)}\n`);
    const satRss = { lenguaMb: r1(rssMb(lengua.pid)), referenceMb: r1(rssMb(naive.pid)) };
    lSteps.set(64, lSat);
    nSteps.set(64, nSat);
    rows.push({
      bench: 'serve', config: 'saturated-64', reference: REFERENCE, connections: 64, ratio: Number((lSat.reqPerS / nSat.reqPerS).toFixed(3)),
      reqPerS: lSat.reqPerS, p50Ms: lSat.p50Ms, p99Ms: lSat.p99Ms, referenceReqPerS: nSat.reqPerS, referenceP50Ms: nSat.p50Ms, referenceP99Ms: nSat.p99Ms,
      non200: lSat.non200, referenceNon200: nSat.non200, errors: lSat.errors, referenceErrors: nSat.errors, rss: satRss, threads, durationS: duration,
    });

    // The highest throughput under p99 <= 50 ms: both searches, their steps taking turns.
    for (;;) {
      const cl = nextConnections(lSteps);
      const cn = nextConnections(nSteps);
      if (cl === null && cn === null) break;
      if (cl !== null) {
        const r = await load(lengua.url, bodies, { connections: cl, duration });
        lSteps.set(cl, r);
        process.stdout.write(`p99 search lengua ${brief(r)}${passes(r) ? ' pass' : ''}\n`);
        await settle();
      }
      if (cn !== null) {
        const r = await load(naive.url, bodies, { connections: cn, duration });
        nSteps.set(cn, r);
        process.stdout.write(`p99 search naive  ${brief(r)}${passes(r) ? ' pass' : ''}\n`);
        await settle();
      }
    }
    const lBest = bestPassing(lSteps);
    const nBest = bestPassing(nSteps);
    const stepList = (m: Map<number, LoadResult>): Row[] => [...m.values()].sort((a, b) => a.connections - b.connections)
      .map((r) => ({ connections: r.connections, reqPerS: r.reqPerS, p50Ms: r.p50Ms, p99Ms: r.p99Ms, non200: r.non200, errors: r.errors, pass: passes(r) }));
    rows.push({
      bench: 'serve', config: `p99<=${P99_LIMIT_MS}ms`, reference: REFERENCE,
      ratio: lBest !== null && nBest !== null ? Number((lBest.reqPerS / nBest.reqPerS).toFixed(3)) : null, goal: GOAL,
      connections: lBest?.connections ?? null, reqPerS: lBest?.reqPerS ?? 0, p50Ms: lBest?.p50Ms ?? null, p99Ms: lBest?.p99Ms ?? null,
      referenceConnections: nBest?.connections ?? null, referenceReqPerS: nBest?.reqPerS ?? 0, referenceP50Ms: nBest?.p50Ms ?? null, referenceP99Ms: nBest?.p99Ms ?? null,
      steps: stepList(lSteps), referenceSteps: stepList(nSteps), threads, durationS: duration,
    });
    process.stdout.write(`naive server stopped (exit ${await naive.stop()})\n`);
    await settle();
    rows.push(await engineCeiling(dir, tweets, threads, workers, workerThreads));

    // A new version promoted three times while 64 connections load the server.
    const reloads: Array<{ status: number; ms: number }> = [];
    await settle();
    const promote = await load(lengua.url, bodies, {
      connections: 64, duration, timeline: true,
      during: async (start) => {
        for (const at of [0.25, 0.5, 0.75]) {
          await sleep(Math.max(0, start + at * duration * 1000 - performance.now()));
          const t = performance.now();
          const res = await fetch(`${lengua.url}/admin/models/m/reload`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
          await res.text();
          reloads.push({ status: res.status, ms: r1(performance.now() - t) });
        }
      },
    });
    const adminReloads = metric((await getJson(`${lengua.url}/metrics`)).text, 'lengua_model_reloads_total', 'model="m",reason="admin"');
    const promotePass = promote.non200 === 0 && promote.errors === 0 && reloads.every((r) => r.status === 200) && adminReloads === reloads.length;
    process.stdout.write(`promote    ${brief(promote)}; reloads ${JSON.stringify(reloads)}, admin reloads counted ${adminReloads}\n`);
    rows.push({
      bench: 'serve', config: 'promote-under-load', reference: null, ratio: null, pass: promotePass,
      summary: `${reloads.length} reloads (${reloads.map((r) => `${r.status} in ${r.ms} ms`).join(', ')}) under 64 conn: ${promote.ok} answers 200, ${promote.non200} non-200, ${promote.errors} socket errors; ${promote.reqPerS} req/s, p99 ${promote.p99Ms} ms`,
      reloads, adminReloadsCounted: adminReloads, ...stripTimeline(promote),
    });

    // Soak: N requests at 64 connections, RSS every 2 s.
    if (!skipSoak) {
      await settle();
      const sampler = new RssSampler(lengua.pid, 2000);
      // The main thread's JS heap (prom-client's gauges, every 10 s): tells a JS leak from native memory.
      const heap: Array<{ s: number; usedMb: number; externalMb: number }> = [];
      const h0 = performance.now();
      let soaking = true;
      const heapSampler = (async () => {
        while (soaking) {
          const text = (await getJson(`${lengua.url}/metrics`)).text;
          const gauge = (n: string): number => r1(Number(/^\S+ (\S+)$/.exec(text.split('\n').find((l) => l.startsWith(`${n} `)) ?? '')?.[1]) / 2 ** 20);
          heap.push({ s: r1((performance.now() - h0) / 1000), usedMb: gauge('lengua_nodejs_heap_size_used_bytes'), externalMb: gauge('lengua_nodejs_external_memory_bytes') });
          for (let i = 0; i < 100 && soaking; i++) await sleep(100);
        }
      })();
      const r = await load(lengua.url, bodies, { connections: 64, amount: soak });
      soaking = false;
      await heapSampler;
      const samples = sampler.stop();
      const end = samples.at(-1)!.s;
      const after = samples.filter((x) => x.s >= 0.2 * end && Number.isFinite(x.mb));
      const ref = after[0]?.mb ?? NaN;
      const flat = after.length > 0 && after.every((x) => Math.abs(x.mb - ref) <= 0.1 * ref);
      // A leak shows as growth; RSS that falls (a GC giving pages back) is not one, so the verdict is on growth.
      const noGrowth = after.length > 0 && after.every((x) => x.mb <= 1.1 * ref);
      const rss = rssSummary(samples);
      const drift = r1((100 * ((after.at(-1)?.mb ?? NaN) - ref)) / ref);
      const pass = noGrowth && r.non200 === 0 && r.errors === 0;
      const heapAfter = heap.filter((x) => x.s >= 0.2 * end);
      const heapNote = heapAfter.length === 0 ? '' : `; JS heap used after warm-up ${heapAfter[0]!.usedMb} → ${heapAfter.at(-1)!.usedMb} MB (max ${Math.max(...heapAfter.map((x) => x.usedMb))}), external ${heapAfter[0]!.externalMb} → ${heapAfter.at(-1)!.externalMb} MB`;
      process.stdout.write(`soak       ${brief(r)}; RSS first ${rss.firstMb} MB, after warm-up ${r1(ref)} MB, last ${rss.lastMb} MB, max ${rss.maxMb} MB (${samples.length} samples), flat within 10 %: ${flat}${heapNote}\n`);
      rows.push({
        bench: 'serve', config: 'soak', reference: null, ratio: null, pass, requests: soak,
        summary: `${soak} requests in ${r.seconds} s: ${r.ok} answers 200, ${r.non200} non-200, ${r.errors} socket errors; RSS first ${rss.firstMb} / after warm-up ${r1(ref)} / last ${rss.lastMb} / max ${rss.maxMb} MB, ${flat ? 'flat' : 'NOT flat'} within ±10 % after warm-up, ${noGrowth ? 'no' : 'SOME'} growth past +10 % (drift ${drift} %)${heapNote}`,
        rss: { ...rss, afterWarmupMb: r1(ref), driftPercent: drift, flatWithin10Percent: flat, growthWithin10Percent: noGrowth, samples: samples.map((x) => [r1(x.s), r1(x.mb)]) },
        heap: heap.map((x) => [x.s, x.usedMb, x.externalMb]),
        ...stripTimeline(r),
      });
    }
    process.stdout.write(`lengua serve stopped on SIGTERM (exit ${await lengua.stop()})\n`);

    // Overload: far more connections than the queue takes.
    {
      const s = await start('lengua-overload', lenguaArgs(dir, ['--max-concurrent-requests', String(overloadMax)]));
      await load(s.url, bodies, { connections: 64, duration: 3 });
      await settle();
      const counted = async (): Promise<{ statuses: Record<string, number>; errors: Record<string, number> }> => {
        const text = (await getJson(`${s.url}/metrics`)).text;
        return { statuses: byLabel(text, 'lengua_requests_total', 'status'), errors: byLabel(text, 'lengua_errors_total', 'error_type') };
      };
      const minus = (a: Record<string, number>, b: Record<string, number>): Record<string, number> =>
        Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v - (b[k] ?? 0)]).filter(([, v]) => v !== 0));
      const warm = await counted();
      const before = rssMb(s.pid);
      const sampler = new RssSampler(s.pid, 500);
      // The client waits past the server's own timeout (--timeout-ms, 30 s): an accepted request is answered
      // (200, or 504) before the client gives up, so a client timeout is a request never answered.
      const r = await load(s.url, bodies, { connections: overloadConnections, duration, timeoutS: 40 });
      const rss = rssSummary(sampler.stop());
      // What the server says it answered (a request whose client left while queued is dropped unanswered).
      await settle();
      const served = await counted();
      const serverStatuses = minus(served.statuses, warm.statuses);
      const serverErrors = minus(served.errors, warm.errors);
      await sleep(1000);
      const afterMb = rssMb(s.pid);
      const onlyOkOr429 = Object.keys(r.statuses).every((c) => c === '200' || c === '429');
      const bounded = rss.maxMb <= 1.5 * before;
      const pass = r.refused > 0 && r.refusedWithRetryAfter === r.refused && onlyOkOr429 && r.errors === 0 && r.timeouts === 0 && bounded;
      const exit = await s.stop();
      process.stdout.write(`overload   ${brief(r)}; 429 with Retry-After ${r.refusedWithRetryAfter} of ${r.refused}; RSS ${r1(before)} MB before, max ${rss.maxMb} MB, ${r1(afterMb)} MB after; ` +
        `the server counted ${JSON.stringify(serverStatuses)} (errors ${JSON.stringify(serverErrors)}); exit ${exit}\n`);
      rows.push({
        bench: 'serve', config: 'overload', reference: null, ratio: null, pass, maxConcurrentRequests: overloadMax,
        summary: `${overloadConnections} conn, --max-concurrent-requests ${overloadMax}: ${r.ok} x 200 (${r.reqPerS} req/s, p99 ${r.p99Ms} ms), ${r.refused} x 429 (${r.refusedWithRetryAfter} with Retry-After), ` +
          `other statuses ${onlyOkOr429 ? 'none' : JSON.stringify(r.statuses)}, ${r.errors} socket errors, ${r.timeouts} timeouts; RSS ${r1(before)} MB after warm-up, max ${rss.maxMb} MB under overload, ${r1(afterMb)} MB after; the server counted ${JSON.stringify(serverStatuses)}`,
        rss: { beforeMb: r1(before), maxMb: rss.maxMb, afterMb: r1(afterMb), bounded }, exitCode: exit, clientTimeoutS: 40,
        serverStatuses, serverErrors, ...stripTimeline(r),
      });
    }

    // A worker process killed between batches, then mid-batch.
    for (const when of ['idle', 'busy'] as const) rows.push(await killWorker(when, dir, duration, bodies, start, lenguaArgs, settle));
  } finally {
    for (const c of children) await c.stop();
    rmSync(root, { recursive: true, force: true });
  }
  const load1 = loadavg();
  process.stdout.write(table(rows));
  process.stdout.write(`load average before ${load0.map((x) => x.toFixed(2)).join(' ')}, after ${load1.map((x) => x.toFixed(2)).join(' ')}\n`);
  for (const r of rows) process.stdout.write(JSON.stringify({ ...r, loadAvgBefore: load0.map(r1), loadAvgAfter: load1.map(r1) }) + '\n');
  return rows.every((r) => r.pass !== false) ? 0 : 1;
}
