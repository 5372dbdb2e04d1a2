/**
 * Builds a small BERT question-answering model with random (from-scratch) weights and an uncased WordPiece
 * tokenizer trained on the contexts and questions of a SQuAD-style JSONL training file, and saves them as a
 * Hugging Face folder that `lengua train --task question-answering` fine-tunes like a downloaded checkpoint.
 * No pretrained weights can be downloaded on this machine; with the Hub, pass a checkpoint to `lengua train`
 * (deepset/roberta-base-squad2, bert-base-multilingual-cased, ...) and skip this script.
 *
 *   node --import tsx examples/qa/make-scratch-bert.ts --out DIR --data TRAIN.jsonl \
 *     [--vocab-size 8000] [--layers 2] [--hidden 128] [--heads 2] [--intermediate 512] [--max-positions 512] [--seed 42]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AutoConfig, AutoModelForQuestionAnswering, AutoTokenizer, LenguaError } from '../../src/index.js';
import { loadSquadJsonl } from '../../src/data/index.js';
import { saveTrainedTokenizer, trainTokenizer } from '../../src/text/tokenizer/train/index.js';

const OPTIONS = { 'vocab-size': [8000, 100, 100_000], layers: [2, 1, 24], hidden: [128, 8, 1024], heads: [2, 1, 64], intermediate: [512, 8, 8192], 'max-positions': [512, 8, 512], seed: [42, 0, 2 ** 31 - 1] } as const;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string' }, data: { type: 'string' }, ...Object.fromEntries(Object.keys(OPTIONS).map((k) => [k, { type: 'string' as const }])) } });
  if (values.out === undefined || values.data === undefined) throw new LenguaError('usage: make-scratch-bert.ts --out DIR --data TRAIN.jsonl [--vocab-size N --layers N --hidden N ...]');
  const v = {} as Record<keyof typeof OPTIONS, number>;
  for (const [name, [dflt, min, max]] of Object.entries(OPTIONS) as Array<[keyof typeof OPTIONS, readonly [number, number, number]]>) {
    const raw = (values as Record<string, string | undefined>)[name];
    const n = raw === undefined ? dflt : Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new LenguaError(`must be an integer in [${min}, ${max}], got ${JSON.stringify(raw)}`, { field: `--${name}` });
    v[name] = n;
  }
  if (v.hidden % v.heads !== 0) throw new LenguaError(`hidden ${v.hidden} is not a multiple of heads ${v.heads}`, { field: '--heads' });

  const examples = loadSquadJsonl(values.data);
  const tmp = mkdtempSync(join(tmpdir(), 'lengua-qa-corpus-'));
  let tokenizer;
  try {
    // Each paragraph once (many questions share it) and every question, one per line.
    const corpus = join(tmp, 'corpus.txt');
    writeFileSync(corpus, [...new Set(examples.map((e) => e.context))].concat(examples.map((e) => e.question)).map((t) => t.replace(/\s+/g, ' ')).join('\n') + '\n');
    // Uncased (BERT's default): with 165 paragraphs, case would split the few counts each word has.
    const trained = await trainTokenizer([corpus], { model: 'wordpiece', vocabSize: v['vocab-size'], lowercase: true });
    saveTrainedTokenizer(join(tmp, 'tokenizer'), trained);
    tokenizer = await AutoTokenizer.fromPretrained(join(tmp, 'tokenizer'));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const config = AutoConfig.forModel('bert', {
    vocab_size: tokenizer.vocabSize, hidden_size: v.hidden, num_hidden_layers: v.layers, num_attention_heads: v.heads,
    intermediate_size: v.intermediate, max_position_embeddings: v['max-positions'],
  });
  const model = AutoModelForQuestionAnswering.fromConfig(config, { seed: v.seed });
  await model.savePretrained(values.out, { tokenizer });
  let params = 0;
  for (const p of model.parameters()) params += p.shape.reduce((a, b) => a * b, 1);
  process.stdout.write(`from-scratch BERT QA model: ${v.layers} layers, hidden ${v.hidden}, ${v.heads} heads, FFN ${v.intermediate}, max positions ${v['max-positions']}, ` +
    `uncased WordPiece vocabulary ${tokenizer.vocabSize} trained on ${new Set(examples.map((e) => e.context)).size} paragraphs + ${examples.length} questions, ` +
    `${(params / 1e6).toFixed(2)} M parameters (random init, seed ${v.seed}) -> ${values.out}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
