import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TextHashIndex, hashText } from './hash.js';

function hex(s: string): string {
  const out = new Uint32Array(4);
  hashText(s, out);
  return Buffer.from(out.buffer).toString('hex'); // h1..h4 little-endian: the digest's byte order
}

test("hashText is MurmurHash3 x86_128 of the UTF-16LE code units (digests from Python's mmh3.hash_bytes)", () => {
  // mmh3.hash_bytes(s.encode('utf-16-le'), 0, x64arch=False).hex(), mmh3 5.3.0: lengths 0 to 15 code
  // units cover every tail length and one or more full blocks; a surrogate pair and non-ASCII too.
  const reference: Array<[string, string]> = [
    ['', '00000000000000000000000000000000'],
    ['a', '96b13b03e14fefcce14fefcce14fefcc'],
    ['hello', '89498e49481b086c743fcf024129f72c'],
    ['hola 😀 @user http', 'cc27d1eb3b1c9d656ca9338c6de74e70'],
    ['exactly8', '6079f29d8bd441a91ba794bb3cfa584c'],
    ['the quick brown fox jumps', '0e9387fcb88cc0487ad0524549736cce'],
    ['ñ'.repeat(15), '9532074c998111268d2432a2649b3755'],
  ];
  for (const [s, digest] of reference) assert.equal(hex(s), digest, JSON.stringify(s));
});

test('TextHashIndex numbers texts in first-seen order and finds them again across growth', () => {
  const index = new TextHashIndex(4);
  const n = 50_000;
  for (let i = 0; i < n; i++) assert.equal(index.add(`text ${i}`), i);
  assert.equal(index.size, n);
  for (let i = n - 1; i >= 0; i -= 7) assert.equal(index.add(`text ${i}`), i);
  assert.equal(index.size, n);
  assert.ok(index.bytes < n * 40, `${index.bytes} bytes for ${n} texts`);
});
