// The inference path never reaches libtorch: follow every import of src/infer (library files, not tests)
// through the stages it may use, and fail if any path leads into torch/, models/, export/ or native/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { REPO_ROOT } from '../testing/golden.js';

const SRC = join(REPO_ROOT, 'src');
const FORBIDDEN = ['torch', 'models', 'export', 'train', 'eval'].map((s) => join(SRC, s) + '/');
const NATIVE = join(REPO_ROOT, 'native') + '/';

/** Relative import specifiers of a TypeScript file (static `from '…'`, side-effect `import '…'`, dynamic `import('…')`). */
export function relativeImports(file: string): string[] {
  const code = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) out.push(m[1]!);
  return out;
}

function resolveTs(from: string, spec: string): string {
  const p = resolve(dirname(from), spec);
  const ts = p.replace(/\.js$/, '.ts');
  if (existsSync(ts)) return ts;
  if (existsSync(join(p, 'index.ts'))) return join(p, 'index.ts');
  return p;
}

function libraryFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'testing' ? [] : libraryFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && e.name !== 'testing.ts' ? [p] : [];
  });
}

/** Every file reachable from `roots`, with the path that reached it. */
function closure(roots: string[]): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const stack = roots.map((r) => [r]);
  while (stack.length > 0) {
    const chain = stack.pop()!;
    const file = chain[chain.length - 1]!;
    if (seen.has(file)) continue;
    seen.set(file, chain);
    if (!file.endsWith('.ts') || !existsSync(file)) continue;
    for (const spec of relativeImports(file)) stack.push([...chain, resolveTs(file, spec)]);
  }
  return seen;
}

test('no src/infer file reaches torch/, models/, export/, train/, eval/ or native/, directly or through another stage', () => {
  const roots = libraryFiles(join(SRC, 'infer'));
  assert.ok(roots.length >= 8, `found ${roots.length} library files`);
  const reached = closure(roots);
  const bad = [...reached].filter(([f]) => FORBIDDEN.some((d) => f.startsWith(d)) || f.startsWith(NATIVE));
  assert.deepEqual(bad.map(([, chain]) => chain.map((f) => relative(REPO_ROOT, f)).join(' -> ')), []);
  // The check sees the imports it must see: the session worker's and the tokenizer's.
  assert.ok([...reached.keys()].some((f) => f.endsWith('src/infer/session-worker.ts')) || roots.some((f) => f.endsWith('session-worker.ts')));
  assert.ok([...reached.keys()].some((f) => f.startsWith(join(SRC, 'text'))), 'infer reaches the tokenizer');
});

test('no src/serve file reaches torch/, models/, export/, train/, eval/ or native/: the server runs without libtorch', () => {
  const roots = libraryFiles(join(SRC, 'serve'));
  assert.ok(roots.length >= 8, `found ${roots.length} library files`);
  const reached = closure(roots);
  const bad = [...reached].filter(([f]) => FORBIDDEN.some((d) => f.startsWith(d)) || f.startsWith(NATIVE));
  assert.deepEqual(bad.map(([, chain]) => chain.map((f) => relative(REPO_ROOT, f)).join(' -> ')), []);
  assert.ok([...reached.keys()].some((f) => f.startsWith(join(SRC, 'infer'))), 'serve reaches the pipelines');
});

test('the import scanner finds what it must (checked on a file that imports torch)', () => {
  const specs = relativeImports(join(SRC, 'export', 'validate.ts'));
  assert.ok(specs.includes('../torch/index.js'), JSON.stringify(specs));
  const reached = closure([join(SRC, 'export', 'validate.ts')]);
  assert.ok([...reached.keys()].some((f) => f.startsWith(join(SRC, 'torch'))));
});
