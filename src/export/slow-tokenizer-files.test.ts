// An export of a model folder that holds only tokenizer.json gets the slow-tokenizer files beside it
// (transformers' Python classes and Optimum's slow fallbacks read them), listed among the files written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer } from '../text/tokenizer/index.js';
import { golden, skipWithoutGolden as skip } from '../testing/golden.js';
import { exportToOnnx } from './index.js';

test('exporting a folder without vocab.txt writes vocab.txt, byte-identical to the one transformers wrote', { skip }, async () => {
  const fixture = golden('fixtures', 'bert-tiny-seqcls');
  const src = mkdtempSync(join(tmpdir(), 'lengua-export-slowtok-src-'));
  const out = mkdtempSync(join(tmpdir(), 'lengua-export-slowtok-out-'));
  try {
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) copyFileSync(join(fixture, f), join(src, f));
    const r = await exportToOnnx(src, out, { overwrite: true });
    assert.ok(r.files.includes('vocab.txt'), r.files.join(','));
    assert.ok(readFileSync(join(out, 'vocab.txt')).equals(readFileSync(join(fixture, 'vocab.txt'))));
    // The copied config agrees with tokenizer.json: kept byte for byte.
    assert.ok(readFileSync(join(out, 'tokenizer_config.json')).equals(readFileSync(join(fixture, 'tokenizer_config.json'))));
    rmSync(join(out, 'tokenizer.json'));
    const slow = await AutoTokenizer.fromPretrained(out);
    assert.equal(slow.source, 'vocab.txt');
    assert.deepEqual(slow.encode('Héllo wörld!', { pair: 'x' }), (await AutoTokenizer.fromPretrained(fixture)).encode('Héllo wörld!', { pair: 'x' }));
  } finally {
    rmSync(src, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  }
});
