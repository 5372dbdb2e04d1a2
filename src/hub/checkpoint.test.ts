import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LenguaError } from '../errors.js';
import { loadCheckpoint, parseSize, saveCheckpoint } from './checkpoint.js';
import { makeEntry, readSafetensors, writeSafetensors, type SafetensorsEntry } from './safetensors.js';
import { golden, skipWithoutGolden as skip } from '../testing/golden.js';

const GOLDEN = golden();

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'lengua-ckpt-'));
}

function weights(): Map<string, SafetensorsEntry> {
  // 10 tensors of 400 bytes each plus a small one, insertion order deliberately not sorted.
  const m = new Map<string, SafetensorsEntry>();
  for (let i = 9; i >= 0; i--) m.set(`layer.${i}.weight`, makeEntry('F32', [10, 10], Array.from({ length: 100 }, (_, j) => i * 100 + j)));
  m.set('ids', makeEntry('I64', [2], [1n, 2n]));
  return m;
}

function sameTensors(a: Map<string, SafetensorsEntry>, b: Map<string, SafetensorsEntry>): void {
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
  for (const [k, t] of a) {
    const u = b.get(k)!;
    assert.equal(u.dtype, t.dtype, k);
    assert.deepEqual(u.shape, t.shape, k);
    assert.ok(Buffer.from(u.data).equals(Buffer.from(t.data)), k);
  }
}

test('parseSize follows huggingface_hub units', () => {
  assert.equal(parseSize('5GB'), 5e9);
  assert.equal(parseSize('10MiB'), 10 * 2 ** 20);
  assert.equal(parseSize('1.5kb'), 1500);
  assert.equal(parseSize(1234), 1234);
  assert.throws(() => parseSize('5 parsecs'), /cannot parse size/);
  assert.throws(() => parseSize(0), /positive/);
});

test('a golden fixture folder loads as a single-file checkpoint', { skip }, () => {
  const ck = loadCheckpoint(join(GOLDEN, 'fixtures', 'bert-tiny-seqcls'));
  assert.ok(ck.tensors.has('bert.embeddings.word_embeddings.weight'));
  assert.equal(ck.metadata.format, 'pt');
});

test('small maxShardSize writes transformers-named shards and an index, and reloads identically', () => {
  const dir = tmp();
  const w = weights();
  saveCheckpoint(dir, w, { maxShardSize: 1000 });
  const files = readdirSync(dir).sort();
  // 400-byte tensors, 1000-byte limit: two per shard -> 5 shards, the 16-byte ids joins the last one.
  assert.deepEqual(files, [
    'model-00001-of-00005.safetensors',
    'model-00002-of-00005.safetensors',
    'model-00003-of-00005.safetensors',
    'model-00004-of-00005.safetensors',
    'model-00005-of-00005.safetensors',
    'model.safetensors.index.json',
  ]);
  const indexText = readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8');
  const index = JSON.parse(indexText) as { metadata: { total_size: number }; weight_map: Record<string, string> };
  assert.equal(index.metadata.total_size, 10 * 400 + 16);
  assert.deepEqual(Object.keys(index.weight_map), [...Object.keys(index.weight_map)].sort(), 'weight_map keys sorted like sort_keys=True');
  assert.ok(indexText.startsWith('{\n  "metadata": {\n    "total_size": 4016\n  },\n  "weight_map": {\n'));
  assert.equal(index.weight_map['layer.9.weight'], 'model-00001-of-00005.safetensors');
  assert.equal(index.weight_map.ids, 'model-00005-of-00005.safetensors');
  for (const f of files.filter((x) => x.endsWith('.safetensors'))) {
    assert.deepEqual(readSafetensors(join(dir, f)).metadata, { format: 'pt' }, f);
  }
  const back = loadCheckpoint(dir);
  sameTensors(w, back.tensors);
});

test('a tensor larger than the shard limit gets a shard of its own', () => {
  const dir = tmp();
  const m = new Map<string, SafetensorsEntry>([
    ['a', makeEntry('F32', [1], [1])],
    ['big', makeEntry('F32', [100], new Array(100).fill(2))],
    ['b', makeEntry('F32', [1], [3])],
  ]);
  saveCheckpoint(dir, m, { maxShardSize: 100 });
  const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8')) as { weight_map: Record<string, string> };
  assert.equal(new Set(Object.values(index.weight_map)).size, 2);
  assert.notEqual(index.weight_map.big, index.weight_map.a);
  assert.equal(index.weight_map.a, index.weight_map.b);
  sameTensors(m, loadCheckpoint(dir).tensors);
});

test('re-saving removes stale shards of an earlier save, both ways', () => {
  const dir = tmp();
  const w = weights();
  saveCheckpoint(dir, w, { maxShardSize: 1000 });
  writeFileSync(join(dir, 'config.json'), '{}');
  saveCheckpoint(dir, w, { maxShardSize: 2000 });
  assert.deepEqual(readdirSync(dir).sort(), [
    'config.json',
    'model-00001-of-00003.safetensors',
    'model-00002-of-00003.safetensors',
    'model-00003-of-00003.safetensors',
    'model.safetensors.index.json',
  ]);
  sameTensors(w, loadCheckpoint(dir).tensors);
  saveCheckpoint(dir, w);
  assert.deepEqual(readdirSync(dir).sort(), ['config.json', 'model.safetensors']);
  sameTensors(w, loadCheckpoint(dir).tensors);
  saveCheckpoint(dir, w, { maxShardSize: '1kB' });
  assert.ok(!readdirSync(dir).includes('model.safetensors'));
  sameTensors(w, loadCheckpoint(dir).tensors);
});

