// The server uses the registry: no path from src/registry may reach libtorch (torch/, models/, export/,
// train/, eval/, native/), not even through a dynamic import. The CLI lends push its exporter instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { closure, libraryFiles, libtorchChains, SRC } from '../testing/imports.js';

test('no src/registry library file reaches torch/, models/, export/, train/, eval/ or native/', () => {
  const roots = libraryFiles(join(SRC, 'registry'));
  assert.ok(roots.length >= 6);
  const seen = closure(roots);
  assert.deepEqual(libtorchChains(seen), []);
  assert.ok([...seen.keys()].some((f) => f.startsWith(join(SRC, 'hub'))), 'the walk follows imports into other stages');
});
