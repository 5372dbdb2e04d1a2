/**
 * Greedy encoder-decoder decoding with the key/value cache, per-token cost along the sequence: Lengua's generation
 * search (src/generation) driving libtorch (`torchSeq2SeqLm`) and ONNX Runtime (`OnnxSeq2SeqLm` on the folder
 * `exportToOnnx` wrote), against a greedy loop with cache in plain PyTorch (bench/pytorch_generate.py; Debian's
 * python3-torch has no `transformers`). One T5-shaped model with random weights (seed 1) is saved by Lengua;
 * PyTorch reads the same model.safetensors. Batch 1, a 32-token source, a fixed number of new tokens (no EOS,
 * no min length), the same thread count on every side.
 *
 *   npm run bench -- generation-seq2seq [--configs small,t5-small] [--threads 2] [--new-tokens 128] [--window 16]
 *                                        [--source 32] [--runs 2] [--rounds 3]
 *
 * Each side runs in a fresh child process, the three alternated (Lengua libtorch, Lengua ORT, PyTorch) `--rounds`
 * times so a change of load on a shared machine hits all of them; each child does one warm-up generation, then
 * `--runs` timed ones. A timestamp is taken as each token is chosen (from before the encoder ran); the table gives,
 * for each window of `--window` new tokens, the median over all timed runs of the milliseconds per token, and the
 * ratio to PyTorch (lower is faster). Window 1 holds the encoder and the first decoder step. With the cache, a
 * step attends over the cache (linear in its length) but its matmuls are fixed in size, so at these lengths the
 * per-token cost should stay nearly flat; `flat` is the last window's cost over the second's (per run, then the
 * median). `agree` counts the generated tokens before the first that differs from PyTorch's (greedy from the same
 * weights: all of them, unless two logits tie within float rounding). Then one JSON line per configuration.
 *
 * The PyTorch loop is leaner than transformers' `generate`: no logits processors or stopping criteria, no
 * causal-mask building, and the relative-position bias of the new query only (transformers builds the whole
 * [key_len, key_len] bias each step and slices its last row), so it is the stronger reference.
 *
 * Measured on 2 cores shared with other jobs (load average 3–5), defaults (threads 2, source 32, 128 new tokens,
 * 3 rounds × 2 runs: medians of 6 runs per side), two invocations shown as first / second; ms per new token:
 *
 * | t5-small shape      | Lengua libtorch | Lengua ORT  | PyTorch     | libtorch/PyTorch | ORT/PyTorch |
 * | ------------------- | --------------- | ----------- | ----------- | ---------------- | ----------- |
 * | 1–16 (+encoder)     | 33.4 / 35.4     | 23.0 / 22.4 | 27.1 / 27.3 | 1.24 / 1.30      | 0.85 / 0.82 |
 * | 17–32               | 31.6 / 33.1     | 18.1 / 18.2 | 25.7 / 24.9 | 1.23 / 1.33      | 0.71 / 0.73 |
 * | 49–64               | 36.5 / 33.0     | 20.3 / 23.5 | 26.3 / 25.0 | 1.39 / 1.32      | 0.77 / 0.94 |
 * | 113–128             | 33.1 / 32.1     | 17.1 / 22.8 | 25.8 / 26.1 | 1.28 / 1.23      | 0.66 / 0.87 |
 * | flat (113–128/17–32)| 1.01 / 0.98     | 1.01 / 1.12 | 0.99 / 1.06 |                  |             |
 * | small shape 17–32   | 9.3 / 11.8      | 2.6 / 5.1   | 4.1 / 8.5   | 2.28 / 1.39      | 0.64 / 0.60 |
 * | small 113–128       | 9.0 / 12.3      | 2.2 / 5.4   | 4.3 / 8.0   | 2.07 / 1.54      | 0.51 / 0.68 |
 * | small flat          | 1.00 / 1.05     | 0.75 / 1.08 | 1.07 / 0.94 |                  |             |
 *
 * Every engine generated PyTorch's 128 ids in every run (agree 128/128). Longer, t5-small shape, 512 new tokens,
 * windows of 64, 2 runs per side: 65–128 → 449–512 went 33.9 → 37.2 (libtorch), 12.2 → 17.5 (ORT), 22.4 → 27.7
 * (PyTorch) ms per token, agree 512/512: each step copies the whole self-attention cache (torch.cat; in ORT the
 * graph's Concat, then present.* copied out to JS), 12 tensors of 1 MB each at 512 tokens, so a few ms grow in.
 * Of libtorch's extra ~7 ms per token over PyTorch (t5-small shape), about 3.4 ms is `torchSeq2SeqLm` handing the
 * 32128 logits to the search through `toArray()` (nested numbers, then `flat()`, then a Float32Array;
 * `Tensor.data()` copies them in 0.08 ms); the decoder step itself took 17–18 ms against PyTorch's 15–16 ms at
 * 64 cached tokens (a step timed alone, quiet moment). The small shape is dominated by per-op costs, which is
 * where ORT's fused graph gains most.
 *
 * After `torchSeq2SeqLm` switched to `data()` (2026-12-06, a quiet machine, t5-small, 2 rounds × 2 runs, medians of 4):
 * libtorch 19.7 / 19.9 ms per token at 17–32 / 113–128 (1.19× PyTorch's 16.6 / 16.8), ORT 6.8 / 7.0 (0.41×),
 * flat 0.98 / 1.04 / 1.04, agree 128/128 on every side; totals 2582 / 950 / 2179 ms for 128 tokens.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

// T5 shapes (transformers' config keys); `t5-small` is the released checkpoint's shape, `small` a quick run.
const CONFIGS: Record<string, Record<string, number>> = {
  small: { num_layers: 2, d_model: 256, num_heads: 4, d_kv: 64, d_ff: 1024, vocab_size: 32128 },
  't5-small': { num_layers: 6, d_model: 512, num_heads: 8, d_kv: 64, d_ff: 2048, vocab_size: 32128 },
};

type Engine = 'torch' | 'onnx';
const SIDES = ['lengua-torch', 'lengua-onnx', 'pytorch'] as const;
type Side = (typeof SIDES)[number];

interface SideResult {
  /** Per timed run, the ms after each new token, from before the encoder. */
  times: number[][];
  /** Decoder start token followed by the generated ids. */
  ids: number[];
}

