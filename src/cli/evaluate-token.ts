/**
 * `lengua evaluate --model DIR --data FILE.conll` for token classifiers (NER): a *ForTokenClassification folder runs
 * on libtorch, its export (onnx/model.onnx) on ONNX Runtime through the token-classification pipeline; both give one
 * tag per word (the label of the word's first subword) for src/eval/token-classification.ts to score. Writes
 * metrics.json, predictions.jsonl (per sentence: words, gold and predicted tags, entities as character spans of the
 * words joined with single spaces) and report.html; the test split is guarded as for every evaluation.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LenguaError } from '../errors.js';
import { loadConll, type TagScheme } from '../data/index.js';
import { readConfigJson, resolveModelDir, type Json } from '../hub/index.js';
import { checkTestDiscipline, recordEvaluation, sha256File } from '../eval/evaluate.js';
import {
  checkGoldTags, evaluateTokenClassification, firstTokenTags, inferTokenSplit, summarizeTokenResult, tokenPredictionRecord, wordOffsets, type WordTagger,
} from '../eval/token-classification.js';
import { renderTokenReport } from '../eval/token-report.js';
import { ONNX_FILES } from '../infer/index.js';
import { ensureWritableDir } from '../util/fs.js';
import { CONLL_EXTENSIONS, isConllFile } from './train-token.js';
import { writeEvaluation, wroteLine } from './evaluation-output.js';

export interface TokenClassifierFolder {
  dir: string;
  config: Json;
  /** The folder is on disk as given (not a Hub id resolved to a cache), so evaluations are recorded in it. */
  local: boolean;
}

function architecture(config: Json): string | null {
  return Array.isArray(config.architectures) && typeof config.architectures[0] === 'string' ? config.architectures[0] : null;
}

/**
 * The token-classification folder `--model` names (config.json's architecture is a *ForTokenClassification), or
 * null for any other model. CoNLL data (`--format conll` or a .conll/.iob/.bio file) is only for token classifiers:
 * with it, any other model is refused by name.
 */
export async function tokenClassifierFolder(ref: string, data: string, format: string | undefined): Promise<TokenClassifierFolder | null> {
  const conll = isConllFile(data, format);
  const refuse = (what: string, file?: string): never => {
    throw new LenguaError(`--data is a CoNLL file, which scores token classifiers (*ForTokenClassification); ${what}`, { ...(file !== undefined ? { file } : {}), field: '--model' });
  };
  if (ref.startsWith('baseline:')) return conll ? refuse(`${ref} is a TF-IDF baseline classifier`) : null;
  const local = existsSync(ref);
  if (!local && !conll) return null;
  const dir = local ? resolve(ref) : await resolveModelDir(ref, { weights: false });
  if (!existsSync(join(dir, 'config.json'))) return conll ? refuse('this folder has no config.json', dir) : null;
  const { json, file } = readConfigJson(dir);
  const arch = architecture(json);
  if (arch !== null && /ForTokenClassification$/.test(arch)) return { dir, config: json, local };
  return conll ? refuse(`this folder holds ${arch ?? `a model_type ${JSON.stringify(json.model_type)} model without architectures`}`, file) : null;
}

/** What runEvaluate has already parsed and checked for this path. */
export interface TokenEvaluateSettings {
  model: string;
  data: string;
  split?: string;
  out?: string;
  json: boolean;
  force: boolean;
  title?: string;
  trainingLog?: string;
  /** Sentences with errors shown in the report. */
  examples: number;
  batchSize: number;
  maxLength?: number;
  threads?: number;
  engine?: 'torch' | 'onnx';
  scheme?: TagScheme;
  format?: string;
  encoding: 'utf8' | 'latin1';
}

export interface Tagger {
  tagger: WordTagger;
  labels: string[];
  close: () => Promise<void>;
}

function labelList(id2label: Record<string | number, string>, file: string): string[] {
  const ids = Object.keys(id2label).map(Number).sort((a, b) => a - b);
  if (ids.length === 0 || ids.some((k, i) => k !== i)) throw new LenguaError(`id2label must have the ids 0..n-1, got ${ids.join(', ')}`, { file, field: 'id2label' });
  return ids.map((k) => id2label[k]!);
}

