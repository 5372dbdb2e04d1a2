/**
 * The decoding loop of transformers' GenerationMixin, independent of the engine: greedy search, sampling
 * and beam search (BeamSearchScorer's bookkeeping) over a `DecoderSession` that returns the next-token logits
 * of each row and keeps its own key/value cache. Batched prompts are left-padded; positions are
 * cumsum(mask) − 1 with padding at 1, as transformers' `prepare_inputs_for_generation` computes them.
 */
import { LenguaError } from '../errors.js';
import type { GenerationConfig } from './config.js';
import { buildProcessors, logSoftmax, softmax, type RowProcessor } from './logits.js';

/** One forward step. On the first step `newTokens` is the whole (padded) prompt; later it is 1. */
export interface DecoderStep {
  /** Every row's full ids so far (padded prompt + generated), [rows][len]. */
  ids: readonly (readonly number[])[];
  /** [rows][len]: 1 for real tokens, 0 for left padding. */
  attentionMask: readonly (readonly number[])[];
  /** [rows][len]. */
  positionIds: readonly (readonly number[])[];
  /** How many trailing tokens of each row the model has not seen yet. */
  newTokens: number;
}

export interface DecoderSession {
  /** Logits of the last position of each row, [rows × vocab] row-major. */
  step(input: DecoderStep): Promise<Float32Array>;
  /** Row r of the cache becomes old row `rows[r]` (beam search re-orders and expands beams). */
  reorder(rows: readonly number[]): void;
  /** Frees the cache. */
  close(): void;
}

export interface CausalLm {
  readonly vocabSize: number;
  /** Largest total length the model takes (n_positions). */
  readonly maxPositions: number;
  start(rows: number): DecoderSession;
}

export interface GenerateCallbacks {
  /** After each step, the token each output row got, null for rows that had already ended (greedy and sampling; not called for beam search). */
  onTokens?: (tokens: ReadonlyArray<number | null>) => void;
  /** Asked after each step for each unfinished row: true ends that row (stop strings). */
  shouldStop?: (row: number, generated: readonly number[]) => boolean;
  /** Checked between steps: a cancelled request stops there. */
  signal?: AbortSignal;
}

export interface GeneratedSequence {
  /** The prompt (without padding) followed by the generated tokens, EOS included when it ended the row. */
  sequence: number[];
  /** Generated tokens only. */
  generated: number[];
  /** Why the row ended. */
  finishReason: 'eos' | 'length' | 'stop';
  /** Beam search: the hypothesis' length-normalised score. */
  score?: number;
}

/** xoshiro128** seeded through splitmix32: a small, fast PRNG whose stream depends only on the seed. */
export class SeededRandom {
  private s = new Uint32Array(4);
  constructor(seed: number) {
    let x = (seed >>> 0) ^ Math.floor(seed / 2 ** 32);
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }
  /** Uniform in [0, 1). */
  next(): number {
    const s = this.s;
    const r = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return r / 2 ** 32;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

function argmax(row: Float32Array): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
}

/** torch.multinomial(softmax(scores), 1) with our RNG: the first token whose cumulative probability exceeds u. */
function sample(scores: Float32Array, rng: SeededRandom): number {
  const p = softmax(scores);
  const u = rng.next();
  let cum = 0;
  let last = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i]! === 0) continue;
    cum += p[i]!;
    last = i;
    if (u < cum) return i;
  }
  return last;
}

/** Left-pads prompts to one length: ids with `pad`, mask 0 there, positions cumsum(mask) − 1 and 1 on padding. */
export function leftPad(prompts: readonly (readonly number[])[], pad: number): { ids: number[][]; mask: number[][]; positions: number[][] } {
  const len = Math.max(...prompts.map((p) => p.length));
  const ids: number[][] = [];
  const mask: number[][] = [];
  const positions: number[][] = [];
  for (const p of prompts) {
    const n = len - p.length;
    ids.push([...new Array<number>(n).fill(pad), ...p]);
    mask.push([...new Array<number>(n).fill(0), ...new Array<number>(p.length).fill(1)]);
    positions.push([...new Array<number>(n).fill(1), ...p.map((_, i) => i)]);
  }
  return { ids, mask, positions };
}

