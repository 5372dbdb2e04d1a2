// pipeline('text2text-generation' | 'translation' | 'summarization') end to end on a T5 Lengua builds itself: a
// Unigram tokenizer trained by `trainTokenizer`, a small T5 with random weights saved, exported, and loaded by the
// pipeline. Its texts equal what libtorch's T5 generates from the same tokens through the same search (greedy and
// beam), batched inputs equal one by one, the output key follows the task, and the wrong pipeline is refused.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../torch/index.js';
import { AutoConfig, AutoModelForSeq2SeqLM } from '../../models/index.js';
import { AutoTokenizer } from '../../text/index.js';
import { saveTrainedTokenizer, trainTokenizer } from '../../text/tokenizer/train/index.js';
import { exportToOnnx } from '../../export/index.js';
import { torchSeq2SeqLm } from '../../cli/generate.js';
import { LenguaError } from '../../errors.js';
import { pipeline } from '../pipeline.js';
import { resolveGenerationConfig } from './config.js';
import { generate } from './search.js';

torch.setNumThreads(1);
const root = mkdtempSync(join(tmpdir(), 'lengua-text2text-'));
const exported = join(root, 'onnx');
const modelDir = join(root, 'model');
after(() => rmSync(root, { recursive: true, force: true }));

const SENTENCES = [
  'the weather is nice today', 'el tiempo es agradable hoy', 'I like reading books in the evening', 'me gusta leer libros por la tarde',
  'the cat sleeps on the sofa', 'el gato duerme en el sofá', 'we are going to the beach tomorrow', 'mañana vamos a la playa',
  'this movie was really good', 'esta película fue muy buena', 'the train leaves at nine', 'el tren sale a las nueve',
];

before(async () => {
  const corpus = join(root, 'corpus.txt');
  writeFileSync(corpus, Array.from({ length: 20 }, () => SENTENCES.join('\n')).join('\n'));
  const trained = await trainTokenizer([corpus], { model: 'unigram', vocabSize: 120, specialTokens: ['<pad>', '</s>', '<unk>'] });
  const tokDir = join(root, 'tokenizer');
  saveTrainedTokenizer(tokDir, trained);
  const tok = await AutoTokenizer.fromPretrained(tokDir);
  const config = AutoConfig.forModel('t5', {
    vocab_size: tok.vocabSize, d_model: 32, d_kv: 8, d_ff: 64, num_layers: 2, num_heads: 4, relative_attention_num_buckets: 8,
    pad_token_id: 0, eos_token_id: 1, decoder_start_token_id: 0,
  });
  const model = AutoModelForSeq2SeqLM.fromConfig(config, { seed: 11 });
  model.eval();
  await model.savePretrained(modelDir, { tokenizer: tok });
  await exportToOnnx(modelDir, exported, { threads: 1 });
});

test('translation: the ONNX pipeline gives the texts libtorch generates from the same tokens (greedy and beam), batched and one by one', async () => {
  const translator = await pipeline('translation', exported, { numThreads: 1 });
  const tok = await AutoTokenizer.fromPretrained(modelDir);
  const model = await AutoModelForSeq2SeqLM.fromPretrained(modelDir);
  try {
    const texts = [SENTENCES[0]!, SENTENCES[5]!, 'the cat is reading'];
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
