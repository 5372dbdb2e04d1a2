/**
 * Text generation behind the routes: Hugging Face / OpenAI parameters mapped onto the pipeline's
 * GenerationOptions, one job at a time per model through its queue (the decoder batches inside a call),
 * whole answers or a token stream. The client's disconnect aborts the job between two steps.
 */
import { PassThrough } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TextGenerationCallOptions, TextGenerationOutput, StreamedToken } from '../infer/index.js';
import { withDeadline, type ServeContext } from './context.js';
import { HttpError } from './errors.js';
import type { GenerationJob, ModelSlot } from './models.js';

type Params = Record<string, unknown>;

function num(p: Params, key: string, min: number, max: number, int: boolean): number | undefined {
  const v = p[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (int && !Number.isInteger(v))) {
    throw new HttpError(422, 'validation', `parameters.${key} must be ${int ? 'an integer' : 'a number'} in [${min}, ${max}], got ${JSON.stringify(v)}`);
  }
  return v;
}

function bool(p: Params, key: string): boolean | undefined {
  const v = p[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new HttpError(422, 'validation', `parameters.${key} must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function stops(p: Params, key: string): string[] | undefined {
  const v = p[key];
  if (v === undefined || v === null) return undefined;
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.length > 16 || !list.every((s) => typeof s === 'string' && s.length > 0 && s.length <= 256)) {
    throw new HttpError(422, 'validation', `parameters.${key} must be a string or at most 16 non-empty strings of at most 256 characters`);
  }
  return list as string[];
}

/**
 * Generation options from a request's parameters, in Hugging Face's names (`max_new_tokens`, `top_k`,
 * `do_sample`, …) or OpenAI's (`max_tokens`, `n`; a temperature above 0 samples, as OpenAI servers do).
 */
export function generationOptions(p: Params, maxNewTokensLimit: number, openai: boolean): TextGenerationCallOptions {
  const o: TextGenerationCallOptions = {};
  const maxNew = num(p, openai ? 'max_tokens' : 'max_new_tokens', 1, maxNewTokensLimit, true) ?? (openai ? num(p, 'max_completion_tokens', 1, maxNewTokensLimit, true) : undefined);
  o.maxNewTokens = maxNew ?? Math.min(maxNewTokensLimit, 64);
  const set = <K extends keyof TextGenerationCallOptions>(k: K, v: TextGenerationCallOptions[K] | undefined): void => {
    if (v !== undefined) o[k] = v;
  };
  const temperature = num(p, 'temperature', 0, 100, false);
  if (openai) {
    if (temperature !== undefined && temperature > 0) {
      o.doSample = true;
      o.temperature = temperature;
    }
    if (o.doSample === true) set('topP', num(p, 'top_p', 0, 1, false));
    set('numReturnSequences', num(p, 'n', 1, 8, true));
  } else {
    set('doSample', bool(p, 'do_sample'));
    if (temperature !== undefined && temperature > 0) set('temperature', temperature);
    set('topK', num(p, 'top_k', 0, 100_000, true));
    set('topP', num(p, 'top_p', 0, 1, false));
    set('repetitionPenalty', num(p, 'repetition_penalty', 0, 100, false));
    set('noRepeatNgramSize', num(p, 'no_repeat_ngram_size', 0, 100, true));
    set('numBeams', num(p, 'num_beams', 1, 16, true));
    set('numReturnSequences', num(p, 'num_return_sequences', 1, 16, true));
    set('lengthPenalty', num(p, 'length_penalty', -100, 100, false));
    set('earlyStopping', bool(p, 'early_stopping'));
    set('minNewTokens', num(p, 'min_new_tokens', 0, maxNewTokensLimit, true));
    set('returnFullText', bool(p, 'return_full_text'));
  }
  set('seed', num(p, 'seed', 0, 2 ** 31 - 1, true));
  set('stopStrings', stops(p, 'stop') ?? stops(p, 'stop_sequences'));
  return o;
}

export interface Generated {
  texts: string[];
  promptTokens: number;
  completionTokens: number[];
  finishReasons: Array<'stop' | 'length'>;
}

function checkQueue(slot: ModelSlot): void {
  const b = slot.current.batcher;
  if (b.pending >= b.options.maxConcurrentRequests) throw new HttpError(429, 'overloaded', `model ${slot.name} has ${b.pending} requests in flight; retry later`, { retryAfter: 1 });
}

/** Runs one prompt to completion. */
export async function generate(ctx: ServeContext, slot: ModelSlot, prompt: string, options: TextGenerationCallOptions, request: FastifyRequest, reply: FastifyReply): Promise<Generated> {
  const model = slot.current;
  checkQueue(slot);
  const promptTokens = model.tokenizer.encode(prompt, { addSpecialTokens: false }).ids.length;
  const { signal, deadline } = ctx.lifetime(request, reply);
  const job: GenerationJob = (pipe) => pipe.run(prompt, { ...options, signal });
  const out = (await ctx.guard(slot, model, withDeadline(model.batcher.submit({ input: job, cost: promptTokens, group: 'generate', signal, deadline }), deadline))) as TextGenerationOutput[];
  const full = options.returnFullText !== false;
  const texts = out.map((o) => o.generated_text);
  const newText = (t: string): string => (full && t.startsWith(prompt) ? t.slice(prompt.length) : t);
  const completionTokens = texts.map((t) => model.tokenizer.encode(newText(t), { addSpecialTokens: false }).ids.length);
  const maxNew = options.maxNewTokens ?? Infinity;
  return { texts, promptTokens, completionTokens, finishReasons: completionTokens.map((n) => (n >= maxNew ? 'length' : 'stop')) };
}

/**
 * Streams one prompt's new tokens: `onToken(text)` per printable piece, then resolves with the counts.
 * The queue admits the stream like any request; the job ends when the stream does.
 */
export function generateStream(
  ctx: ServeContext,
  slot: ModelSlot,
  prompt: string,
  options: TextGenerationCallOptions,
  request: FastifyRequest,
  reply: FastifyReply,
  format: (piece: { text: string; done: boolean; finishReason?: 'stop' | 'length'; promptTokens: number; completionTokens: number }) => string,
): PassThrough {
  const model = slot.current;
  checkQueue(slot);
  const promptTokens = model.tokenizer.encode(prompt, { addSpecialTokens: false }).ids.length;
  const { signal, deadline } = ctx.lifetime(request, reply);
  const body = new PassThrough();
  const job: GenerationJob = async (pipe) => {
    let n = 0;
    const stream = (pipe as unknown as { stream(t: string, o: TextGenerationCallOptions): AsyncGenerator<StreamedToken> }).stream(prompt, { ...options, signal });
    for await (const t of stream) {
      if (t.token !== null) n++;
      if (t.text !== '') body.write(format({ text: t.text, done: false, promptTokens, completionTokens: n }));
    }
    const finishReason = n >= (options.maxNewTokens ?? Infinity) ? 'length' : 'stop';
    body.end(format({ text: '', done: true, finishReason, promptTokens, completionTokens: n }));
    return null;
  };
  model.batcher.submit({ input: job, cost: promptTokens, group: 'generate', signal, deadline }).catch((err: unknown) => {
    // Headers are sent: the error goes into the stream as an event, then the stream ends.
    if (!body.writableEnded) body.end(`data: ${JSON.stringify({ error: (err as Error).message, error_type: err instanceof HttpError ? err.errorType : 'backend' })}\n\n`);
  });
  return body;
}
