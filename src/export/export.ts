/**
 * `exportToOnnx(modelDirOrModel, outDir, opts)`: writes the layout Transformers.js and Optimum read —
 * `config.json`, the model folder's tokenizer files, `onnx/model.onnx` — then validates the written
 * file in ONNX Runtime against the libtorch forward, and removes what it wrote when they disagree.
 */
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { modelFromPretrained, readConfigFile, taskOfArchitecture, TOKENIZER_FILES } from '../models/index.js';
import type { PreTrainedModel, Task } from '../models/index.js';
import { resolveModelDir } from '../hub/index.js';
import { completeTokenizerFolder } from '../text/index.js';
import { LenguaError } from '../errors.js';
import { ensureWritableDir, writeFileAtomic } from '../util/fs.js';
import { buildGraph, EXPORTABLE, exportedModule, exportTaskOf, EXPORT_TASKS, MODEL_TASK, onnxFileOf, taskOfModel, type ExportTask, type GraphValue } from './families.js';
import { validateExport, type ValidationReport } from './validate.js';
import { exportQuantized, QUANTIZE_MODES, type QuantizedExport, type QuantizeMode } from './quantize.js';

/** The opsets the graphs are written for (LayerNormalization is one node from 17). */
export const EXPORT_OPSETS = [17, 18] as const;
export const DEFAULT_OPSET = 17;

/** Where the graph goes inside the output folder (the Transformers.js / Optimum layout); text-generation: `onnxFileOf`. */
export const ONNX_FILE = join('onnx', 'model.onnx');

export interface ExportOptions {
  /** `auto` (default): from config.json's architectures (a model object: from its class). */
  task?: 'auto' | ExportTask;
  /** ONNX opset (default 17). */
  opset?: number;
  /** Replace an earlier export in `outDir` (its config, tokenizer files and onnx/ folder); other files are left alone. */
  overwrite?: boolean;
  /** The largest |ONNX Runtime − libtorch| accepted (default 1e-4). */
  atol?: number;
  /** ONNX Runtime threads for the validation. */
  threads?: number;
  /** Passed to `resolveModelDir` for a Hub id (cache dir, offline, revision, ...). */
  resolve?: Record<string, unknown>;
  /** The flag that allows replacing an earlier export, named in errors (default `overwrite: true`; the CLI: `--overwrite`). */
  overwriteFlag?: string;
  /**
   * Weights over this many bytes go to ONNX external data (`onnx/model.onnx_data`); default and upper
   * bound: what fits protobuf's 2 GB. Lowered by tests, to write external data without 2 GB of weights.
   */
  externalDataThreshold?: number;
  /** `int8`: also write `onnx/model_quantized.onnx` (dynamic int8, see quantize.ts), validated against the float file. */
  quantize?: QuantizeMode;
}

export interface ExportResult {
  outDir: string;
  task: ExportTask;
  modelType: string;
  /** The class the graph computes (config.json's architectures). */
  architecture: string;
  opset: number;
  /** Files written, relative to outDir. */
  files: string[];
  onnxFile: string;
  onnxBytes: number;
  nodes: number;
  parameters: number;
  inputs: GraphValue[];
  outputs: GraphValue[];
  validation: ValidationReport;
  /** With `quantize: 'int8'`: the quantized file, what was quantized and its validation. */
  quantized?: QuantizedExport;
  /** Seconds spent loading the model, building and serialising the graph, writing, validating; and in all. */
  seconds: { load: number; build: number; write: number; validate: number; total: number };
}

/** Entries an export writes: removed by an overwrite so that nothing of the old export mixes with the new. */
/**
 * Files beside the weights that describe how to use the model, kept with the export when the folder has them;
 * evaluations.json is the held-out record, so a test split scored on the folder is not scored again on its export.
 */
const CARRIED_FILES = ['generation_config.json', 'monitoring/reference.json', 'evaluations.json'] as const;
const EXPORT_ENTRIES = new Set<string>(['config.json', 'onnx', 'generation_config.json', 'monitoring', 'evaluations.json', ...TOKENIZER_FILES]);

