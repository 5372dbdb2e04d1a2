// pipeline('text2text-generation' | 'translation' | 'summarization') end to end on a T5 Lengua builds itself: a
// Unigram tokenizer trained by `trainTokenizer`, a small T5 with random weights saved, exported, and loaded by the
// pipeline. Its texts equal what libtorch's T5 generates from the same tokens through the same search (greedy and
// beam), batched inputs equal one by one, the output key follows the task, and the wrong pipeline is refused.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../torch/index.js';
import { AutoModelForSeq2SeqLM } from '../../models/index.js';
import { AutoTokenizer } from '../../text/index.js';
import { torchSeq2SeqLm } from '../../models/index.js';
import { LenguaError } from '../../errors.js';
import { pipeline } from '../pipeline.js';
import { resolveGenerationConfig } from '../../generation/config.js';
import { generate } from '../../generation/search.js';
import { tinyT5, TINY_SENTENCES } from './testing.js';

torch.setNumThreads(1);
const root = mkdtempSync(join(tmpdir(), 'lengua-text2text-'));
after(() => rmSync(root, { recursive: true, force: true }));

let modelDir = '';
let exported = '';
before(async () => {
  ({ modelDir, exported } = await tinyT5(root));
});

test('translation: the ONNX pipeline gives the texts libtorch generates from the same tokens (greedy and beam), batched and one by one', async () => {
  const translator = await pipeline('translation', exported, { numThreads: 1 });
  const tok = await AutoTokenizer.fromPretrained(modelDir);
  const model = await AutoModelForSeq2SeqLM.fromPretrained(modelDir);
  try {
    const texts = [TINY_SENTENCES[0]!, TINY_SENTENCES[5]!, 'the cat is reading'];
    let nonEmpty = 0;
    for (const options of [{ maxNewTokens: 8 }, { maxNewTokens: 8, numBeams: 3 }]) {
      const batched = await translator(texts, options);
      for (const [i, text] of texts.entries()) {
        const [want] = await generate(torchSeq2SeqLm(model, [tok.encode(text).ids]), [[0]], resolveGenerationConfig({ eosTokenId: 1, padTokenId: 0 }, options));
        const expected = tok.decode(want!.generated, { skipSpecialTokens: true });
        assert.deepEqual(batched[i], [{ translation_text: expected }], `${JSON.stringify(options)}: ${text}`);
        if (expected !== '') nonEmpty++;
        assert.deepEqual(await translator(text, options), [{ translation_text: expected }]);
      }
    }
    // Random weights still generate words (not EOS at once), so the comparison compares texts.
    assert.ok(nonEmpty >= 4, `${nonEmpty} non-empty outputs`);
  } finally {
    await translator.dispose();
  }
});

test('the output key follows the task; a T5 folder is refused by text-generation and a GPT-2 one would be by text2text', async () => {
  for (const [task, key] of [['text2text-generation', 'generated_text'], ['summarization', 'summary_text']] as const) {
    const p = await pipeline(task, exported, { numThreads: 1 });
    try {
      const out = await p('the weather is nice', { maxNewTokens: 3, numReturnSequences: 2, numBeams: 2 });
      assert.equal(out.length, 2);
      assert.deepEqual(Object.keys(out[0]!), [key]);
    } finally {
      await p.dispose();
    }
  }
  await assert.rejects(pipeline('text-generation', exported), (e: unknown) => e instanceof LenguaError && /encoder-decoder model: use pipeline\('text2text-generation'/.test(e.message));
});
