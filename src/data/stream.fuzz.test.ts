/**
 * Fuzzing the streaming reader against the whole-file one: for any bytes or near-valid file, read in
 * pieces of any size, streamDataset hands over exactly what loadDataset returns, or fails with the same
 * LenguaError — the documented exception being a CSV syntax error or undecodable bytes, which the
 * stream meets only when it gets there, so a problem before them may be reported first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LenguaError } from '../errors.js';
import { fuzzRuns } from '../testing/fuzz.js';
import { loadDataset } from './load.js';
import { KeepAll } from './rows.js';
import { streamDataset } from './stream.js';
import { fuzzParams, loaderCase, writeCase } from './testing/inputs.js';
import type { Dataset } from './types.js';

async function outcome(fn: () => Dataset | Promise<Dataset>): Promise<Dataset | LenguaError> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof LenguaError) return err;
    throw err;
  }
}

test('streamDataset at any piece size gives what loadDataset gives, or the same LenguaError', { timeout: Math.max(60_000, fuzzRuns(80) * 100) }, async () => {
  const cases = loaderCase.filter((c) => c.format !== 'conll');
  await fc.assert(
    fc.asyncProperty(cases, fc.constantFrom(1, 2, 3, 5, 16, 64, 4096, 1 << 20), async (c, pieces) => {
      const { path, cleanup } = writeCase(c);
      try {
        const size = Object.values(c.files).reduce((a, b) => a + b.length, 0);
        const chunk = size > 65_536 ? Math.max(pieces, 4096) : pieces; // a megabyte a byte at a time is only slow
        const options = { ...c.options, format: c.format as Dataset['format'] };
        const expected = await outcome(() => loadDataset(path, options));
        const got = await outcome(async () => {
          const sink = new KeepAll();
          const info = await streamDataset(path, options, sink, chunk);
          return { ...info, examples: sink.examples, skipped: sink.skipped };
        });
        if (!(expected instanceof LenguaError)) {
          assert.ok(!(got instanceof LenguaError), `stream failed where load did not: ${got instanceof LenguaError ? got.message.slice(0, 300) : ''}`);
          assert.deepEqual(got, expected);
          return;
        }
        assert.ok(got instanceof LenguaError, `load failed (${expected.message.slice(0, 300)}) where stream did not`);
        if (got.message === expected.message && got.line === expected.line && got.field === expected.field) return;
        // The allowed difference: another problem, before a CSV syntax error or undecodable bytes, is met
        // first by the stream. The syntax or decoding error itself must be the same.
        const late = /malformed (CSV|TSV)|invalid UTF-(8|16)/;
        assert.ok(
          late.test(expected.message) && !late.test(got.message) && got.line !== undefined && expected.line !== undefined && got.line <= expected.line,
          `load: ${expected.message.slice(0, 300)}\nstream: ${got.message.slice(0, 300)}`,
        );
      } finally {
        cleanup();
      }
    }),
    fuzzParams(80),
  );
});
