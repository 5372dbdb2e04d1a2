/**
 * The reference baseline: TF-IDF word n-grams (1–2) and character n-grams inside word boundaries
 * (2–5, scikit-learn's `char_wb`), each block l2-normalized, over text normalized with the `tweet`
 * preset and lower-cased, feeding an L2 logistic regression (C = 1). It reproduces scikit-learn's
 * `FeatureUnion([TfidfVectorizer(word), TfidfVectorizer(char_wb)]) + LogisticRegression(lbfgs)` on the
 * same tokens (see `scripts/baseline-references.ts`).
 *
 * Saved as a folder: `lengua-baseline.json` (config, labels, vocabularies) and `model.safetensors`
 * (idf vectors, coefficients, intercepts; float64). Nothing in it is executed on load.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { LenguaError } from '../../errors.js';
import { writeFileAtomic } from '../../util/fs.js';
import { makeEntry, readSafetensors, writeSafetensors, type SafetensorsEntry } from '../../hub/safetensors.js';
import { readModelText } from '../../hub/model-files.js';
import { normalize, type NormalizeOptions, type NormalizePreset } from '../../text/normalize.js';
import { tokenizeWords } from '../../text/words.js';
import { charNgrams, wordNgrams } from '../../text/ngrams.js';
import { fitTfidf, transformTfidf, vocabularyIndex, type Csr, type TfidfState } from './tfidf.js';
import { fitLogReg, predictProbaLogReg, type LogRegModel } from './logreg.js';
import type { LbfgsResult } from './lbfgs.js';

/** A pair of texts becomes one text for the bag-of-n-grams model. */
export function joinPair(text: string, pair: string | undefined): string {
  return pair === undefined ? text : `${text}\n${pair}`;
}

export const BASELINE_FILE = 'lengua-baseline.json';
export const BASELINE_WEIGHTS = 'model.safetensors';
export const BASELINE_FORMAT = 'lengua-baseline';
export const BASELINE_TYPE = 'tfidf-logreg';
/** Bounds on what a folder may hold, checked before parsing. */
const MAX_JSON_BYTES = 1024 * 1024 * 1024;
const MAX_TEXTS = 10_000_000;

export interface TfidfLogRegOptions {
  /** Word n-gram lengths; null leaves the word block out. @defaultValue [1, 2] */
  wordNgrams?: [number, number] | null;
  /** Character n-gram lengths inside word boundaries; null leaves the char block out. @defaultValue [2, 5] */
  charNgrams?: [number, number] | null;
  /** Inverse L2 strength. @defaultValue 1 */
  C?: number;
  /** L-BFGS iterations. @defaultValue 1000 */
  maxIter?: number;
  /** Gradient tolerance of L-BFGS. @defaultValue 1e-6 */
  tol?: number;
  /** Per vectorizer: a whole number of documents >= 1, or a share in (0, 1). @defaultValue 1 */
  minDf?: number;
  /** Per vectorizer: a share in (0, 1], or a whole number of documents. @defaultValue 1 (no limit) */
  maxDf?: number;
  /** 1 + ln(tf) instead of tf. @defaultValue false */
  sublinearTf?: boolean;
  /** Per vectorizer: keep the most frequent terms only. */
  maxFeatures?: number | null;
  /** What runs before tokenizing. @defaultValue the `tweet` preset */
  normalize?: NormalizeOptions | NormalizePreset;
  /** Lower-case after normalizing. @defaultValue true */
  lowercase?: boolean;
  classWeight?: 'balanced' | number[] | null;
}

/** The options as saved: every default filled in. */
export interface ResolvedTfidfLogRegOptions {
  wordNgrams: [number, number] | null;
  charNgrams: [number, number] | null;
  C: number;
  maxIter: number;
  tol: number;
  minDf: number;
  maxDf: number;
  sublinearTf: boolean;
  maxFeatures: number | null;
  normalize: NormalizeOptions | NormalizePreset;
  lowercase: boolean;
  classWeight: 'balanced' | number[] | null;
}

function checkRange(r: unknown, field: string): [number, number] | null {
  if (r === null) return null;
  if (!Array.isArray(r) || r.length !== 2 || !r.every((v) => Number.isSafeInteger(v)) || r[0] < 1 || r[1] < r[0] || r[1] > 20) {
    throw new LenguaError(`must be null or [min, max] with 1 <= min <= max <= 20, got ${JSON.stringify(r)}`, { field });
  }
  return [r[0] as number, r[1] as number];
}

