/**
 * Validation of an exported file: ONNX Runtime (CPU) loads it and runs it on padded batches of several
 * sizes; libtorch runs the same model on the same inputs; the largest absolute difference of the
 * output must stay within the tolerance (Optimum's `atol`, 1e-4 for fp32). It also checks that the
 * session has exactly the inputs and outputs the task declares.
 *
 * This is the only code of the stage that runs ONNX Runtime; the inference stage (`src/infer`, later)
 * runs it without libtorch.
 */
import { availableParallelism } from 'node:os';
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import * as torch from '../torch/index.js';
import type { PreTrainedModel } from '../models/index.js';
import type { BaseModelOutput, ModelOutput } from '../models/index.js';
import { LenguaError } from '../errors.js';
import type { BuiltGraph } from './families.js';

/** Optimum's default tolerance for these architectures (fp32). */
export const DEFAULT_ATOL = 1e-4;

/** One validation batch: token ids, 0/1 mask (right padding), token types; [batch, seq] each. */
export interface ValidationBatch {
  inputIds: number[][];
  attentionMask: number[][];
  tokenTypeIds: number[][];
}

export interface ValidationCase {
  batch: number;
  sequenceLength: number;
  /** Real (unpadded) length of each row. */
  lengths: number[];
  maxAbsDiff: number;
}

export interface ValidationReport {
  output: string;
  /** The largest |ONNX Runtime − libtorch| over every case. */
  maxAbsDiff: number;
  atol: number;
  cases: ValidationCase[];
}

export interface ValidateOptions {
  atol?: number;
  /** ONNX Runtime intra-op threads (default: up to 4, not more than the cores). */
  threads?: number;
}

/** A deterministic id stream (no Math.random: the same checks on every run). */
function idStream(vocab: number, avoid: number): () => number {
  let s = 0x2545f491;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    let id = (s >>> 8) % vocab;
    if (id === avoid && vocab > 1) id = (id + 1) % vocab;
    return id;
  };
}

/**
 * The batches the check runs: rows of different real lengths, right-padded with the pad id (a padded
 * row in each batch), token type 1 on the second half of the first row where the model has two types,
 * and batch sizes and lengths that differ between batches (the dynamic axes).
 */
export function validationBatches(model: PreTrainedModel): ValidationBatch[] {
  const cfg = model.config;
  const pad = cfg.padTokenId ?? 0;
  const maxLen = Math.max(1, model.maxInputTokens);
  const typeVocab = model.acceptsTokenTypeIds ? Number(cfg.toJSON().type_vocab_size ?? 1) : 1;
  const next = idStream(cfg.vocabSize, pad);
  const shapes = [
    [Math.min(16, maxLen), Math.ceil(Math.min(16, maxLen) / 2), 1],
    [Math.min(7, maxLen), Math.min(3, maxLen)],
    [Math.min(33, maxLen)],
  ];
  return shapes.map((lengths) => {
    const seq = Math.max(...lengths);
    const batch: ValidationBatch = { inputIds: [], attentionMask: [], tokenTypeIds: [] };
    lengths.forEach((len, row) => {
      batch.inputIds.push(Array.from({ length: seq }, (_, j) => (j < len ? next() : pad)));
      batch.attentionMask.push(Array.from({ length: seq }, (_, j) => (j < len ? 1 : 0)));
      batch.tokenTypeIds.push(Array.from({ length: seq }, (_, j) => (row === 0 && typeVocab > 1 && j < len && j >= Math.ceil(len / 2) ? 1 : 0)));
    });
    return batch;
  });
}

type Ort = typeof import('onnxruntime-node');

/** ONNX Runtime, loaded on first use (its native library is not needed by the commands that never validate). */
async function loadOrt(): Promise<Ort> {
  return import('onnxruntime-node');
}

function int64Tensor(ort: Ort, rows: number[][]): OrtTensor {
  const b = rows.length;
  const s = rows[0]?.length ?? 0;
  return new ort.Tensor('int64', BigInt64Array.from(rows.flat().map((v) => BigInt(v))), [b, s]);
}