/** What a tagger reads of the settings. */
export type TaggerSettings = Pick<TokenEvaluateSettings, 'batchSize' | 'maxLength' | 'threads'>;

/** libtorch: the words encoded as training encodes them (pre-split words, first subword labelled), argmax per word. */
export async function torchWordTagger(dir: string, s: TaggerSettings): Promise<Tagger> {
  const torch = await import('../torch/index.js');
  if (s.threads !== undefined) torch.setNumThreads(s.threads);
  const { AutoModelForTokenClassification } = await import('../models/index.js');
  const { AutoTokenizer } = await import('../text/tokenizer/index.js');
  const { encodeTokenClassification, collateTokenClassification, wordTags } = await import('../train/index.js');
  const tok = await AutoTokenizer.fromPretrained(dir);
  const model = await AutoModelForTokenClassification.fromPretrained(dir);
  model.eval();
  const labels = labelList(model.config.id2label, join(dir, 'config.json'));
  const maxLength = Math.min(s.maxLength ?? Infinity, model.maxInputTokens, tok.modelMaxLength > 0 ? tok.modelMaxLength : Infinity);
  const tagger: WordTagger = (sentences) => {
    const ds = encodeTokenClassification(sentences.map((tokens) => ({ tokens })), tok, labels, { maxLength });
    const tags: string[][] = [];
    torch.noGrad(() => {
      for (let i = 0; i < sentences.length; i += s.batchSize) {
        const indices = Array.from({ length: Math.min(s.batchSize, sentences.length - i) }, (_, j) => i + j);
        torch.tidy(() => {
          const b = collateTokenClassification(ds, indices);
          const { logits } = model.forward({ inputIds: b.inputIds, attentionMask: b.attentionMask });
          const rows = logits.argmax(-1).toArray() as number[][];
          indices.forEach((ex, r) => tags.push(wordTags(ds, ex, rows[r]!)));
        });
      }
    });
    return Promise.resolve({ tags, droppedWords: ds.droppedWords });
  };
  return { tagger, labels, close: () => Promise.resolve() };
}

/**
 * ONNX Runtime: the token-classification pipeline on each sentence's text, one label per token with its offsets;
 * each word takes its first token's label. The text starts with a space so that every word, the first included,
 * is tokenized after a space, as training encodes pre-split words (a byte-level BPE's first token would otherwise
 * differ; WordPiece drops the space).
 */
export async function onnxWordTagger(dir: string, s: TaggerSettings): Promise<Tagger> {
  const { pipeline } = await import('../infer/index.js');
  const pipe = await pipeline('token-classification', dir, {
    batchSize: s.batchSize,
    ...(s.threads !== undefined ? { numThreads: s.threads } : {}),
    ...(s.maxLength !== undefined ? { maxLength: s.maxLength } : {}),
  });
  try {
    const config = pipe.model.config as { id2label?: Record<string, string> };
    const labels = labelList(config.id2label ?? {}, join(dir, 'config.json'));
    const tagger: WordTagger = async (sentences) => {
      const out = await pipe(sentences.map((w) => ` ${w.join(' ')}`), { aggregationStrategy: 'none', ignoreLabels: [] });
      let droppedWords = 0;
      const tags = sentences.map((words, i) => {
        const spans = wordOffsets(words).map(([a, b]) => [a + 1, b + 1] as const);
        const r = firstTokenTags(spans, out[i]!.map((t) => ({ start: t.start, label: 'entity' in t ? t.entity : t.entity_group })));
        droppedWords += r.dropped;
        return r.tags;
      });
      return { tags, droppedWords };
    };
    return { tagger, labels, close: () => pipe.dispose() };
  } catch (err) {
    await pipe.dispose();
    throw err;
  }
}

