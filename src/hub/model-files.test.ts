// The model-folder rule with real symlinks in temp folders: a file of a model folder that resolves
// outside the folder is refused by every reader of src/hub, links inside it (and the HF cache's
// snapshot -> blob links) are followed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LenguaError } from '../errors.js';
import { loadCheckpoint, readSafetensorsIndex, saveCheckpoint } from './checkpoint.js';
import { cacheRepoOfSnapshot } from './cache.js';
import { readConfigJson } from './config.js';
import { checkModelFolder, copyModelFile, modelFilePath, readModelFile, readModelText } from './model-files.js';
import { resolveModel } from './resolve.js';
import { makeEntry, writeSafetensors } from './safetensors.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'lengua-mf-'));
}

/** A refusal names the file, where its link points, and says why. */
function refused(file: string, target: string): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof LenguaError, `expected a LenguaError, got ${String(err)}`);
    assert.ok(err.message.includes(file), `names the file ${file}: ${err.message}`);
    assert.ok(err.message.includes(target), `names the target ${target}: ${err.message}`);
    assert.match(err.message, /links out of a model folder are refused/);
    return true;
  };
}

const tensors = (): Map<string, ReturnType<typeof makeEntry>> => new Map([['w', makeEntry('F32', [2], [1, 2])]]);

test('config.json linking out of the model folder is refused', () => {
  const root = tmp();
  const secret = join(root, 'secret.json');
  writeFileSync(secret, '{"model_type": "bert"}');
  const dir = join(root, 'model');
  mkdirSync(dir);
  symlinkSync(secret, join(dir, 'config.json'));
  assert.throws(() => readConfigJson(dir), refused(join(dir, 'config.json'), secret));
});

test('weights, index and shards linking out of the model folder are refused', () => {
  const root = tmp();
  const outside = join(root, 'elsewhere');
  mkdirSync(outside);
  writeSafetensors(join(outside, 'model.safetensors'), tensors());
  const single = join(root, 'single');
  mkdirSync(single);
  symlinkSync(join(outside, 'model.safetensors'), join(single, 'model.safetensors'));
  assert.throws(() => loadCheckpoint(single), refused(join(single, 'model.safetensors'), join(outside, 'model.safetensors')));

  // A sharded folder, then each of its files in turn replaced by a link to a copy outside.
  const big = new Map<string, ReturnType<typeof makeEntry>>();
  for (let i = 0; i < 4; i++) big.set(`t${i}`, makeEntry('F32', [100], new Array<number>(100).fill(i)));
  saveCheckpoint(outside, big, { maxShardSize: 500 });
  for (const f of ['model.safetensors.index.json', 'model-00001-of-00004.safetensors']) {
    const dir = join(root, `sharded-${f}`);
    mkdirSync(dir);
    saveCheckpoint(dir, big, { maxShardSize: 500 });
    assert.equal(loadCheckpoint(dir).tensors.size, 4);
    const p = join(dir, f);
    rmSync(p);
    symlinkSync(join(outside, f), p);
    assert.throws(() => loadCheckpoint(dir), refused(p, join(outside, f)));
    if (f.endsWith('.json')) assert.throws(() => readSafetensorsIndex(p), refused(p, join(outside, f)));
  }
});

test('a link through a linked sub-folder is refused; links inside the folder are followed', () => {
  const root = tmp();
  const outside = join(root, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'vocab.txt'), 'secret\n');
  const dir = join(root, 'model');
  mkdirSync(join(dir, 'real'), { recursive: true });
  symlinkSync(outside, join(dir, 'sub'));
  assert.throws(() => readModelText(dir, 'sub/vocab.txt', 1000), refused(join(dir, 'sub/vocab.txt'), join(outside, 'vocab.txt')));
  // Inside: a relative link to a file of the same folder reads normally.
  writeFileSync(join(dir, 'real', 'vocab.txt'), 'ok\n');
  symlinkSync(join('real', 'vocab.txt'), join(dir, 'vocab.txt'));
  assert.equal(readModelText(dir, 'vocab.txt', 1000), 'ok\n');
  assert.equal(modelFilePath(dir, 'vocab.txt'), join(dir, 'real', 'vocab.txt'));
  // A link to the folder itself is fine: the folder is compared by its real path.
  symlinkSync(dir, join(root, 'link-to-model'));
  assert.equal(readModelText(join(root, 'link-to-model'), 'vocab.txt', 1000), 'ok\n');
  // copyModelFile refuses what reading refuses: a copy must not carry a file out either.
  symlinkSync(join(outside, 'vocab.txt'), join(dir, 'merges.txt'));
  assert.throws(() => copyModelFile(dir, 'merges.txt', join(root, 'copy.txt')), refused(join(dir, 'merges.txt'), join(outside, 'vocab.txt')));
  assert.equal(copyModelFile(dir, 'vocab.txt', join(root, 'copy.txt')), true);
  assert.equal(readFileSync(join(root, 'copy.txt'), 'utf8'), 'ok\n');
});

