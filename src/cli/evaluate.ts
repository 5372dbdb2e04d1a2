/**
 * `lengua evaluate --model DIR|baseline:DIR --data FILE`: scores a classifier on labelled data, or an
 * encoder-decoder (T5, BART, Marian: translation, summarization) on source → reference pairs, and writes
 * metrics.json, predictions.jsonl and a self-contained report.html; prints every metric with its split.
 * An encoder-decoder folder runs on libtorch, its export (onnx/encoder_model.onnx + decoder_model_merged.onnx)
 * on ONNX Runtime; both through the same search, so both give the same texts. A token classifier (NER) is scored
 * on a CoNLL file at the entity level (src/cli/evaluate-token.ts), an extractive QA model on SQuAD JSONL with SQuAD
 * exact match and F1 (src/cli/evaluate-qa.ts).
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { LenguaError } from '../errors.js';
import { loadDataset, loadSeq2SeqData } from '../data/index.js';
import { readConfigJson, resolveModelDir, type Json } from '../hub/index.js';
import { modelGenerationOptions, resolveGenerationConfig, type GenerationConfig, type GenerationOptions } from '../generation/index.js';
import { loadClassifier } from '../eval/classifier.js';
import { checkTestDiscipline, evaluateClassifier, hashDataset, inferSplit, recordEvaluation, sha256File, summarizeResult } from '../eval/evaluate.js';
import { evaluateSeq2Seq, isEncoderDecoderConfig, SEQ2SEQ_EVAL_TASKS, summarizeSeq2Seq, type Seq2SeqEvalTask, type Seq2SeqGenerator } from '../eval/seq2seq.js';
import { renderReport } from '../eval/report/index.js';
import { renderSeq2SeqReport } from '../eval/report/seq2seq.js';
import { DECODER_FILE, ENCODER_FILE, TextGenerationPipeline } from '../infer/generation/index.js';
import { ensureWritableDir } from '../util/fs.js';
import { addDataOptions, dataLoadOptions, type DataFlags, intFlag } from './options.js';
import { runEvaluateTokenClassification, tokenClassifierFolder, type TokenClassifierFolder } from './evaluate-token.js';
import { questionAnsweringFolder, runEvaluateQuestionAnswering } from './evaluate-qa.js';
import { addQaOptions, QA_FLAGS, type QaFlags } from './train-qa.js';
import { writeEvaluation, wroteLine } from './evaluation-output.js';

interface EvaluateFlags extends DataFlags, Pick<QaFlags, 'maxSeqLength' | 'docStride' | 'maxAnswerLength' | 'nBestSize' | 'version2WithNegative' | 'nullScoreDiffThreshold'> {
  model: string;
  data: string;
  split?: string;
  out?: string;
  json?: boolean;
  force?: boolean;
  labelMap: 'name' | 'id';
  topErrors: string;
  trainingLog?: string;
  title?: string;
  batchSize: string;
  maxLength?: string;
  // Encoder-decoders (translation, summarization):
  task?: Seq2SeqEvalTask;
  sourceLang?: string;
  targetLang?: string;
  sourceColumn?: string;
  targetColumn?: string;
  sourcePrefix?: string;
  numBeams?: string;
  maxNewTokens?: string;
  engine?: 'torch' | 'onnx';
  threads?: string;
  // Token classifiers (CoNLL data):
  scheme?: 'IOB1' | 'IOB2';
}


/** The training log to draw learning curves from: given, or log.jsonl in the model folder or (for a checkpoint) its parent. */
function findTrainingLog(given: string | undefined, modelDir: string | undefined): string | undefined {
  if (given !== undefined) {
    if (!existsSync(given)) throw new LenguaError('training log not found', { file: given, field: '--training-log' });
    return given;
  }
  if (modelDir === undefined) return undefined;
  for (const p of [join(modelDir, 'log.jsonl'), ...(/^checkpoint-\d+$/.test(basename(modelDir)) ? [join(dirname(modelDir), 'log.jsonl')] : [])]) {
    if (existsSync(p)) return p;
  }
  return undefined;
}

