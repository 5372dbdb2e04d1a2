/**
 * Greedy decoding with the KV cache, tokens per second: Lengua's generation search on ONNX Runtime against
 * Transformers.js' `model.generate` on the same exported `onnx/decoder_model_merged.onnx` (random GPT-2
 * weights), both sides given the same ORT threads. Each side runs in its own child process, twice, alternated;
 * each child does one warm-up generation, then `--runs` timed ones; the median of all is kept. The line also
 * says whether both sides generated the same ids.
 *
 *   npm run bench -- generation [--threads 2] [--new-tokens 64] [--prompt 16] [--runs 3] [--configs small,base]
 *
 * Prints one JSON line per configuration: config, dtype, reference, tokens_per_s of both sides and ratio
 * (Lengua's throughput / the reference's: higher is better).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AutoConfig, AutoModelForCausalLM } from '../src/models/index.js';
import { exportToOnnx } from '../src/export/index.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const CONFIGS: Record<string, Record<string, number>> = {
  small: { n_layer: 4, n_embd: 256, n_head: 4, vocab_size: 50257, n_positions: 1024 },
  base: { n_layer: 12, n_embd: 768, n_head: 12, vocab_size: 50257, n_positions: 1024 },
};

const TJS = `
import { AutoModelForCausalLM, env, Tensor } from '@huggingface/transformers';
const [root, id, threads, promptJson, newTokens, runs] = process.argv.slice(1);
env.allowRemoteModels = false;
env.localModelPath = root + '/';
const model = await AutoModelForCausalLM.from_pretrained(id, { dtype: 'fp32', model_file_name: 'decoder_model_merged', session_options: { intraOpNumThreads: Number(threads), interOpNumThreads: 1 } });
const prompt = JSON.parse(promptJson);
const ids = new Tensor('int64', BigInt64Array.from(prompt.map(BigInt)), [1, prompt.length]);
const mask = new Tensor('int64', BigInt64Array.from(prompt.map(() => 1n)), [1, prompt.length]);
const times = [];
let out;
for (let i = 0; i <= Number(runs); i++) {
  const t0 = performance.now();
  out = await model.generate({ input_ids: ids, attention_mask: mask, max_new_tokens: Number(newTokens), min_new_tokens: Number(newTokens), do_sample: false });
  if (i > 0) times.push(performance.now() - t0);
}
await model.dispose();
console.log(JSON.stringify({ times, ids: out.tolist()[0].map(Number) }));
`;

// Lengua's side in its own process too (the parent loaded libtorch for the export): the search the worker runs.
const LENGUA = `
import { generate, resolveGenerationConfig } from ${JSON.stringify(new URL('../src/generation/index.ts', import.meta.url).href)};
import { OnnxCausalLm } from ${JSON.stringify(new URL('../src/infer/generation/index.ts', import.meta.url).href)};
const [dir, threads, promptJson, newTokens, runs] = process.argv.slice(1);
const lm = await OnnxCausalLm.load(dir, Number(threads));
const config = resolveGenerationConfig({ maxNewTokens: Number(newTokens), minNewTokens: Number(newTokens), eosTokenId: 50256 });
const prompt = JSON.parse(promptJson);
const times = [];
let ids;
for (let i = 0; i <= Number(runs); i++) {
  const t0 = performance.now();
  const [row] = await generate(lm, [prompt], config);
  if (i > 0) times.push(performance.now() - t0);
  ids = row.sequence;
}
await lm.release();
console.log(JSON.stringify({ times, ids }));
`;

function arg(argv: string[], name: string, dflt: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : dflt;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function main(argv: string[]): Promise<number> {
  const threads = Number(arg(argv, 'threads', '2'));
  const newTokens = Number(arg(argv, 'new-tokens', '64'));
  const promptLen = Number(arg(argv, 'prompt', '16'));
  const runs = Number(arg(argv, 'runs', '3'));
  const names = arg(argv, 'configs', 'small,base').split(',');
  for (const name of names) {
    const shape = CONFIGS[name];
    if (shape === undefined) throw new Error(`unknown config ${name} (${Object.keys(CONFIGS).join(', ')})`);
    const root = mkdtempSync(join(tmpdir(), 'lengua-bench-gen-'));
    try {
      const model = AutoModelForCausalLM.fromConfig(AutoConfig.forModel('gpt2', { ...shape, eos_token_id: 50256, bos_token_id: 50256 }), { seed: 1 });
      model.eval();
      const dir = join(root, 'model');
      const t0 = performance.now();
      await exportToOnnx(model, dir, { task: 'text-generation', threads });
      const exportS = (performance.now() - t0) / 1000;
      const prompt = Array.from({ length: promptLen }, (_, i) => (i * 7919 + 13) % 50000);

      // Each side in a fresh child process, alternated (Lengua, Transformers.js, Lengua, Transformers.js) so a
      // change of load on a shared machine hits both; medians over all timed runs.
      const side = (script: string, args: string[], tsx: boolean): { times: number[]; ids: number[] } => {
        const out = execFileSync(process.execPath, [...(tsx ? ['--import', 'tsx'] : []), '--input-type=module', '-e', script, ...args], { cwd: repo, encoding: 'utf8', maxBuffer: 1 << 26 });
        return JSON.parse(out.trim().split('\n').at(-1)!) as { times: number[]; ids: number[] };
      };
      const lenguaArgs = [dir, String(threads), JSON.stringify(prompt), String(newTokens), String(runs)];
      const tjsArgs = [root, 'model', String(threads), JSON.stringify(prompt), String(newTokens), String(runs)];
      const l1 = side(LENGUA, lenguaArgs, true);
      const t1 = side(TJS, tjsArgs, false);
      const l2 = side(LENGUA, lenguaArgs, true);
      const t2 = side(TJS, tjsArgs, false);
      const times = [...l1.times, ...l2.times];
      const tjs = { times: [...t1.times, ...t2.times], ids: t1.ids };
      const ids = l1.ids;
      const lenguaTps = newTokens / (median(times) / 1000);
      const tjsTps = newTokens / (median(tjs.times) / 1000);
      process.stdout.write(
        JSON.stringify({
          bench: 'generation',
          config: `gpt2-${name} ${shape.n_layer}x${shape.n_embd} vocab ${shape.vocab_size}, prompt ${promptLen}, ${newTokens} new tokens, greedy, batch 1, KV cache`,
          dtype: 'fp32',
          reference: 'transformers.js',
          threads,
          tokens_per_s: Number(lenguaTps.toFixed(1)),
          reference_tokens_per_s: Number(tjsTps.toFixed(1)),
          ratio: Number((lenguaTps / tjsTps).toFixed(3)),
          same_ids: JSON.stringify(ids) === JSON.stringify(tjs.ids),
          // Every timed run (ms), in order, so the noise of a shared machine shows.
          lengua_ms: times.map((t) => Math.round(t)),
          reference_ms: tjs.times.map((t) => Math.round(t)),
          export_s: Number(exportS.toFixed(1)),
        }) + '\n',
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
  return 0;
}
