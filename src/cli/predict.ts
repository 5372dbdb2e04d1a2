/**
 * `lengua predict --model DIR TEXT...`: runs a sequence-classification model on texts through its
 * tokenizer and prints the best label(s) with scores (softmax; sigmoid for multi-label models).
 * `--input FILE` (or `-`, or lines piped to stdin) streams any number of texts through in batches and
 * writes one JSON line per text.
 *
 * Two engines give the same output: `onnx` (src/infer's pipeline on ONNX Runtime; the default for an
 * exported folder, one with onnx/model.onnx) and `torch` (the libtorch model; the default otherwise).
 * `--engine onnx` on a training folder exports it once into the ONNX cache first.
 *
 * A token classifier (config.json's architecture *ForTokenClassification) prints its entities instead: the
 * token-classification pipeline on ONNX Runtime (a training folder is exported once), words grouped with
 * --aggregation (transformers' aggregation_strategy, default first), each entity with its character offsets
 * [start, end) into the text as given.
 */
import { Command, Option } from 'commander';
import { LenguaError } from '../errors.js';
import { AutoTokenizer } from '../text/tokenizer/index.js';
import { AutoModelForSequenceClassification } from '../models/index.js';
import type { AnySequenceClassifier } from '../models/index.js';
import { batchScores } from '../eval/transformer-scores.js';
import { exportToOnnx, type ExportOptions } from '../export/index.js';
import { pipeline, registerOnnxExporter, AGGREGATION_STRATEGIES, ONNX_FILES, type AggregationStrategy, type EntityGroup, type FunctionToApply, type QuestionAnsweringOutput, type TokenEntity } from '../infer/index.js';
import { firstArchitecture, pipelineTaskOfArchitecture, readConfigJson } from '../hub/index.js';
import { loadSquadJsonl } from '../data/index.js';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { formatOf, openInput, readInputTexts, type InputFormat, type InputText } from './predict-input.js';
import { intFlag } from './options.js';

interface PredictFlags {
  model: string;
  input?: string;
  format?: InputFormat;
  textColumn?: string;
  idColumn?: string;
  maxRecordBytes: string;
  json?: boolean;
  topK: string;
  batchSize: string;
  maxLength?: string;
  engine?: Engine;
  aggregation: AggregationStrategy;
  context?: string;
  contextFile?: string;
  docStride?: string;
  maxAnswerLen?: string;
}

export type Engine = 'torch' | 'onnx';

