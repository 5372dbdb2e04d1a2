/**
 * Where a pipeline's ONNX file comes from: an exported folder (`onnx/model.onnx`, the Transformers.js /
 * Optimum layout), a Hub id holding one, or a Lengua training folder, exported on the fly into a cache
 * folder by the exporter that the package entry (src/index.ts) or the CLI registers. src/infer itself never
 * imports the export stage: that would pull libtorch into the inference path.
 */
import { createHash } from 'node:crypto';
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { LenguaError } from '../errors.js';
import { DEFAULT_OPTIONAL_FILES, hfHome, readConfigJson, resolveModelDir, type Json, type ResolveOptions } from '../hub/index.js';

/** The tasks the export stage writes graphs for (its `ExportTask`). */
export type OnnxExportTask = 'text-classification' | 'token-classification' | 'question-answering' | 'fill-mask' | 'feature-extraction';

/** Exports the model folder `modelDir` for `task` into the empty folder `outDir` (config, tokenizer files, onnx/model.onnx). */
export type OnnxExporter = (modelDir: string, outDir: string, opts: { task: OnnxExportTask }) => Promise<void>;

let exporter: OnnxExporter | null = null;

/** Registers (or, with null, removes) the exporter used for training folders. `import 'lengua'` registers `exportToOnnx`. */
export function registerOnnxExporter(fn: OnnxExporter | null): void {
  exporter = fn;
}

export function onnxExporter(): OnnxExporter | null {
  return exporter;
}

/** Transformers.js' dtype names for the files of an export. */
export type OnnxDtype = 'fp32' | 'q8';
export const ONNX_FILES: Record<OnnxDtype, string> = { fp32: 'onnx/model.onnx', q8: 'onnx/model_quantized.onnx' };

export interface ModelSourceOptions {
  dtype?: OnnxDtype;
  /** Where training folders are exported to (default `$HF_HOME/lengua/onnx`, or $LENGUA_ONNX_CACHE). */
  cacheDir?: string;
  /** Hub resolution (revision, cacheDir, offline, endpoint, token…). */
  resolve?: Omit<ResolveOptions, 'files' | 'optionalFiles' | 'weights'>;
  /** Where the note about an on-the-fly export goes (default stderr). */
  log?: (line: string) => void;
}

export interface ModelSource {
  /** The folder with config.json, the tokenizer files and onnx/. */
  dir: string;
  onnxFile: string;
  config: Json;
  /** True when this call exported a training folder (or found its earlier export in the cache). */
  exported: boolean;
}

export function onnxCacheDir(env: Record<string, string | undefined> = process.env): string {
  const own = env.LENGUA_ONNX_CACHE;
  return own !== undefined && own !== '' ? resolve(own) : join(hfHome(env), 'lengua', 'onnx');
}

function looksLocal(s: string): boolean {
  return isAbsolute(s) || s.startsWith('.') || existsSync(s);
}

/** The cache key of a training folder: its path, the task and the size and time of its config and weights (a retrained folder gets a fresh export). */
function cacheKey(dir: string, task: OnnxExportTask): string {
  const h = createHash('sha256').update(resolve(dir)).update('\0').update(task);
  for (const f of ['config.json', 'model.safetensors', 'model.safetensors.index.json', 'tokenizer.json']) {
    const p = join(dir, f);
    if (existsSync(p)) {
      const s = statSync(p);
      h.update(`\0${f}:${s.size}:${s.mtimeMs}`);
    }
  }
  return h.digest('hex').slice(0, 20);
}

/**
 * Resolves `model` to a folder with an ONNX file for `dtype`, exporting a training folder (no onnx/) for
 * `exportTask` through the registered exporter.
 */
export async function resolveOnnxModel(model: string, exportTask: OnnxExportTask, opts: ModelSourceOptions = {}): Promise<ModelSource> {
  if (typeof model !== 'string' || model === '') throw new LenguaError('the model must be a folder or a Hub id', { field: 'model' });
  const dtype = opts.dtype ?? 'fp32';
  const file = ONNX_FILES[dtype];
  if (file === undefined) throw new LenguaError(`dtype must be one of ${Object.keys(ONNX_FILES).join(', ')}, got ${JSON.stringify(dtype)}`, { field: 'dtype' });
  const dir = looksLocal(model)
    ? resolve(model)
    : await resolveModelDir(model, { ...opts.resolve, optionalFiles: [...DEFAULT_OPTIONAL_FILES, file], weights: false });
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new LenguaError('no such model folder', { file: dir });
  const onnxFile = join(dir, file);
  if (existsSync(onnxFile)) return { dir, onnxFile, config: readConfigJson(dir).json, exported: false };

  if (dtype !== 'fp32') {
    throw new LenguaError(`the folder has no ${file}; export it with \`lengua export --quantize int8\` or use dtype 'fp32'`, { file: dir, field: 'dtype' });
  }
  if (existsSync(join(dir, 'onnx'))) {
    throw new LenguaError(`the folder has an onnx/ folder without ${file}`, { file: join(dir, 'onnx') });
  }
  // A training folder (or a Hub model without ONNX files): export it once into the cache.
  const trainingDir = looksLocal(model) ? dir : await resolveModelDir(model, opts.resolve ?? {});
  readConfigJson(trainingDir);
  const fn = exporter;
  if (fn === null) {
    throw new LenguaError(`the folder has no ${file}: run \`lengua export --model ${model} --out DIR\` and give the pipeline DIR (or import 'lengua', which exports training folders on the fly)`, { file: trainingDir });
  }
  const cacheRoot = opts.cacheDir !== undefined ? resolve(opts.cacheDir) : onnxCacheDir();
  const out = join(cacheRoot, cacheKey(trainingDir, exportTask));
  if (!existsSync(join(out, file))) {
    (opts.log ?? ((l: string) => process.stderr.write(l + '\n')))(`note: ${trainingDir} has no ONNX export; exporting it for ${exportTask} into ${out} (once; \`lengua export\` makes a folder of your own)`);
    // Export next to the final folder and rename, so a crash or a concurrent pipeline never sees half an export.
    const tmp = `${out}.tmp-${process.pid}-${Date.now()}`;
    try {
      await fn(trainingDir, tmp, { task: exportTask });
      if (!existsSync(join(tmp, file))) throw new LenguaError(`the exporter wrote no ${file}`, { file: tmp });
      try {
        renameSync(tmp, out);
      } catch (err) {
        // Another process finished the same export first: keep theirs.
        if (!existsSync(join(out, file))) throw err;
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  return { dir: out, onnxFile: join(out, file), config: readConfigJson(out).json, exported: true };
}