export function resolveOptions(o: TfidfLogRegOptions = {}): ResolvedTfidfLogRegOptions {
  const r: ResolvedTfidfLogRegOptions = {
    wordNgrams: checkRange(o.wordNgrams === undefined ? [1, 2] : o.wordNgrams, 'wordNgrams'),
    charNgrams: checkRange(o.charNgrams === undefined ? [2, 5] : o.charNgrams, 'charNgrams'),
    C: o.C ?? 1,
    maxIter: o.maxIter ?? 1000,
    tol: o.tol ?? 1e-6,
    minDf: o.minDf ?? 1,
    maxDf: o.maxDf ?? 1,
    sublinearTf: o.sublinearTf ?? false,
    maxFeatures: o.maxFeatures ?? null,
    normalize: o.normalize ?? 'tweet',
    lowercase: o.lowercase ?? true,
    classWeight: o.classWeight ?? null,
  };
  if (r.wordNgrams === null && r.charNgrams === null) throw new LenguaError('wordNgrams and charNgrams cannot both be null', { field: 'wordNgrams' });
  if (!(r.C > 0) || !Number.isFinite(r.C)) throw new LenguaError(`must be a positive number, got ${r.C}`, { field: 'C' });
  if (!Number.isSafeInteger(r.maxIter) || r.maxIter < 1) throw new LenguaError(`must be a whole number >= 1, got ${r.maxIter}`, { field: 'maxIter' });
  if (!(r.tol > 0)) throw new LenguaError(`must be a positive number, got ${r.tol}`, { field: 'tol' });
  return r;
}

/** The analyzers: text → normalized text → word terms and char_wb terms. */
export class TfidfAnalyzer {
  constructor(readonly options: ResolvedTfidfLogRegOptions) {}

  preprocess(text: string): string {
    const base: NormalizeOptions = typeof this.options.normalize === 'string' ? { preset: this.options.normalize } : this.options.normalize;
    const t = normalize(text, base);
    return this.options.lowercase ? t.toLowerCase() : t;
  }

  wordTerms(pre: string): string[] {
    const r = this.options.wordNgrams;
    return r === null ? [] : wordNgrams(tokenizeWords(pre), r);
  }

  charTerms(pre: string): string[] {
    const r = this.options.charNgrams;
    return r === null ? [] : charNgrams(pre, r, { wordBoundaries: true });
  }
}

interface Block {
  name: 'word' | 'char';
  state: TfidfState;
  index: Map<string, number>;
}

export interface FitInfo {
  optimizer: Omit<LbfgsResult, 'x'>;
  nFeatures: number;
  nTrain: number;
  seconds: number;
}

export class TfidfLogReg {
  /** How the last `fit` went (absent on a loaded model). */
  fitInfo?: FitInfo;

  private constructor(
    readonly id2label: Record<number, string>,
    readonly options: ResolvedTfidfLogRegOptions,
    private readonly blocks: Block[],
    readonly model: LogRegModel,
  ) {}

  static fit(texts: readonly string[], labels: readonly number[], id2label: Record<number, string>, opts: TfidfLogRegOptions = {}): TfidfLogReg {
    const t0 = performance.now();
    const options = resolveOptions(opts);
    const names = checkId2Label(id2label, 'id2label');
    if (texts.length !== labels.length) throw new LenguaError(`${texts.length} texts but ${labels.length} labels`, { field: 'labels' });
    if (texts.length > MAX_TEXTS) throw new LenguaError(`at most ${MAX_TEXTS} texts, got ${texts.length}`, { field: 'texts' });
    const an = new TfidfAnalyzer(options);
    const pre = texts.map((t) => an.preprocess(t));
    const blocks: Block[] = [];
    const docsPerBlock: string[][][] = [];
    const vecOpts = { minDf: options.minDf, maxDf: options.maxDf, sublinearTf: options.sublinearTf, maxFeatures: options.maxFeatures };
    if (options.wordNgrams !== null) {
      const docs = pre.map((p) => an.wordTerms(p));
      const state = fitTfidf(docs, vecOpts, 'word');
      blocks.push({ name: 'word', state, index: vocabularyIndex(state.vocabulary) });
      docsPerBlock.push(docs);
    }
    if (options.charNgrams !== null) {
      const docs = pre.map((p) => an.charTerms(p));
      const state = fitTfidf(docs, vecOpts, 'char');
      blocks.push({ name: 'char', state, index: vocabularyIndex(state.vocabulary) });
      docsPerBlock.push(docs);
    }
    const X = transformTfidf(blocks.map((b, i) => ({ state: b.state, index: b.index, docs: docsPerBlock[i]! })));
    const fit = fitLogReg(X, labels, names.length, { C: options.C, maxIter: options.maxIter, tol: options.tol, classWeight: options.classWeight });
    const m = new TfidfLogReg(Object.fromEntries(names.map((n, i) => [i, n])), options, blocks, fit.model);
    m.fitInfo = { optimizer: fit.optimizer, nFeatures: X.nCols, nTrain: texts.length, seconds: (performance.now() - t0) / 1000 };
    return m;
  }

