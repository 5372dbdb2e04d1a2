import { Command, Option } from 'commander';
import { extname } from 'node:path';
import { LenguaError } from '../errors.js';
import { streamDataset } from '../data/index.js';
import { checkOutputFolder, saveTrainedTokenizer, trainTokenizer, DEFAULT_SPECIAL_TOKENS, type TrainedKind, type TrainTokenizerOptions } from '../text/tokenizer/train/index.js';

interface TrainFlags {
  model: TrainedKind;
  vocabSize: string;
  minFrequency?: string;
  specialTokens?: string[];
  lowercase?: boolean;
  limitAlphabet?: string;
  textColumn?: string;
  out: string;
  overwrite?: boolean;
}

function integer(value: string, flag: string, min: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) throw new LenguaError(`expected an integer ≥ ${min}, got ${JSON.stringify(value)}`, { field: flag });
  return n;
}

const DATASET_EXTENSIONS = new Set(['.csv', '.tsv', '.tab', '.jsonl', '.ndjson', '.json']);

/** .csv/.tsv/.jsonl/.json files read as `lengua data` reads them: the text column, and a pair's second text. */
export function datasetReader(textColumn: string | undefined): TrainTokenizerOptions['reader'] {
  return async (file, onText) => {
    if (!DATASET_EXTENSIONS.has(extname(file).toLowerCase())) return null;
    let n = 0;
    const take = (t: string | undefined): void => {
      if (t === undefined || t.trim() === '') return;
      onText(t);
      n++;
    };
    await streamDataset(file, { ...(textColumn !== undefined ? { textColumn } : {}), allowEmptyText: true }, {
      example: (e) => {
        take(e.text);
        take(e.textPair);
      },
      skip: () => undefined, // onBadRow is 'error': a bad row throws instead
    });
    return n;
  };
}

async function train(files: string[], f: TrainFlags): Promise<void> {
  const opts: TrainTokenizerOptions = {
    model: f.model,
    vocabSize: integer(f.vocabSize, '--vocab-size', 1),
    onProgress: (m) => process.stderr.write(`${m}\n`),
  };
  if (f.minFrequency !== undefined) opts.minFrequency = integer(f.minFrequency, '--min-frequency', 0);
  if (f.limitAlphabet !== undefined) opts.limitAlphabet = integer(f.limitAlphabet, '--limit-alphabet', 1);
  if (f.specialTokens !== undefined) opts.specialTokens = f.specialTokens;
  if (f.lowercase !== undefined) opts.lowercase = f.lowercase;
  opts.reader = datasetReader(f.textColumn);
  // Before reading anything: a training of minutes must not end in "--out is not empty".
  checkOutputFolder(f.out, f.overwrite === true);
  const trained = await trainTokenizer(files, opts);
  const { written, skipped } = saveTrainedTokenizer(f.out, trained, f.overwrite === true);
  const s = trained.stats;
  process.stdout.write(
    `trained a ${trained.kind} tokenizer: ${s.vocabSize} tokens from ${s.words} distinct words (${s.texts} texts, ${s.bytes} bytes) in ${s.seconds.toFixed(1)} s\n` +
      `wrote ${f.out}: ${written.join(', ')}\n` +
      (skipped !== null ? `no slow-tokenizer files: ${skipped}\n` : ''),
  );
}

export function register(program: Command): void {
  const tokenizer = program.command('tokenizer').description('Tokenizer tools: train a new tokenizer');
  tokenizer
    .command('train')
    .description('Train a tokenizer (byte-level BPE, WordPiece or Unigram, as Hugging Face tokenizers does) on text files and write a tokenizer folder')
    .argument('<file...>', 'training texts: .txt one text a line, or .csv/.tsv/.jsonl/.json with a text column')
    .addOption(new Option('--model <kind>', 'bpe (GPT-2 byte-level), wordpiece (BERT) or unigram (SentencePiece)').choices(['bpe', 'wordpiece', 'unigram']).makeOptionMandatory())
    .requiredOption('--vocab-size <n>', 'vocabulary size, special tokens included')
    .option('--min-frequency <n>', 'bpe/wordpiece: fewest occurrences of a pair to merge (default 2)')
    .option(
      '--special-tokens <token...>',
      `special tokens, first ids (default: bpe ${DEFAULT_SPECIAL_TOKENS.bpe.join(' ')}; wordpiece ${DEFAULT_SPECIAL_TOKENS.wordpiece.join(' ')}; unigram ${DEFAULT_SPECIAL_TOKENS.unigram.join(' ')})`,
    )
    .option('--lowercase', 'lower-case texts (default for wordpiece)')
    .option('--no-lowercase', 'keep case (default for bpe and unigram)')
    .option('--limit-alphabet <n>', 'bpe/wordpiece: keep only the n most frequent characters (wordpiece default 1000)')
    .option('--text-column <column>', 'column or JSON key of the text in .csv/.tsv/.jsonl/.json files')
    .requiredOption('--out <dir>', 'folder to write (tokenizer.json, tokenizer_config.json, special_tokens_map.json, ...)')
    .option('--overwrite', 'replace the tokenizer already in --out')
    .action(async (files: string[], flags: TrainFlags) => {
      await train(files, flags);
    });
}
