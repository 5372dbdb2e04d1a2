import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { LenguaError } from '../errors.js';
import {
  entryToBigInt64,
  entryToFloat32,
  makeEntry,
  parseSafetensors,
  readSafetensors,
  readSafetensorsHeader,
  serializeSafetensors,
  writeSafetensors,
  type SafetensorsEntry,
} from './safetensors.js';
import { golden, skipWithoutGolden as skip } from '../testing/golden.js';

const GOLDEN = golden();

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'lengua-st-'));
}

/** Builds a raw file from a header object and a data buffer, to craft malformed inputs. */
function craft(header: unknown, data: Uint8Array = new Uint8Array(0), headerLen?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen ?? json.byteLength), true);
  out.set(json, 8);
  out.set(data, 8 + json.byteLength);
  return out;
}

function rejects(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(
    () => parseSafetensors(bytes, 'bad.safetensors'),
    (err: unknown) => err instanceof LenguaError && pattern.test(err.message) && err.message.includes('bad.safetensors'),
  );
}

function goldenFiles(): string[] {
  const files: string[] = [];
  for (const d of readdirSync(join(GOLDEN, 'fixtures'))) files.push(join(GOLDEN, 'fixtures', d, 'model.safetensors'));
  for (const d of readdirSync(join(GOLDEN, 'models'), { withFileTypes: true })) {
    if (!d.isDirectory()) continue;
    // Generation goldens (part 2) hold outputs only: no grads.safetensors beside them.
    for (const f of ['golden.safetensors', 'grads.safetensors']) {
      const p = join(GOLDEN, 'models', d.name, f);
      if (f === 'golden.safetensors' || existsSync(p)) files.push(p);
    }
  }
  return files;
}

test('every golden file reads, re-serializes and re-reads to the same tensors', { skip }, () => {
  const files = goldenFiles();
  assert.ok(files.length >= 20, `expected the golden fixtures, found ${files.length}`);
  for (const f of files) {
    const a = readSafetensors(f);
    assert.ok(a.tensors.size > 0, f);
    assert.equal(a.metadata.format, 'pt', f);
    const again = serializeSafetensors(a.tensors, a.metadata);
    const b = parseSafetensors(again, 'reserialized');
    assert.deepEqual([...b.tensors.keys()], [...a.tensors.keys()], f);
    for (const [name, t] of a.tensors) {
      const u = b.tensors.get(name)!;
      assert.equal(u.dtype, t.dtype, `${f} ${name}`);
      assert.deepEqual(u.shape, t.shape, `${f} ${name}`);
      assert.ok(Buffer.from(u.data).equals(Buffer.from(t.data)), `${f} ${name} bytes differ`);
    }
    assert.deepEqual(b.metadata, a.metadata);
    // Files with one dtype were written by the Rust crate in the same order we write: identical bytes.
    if (new Set([...a.tensors.values()].map((t) => t.dtype)).size === 1) {
      assert.ok(Buffer.from(again).equals(readFileSync(f)), `${f}: re-serialized bytes differ from the original`);
    }
  }
});

test('golden values decode: inputs are I64 ids, loss is the manifest loss', { skip }, () => {
  const g = readSafetensors(join(GOLDEN, 'models', 'bert-tiny-seqcls', 'golden.safetensors'));
  const manifest = JSON.parse(readFileSync(join(GOLDEN, 'models', 'bert-tiny-seqcls', 'manifest.json'), 'utf8')) as Record<string, unknown>;
  const ids = g.tensors.get('inputs.input_ids')!;
  assert.equal(ids.dtype, 'I64');
  assert.deepEqual(ids.shape, [3, 28]);
  const first = entryToBigInt64(ids)[0];
  assert.equal(typeof first, 'bigint');
  const loss = entryToFloat32(g.tensors.get('loss')!)[0]!;
  assert.equal(typeof manifest.loss, 'number');
  assert.ok(Math.abs(loss - (manifest.loss as number)) < 1e-6, `loss ${loss} vs manifest ${String(manifest.loss)}`);
});

