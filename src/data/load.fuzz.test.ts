/**
 * Fuzzing the loaders: any bytes, and near-valid files of every format in any encoding, either load or
 * throw a LenguaError — never another exception, a hang or a blow-up. `npm run fuzz -- load` runs many
 * more cases (LENGUA_FUZZ_RUNS); LENGUA_FUZZ_SEED replays a failure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LenguaError } from '../errors.js';
import { fuzzRuns, resultOrLenguaError } from '../testing/fuzz.js';
import { loadConll } from './conll.js';
import { inspectDataset } from './inspect.js';
import { loadDataset } from './load.js';
import { fuzzParams, loaderCase, loadOptions, writeCase, type LoaderCase } from './testing/inputs.js';

const params = fuzzParams;
// Generous per-test limits that still catch a hang: about 5 ms a case is the normal pace.
const timeout = (fast: number) => Math.max(60_000, fuzzRuns(fast) * 50);

/** Loads a case as its format says; the dataset is also inspected, which touches every example. */
function load(c: LoaderCase, path: string): unknown {
  if (c.format === 'conll') return loadConll(path, c.conll);
  const ds = loadDataset(path, { ...c.options, format: c.format });
  return inspectDataset(ds);
}

test('any bytes or near-valid file of any format: loadDataset / loadConll give a result or a LenguaError', { timeout: timeout(150) }, () => {
  fc.assert(
    fc.property(loaderCase, (c) => {
      const { path, cleanup } = writeCase(c);
      try {
        const r = resultOrLenguaError(() => load(c, path));
        if (r instanceof LenguaError) assert.ok(r.message.length > 0 && r.message.length < 100_000, `message of ${r.message.length} characters`);
      } finally {
        cleanup();
      }
    }),
    params(150),
  );
});

test('a LenguaError from a file names that file (or the labels / mapping file beside it)', { timeout: timeout(100) }, () => {
  fc.assert(
    fc.property(loaderCase, (c) => {
      const { path, dir, cleanup } = writeCase(c);
      try {
        const r = resultOrLenguaError(() => load(c, path));
        // Option errors (a label order that repeats a name, an unknown label of a fixed set) name no file.
        if (r instanceof LenguaError && r.file !== undefined) assert.ok(r.file.startsWith(dir), `${r.file} is not in ${dir}`);
      } finally {
        cleanup();
      }
    }),
    params(100),
  );
});

test('any load options on the bundled sample: a result or a LenguaError', { timeout: timeout(100) }, () => {
  fc.assert(
    fc.property(loadOptions, (options) => {
      resultOrLenguaError(() => inspectDataset(loadDataset('examples/data/tweets-sample.csv', options)));
    }),
    params(100),
  );
});
