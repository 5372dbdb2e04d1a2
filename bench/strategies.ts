/**
 * Epoch time of the three fine-tuning strategies on a BERT-base-shaped classifier: `full`, `freeze`
 * (embeddings + the lower 10 of 12 layers frozen) and `head` (only the classifier trains). Lengua
 * runs freeze/head through the frozen-layer cache (src/train/frozen-cache.ts): the cache is built
 * once (timed separately as cacheBuildMs), then a cached epoch runs only the trainable top. PyTorch
 * (Debian's torch, bench/pytorch_strategies.py) does each strategy the usual way: requires_grad False
 * on the frozen parameters and the full forward every step. Same shapes, same random-data recipe,
 * same thread count; each side of each strategy in its own child process so peak RSS is its own.
 * Prints a table and, last, one JSON line per strategy:
 *   {"config","lenguaMs","pytorchMs","ratio","cacheBuildMs"?,"lenguaRssMb","pytorchRssMb", ...}
 *
 *   npm run bench -- strategies [--strategies full,freeze,head] [--batches 8] [--warmup 1] [--threads N]
 *                               [--freeze-layers 10] [--rounds R] [--store float32|bfloat16] [--uncached]
 *
 * An "epoch" is --batches batches of 8 x 128 random ids (fixed seed). --uncached also times a Lengua
 * epoch with the cache bound set to 0 (frozen bottom recomputed without gradient every step).
 * With --rounds R the sides alternate R times and each keeps its best epoch (shared machines).
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIGS } from './train-step.js';

const STRATEGIES = ['full', 'freeze', 'head'] as const;
type Strategy = (typeof STRATEGIES)[number];

interface SideResult {
  epochMs: number;
  cacheBuildMs?: number;
  uncachedEpochMs?: number;
  rssMb: number;
  threads: number;
  finalLoss: number;
}

const here = dirname(fileURLToPath(import.meta.url));

interface ChildOpts {
  strategy: Strategy;
  batches: number;
  warmup: number;
  threads: number;
  freezeLayers: number;
  store: 'float32' | 'bfloat16';
  uncached: boolean;
}

/** Child: the Lengua side of one strategy. */
async function lenguaSide(o: ChildOpts): Promise<SideResult> {
  const torch = await import('../src/torch/index.js');
  const { F } = torch;
  const { AutoConfig, AutoModelForSequenceClassification } = await import('../src/models/index.js');
  const { applyStrategy } = await import('../src/train/strategy.js');
  const { trainingArguments } = await import('../src/train/arguments.js');
  const { collate } = await import('../src/train/data.js');
  const { FrozenLayerCache } = await import('../src/train/frozen-cache.js');
  const { mulberry32 } = await import('../src/data/split.js');
  torch.setNumThreads(o.threads);
  const shape = CONFIGS.base!;
  const config = AutoConfig.forModel('bert', {
    vocab_size: shape.vocab, hidden_size: shape.hidden, num_hidden_layers: shape.layers, num_attention_heads: shape.heads,
    intermediate_size: shape.ffn, max_position_embeddings: 512, type_vocab_size: 2,
  });
  const model = AutoModelForSequenceClassification.fromConfig(config, { seed: 0 });
  const args = trainingArguments({ outputDir: '/nonexistent', strategy: o.strategy, ...(o.strategy === 'freeze' ? { freezeLayers: o.freezeLayers } : {}), learningRate: 2e-5, weightDecay: 0.01 });
  const st = applyStrategy(model, args);
  const opt = new torch.optim.AdamW(st.groups.map(({ names: _n, ...g }) => g));

  // The training set: batches x batch examples of seq random ids (all full length, as the PyTorch side).
  const rand = mulberry32(1234);
  const n = o.batches * shape.batch;
  const inputIds = Array.from({ length: n }, () => Array.from({ length: shape.seq }, () => 1 + Math.floor(rand() * (shape.vocab - 1))));
  const ds = {
    inputIds, tokenTypeIds: inputIds.map((r) => r.map(() => 0)), labels: inputIds.map(() => Math.floor(rand() * 2)),
    texts: inputIds.map(() => ''), lengths: inputIds.map((r) => r.length), padTokenId: 0,
  };
  const batches = Array.from({ length: o.batches }, (_, b) => Array.from({ length: shape.batch }, (_, i) => b * shape.batch + i));
  const collated = batches.map((idx) => {
    const b = collate(ds, idx, { padTokenId: 0, withTokenTypes: true, multiLabel: false });
    for (const t of [b.inputIds, b.attentionMask, b.tokenTypeIds!, b.labels]) t.keep();
    return b;
  });

  const cache = o.strategy === 'full' ? null : new FrozenLayerCache(model, st.frozenLayers, { withTokenTypes: true, storeDtype: o.store, buildBatchSize: shape.batch });
  const nocache = o.strategy !== 'full' && o.uncached ? new FrozenLayerCache(model, st.frozenLayers, { withTokenTypes: true, maxBytes: 0 }) : null;
  model.train();
  let lastLoss = NaN;
  const step = (i: number, ff: InstanceType<typeof FrozenLayerCache> | null) => {
    const b = collated[i % collated.length]!;
    lastLoss = torch.tidy(() => {
      const logits = ff === null
        ? model.forward({ inputIds: b.inputIds, attentionMask: b.attentionMask, tokenTypeIds: b.tokenTypeIds! }).logits
        : ff.logits(ds, batches[i % batches.length]!, b, true);
      const loss = F.crossEntropy(logits, b.labels);
      loss.backward();
      return loss.item();
    });
    opt.step();
    opt.zeroGrad(true);
  };
  const epoch = (ff: InstanceType<typeof FrozenLayerCache> | null) => {
    const t0 = performance.now();
    for (let i = 0; i < o.batches; i++) step(i, ff);
    return performance.now() - t0;
  };
  let cacheBuildMs: number | undefined;
  if (cache !== null) {
    const t0 = performance.now();
    cache.build(ds, shape.batch);
    cacheBuildMs = performance.now() - t0;
  }
  for (let i = 0; i < o.warmup; i++) step(i, cache);
  const epochMs = epoch(cache);
  // Peak RSS of the measured run (build + cached epoch), before the optional uncached epoch.
  const rssMb = process.resourceUsage().maxRSS / 1024;
  const uncachedEpochMs = nocache !== null ? epoch(nocache) : undefined;
  return {
    epochMs, ...(cacheBuildMs !== undefined ? { cacheBuildMs } : {}), ...(uncachedEpochMs !== undefined ? { uncachedEpochMs } : {}),
    rssMb, threads: torch.getNumThreads(), finalLoss: lastLoss,
  };
}