/** The total length a request runs to: max_new_tokens counts after the padded prompt, as in transformers. */
export function targetLength(config: GenerationConfig, promptLength: number): number {
  return config.maxNewTokens !== null ? promptLength + config.maxNewTokens : config.maxLength;
}

function checkPrompts(model: CausalLm, prompts: readonly (readonly number[])[], config: GenerationConfig): { padLen: number; maxLength: number } {
  if (!Array.isArray(prompts) || prompts.length === 0) throw new LenguaError('expected at least one prompt', { field: 'prompts' });
  const rows = prompts.length * Math.max(config.numBeams, config.numReturnSequences);
  if (rows > 4096) throw new LenguaError(`prompts × beams (or return sequences) is ${rows}; at most 4096 rows per request`, { field: 'prompts' });
  prompts.forEach((p, i) => {
    if (!Array.isArray(p) || p.length === 0) throw new LenguaError(`prompt ${i} has no tokens`, { field: `prompts[${i}]` });
    for (const id of p) {
      if (!Number.isSafeInteger(id) || id < 0 || id >= model.vocabSize) throw new LenguaError(`prompt ${i} has token id ${id}, outside the vocabulary [0, ${model.vocabSize})`, { field: `prompts[${i}]` });
    }
  });
  const padLen = Math.max(...prompts.map((p) => p.length));
  const maxLength = targetLength(config, padLen);
  if (maxLength > model.maxPositions) {
    const fit = Math.max(0, model.maxPositions - padLen);
    if (config.maxNewTokens !== null) {
      throw new LenguaError(
        `the prompt (${padLen} tokens) plus ${config.maxNewTokens} new tokens is more than the ${model.maxPositions} positions the model has (n_positions); ask for at most ${fit} new tokens`,
        { field: 'maxNewTokens' },
      );
    }
    throw new LenguaError(`maxLength ${maxLength} is more than the ${model.maxPositions} positions the model has (n_positions); the prompt has ${padLen} tokens`, { field: 'maxLength' });
  }
  for (const id of [...config.eosTokenIds, ...config.badWordsIds.flat()]) {
    if (id >= model.vocabSize) throw new LenguaError(`token id ${id} is outside the vocabulary [0, ${model.vocabSize})`, { field: 'eosTokenId' });
  }
  return { padLen, maxLength };
}

/**
 * Generates for each prompt (token ids) `numReturnSequences` sequences, prompt-major
 * (`result[i * numReturnSequences + j]`), as transformers' generate() orders them.
 */
export async function generate(model: CausalLm, prompts: readonly (readonly number[])[], config: GenerationConfig, cb: GenerateCallbacks = {}): Promise<GeneratedSequence[]> {
  const { padLen, maxLength } = checkPrompts(model, prompts, config);
  return config.numBeams > 1 ? beamSearch(model, prompts, config, padLen, maxLength, cb) : sampleOrGreedy(model, prompts, config, padLen, maxLength, cb);
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new LenguaError('generation was cancelled', { field: 'signal' });
}

async function sampleOrGreedy(
  model: CausalLm,
  prompts: readonly (readonly number[])[],
  config: GenerationConfig,
  padLen: number,
  maxLength: number,
  cb: GenerateCallbacks,
): Promise<GeneratedSequence[]> {
  const pad = config.padTokenId ?? config.eosTokenIds[0] ?? 0;
  const expanded = prompts.flatMap((p) => new Array<readonly number[]>(config.numReturnSequences).fill(p));
  const { ids, mask, positions } = leftPad(expanded, pad);
  const rows = ids.length;
  const V = model.vocabSize;
  const processors: RowProcessor[] = buildProcessors(config, padLen, maxLength);
  const rng = config.doSample ? new SeededRandom(config.seed ?? Math.floor(Math.random() * 2 ** 48)) : null;
  const finished: Array<GeneratedSequence['finishReason'] | null> = new Array<GeneratedSequence['finishReason'] | null>(rows).fill(null);
  const generated: number[][] = ids.map(() => []);
  const eos = new Set(config.eosTokenIds);
  const session = model.start(rows);
  try {
    let newTokens = padLen;
    while (ids[0]!.length < maxLength) {
      checkAborted(cb.signal);
      const logits = await session.step({ ids, attentionMask: mask, positionIds: positions, newTokens });
      const next: number[] = [];
      const live = finished.map((f) => f === null);
      for (let r = 0; r < rows; r++) {
        const scores = logits.slice(r * V, (r + 1) * V);
        for (const p of processors) p(ids[r]!, scores);
        const tok = finished[r] !== null ? pad : rng !== null ? sample(scores, rng) : argmax(scores);
        next.push(tok);
      }
      for (let r = 0; r < rows; r++) {
        ids[r]!.push(next[r]!);
        mask[r]!.push(1);
        positions[r]!.push(positions[r]!.at(-1)! + 1);
        if (finished[r] !== null) continue;
        generated[r]!.push(next[r]!);
        if (eos.has(next[r]!)) finished[r] = 'eos';
        else if (cb.shouldStop?.(r, generated[r]!) === true) finished[r] = 'stop';
      }
      cb.onTokens?.(next.map((t, r) => (live[r] ? t : null)));
      newTokens = 1;
      if (finished.every((f) => f !== null)) break;
    }
  } finally {
    session.close();
  }
  return expanded.map((p, r) => ({ sequence: [...p, ...generated[r]!], generated: generated[r]!, finishReason: finished[r] ?? 'length' }));
}