  get numLabels(): number {
    return this.model.nClasses;
  }

  /** The fitted vocabularies and idf vectors, by block. */
  vectorizers(): Array<{ name: 'word' | 'char'; vocabulary: readonly string[]; idf: Float64Array }> {
    return this.blocks.map((b) => ({ name: b.name, vocabulary: b.state.vocabulary, idf: b.state.idf }));
  }

  /** The TF-IDF rows of texts (word block first, then char block). */
  transform(texts: readonly string[]): Csr {
    const an = new TfidfAnalyzer(this.options);
    const pre = texts.map((t) => an.preprocess(t));
    return transformTfidf(
      this.blocks.map((b) => ({ state: b.state, index: b.index, docs: pre.map((p) => (b.name === 'word' ? an.wordTerms(p) : an.charTerms(p))) })),
    );
  }

  predictProba(texts: readonly string[]): number[][] {
    return predictProbaLogReg(this.model, this.transform(texts));
  }

  /** Class ids, the most probable (the first on ties, as numpy's argmax). */
  predict(texts: readonly string[]): number[] {
    return this.predictProba(texts).map(argmax);
  }

  save(dir: string): void {
    mkdirSync(dir, { recursive: true });
    const tensors: Record<string, SafetensorsEntry> = {
      coef: makeEntry('F64', [this.model.rows, this.model.nFeatures], this.model.coef),
      intercept: makeEntry('F64', [this.model.rows], this.model.intercept),
    };
    for (const b of this.blocks) tensors[`${b.name}.idf`] = makeEntry('F64', [b.state.idf.length], b.state.idf);
    // Weights first: a folder whose JSON exists is complete.
    writeSafetensors(join(dir, BASELINE_WEIGHTS), tensors, { format: BASELINE_FORMAT });
    const json = {
      format: BASELINE_FORMAT,
      version: 1,
      type: BASELINE_TYPE,
      id2label: this.id2label,
      options: this.options,
      binary: this.model.rows === 1,
      vectorizers: this.blocks.map((b) => ({ name: b.name, sublinearTf: b.state.sublinearTf, vocabulary: b.state.vocabulary })),
      ...(this.fitInfo ? { fit: { ...this.fitInfo.optimizer, nFeatures: this.fitInfo.nFeatures, nTrain: this.fitInfo.nTrain } } : {}),
    };
    writeFileAtomic(join(dir, BASELINE_FILE), JSON.stringify(json) + '\n');
  }

  static isBaselineDir(dir: string): boolean {
    return existsSync(join(dir, BASELINE_FILE));
  }

