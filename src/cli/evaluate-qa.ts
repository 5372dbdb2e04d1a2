/**
 * `lengua evaluate --model DIR --data FILE.jsonl` for extractive QA models: a *ForQuestionAnswering folder runs on
 * libtorch exactly as `lengua train --task question-answering` evaluates (the same windows, logits and utils_qa
 * post-processing: src/train/qa-trainer.ts); its export (onnx/model.onnx) runs on ONNX Runtime through
 * pipeline('question-answering'), transformers' pipeline semantics with the spans not widened to words: on a context
 * that fits one window both pick the span with the highest start + end logit; over several windows the pipeline
 * ranks spans by per-window softmax probabilities, utils_qa by raw logits, so a few answers may differ.
 * src/eval/qa.ts scores the answers with SQuAD v1.1 (or v2.0 with --version-2-with-negative) exact match and F1. Writes metrics.json and predictions.jsonl (id, question,
 * prediction, answers, em, f1); the test split is guarded and the evaluation recorded as for every evaluation.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LenguaError } from '../errors.js';
import { loadSquadJsonl, type QaExample } from '../data/index.js';
import { readConfigJson, resolveModelDir, type Json } from '../hub/index.js';
import { checkTestDiscipline, inferSplit, recordEvaluation, sha256File } from '../eval/evaluate.js';
import { evaluateQuestionAnswering, summarizeQaResult, type QaAnswerer } from '../eval/qa.js';
import { ONNX_FILES } from '../infer/index.js';
import { ensureWritableDir } from '../util/fs.js';
import { qaSettings, windowLength, type QaFlags, type QaSettings } from './train-qa.js';
import { writeEvaluation, wroteLine } from './evaluation-output.js';

export interface QaFolder {
  dir: string;
  config: Json;
  /** The folder is on disk as given (not a Hub id resolved to a cache), so evaluations are recorded in it. */
  local: boolean;
}

function architecture(config: Json): string | null {
  return Array.isArray(config.architectures) && typeof config.architectures[0] === 'string' ? config.architectures[0] : null;
}

/** The QA folder `--model` names (config.json's architecture is a *ForQuestionAnswering), or null for any other model. */
export async function questionAnsweringFolder(ref: string): Promise<QaFolder | null> {
  if (ref.startsWith('baseline:')) return null;
  const local = existsSync(ref);
  let dir: string;
  if (local) {
    dir = resolve(ref);
  } else {
    try {
      dir = await resolveModelDir(ref, { weights: false });
    } catch {
      return null;
    }
  }
  if (!existsSync(join(dir, 'config.json'))) return null;
  const { json } = readConfigJson(dir);
  const arch = architecture(json);
  return arch !== null && /ForQuestionAnswering$/.test(arch) ? { dir, config: json, local } : null;
}

/** What `lengua evaluate` passes through: its own flags plus the QA flags (`addQaOptions`). */
export interface QaEvaluateFlags extends Pick<QaFlags, 'maxSeqLength' | 'docStride' | 'maxAnswerLength' | 'nBestSize' | 'version2WithNegative' | 'nullScoreDiffThreshold'> {
  model: string;
  data: string;
  split?: string;
  out?: string;
  json?: boolean;
  force?: boolean;
  /** Windows per forward pass. */
  batchSize: number;
  threads?: number;
  /** Default: onnx when the folder holds onnx/model.onnx, else torch. */
  engine?: 'torch' | 'onnx';
}

/** libtorch: the folder's model over every window, answers by utils_qa's post-processing (as the trainer evaluates). */
export async function torchQaAnswerer(dir: string, qa: QaSettings, batchSize: number, threads?: number): Promise<{ answerer: QaAnswerer; maxLength: number }> {
  const torch = await import('../torch/index.js');
  if (threads !== undefined) torch.setNumThreads(threads);
  const { AutoModelForQuestionAnswering } = await import('../models/index.js');
  const { AutoTokenizer } = await import('../text/tokenizer/index.js');
  const { encodeQuestionAnswering, questionAnsweringLogits, answersFromLogits } = await import('../train/index.js');
  const tok = await AutoTokenizer.fromPretrained(dir);
  const model = await AutoModelForQuestionAnswering.fromPretrained(dir);
  model.eval();
  const maxLength = windowLength(qa.maxSeqLength, model.maxInputTokens, tok);
  const answerer: QaAnswerer = (examples: readonly QaExample[]) => {
    const ds = encodeQuestionAnswering(examples, tok, { maxLength, docStride: qa.docStride });
    const logits = questionAnsweringLogits(model, ds.features, batchSize, false);
    return Promise.resolve(answersFromLogits(examples, ds.features, logits, qa));
  };
  return { answerer, maxLength };
}