interface Hypothesis {
  score: number;
  tokens: number[];
}

/** transformers' BeamHypotheses: the n best finished hypotheses, scored sum_logprobs / generated_len ** length_penalty. */
class BeamHypotheses {
  readonly beams: Hypothesis[] = [];
  worstScore = 1e9;
  constructor(
    private readonly numBeams: number,
    private readonly lengthPenalty: number,
    private readonly earlyStopping: boolean | 'never',
    private readonly maxLength: number,
  ) {}

  add(tokens: number[], sumLogprobs: number, generatedLen: number): void {
    const score = sumLogprobs / generatedLen ** this.lengthPenalty;
    if (this.beams.length < this.numBeams || score > this.worstScore) {
      this.beams.push({ score, tokens });
      if (this.beams.length > this.numBeams) {
        const sorted = this.beams.map((b, i) => [b.score, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        this.beams.splice(sorted[0]![1], 1);
        this.worstScore = sorted[1]![0];
      } else {
        this.worstScore = Math.min(score, this.worstScore);
      }
    }
  }

  isDone(bestSumLogprobs: number, curLen: number, promptLen: number): boolean {
    if (this.beams.length < this.numBeams) return false;
    if (this.earlyStopping === true) return true;
    const denom = this.earlyStopping === 'never' && this.lengthPenalty > 0 ? this.maxLength - promptLen : curLen - promptLen;
    return this.worstScore >= bestSumLogprobs / denom ** this.lengthPenalty;
  }
}

async function beamSearch(
  model: CausalLm,
  prompts: readonly (readonly number[])[],
  config: GenerationConfig,
  padLen: number,
  maxLength: number,
  cb: GenerateCallbacks,
): Promise<GeneratedSequence[]> {
  const K = config.numBeams;
  const B = prompts.length;
  const V = model.vocabSize;
  const pad = config.padTokenId ?? config.eosTokenIds[0] ?? 0;
  const eos = new Set(config.eosTokenIds);
  const expanded = prompts.flatMap((p) => new Array<readonly number[]>(K).fill(p));
  let { ids, mask, positions } = leftPad(expanded, pad);
  const processors = buildProcessors(config, padLen, maxLength);
  // Only beam 0 of each prompt starts live, so the first step does not pick K copies of one token.
  let beamScores = new Float32Array(B * K);
  for (let i = 0; i < B * K; i++) beamScores[i] = i % K === 0 ? 0 : -1e9;
  const hyps = prompts.map(() => new BeamHypotheses(K, config.lengthPenalty, config.earlyStopping, maxLength));
  const done: boolean[] = new Array<boolean>(B).fill(false);
  const keep = Math.max(2, 1 + eos.size) * K;
  const session = model.start(B * K);
  try {
    let newTokens = padLen;
    while (ids[0]!.length < maxLength) {
      checkAborted(cb.signal);
      const logits = await session.step({ ids, attentionMask: mask, positionIds: positions, newTokens });
      newTokens = 1;
      const curLen = ids[0]!.length + 1;
      const nextScores = new Float32Array(B * K);
      const nextTokens: number[] = new Array<number>(B * K).fill(pad);
      const nextRows: number[] = new Array<number>(B * K).fill(0);
      for (let b = 0; b < B; b++) {
        if (done[b]) {
          for (let k = 0; k < K; k++) nextRows[b * K + k] = b * K;
          continue;
        }
        // Candidates: log_softmax → processors → + beam score, the top `keep` over K × V.
        const cand = new Float32Array(K * V);
        for (let k = 0; k < K; k++) {
          const r = b * K + k;
          const scores = logSoftmax(logits.subarray(r * V, (r + 1) * V));
          for (const p of processors) p(ids[r]!, scores);
          const bs = beamScores[r]!;
          for (let v = 0; v < V; v++) cand[k * V + v] = scores[v]! + bs;
        }
        const top = topIndices(cand, keep);
        let filled = 0;
        for (let rank = 0; rank < top.length && filled < K; rank++) {
          const flat = top[rank]!;
          const k = Math.floor(flat / V);
          const tok = flat % V;
          const r = b * K + k;
          if (eos.has(tok)) {
            if (rank >= K) continue;
            hyps[b]!.add(ids[r]!.slice(), cand[flat]!, curLen - padLen);
          } else {
            nextScores[b * K + filled] = cand[flat]!;
            nextTokens[b * K + filled] = tok;
            nextRows[b * K + filled] = r;
            filled++;
          }
        }
        if (filled < K) throw new LenguaError(`beam search found fewer than ${K} continuations that are not EOS`, { field: 'numBeams' });
        done[b] = hyps[b]!.isDone(cand[top[0]!]!, curLen, padLen);
      }
      ids = nextRows.map((r, i) => [...ids[r]!, nextTokens[i]!]);
      mask = nextRows.map((r) => [...mask[r]!, 1]);
      positions = nextRows.map((r) => [...positions[r]!, positions[r]!.at(-1)! + 1]);
      beamScores = nextScores;
      session.reorder(nextRows);
      if (done.every(Boolean)) break;
      if (cb.shouldStop !== undefined && ids.every((row, r) => cb.shouldStop!(r, row.slice(padLen)))) break;
    }
  } finally {
    session.close();
  }
  // finalize: open beams of unfinished prompts join the hypotheses with their running scores.
  const out: GeneratedSequence[] = [];
  for (let b = 0; b < B; b++) {
    if (!done[b]) for (let k = 0; k < K; k++) hyps[b]!.add(ids[b * K + k]!, beamScores[b * K + k]!, ids[b * K + k]!.length - padLen);
    const sorted = hyps[b]!.beams.map((h, i) => [h, i] as const).sort((x, y) => y[0].score - x[0].score || x[1] - y[1]);
    const prompt = prompts[b]!;
    for (let j = 0; j < config.numReturnSequences; j++) {
      const h = sorted[j]![0];
      const gen = h.tokens.slice(padLen);
      // A hypothesis shorter than max_length ended with EOS (transformers appends eos_token_id[0]).
      const ended = h.tokens.length < maxLength && config.eosTokenIds.length > 0;
      if (ended) gen.push(config.eosTokenIds[0]!);
      out.push({ sequence: [...prompt, ...gen], generated: gen, finishReason: ended ? 'eos' : 'length', score: h.score });
    }
  }
  return out;
}

/** Indices of the n largest values, largest first; ties keep the lower index first. */
function topIndices(values: Float32Array, n: number): number[] {
  const heap: number[] = [];
  const worse = (a: number, b: number): boolean => values[a]! < values[b]! || (values[a] === values[b] && a > b);
  for (let i = 0; i < values.length; i++) {
    if (heap.length < n) {
      heap.push(i);
      if (heap.length === n) heap.sort((a, b) => (worse(a, b) ? -1 : 1));
      continue;
    }
    if (!worse(heap[0]!, i)) continue;
    // Insert i keeping heap sorted from worst to best (n is small: 2–3 × numBeams).
    let j = 1;
    while (j < n && worse(heap[j]!, i)) j++;
    heap.splice(j, 0, i);
    heap.shift();
  }
  if (heap.length < n) heap.sort((a, b) => (worse(a, b) ? -1 : 1));
  return heap.reverse();
}