test('a dangling link is absent; a relative link that climbs out is refused; names must stay inside', () => {
  const dir = tmp();
  symlinkSync(join(dir, 'nowhere'), join(dir, 'vocab.txt'));
  assert.equal(readModelText(dir, 'vocab.txt', 1000), undefined);
  symlinkSync('../../../../../../../../etc/hostname', join(dir, 'config.json'));
  assert.throws(() => readModelText(dir, 'config.json', 1000), refused(join(dir, 'config.json'), '../../../../../../../../etc/hostname'));
  for (const bad of ['../x', '/etc/passwd', 'a/../../b', '', 'a\0b']) {
    assert.throws(() => readModelFile(dir, bad, 10), (e: unknown) => e instanceof LenguaError && /invalid file name/.test(e.message), bad);
  }
});

test('a FIFO or a folder in place of a model file is refused without hanging; size limits come from the real file', () => {
  const dir = tmp();
  mkdirSync(join(dir, 'config.json'));
  assert.throws(() => readConfigJson(dir), /config\.json: not a regular file/);
  const fifo = join(dir, 'vocab.txt');
  if (spawnSync('mkfifo', [fifo]).status === 0) {
    assert.throws(() => readModelText(dir, 'vocab.txt', 1000), /vocab\.txt: not a regular file/);
  }
  writeFileSync(join(dir, 'big.txt'), 'x'.repeat(2000));
  assert.throws(() => readModelText(dir, 'big.txt', 1000), /2000 bytes, over the 1000-byte limit/);
});

test('Hugging Face cache snapshots may link into their own blobs, not elsewhere', () => {
  const cache = tmp();
  const repo = join(cache, 'models--acme--tiny');
  const snap = join(repo, 'snapshots', 'a'.repeat(40));
  mkdirSync(join(repo, 'blobs'), { recursive: true });
  mkdirSync(snap, { recursive: true });
  writeSafetensors(join(repo, 'blobs', 'w1'), tensors());
  writeFileSync(join(repo, 'blobs', 'c1'), '{"model_type": "bert"}');
  symlinkSync('../../blobs/w1', join(snap, 'model.safetensors'));
  symlinkSync('../../blobs/c1', join(snap, 'config.json'));
  assert.equal(cacheRepoOfSnapshot(snap), repo);
  assert.equal(loadCheckpoint(snap).tensors.size, 1);
  assert.equal(readConfigJson(snap).json.model_type, 'bert');

  // Into another repo's blobs, or out of the cache: refused.
  const other = join(cache, 'models--evil--x', 'blobs');
  mkdirSync(other, { recursive: true });
  writeFileSync(join(other, 'v'), 'secret\n');
  symlinkSync('../../../models--evil--x/blobs/v', join(snap, 'vocab.txt'));
  assert.throws(() => readModelText(snap, 'vocab.txt', 1000), refused(join(snap, 'vocab.txt'), join(other, 'v')));
  symlinkSync('/etc/hostname', join(snap, 'merges.txt'));
  assert.throws(() => readModelText(snap, 'merges.txt', 1000), refused(join(snap, 'merges.txt'), '/etc/hostname'));
  // A folder that merely contains "snapshots" is not a cache snapshot.
  assert.equal(cacheRepoOfSnapshot(join(cache, 'plain', 'snapshots', 'x')), undefined);
});

test('resolving a folder refuses a model file that links out even when this load would not read it', async () => {
  const root = tmp();
  const dir = join(root, 'model');
  mkdirSync(dir);
  writeFileSync(join(dir, 'tokenizer.json'), '{}');
  writeFileSync(join(root, 'passwd'), 'root:x:0:0\n');
  // vocab.txt is shadowed by tokenizer.json for loading, but save_pretrained copies it along.
  symlinkSync(join(root, 'passwd'), join(dir, 'vocab.txt'));
  await assert.rejects(resolveModel(dir), refused(join(dir, 'vocab.txt'), join(root, 'passwd')));
  symlinkSync(join(root, 'passwd'), join(dir, 'extra.safetensors'));
  assert.throws(() => checkModelFolder(dir, ['extra.safetensors']), refused(join(dir, 'extra.safetensors'), join(root, 'passwd')));
  // Files Lengua never touches are left alone, and so are dangling links.
  rmSync(join(dir, 'vocab.txt'));
  rmSync(join(dir, 'extra.safetensors'));
  symlinkSync(join(root, 'passwd'), join(dir, 'README.md'));
  symlinkSync(join(root, 'gone'), join(dir, 'merges.txt'));
  assert.equal((await resolveModel(dir)).source, 'local');
});
