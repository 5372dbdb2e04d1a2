/**
 * Lengua's ONNX Runtime `pipeline('text-classification')` (src/infer) against Transformers.js'
 * `pipeline('text-classification')` and against Lengua's libtorch forward, on the same exported file and the
 * same real tweets (TweetEval sentiment validation texts of ../shared/data), every side given the same ORT /
 * libtorch intra-op threads; and Lengua's int8 file (`exportToOnnx({ quantize: 'int8' })`,
 * onnx/model_quantized.onnx, Transformers.js' `dtype: 'q8'`) against the float one. Then greedy GPT-2 decoding
 * against Transformers.js, by running `bench/generation.ts`.
 *
 * The models: BERT classifiers with random weights (seed 0) in the small (4 × 256) and BERT-base shapes, the
 * bert-base-uncased vocabulary, saved as a training folder (for libtorch) and exported with its tokenizer (for
 * both ONNX pipelines). Transformers.js is measured three ways — the whole array in one call (how its docs
 * batch: one batch padded to the longest text), one text at a time, and chunks of `--batch` texts in input
 * order — and "best usage" is the faster of the last two. Lengua's pipeline gets the whole array (it sorts by
 * length and runs micro-batches of `--batch`); libtorch gets the same length-sorted micro-batches of `--batch`,
 * through the forward `lengua predict --engine torch` uses. Every timed pass is end to end: texts in, labels out.
 *
 * Each side lives in its own child process (libtorch and its OpenMP pool in the parent, from the export, slow
 * down ORT in the same process: see generation.ts), loads once and warms up; then the measurements take turns,
 * one pass each per round, in an order rotated every round, so that load from other processes on a shared
 * machine lands on all of them; each keeps its best round. Every child's labels are compared with Lengua fp32's.
 *
 *   npm run bench -- inference [--configs small,base] [--texts 1000] [--batch 32] [--threads 2] [--rounds 3] [--no-generation]
 *
 * Prints a table and one JSON line per comparison: {"config","dtype","reference","ratio","textsPerS",
 * "referenceTextsPerS", ...}; `ratio` is Lengua's throughput over the reference's (higher is better).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { arg, bertBaseUncasedTokenizer, CONFIGS, randomBertClassifier, tweetTexts } from './inference-int8.js';

const here = dirname(fileURLToPath(import.meta.url));

/** A child process: one model loaded on one engine. */
type Side = 'lengua-fp32' | 'lengua-int8' | 'tjs-fp32' | 'tjs-q8' | 'torch';
/** How a side is called: `pipeline` (Lengua: the whole array), Transformers.js `array` / `single` / `chunks`, libtorch `forward`. */
type Mode = 'pipeline' | 'array' | 'single' | 'chunks' | 'forward';

interface ChildSpec {
  side: Side;
  /** Lengua's exported folder's parent (Transformers.js' localModelPath) and the folder's name in it. */
  root: string;
  id: string;
  /** The training folder (libtorch). */
  trainDir: string;
  texts: number;
  batch: number;
  threads: number;
}

type ToChild = { type: 'run'; mode: Mode } | { type: 'exit' };
type FromChild = { type: 'ready'; loadS: number } | { type: 'done'; seconds: number; labels: string[] } | { type: 'failed'; message: string };

const MEASUREMENTS: ReadonlyArray<{ side: Side; mode: Mode }> = [
  { side: 'lengua-fp32', mode: 'pipeline' },
  { side: 'tjs-fp32', mode: 'array' },
  { side: 'tjs-fp32', mode: 'single' },
  { side: 'tjs-fp32', mode: 'chunks' },
  { side: 'torch', mode: 'forward' },
  { side: 'lengua-int8', mode: 'pipeline' },
  { side: 'tjs-q8', mode: 'array' },
  { side: 'tjs-q8', mode: 'single' },
  { side: 'tjs-q8', mode: 'chunks' },
];

// ---------------------------------------------------------------- child side

