/**
 * What evaluation, cross-validation and search see, whatever the model: a `TextClassifier` giving class
 * probabilities for texts. `loadClassifier` opens a TF-IDF baseline folder or a transformers
 * sequence-classification folder (config.json + weights + tokenizer files).
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { LenguaError } from '../errors.js';
import { TfidfLogReg, BASELINE_FILE, joinPair } from '../models/baseline/index.js';

export interface TextClassifier {
  id2label: Record<number, string>;
  /** Sigmoid scores per label (several may hold) instead of one softmax distribution. */
  multiLabel?: boolean;
  /** What it is, for reports: 'baseline:tfidf-logreg' or the transformer's architecture. */
  kind?: string;
  /** The folder it was loaded from, when there is one. */
  dir?: string;
  /** One row per text, columns in id order. */
  predictProba(texts: string[], pairs?: string[]): Promise<number[][]>;
}

export interface LoadClassifierOptions {
  /** Texts per forward pass of a transformer. @defaultValue 32 */
  batchSize?: number;
  /** Truncate transformer inputs to this many tokens (default: what the model allows). */
  maxLength?: number;
}

/** A fitted baseline as a TextClassifier (pairs are joined to one text with a newline). */
export function baselineClassifier(model: TfidfLogReg, dir?: string): TextClassifier {
  return {
    id2label: model.id2label,
    kind: 'baseline:tfidf-logreg',
    ...(dir !== undefined ? { dir } : {}),
    predictProba: (texts, pairs) => {
      checkPairs(texts, pairs);
      return Promise.resolve(model.predictProba(texts.map((t, i) => joinPair(t, pairs?.[i]))));
    },
  };
}

function checkPairs(texts: string[], pairs: string[] | undefined): void {
  if (pairs !== undefined && pairs.length !== texts.length) {
    throw new LenguaError(`${texts.length} texts but ${pairs.length} second texts`, { field: 'pairs' });
  }
}

/**
 * `baseline:DIR` or a folder holding `lengua-baseline.json` → the baseline; any other folder or Hub id
 * → a transformers sequence classifier with its tokenizer (softmax; sigmoid for multi-label configs).
 */
export async function loadClassifier(modelRef: string, opts: LoadClassifierOptions = {}): Promise<TextClassifier> {
  if (typeof modelRef !== 'string' || modelRef.trim() === '') throw new LenguaError('no model given', { field: 'model' });
  if (modelRef.startsWith('baseline:')) {
    const dir = modelRef.slice('baseline:'.length);
    if (dir === 'tfidf-logreg') {
      throw new LenguaError('"baseline:tfidf-logreg" names the kind of model to train; to evaluate, give the folder it was saved to (baseline:DIR)', { field: 'model' });
    }
    return baselineClassifier(TfidfLogReg.load(dir), resolve(dir));
  }
  if (existsSync(modelRef) && statSync(modelRef).isDirectory() && existsSync(`${modelRef}/${BASELINE_FILE}`)) {
    return baselineClassifier(TfidfLogReg.load(modelRef), resolve(modelRef));
  }
  return loadTransformer(modelRef, opts);
}

async function loadTransformer(ref: string, opts: LoadClassifierOptions): Promise<TextClassifier> {
  // Loaded on demand: the baseline path must not need libtorch.
  const { batchScores } = await import('./transformer-scores.js');
  const { AutoTokenizer } = await import('../text/tokenizer/index.js');
  const { AutoModelForSequenceClassification } = await import('../models/index.js');
  const batchSize = opts.batchSize ?? 32;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > 4096) throw new LenguaError(`batch size must be in [1, 4096], got ${batchSize}`, { field: 'batchSize' });
  const tok = await AutoTokenizer.fromPretrained(ref);
  const model = await AutoModelForSequenceClassification.fromPretrained(ref);
  const cfg = model.config;
  if (cfg.problemType === 'regression' || (cfg.problemType === null && cfg.numLabels === 1)) {
    throw new LenguaError('this is a regression model (one output); evaluation here scores classifiers', { file: ref, field: 'problem_type' });
  }
  const multiLabel = cfg.problemType === 'multi_label_classification';
  const maxLength = Math.min(opts.maxLength ?? Infinity, tok.modelMaxLength, model.maxInputTokens);
  model.eval();
  const isDir = existsSync(ref) && statSync(ref).isDirectory();
  return {
    id2label: cfg.id2label,
    multiLabel,
    kind: cfg.architectures?.[0] ?? `${cfg.modelType} sequence classifier`,
    ...(isDir ? { dir: resolve(ref) } : {}),
    predictProba: (texts, pairs) => {
      checkPairs(texts, pairs);
      const out: number[][] = [];
      for (let i = 0; i < texts.length; i += batchSize) {
        const batch = texts.slice(i, i + batchSize).map((t, j): string | [string, string] => (pairs ? [t, pairs[i + j]!] : t));
        const enc = tok.encodeBatch(batch, { padding: true, truncation: true, maxLength });
        const rows = batchScores(model, enc, multiLabel ? 'sigmoid' : 'softmax');
        out.push(...rows);
      }
      return Promise.resolve(out);
    },
  };
}
