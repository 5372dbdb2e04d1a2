/**
 * Live quality from feedback: the predictions of recent requests are remembered (a bounded, expiring map of
 * request id → predicted labels) so that a true label sent later by `POST /feedback` finds what the model
 * said; the pairs (true, predicted) of the last N feedbacks give accuracy and macro-F1. Nothing here grows
 * without bound, and a request id that is unknown, expired or already answered is reported, never thrown.
 */
import { LenguaError } from '../../errors.js';
import { accuracyScore, f1Score } from '../../metrics/index.js';
import { MAX_LABEL_LENGTH } from './counts.js';

export const MAX_REQUEST_ID_LENGTH = 200;
/** Predictions remembered per request (a request's inputs; the server's own batch limit is lower). */
export const MAX_PREDICTIONS_PER_REQUEST = 4096;

/** Which prediction a true label is for: a request id (its first input, or `index`), or the predicted label itself. */
export type FeedbackRef = string | { requestId: string; index?: number } | { predicted: string };

export type FeedbackStatus = 'recorded' | 'unknown_request' | 'duplicate' | 'invalid';

export interface FeedbackResult {
  status: FeedbackStatus;
  /** What went wrong, for every status but 'recorded'. */
  message?: string;
  /** The predicted label the true label was paired with. */
  predicted?: string;
}

interface Pending {
  labels: string[];
  /** Who made the request (an API key id): only they may give its feedback. */
  owner: string | undefined;
  /** 1 where feedback was given for that input. */
  given: Uint8Array;
  at: number;
}

export interface FeedbackCounters {
  received: number;
  recorded: number;
  unknownRequest: number;
  duplicate: number;
  invalid: number;
}

export class FeedbackTracker {
  private readonly pending = new Map<string, Pending>();
  private readonly truth: string[];
  private readonly predicted: string[];
  private next = 0;
  private filled = 0;
  private cached: { accuracy: number | null; macroF1: number | null } | null = null;
  readonly counters: FeedbackCounters = { received: 0, recorded: 0, unknownRequest: 0, duplicate: 0, invalid: 0 };

