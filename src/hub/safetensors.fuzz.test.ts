// Fuzz: any bytes given to the safetensors reader give tensors or a LenguaError — never a TypeError,
// RangeError or a hang — and whatever is accepted is self-consistent (every tensor's bytes match its
// shape and dtype; the header-only reader agrees). `npm run fuzz -- safetensors` runs many more cases.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { LenguaError } from '../errors.js';
import { fuzzRuns, fuzzSeed, resultOrLenguaError } from '../testing/fuzz.js';
import { loadCheckpoint, readSafetensorsIndex } from './checkpoint.js';
import {
  DTYPE_SIZE,
  entryToFloat32,
  makeEntry,
  numel,
  parseSafetensors,
  readSafetensors,
  readSafetensorsHeader,
  serializeSafetensors,
  type SafetensorsDType,
  type SafetensorsFile,
} from './safetensors.js';

const DTYPES = Object.keys(DTYPE_SIZE) as SafetensorsDType[];
const params = (fast: number): fc.Parameters<unknown> => ({ numRuns: fuzzRuns(fast), seed: fuzzSeed() });
const ROOT = mkdtempSync(join(tmpdir(), 'lengua-stfuzz-'));
after(() => rmSync(ROOT, { recursive: true, force: true }));

/** Bytes = 8-byte little-endian length prefix + header text + data. */
function file(prefix: bigint, header: string | Uint8Array, data: Uint8Array): Uint8Array {
  const h = typeof header === 'string' ? new TextEncoder().encode(header) : header;
  const out = new Uint8Array(8 + h.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, prefix, true);
  out.set(h, 8);
  out.set(data, 8 + h.byteLength);
  return out;
}

/** What an accepted file must satisfy. */
function consistent(f: SafetensorsFile): void {
  for (const [name, t] of f.tensors) {
    assert.ok(DTYPES.includes(t.dtype), name);
    assert.ok(t.shape.every((d) => Number.isSafeInteger(d) && d >= 0), name);
    assert.equal(t.data.byteLength, numel(t.shape) * DTYPE_SIZE[t.dtype], name);
    assert.equal(entryToFloat32(t).length, numel(t.shape), name);
  }
  for (const v of Object.values(f.metadata)) assert.equal(typeof v, 'string');
}

function check(bytes: Uint8Array): void {
  const r = resultOrLenguaError(() => parseSafetensors(bytes, 'fuzz.safetensors'));
  if (r instanceof LenguaError) assert.ok(r.message.startsWith('fuzz.safetensors'), r.message);
  else consistent(r);
}

// Numbers a hostile header would use: huge, negative, fractional, past 2^53, at 32/64-bit edges.
const weirdNumber = fc.oneof(
  fc.integer({ min: -4, max: 96 }),
  fc.constantFrom(-1, -0, 0.5, 1.5, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 2 ** 63, 2 ** 64, 1e300, -1e300, Number.MIN_VALUE),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const weirdValue = fc.oneof(weirdNumber, fc.jsonValue({ maxDepth: 3 }));
const dtypeArb = fc.oneof(fc.constantFrom(...DTYPES), fc.constantFrom('F8_E4M3', 'U16', 'U32', 'U64', 'f32', '', 'toString', '__proto__'), weirdValue);
const shapeArb = fc.oneof(
  fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 4 }),
  fc.array(weirdNumber, { maxLength: 6 }),
  fc.array(fc.constantFrom(0, 1, 2 ** 20, 2 ** 26, 2 ** 31, 2 ** 40), { maxLength: 6 }),
  weirdValue,
);
const offsetsArb = fc.oneof(fc.tuple(fc.nat(128), fc.nat(128)), fc.array(weirdNumber, { maxLength: 3 }), weirdValue);
const entryArb = fc.oneof(
  fc.record({ dtype: dtypeArb, shape: shapeArb, data_offsets: offsetsArb }, { requiredKeys: [] }),
  fc.record({ dtype: dtypeArb, shape: shapeArb, data_offsets: offsetsArb, extra: weirdValue }),
  weirdValue,
);
const metadataArb = fc.oneof(fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })), fc.dictionary(fc.string({ maxLength: 4 }), weirdValue), weirdValue);
const nameArb = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__metadata__', '__proto__', 'constructor', '', 'w'));
const headerArb = fc.oneof(
  fc.dictionary(nameArb, entryArb, { maxKeys: 6 }).map((h) => JSON.stringify(h)),
  fc.tuple(fc.dictionary(nameArb, entryArb, { maxKeys: 4 }), metadataArb).map(([h, m]) => JSON.stringify({ __metadata__: m, ...h })),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 64 }),
);

test('fuzz: arbitrary bytes', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => check(b)), params(400));
});

test('fuzz: arbitrary length prefixes, including huge ones and ones past the end of the file', () => {
  const prefix = fc.oneof(
    fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    fc.constantFrom(0n, 1n, 2n, 7n, 8n, 99_999_999n, 100_000_000n, 100_000_001n, 2n ** 31n, 2n ** 32n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n),
    fc.nat(200).map(BigInt),
  );
  fc.assert(fc.property(prefix, headerArb, fc.uint8Array({ maxLength: 64 }), (p, h, d) => check(file(p, h, d))), params(300));
});

