// Test helpers: follow the relative imports of TypeScript files (static, side-effect and dynamic), to check
// that a stage never reaches libtorch through any path.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { REPO_ROOT } from './golden.js';

export const SRC = join(REPO_ROOT, 'src');
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

export function libraryFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'testing' ? [] : libraryFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && e.name !== 'testing.ts' ? [p] : [];
  });
}

/** Every file reachable from `roots`, with the path that reached it. */
export function closure(roots: string[]): Map<string, string[]> {
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

/** The import chains from `reached` that end in torch/, models/, export/, train/, eval/ or native/, as `a -> b -> c`. */
export function libtorchChains(reached: Map<string, string[]>): string[] {
  return [...reached].filter(([f]) => FORBIDDEN.some((d) => f.startsWith(d)) || f.startsWith(NATIVE)).map(([, chain]) => chain.map((f) => relative(REPO_ROOT, f)).join(' -> '));
}