  constructor(
    /** The model's labels: a true label must be one of them (so a client cannot grow the label set). Empty: any label. */
    private readonly labels: ReadonlySet<string>,
    readonly window: number,
    readonly pendingLimit: number,
    readonly pendingTtlMs: number,
    private readonly now: () => number,
  ) {
    this.truth = new Array<string>(window);
    this.predicted = new Array<string>(window);
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  get count(): number {
    return this.filled;
  }

  /**
   * Remembers what the model predicted for a request (one label per input, in order). With `owner` (the
   * id of the API key that made it), feedback for it is taken only from the same owner.
   */
  record(requestId: string, labels: readonly string[], owner?: string): boolean {
    if (typeof requestId !== 'string' || requestId.length === 0 || requestId.length > MAX_REQUEST_ID_LENGTH) return false;
    if (labels.length === 0 || labels.length > MAX_PREDICTIONS_PER_REQUEST) return false;
    const now = this.now();
    this.dropExpired(now);
    this.pending.delete(requestId); // a reused id is the newest prediction: move it to the back
    this.pending.set(requestId, { labels: [...labels], owner, given: new Uint8Array(labels.length), at: now });
    while (this.pending.size > this.pendingLimit) this.pending.delete(this.pending.keys().next().value!);
    return true;
  }

  /** Oldest first in a Map: stop at the first one still young. */
  private dropExpired(now: number): void {
    for (const [id, p] of this.pending) {
      if (now - p.at <= this.pendingTtlMs) break;
      this.pending.delete(id);
    }
  }

  private badLabel(label: unknown, what: string): string | null {
    if (typeof label !== 'string' || label.length === 0 || label.length > MAX_LABEL_LENGTH) return `${what} must be a string of 1 to ${MAX_LABEL_LENGTH} characters`;
    if (this.labels.size > 0 && !this.labels.has(label)) {
      const shown = [...this.labels].slice(0, 20).map((l) => JSON.stringify(l)).join(', ');
      return `${what} ${JSON.stringify(label.slice(0, 64))} is not one of the model's labels (${shown}${this.labels.size > 20 ? ', …' : ''})`;
    }
    return null;
  }

  /** Pairs a true label with a prediction and adds the pair to the window. */
  give(ref: FeedbackRef, trueLabel: string, owner?: string): FeedbackResult {
    this.counters.received++;
    const out = this.resolve(ref, trueLabel, owner);
    if (out.status !== 'recorded') {
      this.counters[out.status === 'unknown_request' ? 'unknownRequest' : out.status]++;
      return out;
    }
    this.counters.recorded++;
    this.truth[this.next] = trueLabel;
    this.predicted[this.next] = out.predicted!;
    this.next = (this.next + 1) % this.window;
    this.filled = Math.min(this.filled + 1, this.window);
    this.cached = null;
    return out;
  }

  private resolve(ref: FeedbackRef, trueLabel: string, owner: string | undefined): FeedbackResult {
    const bad = this.badLabel(trueLabel, 'label');
    if (bad !== null) return { status: 'invalid', message: bad };
    if (typeof ref === 'object' && ref !== null && 'predicted' in ref) {
      const badPred = this.badLabel(ref.predicted, 'predicted');
      if (badPred !== null) return { status: 'invalid', message: badPred };
      return { status: 'recorded', predicted: ref.predicted };
    }
    const id = typeof ref === 'string' ? ref : ref?.requestId;
    const index = typeof ref === 'string' ? 0 : ref?.index ?? 0;
    if (typeof id !== 'string' || id.length === 0 || id.length > MAX_REQUEST_ID_LENGTH) return { status: 'invalid', message: `request id must be a string of 1 to ${MAX_REQUEST_ID_LENGTH} characters` };
    if (!Number.isSafeInteger(index) || index < 0) return { status: 'invalid', message: 'index must be a whole number >= 0' };
    const p = this.pending.get(id);
    // Another owner's request reads as unknown: whether it exists is not theirs to learn.
    if (p === undefined || this.now() - p.at > this.pendingTtlMs || (p.owner !== undefined && p.owner !== owner)) {
      if (p !== undefined && this.now() - p.at > this.pendingTtlMs) this.pending.delete(id);
      return {
        status: 'unknown_request',
        message: `no prediction is remembered for request ${JSON.stringify(id.slice(0, 64))}: unknown, or older than the last ${this.pendingLimit} requests or ${Math.round(this.pendingTtlMs / 1000)} s`,
      };
    }
    if (index >= p.labels.length) return { status: 'invalid', message: `request ${JSON.stringify(id.slice(0, 64))} had ${p.labels.length} input(s); index ${index} is out of range` };
    if (p.given[index] === 1) return { status: 'duplicate', message: `feedback for request ${JSON.stringify(id.slice(0, 64))} input ${index} was already given`, predicted: p.labels[index]! };
    p.given[index] = 1;
    if (p.given.every((g) => g === 1)) this.pending.delete(id);
    return { status: 'recorded', predicted: p.labels[index]! };
  }

  /** Accuracy and macro-F1 (scikit-learn's, zero_division 0, over the labels seen in the window); null before any feedback. */
  metrics(): { accuracy: number | null; macroF1: number | null } {
    if (this.cached !== null) return this.cached;
    if (this.filled === 0) return (this.cached = { accuracy: null, macroF1: null });
    const t = this.filled < this.window ? this.truth.slice(0, this.filled) : this.truth;
    const p = this.filled < this.window ? this.predicted.slice(0, this.filled) : this.predicted;
    this.cached = { accuracy: accuracyScore(t, p), macroF1: f1Score(t, p, { average: 'macro', zeroDivision: 0 }) as number };
    return this.cached;
  }
}

/** True labels per `POST /feedback`, at most. */
export const MAX_FEEDBACK_ITEMS = 1000;

/**
 * JSON schema of the `POST /feedback` body (for Fastify's validation): one item, or `feedback: [items]`.
 * An item is `{request_id, index?, label}` (the prediction the server made for that request; `index` picks
 * an input of a batch request) or `{predicted, label}` (the client says what the model predicted).
 */
export const FEEDBACK_BODY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    model: { type: 'string', minLength: 1, maxLength: 256 },
    request_id: { type: 'string', minLength: 1, maxLength: MAX_REQUEST_ID_LENGTH },
    index: { type: 'integer', minimum: 0, maximum: MAX_PREDICTIONS_PER_REQUEST - 1 },
    predicted: { type: 'string', minLength: 1, maxLength: MAX_LABEL_LENGTH },
    label: { type: 'string', minLength: 1, maxLength: MAX_LABEL_LENGTH },
    feedback: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_FEEDBACK_ITEMS,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['label'],
        properties: {
          request_id: { type: 'string', minLength: 1, maxLength: MAX_REQUEST_ID_LENGTH },
          index: { type: 'integer', minimum: 0, maximum: MAX_PREDICTIONS_PER_REQUEST - 1 },
          predicted: { type: 'string', minLength: 1, maxLength: MAX_LABEL_LENGTH },
          label: { type: 'string', minLength: 1, maxLength: MAX_LABEL_LENGTH },
        },
      },
    },
  },
} as const;