test('fuzz: near-valid JSON headers (wrong dtypes, overflowing shapes, bad or overlapping offsets, odd __metadata__)', () => {
  fc.assert(
    fc.property(headerArb, fc.uint8Array({ maxLength: 128 }), fc.boolean(), (h, d, pad) => {
      const bytes = new TextEncoder().encode(pad ? h + ' '.repeat(8 - (h.length % 8)) : h);
      check(file(BigInt(bytes.byteLength), bytes, d));
    }),
    params(600),
  );
});

test('fuzz: deeply nested JSON anywhere in the header', () => {
  const places = [
    (deep: string) => `{"t":{"dtype":"F32","shape":${deep},"data_offsets":[0,0]}}`,
    (deep: string) => `{"t":{"dtype":${deep},"shape":[0],"data_offsets":[0,0]}}`,
    (deep: string) => `{"t":{"dtype":"F32","shape":[0],"data_offsets":${deep}}}`,
    (deep: string) => `{"__metadata__":${deep}}`,
    (deep: string) => `{"__metadata__":{"k":${deep}}}`,
    (deep: string) => `{"t":${deep}}`,
    (deep: string) => deep,
  ];
  const nest = fc.tuple(fc.integer({ min: 1, max: 50_000 }), fc.constantFrom('[', '{"a":'), fc.constantFrom('0', '[]', '{}', '"x"'));
  fc.assert(
    fc.property(fc.nat(places.length - 1), nest, (i, [depth, open, leaf]) => {
      const close = open === '[' ? ']' : '}';
      const deep = open.repeat(depth) + leaf + close.repeat(depth);
      const h = places[i]!(deep);
      check(file(BigInt(Buffer.byteLength(h)), h, new Uint8Array(0)));
    }),
    params(40),
  );
});

/** A valid file of a few random tensors. */
const validFile = fc
  .array(fc.tuple(fc.string({ minLength: 1, maxLength: 6 }), fc.constantFrom(...DTYPES), fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 })), { maxLength: 4 })
  .map((ts) => {
    const m = new Map<string, ReturnType<typeof makeEntry>>();
    for (const [name, dtype, shape] of ts) {
      if (name === '__metadata__') continue;
      m.set(name, makeEntry(dtype, shape, new Array<number>(numel(shape)).fill(1)));
    }
    return serializeSafetensors(m, { format: 'pt' });
  });

test('fuzz: valid files truncated, extended, or with bytes changed', () => {
  fc.assert(
    fc.property(validFile, fc.nat(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.uint8Array({ maxLength: 16 }), (bytes, cut, flips, tail) => {
      check(bytes);
      check(bytes.subarray(0, cut % (bytes.byteLength + 1)));
      const changed = bytes.slice();
      for (const [at, v] of flips) changed[at % changed.byteLength] = v;
      check(changed);
      const longer = new Uint8Array(bytes.byteLength + tail.byteLength);
      longer.set(bytes);
      longer.set(tail, bytes.byteLength);
      check(longer);
    }),
    params(300),
  );
});

test('fuzz: the file readers agree with the buffer parser on the same bytes', () => {
  const path = join(ROOT, 'fuzz.safetensors');
  const bytes = fc.oneof(
    validFile,
    fc.tuple(validFile, fc.nat()).map(([b, n]) => b.subarray(0, n % (b.byteLength + 1))),
    fc.tuple(headerArb, fc.uint8Array({ maxLength: 32 })).map(([h, d]) => file(BigInt(Buffer.byteLength(h)), h, d)),
    fc.uint8Array({ maxLength: 64 }),
  );
  fc.assert(
    fc.property(bytes, (b) => {
      writeFileSync(path, b);
      const fromBuffer = resultOrLenguaError(() => parseSafetensors(b, path));
      const fromFile = resultOrLenguaError(() => readSafetensors(path));
      const header = resultOrLenguaError(() => readSafetensorsHeader(path));
      assert.equal(fromFile instanceof LenguaError, fromBuffer instanceof LenguaError);
      assert.equal(header instanceof LenguaError, fromBuffer instanceof LenguaError);
      if (fromFile instanceof LenguaError || header instanceof LenguaError || fromBuffer instanceof LenguaError) return;
      assert.deepEqual([...header.entries.keys()], [...fromFile.tensors.keys()]);
      consistent(fromFile);
    }),
    params(150),
  );
});

test('fuzz: model.safetensors.index.json and the shards it names', () => {
  const shard = serializeSafetensors(new Map([['w', makeEntry('F32', [1], [1])]]));
  const shardName = fc.oneof(fc.constantFrom('model-00001-of-00001.safetensors', '../x', '/etc/passwd', '.', '..', 'a/b', ''), fc.string({ maxLength: 8 }), weirdValue);
  const index = fc.oneof(
    fc.record({ metadata: weirdValue, weight_map: fc.dictionary(nameArb, shardName, { maxKeys: 4 }) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
    headerArb,
    fc.integer({ min: 1, max: 20_000 }).map((d) => `{"weight_map":{"w":${'['.repeat(d)}${']'.repeat(d)}}}`),
  );
  let n = 0;
  fc.assert(
    fc.property(index, (text) => {
      const dir = join(ROOT, `index-${n++}`);
      mkdirSync(dir);
      writeFileSync(join(dir, 'model.safetensors.index.json'), text);
      writeFileSync(join(dir, 'model-00001-of-00001.safetensors'), shard);
      resultOrLenguaError(() => readSafetensorsIndex(join(dir, 'model.safetensors.index.json')));
      const r = resultOrLenguaError(() => loadCheckpoint(dir));
      rmSync(dir, { recursive: true, force: true });
      if (!(r instanceof LenguaError)) consistent(r);
    }),
    params(150),
  );
});
