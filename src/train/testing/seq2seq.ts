/**
 * A tiny translation task for the Seq2SeqTrainer tests: six English sentences and their Spanish, a Unigram
 * tokenizer trained on them by `trainTokenizer` (no EOS post-processor, as `lengua tokenizer train` writes it),
 * and a small T5 with random weights (seed 11). 150 steps at lr 1e-2 take it from BLEU ~0 to well above 30.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AutoConfig, AutoModelForSeq2SeqLM, type T5ForConditionalGeneration } from '../../models/index.js';
import { AutoTokenizer, type PreTrainedTokenizer } from '../../text/index.js';
import { saveTrainedTokenizer, trainTokenizer } from '../../text/tokenizer/train/index.js';
import { TINY_SENTENCES } from '../../infer/generation/testing.js';

/** English → Spanish pairs of TINY_SENTENCES. */
export const TINY_PAIRS = Array.from({ length: TINY_SENTENCES.length / 2 }, (_, i) => ({ source: TINY_SENTENCES[2 * i]!, target: TINY_SENTENCES[2 * i + 1]! }));

export async function tinyTranslationSetup(root: string): Promise<{ tokenizer: PreTrainedTokenizer; model: T5ForConditionalGeneration }> {
  mkdirSync(root, { recursive: true });
  const corpus = join(root, 'corpus.txt');
  writeFileSync(corpus, Array.from({ length: 20 }, () => TINY_SENTENCES.join('\n')).join('\n'));
  const trained = await trainTokenizer([corpus], { model: 'unigram', vocabSize: 120, specialTokens: ['<pad>', '</s>', '<unk>'] });
  saveTrainedTokenizer(join(root, 'tokenizer'), trained);
  const tokenizer = await AutoTokenizer.fromPretrained(join(root, 'tokenizer'));
  const config = AutoConfig.forModel('t5', {
    vocab_size: tokenizer.vocabSize, d_model: 32, d_kv: 8, d_ff: 64, num_layers: 2, num_heads: 4, relative_attention_num_buckets: 8,
    pad_token_id: 0, eos_token_id: 1, decoder_start_token_id: 0,
  });
  const model = AutoModelForSeq2SeqLM.fromConfig(config, { seed: 11 }) as T5ForConditionalGeneration;
  return { tokenizer, model };
}
