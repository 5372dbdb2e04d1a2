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

function int(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new LenguaError(`must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`, { field: `--${name}` });
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      vocab: { type: 'string' },
      out: { type: 'string' },
      layers: { type: 'string', default: '2' },
      hidden: { type: 'string', default: '128' },
      heads: { type: 'string', default: '2' },
      intermediate: { type: 'string' },
      'max-positions': { type: 'string', default: '128' },
      seed: { type: 'string', default: '42' },
      labels: { type: 'string', default: 'negative,neutral,positive' },
    },
  });
  if (values.vocab === undefined || values.out === undefined) {
    throw new LenguaError('usage: make-scratch-model.ts --vocab DIR_WITH_vocab.txt --out DIR [--layers N --hidden N --heads N ...]');
  }
  if (!existsSync(join(values.vocab, 'vocab.txt')) || !statSync(values.vocab).isDirectory()) {
    throw new LenguaError('expected a folder holding vocab.txt', { file: values.vocab, field: '--vocab' });
  }
  const layers = int('layers', values.layers, 1, 24);
  const hidden = int('hidden', values.hidden, 8, 1024);
  const heads = int('heads', values.heads, 1, 64);
  if (hidden % heads !== 0) throw new LenguaError(`hidden ${hidden} is not a multiple of heads ${heads}`, { field: '--heads' });
  const intermediate = values.intermediate !== undefined ? int('intermediate', values.intermediate, 8, 8192) : 4 * hidden;
  const maxPositions = int('max-positions', values['max-positions'], 8, 512);
  const seed = int('seed', values.seed, 0, 2 ** 31 - 1);
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
