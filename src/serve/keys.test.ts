import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LenguaError } from '../errors.js';
import { createKey, DEFAULT_SCRYPT, KeyRing, parseKey, parseKeyFile, parseRate, readKeyFile, revokeKey, verifyKey, checkName, type KeyFile } from './keys.js';

/** The cheapest parameters the file accepts: the tests check logic, not cost. */
const FAST = { N: 1024, r: 8, p: 1, keylen: 32 };

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lengua-keys-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('parseKey accepts exactly lng_<16 hex>_<43 base64url> and nothing longer', () => {
  const secret = Buffer.alloc(32, 7).toString('base64url');
  assert.deepEqual(parseKey(`lng_0123456789abcdef_${secret}`), { id: '0123456789abcdef', secret });
  for (const bad of ['', 'lng_', `lng_0123456789ABCDEF_${secret}`, `lng_0123456789abcdef_${secret}x`, `lng_0123456789abcde_${secret}`, `xyz_0123456789abcdef_${secret}`, `lng_0123456789abcdef_${secret.slice(1)}=`, 'a'.repeat(10_000)]) {
    assert.equal(parseKey(bad), null, bad.slice(0, 60));
  }
});

test('parseRate: N/s, N/min, N/h; anything else is an error naming the flag', () => {
  assert.deepEqual(parseRate('10/s'), { max: 10, windowMs: 1000 });
  assert.deepEqual(parseRate('600/min'), { max: 600, windowMs: 60_000 });
  assert.deepEqual(parseRate('5000/h'), { max: 5000, windowMs: 3_600_000 });
  for (const bad of ['0/s', '-1/s', '1.5/s', '10', '10/day', '/s', '99999999/s', 'ten/s']) {
    assert.throws(() => parseRate(bad), (e: unknown) => e instanceof LenguaError && e.field === '--rate', bad);
  }
});

test('checkName refuses names that are not words or that look like ids', () => {
  assert.equal(checkName('ci-bot.2'), 'ci-bot.2');
  for (const bad of ['', '-x', 'a b', 'x'.repeat(65), 'é', '0123456789abcdef']) assert.throws(() => checkName(bad), LenguaError, bad);
});

test('createKey: the file is 0600, holds the scrypt hash and its parameters, never the key', async () => {
  const path = join(dir, 'create', 'keys.json');
  const { key, entry } = await createKey(path, { name: 'alice', scope: 'admin', rate: '10/s' });
  assert.match(key, /^lng_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, 'create')).mode & 0o777, 0o700);
  const text = readFileSync(path, 'utf8');
  const secret = parseKey(key)!.secret;
  for (const form of [key, secret, Buffer.from(secret, 'base64url').toString('base64'), Buffer.from(secret, 'base64url').toString('hex')]) assert.ok(!text.includes(form));
  const stored = (JSON.parse(text) as KeyFile).keys[0]!;
  assert.equal(stored.id, entry.id);
  assert.deepEqual(stored.kdf, { name: 'scrypt', ...DEFAULT_SCRYPT });
  assert.equal(Buffer.from(stored.salt!, 'base64').length, 16);
  assert.equal(await verifyKey(key, stored), true);
  // One character off anywhere in the secret, or another key with the same id: refused.
  const flipped = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
  assert.equal(await verifyKey(flipped, stored), false);
  await assert.rejects(createKey(path, { name: 'alice', scope: 'predict' }), (e: unknown) => e instanceof LenguaError && e.field === '--name');
});

test('parameters are per key: raising them for new keys leaves old keys verifiable', async () => {
  const path = join(dir, 'params.json');
  const old = await createKey(path, { name: 'old', scope: 'predict', params: FAST });
  const raised = await createKey(path, { name: 'new', scope: 'predict', params: { ...FAST, N: 2048 } });
  const file = readKeyFile(path);
  assert.deepEqual(file.keys.map((k) => k.kdf?.N), [1024, 2048]);
  assert.equal(await verifyKey(old.key, file.keys[0]!), true);
  assert.equal(await verifyKey(raised.key, file.keys[1]!), true);
  assert.equal(await verifyKey(old.key, file.keys[1]!), false);
});

test('two writers at once do not lose a key (the lock file)', async () => {
  const path = join(dir, 'race.json');
  await Promise.all(Array.from({ length: 6 }, (_, i) => createKey(path, { name: `k${i}`, scope: 'predict', params: FAST })));
  assert.deepEqual(readKeyFile(path).keys.map((k) => k.name).sort(), ['k0', 'k1', 'k2', 'k3', 'k4', 'k5']);
});

test('revokeKey by name or id keeps the record, drops the hash; again is an error', async () => {
  const path = join(dir, 'revoke.json');
  const a = await createKey(path, { name: 'a', scope: 'predict', params: FAST });
  const b = await createKey(path, { name: 'b', scope: 'predict', params: FAST });
  assert.equal((await revokeKey(path, 'a')).id, a.entry.id);
  assert.equal((await revokeKey(path, b.entry.id)).name, 'b');
  const keys = readKeyFile(path).keys;
  assert.ok(keys.every((k) => k.revoked !== undefined && k.hash === undefined && k.salt === undefined));
  await assert.rejects(revokeKey(path, 'a'), /already revoked/);
  await assert.rejects(revokeKey(path, 'nobody'), /no key named "nobody"/);
  // A revoked name can be given to a new key.
  await createKey(path, { name: 'a', scope: 'predict', params: FAST });
});