test('matches the Rust crate byte for byte on its own test vectors', () => {
  // From the crate's test_serialization: one F32 [1,2,3] tensor "attn.0" = 0..5.
  const t = makeEntry('F32', [1, 2, 3], [0, 1, 2, 3, 4, 5]);
  const out = serializeSafetensors({ 'attn.0': t });
  const header = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
  assert.equal(new DataView(out.buffer).getBigUint64(0, true), 64n);
  assert.equal(new TextDecoder().decode(out.subarray(8, 8 + header.length)), header);
  // test_empty: no tensors, then metadata {"framework":"pt"}.
  assert.deepEqual([...serializeSafetensors({})], [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
  const withMeta = serializeSafetensors({}, { framework: 'pt' });
  assert.equal(new TextDecoder().decode(withMeta.subarray(8)), '{"__metadata__":{"framework":"pt"}}     ');
});

test('writer sorts by descending dtype alignment, then name, and aligns data to 8 bytes', () => {
  const tensors: Record<string, SafetensorsEntry> = {
    b_bool: makeEntry('BOOL', [3], [1, 0, 1]),
    a_f16: makeEntry('F16', [1], [1.5]),
    z_i64: makeEntry('I64', [2], [1n, -2n]),
    y_f32: makeEntry('F32', [1], [2]),
    x_f32: makeEntry('F32', [1], [3]),
  };
  const bytes = serializeSafetensors(tensors);
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal(n % 8, 0);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { data_offsets: number[] }>;
  assert.deepEqual(Object.keys(header), ['z_i64', 'x_f32', 'y_f32', 'a_f16', 'b_bool']);
  assert.deepEqual(header.z_i64!.data_offsets, [0, 16]);
});

test('round trip of every dtype, including BOOL, F16, BF16 and I64 beyond 2^53', () => {
  const dir = tmp();
  const big = 2n ** 62n + 12345n;
  const tensors: Record<string, SafetensorsEntry> = {
    f64: makeEntry('F64', [2], [Math.PI, -1e300]),
    f32: makeEntry('F32', [2, 2], [1.5, -2.25, 3e-38, 1e30]),
    f16: makeEntry('F16', [5], [1, -2.5, 65504, 6e-8, 0.1]),
    bf16: makeEntry('BF16', [3], [1, -3.140625, 1e38]),
    i64: makeEntry('I64', [3], [big, -1n, 0n]),
    i32: makeEntry('I32', [2], [-2147483648, 2147483647]),
    i16: makeEntry('I16', [2], [-32768, 32767]),
    i8: makeEntry('I8', [2], [-128, 127]),
    u8: makeEntry('U8', [2], [0, 255]),
    bool: makeEntry('BOOL', [4], [1, 0, 0, 1]),
    scalar: makeEntry('F32', [], [7]),
    empty: makeEntry('F32', [0, 3], []),
  };
  const path = join(dir, 'all.safetensors');
  writeSafetensors(path, tensors, { format: 'pt', note: 'é ✓' });
  const back = readSafetensors(path);
  assert.deepEqual(back.metadata, { format: 'pt', note: 'é ✓' });
  assert.deepEqual([...back.tensors.keys()].sort(), Object.keys(tensors).sort());
  for (const [name, t] of Object.entries(tensors)) {
    const u = back.tensors.get(name)!;
    assert.equal(u.dtype, t.dtype, name);
    assert.deepEqual(u.shape, t.shape, name);
    assert.ok(Buffer.from(u.data).equals(Buffer.from(t.data)), name);
  }
  assert.equal(entryToBigInt64(back.tensors.get('i64')!)[0], big);
  assert.deepEqual([...entryToFloat32(back.tensors.get('f16')!)].slice(0, 3), [1, -2.5, 65504]);
  // 6e-8 is a float16 subnormal (2^-24 ~ 5.96e-8); 0.1 rounds to 0.0999755859375.
  assert.equal(entryToFloat32(back.tensors.get('f16')!)[3], Math.fround(2 ** -24));
  assert.equal(entryToFloat32(back.tensors.get('f16')!)[4], Math.fround(0.0999755859375));
  assert.deepEqual([...entryToFloat32(back.tensors.get('bf16')!)].slice(0, 2), [1, -3.140625]);
  assert.deepEqual([...entryToFloat32(back.tensors.get('bool')!)], [1, 0, 0, 1]);
  assert.deepEqual([...entryToBigInt64(back.tensors.get('i32')!)], [-2147483648n, 2147483647n]);
  assert.deepEqual(readdirSync(dir), ['all.safetensors'], 'atomic write leaves no temp file');
});

test('F16 and BF16 encoders round to nearest even and keep infinities and NaN', () => {
  // 1 + 2^-11 is exactly halfway between float16 1 and 1+2^-10: ties to even -> 1.
  const h = entryToFloat32(makeEntry('F16', [4], [1 + 2 ** -11, 1 + 3 * 2 ** -11, 1e6, NaN]));
  assert.deepEqual([...h.slice(0, 3)], [1, 1 + 2 ** -9, Infinity]);
  assert.ok(Number.isNaN(h[3]));
  const b = entryToFloat32(makeEntry('BF16', [3], [1 + 2 ** -8, -Infinity, NaN]));
  assert.deepEqual([...b.slice(0, 2)], [1, -Infinity]);
  assert.ok(Number.isNaN(b[2]));
});

test('malformed files are refused with a clear message naming the file', () => {
  const four = new Uint8Array(4);
  rejects(new Uint8Array(3), /fewer than the 8-byte header length/);
  rejects(craft({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, four, 10_000), /runs past the end of the file/);
  rejects(craft('{}', new Uint8Array(0), 100_000_001), /over the 100000000-byte limit/);
  const huge = new Uint8Array(8);
  new DataView(huge.buffer).setBigUint64(0, 2n ** 63n, true);
  rejects(huge, /over the 100000000-byte limit/);
  rejects(craft('{"a": '), /not valid JSON/);
  rejects(craft('[1,2]'), /must be a JSON object/);
  rejects(craft({ a: { dtype: 'F8_E4M3', shape: [4], data_offsets: [0, 4] } }, four), /unsupported dtype "F8_E4M3".*field "a"|field "a".*unsupported dtype "F8_E4M3"/);
  rejects(craft({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, four), /= 8 bytes, but data_offsets span 4/);
  rejects(craft({ a: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, four), /non-negative integers/);
  rejects(craft({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, four), /non-negative integers/);
  rejects(craft({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 8] } }, four), /run past the end of the data/);
  rejects(craft({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, four), /end before they begin/);
  rejects(craft({ a: { dtype: 'F32', shape: [1], data_offsets: ['0', 4] } }, four), /data_offsets must be/);
  const eight = new Uint8Array(8);
  rejects(
    craft({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [2, 6] } }, eight),
    /overlap the previous tensor/,
  );
  rejects(
    craft({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'U8', shape: [2], data_offsets: [6, 8] } }, eight),
    /leave a gap/,
  );
  rejects(craft({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, eight), /trailing bytes/);
  rejects(craft({ __metadata__: { n: 1 } }), /__metadata__ values must be strings/);
  rejects(craft({ a: { dtype: 'F32', shape: [2 ** 50, 2 ** 10], data_offsets: [0, 4] } }, four), /overflows|data_offsets span/);
  const badUtf8 = craft('{"a":1}');
  badUtf8[10] = 0xff;
  rejects(badUtf8, /not valid UTF-8/);
});

test('fuzz findings: deep nesting and overflowing shapes with a zero dimension are LenguaErrors', () => {
  // A 5000-deep shape made the error message's JSON.stringify throw a RangeError (stack overflow).
  const deep = '['.repeat(5000) + ']'.repeat(5000);
  rejects(craft(`{"a":{"dtype":"F32","shape":${deep},"data_offsets":[0,0]}}`), /nested deeper than 128 levels/);
  rejects(craft(`{"__metadata__":{"k":${deep}}}`), /nested deeper than 128 levels/);
  // 129 levels is over serde_json's limit; 128 (a 126-deep shape inside an entry inside the header) is not.
  rejects(craft({ a: { dtype: 'F32', shape: JSON.parse('['.repeat(126) + ']'.repeat(126)), data_offsets: [0, 0] } }), /shape must be an array of non-negative integers, got \[\[\[/);
  // 2^40 * 2^40 overflows before the 0 is reached: refused like the Rust crate (checked_mul), not taken as empty.
  rejects(craft({ a: { dtype: 'F32', shape: [2 ** 40, 2 ** 40, 0], data_offsets: [0, 0] } }), /overflows/);
  assert.equal(parseSafetensors(craft({ a: { dtype: 'F32', shape: [2 ** 20, 0], data_offsets: [0, 0] } })).tensors.get('a')!.data.byteLength, 0);
});

test('the writer refuses entries whose data do not match their shape', () => {
  assert.throws(
    () => serializeSafetensors({ w: { dtype: 'F32', shape: [2, 2], data: new Uint8Array(12) } }),
    (e: unknown) => e instanceof LenguaError && /field "w".*12 bytes.*needs 16/.test(e.message),
  );
  assert.throws(() => serializeSafetensors({ w: { dtype: 'F12' as 'F32', shape: [1], data: new Uint8Array(4) } }), /unknown dtype/);
  assert.throws(() => serializeSafetensors({ __metadata__: makeEntry('F32', [1], [1]) }), /invalid tensor name/);
});

test('a missing file is a LenguaError naming the path', () => {
  const p = join(tmp(), 'nope.safetensors');
  assert.throws(() => readSafetensors(p), (e: unknown) => e instanceof LenguaError && e.message.includes(p));
});

test('files written here load in Python (numpy reader of the spec; safetensors package when installed)', (t) => {
  const dir = tmp();
  const path = join(dir, 'py.safetensors');
  writeSafetensors(path, { w: makeEntry('F32', [2, 3], [1, 2, 3, 4, 5, 6]), ids: makeEntry('I64', [2], [7, -8]), m: makeEntry('BOOL', [2], [1, 0]) }, { format: 'pt' });
  const script = `
import sys, json, struct
p = sys.argv[1]
try:
    from safetensors.numpy import load_file
    d = load_file(p)
    print(json.dumps({"lib": "safetensors", "w": d["w"].tolist(), "ids": d["ids"].tolist(), "m": d["m"].tolist()}))
except ImportError:
    import numpy as np
    b = open(p, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8+n])
    def get(k, dt):
        s, e = h[k]["data_offsets"]
        return np.frombuffer(b[8+n+s:8+n+e], dtype=dt).reshape(h[k]["shape"])
    print(json.dumps({"lib": "numpy", "w": get("w", "<f4").tolist(), "ids": get("ids", "<i8").tolist(), "m": get("m", "?").tolist()}))
`;
  const r = spawnSync('python3', ['-c', script, path], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    t.skip(`python3 with numpy not available: ${r.error?.message ?? r.stderr}`);
    return;
  }
  const out = JSON.parse(r.stdout) as { lib: string; w: number[][]; ids: number[]; m: boolean[] };
  if (out.lib !== 'safetensors') t.diagnostic('Python package safetensors is not installed (no Debian package): checked with a numpy reader of the spec');
  assert.deepEqual(out.w, [[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(out.ids, [7, -8]);
  assert.deepEqual(out.m, [true, false]);
  writeFileSync(join(dir, 'done'), '');
});

test('readSafetensorsHeader reads only the header and agrees with the full reader', { skip }, () => {
  const f = join(GOLDEN, 'models', 'gpt2-fake-lmbuddy-lm', 'golden.safetensors');
  const h = readSafetensorsHeader(f);
  const full = readSafetensors(f);
  assert.deepEqual([...h.entries.keys()], [...full.tensors.keys()]);
  assert.deepEqual(h.metadata, full.metadata);
  for (const [name, e] of h.entries) {
    assert.equal(e.dataOffsets[1] - e.dataOffsets[0], full.tensors.get(name)!.data.byteLength, name);
    assert.deepEqual(e.shape, full.tensors.get(name)!.shape);
  }
  assert.equal(8 + h.headerSize + h.dataSize, readFileSync(f).byteLength);
  // A truncated copy fails the same validation without reading the data.
  const dir = tmp();
  const cut = join(dir, 'cut.safetensors');
  writeFileSync(cut, readFileSync(f).subarray(0, 8 + h.headerSize + 100));
  assert.throws(() => readSafetensorsHeader(cut), /run past the end of the data/);
  assert.throws(() => readSafetensors(cut), /run past the end of the data/);
  writeFileSync(cut, readFileSync(f).subarray(0, 20));
  assert.throws(() => readSafetensorsHeader(cut), /runs past the end of the file/);
  assert.throws(() => readSafetensorsHeader(dir), /cannot read safetensors file/);
});