const SPLIT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Flags only an encoder-decoder evaluation reads (with their spelling, for messages). */
const SEQ2SEQ_FLAGS: Array<[keyof EvaluateFlags, string]> = [
  ['sourceLang', '--source-lang'], ['targetLang', '--target-lang'], ['sourceColumn', '--source-column'], ['targetColumn', '--target-column'],
  ['sourcePrefix', '--source-prefix'], ['numBeams', '--num-beams'], ['maxNewTokens', '--max-new-tokens'], ['engine', '--engine'], ['threads', '--threads'],
];

/** Classifier data flags that mean nothing for source → target pairs (pairs are named by the --source- and --target- flags). */
const CLASSIFIER_DATA_FLAGS: Array<[keyof EvaluateFlags, string]> = [
  ['format', '--format'], ['textColumn', '--text-column'], ['textPairColumn', '--text-pair-column'], ['labelColumn', '--label-column'],
  ['idColumn', '--id-column'], ['labels', '--labels'], ['mapping', '--mapping'],
];

interface EncoderDecoder {
  dir: string;
  config: Json;
  /** The folder is on disk as given (not a Hub id resolved to a cache), so evaluations are recorded in it. */
  local: boolean;
}

/**
 * The encoder-decoder folder `--model` names, or null for a classifier. A folder whose config.json is a T5, BART or
 * Marian (or a *ForConditionalGeneration) is one; `--task` asks for one and refuses anything else by name.
 */
async function encoderDecoderFolder(flags: EvaluateFlags): Promise<EncoderDecoder | null> {
  const ref = flags.model;
  const task = flags.task;
  if (ref.startsWith('baseline:')) {
    if (task !== undefined) throw new LenguaError(`--task ${task} evaluates encoder-decoders (T5, BART, Marian); ${ref} is a TF-IDF baseline classifier: leave out --task to score it`, { field: '--task' });
    return null;
  }
  const local = existsSync(ref);
  if (!local && task === undefined) return null;
  const dir = local ? resolve(ref) : await resolveModelDir(ref, { weights: false });
  if (!existsSync(join(dir, 'config.json'))) {
    if (task !== undefined) throw new LenguaError(`--task ${task} needs an encoder-decoder model folder (config.json of a T5, BART or Marian); there is no config.json`, { file: dir, field: '--task' });
    return null;
  }
  const { json, file } = readConfigJson(dir);
  if (isEncoderDecoderConfig(json)) return { dir, config: json, local };
  if (task !== undefined) {
    const arch = Array.isArray(json.architectures) && typeof json.architectures[0] === 'string' ? json.architectures[0] : null;
    const what = `${arch ?? 'a model'} (model_type ${JSON.stringify(json.model_type)})`;
    const classifier = arch !== null && /For(Sequence|Token)Classification$/.test(arch);
    throw new LenguaError(
      `--task ${task} evaluates encoder-decoders (T5, BART, Marian: *ForConditionalGeneration); this folder holds ${what}` +
        (classifier ? ', a classifier: leave out --task (and the --source/--target flags) to score it on labelled data' : ''),
      { file, field: '--task' },
    );
  }
  return null;
}

/** What the user asked the search for, over the model's own defaults. */
function generationFlags(flags: EvaluateFlags, model: GenerationOptions): GenerationOptions {
  const maxNewTokens = flags.maxNewTokens === undefined ? undefined : intFlag(flags.maxNewTokens, '--max-new-tokens', 1, 100_000);
  const maxLength = flags.maxLength === undefined ? undefined : intFlag(flags.maxLength, '--max-length', 2, 100_000);
  if (maxNewTokens !== undefined && maxLength !== undefined) throw new LenguaError('give --max-new-tokens or --max-length, not both', { field: '--max-length' });
  const numBeams = flags.numBeams === undefined ? undefined : intFlag(flags.numBeams, '--num-beams', 1, 64);
  // transformers' GenerationConfig default (max_length 20) cuts most summaries and many translations short;
  // run_translation.py / run_summarization.py generate up to val_max_target_length (128) instead.
  const modelSetsLength = model.maxLength !== undefined || model.maxNewTokens !== undefined;
  return {
    ...(maxNewTokens === undefined && maxLength === undefined && !modelSetsLength ? { maxLength: 128 } : {}),
    ...(maxNewTokens !== undefined ? { maxNewTokens } : {}),
    ...(maxLength !== undefined ? { maxLength } : {}),
    ...(numBeams !== undefined ? { numBeams } : {}),
    // One text per source is scored, whatever the model's own config says.
    numReturnSequences: 1,
  };
}