/**
 * Refuses an output folder that already holds files (hidden ones aside) unless `overwrite`; with it,
 * removes what an earlier export wrote and leaves any other file alone (as `prepareOutputDir` does for runs).
 */
export function prepareExportDir(dir: string, overwrite: boolean, flag = 'overwrite: true'): void {
  let entries: string[] = [];
  try {
    entries = readdirSync(dir).filter((n) => !n.startsWith('.'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw new LenguaError(`${dir} is a file; the export goes into a folder`, { field: 'out' });
    if (code !== 'ENOENT') throw err;
  }
  if (entries.length > 0 && !overwrite) {
    const shown = entries.slice(0, 5).join(', ') + (entries.length > 5 ? `, … (${entries.length} entries)` : '');
    throw new LenguaError(`output folder ${dir} is not empty (${shown}). Choose another folder, or pass ${flag} to replace an earlier export there.`, { field: 'out' });
  }
  for (const name of entries) if (EXPORT_ENTRIES.has(name)) rmSync(join(dir, name), { recursive: true, force: true });
  ensureWritableDir(dir, '--out');
}

function checkOptions(opts: ExportOptions): { task: 'auto' | ExportTask; opset: number; atol: number | undefined } {
  const task = opts.task ?? 'auto';
  if (task !== 'auto' && !(EXPORT_TASKS as readonly string[]).includes(task)) {
    throw new LenguaError(`unknown task ${JSON.stringify(task)} (one of auto, ${EXPORT_TASKS.join(', ')})`, { field: 'task' });
  }
  const opset = opts.opset ?? DEFAULT_OPSET;
  if (!(EXPORT_OPSETS as readonly number[]).includes(opset)) throw new LenguaError(`opset ${opset} is not supported (one of ${EXPORT_OPSETS.join(', ')})`, { field: 'opset' });
  if (opts.quantize !== undefined && !(QUANTIZE_MODES as readonly string[]).includes(opts.quantize)) {
    throw new LenguaError(`unknown quantization ${JSON.stringify(opts.quantize)} (one of ${QUANTIZE_MODES.join(', ')})`, { field: 'quantize' });
  }
  if (opts.atol !== undefined && !(opts.atol > 0 && Number.isFinite(opts.atol))) throw new LenguaError(`atol must be a positive number, got ${opts.atol}`, { field: 'atol' });
  if (opts.externalDataThreshold !== undefined && !(opts.externalDataThreshold >= 0 && Number.isFinite(opts.externalDataThreshold))) {
    throw new LenguaError(`externalDataThreshold must be a number of bytes ≥ 0, got ${opts.externalDataThreshold}`, { field: 'externalDataThreshold' });
  }
  return { task, opset, atol: opts.atol };
}

/** The class to load from a folder for an export task, from config.json's architectures. */
function loadTaskFor(dir: string, task: 'auto' | ExportTask): { load: Task; task: ExportTask } {
  const config = readConfigFile(dir);
  const arch = config.architectures?.[0];
  const archTask = taskOfArchitecture(arch);
  if (archTask !== null && !(Object.values(MODEL_TASK) as Task[]).includes(archTask)) {
    throw new LenguaError(`${arch} has no ONNX export yet (exported: ${EXPORTABLE})`, { file: config.source, field: 'architectures' });
  }
  if (archTask === null && task === 'auto') {
    throw new LenguaError(`config.json names no architecture the export knows (${arch ?? 'none'}): pass --task (${EXPORT_TASKS.join(' or ')})`, { file: config.source, field: 'architectures' });
  }
  if (task === 'auto') return { load: archTask!, task: exportTaskOf(archTask!) };
  // feature-extraction: the folder's own class, whose base model is exported (a head's weights need no reloading).
  if (task === 'feature-extraction') return { load: archTask ?? 'base', task };
  // GPT-2's LM head is wte itself (tied), so a GPT2Model folder holds every weight of GPT2LMHeadModel, as transformers loads it.
  const tiedLm = task === 'text-generation' && archTask === 'base' && config.modelType === 'gpt2' && config.toJSON().tie_word_embeddings !== false;
  if (archTask !== null && archTask !== MODEL_TASK[task] && !tiedLm) {
    const head = task === 'text-classification' ? 'sequence-classification' : MODEL_TASK[task];
    throw new LenguaError(
      `${arch} has no ${head} head: its export would hold a random ${head} head. Export it as ${exportTaskOf(archTask)} (or feature-extraction)`,
      { file: config.source, field: 'architectures' },
    );
  }
  return { load: MODEL_TASK[task], task };
}

function paramCount(model: PreTrainedModel): number {
  return model.parameters().reduce((n, t) => n + t.numel, 0);
}

const seconds = (t0: number): number => (performance.now() - t0) / 1000;

/**
 * Exports a model folder (or Hub id), or a loaded model, to ONNX in `outDir` and validates it.
 * Throws a LenguaError, leaving no file of this export behind, when ONNX Runtime and libtorch disagree.
 */
export async function exportToOnnx(modelDirOrModel: string | PreTrainedModel, outDir: string, opts: ExportOptions = {}): Promise<ExportResult> {
  const t0 = performance.now();
  const { task: asked, opset, atol } = checkOptions(opts);
  const flag = opts.overwriteFlag ?? 'overwrite: true';

  let sourceDir: string | null;
  let model: PreTrainedModel;
  let task: ExportTask;
  if (typeof modelDirOrModel === 'string') {
    sourceDir = await resolveModelDir(modelDirOrModel, opts.resolve ?? {});
    checkOutDir(outDir, sourceDir);
    const plan = loadTaskFor(sourceDir, asked);
    task = plan.task;
    checkQuantizable(task, opts.quantize);
    prepareExportDir(outDir, opts.overwrite === true, flag);
    model = await modelFromPretrained(plan.load, sourceDir);
  } else {
    model = modelDirOrModel;
    sourceDir = model.sourceDir;
    checkOutDir(outDir, sourceDir);
    task = asked === 'auto' ? taskOfModel(model) : asked;
    exportedModule(model, task);
    checkQuantizable(task, opts.quantize);
    prepareExportDir(outDir, opts.overwrite === true, flag);
  }
  const loadSeconds = seconds(t0);

  const onnxFile = onnxFileOf(task);
  const t1 = performance.now();
  const built = buildGraph(model, task);
  // Weights over protobuf's 2 GB go to onnx/<file>_data (ONNX external data), beside the graph.
  const { model: bytes, data } = built.graph.toFiles({
    opset, producerName: 'lengua', producerVersion: '0.1.0',
    docString: `${built.model.className} exported by Lengua for ${task}`,
  }, `${basename(onnxFile)}_data`, opts.externalDataThreshold);
  // An encoder-decoder model's encoder: its own graph and file beside the decoder.
  const encoderFiles = built.encoder === undefined ? null : built.encoder.graph.toFiles({
    opset, producerName: 'lengua', producerVersion: '0.1.0', docString: `${built.model.className} encoder exported by Lengua for ${task}`,
  }, `${basename(built.encoder.file)}_data`, opts.externalDataThreshold);
  const buildSeconds = seconds(t1);

  const t2 = performance.now();
  const written: string[] = [];
  const onnxPath = join(outDir, onnxFile);
  try {
    if (data !== null) {
      writeFileAtomic(`${onnxPath}_data`, data);
      written.push(`${onnxFile}_data`);
    }
    writeFileAtomic(onnxPath, bytes);
    written.push(onnxFile);
    if (built.encoder !== undefined && encoderFiles !== null) {
      if (encoderFiles.data !== null) {
        writeFileAtomic(join(outDir, `${built.encoder.file}_data`), encoderFiles.data);
        written.push(`${built.encoder.file}_data`);
      }
      writeFileAtomic(join(outDir, built.encoder.file), encoderFiles.model);
      written.push(built.encoder.file);
    }
    const cfg = built.model.config.clone();
    cfg.architectures = [built.model.className];
    cfg.set('torch_dtype', 'float32');
    writeFileAtomic(join(outDir, 'config.json'), cfg.toJSONString());
    written.push('config.json');
    if (sourceDir !== null) {
      for (const f of TOKENIZER_FILES) {
        const from = join(sourceDir, f);
        if (existsSync(from) && statSync(from).isFile()) {
          writeFileAtomic(join(outDir, f), readFileSync(from));
          written.push(f);
        }
      }
      // generation_config.json (decoding defaults) and monitoring/reference.json (what `lengua serve`
      // compares live traffic with) belong to the model, not to its weights' format.
      for (const f of CARRIED_FILES) {
        const from = join(sourceDir, f);
        if (existsSync(from) && statSync(from).isFile()) {
          writeFileAtomic(join(outDir, f), readFileSync(from));
          written.push(f);
        }
      }
      // The slow-tokenizer files transformers' Python classes read, from tokenizer.json when the folder lacks them.
      for (const f of completeTokenizerFolder(outDir, sourceDir)?.written ?? []) if (!written.includes(f)) written.push(f);
    }
  } catch (err) {
    removeWritten(outDir, written);
    throw err;
  }
  const writeSeconds = seconds(t2);

  const t3 = performance.now();
  let validation: ValidationReport;
  try {
    validation = await validateExport(onnxPath, built, { ...(atol !== undefined ? { atol } : {}), ...(opts.threads !== undefined ? { threads: opts.threads } : {}) });
  } catch (err) {
    removeWritten(outDir, written);
    if (err instanceof LenguaError) throw new LenguaError(`${err.message}; nothing of this export was kept`, {}, { cause: err });
    throw err;
  }
  let quantized: QuantizedExport | undefined;
  if (opts.quantize === 'int8') {
    try {
      quantized = await exportQuantized(onnxPath, bytes, built, opts.threads !== undefined ? { threads: opts.threads } : {});
      written.push(quantized.file);
    } catch (err) {
      removeWritten(outDir, written);
      if (err instanceof LenguaError) throw new LenguaError(`${err.message}; nothing of this export was kept`, {}, { cause: err });
      throw err;
    }
  }
  return {
    outDir, task, modelType: built.model.config.modelType, architecture: built.model.className, opset, files: written, onnxFile: onnxPath,
    onnxBytes: bytes.byteLength, nodes: built.graph.nodeCount, parameters: paramCount(built.model), inputs: built.inputs, outputs: built.outputs,
    validation, ...(quantized !== undefined ? { quantized } : {}), seconds: { load: loadSeconds, build: buildSeconds, write: writeSeconds, validate: seconds(t3), total: seconds(t0) },
  };
}

/** int8 quantization covers the encoder graphs (one graph, inputs the validation batches feed), not the generation decoder yet. */
function checkQuantizable(task: ExportTask, quantize: QuantizeMode | undefined): void {
  if (quantize !== undefined && onnxFileOf(task) !== ONNX_FILE) {
    throw new LenguaError(`--quantize ${quantize} is not available for ${task} yet (only for the tasks exported as ${ONNX_FILE})`, { field: 'quantize' });
  }
}

/** The export must not go into the model's own folder (it would replace its config.json and tokenizer files). */
function checkOutDir(outDir: string, sourceDir: string | null): void {
  if (sourceDir !== null && resolve(outDir) === resolve(sourceDir)) {
    throw new LenguaError(`--out ${outDir} is the model's own folder; export into another folder`, { field: 'out' });
  }
}

/** Removes the files of a failed export (and the onnx/ folder when it is left empty). */
function removeWritten(outDir: string, files: readonly string[]): void {
  for (const f of files) rmSync(join(outDir, f), { force: true });
  for (const d of ['onnx', 'monitoring']) {
    try {
      rmdirSync(join(outDir, d));
    } catch {
      // not empty or not there: leave it
    }
  }
}