export interface FeedbackItem {
  ref: FeedbackRef;
  label: string;
}

/**
 * The items of a `POST /feedback` body (see FEEDBACK_BODY_SCHEMA), checked again here so that the function
 * is safe without the schema; a malformed body is a LenguaError naming the field (the server answers 422).
 */
export function feedbackItems(body: unknown): { model?: string; items: FeedbackItem[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new LenguaError('expected a JSON object', { field: 'body' });
  const b = body as Record<string, unknown>;
  const model = b.model;
  if (model !== undefined && (typeof model !== 'string' || model.length === 0 || model.length > 256)) throw new LenguaError('expected a model name', { field: 'model' });
  const single = b.feedback === undefined;
  const raw = single ? [b] : b.feedback;
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_FEEDBACK_ITEMS) throw new LenguaError(`expected 1 to ${MAX_FEEDBACK_ITEMS} items`, { field: 'feedback' });
  if (!single && (b.label !== undefined || b.request_id !== undefined || b.predicted !== undefined)) throw new LenguaError('give one item at the top level or items in feedback, not both', { field: 'feedback' });
  const items = raw.map((x: unknown, i): FeedbackItem => {
    const field = single ? '' : `feedback[${i}].`;
    if (typeof x !== 'object' || x === null) throw new LenguaError('expected an object', { field: `feedback[${i}]` });
    const it = x as Record<string, unknown>;
    if (typeof it.label !== 'string') throw new LenguaError('expected the true label', { field: `${field}label` });
    const hasId = it.request_id !== undefined;
    const hasPred = it.predicted !== undefined;
    if (hasId === hasPred) throw new LenguaError('give request_id (the prediction the server made) or predicted (what the model said), one of them', { field: `${field}request_id` });
    if (hasPred) {
      if (typeof it.predicted !== 'string') throw new LenguaError('expected a label', { field: `${field}predicted` });
      return { ref: { predicted: it.predicted }, label: it.label };
    }
    if (typeof it.request_id !== 'string') throw new LenguaError('expected a string', { field: `${field}request_id` });
    if (it.index !== undefined && (typeof it.index !== 'number' || !Number.isSafeInteger(it.index) || it.index < 0)) throw new LenguaError('expected a whole number >= 0', { field: `${field}index` });
    return { ref: { requestId: it.request_id, ...(it.index !== undefined ? { index: it.index as number } : {}) }, label: it.label };
  });
  return { ...(model !== undefined ? { model: model as string } : {}), items };
}