export async function runEvaluateTokenClassification(s: TokenEvaluateSettings, m: TokenClassifierFolder, write: (s: string) => void): Promise<void> {
  if (!isConllFile(s.data, s.format)) {
    throw new LenguaError(`${s.model} is a token classifier: --data must be a CoNLL file (one "token … tag" per line; a ${CONLL_EXTENSIONS.join(', ')} extension or --format conll)`, { file: s.data, field: '--data' });
  }
  const data = loadConll(s.data, { encoding: s.encoding, ...(s.scheme !== undefined ? { scheme: s.scheme } : {}) });
  if (data.sentences.length === 0) throw new LenguaError('no sentences', { file: s.data });
  // Gold tags against config.json's labels before any engine loads: a bad file fails at once, naming its line.
  checkGoldTags(data, labelList((m.config.id2label ?? {}) as Record<string, string>, join(m.dir, 'config.json')));
  const inferred = inferTokenSplit(s.data);
  const split = s.split ?? inferred ?? 'unspecified';
  const recordDir = m.local ? m.dir : undefined;
  // Before any prediction: a second look at a test set — by split name or by content — is refused, not merely recorded.
  const earlier = checkTestDiscipline(recordDir, split, { force: s.force, dataSha256: sha256File(s.data) });
  const exported = existsSync(join(m.dir, ONNX_FILES.fp32));
  const engine = s.engine ?? (exported ? 'onnx' : 'torch');
  if (engine === 'onnx' && !exported) {
    throw new LenguaError(`--engine onnx needs ${ONNX_FILES.fp32}: run \`lengua export --model ${s.model} --out DIR\` and pass --model DIR`, { file: m.dir, field: '--engine' });
  }
  const out = resolve(s.out ?? join(recordDir ?? '.', `eval-${split}`));
  ensureWritableDir(out, '--out');
  const arch = architecture(m.config) ?? 'token classifier';
  const { tagger, labels, close } = engine === 'onnx' ? await onnxWordTagger(m.dir, s) : await torchWordTagger(m.local ? m.dir : s.model, s);
  let result;
  try {
    result = await evaluateTokenClassification(tagger, data, {
      ...(s.split !== undefined ? { split: s.split } : {}),
      model: { name: recordDir ?? s.model, kind: engine === 'onnx' ? `${arch} (ONNX export)` : arch, ...(recordDir !== undefined ? { dir: recordDir } : {}) },
      engine: engine === 'onnx' ? 'onnx (ONNX Runtime)' : 'torch (libtorch)',
      labels,
      batchSize: s.batchSize,
    });
  } finally {
    await close();
  }
  const summary = summarizeTokenResult(result);
  const output = {
    out, summary, split, splitSource: result.splitSource, earlier, json: s.json === true, warnings: result.warnings,
    predictions: result.predictions.map((p) => tokenPredictionRecord(split, p)),
    report: renderTokenReport(result, { examples: s.examples, ...(s.title !== undefined ? { title: s.title } : {}), ...(s.trainingLog !== undefined ? { trainingLog: s.trainingLog } : {}) }),
    ...(recordDir !== undefined ? { record: () => recordEvaluation(recordDir, result, { forced: earlier !== null, out }) } : {}),
    header: [
      ['model', `${result.model.name} (${result.model.kind})`], ['engine', result.engine],
      ['data', `${result.dataFile} (sha256 ${result.dataSha256.slice(0, 16)}…), ${result.n} sentences, ${result.tokens} words, ${result.fileScheme}${result.fileScheme === 'IOB1' ? ' converted to IOB2' : ''}`],
    ] as Array<[string, string]>,
  };
  if (!writeEvaluation(output, write)) return;
  const width = Math.max(...Object.keys(result.metrics).map((k) => k.length), 'micro'.length);
  for (const [k, v] of Object.entries(result.metrics)) write(`${k.padEnd(width)}  [${split}]  ${v.toFixed(4)}\n`);
  const typeWidth = Math.max(4, ...Object.keys(result.perType).map((t) => t.length));
  write(`${'type'.padEnd(typeWidth)}  ${['precision', 'recall', 'f1'].map((h) => h.padStart(9)).join('  ')}  ${'gold'.padStart(6)}\n`);
  for (const [t, v] of Object.entries(result.perType)) {
    write(`${t.padEnd(typeWidth)}  ${[v.precision, v.recall, v.f1].map((x) => x.toFixed(4).padStart(9)).join('  ')}  ${String(v.support).padStart(6)}\n`);
  }
  write(wroteLine(output));
}