/** The settings recorded in metrics.json and the report: what decides the texts. */
function recordedSettings(c: GenerationConfig, sourceMaxTokens: number | null): Record<string, unknown> {
  return {
    maxLength: c.maxNewTokens === null ? c.maxLength : null,
    maxNewTokens: c.maxNewTokens,
    minLength: c.minLength,
    minNewTokens: c.minNewTokens,
    numBeams: c.numBeams,
    lengthPenalty: c.lengthPenalty,
    earlyStopping: c.earlyStopping,
    noRepeatNgramSize: c.noRepeatNgramSize,
    repetitionPenalty: c.repetitionPenalty,
    doSample: c.doSample,
    ...(c.doSample ? { temperature: c.temperature, topK: c.topK, topP: c.topP, seed: c.seed } : {}),
    decoderStartTokenId: c.decoderStartTokenId,
    eosTokenIds: c.eosTokenIds,
    forcedBosTokenId: c.forcedBosTokenId,
    forcedEosTokenId: c.forcedEosTokenId,
    sourceMaxTokens,
  };
}

async function runEvaluateSeq2Seq(flags: EvaluateFlags, m: EncoderDecoder, write: (s: string) => void): Promise<void> {
  const given = CLASSIFIER_DATA_FLAGS.filter(([k]) => flags[k] !== undefined).map(([, f]) => f);
  if (flags.header === false) given.push('--no-header');
  if (flags.labelMap === 'id') given.push('--label-map');
  if (given.length > 0) {
    throw new LenguaError(`${given.join(', ')} apply to classifiers; ${flags.model} is an encoder-decoder: name the data's sides with --source-lang/--target-lang or --source-column/--target-column`, { field: given[0]! });
  }
  const task: Seq2SeqEvalTask = flags.task ?? 'text2text-generation';
  const examples = intFlag(flags.topErrors, '--top-errors', 0, 100_000);
  const batchSize = intFlag(flags.batchSize, '--batch-size', 1, 1024);
  const threads = flags.threads === undefined ? undefined : intFlag(flags.threads, '--threads', 1, 1024);
  if (flags.split !== undefined && !SPLIT_NAME.test(flags.split)) {
    throw new LenguaError(`--split must be a short name (letters, digits, _ . -), got ${JSON.stringify(flags.split)}`, { field: '--split' });
  }
  const inferred = inferSplit(flags.data);
  const split = flags.split ?? inferred ?? 'unspecified';
  const data = loadSeq2SeqData(flags.data, {
    ...(flags.sourceLang !== undefined ? { sourceLang: flags.sourceLang } : {}),
    ...(flags.targetLang !== undefined ? { targetLang: flags.targetLang } : {}),
    ...(flags.sourceColumn !== undefined ? { sourceColumn: flags.sourceColumn } : {}),
    ...(flags.targetColumn !== undefined ? { targetColumn: flags.targetColumn } : {}),
    encoding: flags.encoding,
  });
  const recordDir = m.local ? m.dir : undefined;
  // Before any generation: a second look at a test set — by split name or by content — is refused, not merely recorded.
  const earlier = checkTestDiscipline(recordDir, split, { force: flags.force === true, dataSha256: sha256File(flags.data) });
  const exported = existsSync(join(m.dir, DECODER_FILE)) && existsSync(join(m.dir, ENCODER_FILE));
  const engine = flags.engine ?? (exported ? 'onnx' : 'torch');
  if (engine === 'onnx' && !exported) {
    throw new LenguaError(`--engine onnx needs ${ENCODER_FILE} and ${DECODER_FILE}: run \`lengua export --model ${flags.model} --out DIR\` and pass --model DIR`, { file: m.dir, field: '--engine' });
  }
  const out = resolve(flags.out ?? join(recordDir ?? '.', `eval-${split}`));
  ensureWritableDir(out, '--out');
  const trainingLog = findTrainingLog(flags.trainingLog, recordDir);
  const modelOptions = modelGenerationOptions(m.dir, m.config);
  const options = generationFlags(flags, modelOptions);
  const config = resolveGenerationConfig(modelOptions, options);
  const { AutoTokenizer } = await import('../text/tokenizer/index.js');
  const tok = await AutoTokenizer.fromPretrained(m.dir);
  const sourceMaxTokens = tok.hasModelMaxLength ? tok.modelMaxLength : null;
  const arch = Array.isArray(m.config.architectures) && typeof m.config.architectures[0] === 'string' ? m.config.architectures[0] : String(m.config.model_type);
  let generator: Seq2SeqGenerator;
  let dispose = async (): Promise<void> => {};
  if (engine === 'onnx') {
    // The worker behind Text2TextGenerationPipeline, asked for rows: their ids give gen_len.
    const pipe = await TextGenerationPipeline.open(m.dir, threads !== undefined ? { numThreads: threads } : {}, 'seq2seq');
    generator = async (sources) => (await pipe.generateRows(sources, options)).map((r) => ({ text: r.text, ids: r.generatedIds, finishReason: r.finishReason }));
    dispose = () => pipe.dispose();
  } else {
    const torch = await import('../torch/index.js');
    if (threads !== undefined) torch.setNumThreads(threads);
    const { torchSeq2SeqGenerator } = await import('../eval/seq2seq-torch.js');
    // A Hub id was resolved without weights (to read its config): fromPretrained resolves it again with them.
    generator = (await torchSeq2SeqGenerator(m.local ? m.dir : flags.model, config)).generator;
  }
  let result;
  try {
    result = await evaluateSeq2Seq(generator, data, {
      task,
      ...(flags.split !== undefined ? { split: flags.split } : {}),
      ...(flags.sourcePrefix !== undefined ? { sourcePrefix: flags.sourcePrefix } : {}),
      batchSize,
      padTokenId: config.padTokenId ?? (typeof m.config.pad_token_id === 'number' ? m.config.pad_token_id : null),
      model: { name: recordDir ?? flags.model, kind: engine === 'onnx' ? `${arch} (ONNX export)` : arch, ...(recordDir !== undefined ? { dir: recordDir } : {}) },
      engine: engine === 'onnx' ? 'onnx (ONNX Runtime)' : 'torch (libtorch)',
      generation: recordedSettings(config, sourceMaxTokens),
    });
  } finally {
    await dispose();
  }
  const summary = summarizeSeq2Seq(result);
  const output = {
    out, summary, split, splitSource: result.splitSource, earlier, json: flags.json === true, warnings: result.warnings,
    predictions: result.predictions.map((p) => ({ split, index: p.index, line: p.line, source: p.source, prediction: p.prediction, references: p.references, scores: p.scores, gen_len: p.genLen, ...(p.finishReason !== undefined ? { finish_reason: p.finishReason } : {}) })),
    report: renderSeq2SeqReport(result, { examples, ...(flags.title !== undefined ? { title: flags.title } : {}), ...(trainingLog !== undefined ? { trainingLog } : {}) }),
    ...(recordDir !== undefined ? { record: () => recordEvaluation(recordDir, result, { forced: earlier !== null, out }) } : {}),
    header: [
      ['model', `${result.model.name} (${result.model.kind}), ${task}`], ['engine', result.engine],
      ['data', `${result.dataFile} (sha256 ${result.dataSha256.slice(0, 16)}…), ${result.sourceField} → ${result.targetField}, n = ${result.n}`],
    ] as Array<[string, string]>,
  };
  if (!writeEvaluation(output, write)) return;
  const width = Math.max(...Object.keys(result.metrics).map((k) => k.length));
  for (const [k, v] of Object.entries(result.metrics)) write(`${k.padEnd(width)}  [${split}]  ${v.toFixed(4)}\n`);
  const g = result.generation;
  write(`generation: ${g.maxNewTokens !== null ? `max_new_tokens ${String(g.maxNewTokens)}` : `max_length ${String(g.maxLength)}`}, num_beams ${String(g.numBeams)}${flags.sourcePrefix !== undefined ? `, source prefix ${JSON.stringify(flags.sourcePrefix)}` : ''}\n`);
  write(wroteLine(output));
}

