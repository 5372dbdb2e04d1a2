// The download path tested against real HTTP servers on 127.0.0.1 that behave like the Hub (FakeHub in
// testing.ts: a hub with ETags, redirects to a CDN, gated repos and 404s; a CDN with Range support that
// can cut, corrupt or stall a transfer).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LenguaError } from '../errors.js';
import { hubCacheDir, isOfflineEnv, repoFolderName, validateRepoId } from './cache.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { downloadFile, HubHttpError } from './download.js';
import { resolveModel, resolveModelDir } from './resolve.js';
import { makeEntry, serializeSafetensors } from './safetensors.js';
import { FakeHub, gitSha1, listen, sha256, TOKEN } from './testing.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'lengua-hub-'));
}

function modelBytes(seed: number, n = 3000): Buffer {
  return Buffer.from(
    serializeSafetensors(
      {
        'embeddings.weight': makeEntry('F32', [n], Array.from({ length: n }, (_, i) => Math.sin(i + seed))),
        'classifier.bias': makeEntry('F32', [2], [seed, -seed]),
      },
      { format: 'pt' },
    ),
  );
}

const CONFIG = JSON.stringify({ model_type: 'bert', hidden_size: 8 });

const fake = new FakeHub();
await fake.start();
after(() => fake.stop());

function opts(cacheDir: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  // env: {} keeps the real HF_* variables and ~/.cache out of every test.
  return { cacheDir, endpoint: fake.hubUrl, env: {}, retryDelayMs: 10, ...extra };
}

fake.addRepo('acme/tiny-bert', { 'config.json': CONFIG, 'model.safetensors': modelBytes(1), 'tokenizer.json': '{"version":"1.0"}' });

test('downloads into the huggingface_hub cache layout; token goes to the Hub, never to the CDN', async () => {
  const cache = tmp();
  const before = fake.requests();
  const r = await resolveModel('acme/tiny-bert', opts(cache, { token: TOKEN }));
  const repo = fake.repos.get('acme/tiny-bert')!;
  const repoDir = join(cache, 'models--acme--tiny-bert');
  assert.equal(r.source, 'download');
  assert.equal(r.dir, join(repoDir, 'snapshots', repo.commit));
  assert.equal(readFileSync(join(repoDir, 'refs', 'main'), 'utf8'), repo.commit);
  const model = repo.files.get('model.safetensors')!;
  const config = repo.files.get('config.json')!;
  assert.equal(readlinkSync(join(r.dir, 'model.safetensors')), join('..', '..', 'blobs', sha256(model)));
  assert.equal(readlinkSync(join(r.dir, 'config.json')), join('..', '..', 'blobs', gitSha1(config)));
  assert.deepEqual(readdirSync(join(repoDir, 'blobs')).sort(), [sha256(model), gitSha1(config), gitSha1(repo.files.get('tokenizer.json')!)].sort());
  assert.ok(readFileSync(join(r.dir, 'model.safetensors')).equals(model));
  // Optional files the repo lacks are recorded as absent, as huggingface_hub does.
  assert.ok(existsSync(join(repoDir, '.no_exist', repo.commit, 'vocab.txt')));
  assert.ok(!existsSync(join(repoDir, '.no_exist', repo.commit, 'tokenizer.json')));
  assert.equal(loadCheckpoint(r.dir).tensors.get('classifier.bias')!.data.byteLength, 8);

  const hub = fake.hubLog.slice(before);
  assert.ok(hub.length > 0 && hub.every((q) => q.headers.authorization === `Bearer ${TOKEN}`), 'every Hub request carries the token');
  const cdn = fake.cdnLog.filter((q) => q.url.includes(sha256(model)));
  assert.ok(cdn.length > 0, 'LFS bytes come from the CDN');
  assert.ok(cdn.every((q) => q.headers.authorization === undefined), 'the token is never sent to the CDN');
  // Every request after the first is pinned to the commit main pointed to.
  assert.ok(hub[0]!.url.includes("/resolve/main/config.json"));
  assert.ok(hub.slice(1).every((q) => q.url.includes(`/resolve/${repo.commit}/`)), hub.map((q) => q.url).join(" "));
});

test('a second resolve is served from the cache with zero requests', async () => {
  const cache = tmp();
  await resolveModelDir('acme/tiny-bert', opts(cache));
  const before = fake.requests();
  const r = await resolveModel('acme/tiny-bert', opts(cache));
  assert.equal(r.source, 'cache');
  assert.equal(fake.requests(), before);
  // Offline with the same cache works too.
  assert.equal(await resolveModelDir('acme/tiny-bert', opts(cache, { offline: true })), r.dir);
  assert.equal(fake.requests(), before);
});

