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
import { basename, dirname, join } from 'node:path';
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
  /**
   * Text generation only: how the decoder ran — `full` (the whole batch with an empty cache) or
   * `incremental` (a prefix of `prefix` tokens, then one token per step feeding present → past), on
   * `right`- or `left`-padded rows.
   */
  decoding?: { mode: 'full' | 'incremental'; padding: 'right' | 'left'; prefix: number };
}

export interface ValidationReport {
  /** The output compared (question answering: both, `start_logits, end_logits`). */
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

/** The model output field of each exported output name (question answering: two). */
const TORCH_FIELD: Record<string, 'logits' | 'lastHiddenState' | 'startLogits' | 'endLogits'> = {
  logits: 'logits', last_hidden_state: 'lastHiddenState', start_logits: 'startLogits', end_logits: 'endLogits',
};

/** The libtorch forward of `model` (eval mode, no grad) on a batch: each exported output as float32, with its shape. */
function torchOutputs(model: PreTrainedModel, batch: ValidationBatch, outputs: readonly string[], withTokenTypes: boolean): Array<{ data: Float32Array; shape: number[] }> {
  return torch.noGrad(() => torch.tidy(() => {
    const out = model.forward({
      inputIds: batch.inputIds, attentionMask: batch.attentionMask, ...(withTokenTypes ? { tokenTypeIds: batch.tokenTypeIds } : {}),
    }) as ModelOutput & BaseModelOutput & { startLogits?: torch.Tensor; endLogits?: torch.Tensor };
    return outputs.map((name) => {
      const t = out[TORCH_FIELD[name] ?? 'logits'];
      if (t === undefined) throw new LenguaError(`the libtorch model gives no ${name}`, { field: name });
      const cpu = t.to({ dtype: 'float32', device: 'cpu' }).contiguous();
      return { data: new Float32Array(cpu.data() as Float32Array), shape: cpu.shape };
    });
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
  const outputNames = built.outputs.map((o) => o.name);
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
    if (built.task === 'text-generation') return await validateDecoder(ort, session, built, file, atol);
    if (built.task === 'text2text-generation') return await validateSeq2Seq(ort, session, built, file, atol, threads);
    const cases: ValidationCase[] = [];
    for (const batch of validationBatches(model)) {
      const feeds: Record<string, OrtTensor> = { input_ids: int64Tensor(ort, batch.inputIds), attention_mask: int64Tensor(ort, batch.attentionMask) };
      if (withTokenTypes) feeds.token_type_ids = int64Tensor(ort, batch.tokenTypeIds);
      const result = await session.run(feeds);
      const wants = torchOutputs(model, batch, outputNames, withTokenTypes);
      const where = `on a batch of ${batch.inputIds.length} × ${batch.inputIds[0]!.length} tokens`;
      let diff = 0;
      outputNames.forEach((output, k) => {
        const got = result[output]!;
        const want = wants[k]!;
        const shape = [...got.dims];
        if (shape.length !== want.shape.length || shape.some((d, i) => d !== want.shape[i])) {
          throw new LenguaError(`output "${output}" has shape [${shape.join(', ')}] in ONNX Runtime but [${want.shape.join(', ')}] in libtorch ${where}`, { file, field: output });
        }
        const d = maxAbsDiff(got.data as Float32Array, want.data);
        if (!(d <= atol)) {
          throw new LenguaError(
            `output "${output}" of ONNX Runtime differs from the libtorch forward by up to ${d.toExponential(3)} ${where} (tolerance ${atol})`,
            { file, field: output },
          );
        }
        diff = Math.max(diff, d);
      });
      cases.push({ batch: batch.inputIds.length, sequenceLength: batch.inputIds[0]!.length, lengths: batch.attentionMask.map((r) => r.reduce((a, v) => a + v, 0)), maxAbsDiff: diff });
    }
    return { output: outputNames.join(', '), maxAbsDiff: Math.max(...cases.map((c) => c.maxAbsDiff)), atol, cases };
  } finally {
    if (wasTraining) model.train();
    await session.release();
  }
}

/** One decoder check: full rows (prompt, padding, then the tokens decoded one by one), [batch, seq] each. */
export interface DecoderValidationBatch {
  inputIds: number[][];
  attentionMask: number[][];
  /** cumsum(mask) - 1, padding 1: what transformers' generate (and Transformers.js) feed. */
  positionIds: number[][];
  /** Tokens of the first step (the padded prompt); the rest are fed one per step. */
  prefix: number;
  padding: 'right' | 'left';
}

/** Position ids as transformers' generate computes them from the mask: cumsum(mask) - 1, and 1 on padding. */
export function positionIdsFromMask(mask: readonly number[]): number[] {
  let seen = 0;
  return mask.map((m) => (m === 0 ? 1 : seen++));
}

/**
 * The decoder checks: prompts of different lengths right-padded, then left-padded, then one unpadded row,
 * each followed by tokens decoded one at a time (within n_positions).
 */
export function decoderValidationBatches(model: PreTrainedModel): DecoderValidationBatch[] {
  const cfg = model.config;
  const pad = cfg.padTokenId ?? 0;
  const maxLen = Math.max(1, model.maxInputTokens);
  const next = idStream(cfg.vocabSize, pad);
  const plans: Array<{ prompts: number[]; steps: number; padding: 'right' | 'left' }> = [
    { prompts: [8, 5, 2], steps: 4, padding: 'right' },
    { prompts: [7, 3], steps: 5, padding: 'left' },
    { prompts: [1], steps: 6, padding: 'right' },
  ];
  return plans.map(({ prompts, steps, padding }) => {
    const lengths = prompts.map((p) => Math.min(p, maxLen));
    const prefix = Math.max(...lengths);
    const total = Math.min(maxLen, prefix + steps);
    const batch: DecoderValidationBatch = { inputIds: [], attentionMask: [], positionIds: [], prefix, padding };
    for (const len of lengths) {
      const real = Array.from({ length: len }, () => next());
      const pads = Array.from({ length: prefix - len }, () => pad);
      const prompt = padding === 'right' ? [...real, ...pads] : [...pads, ...real];
      const promptMask = padding === 'right' ? [...real.map(() => 1), ...pads.map(() => 0)] : [...pads.map(() => 0), ...real.map(() => 1)];
      const decoded = Array.from({ length: total - prefix }, () => next());
      batch.inputIds.push([...prompt, ...decoded]);
      batch.attentionMask.push([...promptMask, ...decoded.map(() => 1)]);
      batch.positionIds.push(positionIdsFromMask(batch.attentionMask.at(-1)!));
    }
    return batch;
  });
}

const cols = (rows: number[][], from: number, to: number): number[][] => rows.map((r) => r.slice(from, to));

/**
 * Text generation: the libtorch full forward of each batch against ONNX Runtime run (1) on the whole
 * batch with an empty cache and (2) incrementally — the prompt, then one token per step with the previous
 * step's present.* fed as past_key_values.* — at every position whose mask is 1 (padded positions'
 * logits are compared in the full run only: incrementally a padded query attends to fewer keys, and its
 * output is never read).
 */
async function validateDecoder(ort: Ort, session: InferenceSession, built: BuiltGraph, file: string, atol: number): Promise<ValidationReport> {
  const model = built.model;
  const cfg = model.config;
  const layers = cfg.numHiddenLayers;
  const heads = cfg.numAttentionHeads;
  const headDim = cfg.hiddenSize / heads;
  const vocab = cfg.vocabSize;
  const cases: ValidationCase[] = [];
  for (const batch of decoderValidationBatches(model)) {
    const b = batch.inputIds.length;
    const total = batch.inputIds[0]!.length;
    const where = `on ${batch.padding}-padded rows (a batch of ${b} × ${total} tokens)`;
    const want = torchDecoderLogits(model, batch);
    const step = async (from: number, to: number, past: Record<string, OrtTensor> | null): Promise<{ logits: Float32Array; present: Record<string, OrtTensor> }> => {
      const feeds: Record<string, OrtTensor> = {
        input_ids: int64Tensor(ort, cols(batch.inputIds, from, to)),
        attention_mask: int64Tensor(ort, cols(batch.attentionMask, 0, to)),
        position_ids: int64Tensor(ort, cols(batch.positionIds, from, to)),
        use_cache_branch: new ort.Tensor('bool', [past !== null], [1]),
      };
      for (let i = 0; i < layers; i++) {
        for (const kv of ['key', 'value']) {
          feeds[`past_key_values.${i}.${kv}`] = past?.[`present.${i}.${kv}`] ?? new ort.Tensor('float32', new Float32Array(0), [b, heads, 0, headDim]);
        }
      }
      const r = await session.run(feeds);
      const logits = r.logits!;
      const expect = [b, to - from, vocab];
      if (logits.dims.length !== 3 || logits.dims.some((d, i) => d !== expect[i])) {
        throw new LenguaError(`output "logits" has shape [${logits.dims.join(', ')}] in ONNX Runtime, expected [${expect.join(', ')}] ${where}`, { file, field: 'logits' });
      }
      for (let i = 0; i < layers; i++) {
        for (const kv of ['key', 'value']) {
          const d = r[`present.${i}.${kv}`]!.dims;
          const e = [b, heads, to, headDim];
          if (d.length !== 4 || d.some((x, j) => x !== e[j])) {
            throw new LenguaError(`output "present.${i}.${kv}" has shape [${d.join(', ')}], expected [${e.join(', ')}] ${where}`, { file, field: `present.${i}.${kv}` });
          }
        }
      }
      return { logits: logits.data as Float32Array, present: r };
    };
    // Row r, position t of a run that started at `from` and covers `len` positions, against libtorch's full forward.
    const compare = (got: Float32Array, from: number, len: number, onlyReal: boolean): number => {
      let m = 0;
      for (let r = 0; r < b; r++) {
        for (let t = 0; t < len; t++) {
          if (onlyReal && batch.attentionMask[r]![from + t] === 0) continue;
          const g0 = (r * len + t) * vocab;
          const w0 = (r * total + from + t) * vocab;
          for (let v = 0; v < vocab; v++) {
            const d = Math.abs(got[g0 + v]! - want[w0 + v]!);
            if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
          }
        }
      }
      return m;
    };
    const lengths = batch.attentionMask.map((r) => r.reduce((a, v) => a + v, 0));
    const check = (diff: number, mode: 'full' | 'incremental'): void => {
      cases.push({ batch: b, sequenceLength: total, lengths, maxAbsDiff: diff, decoding: { mode, padding: batch.padding, prefix: mode === 'full' ? total : batch.prefix } });
      if (!(diff <= atol)) {
        const how = mode === 'full' ? 'with an empty cache' : `decoding with the KV cache (a ${batch.prefix}-token prompt, then one token per step)`;
        throw new LenguaError(
          `output "logits" of ONNX Runtime differs from the libtorch forward by up to ${diff.toExponential(3)} ${how} ${where} (tolerance ${atol})`,
          { file, field: 'logits' },
        );
      }
    };

    check(compare((await step(0, total, null)).logits, 0, total, false), 'full');
    let run = await step(0, batch.prefix, null);
    let diff = compare(run.logits, 0, batch.prefix, true);
    for (let t = batch.prefix; t < total; t++) {
      run = await step(t, t + 1, run.present);
      diff = Math.max(diff, compare(run.logits, t, 1, true));
    }
    check(diff, 'incremental');
  }
  return { output: 'logits', maxAbsDiff: Math.max(...cases.map((c) => c.maxAbsDiff)), atol, cases };
}

/**
 * An encoder-decoder export (encoder_model.onnx beside the merged decoder `file`): the encoder's output, then
 * the decoder's logits with an empty cache and decoding with the cache (two tokens, then one per step, the
 * encoder keys/values of the first step fed back as past), against libtorch's full forward on right-padded
 * sources of different lengths.
 */
async function validateSeq2Seq(ort: Ort, decoder: InferenceSession, built: BuiltGraph, file: string, atol: number, threads: number): Promise<ValidationReport> {
  const model = built.model as unknown as {
    forward(input: { inputIds: number[][]; attentionMask: number[][]; decoderInputIds: number[][] }): { logits: torch.Tensor; encoderLastHiddenState: torch.Tensor };
  };
  const shape = built.seq2seq!;
  const encoderFile = join(dirname(file), basename(built.encoder!.file));
  let encoder: InferenceSession;
  try {
    encoder = await ort.InferenceSession.create(encoderFile, { intraOpNumThreads: threads, interOpNumThreads: 1, executionProviders: ['cpu'] });
  } catch (err) {
    throw new LenguaError(`ONNX Runtime cannot load the exported encoder: ${(err as Error).message}`, { file: encoderFile }, { cause: err });
  }
  const ids = idStream(shape.sourceVocab, 0);
  const targetIds = idStream(shape.vocab, 0);
  const lengths = [9, 5];
  const srcLen = Math.max(...lengths);
  const inputIds = lengths.map((n) => Array.from({ length: srcLen }, (_, t) => (t < n ? ids() : 0)));
  const attentionMask = lengths.map((n) => Array.from({ length: srcLen }, (_, t) => (t < n ? 1 : 0)));
  const total = 6;
  const decoderInputIds = lengths.map(() => [shape.decoderStartTokenId, ...Array.from({ length: total - 1 }, () => targetIds())]);
  const b = lengths.length;
  const vocab = shape.vocab;
  const want = torch.noGrad(() => torch.tidy(() => {
    const out = model.forward({ inputIds, attentionMask, decoderInputIds });
    return {
      logits: new Float32Array(out.logits.contiguous().data() as Float32Array),
      hidden: new Float32Array(out.encoderLastHiddenState.contiguous().data() as Float32Array),
    };
  }));
  const cases: ValidationCase[] = [];
  const fail = (what: string, diff: number, field: string, where: string): never => {
    throw new LenguaError(`${what} of ONNX Runtime differs from the libtorch forward by up to ${diff.toExponential(3)} ${where} (tolerance ${atol})`, { file, field });
  };
  const enc = await encoder.run({ input_ids: int64Tensor(ort, inputIds), attention_mask: int64Tensor(ort, attentionMask) });
  const hidden = enc.last_hidden_state!;
  let encDiff = 0;
  (hidden.data as Float32Array).forEach((v, i) => {
    const d = Math.abs(v - want.hidden[i]!);
    if (!(d <= encDiff)) encDiff = Number.isNaN(d) ? Infinity : d;
  });
  cases.push({ batch: b, sequenceLength: srcLen, lengths, maxAbsDiff: encDiff });
  if (!(encDiff <= atol)) fail('the encoder output (last_hidden_state)', encDiff, 'last_hidden_state', `on sources of ${lengths.join(' and ')} tokens`);
  await encoder.release();

  const step = async (from: number, to: number, past: Record<string, OrtTensor> | null): Promise<{ logits: Float32Array; present: Record<string, OrtTensor> }> => {
    const feeds: Record<string, OrtTensor> = {
      input_ids: int64Tensor(ort, cols(decoderInputIds, from, to)),
      encoder_attention_mask: int64Tensor(ort, attentionMask),
      encoder_hidden_states: hidden,
      use_cache_branch: new ort.Tensor('bool', [past !== null], [1]),
    };
    for (let i = 0; i < shape.layers; i++) {
      for (const part of ['decoder', 'encoder']) {
        for (const kv of ['key', 'value']) {
          feeds[`past_key_values.${i}.${part}.${kv}`] = past?.[`present.${i}.${part}.${kv}`] ?? new ort.Tensor('float32', new Float32Array(0), [b, shape.heads, 0, shape.headDim]);
        }
      }
    }
    const r = await decoder.run(feeds);
    return { logits: r.logits!.data as Float32Array, present: r };
  };
  const compare = (got: Float32Array, from: number, len: number): number => {
    let m = 0;
    for (let r = 0; r < b; r++) {
      for (let t = 0; t < len; t++) {
        for (let v = 0; v < vocab; v++) {
          const d = Math.abs(got[(r * len + t) * vocab + v]! - want.logits[(r * total + from + t) * vocab + v]!);
          if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
        }
      }
    }
    return m;
  };
  const where = `on ${b} right-padded sources (${lengths.join(' and ')} tokens) and ${total} decoder tokens`;
  const full = compare((await step(0, total, null)).logits, 0, total);
  cases.push({ batch: b, sequenceLength: total, lengths: lengths.map(() => total), maxAbsDiff: full, decoding: { mode: 'full', padding: 'right', prefix: total } });
  if (!(full <= atol)) fail('output "logits"', full, 'logits', `with an empty cache ${where}`);
  let run = await step(0, 2, null);
  let inc = compare(run.logits, 0, 2);
  for (let t = 2; t < total; t++) {
    run = await step(t, t + 1, run.present);
    inc = Math.max(inc, compare(run.logits, t, 1));
  }
  cases.push({ batch: b, sequenceLength: total, lengths: lengths.map(() => total), maxAbsDiff: inc, decoding: { mode: 'incremental', padding: 'right', prefix: 2 } });
  if (!(inc <= atol)) fail('output "logits"', inc, 'logits', `decoding with the cache (2 tokens, then one per step) ${where}`);
  return { output: 'logits', maxAbsDiff: Math.max(...cases.map((c) => c.maxAbsDiff)), atol, cases };
}

/** The libtorch logits [b, s, vocab] of a causal LM on full rows, with the same mask and position ids. */
function torchDecoderLogits(model: PreTrainedModel, batch: DecoderValidationBatch): Float32Array {
  return torch.noGrad(() => torch.tidy(() => {
    const out = model.forward({ inputIds: batch.inputIds, attentionMask: batch.attentionMask, positionIds: batch.positionIds }) as ModelOutput;
    return new Float32Array(out.logits.to({ dtype: 'float32', device: 'cpu' }).contiguous().data() as Float32Array);
  }));
}
