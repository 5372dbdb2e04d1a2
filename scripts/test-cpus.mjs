#!/usr/bin/env node
// Runs the unit tests once per OpenBLAS kernel and thread count, so a tolerance that only holds on this
// machine's CPU shows up here rather than on the next CI machine. OpenBLAS (Debian's DYNAMIC_ARCH build)
// picks its GEMM kernels by CPU family, and the kernel and the thread count decide the order of float
// additions; `OPENBLAS_CORETYPE` forces a kernel. Kernels the CPU cannot execute are skipped.
//
//   npm run test:cpus                         every kernel this CPU can run × LENGUA_NUM_THREADS 1 and 2
//   npm run test:cpus -- --kernels Zen,Haswell --threads 1 -- frozen-cache    (after `--`: test file filters)
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

// The CPU features each kernel's code needs (OpenBLAS driver/others/dynamic.c).
const KERNELS = {
  default: [],
  Prescott: ['pni'], // /proc/cpuinfo names SSE3 "pni"
  Nehalem: ['sse4_2'],
  Sandybridge: ['avx'],
  Haswell: ['avx2', 'fma'],
  Zen: ['avx2', 'fma'],
  SkylakeX: ['avx512f', 'avx512bw', 'avx512vl'],
  Cooperlake: ['avx512f', 'avx512bw', 'avx512vl', 'avx512_bf16'],
};
const DEFAULT_KERNELS = ['default', 'Haswell', 'Zen', 'SkylakeX', 'Sandybridge'];

const sep = process.argv.indexOf('--', 2);
const own = sep < 0 ? process.argv.slice(2) : process.argv.slice(2, sep);
const filters = sep < 0 ? [] : process.argv.slice(sep + 1);
const { values } = parseArgs({
  args: own,
  options: { kernels: { type: 'string' }, threads: { type: 'string', default: '1,2' }, logs: { type: 'string' } },
});
const kernels = values.kernels ? values.kernels.split(',') : DEFAULT_KERNELS;
const threads = values.threads.split(',');
for (const k of kernels) if (!(k in KERNELS)) throw new Error(`--kernels: unknown kernel "${k}"; known: ${Object.keys(KERNELS).join(', ')}`);
const logs = values.logs ?? mkdtempSync(join(tmpdir(), 'lengua-test-cpus-'));
mkdirSync(logs, { recursive: true });

const flags = new Set((/^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '').trim().split(/\s+/));
const model = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';

/** The kernel OpenBLAS really loads under this environment (it falls back silently on an unknown name). */
function coreName(env) {
  const py = "import ctypes; l = ctypes.CDLL('libopenblas.so.0'); l.openblas_get_corename.restype = ctypes.c_char_p; print(l.openblas_get_corename().decode())";
  const r = spawnSync('/usr/bin/python3', ['-c', py], { env, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown (no /usr/bin/python3 to ask OpenBLAS)';
}

function runSuite(env, logFile) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['scripts/run-tests.mjs', ...filters], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('close', (code) => {
      writeFileSync(logFile, out);
      const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(out)?.[1] ?? NaN);
      const failed = [...out.matchAll(/^not ok \d+ - (.*)$/gm)].map((m) => m[1]);
      resolve({ code, pass: count('pass'), fail: count('fail'), failed, seconds: (Date.now() - started) / 1000 });
    });
  });
}

console.log(`CPU: ${model}; logs in ${logs}`);
const rows = [];
for (const kernel of kernels) {
  const missing = KERNELS[kernel].filter((f) => !flags.has(f));
  if (missing.length > 0) {
    console.log(`skip ${kernel}: this CPU lacks ${missing.join(', ')}`);
    rows.push({ kernel, threads: '-', result: `skipped (no ${missing.join(', ')})` });
    continue;
  }
  for (const t of threads) {
    const env = { ...process.env, LENGUA_NUM_THREADS: t };
    if (kernel === 'default') delete env.OPENBLAS_CORETYPE;
    else env.OPENBLAS_CORETYPE = kernel;
    const core = coreName(env);
    const log = join(logs, `${kernel}-t${t}.log`);
    process.stdout.write(`${kernel} (OpenBLAS core ${core}), LENGUA_NUM_THREADS=${t} ... `);
    const r = await runSuite(env, log);
    const ok = r.code === 0;
    console.log(`${ok ? 'ok' : 'FAIL'}: ${r.pass} pass, ${r.fail} fail, ${r.seconds.toFixed(0)} s`);
    for (const f of r.failed) console.log(`    not ok - ${f}  (see ${log})`);
    rows.push({ kernel: `${kernel} → ${core}`, threads: t, result: ok ? `ok (${r.pass} pass)` : `FAIL (${r.fail} fail)` });
  }
}
console.log('\n| OpenBLAS kernel | LENGUA_NUM_THREADS | result |\n|---|---|---|');
for (const r of rows) console.log(`| ${r.kernel} | ${r.threads} | ${r.result} |`);
process.exit(rows.some((r) => r.result.startsWith('FAIL')) ? 1 : 0);