/** Loads the side's model and returns one end-to-end pass per mode (texts in, top labels out). */
async function loadSide(spec: ChildSpec): Promise<{ run: (mode: Mode, texts: string[]) => Promise<string[]>; close: () => Promise<void> }> {
  const { side, threads, batch } = spec;
  if (side === 'lengua-fp32' || side === 'lengua-int8') {
    const { pipeline } = await import('../src/infer/index.js');
    const clf = await pipeline('text-classification', join(spec.root, spec.id), { numThreads: threads, batchSize: batch, dtype: side === 'lengua-int8' ? 'q8' : 'fp32' });
    return {
      run: async (_mode, texts) => (await clf(texts)).map((r) => r[0]!.label),
      close: () => clf.dispose(),
    };
  }
  if (side === 'tjs-fp32' || side === 'tjs-q8') {
    const { pipeline, env } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    env.localModelPath = spec.root + '/';
    const clf = await pipeline('text-classification', spec.id, {
      dtype: side === 'tjs-q8' ? 'q8' : 'fp32',
      session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
    });
    type Out = { label: string } | Array<{ label: string }>;
    const top = (o: Out): string => (Array.isArray(o) ? o[0]!.label : o.label);
    const call = async (x: string | string[]): Promise<Out[]> => (await clf(x)) as unknown as Out[];
    return {
      run: async (mode, texts) => {
        if (mode === 'array') return (await call(texts)).map(top);
        const labels: string[] = [];
        if (mode === 'single') {
          for (const t of texts) labels.push(top((await call(t))[0]!));
        } else {
          for (let i = 0; i < texts.length; i += batch) labels.push(...(await call(texts.slice(i, i + batch))).map(top));
        }
        return labels;
      },
      close: () => clf.dispose(),
    };
  }
  // libtorch: the forward `lengua predict --engine torch` runs, on the same length-sorted micro-batches as the pipeline.
  const torch = await import('../src/torch/index.js');
  const { AutoModelForSequenceClassification } = await import('../src/models/index.js');
  const { AutoTokenizer } = await import('../src/text/index.js');
  const { batchScores } = await import('../src/eval/transformer-scores.js');
  torch.setNumThreads(threads);
  const tok = await AutoTokenizer.fromPretrained(spec.trainDir);
  const model = await AutoModelForSequenceClassification.fromPretrained(spec.trainDir);
  model.eval();
  const id2label = model.config.id2label;
  const maxLength = Math.min(tok.modelMaxLength, model.maxInputTokens);
  const pad = tok.padTokenId ?? 0;
  return {
    run: (_mode, texts) => {
      const enc = tok.encodeBatch(texts, { truncation: true, maxLength });
      const order = enc.map((_, i) => i).sort((a, b) => enc[b]!.ids.length - enc[a]!.ids.length || a - b);
      const labels = new Array<string>(texts.length);
      for (let s = 0; s < order.length; s += batch) {
        const rows = order.slice(s, s + batch);
        const seq = Math.max(...rows.map((i) => enc[i]!.ids.length));
        const padTo = (xs: number[], v: number): number[] => [...xs, ...new Array<number>(seq - xs.length).fill(v)];
        const padded = rows.map((i) => {
          const e = enc[i]!;
          return { ...e, ids: padTo(e.ids, pad), attentionMask: padTo(e.attentionMask, 0), tokenTypeIds: padTo(e.tokenTypeIds, 0) };
        });
        batchScores(model, padded, 'softmax').forEach((row, r) => {
          labels[rows[r]!] = id2label[row.indexOf(Math.max(...row))] ?? '?';
        });
      }
      return Promise.resolve(labels);
    },
    close: () => Promise.resolve(),
  };
}

/** A child: loads, warms every mode up on a few texts, then runs one timed pass per `run` message. */
async function child(spec: ChildSpec): Promise<number> {
  const send = (m: FromChild): void => {
    process.send!(m);
  };
  let side: Awaited<ReturnType<typeof loadSide>>;
  const texts = tweetTexts(spec.texts);
  try {
    const t0 = performance.now();
    side = await loadSide(spec);
    // Warm-up: every mode this side is measured in, on the first two batches' worth of texts.
    for (const m of MEASUREMENTS) if (m.side === spec.side) await side.run(m.mode, texts.slice(0, 2 * spec.batch));
    send({ type: 'ready', loadS: (performance.now() - t0) / 1000 });
  } catch (err) {
    send({ type: 'failed', message: (err as Error).stack ?? String(err) });
    return 1;
  }
  await new Promise<void>((resolveDone) => {
    process.on('message', (m: ToChild) => {
      if (m.type === 'exit') {
        void side.close().finally(() => resolveDone());
        return;
      }
      const t0 = performance.now();
      side.run(m.mode, texts).then(
        (labels) => send({ type: 'done', seconds: (performance.now() - t0) / 1000, labels }),
        (err: unknown) => send({ type: 'failed', message: (err as Error).stack ?? String(err) }),
      );
    });
  });
  process.disconnect();
  return 0;
}

// ---------------------------------------------------------------- parent side

/** One child process and its request/reply channel (one request at a time). */
class SideProcess {
  private readonly proc: ChildProcess;
  private waiting: { resolve: (m: FromChild) => void; reject: (e: Error) => void } | null = null;
  private exited: Error | null = null;

