// Fuzz: config.json text and bytes read by parseConfigJson / readConfigJson give a JSON object or a
// LenguaError naming the file, never another exception. The family configs built from these objects
// are fuzzed in src/models/config.fuzz.test.ts.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { LenguaError } from '../errors.js';
import { fuzzRuns, fuzzSeed, resultOrLenguaError } from '../testing/fuzz.js';
import { parseConfigJson, readConfigJson } from './config.js';

const params = (fast: number): fc.Parameters<unknown> => ({ numRuns: fuzzRuns(fast), seed: fuzzSeed() });
const dir = mkdtempSync(join(tmpdir(), 'lengua-cfgfuzz-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** JSON-ish text: real JSON, JSON with number tokens JSON.stringify never writes, near-JSON, noise. */
const textArb = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 })).map((v) => JSON.stringify({ model_type: 'bert', ...v })),
  fc
    .tuple(fc.constantFrom('vocab_size', 'hidden_size', 'num_labels', 'id2label', 'x'), fc.constantFrom('1e999', '-1e999', '-0', '1E400', '123456789012345678901234567890', '0.1e-400', '"NaN"', '"Infinity"', '"0x10"', '" 12"'))
    .map(([k, tok]) => `{"model_type": "bert", "${k}": ${tok}}`),
  fc.integer({ min: 1, max: 30_000 }).map((d) => `{"model_type": "bert", "task_specific_params": ${'{"a":'.repeat(d)}1${'}'.repeat(d)}}`),
  fc.string({ maxLength: 40 }),
  fc.string({ maxLength: 40 }).map((s) => `{"model_type": ${s}}`),
);

test('fuzz: parseConfigJson on arbitrary and near-valid text', () => {
  fc.assert(
    fc.property(textArb, (text) => {
      const r = resultOrLenguaError(() => parseConfigJson(text, 'fuzz/config.json'));
      if (r instanceof LenguaError) assert.ok(r.message.startsWith('fuzz/config.json'), r.message);
      else assert.ok(typeof r === 'object' && r !== null && !Array.isArray(r));
    }),
    params(500),
  );
});

test('fuzz: readConfigJson on arbitrary bytes in a model folder', () => {
  const bytes = fc.oneof(textArb.map((t) => Buffer.from(t)), fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)));
  fc.assert(
    fc.property(bytes, (b) => {
      writeFileSync(join(dir, 'config.json'), b);
      const r = resultOrLenguaError(() => readConfigJson(dir));
      if (r instanceof LenguaError) assert.ok(r.message.includes(join(dir, 'config.json')), r.message);
    }),
    params(150),
  );
});
