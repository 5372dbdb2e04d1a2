/**
 * The per-prediction facts monitoring keeps, and their counts over the fixed bins — one implementation for
 * both the reference (computed once over a data file) and the live window (added to and taken from).
 */
import { binIndex, CONFIDENCE_EDGES, INPUT_TOKEN_EDGES, UNKNOWN_RATE_EDGES } from './bins.js';

/** One prediction as monitoring sees it. */
export interface Observation {
  /** The top label. */
  label: string;
  /** Its score (the softmax or sigmoid probability). */
  score: number;
  /** Tokens of the input as the tokenizer gives them, special tokens included, before truncation. */
  inputTokens: number;
  /** How many of those are the tokenizer's unknown token. */
  unknownTokens: number;
}

/** Longest label kept; a longer one is refused (labels come from config.json or a client's feedback). */
export const MAX_LABEL_LENGTH = 256;

/** Why an observation cannot be counted, or null when it can. */
export function checkObservation(o: Observation): string | null {
  if (typeof o !== 'object' || o === null) return 'not an object';
  if (typeof o.label !== 'string' || o.label.length === 0 || o.label.length > MAX_LABEL_LENGTH) return `label must be a string of 1 to ${MAX_LABEL_LENGTH} characters`;
  if (typeof o.score !== 'number' || !Number.isFinite(o.score)) return 'score must be a finite number';
  if (!Number.isSafeInteger(o.inputTokens) || o.inputTokens < 0) return 'inputTokens must be a whole number >= 0';
  if (!Number.isSafeInteger(o.unknownTokens) || o.unknownTokens < 0 || o.unknownTokens > o.inputTokens) return 'unknownTokens must be a whole number in [0, inputTokens]';
  return null;
}

/** Unknown tokens per input token of one text (0 for an empty input). */
export function unknownRate(o: Pick<Observation, 'inputTokens' | 'unknownTokens'>): number {
  return o.inputTokens === 0 ? 0 : o.unknownTokens / o.inputTokens;
}

/** Counts per bin of every monitored distribution, and the sums behind the means. */
export class DistributionCounts {
  readonly labels: number[];
  readonly confidence = new Array<number>(CONFIDENCE_EDGES.length + 1).fill(0);
  readonly inputTokens = new Array<number>(INPUT_TOKEN_EDGES.length + 1).fill(0);
  readonly unknownRate = new Array<number>(UNKNOWN_RATE_EDGES.length + 1).fill(0);
  count = 0;
  tokens = 0;
  unknownTokens = 0;
  scoreSum = 0;

  constructor(readonly labelNames: readonly string[]) {
    this.labels = new Array<number>(labelNames.length).fill(0);
  }

  /** Adds (sign 1) or removes (sign -1) one checked observation whose label is `labelIndex` (-1: not a known label). */
  apply(labelIndex: number, score: number, inputTokens: number, unknownTokens: number, sign: 1 | -1): void {
    if (labelIndex >= 0) this.labels[labelIndex]! += sign;
    this.confidence[binIndex(CONFIDENCE_EDGES, score)]! += sign;
    this.inputTokens[binIndex(INPUT_TOKEN_EDGES, inputTokens)]! += sign;
    this.unknownRate[binIndex(UNKNOWN_RATE_EDGES, unknownRate({ inputTokens, unknownTokens }))]! += sign;
    this.count += sign;
    this.tokens += sign * inputTokens;
    this.unknownTokens += sign * unknownTokens;
    this.scoreSum += sign * score;
  }

  /** Unknown tokens over all input tokens; null before any token. */
  get unknownTokenRate(): number | null {
    return this.tokens > 0 ? this.unknownTokens / this.tokens : null;
  }

  get meanConfidence(): number | null {
    return this.count > 0 ? this.scoreSum / this.count : null;
  }
}
