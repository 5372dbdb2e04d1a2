/**
 * `lengua predict --model DIR TEXT...`: runs a sequence-classification model on texts through its
 * tokenizer and prints the best label(s) with scores (softmax; sigmoid for multi-label models).
 */
import { Command } from 'commander';
import { LenguaError } from '../errors.js';
import { AutoTokenizer } from '../text/tokenizer/index.js';
import { AutoModelForSequenceClassification } from '../models/index.js';
import type { AnySequenceClassifier } from '../models/index.js';
import { batchScores } from '../eval/transformer-scores.js';

interface PredictFlags {
  model: string;
  json?: boolean;
  topK: string;
  batchSize: string;
  maxLength?: string;
}

export interface Prediction {
  label: string;
  score: number;
}

function positiveInt(value: string, field: string, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > max) {
    throw new LenguaError(`expected an integer in [1, ${max}], got ${JSON.stringify(value)}`, { field });
  }
  return n;
}

/** Scores every label of every text; sorted best first, cut to topK. */
export function predictTexts(
  model: AnySequenceClassifier,
  tok: Awaited<ReturnType<typeof AutoTokenizer.fromPretrained>>,
  texts: string[],
  opts: { topK: number; batchSize: number; maxLength?: number },
): Prediction[][] {
  const cfg = model.config;
  const id2label = cfg.id2label;
  const multi = cfg.problemType === 'multi_label_classification';
  const regression = cfg.problemType === 'regression' || (cfg.problemType === null && cfg.numLabels === 1);
  const maxLength = Math.min(opts.maxLength ?? Infinity, tok.modelMaxLength, model.maxInputTokens);
  const out: Prediction[][] = [];
  model.eval();
  for (let i = 0; i < texts.length; i += opts.batchSize) {
    const batch = texts.slice(i, i + opts.batchSize);
    const enc = tok.encodeBatch(batch, { padding: true, truncation: true, maxLength });
    const scores = batchScores(model, enc, regression ? 'none' : multi ? 'sigmoid' : 'softmax');
    for (const row of scores) {
      const preds = row.map((score, j) => ({ label: id2label[j] ?? `LABEL_${j}`, score }));
      preds.sort((a, b) => b.score - a.score);
      out.push(preds.slice(0, opts.topK));
    }
  }
  return out;
}

export function register(program: Command): void {
  program
    .command('predict')
    .description('classify texts with a sequence-classification model folder (prints label and score per text)')
    .requiredOption('--model <dir>', 'model folder or Hub id (config.json, model.safetensors, tokenizer files)')
    .option('--json', 'print JSON: one array of {label, score} per text, best first')
    .option('--top-k <n>', 'labels to show per text', '1')
    .option('--batch-size <n>', 'texts per forward pass', '32')
    .option('--max-length <n>', 'truncate inputs to this many tokens (default: what the model allows)')
    .argument('<text...>', 'texts to classify')
    .action(async (texts: string[], flags: PredictFlags) => {
      const topK = positiveInt(flags.topK, '--top-k', 1_000_000);
      const batchSize = positiveInt(flags.batchSize, '--batch-size', 4096);
      const maxLength = flags.maxLength === undefined ? undefined : positiveInt(flags.maxLength, '--max-length', 1_000_000);
      const tok = await AutoTokenizer.fromPretrained(flags.model);
      const model = await AutoModelForSequenceClassification.fromPretrained(flags.model);
      const preds = predictTexts(model, tok, texts, { topK, batchSize, ...(maxLength !== undefined ? { maxLength } : {}) });
      if (flags.json) {
        process.stdout.write(JSON.stringify(preds) + '\n');
        return;
      }
      preds.forEach((p, i) => {
        const labels = p.map((x) => `${x.label}\t${x.score.toFixed(4)}`).join('\t');
        process.stdout.write(`${labels}\t${JSON.stringify(texts[i])}\n`);
      });
    });
}