/** Flags a token-classification evaluation does not read: the classifier's column flags and the generation flags. */
const NOT_TOKEN_FLAGS: Array<[keyof EvaluateFlags, string]> = [
  ...CLASSIFIER_DATA_FLAGS.filter(([k]) => k !== 'format'),
  ...SEQ2SEQ_FLAGS.filter(([k]) => k !== 'engine' && k !== 'threads'),
];

async function runEvaluateToken(flags: EvaluateFlags, m: TokenClassifierFolder, write: (s: string) => void): Promise<void> {
  const given = NOT_TOKEN_FLAGS.filter(([k]) => flags[k] !== undefined).map(([, f]) => f);
  if (flags.header === false) given.push('--no-header');
  if (flags.labelMap === 'id') given.push('--label-map');
  if (given.length > 0) throw new LenguaError(`${given.join(', ')} do not apply to a token classifier (${flags.model}), which reads CoNLL files`, { field: given[0]! });
  if (flags.split !== undefined && !SPLIT_NAME.test(flags.split)) {
    throw new LenguaError(`--split must be a short name (letters, digits, _ . -), got ${JSON.stringify(flags.split)}`, { field: '--split' });
  }
  const maxLength = flags.maxLength === undefined ? undefined : intFlag(flags.maxLength, '--max-length', 2, 1_000_000);
  const threads = flags.threads === undefined ? undefined : intFlag(flags.threads, '--threads', 1, 1024);
  const trainingLog = findTrainingLog(flags.trainingLog, m.local ? m.dir : undefined);
  return runEvaluateTokenClassification({
    model: flags.model,
    data: flags.data,
    ...(flags.split !== undefined ? { split: flags.split } : {}),
    ...(flags.out !== undefined ? { out: flags.out } : {}),
    json: flags.json === true,
    force: flags.force === true,
    ...(flags.title !== undefined ? { title: flags.title } : {}),
    ...(trainingLog !== undefined ? { trainingLog } : {}),
    examples: intFlag(flags.topErrors, '--top-errors', 0, 100_000),
    batchSize: intFlag(flags.batchSize, '--batch-size', 1, 4096),
    ...(maxLength !== undefined ? { maxLength } : {}),
    ...(threads !== undefined ? { threads } : {}),
    ...(flags.engine !== undefined ? { engine: flags.engine } : {}),
    ...(flags.scheme !== undefined ? { scheme: flags.scheme } : {}),
    ...(flags.format !== undefined ? { format: flags.format } : {}),
    encoding: flags.encoding,
  }, m, write);
}

