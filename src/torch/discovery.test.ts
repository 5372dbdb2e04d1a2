// native/find-libtorch.mjs: which libtorch the addon builds against, and what the build is told.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../../native/find-libtorch.mjs', import.meta.url));
function find(mode: string, env: Record<string, string | undefined>): { status: number | null; out: string; err: string } {
  const e = { ...process.env, ...env };
  for (const k of Object.keys(e)) if (e[k] === undefined) delete e[k];
  const r = spawnSync(process.execPath, [script, mode], { env: e, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: r.stdout.trim(), err: r.stderr };
}

test('LIBTORCH names a libtorch folder: its include dirs, -L, rpath and C++ ABI are used', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lengua-libtorch-'));
  try {
    mkdirSync(join(dir, 'include', 'ATen'), { recursive: true });
    writeFileSync(join(dir, 'include', 'ATen', 'ATen.h'), '');
    mkdirSync(join(dir, 'lib'));
    for (const l of ['torch', 'torch_cpu', 'c10', 'torch_cuda']) writeFileSync(join(dir, 'lib', `lib${l}.so`), '');
    mkdirSync(join(dir, 'share', 'cmake', 'Torch'), { recursive: true });
    writeFileSync(join(dir, 'share', 'cmake', 'Torch', 'TorchConfig.cmake'), 'set(TORCH_CXX_FLAGS "-D_GLIBCXX_USE_CXX11_ABI=0")\n');
    const env = { LIBTORCH: dir, LIBTORCH_DIR: undefined };
    const json = JSON.parse(find('json', env).out);
    assert.equal(json.source, 'env LIBTORCH');
    assert.equal(find('include', env).out, `${dir}/include ${dir}/include/torch/csrc/api/include`);
    assert.equal(find('libs', env).out, `-Wl,--no-as-needed -L${dir}/lib -ltorch -ltorch_cpu -lc10 -ltorch_cuda -Wl,--as-needed`);
    assert.equal(find('ldflags', env).out, `-Wl,-rpath,${dir}/lib`);
    assert.equal(find('cflags', env).out, '-D_GLIBCXX_USE_CXX11_ABI=0');
    // LIBTORCH_DIR is the other accepted name
    assert.equal(JSON.parse(find('json', { LIBTORCH: undefined, LIBTORCH_DIR: dir }).out).source, 'env LIBTORCH_DIR');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a LIBTORCH that is not a libtorch folder stops the build with what to install', () => {
  const r = find('include', { LIBTORCH: '/nonexistent/libtorch' });
  assert.equal(r.status, 1);
  assert.match(r.err, /LIBTORCH=\/nonexistent\/libtorch is not a libtorch folder/);
  assert.match(r.err, /apt-get install libtorch-dev libopenblas0-pthread/);
});

test('without LIBTORCH, a Python torch or Debian libtorch-dev is found (system libraries need no rpath)', () => {
  const r = find('json', { LIBTORCH: undefined, LIBTORCH_DIR: undefined });
  assert.equal(r.status, 0, r.err);
  const json = JSON.parse(r.out);
  assert.match(json.source, /^(python |system)/);
  if (json.system) assert.equal(find('ldflags', { LIBTORCH: undefined, LIBTORCH_DIR: undefined }).out, '');
});

const debianLib = '/usr/lib/x86_64-linux-gnu/libtorch_cpu.so';
test('a Python torch whose lib/ links to the system copies counts as the system libtorch', { skip: existsSync(debianLib) ? false : 'no Debian libtorch' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lengua-pytorch-'));
  try {
    // same layout as Debian's python3-torch: include/ and lib/ are symlinks into /usr
    mkdirSync(join(dir, 'include', 'ATen'), { recursive: true });
    writeFileSync(join(dir, 'include', 'ATen', 'ATen.h'), '');
    mkdirSync(join(dir, 'lib'));
    for (const l of ['torch', 'torch_cpu', 'c10']) symlinkSync(`/usr/lib/x86_64-linux-gnu/lib${l}.so`, join(dir, 'lib', `lib${l}.so`));
    const json = JSON.parse(find('json', { LIBTORCH: dir }).out);
    assert.equal(json.system, true);
    assert.equal(json.libDir, '/usr/lib/x86_64-linux-gnu');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
