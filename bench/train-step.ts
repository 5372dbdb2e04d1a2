/**
 * Forward pass and one training step (forward + backward + AdamW) of a BERT sequence classifier:
 * Lengua (libtorch through our binding) against Debian's PyTorch running the same shapes with the
 * same thread count, each side in its own child process so peak RSS is its own. Prints a table and,
 * last, one JSON line per configuration:
 *   {"config","lenguaMs","pytorchMs","ratio","lenguaRssMb","pytorchRssMb", ...forward figures}
 *
 *   npm run bench -- train-step [--configs small,base] [--warmup 2] [--iters 5] [--threads N] [--rounds R] [--stat median|min]
 *
 * With --rounds R the two sides alternate R times (L P L P ...) and each side keeps its best median,
 * so a burst of load from other processes on a shared machine does not land on one side only.
 * Both children inherit the environment: on a machine shared with other busy processes, OpenMP's
 * default spin-waiting makes both sides several times slower and noisy; OMP_WAIT_POLICY=PASSIVE
 * (applied to both) gives steadier numbers there.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Shape {
  vocab: number;
  hidden: number;
  layers: number;
  heads: number;
  ffn: number;
  batch: number;
  seq: number;
}

export const CONFIGS: Record<string, Shape> = {
  // (a) the shape DESIGN.md's engine comparison used
  small: { vocab: 30522, hidden: 256, layers: 4, heads: 4, ffn: 1024, batch: 16, seq: 128 },
  // (b) BERT-base
  base: { vocab: 30522, hidden: 768, layers: 12, heads: 12, ffn: 3072, batch: 8, seq: 128 },
};

interface SideResult {
  forwardMs: number;
  stepMs: number;
  rssMb: number;
  threads: number;
}

const here = dirname(fileURLToPath(import.meta.url));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Child: the Lengua side of one configuration. */
async function lenguaSide(shape: Shape, warmup: number, iters: number, threads: number, stat: 'median' | 'min'): Promise<SideResult> {
  const torch = await import('../src/torch/index.js');
  const { AutoConfig, AutoModelForSequenceClassification } = await import('../src/models/index.js');
  torch.setNumThreads(threads);
  const config = AutoConfig.forModel('bert', {
    vocab_size: shape.vocab, hidden_size: shape.hidden, num_hidden_layers: shape.layers, num_attention_heads: shape.heads,
    intermediate_size: shape.ffn, max_position_embeddings: 512, type_vocab_size: 2,
  });
  const model = AutoModelForSequenceClassification.fromConfig(config, { seed: 0 });
  const opt = new torch.optim.AdamW(model.parameters(), { lr: 2e-5, weightDecay: 0.01 });
  const ids = torch.randint(1, shape.vocab, [shape.batch, shape.seq], { dtype: 'int64' }).keep();
  // Every other row half padding, as in the PyTorch script.
  const maskRows: number[][] = [];
  for (let i = 0; i < shape.batch; i++) maskRows.push(Array.from({ length: shape.seq }, (_, j) => (i % 2 === 1 && j >= shape.seq / 2 ? 0 : 1)));
  const mask = torch.tensor(maskRows, { dtype: 'int64' }).keep();
  const types = torch.zeros([shape.batch, shape.seq], { dtype: 'int64' }).keep();
  const labels = torch.randint(0, 2, [shape.batch], { dtype: 'int64' }).keep();
  const input = { inputIds: ids, attentionMask: mask, tokenTypeIds: types };
  const forward = () => torch.noGrad(() => torch.tidy(() => void model.forward(input)));
  const step = () => {
    torch.tidy(() => {
      const { loss } = model.forward({ ...input, labels });
      loss!.backward();
    });
    opt.step();
    opt.zeroGrad(true);
  };
  const timed = (fn: () => void, train: boolean) => {
    model.train(train);
    for (let i = 0; i < warmup; i++) fn();
    const ts: number[] = [];
    for (let i = 0; i < iters; i++) {
      const t0 = performance.now();
      fn();
      ts.push(performance.now() - t0);
    }
    return stat === 'median' ? median(ts) : Math.min(...ts);
  };
  const forwardMs = timed(forward, false);
  const stepMs = timed(step, true);
  return { forwardMs, stepMs, rssMb: process.resourceUsage().maxRSS / 1024, threads: torch.getNumThreads() };
}

function flag(argv: string[], name: string, def: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : def;
}

function positive(v: string, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${v}`);
  return n;
}

function runChild(cmd: string, args: string[], label: string): SideResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${label} failed (exit ${r.status}):\n${r.stderr}`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as SideResult;
}