test('offline mode never connects and names the id, revision, cache folder and missing files', async () => {
  const cache = tmp();
  const before = fake.requests();
  await assert.rejects(resolveModelDir('acme/tiny-bert', opts(cache, { env: { HF_HUB_OFFLINE: '1' } })), (e: unknown) => {
    assert.ok(e instanceof LenguaError);
    for (const s of ['acme/tiny-bert', '"main"', join(cache, 'models--acme--tiny-bert'), 'config.json', 'model.safetensors']) {
      assert.ok(e.message.includes(s), `message names ${s}: ${e.message}`);
    }
    return true;
  });
  // A partial cache: the message lists exactly what is missing.
  await resolveModelDir('acme/tiny-bert', opts(cache));
  const snap = join(cache, 'models--acme--tiny-bert', 'snapshots', fake.repos.get('acme/tiny-bert')!.commit);
  rmSync(join(snap, 'model.safetensors'));
  const mid = fake.requests();
  await assert.rejects(resolveModelDir('acme/tiny-bert', opts(cache, { offline: true })), /incomplete in the cache .*Missing: model\.safetensors\. To use it: drop --offline/);
  assert.equal(fake.requests(), mid);
  // Online again: only the missing file is fetched, and its blob is reused without a transfer.
  const cdnBefore = fake.cdnLog.length;
  const r = await resolveModel('acme/tiny-bert', opts(cache));
  assert.deepEqual(r.fetched, ['model.safetensors']);
  assert.equal(fake.cdnLog.length, cdnBefore, 'the blob was still cached: no bytes transferred');
  assert.ok(readFileSync(join(snap, 'model.safetensors')).equals(fake.repos.get('acme/tiny-bert')!.files.get('model.safetensors')!));
  assert.ok(before < mid);
});

test('offline tokenizer-only resolution of an uncached id names the files looked for and what to do (never "Missing: .")', async () => {
  const cache = tmp();
  const before = fake.requests();
  const env = { HF_HUB_OFFLINE: '1' };
  await assert.rejects(resolveModelDir('someone/x', opts(cache, { env, files: [], weights: false })), (e: unknown) => {
    assert.ok(e instanceof LenguaError);
    assert.doesNotMatch(e.message, /Missing: \./);
    const repoDir = join(cache, 'models--someone--x');
    for (const s of ['HF_HUB_OFFLINE=1', 'someone/x', '"main"', join(repoDir, 'refs', 'main'), join(repoDir, 'snapshots'), 'tokenizer.json', 'vocab.txt',
      'merges.txt', 'unset HF_HUB_OFFLINE', '`lengua hub download someone/x`', 'pass a local folder']) {
      assert.ok(e.message.includes(s), `message names ${s}: ${e.message}`);
    }
    return true;
  });
  // Another revision is named in the command to run; TRANSFORMERS_OFFLINE is named when it is the cause.
  await assert.rejects(
    resolveModelDir('someone/x', opts(cache, { env: { TRANSFORMERS_OFFLINE: 'yes' }, revision: 'v2' })),
    /offline mode \(TRANSFORMERS_OFFLINE=yes\).*"v2".*config\.json, model\.safetensors.*`lengua hub download someone\/x --revision v2`/,
  );
  assert.equal(fake.requests(), before);
});

test('an interrupted transfer is retried with Range from the .incomplete file and ends byte-exact', async () => {
  const big = modelBytes(7, 60_000);
  const repo = fake.addRepo('acme/cut', { 'config.json': CONFIG, 'model.safetensors': big });
  const sha = sha256(big);
  const cache = tmp();
  // First: no retries, so the cut surfaces as an error and leaves the partial blob.
  fake.cutOnce.set(sha, 100_000);
  await assert.rejects(downloadFile('acme/cut', 'model.safetensors', opts(cache, { retries: 0 })), /failed after 1 attempt/);
  const incomplete = join(cache, 'models--acme--cut', 'blobs', `${sha}.incomplete`);
  assert.equal(lstatSync(incomplete).size, 100_000);
  const n = fake.cdnLog.length;
  const d = await downloadFile('acme/cut', 'model.safetensors', opts(cache, { retries: 0 }));
  assert.equal(fake.cdnLog[n]!.headers.range, 'bytes=100000-');
  assert.ok(readFileSync(d.path).equals(big));
  assert.equal(d.commit, repo.commit);
  assert.ok(!existsSync(incomplete));

  // Second: the retry inside one call resumes by itself.
  const cache2 = tmp();
  fake.cutOnce.set(sha, 50_000);
  const m = fake.cdnLog.length;
  const d2 = await downloadFile('acme/cut', 'model.safetensors', opts(cache2));
  const ranges = fake.cdnLog.slice(m).map((q) => q.headers.range);
  assert.deepEqual(ranges, [undefined, 'bytes=50000-']);
  assert.ok(readFileSync(d2.path).equals(big));
});

