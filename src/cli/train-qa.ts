/**
 * `lengua train --task question-answering`: fine-tune an extractive QA model (BERT, RoBERTa, DistilBERT) on
 * SQuAD-style JSONL (`{"id", "question", "context", "answers": {"text", "answer_start"}}`) as transformers'
 * `run_qa.py` does: question + context cut into windows of --max-seq-length tokens sharing --doc-stride context
 * tokens, start/end labels per window (CLS when the window lacks the answer), and at the end one evaluation of
 * --eval with utils_qa's post-processing (--n-best-size, --max-answer-length; with --version-2-with-negative the
 * null answer and --null-score-diff-threshold) scored with SQuAD v1.1 (or v2.0) exact match and F1.
 * eval_predictions.jsonl holds one line per question: id, question, prediction, answers, em, f1.
 */
import { Option, type Command } from 'commander';
import { LenguaError } from '../errors.js';
import { loadSquadJsonl, type QaExample } from '../data/index.js';
import { qaPredictionRecord } from '../eval/qa.js';
import type { TrainingArguments } from '../train/arguments.js';
import { trainAndReport } from './train-results.js';
import { intFlag } from './options.js';

export interface QaFlags {
  model: string;
  train: string;
  eval?: string;
  device?: string;
  json?: boolean;
  maxLength?: unknown;
  maxSeqLength?: string;
  docStride?: string;
  maxAnswerLength?: string;
  nBestSize?: string;
  version2WithNegative?: boolean;
  nullScoreDiffThreshold?: string;
}

/** The QA flags and their Commander keys (for refusing them with other tasks). */
export const QA_FLAGS: Array<[keyof QaFlags, string]> = [
  ['maxSeqLength', '--max-seq-length'], ['docStride', '--doc-stride'], ['maxAnswerLength', '--max-answer-length'], ['nBestSize', '--n-best-size'],
  ['version2WithNegative', '--version-2-with-negative'], ['nullScoreDiffThreshold', '--null-score-diff-threshold'],
];

/** Adds run_qa's options to `lengua train`. */
export function addQaOptions(cmd: Command): void {
  cmd
    .addOption(new Option('--max-seq-length <n>', 'question-answering: tokens per window, question and special tokens included (run_qa max_seq_length; capped at what the model takes) [default 384]'))
    .addOption(new Option('--doc-stride <n>', 'question-answering: context tokens shared by consecutive windows of a long context [default 128]'))
    .addOption(new Option('--max-answer-length <n>', 'question-answering: longest answer in tokens [default 30]'))
    .addOption(new Option('--n-best-size <n>', 'question-answering: start/end candidates per window [default 20]'))
    .addOption(new Option('--version-2-with-negative', 'question-answering: the data has unanswerable questions (SQuAD v2): predict "" and score with v2.0'))
    .addOption(new Option('--null-score-diff-threshold <x>', 'question-answering, SQuAD v2: answer "" when null score - best span score exceeds this [default 0]'));
}

function print(s: string): void {
  process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
}

function readQa(path: string, flag: string, v2: boolean): QaExample[] {
  const examples = loadSquadJsonl(path);
  if (examples.length === 0) throw new LenguaError(`${flag}: no questions`, { file: path });
  examples.forEach((ex, i) => {
    if (ex.answers === undefined) throw new LenguaError(`${flag}: question "${ex.id}" has no "answers"`, { file: path, line: i + 1, field: 'answers' });
    if (!v2 && ex.answers.text.length === 0) {
      throw new LenguaError(`${flag}: question "${ex.id}" has no answer; unanswerable questions need --version-2-with-negative (SQuAD v2)`, { file: path, line: i + 1, field: 'answers' });
    }
  });
  return examples;
}

/** The parsed QA flags (run_qa's defaults). */
export interface QaSettings {
  maxSeqLength: number;
  docStride: number;
  maxAnswerLength: number;
  nBestSize: number;
  version2WithNegative: boolean;
  nullScoreDiffThreshold?: number;
}

/** Parses and checks the QA flags (shared by lengua train and lengua evaluate). */
export function qaSettings(flags: Pick<QaFlags, 'maxSeqLength' | 'docStride' | 'maxAnswerLength' | 'nBestSize' | 'version2WithNegative' | 'nullScoreDiffThreshold'>): QaSettings {
  const v2 = flags.version2WithNegative === true;
  const out: QaSettings = {
    maxSeqLength: flags.maxSeqLength === undefined ? 384 : intFlag(flags.maxSeqLength, '--max-seq-length', 8, 100_000),
    docStride: flags.docStride === undefined ? 128 : intFlag(flags.docStride, '--doc-stride', 0, 100_000),
    maxAnswerLength: flags.maxAnswerLength === undefined ? 30 : intFlag(flags.maxAnswerLength, '--max-answer-length', 1, 10_000),
    nBestSize: flags.nBestSize === undefined ? 20 : intFlag(flags.nBestSize, '--n-best-size', 1, 10_000),
    version2WithNegative: v2,
  };
  if (flags.nullScoreDiffThreshold !== undefined) {
    if (!v2) throw new LenguaError('--null-score-diff-threshold applies with --version-2-with-negative', { field: '--null-score-diff-threshold' });
    const t = Number(flags.nullScoreDiffThreshold);
    if (flags.nullScoreDiffThreshold.trim() === '' || !Number.isFinite(t)) {
      throw new LenguaError(`--null-score-diff-threshold must be a number, got ${JSON.stringify(flags.nullScoreDiffThreshold)}`, { field: '--null-score-diff-threshold' });
    }
    out.nullScoreDiffThreshold = t;
  }
  return out;
}