  constructor(readonly spec: ChildSpec) {
    this.proc = fork(join(here, 'run.ts'), ['inference', '--child', JSON.stringify(spec)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.proc.on('message', (m: FromChild) => {
      const w = this.waiting;
      this.waiting = null;
      if (w === null) return;
      if (m.type === 'failed') w.reject(new Error(`${spec.side}: ${m.message}`));
      else w.resolve(m);
    });
    this.proc.on('exit', (code) => {
      this.exited = new Error(`${spec.side}: the child exited (code ${code})`);
      this.waiting?.reject(this.exited);
      this.waiting = null;
    });
  }

  private next(): Promise<FromChild> {
    if (this.exited !== null) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  async ready(): Promise<number> {
    const m = await this.next();
    if (m.type !== 'ready') throw new Error(`${this.spec.side}: expected ready, got ${m.type}`);
    return m.loadS;
  }

  async run(mode: Mode): Promise<{ seconds: number; labels: string[] }> {
    const reply = this.next();
    this.proc.send({ type: 'run', mode } satisfies ToChild);
    const m = await reply;
    if (m.type !== 'done') throw new Error(`${this.spec.side}: expected done, got ${m.type}`);
    return m;
  }

  async close(): Promise<void> {
    if (this.exited !== null) return;
    const gone = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.proc.send({ type: 'exit' } satisfies ToChild);
    await Promise.race([gone, sleep(30_000).then(() => void this.proc.kill())]);
  }
}

interface Measured {
  best: number;
  all: number[];
  labels: string[];
}

const key = (m: { side: Side; mode: Mode }): string => `${m.side}/${m.mode}`;
const agree = (a: string[], b: string[]): number => a.filter((l, i) => l === b[i]).length;
const r3 = (x: number): number => Number(x.toFixed(3));
const r1 = (x: number): number => Number(x.toFixed(1));

async function benchConfig(name: string, count: number, batch: number, threads: number, rounds: number): Promise<string[]> {
  const shape = CONFIGS[name];
  if (shape === undefined) throw new Error(`unknown config ${name} (one of ${Object.keys(CONFIGS).join(', ')})`);
  const { exportToOnnx } = await import('../src/export/index.js');
  const root = mkdtempSync(join(tmpdir(), `lengua-bench-inference-${name}-`));
  const children: SideProcess[] = [];
  try {
    const t0 = performance.now();
    const tok = await bertBaseUncasedTokenizer();
    const model = await randomBertClassifier(shape);
    model.eval();
    const trainDir = join(root, 'train');
    await model.savePretrained(trainDir, { tokenizer: tok });
    const exported = await exportToOnnx(model, join(root, 'model'), { quantize: 'int8', threads, overwrite: true });
    tok.savePretrained(join(root, 'model'));
    const texts = tweetTexts(count);
    const tokens = tok.encodeBatch(texts, { truncation: true, maxLength: 512 }).map((e) => e.ids.length);
    process.stdout.write(`${name}: ${shape.layers} layers × ${shape.hidden}, exported in ${((performance.now() - t0) / 1000).toFixed(0)} s ` +
      `(${(exported.onnxBytes / 2 ** 20).toFixed(0)} MB, int8 ${(exported.quantized!.bytes / 2 ** 20).toFixed(0)} MB); ${texts.length} tweets, ` +
      `${(tokens.reduce((a, b) => a + b, 0) / texts.length).toFixed(1)} tokens per text, longest ${Math.max(...tokens)}\n`);

    // Children one after another (loading two at once would measure nothing, but spread the load time).
    const sides = new Map<Side, SideProcess>();
    for (const side of new Set(MEASUREMENTS.map((m) => m.side))) {
      const c = new SideProcess({ side, root, id: 'model', trainDir, texts: count, batch, threads });
      children.push(c);
      const loadS = await c.ready();
      process.stdout.write(`  ${side} loaded and warmed up in ${loadS.toFixed(1)} s\n`);
      sides.set(side, c);
    }
    const results = new Map<string, Measured>();
    for (let k = 0; k < rounds; k++) {
      // Rotated by a different step each round, so no measurement always follows the same one.
      const order = MEASUREMENTS.map((_, i) => MEASUREMENTS[(i * (k % 2 === 0 ? 1 : MEASUREMENTS.length - 1) + k) % MEASUREMENTS.length]!);
      const line: string[] = [];
      for (const m of order) {
        await sleep(200); // lets the previous side's ORT threads stop spinning
        const r = await sides.get(m.side)!.run(m.mode);
        const prev = results.get(key(m));
        results.set(key(m), { best: Math.min(prev?.best ?? Infinity, r.seconds), all: [...(prev?.all ?? []), r.seconds], labels: r.labels });
        line.push(`${key(m)} ${r.seconds.toFixed(2)} s`);
      }
      process.stdout.write(`  round ${k + 1}: ${line.join(', ')}\n`);
    }

    const tps = (k: string): number => count / results.get(k)!.best;
    const base = results.get('lengua-fp32/pipeline')!.labels;
    const baseInt8 = results.get('lengua-int8/pipeline')!.labels;
    const shapeName = `${shape.layers}x${shape.hidden}`;
    const rows: Array<Record<string, unknown>> = [];
    const row = (dtype: string, reference: string, lengua: string, ref: string, extra: Record<string, unknown>): void => {
      const lenguaLabels = results.get(lengua)!.labels;
      rows.push({
        bench: 'inference', config: name, shape: shapeName, dtype, reference, ratio: r3(tps(lengua) / tps(ref)),
        textsPerS: r1(tps(lengua)), referenceTextsPerS: r1(tps(ref)), ...extra,
        threads, texts: count, batch, rounds,
        sameLabels: agree(lenguaLabels, results.get(ref)!.labels),
        lenguaS: results.get(lengua)!.all.map(r3), referenceS: results.get(ref)!.all.map(r3),
      });
    };
    for (const [dtype, tjs, lengua] of [['fp32', 'tjs-fp32', 'lengua-fp32'], ['int8', 'tjs-q8', 'lengua-int8']] as const) {
      const modes = { array: r1(tps(`${tjs}/array`)), single: r1(tps(`${tjs}/single`)), [`chunks${batch}`]: r1(tps(`${tjs}/chunks`)) };
      row(dtype, 'transformers.js', `${lengua}/pipeline`, `${tjs}/array`, { referenceUsage: 'array', goal: 2, transformersJsTextsPerS: modes });
      const best = tps(`${tjs}/single`) >= tps(`${tjs}/chunks`) ? 'single' : 'chunks';
      row(dtype, 'transformers.js-best', `${lengua}/pipeline`, `${tjs}/${best}`, { referenceUsage: best === 'single' ? 'single' : `chunks${batch}`, goal: 1.5, transformersJsTextsPerS: modes });
    }
    row('fp32', 'torch', 'lengua-fp32/pipeline', 'torch/forward', {});
    row('int8', 'lengua-fp32', 'lengua-int8/pipeline', 'lengua-fp32/pipeline', name === 'base' ? { goal: 1.8 } : {});
    // Labels of every side against Lengua fp32's (random weights: near ties, so int8 may flip a few).
    process.stdout.write(`  labels equal to lengua-fp32's: ${[...results].map(([k, v]) => `${k} ${agree(v.labels, base)}`).join(', ')}; tjs-q8 vs lengua-int8: ${agree(results.get('tjs-q8/array')!.labels, baseInt8)}\n`);
    return rows.map((r) => JSON.stringify(r));
  } finally {
    for (const c of children) await c.close();
    rmSync(root, { recursive: true, force: true });
  }
}

function table(lines: string[]): string {
  const head = '| config | dtype | reference | Lengua texts/s | reference texts/s | ratio | goal |';
  const body = lines.map((l) => JSON.parse(l) as Record<string, unknown>).map((r) =>
    `| ${String(r.config)} ${String(r.shape)} | ${String(r.dtype)} | ${String(r.reference)}${r.referenceUsage !== undefined ? ` (${String(r.referenceUsage)})` : ''} | ` +
    `${String(r.textsPerS)} | ${String(r.referenceTextsPerS)} | ${Number(r.ratio).toFixed(2)}x | ${r.goal !== undefined ? `>= ${String(r.goal)}x` : ''} |`);
  return [head, '| --- | --- | --- | --- | --- | --- | --- |', ...body].join('\n') + '\n';
}

export async function main(argv: string[]): Promise<number> {
  const childAt = argv.indexOf('--child');
  if (childAt >= 0) return child(JSON.parse(argv[childAt + 1]!) as ChildSpec);
  const configs = arg(argv, 'configs', 'small,base').split(',');
  const count = Number(arg(argv, 'texts', '1000'));
  const batch = Number(arg(argv, 'batch', '32'));
  const threads = Number(arg(argv, 'threads', '2'));
  const rounds = Number(arg(argv, 'rounds', '3'));
  for (const [n, v] of Object.entries({ texts: count, batch, threads, rounds })) {
    if (!Number.isSafeInteger(v) || v < 1) throw new Error(`--${n} must be a positive integer`);
  }
  process.stdout.write(`text-classification: ${count} tweets, batch ${batch}, ${threads} threads on every side, best of ${rounds} rounds\n`);
  const lines: string[] = [];
  for (const name of configs) lines.push(...(await benchConfig(name, count, batch, threads, rounds)));
  process.stdout.write(table(lines));
  for (const l of lines) process.stdout.write(l + '\n');
  if (!argv.includes('--no-generation')) {
    process.stdout.write('generation (bench/generation.ts):\n');
    const generation = await import('./generation.js');
    const code = await generation.main(['--threads', String(threads), '--configs', configs.join(',')]);
    if (code !== 0) return code;
  }
  return 0;
}
