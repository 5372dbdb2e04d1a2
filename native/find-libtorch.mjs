#!/usr/bin/env node
// Finds the libtorch that the addon compiles and links against, for binding.gyp (`<!@(node find-libtorch.mjs include)`).
// Order: LIBTORCH / LIBTORCH_DIR (a libtorch folder: include/ + lib/), a Python `torch` install, Debian's libtorch-dev.
// Modes: include | libs | ldflags | cflags | json. On failure it prints what to install and exits 1, so the build stops
// with that message instead of a wall of compiler errors.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const INSTALL_HINT =
  'libtorch was not found. Install it with `apt-get install libtorch-dev libopenblas0-pthread` (Debian/Ubuntu), ' +
  'or `pip install torch`, or download libtorch from pytorch.org and set LIBTORCH=/path/to/libtorch.';

const SYSTEM_LIB_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib'];

function hasLib(libDir, name) {
  return fs.existsSync(path.join(libDir, `lib${name}.so`)) || fs.existsSync(path.join(libDir, `lib${name}.dylib`));
}

// A libtorch folder laid out as include/ + lib/ (the pytorch.org zip, or site-packages/torch).
function fromFolder(root, source) {
  const include = path.join(root, 'include');
  const lib = path.join(root, 'lib');
  if (!fs.existsSync(path.join(include, 'ATen', 'ATen.h')) || !hasLib(lib, 'torch_cpu')) return null;
  // Debian's python3-torch links its lib/ to the system copies: then no rpath or -L is needed.
  let real = lib;
  try {
    real = path.dirname(fs.realpathSync(path.join(lib, 'libtorch_cpu.so')));
  } catch {
    // a dangling link: keep the folder as named
  }
  const system = SYSTEM_LIB_DIRS.includes(real);
  return { source, root, includes: [include, path.join(include, 'torch', 'csrc', 'api', 'include')], libDir: system ? real : lib, system, abi: abiFromCmake(root) };
}

// The pytorch.org zips come in pre- and post-C++11-ABI builds; TorchConfig.cmake says which.
function abiFromCmake(root) {
  const p = path.join(root, 'share', 'cmake', 'Torch', 'TorchConfig.cmake');
  try {
    const m = /_GLIBCXX_USE_CXX11_ABI=([01])/.exec(fs.readFileSync(p, 'utf8'));
    return m ? m[1] : null;
  } catch {
    return null;
  }
}

function fromEnv() {
  for (const name of ['LIBTORCH', 'LIBTORCH_DIR']) {
    const v = process.env[name];
    if (!v) continue;
    const found = fromFolder(path.resolve(v), `env ${name}`);
    if (!found) {
      process.stderr.write(`${name}=${v} is not a libtorch folder (expected include/ATen/ATen.h and lib/libtorch_cpu.so).\n${INSTALL_HINT}\n`);
      process.exit(1);
    }
    return found;
  }
  return null;
}

function fromPython() {
  const code = 'import os, torch; print(os.path.dirname(torch.__file__)); print(int(torch._C._GLIBCXX_USE_CXX11_ABI))';
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', code], { encoding: 'utf8', timeout: 60000 });
    if (r.status !== 0 || !r.stdout) continue;
    const [dir, abi] = r.stdout.trim().split('\n');
    const found = fromFolder(dir, `python ${py}`);
    if (found) return { ...found, abi: abi === '0' ? '0' : '1' };
  }
  return null;
}

function fromDebian() {
  if (!fs.existsSync('/usr/include/ATen/ATen.h')) return null;
  for (const lib of SYSTEM_LIB_DIRS) {
    if (hasLib(lib, 'torch_cpu') && hasLib(lib, 'torch') && hasLib(lib, 'c10')) {
      return { source: 'system', root: '/usr', includes: ['/usr/include', '/usr/include/torch/csrc/api/include'], libDir: lib, system: true, abi: null };
    }
  }
  return null;
}

function main() {
  const mode = process.argv[2] ?? 'json';
  const found = fromEnv() ?? fromPython() ?? fromDebian();
  if (!found) {
    process.stderr.write(`${INSTALL_HINT}\n`);
    process.exit(1);
  }
  const libs = ['torch', 'torch_cpu', 'c10'];
  for (const extra of ['torch_cuda', 'c10_cuda']) if (hasLib(found.libDir, extra)) libs.push(extra);
  switch (mode) {
    case 'include':
      console.log(found.includes.join(' '));
      break;
    case 'libs':
      // --no-as-needed keeps libtorch_cuda linked even though no symbol is used directly: it registers the CUDA backend.
      console.log(['-Wl,--no-as-needed', ...(found.system ? [] : [`-L${found.libDir}`]), ...libs.map((l) => `-l${l}`), '-Wl,--as-needed'].join(' '));
      break;
    case 'ldflags':
      console.log(found.system ? '' : `-Wl,-rpath,${found.libDir}`);
      break;
    case 'cflags':
      console.log(found.abi === null ? '' : `-D_GLIBCXX_USE_CXX11_ABI=${found.abi}`);
      break;
    default:
      console.log(JSON.stringify({ ...found, libs }));
  }
}

main();