  static load(dir: string): TfidfLogReg {
    const file = join(dir, BASELINE_FILE);
    // The model-file door: bounded, and a symlink leaving the folder is refused.
    const text = readModelText(dir, BASELINE_FILE, MAX_JSON_BYTES);
    if (text === undefined) throw new LenguaError(`not a baseline folder: no ${BASELINE_FILE}`, { file: dir });
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new LenguaError(`invalid JSON: ${(err as Error).message}`, { file }, { cause: err });
    }
    const bad = (field: string, why: string): never => {
      throw new LenguaError(why, { file, field });
    };
    if (json === null || typeof json !== 'object') bad('format', 'not a JSON object');
    if (json.format !== BASELINE_FORMAT) bad('format', `expected "${BASELINE_FORMAT}", got ${JSON.stringify(json.format)}`);
    if (json.version !== 1) bad('version', `unsupported version ${JSON.stringify(json.version)} (this Lengua reads 1)`);
    if (json.type !== BASELINE_TYPE) bad('type', `unknown baseline type ${JSON.stringify(json.type)}`);
    let names: string[];
    let options: ResolvedTfidfLogRegOptions;
    try {
      names = checkId2Label(json.id2label as Record<number, string>, 'id2label');
      options = resolveOptions(json.options as TfidfLogRegOptions);
    } catch (err) {
      throw new LenguaError((err as Error).message, { file, field: (err as LenguaError).field ?? 'options' }, { cause: err });
    }
    const weightsFile = join(dir, BASELINE_WEIGHTS);
    if (!existsSync(weightsFile)) throw new LenguaError(`missing ${BASELINE_WEIGHTS} beside ${BASELINE_FILE}`, { file: dir });
    const st = readSafetensors(weightsFile).tensors;
    const f64 = (name: string, shape: number[]): Float64Array => {
      const e = st.get(name);
      if (!e) throw new LenguaError(`no tensor "${name}"`, { file: weightsFile, field: name });
      if (e.dtype !== 'F64' || e.shape.length !== shape.length || e.shape.some((d, i) => d !== shape[i])) {
        throw new LenguaError(`expected F64 ${JSON.stringify(shape)}, got ${e.dtype} ${JSON.stringify(e.shape)}`, { file: weightsFile, field: name });
      }
      const out = new Float64Array(e.shape.reduce((a, b) => a * b, 1));
      const dv = new DataView(e.data.buffer, e.data.byteOffset, e.data.byteLength);
      for (let i = 0; i < out.length; i++) out[i] = dv.getFloat64(i * 8, true);
      return out;
    };
    const vecs = json.vectorizers;
    if (!Array.isArray(vecs) || vecs.length === 0 || vecs.length > 2) bad('vectorizers', 'expected 1 or 2 vectorizers');
    const blocks: Block[] = [];
    for (const [i, v] of (vecs as Array<Record<string, unknown>>).entries()) {
      const name = v?.name;
      if (name !== 'word' && name !== 'char') bad(`vectorizers[${i}].name`, `expected "word" or "char", got ${JSON.stringify(name)}`);
      const vocabulary = v.vocabulary;
      if (!Array.isArray(vocabulary) || !vocabulary.every((t) => typeof t === 'string')) bad(`vectorizers[${i}].vocabulary`, 'expected an array of strings');
      const vocab = vocabulary as string[];
      const index = vocabularyIndex(vocab);
      if (index.size !== vocab.length) bad(`vectorizers[${i}].vocabulary`, 'a term appears twice');
      const idf = f64(`${name as string}.idf`, [vocab.length]);
      blocks.push({ name: name as 'word' | 'char', state: { vocabulary: vocab, idf, sublinearTf: v.sublinearTf === true }, index });
    }
    const expected = [options.wordNgrams !== null ? 'word' : null, options.charNgrams !== null ? 'char' : null].filter((x) => x !== null);
    if (blocks.map((b) => b.name).join() !== expected.join()) bad('vectorizers', `expected blocks ${expected.join(', ')} as the options say`);
    const nFeatures = blocks.reduce((a, b) => a + b.state.vocabulary.length, 0);
    const rows = names.length === 2 ? 1 : names.length;
    const model: LogRegModel = {
      coef: f64('coef', [rows, nFeatures]),
      intercept: f64('intercept', [rows]),
      rows,
      nFeatures,
      nClasses: names.length,
    };
    for (const [k, arr] of [['coef', model.coef], ['intercept', model.intercept]] as const) {
      if (!arr.every(Number.isFinite)) throw new LenguaError('holds a non-finite value', { file: weightsFile, field: k });
    }
    return new TfidfLogReg(Object.fromEntries(names.map((n, i) => [i, n])), options, blocks, model);
  }
}

/** id2label as a dense list of distinct names, ids 0..K-1. */
export function checkId2Label(id2label: Record<number, string> | undefined | null, field: string): string[] {
  if (id2label === null || typeof id2label !== 'object' || Array.isArray(id2label)) throw new LenguaError('expected an object {id: name}', { field });
  const keys = Object.keys(id2label);
  const names: string[] = [];
  for (let i = 0; i < keys.length; i++) {
    const v = (id2label as Record<string, unknown>)[String(i)];
    if (typeof v !== 'string' || v === '') throw new LenguaError(`ids must be 0..${keys.length - 1} with non-empty names; id ${i} is ${JSON.stringify(v)}`, { field });
    names.push(v);
  }
  if (new Set(names).size !== names.length) throw new LenguaError(`a label name appears twice: ${JSON.stringify(names)}`, { field });
  if (names.length < 2) throw new LenguaError(`need at least 2 labels, got ${names.length}`, { field });
  return names;
}

export function argmax(row: readonly number[]): number {
  let best = 0;
  for (let k = 1; k < row.length; k++) if (row[k]! > row[best]!) best = k;
  return best;
}