test('a sharded checkpoint with a missing shard or an inconsistent weight_map is refused', () => {
  const dir = tmp();
  saveCheckpoint(dir, weights(), { maxShardSize: 1000 });
  const indexPath = join(dir, 'model.safetensors.index.json');
  const original = readFileSync(indexPath, 'utf8');

  rmSync(join(dir, 'model-00003-of-00005.safetensors'));
  assert.throws(() => loadCheckpoint(dir), (e: unknown) => e instanceof LenguaError && /missing: model-00003-of-00005\.safetensors/.test(e.message));
  saveCheckpoint(dir, weights(), { maxShardSize: 1000 });

  const idx = JSON.parse(original) as { weight_map: Record<string, string> };
  idx.weight_map['layer.9.weight'] = 'model-00002-of-00005.safetensors';
  writeFileSync(indexPath, JSON.stringify(idx));
  assert.throws(() => loadCheckpoint(dir), /"layer\.[0-9]\.weight" is in shard model-0000[12]-of-00005\.safetensors but the index maps it to/);

  const extra = JSON.parse(original) as { weight_map: Record<string, string> };
  extra.weight_map['ghost.weight'] = 'model-00001-of-00005.safetensors';
  writeFileSync(indexPath, JSON.stringify(extra));
  assert.throws(() => loadCheckpoint(dir), /1 tensor\(s\) listed in the index are not in their shard: "ghost\.weight"/);

  const fewer = JSON.parse(original) as { weight_map: Record<string, string> };
  delete fewer.weight_map.ids;
  writeFileSync(indexPath, JSON.stringify(fewer));
  assert.throws(() => loadCheckpoint(dir), /"ids" is in shard .* but not in the index weight_map/);

  const escape = JSON.parse(original) as { weight_map: Record<string, string> };
  escape.weight_map.ids = '../../etc/passwd';
  writeFileSync(indexPath, JSON.stringify(escape));
  assert.throws(() => loadCheckpoint(dir), /shard must be a file name in the same folder/);

  writeFileSync(indexPath, '{"weight_map": 3}');
  assert.throws(() => loadCheckpoint(dir), /weight_map must be an object/);
  writeFileSync(indexPath, 'not json');
  assert.throws(() => loadCheckpoint(dir), /not valid JSON/);
});

test('a folder with only pickle weights is refused with the reason and the conversion', () => {
  const dir = tmp();
  writeFileSync(join(dir, 'pytorch_model.bin'), 'PK\x03\x04 pickle bytes that must never be loaded');
  writeFileSync(join(dir, 'config.json'), '{}');
  assert.throws(
    () => loadCheckpoint(dir),
    (e: unknown) =>
      e instanceof LenguaError &&
      e.message.includes('pytorch_model.bin') &&
      /execute arbitrary code/.test(e.message) &&
      e.message.includes('save_pretrained(dir, safe_serialization=True)'),
  );
  const dir2 = tmp();
  writeFileSync(join(dir2, 'weights.ckpt'), 'x');
  assert.throws(() => loadCheckpoint(dir2), /weights\.ckpt.*pickle/);
  const empty = tmp();
  assert.throws(() => loadCheckpoint(empty), /no model\.safetensors or model\.safetensors\.index\.json/);
  assert.throws(() => loadCheckpoint(join(empty, 'nope')), /model folder not found/);
});

test('model.safetensors wins over pickle weights in the same folder', { skip }, () => {
  const dir = tmp();
  copyFileSync(join(GOLDEN, 'fixtures', 'gpt2-tiny', 'model.safetensors'), join(dir, 'model.safetensors'));
  writeFileSync(join(dir, 'pytorch_model.bin'), 'never read');
  assert.ok(loadCheckpoint(dir).tensors.size > 0);
  // And a plain writeSafetensors file next to it is not picked up by mistake.
  writeSafetensors(join(dir, 'other.safetensors'), { x: makeEntry('F32', [1], [1]) });
  assert.ok(!loadCheckpoint(dir).tensors.has('x'));
});

test('fuzz finding: an index with a deeply nested shard name is a LenguaError, not a RangeError', () => {
  const dir = tmp();
  writeFileSync(join(dir, 'model.safetensors.index.json'), `{"weight_map":{"w":${'['.repeat(5000)}${']'.repeat(5000)}}}`);
  assert.throws(() => loadCheckpoint(dir), (e: unknown) => e instanceof LenguaError && /nested deeper than 128 levels/.test(e.message));
  writeFileSync(join(dir, 'model.safetensors.index.json'), `{"weight_map":{"w":${'['.repeat(100)}${']'.repeat(100)}}}`);
  assert.throws(() => loadCheckpoint(dir), (e: unknown) => e instanceof LenguaError && /shard must be a file name in the same folder, got \[\[\[/.test(e.message));
});