function flag(argv: string[], name: string, dflt: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : dflt;
}

function positive(argv: string[], name: string, dflt: string): number {
  const v = flag(argv, name, dflt);
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${v}`);
  return n;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** One Lengua side in this (child) process: load, one warm-up generation, `runs` timed ones. */
async function lenguaSide(engine: Engine, dir: string, threads: number, source: number[], newTokens: number, runs: number): Promise<SideResult> {
  // Imported here: the ONNX child never loads libtorch (sharing a process with it slowed ORT down, see bench/generation.ts).
  const { generate, resolveGenerationConfig } = await import('../src/generation/index.js');
  type Lm = Parameters<typeof generate>[0];
  let lm: Lm;
  let release: () => Promise<void>;
  if (engine === 'torch') {
    const torch = await import('../src/torch/index.js');
    const { AutoModelForSeq2SeqLM, torchSeq2SeqLm } = await import('../src/models/index.js');
    torch.setNumThreads(threads);
    const model = await AutoModelForSeq2SeqLM.fromPretrained(dir);
    model.eval();
    lm = torchSeq2SeqLm(model, [source]);
    release = () => Promise.resolve();
  } else {
    const { OnnxSeq2SeqLm } = await import('../src/infer/generation/index.js');
    const m = await OnnxSeq2SeqLm.load(dir, threads);
    lm = m.forSources([source]);
    release = () => m.release();
  }
  // No EOS and no min length: every run generates exactly newTokens tokens, on every side.
  const config = resolveGenerationConfig({ maxNewTokens: newTokens, eosTokenId: null, padTokenId: 0 });
  const times: number[][] = [];
  let ids: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const stamps: number[] = [];
    const t0 = performance.now();
    const [row] = await generate(lm, [[0]], config, { onTokens: () => stamps.push(performance.now() - t0) });
    if (i > 0) times.push(stamps.map((t) => Number(t.toFixed(3))));
    ids = row!.sequence;
  }
  await release();
  return { times, ids };
}

function runChild(cmd: string, args: string[], label: string, env: NodeJS.ProcessEnv): SideResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env });
  if (r.status !== 0) throw new Error(`${label} failed (exit ${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as SideResult;
}

/** Windows [from, to] of new tokens (1-based), the last one shorter when `window` does not divide `n`. */
function windows(n: number, window: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let a = 1; a <= n; a += window) out.push([a, Math.min(n, a + window - 1)]);
  return out;
}

/** ms per token of window [a, b] in one run: the time from token a − 1 (or the start) to token b, over its tokens. */
function windowCost(stamps: number[], [a, b]: [number, number]): number {
  return (stamps[b - 1]! - (a > 1 ? stamps[a - 2]! : 0)) / (b - a + 1);
}

/** Generated tokens before the first one that differs. */
function agreeing(x: number[], y: number[]): number {
  let i = 1;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  return i - 1;
}

export async function main(argv: string[]): Promise<number> {
  const threads = positive(argv, 'threads', '2');
  const newTokens = positive(argv, 'new-tokens', '128');
  const window = positive(argv, 'window', '16');
  const sourceLen = positive(argv, 'source', '32');
  const runs = positive(argv, 'runs', '2');
  const rounds = positive(argv, 'rounds', '3');
  const source = Array.from({ length: sourceLen }, (_, i) => 2 + ((i * 7919 + 13) % 32000));

  const child = flag(argv, 'child', '');
  if (child !== '') {
    if (child !== 'torch' && child !== 'onnx') throw new Error(`--child must be torch or onnx, got ${child}`);
    const r = await lenguaSide(child, flag(argv, 'dir', ''), threads, source, newTokens, runs);
    process.stdout.write(JSON.stringify(r) + '\n');
    return 0;
  }

  const names = flag(argv, 'configs', 'small,t5-small').split(',');
  for (const n of names) if (!(n in CONFIGS)) throw new Error(`unknown config ${n} (known: ${Object.keys(CONFIGS).join(', ')})`);
  const python = process.env.LENGUA_BENCH_PYTHON ?? '/usr/bin/python3';
  // libtorch reads LENGUA_NUM_THREADS when it loads; PyTorch and ORT are given --threads.
  const env = { ...process.env, LENGUA_NUM_THREADS: String(threads) };
  const { AutoConfig, AutoModelForSeq2SeqLM } = await import('../src/models/index.js');
  const { exportToOnnx } = await import('../src/export/index.js');

  for (const name of names) {
    const shape = CONFIGS[name]!;
    const root = mkdtempSync(join(tmpdir(), 'lengua-bench-s2s-'));
    try {
      const modelDir = join(root, 'model');
      const onnxDir = join(root, 'onnx');
      // T5's positions are relative; n_positions (512 in t5-small's config) only bounds what generate accepts.
      const model = AutoModelForSeq2SeqLM.fromConfig(AutoConfig.forModel('t5', { ...shape, n_positions: Math.max(512, newTokens + 1) }), { seed: 1 });
      await model.savePretrained(modelDir);
      const t0 = performance.now();
      await exportToOnnx(modelDir, onnxDir, { threads });
      const exportS = (performance.now() - t0) / 1000;

      const common = ['--threads', String(threads), '--new-tokens', String(newTokens), '--source', String(sourceLen), '--runs', String(runs)];
      const results: Record<Side, SideResult[]> = { 'lengua-torch': [], 'lengua-onnx': [], pytorch: [] };
      for (let r = 0; r < rounds; r++) {
        // Each round starts with the next side, so no side always runs right after the same one.
        for (const side of [...SIDES.slice(r % SIDES.length), ...SIDES.slice(0, r % SIDES.length)]) {
          process.stderr.write(`[${name}] round ${r + 1}/${rounds}: ${side}...\n`);
          results[side].push(side === 'pytorch'
            ? runChild(python, [join(here, 'pytorch_generate.py'), '--dir', modelDir, '--threads', String(threads), '--source', JSON.stringify(source), '--new-tokens', String(newTokens), '--runs', String(runs)], side, env)
            : runChild(process.execPath, ['--import', 'tsx', join(here, 'run.ts'), 'generation-seq2seq', '--child', side === 'lengua-torch' ? 'torch' : 'onnx', '--dir', side === 'lengua-torch' ? modelDir : onnxDir, ...common], side, env));
        }
      }

      const wins = windows(newTokens, window);
      const runsOf = (side: Side): number[][] => results[side].flatMap((x) => x.times);
      const cost = Object.fromEntries(SIDES.map((s) => [s, wins.map((w) => median(runsOf(s).map((t) => windowCost(t, w))))])) as Record<Side, number[]>;
      const total = Object.fromEntries(SIDES.map((s) => [s, median(runsOf(s).map((t) => t.at(-1)!))])) as Record<Side, number>;
      const reference = results.pytorch[0]!.ids;
      // Every round of a side should give the same ids (same weights, threads and kernels); count the worst.
      const agree = Object.fromEntries(SIDES.map((s) => [s, Math.min(...results[s].map((x) => agreeing(x.ids, reference)))])) as Record<Side, number>;
      // Within each run (one load level, mostly), then the median over runs.
      const flat = (s: Side): number => (wins.length > 2 ? median(runsOf(s).map((t) => windowCost(t, wins.at(-1)!) / windowCost(t, wins[1]!))) : NaN);

      const desc = `T5 ${name} ${shape.num_layers}+${shape.num_layers} layers × ${shape.d_model}, ${shape.num_heads} heads, d_ff ${shape.d_ff}, vocab ${shape.vocab_size}`;
      const fmt = (x: number): string => x.toFixed(2);
      const head = ['new tokens', 'lengua torch ms', 'lengua ort ms', 'pytorch ms', 'torch/pytorch', 'ort/pytorch'];
      const lines = wins.map(([a, b], i) => [
        `${a}-${b}${i === 0 ? ' (+encoder)' : ''}`, fmt(cost['lengua-torch'][i]!), fmt(cost['lengua-onnx'][i]!), fmt(cost.pytorch[i]!),
        fmt(cost['lengua-torch'][i]! / cost.pytorch[i]!), fmt(cost['lengua-onnx'][i]! / cost.pytorch[i]!),
      ]);
      lines.push(['total ms', ...SIDES.map((s) => total[s].toFixed(0)), fmt(total['lengua-torch'] / total.pytorch), fmt(total['lengua-onnx'] / total.pytorch)]);
      lines.push([`flat (last/${wins[1]?.join('-') ?? '-'})`, ...SIDES.map((s) => fmt(flat(s))), '', '']);
      lines.push(['agree with pytorch', ...SIDES.map((s) => `${agree[s]}/${newTokens}`), '', '']);
      const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
      const row = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
      process.stdout.write(`${desc}; source ${sourceLen}, ${newTokens} new tokens, greedy, batch 1, threads ${threads}; ms per token, median of ${rounds * runs} runs per side (${rounds} alternating rounds)\n`);
      process.stdout.write(row(head) + '\n' + lines.map(row).join('\n') + '\n');
      process.stdout.write(JSON.stringify({
        bench: 'generation-seq2seq', config: name, shape: desc, source: sourceLen, new_tokens: newTokens, threads, window, rounds, runs,
        reference: 'pytorch (plain-torch T5, greedy with cache)',
        windows: wins.map(([a, b], i) => ({
          tokens: `${a}-${b}`, lengua_torch_ms: +fmt(cost['lengua-torch'][i]!), lengua_onnx_ms: +fmt(cost['lengua-onnx'][i]!), pytorch_ms: +fmt(cost.pytorch[i]!),
          torch_ratio: +fmt(cost['lengua-torch'][i]! / cost.pytorch[i]!), onnx_ratio: +fmt(cost['lengua-onnx'][i]! / cost.pytorch[i]!),
        })),
        total_ms: Object.fromEntries(SIDES.map((s) => [s, Math.round(total[s])])),
        flat: Object.fromEntries(SIDES.map((s) => [s, +fmt(flat(s))])),
        agree: Object.fromEntries(SIDES.map((s) => [s, agree[s]])),
        // Every timed run's total (ms), in order, so the noise of a shared machine shows.
        runs_ms: Object.fromEntries(SIDES.map((s) => [s, runsOf(s).map((t) => Math.round(t.at(-1)!))])),
        export_s: +exportS.toFixed(1), omp_wait_policy: process.env.OMP_WAIT_POLICY ?? null,
      }) + '\n');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
  return 0;
}
