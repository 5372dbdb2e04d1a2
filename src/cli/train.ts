/**
 * `lengua train`: fine-tune a sequence classifier (or fit the TF-IDF baseline) on a labelled file, or with
 * --task translation|summarization|text2text-generation an encoder-decoder on source → target pairs, or
 * with --task token-classification a token classifier on CoNLL files (the default task for them), or with
 * --task question-answering an extractive QA model on SQuAD-style JSONL (src/cli/train-qa.ts).
 * Every TrainingArguments field is a --kebab-case flag and a key of --config (JSON or YAML); flags
 * override the config file, which overrides transformers' defaults.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { LenguaError } from '../errors.js';
import { LabelSet, loadDataset, type Dataset } from '../data/index.js';
import { ensureWritableDir, writeFileAtomic } from '../util/fs.js';
import { acquireRunLock, prepareOutputDir } from '../train/run-folder.js';
import { inferSplit } from '../eval/evaluate.js';
import { ARGUMENT_NAMES, coerceArgument, readArgumentsFile, trainingArguments, type TrainingArguments } from '../train/arguments.js';
import { addDataOptions, argumentOption, dataLoadOptions, kebab, type DataFlags } from './options.js';
import { runSeq2Seq, SEQ2SEQ_TASKS, type Seq2SeqTaskName } from './train-seq2seq.js';
import { isConllFile, runTokenClassification } from './train-token.js';
import { addQaOptions, QA_FLAGS, runQuestionAnswering } from './train-qa.js';

interface TrainFlags extends DataFlags {
  model: string;
  train: string;
  eval?: string;
  out: string;
  config?: string;
  device?: string;
  threads?: string;
  json?: boolean;
  task?: string;
  sourceLang?: string;
  targetLang?: string;
  sourceColumn?: string;
  targetColumn?: string;
  sourcePrefix?: string;
  labelAllTokens?: boolean;
  [key: string]: unknown;
}

/** The flag of every TrainingArguments field except outputDir (that one is --out). */
export const ARGUMENT_FLAGS = ARGUMENT_NAMES.filter((n) => n !== 'outputDir');

/** Config file, then flags, over the defaults; validated (errors name the field, and the file for config keys). */
export function resolveArguments(flags: Record<string, unknown>, out: string, configFile?: string): TrainingArguments {
  const partial: Record<string, unknown> = configFile !== undefined ? { ...readArgumentsFile(configFile) } : {};
  for (const name of ARGUMENT_FLAGS) {
    let v = flags[name];
    if (v === undefined) continue;
    // A bare boolean flag (--quiet) or bare --resume-from-checkpoint means true.
    if (v === true) v = true;
    try {
      partial[name] = coerceArgument(name, v);
    } catch (err) {
      if (err instanceof LenguaError) throw new LenguaError(`--${kebab(name)}: ${err.message.replace(/^field "[^"]+": /, '')}`, { field: name }, { cause: err });
      throw err;
    }
  }
  delete partial.outputDir;
  return trainingArguments({ ...(partial as Partial<TrainingArguments>), outputDir: out });
}

function print(s: string): void {
  process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
}

/** Labels the model already knows (a fine-tuned id2label, not transformers' LABEL_i placeholders), or null. */
function modelLabels(config: { id2label: Record<number, string> }): LabelSet | null {
  const names = Object.values(config.id2label);
  if (names.length === 0 || names.every((n, i) => n === `LABEL_${i}`)) return null;
  try {
    return LabelSet.fromId2Label(config.id2label);
  } catch {
    return null;
  }
}

