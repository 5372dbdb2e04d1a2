// The server uses the registry: no path from src/registry may reach libtorch (torch/, models/, export/,
// train/, eval/, native/), not even through a dynamic import. The CLI lends push its exporter instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { REPO_ROOT } from '../testing/golden.js';

const SRC = join(REPO_ROOT, 'src');
const FORBIDDEN = ['torch', 'models', 'export', 'train', 'eval'].map((s) => join(SRC, s) + '/');

function imports(file: string): string[] {
  const code = readFileSync(file, 'utf8');
  return [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]!);
}

function toTs(from: string, spec: string): string {
  const p = resolve(dirname(from), spec);
  const ts = p.replace(/\.js$/, '.ts');
  if (existsSync(ts)) return ts;
  return existsSync(join(p, 'index.ts')) ? join(p, 'index.ts') : p;
}

test('no src/registry library file reaches torch/, models/, export/, train/, eval/ or native/', () => {
  const roots = readdirSync(join(SRC, 'registry')).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).map((f) => join(SRC, 'registry', f));
  assert.ok(roots.length >= 6);
  const seen = new Map<string, string[]>();
  const stack = roots.map((r) => [r]);
  while (stack.length > 0) {
    const chain = stack.pop()!;
    const file = chain[chain.length - 1]!;
    if (seen.has(file)) continue;
    seen.set(file, chain);
    if (file.endsWith('.ts') && existsSync(file)) for (const s of imports(file)) stack.push([...chain, toTs(file, s)]);
  }
  const bad = [...seen].filter(([f]) => FORBIDDEN.some((d) => f.startsWith(d)) || f.startsWith(join(REPO_ROOT, 'native') + '/'));
  assert.deepEqual(bad.map(([, c]) => c.map((f) => relative(REPO_ROOT, f)).join(' -> ')), []);
  assert.ok([...seen.keys()].some((f) => f.startsWith(join(SRC, 'hub'))), 'the walk follows imports into other stages');
});
