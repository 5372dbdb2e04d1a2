// A model folder Lengua saves holds the slow-tokenizer files transformers' Python classes read, also
// when the folder it came from had only tokenizer.json: copied files are completed (no tokenizer
// object), and a tokenizer object (the Trainer's, `lengua train`'s) writes them itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelFromPretrained } from './index.js';
import { AutoTokenizer } from '../text/tokenizer/index.js';
import { golden, skipWithoutGolden as skip } from '../testing/golden.js';

const FIX = golden('fixtures');
const TOKENIZER_ONLY = ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'];

for (const [fixture, slowFiles] of [['bert-tiny-seqcls', ['vocab.txt']], ['roberta-synth-seqcls', ['vocab.json', 'merges.txt']]] as const) {
  test(`${fixture} from a folder without slow files: savePretrained writes ${slowFiles.join(' + ')}, with and without a tokenizer object`, { skip }, async () => {
    const src = mkdtempSync(join(tmpdir(), 'lengua-savetok-src-'));
    const outs: string[] = [];
    try {
      for (const f of TOKENIZER_ONLY) copyFileSync(join(FIX, fixture, f), join(src, f));
      const model = await modelFromPretrained('sequence-classification', src);
      const tokenizer = await AutoTokenizer.fromPretrained(src);
      for (const withTokenizer of [false, true]) {
        const out = mkdtempSync(join(tmpdir(), 'lengua-savetok-out-'));
        outs.push(out);
        await model.savePretrained(out, withTokenizer ? { tokenizer } : {});
        // merges.txt is written as transformers writes it: the fixture's own bytes.
        if (slowFiles.includes('merges.txt' as never)) assert.ok(readFileSync(join(out, 'merges.txt')).equals(readFileSync(join(FIX, fixture, 'merges.txt'))));
        if (slowFiles.includes('vocab.txt' as never)) assert.ok(readFileSync(join(out, 'vocab.txt')).equals(readFileSync(join(FIX, fixture, 'vocab.txt'))));
        if (slowFiles.includes('vocab.json' as never)) {
          assert.deepEqual(JSON.parse(readFileSync(join(out, 'vocab.json'), 'utf8')), JSON.parse(readFileSync(join(FIX, fixture, 'vocab.json'), 'utf8')));
        }
        // Without tokenizer.json, the saved folder loads through the slow route and encodes alike.
        rmSync(join(out, 'tokenizer.json'));
        const slow = await AutoTokenizer.fromPretrained(out);
        assert.notEqual(slow.source, 'tokenizer.json');
        const text = 'Héllo wörld, it\'s <mask> [MASK] 中文 😀!';
        assert.deepEqual(slow.encode(text, { pair: 'and a second one' }), tokenizer.encode(text, { pair: 'and a second one' }), `${fixture} withTokenizer=${withTokenizer}`);
      }
    } finally {
      for (const d of [src, ...outs]) rmSync(d, { recursive: true, force: true });
    }
  });
}
