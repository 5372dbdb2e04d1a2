import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobAuthError, canonicalJson, decryptStream, deriveKeys, encryptBytes, encryptStream, keyMatches, parseKey, readKeyFile, refMac, refMacValid } from './crypto.js';

async function run(input: Buffer, chunk: number, ...t: Array<ReturnType<typeof encryptStream>>): Promise<Buffer> {
  const parts: Buffer[] = [];
  const chunks: Buffer[] = [];
  for (let i = 0; i < input.length; i += chunk) chunks.push(input.subarray(i, i + chunk));
  const sink = new Writable({ write: (c: Buffer, _e, cb) => (parts.push(c), cb()) });
  await (pipeline as (...s: unknown[]) => Promise<void>)(Readable.from(chunks), ...t, sink);
  return Buffer.concat(parts);
}

test('parseKey: 64 hex digits, base64, base64url; anything else is refused without showing the key', () => {
  const key = randomBytes(32);
  assert.ok(parseKey(key.toString('hex'), 'X').equals(key));
  assert.ok(parseKey(` ${key.toString('base64')}\n`, 'X').equals(key));
  assert.ok(parseKey(key.toString('base64url'), 'X').equals(key));
  const secret = 'correct horse battery staple';
  assert.throws(() => parseKey(secret, 'LENGUA_REGISTRY_KEY'), (err: Error) => /^LENGUA_REGISTRY_KEY: the key must be 32 bytes/.test(err.message) && !err.message.includes('horse'));
  assert.throws(() => parseKey(randomBytes(16).toString('hex'), 'X'), /must be 32 bytes/);
});

test('readKeyFile: text or 32 raw bytes; a key file others can read gets a warning', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lengua-key-'));
  try {
    const key = randomBytes(32);
    const raw = join(dir, 'raw');
    writeFileSync(raw, key);
    chmodSync(raw, 0o600);
    const warnings: string[] = [];
    const warn = (l: string): void => void warnings.push(l);
    assert.ok(readKeyFile(raw, warn).equals(key));
    assert.deepEqual(warnings, []);
    const hex = join(dir, 'hex');
    writeFileSync(hex, key.toString('hex') + '\n');
    chmodSync(hex, 0o644);
    assert.ok(readKeyFile(hex, warn).equals(key));
    assert.match(warnings[0]!, /can be read by other users \(mode 644\); chmod 600 it/);
    assert.throws(() => readKeyFile(join(dir, 'none')), /--encryption-key-file .*none: cannot read it \(ENOENT\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('blob encryption: round trip in any chunking; a flipped bit, a truncated blob, another address or another key fail the tag', async () => {
  const keys = deriveKeys(randomBytes(32));
  const data = randomBytes(100_000);
  const addr = 'a'.repeat(64);
  const enc = await run(data, 7777, encryptStream(keys, addr));
  assert.equal(enc.length, data.length + 32);
  assert.ok(encryptBytes(keys, addr, data).length === enc.length);
  for (const chunk of [1, 15, 16, 17, 4096, enc.length]) assert.ok((await run(enc, chunk, decryptStream(keys, addr))).equals(data), `chunk ${chunk}`);
  assert.ok((await run(encryptBytes(keys, addr, Buffer.alloc(0)), 5, decryptStream(keys, addr))).length === 0, 'empty file');
  const flipped = Buffer.from(enc);
  flipped[5000] = flipped[5000]! ^ 1;
  await assert.rejects(run(flipped, 4096, decryptStream(keys, addr)), (e: Error) => e instanceof BlobAuthError && e.reason === 'tag');
  await assert.rejects(run(enc.subarray(0, enc.length - 1), 4096, decryptStream(keys, addr)), BlobAuthError);
  await assert.rejects(run(enc.subarray(0, 20), 4096, decryptStream(keys, addr)), (e: Error) => e instanceof BlobAuthError && e.reason === 'format');
  await assert.rejects(run(enc, 4096, decryptStream(keys, 'b'.repeat(64))), BlobAuthError);
  await assert.rejects(run(enc, 4096, decryptStream(deriveKeys(randomBytes(32)), addr)), BlobAuthError);
  await assert.rejects(run(data, 4096, decryptStream(keys, addr)), (e: Error) => e instanceof BlobAuthError && e.reason === 'format');
});

test('key check and ref MACs: bound to the key, the store key and every field; canonical JSON ignores key order', () => {
  const k1 = deriveKeys(randomBytes(32));
  const k2 = deriveKeys(randomBytes(32));
  assert.ok(keyMatches(k1, k1.check));
  assert.ok(!keyMatches(k2, k1.check));
  assert.ok(!keyMatches(k1, 'zz'));
  assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: null }], u: undefined }), '{"a":[{"c":null,"d":2}],"b":1}');
  const body = { name: 'm', version: '1.0.0', files: [{ path: 'a', size: 1 }] };
  const signed = { ...body, mac: refMac(k1, 'models/m/versions/1.0.0.json', body) };
  assert.ok(refMacValid(k1, 'models/m/versions/1.0.0.json', signed));
  assert.ok(refMacValid(k1, 'models/m/versions/1.0.0.json', { files: signed.files, mac: signed.mac, version: '1.0.0', name: 'm' }));
  assert.ok(!refMacValid(k2, 'models/m/versions/1.0.0.json', signed));
  assert.ok(!refMacValid(k1, 'models/m/versions/1.0.1.json', signed));
  assert.ok(!refMacValid(k1, 'models/m/versions/1.0.0.json', { ...signed, files: [{ path: 'a', size: 2 }] }));
  assert.ok(!refMacValid(k1, 'models/m/versions/1.0.0.json', body));
});
