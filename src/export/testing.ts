// Test helpers of the export stage: Debian's python3-onnx checker on exported files, golden tensors as arrays.
import { spawnSync } from 'node:child_process';
import { readSafetensors } from '../hub/index.js';
import { golden } from '../testing/golden.js';
import { skipWithoutGolden } from '../testing/golden.js';

const PY = '/usr/bin/python3';
const probe = spawnSync(PY, ['-c', 'import onnx; print(onnx.__version__)'], { encoding: 'utf8' });

/** The skip reason when Debian's python3-onnx is missing (or the goldens are), else false. */
export const skipChecker: string | boolean = probe.status === 0 ? skipWithoutGolden
  : 'Debian python3-onnx is not installed (apt-get install python3-onnx, or LENGUA_SETUP_TEST_TOOLS=1 bash scripts/setup.sh as .ci/run does)';

/**
 * Debian's python3-onnx (1.12) `onnx.checker.check_model(full_check=True)` on each file (external data is
 * loaded from beside the file, as onnx.load does): an implementation of the checker independent of
 * onnx-proto and ONNX Runtime. Returns the version and the files it refused, with the reason.
 */
export function onnxChecker(files: readonly string[]): { version: string; checked: number; bad: Record<string, string> } {
  const script = [
    'import json, sys, onnx',
    'bad = {}',
    'for p in sys.argv[1:]:',
    '    try:',
    '        onnx.checker.check_model(onnx.load(p), full_check=True)',
    '    except Exception as e:',
    '        bad[p] = str(e)',
    'print(json.dumps({"version": onnx.__version__, "checked": len(sys.argv) - 1, "bad": bad}))',
  ].join('\n');
  const r = spawnSync(PY, ['-c', script, ...files], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  if (r.status !== 0) throw new Error(`python3-onnx failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { version: string; checked: number; bad: Record<string, string> };
}

/** A golden model's tensors: int64 ones as rows of numbers (a 1-D one as one row), float32 ones as flat arrays with their shape. */
export function goldenTensors(model: string): {
  ints: (key: string) => number[][];
  floats: (key: string) => { data: Float32Array; shape: number[] };
  has: (key: string) => boolean;
} {
  const g = readSafetensors(golden('models', model, 'golden.safetensors')).tensors;
  const entry = (key: string): NonNullable<ReturnType<typeof g.get>> => {
    const e = g.get(key);
    if (e === undefined) throw new Error(`${model}: no golden tensor ${key}`);
    return e;
  };
  return {
    ints: (key) => {
      const e = entry(key);
      const flat = Array.from(new BigInt64Array(e.data.slice().buffer), Number);
      if (e.shape.length === 1) return [flat];
      return Array.from({ length: e.shape[0]! }, (_, i) => flat.slice(i * e.shape[1]!, (i + 1) * e.shape[1]!));
    },
    floats: (key) => {
      const e = entry(key);
      return { data: new Float32Array(e.data.slice().buffer), shape: [...e.shape] };
    },
    has: (key) => g.has(key),
  };
}