test('a server that ignores Range (200) restarts the file; a corrupt blob is rejected by its sha256', async () => {
  const body = modelBytes(9, 20_000);
  fake.addRepo('acme/norange', { 'config.json': CONFIG, 'model.safetensors': body });
  const sha = sha256(body);
  const cache = tmp();
  fake.cutOnce.set(sha, 30_000);
  fake.ignoreRange = true;
  try {
    const d = await downloadFile('acme/norange', 'model.safetensors', opts(cache));
    assert.ok(readFileSync(d.path).equals(body));
  } finally {
    fake.ignoreRange = false;
  }
  const cache2 = tmp();
  fake.corrupt.add(sha);
  try {
    await assert.rejects(downloadFile('acme/norange', 'model.safetensors', opts(cache2)), /does not match its checksum/);
    assert.deepEqual(readdirSync(join(cache2, 'models--acme--norange', 'blobs')), []);
  } finally {
    fake.corrupt.delete(sha);
  }
});

test('gated repo: 401 names the id and HF_TOKEN; with the token it downloads', async () => {
  fake.addRepo('acme/gated', { 'config.json': CONFIG, 'model.safetensors': modelBytes(2) }, { gated: true });
  const cache = tmp();
  await assert.rejects(resolveModelDir('acme/gated', opts(cache)), (e: unknown) => {
    assert.ok(e instanceof HubHttpError);
    assert.equal(e.status, 401);
    assert.match(e.message, /acme\/gated.*gated or private.*HF_TOKEN is not set/);
    return true;
  });
  await assert.rejects(resolveModelDir('acme/gated', opts(cache, { token: 'wrong' })), /refused or lacks access/);
  const dir = await resolveModelDir('acme/gated', opts(cache, { env: { HF_TOKEN: TOKEN } }));
  assert.ok(existsSync(join(dir, 'model.safetensors')));
  const wrong = fake.hubLog.filter((q) => q.headers.authorization === 'Bearer wrong');
  assert.ok(wrong.length > 0);
});

test('404s name the repo, file and revision; a missing repo and revision are told apart', async () => {
  const cache = tmp();
  await assert.rejects(resolveModelDir('acme/does-not-exist', opts(cache)), /acme\/does-not-exist.*not found.*check the id/);
  await assert.rejects(resolveModelDir('acme/tiny-bert', opts(cache, { revision: 'v9' })), /revision "v9" of acme\/tiny-bert not found/);
  await assert.rejects(
    resolveModelDir('acme/tiny-bert', opts(cache, { files: ['config.json', 'adapter_config.json'] })),
    (e: unknown) => e instanceof HubHttpError && e.status === 404 && /file "adapter_config\.json" not found in acme\/tiny-bert \(revision main, commit [0-9a-f]{40}\)/.test(e.message),
  );
});

test('a sharded repo downloads its index and every shard', async () => {
  const src = tmp();
  const w = new Map([...Array(6).keys()].map((i) => [`layer.${i}.weight`, makeEntry('F32', [100], Array.from({ length: 100 }, (_, j) => i + j))]));
  saveCheckpoint(src, w, { maxShardSize: 1000 });
  const files: Record<string, Buffer> = { 'config.json': Buffer.from(CONFIG) };
  for (const f of readdirSync(src)) files[f] = readFileSync(join(src, f));
  assert.ok(Object.keys(files).length >= 4);
  fake.addRepo('acme/sharded', files);
  const cache = tmp();
  const r = await resolveModel('acme/sharded', opts(cache));
  assert.deepEqual(r.fetched.filter((f) => f.startsWith('model')).sort(), readdirSync(src).sort());
  const ck = loadCheckpoint(r.dir);
  assert.equal(ck.tensors.size, 6);
  assert.ok(Buffer.from(ck.tensors.get('layer.5.weight')!.data).equals(Buffer.from(w.get('layer.5.weight')!.data)));
  const before = fake.requests();
  await resolveModelDir('acme/sharded', opts(cache));
  assert.equal(fake.requests(), before);
});