function flag(argv: string[], name: string, def: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : def;
}

function positive(v: string, name: string, min = 1): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got ${v}`);
  return n;
}

function runChild(cmd: string, args: string[], label: string): SideResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${label} failed (exit ${r.status}):\n${r.stderr}`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as SideResult;
}

export async function main(argv: string[]): Promise<number> {
  const batches = positive(flag(argv, 'batches', '8'), 'batches');
  const warmup = positive(flag(argv, 'warmup', '1'), 'warmup', 0);
  const threads = positive(flag(argv, 'threads', String(availableParallelism())), 'threads');
  const rounds = positive(flag(argv, 'rounds', '1'), 'rounds');
  const shape = CONFIGS.base!;
  const freezeLayers = positive(flag(argv, 'freeze-layers', '10'), 'freeze-layers');
  if (freezeLayers > shape.layers) throw new Error(`--freeze-layers must be at most ${shape.layers}`);
  const store = flag(argv, 'store', 'float32');
  if (store !== 'float32' && store !== 'bfloat16') throw new Error(`--store must be float32 or bfloat16, got ${store}`);
  const uncached = argv.includes('--uncached');
  const names = flag(argv, 'strategies', STRATEGIES.join(',')).split(',') as Strategy[];
  for (const n of names) if (!STRATEGIES.includes(n)) throw new Error(`unknown strategy ${n} (known: ${STRATEGIES.join(', ')})`);

  const child = flag(argv, 'child', '');
  if (child !== '') {
    const r = await lenguaSide({ strategy: child as Strategy, batches, warmup, threads, freezeLayers, store, uncached });
    process.stdout.write(JSON.stringify(r) + '\n');
    return 0;
  }

  const python = process.env.LENGUA_BENCH_PYTHON ?? '/usr/bin/python3';
  const load0 = loadavg();
  const rows: Array<Record<string, unknown>> = [];
  for (const name of names) {
    const common = ['--batches', String(batches), '--warmup', String(warmup), '--threads', String(threads), '--freeze-layers', String(freezeLayers)];
    const ls: SideResult[] = [];
    const ps: SideResult[] = [];
    for (let r = 0; r < rounds; r++) {
      process.stderr.write(`[${name}] round ${r + 1}/${rounds}: lengua...\n`);
      ls.push(runChild(process.execPath, [
        '--import', 'tsx', join(here, 'run.ts'), 'strategies', '--child', name, ...common, '--store', store, ...(uncached ? ['--uncached'] : []),
      ], 'lengua side'));
      process.stderr.write(`[${name}] round ${r + 1}/${rounds}: pytorch...\n`);
      ps.push(runChild(python, [
        join(here, 'pytorch_strategies.py'), '--strategy', name, '--vocab', String(shape.vocab), '--hidden', String(shape.hidden),
        '--layers', String(shape.layers), '--heads', String(shape.heads), '--ffn', String(shape.ffn), '--batch', String(shape.batch),
        '--seq', String(shape.seq), ...common,
      ], 'pytorch side'));
    }
    const best = (xs: SideResult[], key: 'epochMs' | 'cacheBuildMs' | 'uncachedEpochMs') => {
      const v = xs.map((x) => x[key]).filter((x): x is number => x !== undefined);
      return v.length ? Math.min(...v) : undefined;
    };
    const l = best(ls, 'epochMs')!;
    const p = best(ps, 'epochMs')!;
    const build = best(ls, 'cacheBuildMs');
    const unc = best(ls, 'uncachedEpochMs');
    const lr = Math.max(...ls.map((x) => x.rssMb));
    const pr = Math.max(...ps.map((x) => x.rssMb));
    rows.push({
      config: name, lenguaMs: +l.toFixed(0), pytorchMs: +p.toFixed(0), ratio: +(l / p).toFixed(3),
      ...(build !== undefined ? { cacheBuildMs: +build.toFixed(0), firstEpochRatio: +((build + l) / p).toFixed(3) } : {}),
      ...(unc !== undefined ? { lenguaUncachedMs: +unc.toFixed(0), uncachedRatio: +(unc / p).toFixed(3) } : {}),
      lenguaRssMb: +lr.toFixed(0), pytorchRssMb: +pr.toFixed(0),
      frozenLayers: name === 'full' ? 0 : name === 'head' ? shape.layers : freezeLayers,
      batches, batch: shape.batch, seq: shape.seq, threads, rounds, store: name === 'full' ? undefined : store,
      loadAvg1: +loadavg()[0]!.toFixed(2),
    });
  }
  const head = ['strategy', 'lengua epoch', 'pytorch epoch', 'ratio', 'cache build', 'RSS lengua', 'RSS pytorch', 'load'];
  const lines = rows.map((r) => [
    String(r.config), `${r.lenguaMs} ms`, `${r.pytorchMs} ms`, `${r.ratio}x`, r.cacheBuildMs !== undefined ? `${r.cacheBuildMs} ms` : '-',
    `${r.lenguaRssMb} MB`, `${r.pytorchRssMb} MB`, String(r.loadAvg1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  process.stdout.write(`BERT-base shape (12L h768 12H ffn3072 v30522), batch ${shape.batch}, seq ${shape.seq}, ${batches} batches per epoch, `
    + `threads ${threads}, best of ${rounds} round(s), load average at start ${load0.map((x) => x.toFixed(2)).join(' ')}, OMP_WAIT_POLICY=${process.env.OMP_WAIT_POLICY ?? '(default)'}\n`);
  process.stdout.write(fmt(head) + '\n' + lines.map(fmt).join('\n') + '\n');
  for (const r of rows) process.stdout.write(JSON.stringify(r) + '\n');
  return 0;
}
