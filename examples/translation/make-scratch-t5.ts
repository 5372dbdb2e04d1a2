/**
 * Builds a small T5 with random (from-scratch) weights and a Unigram tokenizer trained on the given
 * translation or summarization files (both sides), and saves them as a Hugging Face model folder that
 * `lengua train --task translation|summarization` treats like a downloaded checkpoint.
 *
 * No pretrained weights can be downloaded on this machine, so this is the only encoder-decoder the examples
 * can fine-tune here. With internet access, pass a Hub id (t5-small, Helsinki-NLP/opus-mt-en-es,
 * facebook/bart-base, ...) to `lengua train --model` instead and skip this script.
 *
 *   node --import tsx examples/translation/make-scratch-t5.ts --out DIR --data FILE [--data FILE ...] \
 *     [--source-lang en --target-lang es] [--vocab-size 8000] [--d-model 256] [--layers 3] [--heads 4] [--d-ff 1024] [--seed 42]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AutoConfig, AutoModelForSeq2SeqLM, AutoTokenizer, LenguaError, loadSeq2SeqData } from '../../src/index.js';
import { saveTrainedTokenizer, trainTokenizer } from '../../src/text/tokenizer/train/index.js';
import { int } from '../scratch-options.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      data: { type: 'string', multiple: true },
      'source-lang': { type: 'string' },
      'target-lang': { type: 'string' },
      'vocab-size': { type: 'string', default: '8000' },
      'd-model': { type: 'string', default: '256' },
      layers: { type: 'string', default: '3' },
      heads: { type: 'string', default: '4' },
      'd-ff': { type: 'string', default: '1024' },
      seed: { type: 'string', default: '42' },
    },
  });
  if (values.out === undefined || values.data === undefined) throw new LenguaError('usage: make-scratch-t5.ts --out DIR --data FILE [--data FILE] [--source-lang L --target-lang L]');
  const dModel = int('d-model', values['d-model'], 16, 2048);
  const heads = int('heads', values.heads, 1, 64);
  if (dModel % heads !== 0) throw new LenguaError(`d-model ${dModel} is not a multiple of heads ${heads}`, { field: '--heads' });
  const layers = int('layers', values.layers, 1, 24);

  // The tokenizer learns from both sides of every pair: T5 shares one vocabulary between encoder and decoder.
  const texts: string[] = [];
  for (const file of values.data) {
    const d = loadSeq2SeqData(file, {
      ...(values['source-lang'] !== undefined ? { sourceLang: values['source-lang'] } : {}),
      ...(values['target-lang'] !== undefined ? { targetLang: values['target-lang'] } : {}),
    });
    for (const p of d.pairs) texts.push(p.source, ...p.references);
  }
  const tmp = mkdtempSync(join(tmpdir(), 'lengua-t5-corpus-'));
  let trained;
  try {
    const corpus = join(tmp, 'corpus.txt');
    writeFileSync(corpus, texts.map((t) => t.replace(/\s+/g, ' ')).join('\n') + '\n');
    trained = await trainTokenizer([corpus], { model: 'unigram', vocabSize: int('vocab-size', values['vocab-size'], 100, 100_000), specialTokens: ['<pad>', '</s>', '<unk>'] });
    saveTrainedTokenizer(join(tmp, 'tokenizer'), trained);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  const tokenizer = await AutoTokenizer.fromPretrained(join(tmp, 'tokenizer'));
  rmSync(tmp, { recursive: true, force: true });
  const config = AutoConfig.forModel('t5', {
    vocab_size: tokenizer.vocabSize, d_model: dModel, d_kv: dModel / heads, d_ff: int('d-ff', values['d-ff'], 16, 16384),
    num_layers: layers, num_decoder_layers: layers, num_heads: heads, pad_token_id: 0, eos_token_id: 1, decoder_start_token_id: 0,
  });
  const model = AutoModelForSeq2SeqLM.fromConfig(config, { seed: int('seed', values.seed, 0, 2 ** 31 - 1) });
  await model.savePretrained(values.out, { tokenizer });
  const params = model.namedParameters().reduce((s, [, p]) => s + p.numel, 0);
  process.stdout.write(`Saved a from-scratch T5 (${layers}+${layers} layers, d_model ${dModel}, ${(params / 1e6).toFixed(1)} M parameters, vocabulary ${tokenizer.vocabSize} trained on ${texts.length} texts) to ${values.out}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