export interface Prediction {
  label: string;
  score: number;
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

/** Scores a batch of texts: best labels first, cut to topK, in input order. */
type Predict = (texts: string[]) => Promise<Prediction[][]>;

/** The engine for a model: the asked one, else onnx for an exported folder (onnx/model.onnx) and torch otherwise. */
export function engineFor(model: string, asked: Engine | undefined): Engine {
  return asked ?? (existsSync(join(model, ONNX_FILES.fp32)) ? 'onnx' : 'torch');
}

/** The function transformers' pipeline would apply, as predictTexts picks it (a single unnamed-problem label is regression). */
function functionFor(config: Record<string, unknown>): FunctionToApply {
  const numLabels = Object.keys((config.id2label ?? {}) as object).length || (typeof config.num_labels === 'number' ? config.num_labels : 2);
  if (config.problem_type === 'regression' || (config.problem_type == null && numLabels === 1)) return 'none';
  return config.problem_type === 'multi_label_classification' ? 'sigmoid' : 'softmax';
}

/** A training folder is exported on the fly when an ONNX pipeline needs it, as `import 'lengua'` does it. */
function exportOnTheFly(): void {
  registerOnnxExporter(async (dir, out, { task }) => {
    await exportToOnnx(dir, out, { task: task as NonNullable<ExportOptions['task']> });
  });
}

/** The head of a local model folder: token classifier, extractive QA, or anything else (a Hub id is read as a sequence classifier, as before). */
function headOf(model: string): 'token-classification' | 'question-answering' | 'other' {
  if (!existsSync(join(model, 'config.json'))) return 'other';
  const task = pipelineTaskOfArchitecture(firstArchitecture(readConfigJson(model).json));
  return task === 'token-classification' || task === 'question-answering' ? task : 'other';
}

/** Largest --context-file read. */
const MAX_CONTEXT_FILE_BYTES = 4 << 20;

/**
 * An extractive QA model's answers (ONNX Runtime, contexts read in doc-stride windows): the questions given as
 * arguments against --context / --context-file, or the {question, context[, id]} records of a SQuAD-style JSONL
 * --input. One line per question (answer, score, start-end, question); --json for JSON.
 */
async function predictAnswers(questions: string[], flags: PredictFlags, opts: { topK: number; batchSize: number; maxLength?: number }): Promise<void> {
  if (flags.engine === 'torch') throw new LenguaError('a question-answering model predicts on ONNX Runtime (a training folder is exported once into the cache): leave out --engine torch', { field: '--engine' });
  if (flags.context !== undefined && flags.contextFile !== undefined) throw new LenguaError('give --context or --context-file, not both', { field: '--context-file' });
  let items: Array<{ question: string; context: string; id?: string }>;
  if (flags.input !== undefined) {
    if (questions.length > 0 || flags.context !== undefined || flags.contextFile !== undefined) throw new LenguaError('--input holds the questions and their contexts: leave out the question arguments and --context', { field: '--input' });
    items = loadSquadJsonl(flags.input).map((e) => ({ question: e.question, context: e.context, id: e.id }));
  } else {
    let context = flags.context;
    if (flags.contextFile !== undefined) {
      if (statSync(flags.contextFile).size > MAX_CONTEXT_FILE_BYTES) throw new LenguaError(`over the limit of ${MAX_CONTEXT_FILE_BYTES} bytes`, { file: flags.contextFile });
      context = readFileSync(flags.contextFile, 'utf8');
    }
    if (context === undefined) throw new LenguaError('a question-answering model answers from a text: give --context TEXT or --context-file FILE (or --input FILE.jsonl with question and context fields)', { field: '--context' });
    if (questions.length === 0) throw new LenguaError('no questions: give them as arguments', { field: 'text' });
    items = questions.map((question) => ({ question, context: context! }));
  }
  const callOpts = {
    topK: opts.topK,
    ...(flags.docStride !== undefined ? { docStride: intFlag(flags.docStride, '--doc-stride', 1, 1_000_000) } : {}),
    ...(flags.maxAnswerLen !== undefined ? { maxAnswerLen: intFlag(flags.maxAnswerLen, '--max-answer-len', 1, 100_000) } : {}),
    ...(opts.maxLength !== undefined ? { maxSeqLen: opts.maxLength } : {}),
  };
  exportOnTheFly();
  const qa = await pipeline('question-answering', flags.model, { batchSize: opts.batchSize });
  try {
    for (let i = 0; i < items.length; i += opts.batchSize) {
      const batch = items.slice(i, i + opts.batchSize);
      const answers = (await qa(batch.map(({ question, context }) => ({ question, context })), callOpts)) as Array<QuestionAnsweringOutput | QuestionAnsweringOutput[]>;
      let out = '';
      batch.forEach((item, k) => {
        const a = answers[k]!;
        const best = Array.isArray(a) ? a[0] : a;
        if (flags.json || flags.input !== undefined) {
          out += JSON.stringify({ ...(item.id !== undefined ? { id: item.id } : {}), question: item.question, ...(Array.isArray(a) ? { answers: a } : a) }) + '\n';
        } else {
          out += best === undefined ? `(no answer)\t${JSON.stringify(item.question)}\n` : `${JSON.stringify(best.answer)}\t${best.score.toFixed(4)}\t${best.start}-${best.end}\t${JSON.stringify(item.question)}\n`;
        }
      });
      await writeOut(out);
    }
  } finally {
    await qa.dispose();
  }
}

/** A token classifier's entities per text (ONNX Runtime), grouped by `aggregation`. */
async function loadEntityPredictor(model: string, flags: PredictFlags, opts: { batchSize: number; maxLength?: number }): Promise<{ predict: (texts: string[]) => Promise<Array<Array<TokenEntity | EntityGroup>>>; close: () => Promise<void> }> {
  if (flags.engine === 'torch') throw new LenguaError('a token classifier predicts on ONNX Runtime (a training folder is exported once into the cache): leave out --engine torch', { field: '--engine' });
  if (!AGGREGATION_STRATEGIES.includes(flags.aggregation)) throw new LenguaError(`--aggregation must be one of ${AGGREGATION_STRATEGIES.join(', ')}`, { field: '--aggregation' });
  exportOnTheFly();
  const tagger = await pipeline('token-classification', model, { batchSize: opts.batchSize, ...(opts.maxLength !== undefined ? { maxLength: opts.maxLength } : {}) });
  return { predict: (texts) => tagger(texts, { aggregationStrategy: flags.aggregation }), close: () => tagger.dispose() };
}

/** Loads the model on an engine; `close` frees what it holds (the ONNX Runtime worker). */
async function loadPredictor(model: string, engine: Engine, opts: { topK: number; batchSize: number; maxLength?: number }): Promise<{ predict: Predict; close: () => Promise<void> }> {
  if (engine === 'onnx') {
    exportOnTheFly();
    const classifier = await pipeline('text-classification', model, { batchSize: opts.batchSize, ...(opts.maxLength !== undefined ? { maxLength: opts.maxLength } : {}) });
    const functionToApply = functionFor(classifier.model.config);
    return {
      predict: (texts) => classifier(texts, { topK: opts.topK, functionToApply }),
      close: () => classifier.dispose(),
    };
  }
  const tok = await AutoTokenizer.fromPretrained(model);
  const m = await AutoModelForSequenceClassification.fromPretrained(model);
  return { predict: (texts) => Promise.resolve(predictTexts(m, tok, texts, opts)), close: () => Promise.resolve() };
}

/** Writes, waiting when stdout's buffer is full, so a fast model never piles output up in memory. */
async function writeOut(s: string): Promise<void> {
  if (!process.stdout.write(s)) await new Promise<void>((res) => process.stdout.once('drain', () => res()));
}

/** Streams the input's texts through the model in batches; one JSON line per text (`record` of its prediction), in input order. */
async function predictStream<T>(predict: (texts: string[]) => Promise<T[]>, record: (p: T) => Record<string, unknown>, flags: PredictFlags, opts: { batchSize: number }): Promise<number> {
  const file = flags.input ?? '-';
  const name = file === '-' ? 'stdin' : file;
  const format = flags.format ?? (file === '-' ? 'text' : formatOf(file));
  const maxRecordBytes = intFlag(flags.maxRecordBytes, '--max-record-bytes', 1, 1 << 30);
  const stream = openInput(file);
  stream.on('error', () => undefined); // surfaced by the iteration below
  let batch: InputText[] = [];
  let n = 0;
  const flush = async (): Promise<void> => {
    const preds = await predict(batch.map((b) => b.text));
    let out = '';
    batch.forEach((b, i) => {
      out += JSON.stringify({ line: b.line, ...(b.id !== undefined ? { id: b.id } : {}), text: b.text, ...record(preds[i]!) }) + '\n';
    });
    n += batch.length;
    batch = [];
    await writeOut(out);
  };
  for await (const t of readInputTexts(stream, { format, name, maxRecordBytes, ...(flags.textColumn !== undefined ? { textColumn: flags.textColumn } : {}), ...(flags.idColumn !== undefined ? { idColumn: flags.idColumn } : {}) })) {
    batch.push(t);
    if (batch.length === opts.batchSize) await flush();
  }
  if (batch.length > 0) await flush();
  return n;
}

export function register(program: Command): void {
  program
    .command('predict')
    .description('classify texts with a sequence-classification model folder (prints label and score per text); with a token classifier, print its entities with character offsets; with an extractive QA model, answer the questions from --context')
    .requiredOption('--model <dir>', 'model folder or Hub id (config.json, model.safetensors, tokenizer files)')
    .option('--json', 'print JSON: one array of {label, score} per text, best first')
    .option('--top-k <n>', 'labels to show per text', '1')
    .option('--batch-size <n>', 'texts per forward pass', '32')
    .addOption(new Option('--engine <engine>', 'torch (libtorch) or onnx (ONNX Runtime; a training folder is exported once into the cache). Default: onnx for an exported folder (onnx/model.onnx), torch otherwise').choices(['torch', 'onnx']))
    .option('--max-length <n>', 'truncate inputs to this many tokens (default: what the model allows)')
    .option('--input <file>', 'classify the texts of a file (- for stdin), streamed in batches: one JSON line {line, text, label, score} per text')
    .addOption(new Option('--format <format>', 'input format (default: from the extension; text lines otherwise)').choices(['text', 'jsonl', 'csv', 'tsv']))
    .option('--text-column <name>', 'CSV column or JSON key of the text (default: text, sentence, tweet, content or review)')
    .option('--id-column <name>', 'CSV column or JSON key copied to each output line as "id"')
    .option('--max-record-bytes <n>', 'longest input line or record accepted', String(1 << 20))
    .option('--context <text>', 'question-answering models: the text the questions (the arguments) are answered from')
    .option('--context-file <file>', 'question-answering models: read the context from a file')
    .option('--doc-stride <n>', 'question-answering models: tokens shared by consecutive windows of a long context (default 128)')
    .option('--max-answer-len <n>', 'question-answering models: longest answer in tokens (default 15)')
    .addOption(new Option('--aggregation <strategy>', 'token classifiers: how tokens are grouped into entities (transformers\' aggregation_strategy; none: one entry per token)').choices([...AGGREGATION_STRATEGIES]).default('first'))
    .argument('[text...]', 'texts to classify (or use --input, or pipe lines to stdin)')
    .action(async (texts: string[], flags: PredictFlags) => {
      const topK = intFlag(flags.topK, '--top-k', 1, 1_000_000);
      const batchSize = intFlag(flags.batchSize, '--batch-size', 1, 4096);
      const maxLength = flags.maxLength === undefined ? undefined : intFlag(flags.maxLength, '--max-length', 1, 1_000_000);
      const streaming = flags.input !== undefined || texts.length === 0;
      if (headOf(flags.model) === 'question-answering') return predictAnswers(texts, flags, { topK, batchSize, ...(maxLength !== undefined ? { maxLength } : {}) });
      if (texts.length > 0 && flags.input !== undefined) throw new LenguaError('give texts as arguments or --input FILE, not both', { field: '--input' });
      if (streaming && flags.input === undefined && process.stdin.isTTY) throw new LenguaError('no texts: give them as arguments, with --input FILE, or pipe lines to stdin', { field: 'text' });
      const opts = { topK, batchSize, ...(maxLength !== undefined ? { maxLength } : {}) };
      const head = headOf(flags.model);
      for (const [k, flag] of [['context', '--context'], ['contextFile', '--context-file'], ['docStride', '--doc-stride'], ['maxAnswerLen', '--max-answer-len']] as const) {
        if (flags[k] !== undefined) throw new LenguaError(`${flag} applies to question-answering models`, { field: flag });
      }
      if (head === 'token-classification') return predictEntities(texts, streaming, flags, opts);
      const predictor = await loadPredictor(flags.model, engineFor(flags.model, flags.engine), opts);
      await runPredictor(predictor, texts, streaming, flags, opts, {
        record: (p) => ({ label: p[0]!.label, score: p[0]!.score, ...(topK > 1 ? { predictions: p } : {}) }),
        line: (p, text) => `${p.map((x) => `${x.label}\t${x.score.toFixed(4)}`).join('\t')}\t${JSON.stringify(text)}`,
      });
    });
}

/**
 * Runs a loaded predictor on the texts (or streams --input / stdin through it) and prints the results: one JSON
 * array with --json, else one line per text; the predictor is closed whatever happens.
 */
async function runPredictor<P>(
  predictor: { predict: (texts: string[]) => Promise<P[]>; close: () => Promise<void> }, texts: string[], streaming: boolean, flags: PredictFlags,
  opts: { batchSize: number }, show: { record: (p: P) => Record<string, unknown>; line: (p: P, text: string) => string },
): Promise<void> {
  let preds: P[];
  try {
    if (streaming) {
      const n = await predictStream(predictor.predict, show.record, flags, opts);
      if (n === 0) process.stderr.write('note: the input holds no texts\n');
      return;
    }
    preds = await predictor.predict(texts);
  } finally {
    await predictor.close();
  }
  if (flags.json) {
    process.stdout.write(JSON.stringify(preds) + '\n');
    return;
  }
  preds.forEach((p, i) => process.stdout.write(`${show.line(p, texts[i]!)}\n`));
}

/** A token classifier's entities: one line per text (entities as TYPE start-end "text" score), JSON with --json / --input. */
async function predictEntities(texts: string[], streaming: boolean, flags: PredictFlags, opts: { batchSize: number; maxLength?: number }): Promise<void> {
  await runPredictor(await loadEntityPredictor(flags.model, flags, opts), texts, streaming, flags, opts, {
    record: (entities) => ({ entities }),
    line: (entities, text) => {
      const shown = entities.map((e) => `${'entity' in e ? e.entity : e.entity_group} ${e.start}-${e.end} ${JSON.stringify(text.slice(e.start, e.end))} ${e.score.toFixed(4)}`);
      return `${JSON.stringify(text)}\t${shown.length > 0 ? shown.join('\t') : '(no entities)'}`;
    },
  });
}
