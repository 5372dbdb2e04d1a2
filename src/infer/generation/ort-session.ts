/**
 * ONNX Runtime for the generation models (OnnxCausalLm, OnnxSeq2SeqLm): imported on first use, so code that
 * never generates does not load it, and sessions opened with the graph's expected inputs and outputs checked.
 */
import type * as Ort from 'onnxruntime-node';
import { LenguaError } from '../../errors.js';

let ortModule: Promise<typeof Ort> | null = null;
export function loadOrt(): Promise<typeof Ort> {
  ortModule ??= import('onnxruntime-node');
  return ortModule;
}

/**
 * One sequential session with `threads` intra-op threads (a decoding step's operators are small: inter-op
 * parallelism only adds hand-offs); a graph without one of `inputs`/`outputs` is refused by name, `hint` saying
 * what the config expected.
 */
export async function openSession(ort: typeof Ort, file: string, threads: number, inputs: readonly string[], outputs: readonly string[], hint = ''): Promise<Ort.InferenceSession> {
  let s: Ort.InferenceSession;
  try {
    s = await ort.InferenceSession.create(file, { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
  } catch (err) {
    throw new LenguaError(`ONNX Runtime cannot load the model: ${(err as Error).message}`, { file }, { cause: err });
  }
  const missing = [...inputs.filter((n) => !s.inputNames.includes(n)), ...outputs.filter((n) => !s.outputNames.includes(n))];
  if (missing.length > 0) {
    await s.release();
    throw new LenguaError(`the graph lacks ${missing.slice(0, 6).join(', ')}${hint}`, { file });
  }
  return s;
}
