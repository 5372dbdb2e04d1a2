// `npm run bench -- <name> [options]`: dispatches to one benchmark. Benchmarks are never part of the tests.
const benches: Record<string, () => Promise<{ main(argv: string[]): Promise<number> }>> = {
  'train-step': () => import('./train-step.js'),
  strategies: () => import('./strategies.js'),
  data: () => import('./data.js'),
  'inference-int8': () => import('./inference-int8.js'),
  inference: () => import('./inference.js'),
  'quantize-accuracy': () => import('./quantize-accuracy.js'),
  generation: () => import('./generation.js'),
  'generation-seq2seq': () => import('./generation-seq2seq.js'),
  serve: () => import('./serve.js'),
};

// Lengua defaults OpenMP to passive waiting (src/torch/native.ts); give the PyTorch side the same
// policy unless the user chose one, so both sides run under one policy.
process.env.OMP_WAIT_POLICY ??= 'PASSIVE';

const [name, ...rest] = process.argv.slice(2);
const load = name === undefined ? undefined : benches[name];
if (load === undefined) {
  process.stderr.write(`usage: npm run bench -- <${Object.keys(benches).join('|')}> [options]\n`);
  process.exitCode = 2;
} else {
  process.exitCode = await (await load()).main(rest);
}