/** ONNX Runtime: pipeline('question-answering') with the same windows and answer length, one answer per question. */
export async function onnxQaAnswerer(dir: string, qa: QaSettings, batchSize: number, threads?: number): Promise<{ answerer: QaAnswerer; close: () => Promise<void> }> {
  const { pipeline } = await import('../infer/index.js');
  const pipe = await pipeline('question-answering', dir, { batchSize, ...(threads !== undefined ? { numThreads: threads } : {}) });
  const answerer: QaAnswerer = async (examples) => {
    const out = await pipe(examples.map((e) => ({ question: e.question, context: e.context })), {
      maxSeqLen: qa.maxSeqLength, docStride: qa.docStride, maxAnswerLen: qa.maxAnswerLength, handleImpossibleAnswer: qa.version2WithNegative, alignToWords: false, topK: 1,
    });
    return new Map(examples.map((e, i) => {
      const a = out[i]!;
      return [e.id, (Array.isArray(a) ? a[0]! : a).answer];
    }));
  };
  return { answerer, close: () => pipe.dispose() };
}

export async function runEvaluateQuestionAnswering(f: QaEvaluateFlags, m: QaFolder, write: (s: string) => void): Promise<void> {
  const qa = qaSettings(f);
  const examples = loadSquadJsonl(f.data);
  if (examples.length === 0) throw new LenguaError('no questions', { file: f.data });
  const recordDir = m.local ? m.dir : undefined;
  const split = f.split ?? inferSplit(f.data) ?? 'unspecified';
  // Before any prediction: a second look at a test set — by split name or by content — is refused, not merely recorded.
  const earlier = checkTestDiscipline(recordDir, split, { force: f.force === true, dataSha256: sha256File(f.data) });
  const out = resolve(f.out ?? join(recordDir ?? '.', `eval-${split}`));
  ensureWritableDir(out, '--out');
  const exported = existsSync(join(m.dir, ONNX_FILES.fp32));
  const engine = f.engine ?? (exported ? 'onnx' : 'torch');
  if (engine === 'onnx' && !exported) {
    throw new LenguaError(`--engine onnx needs ${ONNX_FILES.fp32}: run \`lengua export --model ${f.model} --out DIR\` and pass --model DIR`, { file: m.dir, field: '--engine' });
  }
  const arch = architecture(m.config) ?? 'question-answering model';
  let maxLength = qa.maxSeqLength;
  let answerer: QaAnswerer;
  let close = (): Promise<void> => Promise.resolve();
  if (engine === 'onnx') {
    ({ answerer, close } = await onnxQaAnswerer(m.dir, qa, f.batchSize, f.threads));
  } else {
    ({ answerer, maxLength } = await torchQaAnswerer(m.local ? m.dir : f.model, qa, f.batchSize, f.threads));
  }
  let result;
  try {
    result = await evaluateQuestionAnswering(answerer, examples, {
      dataFile: f.data,
      ...(f.split !== undefined ? { split: f.split } : {}),
      version2WithNegative: qa.version2WithNegative,
      model: { name: recordDir ?? f.model, kind: engine === 'onnx' ? `${arch} (ONNX export)` : arch, ...(recordDir !== undefined ? { dir: recordDir } : {}) },
      engine: engine === 'onnx' ? 'onnx (ONNX Runtime, question-answering pipeline)' : 'torch (libtorch)',
      settings: { ...qa, maxSeqLength: maxLength, batchSize: f.batchSize },
    });
  } finally {
    await close();
  }
  const summary = summarizeQaResult(result);
  const output = {
    out, summary, split, splitSource: result.splitSource, earlier, json: f.json === true,
    predictions: result.predictions.map((p) => ({ split, ...p })),
    ...(recordDir !== undefined ? { record: () => recordEvaluation(recordDir, result, { forced: earlier !== null, out }) } : {}),
    header: [
      ['model', `${result.model.name} (${result.model.kind}), question answering (SQuAD ${qa.version2WithNegative ? 'v2.0' : 'v1.1'} scoring)`], ['engine', result.engine],
      ['data', `${result.dataFile} (sha256 ${result.dataSha256.slice(0, 16)}…), ${result.n} questions`],
    ] as Array<[string, string]>,
  };
  if (!writeEvaluation(output, write)) return;
  const width = Math.max(...Object.keys(result.metrics).map((k) => k.length));
  for (const [k, v] of Object.entries(result.metrics)) write(`${k.padEnd(width)}  [${split}]  ${Number.isInteger(v) ? v : v.toFixed(4)}\n`);
  write(`windows: ${maxLength} tokens, stride ${qa.docStride}; n-best ${qa.nBestSize}, max answer ${qa.maxAnswerLength} tokens\n`);
  write(wroteLine(output));
}
