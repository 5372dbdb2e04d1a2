// Test helper: Lengua's libtorch GPT-2 as a CausalLm for the engine-independent search (full recompute each
// step, no cache) — the CLI's torch engine — so the search is checked on libtorch and ONNX Runtime alike.
import type { GPT2LMHeadModel } from '../../models/index.js';
import { torchCausalLm } from '../../models/index.js';
import type { CausalLm } from '../../generation/search.js';
import type { GenerationOptions } from '../../generation/config.js';

export function TorchCausalLm(model: GPT2LMHeadModel): CausalLm {
  return torchCausalLm(model);
}

/** One case of a `*-generate` golden manifest (../shared/golden/README-part2.md). */
export interface GoldenGenerationCase {
  setting: string;
  generate_kwargs: Record<string, unknown>;
  sequences: number[][];
  best_hypothesis?: Array<{ normalized_score: number }>;
}

/** A golden case's `generate_kwargs` (transformers' names) as Lengua's generation options. */
export function goldenGenerationOptions(k: Record<string, unknown>): GenerationOptions {
  return {
    maxLength: k.max_length as number,
    doSample: false,
    numBeams: k.num_beams as number,
    numReturnSequences: k.num_return_sequences as number,
    repetitionPenalty: k.repetition_penalty as number,
    noRepeatNgramSize: k.no_repeat_ngram_size as number,
    eosTokenId: k.eos_token_id as number,
    padTokenId: k.pad_token_id as number,
    ...(k.length_penalty !== undefined ? { lengthPenalty: k.length_penalty as number } : {}),
    ...(k.early_stopping !== undefined ? { earlyStopping: k.early_stopping as boolean } : {}),
  };
}

/** English and Spanish sentences for a tiny tokenizer and model (tests only). */
export const TINY_SENTENCES = [
  'the weather is nice today', 'el tiempo es agradable hoy', 'I like reading books in the evening', 'me gusta leer libros por la tarde',
  'the cat sleeps on the sofa', 'el gato duerme en el sofá', 'we are going to the beach tomorrow', 'mañana vamos a la playa',
  'this movie was really good', 'esta película fue muy buena', 'the train leaves at nine', 'el tren sale a las nueve',
];

/**
 * A T5 that Lengua builds itself (tests only): a Unigram tokenizer trained on TINY_SENTENCES by trainTokenizer,
 * a small T5 with random weights (seed 11) saved with it in `root/model`, and its export in `root/onnx`.
 */
export async function tinyT5(root: string): Promise<{ modelDir: string; exported: string }> {
  const { writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { AutoConfig, AutoModelForSeq2SeqLM } = await import('../../models/index.js');
  const { AutoTokenizer } = await import('../../text/index.js');
  const { saveTrainedTokenizer, trainTokenizer } = await import('../../text/tokenizer/train/index.js');
  const { exportToOnnx } = await import('../../export/index.js');
  const corpus = join(root, 'corpus.txt');
  writeFileSync(corpus, Array.from({ length: 20 }, () => TINY_SENTENCES.join('\n')).join('\n'));
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
  const modelDir = join(root, 'model');
  const exported = join(root, 'onnx');
  await model.savePretrained(modelDir, { tokenizer: tok });
  await exportToOnnx(modelDir, exported, { threads: 1 });
  return { modelDir, exported };
}