export async function runEvaluate(flags: EvaluateFlags, write: (s: string) => void): Promise<void> {
  // An extractive QA folder (*ForQuestionAnswering) is scored on SQuAD JSONL: src/cli/evaluate-qa.ts.
  const qa = flags.task === undefined ? await questionAnsweringFolder(flags.model) : null;
  if (qa !== null) {
    if (flags.maxLength !== undefined) throw new LenguaError('--max-length: a question-answering model takes --max-seq-length (tokens per window)', { field: '--max-length' });
    const threads = flags.threads === undefined ? undefined : intFlag(flags.threads, '--threads', 1, 1024);
    const { threads: _t, json, force, batchSize, engine, ...rest } = flags;
    return runEvaluateQuestionAnswering({ ...rest, json: json === true, force: force === true, batchSize: intFlag(batchSize, '--batch-size', 1, 4096), ...(threads !== undefined ? { threads } : {}), ...(engine !== undefined ? { engine } : {}) }, qa, write);
  }
  const qaGiven = QA_FLAGS.filter(([k]) => (flags as unknown as Record<string, unknown>)[k] !== undefined).map(([, f]) => f);
  if (qaGiven.length > 0) throw new LenguaError(`${qaGiven.join(', ')} apply to question-answering models (*ForQuestionAnswering); ${flags.model} is not one`, { field: qaGiven[0]! });
  const token = flags.task === undefined ? await tokenClassifierFolder(flags.model, flags.data, flags.format) : null;
  if (token !== null) return runEvaluateToken(flags, token, write);
  if (flags.scheme !== undefined) throw new LenguaError(`--scheme applies to token classifiers scored on CoNLL files; ${flags.model} is not one`, { field: '--scheme' });
  const seq2seq = await encoderDecoderFolder(flags);
  if (seq2seq !== null) return runEvaluateSeq2Seq(flags, seq2seq, write);
  const given = SEQ2SEQ_FLAGS.filter(([k]) => flags[k] !== undefined).map(([, f]) => f);
  if (given.length > 0) throw new LenguaError(`${given.join(', ')} apply to encoder-decoders (T5, BART, Marian); ${flags.model} is scored as a classifier`, { field: given[0]! });
  const topErrors = intFlag(flags.topErrors, '--top-errors', 0, 100_000);
  const batchSize = intFlag(flags.batchSize, '--batch-size', 1, 4096);
  const maxLength = flags.maxLength === undefined ? undefined : intFlag(flags.maxLength, '--max-length', 1, 1_000_000);
  if (flags.split !== undefined && !SPLIT_NAME.test(flags.split)) {
    throw new LenguaError(`--split must be a short name (letters, digits, _ . -), got ${JSON.stringify(flags.split)}`, { field: '--split' });
  }
  const inferred = inferSplit(flags.data);
  const split = flags.split ?? inferred ?? 'unspecified';
  const clf = await loadClassifier(flags.model, { batchSize, ...(maxLength !== undefined ? { maxLength } : {}) });
  const ds = loadDataset(flags.data, dataLoadOptions(flags, { requireLabel: true }));
  // Before any prediction: a second look at a test set — by split name or by content — is refused, not merely recorded.
  const earlier = checkTestDiscipline(clf.dir, split, { force: flags.force === true, dataSha256: hashDataset(ds).dataSha256 });
  const out = resolve(flags.out ?? join(clf.dir ?? '.', `eval-${split}`));
  ensureWritableDir(out, '--out');
  const trainingLog = findTrainingLog(flags.trainingLog, clf.dir);
  const result = await evaluateClassifier(clf, ds, {
    split,
    labelMap: flags.labelMap,
    topErrors,
    ...(trainingLog !== undefined ? { trainingLog } : {}),
  });
  if (flags.split === undefined) result.splitSource = inferred !== null ? 'file name' : 'unknown';
  const summary = summarizeResult(result);
  const dir = clf.dir;
  const output = {
    out, summary, split, splitSource: result.splitSource, earlier, json: flags.json === true,
    predictions: result.predictions.map((p) => ({ split, ...p })),
    report: renderReport(result, { ...(flags.title !== undefined ? { title: flags.title } : {}) }),
    ...(dir !== undefined ? { record: () => recordEvaluation(dir, result, { forced: earlier !== null, out }) } : {}),
    header: [['model', `${result.model.name} (${result.model.kind})`], ['data', `${result.dataFile} (sha256 ${result.dataSha256.slice(0, 16)}…), n = ${result.n}`]] as Array<[string, string]>,
  };
  if (!writeEvaluation(output, write)) return;
  const width = Math.max(...Object.keys(result.metrics).map((k) => k.length));
  for (const [k, v] of Object.entries(result.metrics)) {
    write(`${k.padEnd(width)}  [${split}]  ${v === null ? 'undefined' : v.toFixed(4)}\n`);
  }
  write(wroteLine(output));
}