async function runBaseline(flags: TrainFlags, trainDs: Dataset, evalDs: Dataset | undefined, args: TrainingArguments): Promise<void> {
  if (flags.model !== 'baseline:tfidf-logreg') throw new LenguaError(`unknown baseline ${flags.model}; the baseline is baseline:tfidf-logreg`, { field: 'model' });
  const { trainBaseline } = await import('../train/baseline.js');
  const r = trainBaseline(trainDs, {
    outputDir: args.outputDir,
    overwriteOutputDir: args.overwriteOutputDir,
    ...(evalDs ? { evalDataset: evalDs } : {}),
    ...(args.quiet ? {} : { log: (l: string) => process.stderr.write(l + '\n') }),
  });
  writeFileAtomic(join(args.outputDir, 'all_results.json'), JSON.stringify(r.metrics, null, 2) + '\n');
  if (flags.json) print(JSON.stringify({ outputDir: args.outputDir, metrics: r.metrics }, null, 2));
  else print(`Saved the baseline to ${args.outputDir}`);
}

async function run(flags: TrainFlags): Promise<void> {
  const args = resolveArguments(flags, flags.out, flags.config);
  const threads = flags.threads !== undefined ? Number(flags.threads) : availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) throw new LenguaError(`--threads must be a positive integer, got ${flags.threads}`, { field: 'threads' });
  await inRunFolder(args, () => runLocked(flags, args, threads));
}

/**
 * Runs a training command in its output folder: a file in its place, no permission, or an earlier run there are
 * refused before any data or model is loaded (--resume-from-checkpoint continues one, --overwrite-output-dir
 * replaces it), and the folder's lock is held until the command ends.
 */
export async function inRunFolder(args: TrainingArguments, fn: () => Promise<void>): Promise<void> {
  ensureWritableDir(args.outputDir, '--out');
  const lock = acquireRunLock(args.outputDir);
  try {
    prepareOutputDir(args.outputDir, {
      overwrite: args.overwriteOutputDir,
      resume: args.resumeFromCheckpoint !== undefined && args.resumeFromCheckpoint !== false,
      overwriteFlag: '--overwrite-output-dir',
      resumeFlag: '--resume-from-checkpoint',
    });
    await fn();
  } finally {
    lock.release();
  }
}