test('parseKeyFile names the file and field of a problem, and never quotes the text', () => {
  const good = { id: '0123456789abcdef', name: 'x', scope: 'predict', rate: null, created: 't', kdf: { name: 'scrypt', ...FAST }, salt: Buffer.alloc(16).toString('base64'), hash: Buffer.alloc(32).toString('base64') };
  const parse = (keys: unknown[]): KeyFile => parseKeyFile(JSON.stringify({ version: 1, keys }), 'k.json');
  assert.equal(parse([good]).keys.length, 1);
  assert.throws(() => parse([{ ...good, scope: 'root' }]), (e: unknown) => e instanceof LenguaError && e.file === 'k.json' && e.field === 'keys[0].scope');
  assert.throws(() => parse([good, { ...good, name: 'y' }]), /keys\[1\]\.id.*twice/);
  assert.throws(() => parse([good, { ...good, id: 'fedcba9876543210' }]), /two keys in use are named "x"/);
  assert.throws(() => parse([{ ...good, rate: '3 per second' }]), /keys\[0\]\.rate/);
  assert.throws(() => parse([{ ...good, kdf: { name: 'scrypt', ...FAST, N: 1 << 24 } }]), /keys\[0\]\.kdf.*out of range/);
  assert.throws(() => parse([{ ...good, hash: 'AAAA' }]), /keys\[0\]\.hash/);
  assert.throws(() => parseKeyFile('{"version": 1, "keys": [lng_secret', 'k.json'), (e: unknown) => e instanceof LenguaError && !e.message.includes('lng_secret'));
});

test('KeyRing: verification is cached; a revoke, a broken file and a deleted file are seen on the next look', async () => {
  const path = join(dir, 'ring.json');
  const a = await createKey(path, { name: 'a', scope: 'predict', rate: '5/s', params: FAST });
  const b = await createKey(path, { name: 'b', scope: 'admin' });
  const events: string[] = [];
  const ring = await KeyRing.open(path, { reloadIntervalMs: 0, onReload: (e) => events.push(e.ok ? `ok ${e.keys}` : `error ${e.error}`) });
  assert.equal(ring.size, 2);

  const first = await ring.verify(b.key);
  assert.deepEqual(first, { ok: true, key: { name: 'b', id: b.entry.id, scope: 'admin' }, rate: null });
  assert.equal(ring.cached, 1);
  // A cached key is answered without scrypt: far below one hash at the default cost.
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 100; i++) assert.equal((await ring.verify(b.key)).ok, true);
  assert.ok(Number(process.hrtime.bigint() - t0) / 1e6 < 100, 'cached verifications should be fast');
  assert.deepEqual(ring.cachedVerify(b.key), first);
  // Several requests with the same new key at once share one scrypt.
  const many = await Promise.all(Array.from({ length: 5 }, () => ring.verify(a.key)));
  assert.ok(many.every((r) => r.ok && r.rate?.max === 5));
  assert.equal(ring.cached, 2);

  const wrong = `lng_${a.entry.id}_${'A'.repeat(43)}`;
  assert.deepEqual(await ring.verify(wrong), { ok: false, reason: 'bad_secret', keyId: a.entry.id });
  assert.deepEqual(await ring.verify(`lng_${'f'.repeat(16)}_${'A'.repeat(43)}`), { ok: false, reason: 'unknown_key', keyId: 'f'.repeat(16) });
  assert.deepEqual(await ring.verify('Basic abc'), { ok: false, reason: 'malformed' });

  await revokeKey(path, 'a');
  await ring.refresh();
  assert.deepEqual(events, ['ok 1']);
  assert.equal(ring.cachedVerify(a.key), null);
  assert.deepEqual(await ring.verify(a.key), { ok: false, reason: 'revoked_key', keyId: a.entry.id });
  assert.equal((await ring.verify(b.key)).ok, true);

  writeFileSync(path, '{"version": 1, "keys": [ broken');
  await ring.refresh();
  assert.match(events.at(-1)!, /^error .*ring\.json: not valid JSON.*last good keys stay/);
  assert.equal((await ring.verify(b.key)).ok, true);
  await ring.refresh();
  assert.equal(events.length, 2, 'a broken file is reported once, not on every look');

  rmSync(path);
  await ring.refresh();
  assert.match(events.at(-1)!, /was deleted/);
  assert.equal(ring.size, 0);
  assert.equal((await ring.verify(b.key)).ok, false);
});

test('KeyRing looks at the file at most once per interval', async () => {
  const path = join(dir, 'interval.json');
  const a = await createKey(path, { name: 'a', scope: 'predict', params: FAST });
  const ring = await KeyRing.open(path, { reloadIntervalMs: 60_000 });
  assert.equal((await ring.verify(a.key)).ok, true);
  await revokeKey(path, 'a');
  await ring.refresh();
  assert.equal((await ring.verify(a.key)).ok, true, 'not looked at again within the interval');
  await ring.refresh(Date.now() + 60_000);
  assert.equal((await ring.verify(a.key)).ok, false);
});

test('KeyRing.open without the file names --keys and says how to make one', async () => {
  await assert.rejects(KeyRing.open(join(dir, 'none.json')), (e: unknown) => e instanceof LenguaError && e.field === '--keys' && /lengua keys create/.test(e.message));
});
