// Loading the binding in a fresh process: a missing build and a slow BLAS fail loudly with what to do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const script = `import('${new URL('./index.ts', import.meta.url).href}').then((t) => {
  const i = t.backendInfo(); console.log(JSON.stringify(i));
}).catch((e) => { console.error(e.name + ': ' + e.message); process.exit(3); });`;

function run(env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('a missing addon build names the command and packages to install', () => {
  const r = run({ LENGUA_TORCH_ADDON: '/nonexistent/lengua_torch.node' });
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stderr, /LenguaError: the libtorch binding is not built \(\/nonexistent\/lengua_torch.node is missing\): run `npm run build:native`/);
  assert.match(r.stderr, /apt-get install libtorch-dev libopenblas0-pthread/);
});

test('LENGUA_NUM_THREADS overrides the default thread count', () => {
  const r = run({ LENGUA_NUM_THREADS: '1' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).threads, 1);
});

// Simulates a machine without OpenBLAS: put the reference BLAS first on the library path (needs Debian's libblas3).
const referenceBlas = '/usr/lib/x86_64-linux-gnu/blas/libblas.so.3';
test('the reference BLAS fails at load unless LENGUA_ALLOW_SLOW_BLAS=1', { skip: existsSync(referenceBlas) ? false : 'libblas3 not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lengua-refblas-'));
  try {
    symlinkSync(referenceBlas, join(dir, 'libblas.so.3'));
    const r = run({ LD_LIBRARY_PATH: dir });
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, /libtorch is using the reference BLAS \(\/usr\/lib\/x86_64-linux-gnu\/blas\/libblas\.so\.3[.\d]*\), which trains about 30x slower/);
    assert.match(r.stderr, /apt-get install libopenblas0-pthread/);
    const ok = run({ LD_LIBRARY_PATH: dir, LENGUA_ALLOW_SLOW_BLAS: '1' });
    assert.equal(ok.status, 0, ok.stderr);
    const info = JSON.parse(ok.stdout);
    assert.equal(info.blas, 'reference');
    assert.equal(info.openblas, false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('importing src/torch without the addon succeeds; the first tensor operation names the fix', () => {
  const lazy = `import('${new URL('./index.ts', import.meta.url).href}').then((t) => {
    console.log('imported');
    t.zeros([2]);
  }).catch((e) => { console.error(e.name + ': ' + e.message); process.exit(3); });`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', lazy], {
    env: { ...process.env, LENGUA_TORCH_ADDON: '/nonexistent/lengua_torch.node' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 3, r.stderr);
  assert.equal(r.stdout.trim(), 'imported');
  assert.match(r.stderr, /the libtorch binding is not built/);
});

test('OpenMP waits passively unless the user chose a policy', () => {
  const probe = `import('${new URL('./index.ts', import.meta.url).href}').then((t) => { t.zeros([1]); console.log(process.env.OMP_WAIT_POLICY); })`;
  const env = { ...process.env };
  delete env.OMP_WAIT_POLICY;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe], { env, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'PASSIVE');
  const mine = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe], { env: { ...env, OMP_WAIT_POLICY: 'ACTIVE' }, encoding: 'utf8', timeout: 60_000 });
  assert.equal(mine.stdout.trim(), 'ACTIVE');
});
