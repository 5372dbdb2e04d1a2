/**
 * `lengua train --task token-classification`: fine-tune a token classifier (BERT, RoBERTa, DistilBERT) on
 * CoNLL files (a .conll, .iob or .bio extension, or --format conll) as transformers' `run_ner.py` does:
 * words tokenized as pre-split words, the first subword of each word labelled (all subwords with
 * --label-all-tokens), entity-level precision / recall / F1 with conlleval semantics on the word tags.
 *
 * Labels: the training file's IOB2 tag set (IOB1 files are converted) in `loadConll`'s order — O first,
 * then B- and I- of each entity type, types sorted — written to config.json as id2label / label2id. A model
 * folder that already has exactly these labels keeps its head (and its order). A tag of --eval that is not
 * among them is an error naming the file and line.
 */
import { extname } from 'node:path';
import { LenguaError } from '../errors.js';
import { loadConll, type ConllDataset } from '../data/index.js';
import { trainAndReport } from './train-results.js';
import type { TrainingArguments } from '../train/arguments.js';

export const CONLL_EXTENSIONS = ['.conll', '.iob', '.bio'] as const;

export interface TokenFlags {
  model: string;
  train: string;
  eval?: string;
  device?: string;
  json?: boolean;
  format?: string;
  encoding?: 'utf8' | 'latin1';
  labelAllTokens?: boolean;
}

/** Whether `path` is read as CoNLL: --format conll, or one of CONLL_EXTENSIONS when no format is given. */
export function isConllFile(path: string, format: string | undefined): boolean {
  if (format !== undefined) return format === 'conll';
  return (CONLL_EXTENSIONS as readonly string[]).includes(extname(path).toLowerCase());
}

function print(s: string): void {
  process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
}

function readConllFlag(path: string, flag: string, flags: TokenFlags): ConllDataset {
  if (!isConllFile(path, flags.format)) {
    throw new LenguaError(`${flag}: token classification reads CoNLL files (one "token … tag" per line; a ${CONLL_EXTENSIONS.join(', ')} extension or --format conll)`, { file: path });
  }
  const ds = loadConll(path, { encoding: flags.encoding ?? 'utf8' });
  if (ds.sentences.length === 0) throw new LenguaError('no sentences', { file: path });
  return ds;
}

/** The label names of a fine-tuned token head (id order), or null for transformers' LABEL_i placeholders. */
function headLabels(id2label: Record<number, string>): string[] | null {
  const names = Object.keys(id2label).map(Number).sort((a, b) => a - b).map((i) => id2label[i]!);
  if (names.length === 0 || names.every((n, i) => n === `LABEL_${i}`)) return null;
  return names;
}

export async function runTokenClassification(flags: TokenFlags, args: TrainingArguments, threads: number): Promise<void> {
  const trainData = readConllFlag(flags.train, '--train', flags);
  const evalData = flags.eval !== undefined ? readConllFlag(flags.eval, '--eval', flags) : undefined;
  if (trainData.entityTypes.length === 0) throw new LenguaError('the training data has no entities (every tag is O); a model trained on it only ever predicts O', { file: flags.train, field: 'tag' });
  if (args.evalStrategy !== 'no' && evalData === undefined) throw new LenguaError(`evalStrategy is ${args.evalStrategy}: give --eval FILE`, { field: 'evalStrategy' });

  const torch = await import('../torch/index.js');
  const { AutoModelForTokenClassification, readConfigFile } = await import('../models/index.js');
  const { resolveModelDir } = await import('../hub/resolve.js');
  const { AutoTokenizer } = await import('../text/tokenizer/index.js');
  const { TokenClassificationTrainer, encodeTokenClassification } = await import('../train/index.js');
  torch.setNumThreads(threads);

  const dir = await resolveModelDir(flags.model, {});
  const known = headLabels(readConfigFile(dir).id2label);
  const sameLabels = known !== null && known.length === trainData.tagSet.length && trainData.tagSet.every((t) => known.includes(t));
  const labels = sameLabels ? known : trainData.tagSet;
  const device = (flags.device ?? 'cpu') as import('../torch/index.js').Device;
  const model = await AutoModelForTokenClassification.fromPretrained(flags.model, {
    ...(sameLabels ? {} : { id2label: Object.fromEntries(labels.map((l, i) => [i, l])), label2id: Object.fromEntries(labels.map((l, i) => [l, i])) }),
    seed: args.seed,
    device,
  });
  const tokenizer = await AutoTokenizer.fromPretrained(flags.model);
  const maxLength = Math.min(args.maxLength, model.maxInputTokens, tokenizer.modelMaxLength > 0 ? tokenizer.modelMaxLength : Infinity);
  if (maxLength < args.maxLength && !args.quiet) process.stderr.write(`maxLength ${args.maxLength} is above what the model takes; truncating to ${maxLength} tokens\n`);
  const enc = { maxLength, ...(flags.labelAllTokens ? { labelAllTokens: true } : {}) };
  const train = encodeTokenClassification(trainData.sentences, tokenizer, labels, { ...enc, file: flags.train });
  const evalEnc = evalData ? encodeTokenClassification(evalData.sentences, tokenizer, labels, { ...enc, file: flags.eval! }) : undefined;
  if (!args.quiet) {
    for (const [name, d] of [['--train', train], ['--eval', evalEnc]] as const) {
      if (d !== undefined && d.droppedWords > 0) process.stderr.write(`${name}: ${d.droppedWords} word(s) fall past maxLength ${maxLength}; they are not trained on and are predicted O\n`);
    }
  }
  const trainer = new TokenClassificationTrainer({ model, args, trainDataset: train, ...(evalEnc ? { evalDataset: evalEnc } : {}), tokenizer });
  if (!args.quiet) {
    process.stderr.write(
      `Training ${model.className} from ${flags.model} for token classification on ${train.inputIds.length} sentences (${labels.length} labels: ${labels.join(' ')}` +
        `${trainData.scheme === 'IOB1' ? '; IOB1 converted to IOB2' : ''})${evalEnc ? `, evaluating on ${evalEnc.inputIds.length}` : ''}; strategy ${args.strategy}; ${threads} thread(s) on ${device}\n`,
    );
  }
  await trainAndReport(
    {
      trainer,
      outputDir: args.outputDir,
      json: flags.json === true,
      summary: { labels },
      shown: /^(train_loss|train_runtime|eval_loss|eval_precision|eval_recall|eval_f1|eval_accuracy)$/,
      // One pass: the word tags are written to eval_predictions.jsonl and scored for the metrics.
      ...(evalEnc
        ? {
            evaluate: async () => {
              const p = await trainer.predict(evalEnc, { metricKeyPrefix: 'eval' });
              return { metrics: p.metrics, predictions: p.predictions.map((pred, i) => ({ tokens: evalEnc.words[i], tags: evalEnc.tags[i], predictions: pred })) };
            },
          }
        : {}),
    },
    print,
  );
}