test('a repo with only pytorch_model.bin is refused with the reason and the conversion', async () => {
  fake.addRepo('acme/pickled', { 'config.json': CONFIG, 'pytorch_model.bin': 'PK pickle' });
  const before = fake.cdnLog.length;
  await assert.rejects(resolveModelDir('acme/pickled', opts(tmp())), (e: unknown) => {
    assert.ok(e instanceof LenguaError);
    assert.match(e.message, /only pickle weights.*execute arbitrary code.*safe_serialization=True/);
    return true;
  });
  assert.equal(fake.cdnLog.length, before, 'the pickle bytes are never downloaded');
});

test('concurrent downloads of one file transfer it once; a lock left by a dead process is taken over', async () => {
  const body = modelBytes(11, 20_000);
  fake.addRepo('acme/twice', { 'config.json': CONFIG, 'model.safetensors': body });
  const sha = sha256(body);
  const cache = tmp();
  const before = fake.cdnLog.filter((q) => q.url.includes(sha)).length;
  const [a, b] = await Promise.all([
    downloadFile('acme/twice', 'model.safetensors', opts(cache)),
    downloadFile('acme/twice', 'model.safetensors', opts(cache)),
  ]);
  assert.equal(fake.cdnLog.filter((q) => q.url.includes(sha)).length - before, 1);
  assert.equal(a.path, b.path);
  assert.ok(readFileSync(a.path).equals(body));
  assert.deepEqual([a.reused, b.reused].sort(), [false, true]);

  const cache2 = tmp();
  const blobs = join(cache2, 'models--acme--twice', 'blobs');
  mkdirSync(blobs, { recursive: true });
  writeFileSync(join(blobs, `${sha}.lock`), '999999999'); // no such process
  const c = await downloadFile('acme/twice', 'model.safetensors', opts(cache2));
  assert.ok(readFileSync(c.path).equals(body));
  assert.deepEqual(readdirSync(blobs), [sha]);
});

test('tokenizer-only resolution (no required files, no weights) fetches what exists and fails when nothing does', async () => {
  const cache = tmp();
  const r = await resolveModel('acme/tiny-bert', opts(cache, { files: [], weights: false }));
  assert.deepEqual(r.fetched, ['tokenizer.json']);
  assert.ok(!existsSync(join(r.dir, 'model.safetensors')));
  fake.addRepo('acme/weights-only', { 'model.safetensors': modelBytes(4) });
  await assert.rejects(resolveModelDir('acme/weights-only', opts(tmp(), { files: [], weights: false })), /none of the files looked for exist in acme\/weights-only \(revision main\): tokenizer\.json/);
});

test('renamed repos (same-origin 307) are followed', async () => {
  fake.renamed.set('acme/old-name', 'acme/tiny-bert');
  const d = await downloadFile('acme/old-name', 'config.json', opts(tmp()));
  assert.equal(readFileSync(d.path, 'utf8'), CONFIG);
});

test('a stalled transfer times out; an oversized file is refused before transfer', async () => {
  fake.addRepo('acme/slow', { 'config.json': CONFIG, 'model.safetensors': modelBytes(3) });
  fake.stall = true;
  try {
    await assert.rejects(downloadFile('acme/slow', 'model.safetensors', opts(tmp(), { timeoutMs: 300, retries: 1 })), /failed after 2 attempt.*no progress for 300 ms/);
  } finally {
    fake.stall = false;
  }
  const before = fake.cdnLog.length;
  await assert.rejects(downloadFile('acme/slow', 'model.safetensors', opts(tmp(), { maxBytes: 1000 })), /over the 1000-byte download limit/);
  assert.equal(fake.cdnLog.length, before);
});

test('an unreachable endpoint gives a clear error suggesting offline mode', async () => {
  const dead = createServer();
  await listen(dead);
  const port = (dead.address() as AddressInfo).port;
  dead.close();
  await assert.rejects(
    resolveModelDir('acme/tiny-bert', { cacheDir: tmp(), endpoint: `http://127.0.0.1:${port}`, env: {}, retries: 1, retryDelayMs: 10 }),
    /failed after 2 attempt.*HF_HUB_OFFLINE=1/,
  );
});