/** The window length: --max-seq-length capped, as run_qa caps it, by the tokenizer's model_max_length and the model's positions. */
export function windowLength(requested: number, modelMaxTokens: number, tokenizer: { hasModelMaxLength: boolean; modelMaxLength: number }): number {
  return Math.min(requested, modelMaxTokens, tokenizer.hasModelMaxLength ? tokenizer.modelMaxLength : Infinity);
}

export async function runQuestionAnswering(flags: QaFlags, args: TrainingArguments, threads: number): Promise<void> {
  if (flags.maxLength !== undefined) throw new LenguaError('--max-length: question answering takes --max-seq-length (run_qa\'s name; default 384)', { field: 'maxLength' });
  const qa = qaSettings(flags);
  const { maxSeqLength, docStride, maxAnswerLength, nBestSize, nullScoreDiffThreshold } = qa;
  const v2 = qa.version2WithNegative;
  if (args.labelSmoothingFactor !== 0) throw new LenguaError('--label-smoothing-factor: question answering takes no label smoothing (run_qa has none)', { field: 'labelSmoothingFactor' });
  const trainData = readQa(flags.train, '--train', v2);
  const evalData = flags.eval !== undefined ? readQa(flags.eval, '--eval', v2) : undefined;
  if (args.evalStrategy !== 'no' && evalData === undefined) throw new LenguaError(`evalStrategy is ${args.evalStrategy}: give --eval FILE`, { field: 'evalStrategy' });

  const torch = await import('../torch/index.js');
  const { AutoModelForQuestionAnswering } = await import('../models/index.js');
  const { AutoTokenizer } = await import('../text/tokenizer/index.js');
  const { QuestionAnsweringTrainer, encodeQuestionAnswering } = await import('../train/index.js');
  torch.setNumThreads(threads);
  const device = (flags.device ?? 'cpu') as import('../torch/index.js').Device;
  const model = await AutoModelForQuestionAnswering.fromPretrained(flags.model, { seed: args.seed, device });
  const tokenizer = await AutoTokenizer.fromPretrained(flags.model);
  const maxLength = windowLength(maxSeqLength, model.maxInputTokens, tokenizer);
  if (maxLength < maxSeqLength && !args.quiet) process.stderr.write(`--max-seq-length ${maxSeqLength} is above what the model takes; using ${maxLength} tokens\n`);
  const feat = { maxLength, docStride };
  const train = encodeQuestionAnswering(trainData, tokenizer, feat);
  const evalEnc = evalData ? encodeQuestionAnswering(evalData, tokenizer, feat) : undefined;
  const trainer = new QuestionAnsweringTrainer({
    model, args, trainDataset: train, ...(evalEnc ? { evalDataset: evalEnc } : {}), tokenizer,
    nBestSize, maxAnswerLength, version2WithNegative: v2, ...(nullScoreDiffThreshold !== undefined ? { nullScoreDiffThreshold } : {}),
  });
  if (!args.quiet) {
    process.stderr.write(
      `Training ${model.className} from ${flags.model} for question answering${v2 ? ' (SQuAD v2: unanswerable questions)' : ''} on ${trainData.length} questions ` +
        `(${train.inputIds.length} windows of ≤ ${maxLength} tokens, stride ${docStride})` +
        `${evalEnc ? `, evaluating on ${evalEnc.examples.length} (${evalEnc.inputIds.length} windows)` : ''}; strategy ${args.strategy}; ${threads} thread(s) on ${device}\n`,
    );
  }
  await trainAndReport(
    {
      trainer,
      outputDir: args.outputDir,
      json: flags.json === true,
      summary: { settings: { ...qa, maxSeqLength: maxLength } },
      shown: /^(train_loss|train_runtime|eval_loss|eval_exact_match|eval_f1|eval_HasAns_f1|eval_NoAns_f1)$/,
      // One pass over the eval windows: the answers are written with their scores and averaged for the metrics.
      ...(evalEnc
        ? {
            evaluate: async () => {
              const p = await trainer.predict(evalEnc, { metricKeyPrefix: 'eval' });
              return { metrics: p.metrics, predictions: p.predictions.map((x, i) => qaPredictionRecord(evalEnc.examples[i]!, x.prediction_text, v2)) };
            },
          }
        : {}),
    },
    print,
  );
}
