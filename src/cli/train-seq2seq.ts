/**
 * `lengua train --task translation|summarization|text2text-generation`: fine-tune an encoder-decoder (T5,
 * BART, Marian) on source → target pairs with the Seq2SeqTrainer, as transformers' `run_translation.py` /
 * `run_summarization.py` do: `--source-lang`/`--target-lang` pick the sides of `translation` objects,
 * `--source-column`/`--target-column` the columns otherwise; `--source-prefix` is T5's task prefix;
 * `generationMaxLength` defaults to `maxTargetLength`, as in those scripts. Evaluations during training
 * generate only with `--predict-with-generate` (they are slow); the final one on --eval always generates,
 * scores the texts and writes them to eval_predictions.jsonl.
 */
import { LenguaError } from '../errors.js';
import { loadSeq2SeqData, type Seq2SeqLoadOptions } from '../data/index.js';
import type { TrainingArguments } from '../train/arguments.js';
import { trainAndReport } from './train-results.js';

export const SEQ2SEQ_TASKS = ['translation', 'summarization', 'text2text-generation'] as const;
export type Seq2SeqTaskName = (typeof SEQ2SEQ_TASKS)[number];

export interface Seq2SeqFlags {
  model: string;
  train: string;
  eval?: string;
  device?: string;
  json?: boolean;
  sourceLang?: string;
  targetLang?: string;
  sourceColumn?: string;
  targetColumn?: string;
  sourcePrefix?: string;
  encoding?: 'utf8' | 'latin1';
}

function print(s: string): void {
  process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
}

export async function runSeq2Seq(task: Seq2SeqTaskName, flags: Seq2SeqFlags, given: TrainingArguments, threads: number): Promise<void> {
  const lo: Seq2SeqLoadOptions = {
    ...(flags.sourceLang !== undefined ? { sourceLang: flags.sourceLang } : {}),
    ...(flags.targetLang !== undefined ? { targetLang: flags.targetLang } : {}),
    ...(flags.sourceColumn !== undefined ? { sourceColumn: flags.sourceColumn } : {}),
    ...(flags.targetColumn !== undefined ? { targetColumn: flags.targetColumn } : {}),
    ...(flags.encoding !== undefined ? { encoding: flags.encoding } : {}),
  };
  const trainData = loadSeq2SeqData(flags.train, lo);
  const evalData = flags.eval !== undefined ? loadSeq2SeqData(flags.eval, lo) : undefined;
  // run_translation.py / run_summarization.py: generation during evaluation is bounded by the target length.
  const args: TrainingArguments = {
    ...given,
    ...(given.generationMaxLength === undefined ? { generationMaxLength: given.maxTargetLength } : {}),
  };
  if (args.evalStrategy !== 'no' && evalData === undefined) throw new LenguaError(`evalStrategy is ${args.evalStrategy}: give --eval FILE`, { field: 'evalStrategy' });

  const torch = await import('../torch/index.js');
  const { AutoModelForSeq2SeqLM } = await import('../models/index.js');
  const { AutoTokenizer } = await import('../text/tokenizer/index.js');
  const { Seq2SeqTrainer, encodeSeq2Seq } = await import('../train/index.js');
  torch.setNumThreads(threads);
  const device = (flags.device ?? 'cpu') as import('../torch/index.js').Device;
  const model = await AutoModelForSeq2SeqLM.fromPretrained(flags.model, { seed: args.seed, device });
  const tokenizer = await AutoTokenizer.fromPretrained(flags.model);
  const positions = model.config.maxPositionEmbeddings;
  const cap = (n: number, what: string): number => {
    // T5's relative positions take any length; BART and Marian have a position table.
    const limit = model.config.modelType === 't5' ? n : Math.min(n, positions);
    if (limit < n && !args.quiet) process.stderr.write(`${what} ${n} is above the model's ${positions} positions; truncating to ${limit} tokens\n`);
    return limit;
  };
  const enc = { maxSourceLength: cap(args.maxLength, 'maxLength'), maxTargetLength: cap(args.maxTargetLength, 'maxTargetLength'), ...(flags.sourcePrefix !== undefined ? { sourcePrefix: flags.sourcePrefix } : {}) };
  const train = encodeSeq2Seq(trainData.pairs, tokenizer, enc);
  const evalEnc = evalData ? encodeSeq2Seq(evalData.pairs, tokenizer, enc) : undefined;
  const trainer = new Seq2SeqTrainer({ model: model as never, args, trainDataset: train, ...(evalEnc ? { evalDataset: evalEnc } : {}), tokenizer, task });
  if (!args.quiet) {
    process.stderr.write(
      `Training ${model.className} from ${flags.model} for ${task} on ${train.inputIds.length} pairs (${trainData.sourceField} → ${trainData.targetField})` +
        `${evalEnc ? `, evaluating on ${evalEnc.inputIds.length}${args.predictWithGenerate ? ' with generation' : ''}` : ''}; strategy ${args.strategy}; ${threads} thread(s) on ${device}\n`,
    );
  }
  await trainAndReport(
    {
      trainer,
      outputDir: args.outputDir,
      json: flags.json === true,
      shown: /^(train_loss|train_runtime|eval_loss|eval_bleu|eval_chrf|eval_rouge1|eval_rouge2|eval_rougeL|eval_rougeLsum|eval_gen_len)$/,
      // One pass: the texts are kept for eval_predictions.jsonl and scored for the metrics.
      ...(evalEnc
        ? {
            evaluate: async () => {
              const p = await trainer.predict(evalEnc, { metricKeyPrefix: 'eval' });
              return { metrics: p.metrics, predictions: p.predictions.map((pred, i) => ({ source: evalData!.pairs[i]!.source, prediction: pred, references: evalEnc.references[i] })) };
            },
          }
        : {}),
    },
    print,
  );
}
