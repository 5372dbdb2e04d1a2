import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { LocalStore, RefConflictError, readAll } from './store.js';

test('LocalStore: put/get/exists/list/delete of keys; streams and bytes; keys that could leave the folder are refused', async () => {
  const root = mkdtempSync(join(tmpdir(), 'lengua-store-'));
  try {
    const s = new LocalStore(root);
    await s.put('blobs/ab/x', Buffer.from('hello'));
    await s.put('blobs/cd/y', Readable.from([Buffer.from('wor'), Buffer.from('ld')]));
    assert.equal((await readAll((await s.get('blobs/cd/y'))!, 100, 'y')).toString(), 'world');
    assert.equal(await s.get('blobs/none'), null);
    assert.equal(await s.exists('blobs/ab/x'), true);
    assert.equal(await s.exists('blobs/ab'), false, 'a folder is no key');
    writeFileSync(join(root, 'blobs', 'ab', '.x.123.tmp'), 'partial');
    assert.deepEqual(await s.list('blobs/'), ['blobs/ab/x', 'blobs/cd/y'], 'temporaries are not keys');
    assert.deepEqual(await s.list(''), ['blobs/ab/x', 'blobs/cd/y']);
    assert.deepEqual(await s.list('models/'), []);
    await s.delete('blobs/ab/x');
    assert.equal(await s.exists('blobs/ab/x'), false);
    assert.equal(s.describe('blobs/cd/y'), join(root, 'blobs', 'cd', 'y'));
    for (const bad of ['../x', 'a/../b', '/abs', 'a//b', '.hidden', 'a/.b', '', 'a\\b']) await assert.rejects(s.exists(bad), /invalid store key/, bad);
    // A failed stream leaves no temporary and no key.
    const failing = new Readable({ read() { this.destroy(new Error('disk gone')); } });
    await assert.rejects(s.put('blobs/ef/z', failing), /disk gone/);
    assert.deepEqual(readdirSync(join(root, 'blobs', 'ef')), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('putRef: atomic and conditional — create-only, compare-and-swap on the etag, conflicts reported', async () => {
  const root = mkdtempSync(join(tmpdir(), 'lengua-store-'));
  try {
    const s = new LocalStore(root);
    await s.putRef('models/m/stages/production.json', Buffer.from('{"v":1}'), { ifMatch: null });
    await assert.rejects(s.putRef('models/m/stages/production.json', Buffer.from('{"v":2}'), { ifMatch: null }), (e: Error) => e instanceof RefConflictError && e.exists);
    const r1 = (await s.getRef('models/m/stages/production.json'))!;
    await s.putRef('models/m/stages/production.json', Buffer.from('{"v":2}'), { ifMatch: r1.etag });
    await assert.rejects(s.putRef('models/m/stages/production.json', Buffer.from('{"v":3}'), { ifMatch: r1.etag }), RefConflictError, 'a stale etag loses');
    assert.equal((await s.getRef('models/m/stages/production.json'))!.data.toString(), '{"v":2}');
    await s.putRef('models/m/stages/production.json', Buffer.from('{"v":4}'));
    assert.equal(await s.getRef('models/m/stages/none.json'), null);
    assert.deepEqual(readdirSync(join(root, 'models', 'm', 'stages')), ['production.json'], 'no lock or temporary left');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('putRef: a lock left by a killed process is taken over', async () => {
  const root = mkdtempSync(join(tmpdir(), 'lengua-store-'));
  try {
    const s = new LocalStore(root);
    await s.putRef('models/m/stages/staging.json', Buffer.from('{}'));
    // The pid of a process that has exited.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    const { hostname } = await import('node:os');
    writeFileSync(join(root, 'models', 'm', 'stages', '.staging.json.lock'), JSON.stringify({ pid: Number(gone), host: hostname(), time: Date.now() }));
    const t0 = Date.now();
    await s.putRef('models/m/stages/staging.json', Buffer.from('{"v":1}'));
    assert.ok(Date.now() - t0 < 2000);
    assert.equal((await s.getRef('models/m/stages/staging.json'))!.data.toString(), '{"v":1}');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