test('a cache written by Python (blobs, symlinks, refs/main) is reused without any network', async () => {
  const cache = tmp();
  const commit = 'a'.repeat(40);
  const repoDir = join(cache, repoFolderName('org/py-model'));
  const snap = join(repoDir, 'snapshots', commit);
  mkdirSync(join(repoDir, 'blobs'), { recursive: true });
  mkdirSync(join(repoDir, 'refs'), { recursive: true });
  mkdirSync(snap, { recursive: true });
  writeFileSync(join(repoDir, 'refs', 'main'), commit);
  const model = modelBytes(5);
  for (const [name, body] of [['config.json', Buffer.from(CONFIG)], ['model.safetensors', model]] as const) {
    const blob = join(repoDir, 'blobs', name === 'config.json' ? gitSha1(body) : sha256(body));
    writeFileSync(blob, body);
    symlinkSync(join('..', '..', 'blobs', name === 'config.json' ? gitSha1(body) : sha256(body)), join(snap, name));
  }
  // An endpoint that nothing listens on: any request would fail the test.
  const dead = { cacheDir: cache, endpoint: 'http://127.0.0.1:9', env: {}, retries: 0 };
  assert.equal(await resolveModelDir('org/py-model', { ...dead, offline: true }), snap);
  // HF_HUB_CACHE in the environment selects the same cache.
  assert.equal(await resolveModelDir('org/py-model', { endpoint: 'http://127.0.0.1:9', env: { HF_HUB_CACHE: cache, HF_HUB_OFFLINE: '1' } }), snap);
  // Online, the tokenizer files are unknown (not in .no_exist), so it would ask; offline is what
  // reuses a partial Python cache, and a pinned commit with everything present needs nothing either.
  assert.equal(await resolveModelDir('org/py-model', { ...dead, revision: commit, optionalFiles: [] }), snap);
  assert.equal(await resolveModelDir('org/py-model', { ...dead, optionalFiles: [] }), snap);
  // Online with tokenizer files unchecked, but the Hub unreachable: the cache is good enough.
  assert.equal(await resolveModelDir('org/py-model', { ...dead, retryDelayMs: 1 }), snap);
  // Without the weights in the cache, the same failure is an error.
  rmSync(join(snap, 'model.safetensors'));
  await assert.rejects(resolveModelDir('org/py-model', { ...dead, retryDelayMs: 1 }), /failed after 1 attempt/);
});

test('local folders come first; bad ids and paths are clear errors', async () => {
  const dir = tmp();
  const before = fake.requests();
  assert.equal(await resolveModelDir(dir, opts(tmp())), dir);
  assert.equal(fake.requests(), before);
  await assert.rejects(resolveModelDir('./no/such/folder', opts(tmp())), /local model folder not found/);
  await assert.rejects(resolveModelDir(join(dir, 'missing'), opts(tmp())), /local model folder not found/);
  writeFileSync(join(dir, 'file.txt'), 'x');
  await assert.rejects(resolveModelDir(join(dir, 'file.txt'), opts(tmp())), /expected a model folder, found a file/);
  for (const id of ['a/b/c', 'org/na..me', 'org/-x', 'bad name', 'org--x/y', 'x'.repeat(97), '']) {
    assert.throws(() => validateRepoId(id), LenguaError, id);
  }
  for (const id of ['gpt2', 'bert-base-uncased', 'distilbert/distilbert-base-uncased', 'org/model_v1.5']) validateRepoId(id);
  await assert.rejects(resolveModelDir('org/x', opts(tmp(), { revision: '../../etc' })), /invalid revision/);
  await assert.rejects(resolveModelDir('org/x', opts(tmp(), { files: ['../secret'] })), /invalid file name/);
  assert.equal(fake.requests(), before);
});

test('cache folder and offline flags follow huggingface_hub environment variables', () => {
  assert.equal(hubCacheDir({ HF_HUB_CACHE: '/x/hub' }), '/x/hub');
  assert.equal(hubCacheDir({ HF_HOME: '/y' }), join('/y', 'hub'));
  assert.equal(hubCacheDir({ XDG_CACHE_HOME: '/z' }), join('/z', 'huggingface', 'hub'));
  assert.ok(hubCacheDir({}).endsWith(join('.cache', 'huggingface', 'hub')));
  assert.equal(isOfflineEnv({ HF_HUB_OFFLINE: '1' }), true);
  assert.equal(isOfflineEnv({ TRANSFORMERS_OFFLINE: 'true' }), true);
  assert.equal(isOfflineEnv({ HF_HUB_OFFLINE: '0' }), false);
  assert.equal(isOfflineEnv({}), false);
});