export function register(program: Command): void {
  const cmd = program
    .command('evaluate')
    .description(
      'score a classifier (transformer folder or baseline:DIR) on labelled data, a token classifier (NER; folder: libtorch, its export: ONNX Runtime) on a CoNLL file ' +
        '(entity-level precision/recall/F1 per type, token accuracy), or an encoder-decoder (T5, BART, Marian folder: libtorch; its export: ONNX Runtime) ' +
        'on source → reference pairs (BLEU + chrF for translation, ROUGE-1/2/L/Lsum for summarization): metrics.json, predictions.jsonl and report.html',
    )
    .requiredOption('--model <dir>', 'a sequence-classification folder, baseline:DIR for a TF-IDF baseline folder, a token-classification folder, or a T5/BART/Marian folder; or the ONNX export of one')
    .requiredOption('--data <file>', 'labelled data (csv, tsv, jsonl, json, or X_text.txt with X_labels.txt); for a token classifier, a CoNLL file (.conll, .iob, .bio or --format conll); for an encoder-decoder, pairs (jsonl, json, csv, tsv) with an optional references list')
    .addOption(new Option('--task <task>', 'encoder-decoders: which scores (translation: BLEU, chrF; summarization: ROUGE; text2text-generation: all; default for a T5/BART/Marian folder: text2text-generation)').choices([...SEQ2SEQ_EVAL_TASKS]))
    .option('--source-lang <lang>', 'encoder-decoders: the source language of {"translation": {...}} records')
    .option('--target-lang <lang>', 'encoder-decoders: the target language of {"translation": {...}} records')
    .option('--source-column <column>', 'encoder-decoders: the source column (default: document, source, src, text, article or input)')
    .option('--target-column <column>', 'encoder-decoders: the reference column (default: summary, target, tgt, highlights or output)')
    .option('--source-prefix <text>', 'encoder-decoders: prepended to every source (T5\'s task prefix, as given to lengua train)')
    .option('--num-beams <n>', 'encoder-decoders: beam search with n beams (default: the model\'s generation config, else greedy)')
    .option('--max-new-tokens <n>', 'encoder-decoders: tokens to generate at most (default: the model\'s generation config, else --max-length 128)')
    .addOption(new Option('--engine <engine>', 'encoder-decoders, token classifiers and question-answering models: torch or onnx (default: onnx for an exported folder, else torch)').choices(['torch', 'onnx']))
    .option('--threads <n>', 'encoder-decoders and token classifiers: libtorch / ONNX Runtime threads (ONNX default: $LENGUA_NUM_THREADS, else 2)')
    .addOption(new Option('--scheme <scheme>', 'token classifiers: the CoNLL file\'s tag scheme (default: detected); IOB1 is converted to IOB2, as training does').choices(['IOB2', 'IOB1']))
    .option('--split <name>', 'which split the data is: train, validation, test, ... (default: from the file name: test*, val*/dev*, train*)')
    .option('--out <dir>', 'output folder (default: <model>/eval-<split>)')
    .option('--json', 'print the metrics JSON instead of a table')
    .option('--force', 'evaluate a test split again although this model was already evaluated on one (recorded as forced)')
    .addOption(new Option('--label-map <mode>', "how data labels meet the model's: by name, or by id (the data's label order = the model's ids)").choices(['name', 'id']).default('name'))
    .option('--top-errors <n>', 'most confident errors to keep in the report (encoder-decoders: worst and best examples shown; token classifiers: sentences with the most entity errors)', '20')
    .option('--training-log <file>', 'log.jsonl of the training run for learning curves (default: log.jsonl in the model folder or its parent for a checkpoint)')
    .option('--title <text>', 'report title')
    .option('--batch-size <n>', 'texts per forward pass (transformers; encoder-decoders: sources per generate call, at most 1024)', '32')
    .option('--max-length <n>', 'classifiers: truncate inputs to this many tokens; encoder-decoders: generation max_length (decoder start included), instead of --max-new-tokens');
  addQaOptions(cmd);
  addDataOptions(cmd, { parallelFiles: true, extraFormats: ['conll'] });
  cmd.action(async (flags: EvaluateFlags) => {
    await runEvaluate(flags, (s) => process.stdout.write(s));
  });
}
