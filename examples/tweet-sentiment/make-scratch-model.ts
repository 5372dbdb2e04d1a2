/**
 * Builds a small BERT sequence classifier with random (from-scratch) weights and saves it as a Hugging
 * Face model folder, next to a WordPiece tokenizer built from a vocab.txt. `lengua train` then treats it
 * like any downloaded checkpoint.
 *
 * There are no pretrained weights on this machine, so this is the only honest transformer we can train
 * here. With internet access, pass a Hub id to `lengua train --model` instead and skip this script.
 *
 *   node --import tsx examples/tweet-sentiment/make-scratch-model.ts --vocab DIR --out DIR \
 *     [--layers 2] [--hidden 128] [--heads 2] [--intermediate 512] [--max-positions 128] [--seed 42] \
 *     [--labels negative,neutral,positive]
 */
import { parseArgs } from 'node:util';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AutoConfig, AutoModelForSequenceClassification, AutoTokenizer, LenguaError } from '../../src/index.js';
import { bertShape, bertShapeOptions } from '../scratch-options.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      vocab: { type: 'string' },
      out: { type: 'string' },
      ...bertShapeOptions(128),
      labels: { type: 'string', default: 'negative,neutral,positive' },
    },
  });
  if (values.vocab === undefined || values.out === undefined) {
    throw new LenguaError('usage: make-scratch-model.ts --vocab DIR_WITH_vocab.txt --out DIR [--layers N --hidden N --heads N ...]');
  }
  if (!existsSync(join(values.vocab, 'vocab.txt')) || !statSync(values.vocab).isDirectory()) {
    throw new LenguaError('expected a folder holding vocab.txt', { file: values.vocab, field: '--vocab' });
  }
  const { layers, hidden, heads, intermediate, maxPositions, seed } = bertShape(values);
  const names = values.labels.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length < 2 || new Set(names).size !== names.length) throw new LenguaError('needs two or more distinct label names', { field: '--labels' });

  // The folder with only vocab.txt loads as transformers' BertTokenizerFast would build it (lower-casing,
  // accent stripping); savePretrained writes tokenizer.json etc. so the model folder is self-contained.
  const tokenizer = await AutoTokenizer.fromPretrained(values.vocab);
  const id2label = Object.fromEntries(names.map((n, i) => [i, n]));
  const label2id = Object.fromEntries(names.map((n, i) => [n, i]));
  const config = AutoConfig.forModel('bert', {
    vocab_size: tokenizer.vocabSize,
    hidden_size: hidden,
    num_hidden_layers: layers,
    num_attention_heads: heads,
    intermediate_size: intermediate,
    max_position_embeddings: maxPositions,
    id2label,
    label2id,
  });
  const model = AutoModelForSequenceClassification.fromConfig(config, { seed });
  await model.savePretrained(values.out, { tokenizer });
  let params = 0;
  for (const p of model.parameters()) params += p.shape.reduce((a, b) => a * b, 1);
  console.log(`from-scratch BERT: ${layers} layers, hidden ${hidden}, ${heads} heads, FFN ${intermediate}, ` +
    `max positions ${maxPositions}, vocab ${tokenizer.vocabSize}, ${(params / 1e6).toFixed(2)}M parameters (random init, seed ${seed}) -> ${values.out}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
