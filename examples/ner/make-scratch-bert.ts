/**
 * Builds a small BERT token classifier with random (from-scratch) weights and a cased WordPiece tokenizer
 * trained on the words of a CoNLL training file, and saves them as a Hugging Face model folder that
 * `lengua train --task token-classification` treats like a downloaded checkpoint. The head is labelled with
 * the file's IOB2 tag set in `loadConll` order (O, then B-/I- of each type, types sorted): the order
 * `lengua train` uses, so it keeps this head instead of replacing it.
 *
 * No pretrained weights can be downloaded on this machine, so this is the only transformer the example can
 * fine-tune here. With internet access, pass a Hub id (dccuchile/bert-base-spanish-wwm-cased, ...) to
 * `lengua train --model` instead and skip this script.
 *
 *   node --import tsx examples/ner/make-scratch-bert.ts --out DIR --data TRAIN.conll \
 *     [--vocab-size 8000] [--layers 2] [--hidden 128] [--heads 2] [--intermediate 512] [--max-positions 256] [--seed 42]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AutoConfig, AutoModelForTokenClassification, AutoTokenizer, LenguaError, loadConll } from '../../src/index.js';
import { saveTrainedTokenizer, trainTokenizer } from '../../src/text/tokenizer/train/index.js';
import { bertShape, bertShapeOptions, int } from '../scratch-options.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      data: { type: 'string' },
      'vocab-size': { type: 'string', default: '8000' },
      ...bertShapeOptions(256),
    },
  });
  if (values.out === undefined || values.data === undefined) throw new LenguaError('usage: make-scratch-bert.ts --out DIR --data TRAIN.conll [--vocab-size N --layers N --hidden N ...]');
  const { layers, hidden, heads, intermediate, maxPositions, seed } = bertShape(values);

  const data = loadConll(values.data);
  if (data.entityTypes.length === 0) throw new LenguaError('the training data has no entities (every tag is O)', { file: values.data, field: 'tag' });
  const tmp = mkdtempSync(join(tmpdir(), 'lengua-ner-corpus-'));
  let tokenizer;
  try {
    // One sentence per line, words joined by spaces: the WordPiece trainer's pre-tokenizer splits them again.
    const corpus = join(tmp, 'corpus.txt');
    writeFileSync(corpus, data.sentences.map((s) => s.tokens.join(' ')).join('\n') + '\n');
    // Cased: capitals are the strongest cue for names, which lower-casing (BERT's uncased default) would erase.
    const trained = await trainTokenizer([corpus], { model: 'wordpiece', vocabSize: int('vocab-size', values['vocab-size'], 100, 100_000), lowercase: false });
    saveTrainedTokenizer(join(tmp, 'tokenizer'), trained);
    tokenizer = await AutoTokenizer.fromPretrained(join(tmp, 'tokenizer'));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const labels = data.tagSet;
  const config = AutoConfig.forModel('bert', {
    vocab_size: tokenizer.vocabSize,
    hidden_size: hidden,
    num_hidden_layers: layers,
    num_attention_heads: heads,
    intermediate_size: intermediate,
    max_position_embeddings: maxPositions,
    id2label: Object.fromEntries(labels.map((l, i) => [i, l])),
    label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
  });
  const model = AutoModelForTokenClassification.fromConfig(config, { seed });
  await model.savePretrained(values.out, { tokenizer });
  let params = 0;
  for (const p of model.parameters()) params += p.shape.reduce((a, b) => a * b, 1);
  process.stdout.write(`from-scratch BERT token classifier: ${layers} layers, hidden ${hidden}, ${heads} heads, FFN ${intermediate}, max positions ${maxPositions}, ` +
    `cased WordPiece vocabulary ${tokenizer.vocabSize} trained on ${data.sentences.length} sentences, ${labels.length} labels (${labels.join(' ')}), ` +
    `${(params / 1e6).toFixed(2)} M parameters (random init, seed ${seed}) -> ${values.out}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