export async function main(argv: string[]): Promise<number> {
  const warmup = positive(flag(argv, 'warmup', '2'), 'warmup');
  const iters = positive(flag(argv, 'iters', '5'), 'iters');
  const threads = positive(flag(argv, 'threads', String(availableParallelism())), 'threads');
  const rounds = positive(flag(argv, 'rounds', '1'), 'rounds');
  const stat = flag(argv, 'stat', 'median');
  if (stat !== 'median' && stat !== 'min') throw new Error(`--stat must be median or min, got ${stat}`);
  const names = flag(argv, 'configs', Object.keys(CONFIGS).join(',')).split(',');
  for (const n of names) if (!(n in CONFIGS)) throw new Error(`unknown config ${n} (known: ${Object.keys(CONFIGS).join(', ')})`);

  const child = flag(argv, 'child', '');
  if (child !== '') {
    const r = await lenguaSide(CONFIGS[child]!, warmup, iters, threads, stat);
    process.stdout.write(JSON.stringify(r) + '\n');
    return 0;
  }

  const python = process.env.LENGUA_BENCH_PYTHON ?? '/usr/bin/python3';
  const rows: Array<Record<string, unknown>> = [];
  for (const name of names) {
    const s = CONFIGS[name]!;
    const common = ['--warmup', String(warmup), '--iters', String(iters), '--threads', String(threads), '--stat', stat];
    const ls: SideResult[] = [];
    const ps: SideResult[] = [];
    for (let r = 0; r < rounds; r++) {
      process.stderr.write(`[${name}] round ${r + 1}/${rounds}: lengua...\n`);
      ls.push(runChild(process.execPath, ['--import', 'tsx', join(here, 'run.ts'), 'train-step', '--child', name, ...common], 'lengua side'));
      process.stderr.write(`[${name}] round ${r + 1}/${rounds}: pytorch...\n`);
      ps.push(runChild(python, [
        join(here, 'pytorch_train_step.py'), '--vocab', String(s.vocab), '--hidden', String(s.hidden), '--layers', String(s.layers),
        '--heads', String(s.heads), '--ffn', String(s.ffn), '--batch', String(s.batch), '--seq', String(s.seq), ...common,
      ], 'pytorch side'));
    }
    const best = (xs: SideResult[]): SideResult => ({
      forwardMs: Math.min(...xs.map((x) => x.forwardMs)),
      stepMs: Math.min(...xs.map((x) => x.stepMs)),
      rssMb: Math.max(...xs.map((x) => x.rssMb)),
      threads: xs[0]!.threads,
    });
    const l = best(ls);
    const p = best(ps);
    const desc = `${s.layers}L h${s.hidden} ${s.heads}H ffn${s.ffn} v${s.vocab} b${s.batch} s${s.seq}`;
    rows.push({
      config: name, shape: desc, threads,
      lenguaMs: +l.stepMs.toFixed(1), pytorchMs: +p.stepMs.toFixed(1), ratio: +(l.stepMs / p.stepMs).toFixed(3),
      lenguaRssMb: +l.rssMb.toFixed(0), pytorchRssMb: +p.rssMb.toFixed(0), rssRatio: +(l.rssMb / p.rssMb).toFixed(2),
      lenguaForwardMs: +l.forwardMs.toFixed(1), pytorchForwardMs: +p.forwardMs.toFixed(1), forwardRatio: +(l.forwardMs / p.forwardMs).toFixed(3),
      warmup, iters, rounds, stat, ompWaitPolicy: process.env.OMP_WAIT_POLICY ?? null,
    });
  }
  const head = ['config', 'shape', 'step lengua', 'step pytorch', 'ratio', 'fwd lengua', 'fwd pytorch', 'ratio', 'RSS lengua', 'RSS pytorch'];
  const lines = rows.map((r) => [
    r.config, r.shape, `${r.lenguaMs} ms`, `${r.pytorchMs} ms`, `${r.ratio}x`, `${r.lenguaForwardMs} ms`, `${r.pytorchForwardMs} ms`,
    `${r.forwardRatio}x`, `${r.lenguaRssMb} MB`, `${r.pytorchRssMb} MB`,
  ].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  process.stdout.write(`threads ${threads}, ${warmup} warm-up + ${iters} timed iterations, ${stat === 'median' ? 'medians' : 'minima'} (best of ${rounds} alternating rounds), OMP_WAIT_POLICY=${process.env.OMP_WAIT_POLICY ?? '(default)'}\n`);
  process.stdout.write(fmt(head) + '\n' + lines.map(fmt).join('\n') + '\n');
  for (const r of rows) process.stdout.write(JSON.stringify(r) + '\n');
  return 0;
}
