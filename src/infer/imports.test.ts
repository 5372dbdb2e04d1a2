// The inference path never reaches libtorch: follow every import of src/infer (library files, not tests)
// through the stages it may use, and fail if any path leads into torch/, models/, export/ or native/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { closure, libraryFiles, libtorchChains, relativeImports, SRC } from '../testing/imports.js';

test('no src/infer file reaches torch/, models/, export/, train/, eval/ or native/, directly or through another stage', () => {
  const roots = libraryFiles(join(SRC, 'infer'));
  assert.ok(roots.length >= 8, `found ${roots.length} library files`);
  const reached = closure(roots);
  assert.deepEqual(libtorchChains(reached), []);
  // The check sees the imports it must see: the session worker's and the tokenizer's.
  assert.ok([...reached.keys()].some((f) => f.endsWith('src/infer/session-worker.ts')) || roots.some((f) => f.endsWith('session-worker.ts')));
  assert.ok([...reached.keys()].some((f) => f.startsWith(join(SRC, 'text'))), 'infer reaches the tokenizer');
});

test('no src/serve file reaches torch/, models/, export/, train/, eval/ or native/: the server runs without libtorch', () => {
  const roots = libraryFiles(join(SRC, 'serve'));
  assert.ok(roots.length >= 8, `found ${roots.length} library files`);
  const reached = closure(roots);
  assert.deepEqual(libtorchChains(reached), []);
  assert.ok([...reached.keys()].some((f) => f.startsWith(join(SRC, 'infer'))), 'serve reaches the pipelines');
});

test('the import scanner finds what it must (checked on a file that imports torch)', () => {
  const specs = relativeImports(join(SRC, 'export', 'validate.ts'));
  assert.ok(specs.includes('../torch/index.js'), JSON.stringify(specs));
  const reached = closure([join(SRC, 'export', 'validate.ts')]);
  assert.ok([...reached.keys()].some((f) => f.startsWith(join(SRC, 'torch'))));
});