async function runLocked(flags: TrainFlags, args: TrainingArguments, threads: number): Promise<void> {
  if (inferSplit(flags.train) === 'test' && !args.quiet) {
    process.stderr.write(`warning: --train ${flags.train} is named like a test split. A held-out test set is never trained on (lengua cv refuses it); train on the training split.\n`);
  }
  const task = flags.task ?? (isConllFile(flags.train, flags.format) ? 'token-classification' : 'text-classification');
  if (task !== 'question-answering') {
    for (const [k, flag] of QA_FLAGS) {
      if (flags[k] !== undefined) throw new LenguaError(`${flag} applies to --task question-answering`, { field: k });
    }
  }
  if ((SEQ2SEQ_TASKS as readonly string[]).includes(task)) {
    if (flags.model.startsWith('baseline:')) throw new LenguaError(`${flags.model} is a classifier; --task ${task} trains an encoder-decoder (T5, BART, Marian)`, { field: 'model' });
    return runSeq2Seq(task as Seq2SeqTaskName, flags, args, threads);
  }
  for (const f of ['sourceLang', 'targetLang', 'sourceColumn', 'targetColumn', 'sourcePrefix'] as const) {
    if (flags[f] !== undefined) throw new LenguaError(`--${kebab(f)} applies to --task ${SEQ2SEQ_TASKS.join('|')}`, { field: f });
  }
  if (task === 'question-answering') {
    if (flags.model.startsWith('baseline:')) throw new LenguaError(`${flags.model} is a text classifier; --task question-answering trains an extractive QA model (BERT, RoBERTa, DistilBERT)`, { field: 'model' });
    return runQuestionAnswering(flags, args, threads);
  }
  if (task === 'token-classification') {
    if (flags.model.startsWith('baseline:')) throw new LenguaError(`${flags.model} is a text classifier; --task token-classification trains a token classifier (BERT, RoBERTa, DistilBERT)`, { field: 'model' });
    return runTokenClassification(flags, args, threads);
  }
  if (flags.labelAllTokens) throw new LenguaError('--label-all-tokens applies to --task token-classification', { field: 'labelAllTokens' });
  const lo = dataLoadOptions(flags, { requireLabel: true });
  const trainDs = loadDataset(flags.train, lo);
  if (trainDs.examples.length === 0) throw new LenguaError('no examples', { file: flags.train });
  if (trainDs.examples.some((e) => e.label === undefined)) throw new LenguaError('the training data has no label column', { file: flags.train });
  if (!trainDs.multiLabel && trainDs.labels.size < 2) {
    throw new LenguaError(
      `need at least 2 labels to train a classifier, got ${trainDs.labels.size} (${trainDs.labels.names.map((n) => JSON.stringify(n)).join(', ')}); a model trained on one class always predicts it`,
      { file: flags.train, field: 'label' },
    );
  }

  if (flags.model.startsWith('baseline:')) {
    const evalDs = flags.eval !== undefined ? loadDataset(flags.eval, { ...lo, labels: trainDs.labels }) : undefined;
    return runBaseline(flags, trainDs, evalDs, args);
  }

  // Torch loads only for transformer training (the baseline needs no libtorch).
  const torch = await import('../torch/index.js');
  const { AutoModelForSequenceClassification, readConfigFile } = await import('../models/index.js');
  const { resolveModelDir } = await import('../hub/resolve.js');
  const { AutoTokenizer } = await import('../text/tokenizer/index.js');
  const { Trainer, encodeDataset } = await import('../train/index.js');
  torch.setNumThreads(threads);

  const dir = await resolveModelDir(flags.model, {});
  const cfg = readConfigFile(dir);
  // Keep a fine-tuned head when the data has exactly its labels (in the head's order); otherwise a new head.
  const known = modelLabels(cfg);
  const sameLabels = known !== null && known.size === trainDs.labels.size && trainDs.labels.names.every((n) => known.has(n));
  const labels = sameLabels ? known : trainDs.labels;
  const evalDs = flags.eval !== undefined ? loadDataset(flags.eval, { ...lo, labels }) : undefined;
  const device = (flags.device ?? 'cpu') as import('../torch/index.js').Device;
  const model = await AutoModelForSequenceClassification.fromPretrained(flags.model, {
    ...(sameLabels ? {} : { id2label: labels.id2label, label2id: labels.label2id }),
    ...(trainDs.multiLabel ? { problemType: 'multi_label_classification' as const } : {}),
    seed: args.seed,
    device,
  });
  const tokenizer = await AutoTokenizer.fromPretrained(flags.model);
  // Inputs longer than the position table fail in the model: truncate to what it (and the tokenizer) takes.
  const maxLength = Math.min(args.maxLength, model.maxInputTokens, tokenizer.modelMaxLength > 0 ? tokenizer.modelMaxLength : Infinity);
  if (maxLength < args.maxLength && !args.quiet) process.stderr.write(`maxLength ${args.maxLength} is above what the model takes; truncating to ${maxLength} tokens\n`);
  const train = encodeDataset(trainDs, tokenizer, labels, maxLength);
  const evalEnc = evalDs ? encodeDataset(evalDs, tokenizer, labels, maxLength) : undefined;
  if (args.evalStrategy !== 'no' && evalEnc === undefined) throw new LenguaError(`evalStrategy is ${args.evalStrategy}: give --eval FILE`, { field: 'evalStrategy' });
  const trainer = new Trainer({ model, args, trainDataset: train, ...(evalEnc ? { evalDataset: evalEnc } : {}), tokenizer, id2label: labels.id2label });
  if (!args.quiet) {
    process.stderr.write(
      `Training ${model.className} from ${flags.model} on ${train.inputIds.length} examples (${labels.size} labels${trainDs.multiLabel ? ', multi-label' : ''})` +
        `${evalEnc ? `, evaluating on ${evalEnc.inputIds.length}` : ''}; strategy ${args.strategy}; ${threads} thread(s) on ${device}\n`,
    );
  }
  const result = await trainer.train();
  const metrics: Record<string, number> = { ...result.metrics };
  if (evalEnc) Object.assign(metrics, await trainer.evaluate());
  await trainer.saveModel(args.outputDir);
  writeFileAtomic(join(args.outputDir, 'train_results.json'), JSON.stringify(result.metrics, null, 2) + '\n');
  if (evalEnc) writeFileAtomic(join(args.outputDir, 'eval_results.json'), JSON.stringify(trainer.lastEvaluation, null, 2) + '\n');
  writeFileAtomic(join(args.outputDir, 'all_results.json'), JSON.stringify(metrics, null, 2) + '\n');
  trainer.saveState();
  if (flags.json) {
    print(JSON.stringify({ outputDir: args.outputDir, globalStep: result.globalStep, metrics }, null, 2));
  } else {
    const shown = Object.entries(metrics).filter(([k]) => /^(train_loss|train_runtime|eval_loss|eval_accuracy|eval_macro_f1|eval_macro_recall)$/.test(k));
    print(`Saved the model to ${args.outputDir} (step ${result.globalStep})`);
    for (const [k, v] of shown) print(`  ${k.padEnd(18)} ${Number.isInteger(v) ? v : v.toFixed(4)}`);
  }
}

