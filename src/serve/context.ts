/**
 * What every route shares: the served models by name, the limits, the metrics, and `runTexts` — the one
 * path by which an encoder request reaches a model (length check, cost, batch queue, deadline, the
 * client's disconnect).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LenguaError } from '../errors.js';
import type { QuestionAnsweringInput, TextPair } from '../infer/index.js';
import { HttpError } from './errors.js';
import type { ServerMetrics } from './metrics.js';
import type { LoadedModel, ModelSlot, ServeTask } from './models.js';

export interface ServeLimits {
  /** Inputs per request (TEI's --max-client-batch-size). */
  maxClientBatchSize: number;
  /** Milliseconds a request may take from arrival to answer (504 after). */
  timeoutMs: number;
  /** New tokens one generation request may ask for. */
  maxNewTokens: number;
}

export const DEFAULT_LIMITS: ServeLimits = { maxClientBatchSize: 256, timeoutMs: 30_000, maxNewTokens: 512 };

/** Called after each answered encoder batch of a request, for model monitoring. */
export type PredictionObserver = (model: LoadedModel, observed: Array<{ inputTokens: number; unknownTokens: number; output: unknown }>, request: FastifyRequest) => void;

export class ServeContext {
  readonly slots = new Map<string, ModelSlot>();
  observers: PredictionObserver[] = [];
  /** Called when a model's worker is found dead; the server replaces the model. */
  onDead: (slot: ModelSlot) => void = () => undefined;

  constructor(
    readonly limits: ServeLimits,
    readonly metrics: ServerMetrics,
  ) {}

  slot(name: string): ModelSlot {
    const s = this.slots.get(name);
    if (s === undefined) throw new HttpError(404, 'not_found', `no model named ${JSON.stringify(name)} is served (served: ${[...this.slots.keys()].join(', ')})`);
    return s;
  }

  /** The model for a route without a model in its path: `?model=` or `model` in the body, else the first serving one of `tasks`. */
  pick(tasks: readonly ServeTask[], name: string | undefined): ModelSlot {
    if (name !== undefined && name !== '') {
      const s = this.slot(name);
      if (!tasks.includes(s.current.task)) throw new HttpError(400, 'validation', `model ${JSON.stringify(name)} serves ${s.current.task}, not ${tasks.join(' or ')}`);
      return s;
    }
    for (const s of this.slots.values()) if (tasks.includes(s.current.task)) return s;
    throw new HttpError(404, 'not_found', `no served model does ${tasks.join(' or ')}`);
  }

  /** An AbortSignal that fires when the client goes away before its answer is sent, and the request's deadline. */
  lifetime(request: FastifyRequest, reply: FastifyReply): { signal: AbortSignal; deadline: number } {
    const ac = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) ac.abort();
    });
    return { signal: ac.signal, deadline: Date.now() + this.limits.timeoutMs };
  }

  /** A request that failed because the model's worker died gets 503, and the model is replaced. */
  async guard<T>(slot: ModelSlot, model: LoadedModel, p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (err) {
      if (!model.alive && !(err instanceof HttpError)) {
        // A late failure on a version already replaced must not replace its successor.
        if (slot.current === model) this.onDead(slot);
        throw new HttpError(503, 'unhealthy', "the model's worker stopped during this request; it is being replaced: retry", { retryAfter: 1 });
      }
      throw err;
    }
  }

  checkBatch(n: number, field: string): void {
    if (n === 0) throw new HttpError(422, 'validation', `${field} is empty`);
    if (n > this.limits.maxClientBatchSize) throw new HttpError(422, 'validation', `${field} holds ${n} inputs; the limit is ${this.limits.maxClientBatchSize} per request (--max-client-batch-size)`);
  }

  /**
   * Runs texts (or pairs, or question-answering inputs) through the model's batch queue with one set of call
   * options; resolves with one output per text, in order. Inputs over the model's length are refused with 422
   * unless `truncate`; a question's context is not (the pipeline reads it in windows), and costs all its tokens.
   */
  async runTexts(
    slot: ModelSlot,
    inputs: Array<string | TextPair | QuestionAnsweringInput>,
    call: { callOptions: Record<string, unknown>; candidateLabels?: string[] },
    truncate: boolean,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<unknown[]> {
    const model = slot.current;
    this.checkBatch(inputs.length, 'inputs');
    // Admit all of a request's inputs or none (the queue limit counts inputs), before any tokenizing:
    // under overload a refusal must stay cheap.
    const b = model.batcher;
    if (b.pending + inputs.length > b.options.maxConcurrentRequests) {
      throw new HttpError(429, 'overloaded', `model ${model.name} has ${b.pending} inputs in flight (limit ${b.options.maxConcurrentRequests}); retry later`, { retryAfter: 1 });
    }
    const counts = inputs.map((x, i) => {
      const qa = typeof x !== 'string' && 'context' in x;
      const enc = typeof x === 'string' ? model.tokenizer.encode(x) : qa ? model.tokenizer.encode(x.question, { pair: x.context }) : model.tokenizer.encode(x.text, { pair: x.textPair });
      const n = enc.ids.length;
      if (n > model.maxTokens && !truncate && !qa) {
        throw new HttpError(422, 'validation', `inputs[${i}] is ${n} tokens; model ${model.name} takes at most ${model.maxTokens} (send truncate: true to cut it)`);
      }
      const unk = model.tokenizer.unkTokenId;
      return { inputTokens: n, unknownTokens: unk === null ? 0 : enc.ids.filter((id) => id === unk).length };
    });
    for (const c of counts) this.metrics.inputTokens.observe({ model: model.name, version: model.version }, c.inputTokens);
    const labels = call.candidateLabels?.length ?? 1;
    const group = JSON.stringify(call);
    const { signal, deadline } = this.lifetime(request, reply);
    const pipeInputs = inputs.map((x) => (typeof x === 'string' ? x : 'context' in x ? { question: x.question, context: x.context } : { text: x.text, textPair: x.textPair }));
    const outputs = await this.guard(slot, model, withDeadline(
      Promise.all(pipeInputs.map((input, i) => {
        const tokens = typeof input !== 'string' && 'context' in input ? counts[i]!.inputTokens : Math.min(counts[i]!.inputTokens, model.maxTokens);
        return model.batcher.submit({ input, cost: tokens * labels, group, signal, deadline });
      })),
      deadline,
    ));
    if (this.observers.length > 0) {
      const observed = outputs.map((output, i) => ({ ...counts[i]!, output }));
      for (const o of this.observers) o(model, observed, request);
    }
    return outputs;
  }
}

/** Rejects with 504 when `deadline` passes first (the work itself is not interrupted; its result is dropped). */
export async function withDeadline<T>(p: Promise<T>, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HttpError(504, 'timeout', 'the request took longer than the server timeout')), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A LenguaError from a pipeline is about the request's own input or options: 422 with its message. */
export function clientError(err: unknown): HttpError | null {
  if (err instanceof HttpError) return err;
  if (err instanceof LenguaError && err.field !== undefined && err.file === undefined) return new HttpError(422, 'validation', err.message);
  return null;
}
