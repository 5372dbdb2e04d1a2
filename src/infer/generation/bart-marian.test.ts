// pipeline('translation') on BART and Marian folders Lengua builds and exports itself (tokenizer trained here,
// random weights): the ONNX Runtime pipeline gives the texts the libtorch model generates through the same
// search from the same sources and generation defaults, greedy and beam, batched and one by one.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../torch/index.js';
import { AutoConfig, AutoModelForSeq2SeqLM, modelGenerationDefaults, torchSeq2SeqLm } from '../../models/index.js';
import { AutoTokenizer, type PreTrainedTokenizer } from '../../text/index.js';
import { exportToOnnx } from '../../export/index.js';
import { generate, resolveGenerationConfig } from '../../generation/index.js';
import { tinyTranslationSetup } from '../../train/testing/seq2seq.js';
import { pipeline } from '../pipeline.js';
import { TINY_SENTENCES } from './testing.js';

torch.setNumThreads(1);
const root = mkdtempSync(join(tmpdir(), 'lengua-bart-marian-pipeline-'));
after(() => rmSync(root, { recursive: true, force: true }));

let tokenizer: PreTrainedTokenizer;
before(async () => {
  ({ tokenizer } = await tinyTranslationSetup(join(root, 'tok')));
});

const COMMON = {
  d_model: 16, encoder_layers: 2, decoder_layers: 2, encoder_attention_heads: 4, decoder_attention_heads: 4, encoder_ffn_dim: 32, decoder_ffn_dim: 32,
  max_position_embeddings: 64, pad_token_id: 0, eos_token_id: 1, bos_token_id: 2, forced_eos_token_id: null,
};

for (const [type, extra] of [['bart', { decoder_start_token_id: 1 }], ['marian', { decoder_start_token_id: 0 }]] as const) {
  test(`${type}: the ONNX translation pipeline gives libtorch's texts (greedy and beam, batched and alone)`, async () => {
    const dir = join(root, type);
    const model = AutoModelForSeq2SeqLM.fromConfig(AutoConfig.forModel(type, { ...COMMON, ...extra, vocab_size: tokenizer.vocabSize }), { seed: 5 });
    await model.savePretrained(dir, { tokenizer });
    await exportToOnnx(dir, join(dir, 'onnx-export'), { threads: 1 });
    const loaded = await AutoModelForSeq2SeqLM.fromPretrained(dir);
    const tok = await AutoTokenizer.fromPretrained(dir);
    const translator = await pipeline('translation', join(dir, 'onnx-export'), { numThreads: 1 });
    try {
      const texts = [TINY_SENTENCES[0]!, TINY_SENTENCES[4]!, 'the cat is reading'];
      let nonEmpty = 0;
      for (const options of [{ maxNewTokens: 8, minNewTokens: 3 }, { maxNewTokens: 8, numBeams: 3 }]) {
        const batched = await translator(texts, options);
        const config = resolveGenerationConfig(modelGenerationDefaults(loaded), options);
        for (const [i, text] of texts.entries()) {
          const [want] = await generate(torchSeq2SeqLm(loaded, [tok.encode(text).ids]), [[extra.decoder_start_token_id]], config);
          const expected = tok.decode(want!.generated, { skipSpecialTokens: true });
          assert.deepEqual(batched[i], [{ translation_text: expected }], `${JSON.stringify(options)}: ${text}`);
          assert.deepEqual(await translator(text, options), [{ translation_text: expected }]);
          if (expected !== '') nonEmpty++;
        }
      }
      assert.ok(nonEmpty >= 4, `${nonEmpty} non-empty outputs: random weights still generate words, so texts are compared`);
    } finally {
      await translator.dispose();
    }
  });
}