export function register(program: Command): void {
  const cmd = program
    .command('train')
    .description('fine-tune a sequence classifier (Hugging Face Trainer semantics), or fit baseline:tfidf-logreg')
    .requiredOption('--model <id|dir>', 'model folder or Hub id with a sequence-classification architecture, or baseline:tfidf-logreg')
    .requiredOption('--train <file>', 'labelled training data (csv, tsv, jsonl, json, parallel text)')
    .option('--eval <file>', 'labelled evaluation data; its labels must occur in the training data')
    .requiredOption('--out <dir>', 'output folder (TrainingArguments.outputDir): checkpoints, final model, log.jsonl')
    .option('--config <file>', 'TrainingArguments as JSON or YAML (camelCase or transformers snake_case keys); flags override it')
    .option('--device <device>', 'cpu (default) or cuda[:n]')
    .option('--threads <n>', 'libtorch CPU threads (default: the number of cores)')
    .option('--json', 'print the final metrics as JSON')
    .addOption(new Option('--task <task>', 'text-classification (default; token-classification for .conll/.iob/.bio files), token-classification (NER), question-answering (extractive, SQuAD JSONL), or an encoder-decoder task on source → target pairs').choices(['text-classification', 'token-classification', 'question-answering', ...SEQ2SEQ_TASKS]))
    .option('--source-lang <lang>', 'seq2seq: source key of each record\'s "translation" object (e.g. en)')
    .option('--target-lang <lang>', 'seq2seq: target key of each record\'s "translation" object (e.g. es)')
    .option('--source-column <column>', 'seq2seq: source column (default: document, source, src, text, article or input)')
    .option('--target-column <column>', 'seq2seq: target column (default: summary, target, tgt, highlights or output); a "references" list column adds references')
    .option('--source-prefix <text>', 'seq2seq: put before every source (T5: "translate English to Spanish: ", "summarize: ")')
    .option('--label-all-tokens', 'token-classification: label every subword of a word (B- becomes I- after the first), not only the first');
  addQaOptions(cmd);
  // train also reads CoNLL files (token classification).
  addDataOptions(cmd, { multiLabel: true, skipBadRows: 'leave out bad rows instead of stopping at the first', extraFormats: ['conll'] });
  for (const name of ARGUMENT_FLAGS) cmd.addOption(argumentOption(name));
  cmd.addHelpText(
    'after',
    '\nEvery training argument can also be set in --config; flags win. Examples:\n  lengua train --model ./bert --train train.csv --eval dev.csv --out runs/a --strategy freeze --freeze-layers 8 --learning-rate 3e-5' +
      '\n  lengua train --task token-classification --model ./bert --train train.conll --eval dev.conll --out runs/ner' +
      '\n  lengua train --task question-answering --model ./bert --train train.jsonl --eval validation.jsonl --out runs/qa --max-seq-length 384 --doc-stride 128' +
      '\n  lengua train --task translation --model ./t5 --train train.jsonl --eval validation.jsonl --source-lang en --target-lang es --out runs/mt --generation-num-beams 4',
  );
  cmd.action(async (flags: TrainFlags) => {
    await run(flags);
  });
}