/** The libtorch forward of `model` (eval mode, no grad) on a batch: the exported output as float32, with its shape. */
function torchOutput(model: PreTrainedModel, batch: ValidationBatch, output: string, withTokenTypes: boolean): { data: Float32Array; shape: number[] } {
  return torch.noGrad(() => torch.tidy(() => {
    const out = model.forward({
      inputIds: batch.inputIds, attentionMask: batch.attentionMask, ...(withTokenTypes ? { tokenTypeIds: batch.tokenTypeIds } : {}),
    }) as ModelOutput & BaseModelOutput;
    const t = output === 'logits' ? out.logits : out.lastHiddenState;
    const cpu = t.to({ dtype: 'float32', device: 'cpu' }).contiguous();
    return { data: new Float32Array(cpu.data() as Float32Array), shape: cpu.shape };
  }));
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/**
 * Runs the exported file in ONNX Runtime and the model in libtorch on the same batches. Throws a
 * LenguaError naming the output and the difference when they disagree beyond `atol`, or when the
 * session's inputs or outputs are not the declared ones.
 */
export async function validateExport(file: string, built: BuiltGraph, opts: ValidateOptions = {}): Promise<ValidationReport> {
  const atol = opts.atol ?? DEFAULT_ATOL;
  const threads = opts.threads ?? Math.max(1, Math.min(4, availableParallelism()));
  const model = built.model;
  const output = built.outputs[0]!.name;
  const inputNames = built.inputs.map((i) => i.name);
  const withTokenTypes = inputNames.includes('token_type_ids');
  const ort = await loadOrt();
  let session: InferenceSession;
  try {
    session = await ort.InferenceSession.create(file, { intraOpNumThreads: threads, interOpNumThreads: 1, executionProviders: ['cpu'] });
  } catch (err) {
    throw new LenguaError(`ONNX Runtime cannot load the exported graph: ${(err as Error).message}`, { file }, { cause: err });
  }
  const wasTraining = model.training;
  model.eval();
  try {
    const same = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
    if (!same(session.inputNames, inputNames) || !same(session.outputNames, built.outputs.map((o) => o.name))) {
      throw new LenguaError(
        `the exported graph has inputs [${session.inputNames.join(', ')}] and outputs [${session.outputNames.join(', ')}]; ` +
          `${built.task} needs [${inputNames.join(', ')}] and [${built.outputs.map((o) => o.name).join(', ')}]`,
        { file },
      );
    }
    const cases: ValidationCase[] = [];
    for (const batch of validationBatches(model)) {
      const feeds: Record<string, OrtTensor> = { input_ids: int64Tensor(ort, batch.inputIds), attention_mask: int64Tensor(ort, batch.attentionMask) };
      if (withTokenTypes) feeds.token_type_ids = int64Tensor(ort, batch.tokenTypeIds);
      const result = await session.run(feeds);
      const got = result[output]!;
      const want = torchOutput(model, batch, output, withTokenTypes);
      const shape = [...got.dims];
      const where = `on a batch of ${batch.inputIds.length} × ${batch.inputIds[0]!.length} tokens`;
      if (shape.length !== want.shape.length || shape.some((d, i) => d !== want.shape[i])) {
        throw new LenguaError(`output "${output}" has shape [${shape.join(', ')}] in ONNX Runtime but [${want.shape.join(', ')}] in libtorch ${where}`, { file, field: output });
      }
      const diff = maxAbsDiff(got.data as Float32Array, want.data);
      cases.push({ batch: batch.inputIds.length, sequenceLength: batch.inputIds[0]!.length, lengths: batch.attentionMask.map((r) => r.reduce((a, v) => a + v, 0)), maxAbsDiff: diff });
      if (!(diff <= atol)) {
        throw new LenguaError(
          `output "${output}" of ONNX Runtime differs from the libtorch forward by up to ${diff.toExponential(3)} ${where} (tolerance ${atol})`,
          { file, field: output },
        );
      }
    }
    return { output, maxAbsDiff: Math.max(...cases.map((c) => c.maxAbsDiff)), atol, cases };
  } finally {
    if (wasTraining) model.train();
    await session.release();
  }
}
