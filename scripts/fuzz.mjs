#!/usr/bin/env node
// The long fuzz run: every src/**/*.fuzz.test.ts with many more cases than `npm test` gives them.
//   npm run fuzz                    LENGUA_FUZZ_RUNS=20000
//   LENGUA_FUZZ_RUNS=200000 npm run fuzz -- safetensors      (filters select fuzz files by substring)
//   LENGUA_FUZZ_SEED=123 npm run fuzz -- csv                 (replay the seed a failure printed)
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function collect(dir, out) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) collect(p, out);
    else if (entry.name.endsWith('.fuzz.test.ts')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = collect('src', []).filter((f) => filters.length === 0 || filters.some((s) => f.includes(s))).sort();
if (files.length === 0) {
  console.error('no fuzz test files matched');
  process.exit(1);
}
const env = { ...process.env, LENGUA_FUZZ_RUNS: process.env.LENGUA_FUZZ_RUNS ?? '20000' };
console.error(`fuzzing ${files.length} file(s), ${env.LENGUA_FUZZ_RUNS} cases per property`);
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
