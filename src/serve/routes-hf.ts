/**
 * The Hugging Face Inference API: `POST /models/:name` with `{"inputs": ..., "parameters": {...}}`, answered
 * in the shapes the official `@huggingface/inference` client reads (`[[{label, score}]]`, `entity_group/
 * score/word/start/end`, `[{generated_text}]`, nested floats, fill-mask and zero-shot lists). Parameters
 * keep their Python names (`top_k`, `aggregation_strategy`, `candidate_labels`, `max_new_tokens`).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TextPair } from '../infer/index.js';
import type { ServeContext } from './context.js';
import { HttpError } from './errors.js';
import { generate, generationOptions } from './generation.js';

export interface HfBody {
  inputs: unknown;
  parameters?: Record<string, unknown>;
  options?: Record<string, unknown>;
}

export const hfBodySchema = {
  type: 'object',
  required: ['inputs'],
  properties: {
    inputs: { anyOf: [{ type: 'string' }, { type: 'array' }, { type: 'object' }] },
    parameters: { type: 'object' },
    options: { type: 'object' },
  },
} as const;

/** `inputs` as a list of texts (or `{text, text_pair}` pairs where allowed) and whether one input was sent. */
function textList(inputs: unknown, pairs: boolean): { list: Array<string | TextPair>; single: boolean } {
  const one = (x: unknown, i: number | null): string | TextPair => {
    if (typeof x === 'string') return x;
    if (pairs && typeof x === 'object' && x !== null && typeof (x as { text?: unknown }).text === 'string' && typeof (x as { text_pair?: unknown }).text_pair === 'string') {
      return { text: (x as { text: string }).text, textPair: (x as { text_pair: string }).text_pair };
    }
    throw new HttpError(400, 'validation', `${i === null ? 'inputs' : `inputs[${i}]`} must be a string${pairs ? ' or {"text", "text_pair"}' : ''}`);
  };
  if (Array.isArray(inputs)) return { list: inputs.map((x, i) => one(x, i)), single: false };
  return { list: [one(inputs, null)], single: true };
}

function param<T>(p: Record<string, unknown>, key: string, check: (v: unknown) => v is T, what: string): T | undefined {
  const v = p[key];
  if (v === undefined || v === null) return undefined;
  if (!check(v)) throw new HttpError(422, 'validation', `parameters.${key} must be ${what}, got ${JSON.stringify(v)}`);
  return v;
}
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 100_000;
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const oneOf = <T extends string>(...xs: T[]) => (v: unknown): v is T => typeof v === 'string' && (xs as string[]).includes(v);
const isStrings = (v: unknown): v is string | string[] => typeof v === 'string' || (Array.isArray(v) && v.length <= 1000 && v.every((x) => typeof x === 'string'));

/** Answers one HF Inference API request for the model's task. */
export async function hfInference(ctx: ServeContext, name: string, body: HfBody, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const slot = ctx.slot(name);
  const task = slot.current.task;
  const p = body.parameters ?? {};
  const truncate = param(p, 'truncation', isBool, 'true or false') ?? param(p, 'truncate', isBool, 'true or false') ?? false;
  switch (task) {
    case 'text-classification': {
      const { list } = textList(body.inputs, true);
      const topK = p.top_k === null ? null : param(p, 'top_k', isInt, 'a positive integer or null');
      const fn = param(p, 'function_to_apply', oneOf('sigmoid', 'softmax', 'none'), 'sigmoid, softmax or none');
      const call = { ...(topK !== undefined ? { topK } : {}), ...(fn !== undefined ? { functionToApply: fn } : {}) };
      // One list of labels per input, also for a single input: [[{label, score}]].
      return ctx.runTexts(slot, list, { callOptions: call }, truncate, request, reply);
    }
    case 'token-classification': {
      const { list, single } = textList(body.inputs, false);
      const agg = param(p, 'aggregation_strategy', oneOf('none', 'simple', 'first', 'average', 'max'), 'none, simple, first, average or max') ?? 'simple';
      const ignore = param(p, 'ignore_labels', (v): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string'), 'a list of labels');
      const out = await ctx.runTexts(slot, list, { callOptions: { aggregationStrategy: agg, ...(ignore !== undefined ? { ignoreLabels: ignore } : {}) } }, truncate, request, reply);
      return single ? out[0] : out;
    }
    case 'question-answering': {
      // {"inputs": {"question", "context"}} or a list of them; answers {answer, score, start, end} (a list with top_k > 1).
      const one = (x: unknown, i: number | null): { question: string; context: string } => {
        const o = x as Record<string, unknown> | null;
        if (typeof o !== 'object' || o === null || Array.isArray(o) || typeof o.question !== 'string' || typeof o.context !== 'string') {
          throw new HttpError(400, 'validation', `${i === null ? 'inputs' : `inputs[${i}]`} must be {"question": string, "context": string}`);
        }
        return { question: o.question, context: o.context };
      };
      const single = !Array.isArray(body.inputs);
      const list = Array.isArray(body.inputs) ? body.inputs.map((x, i) => one(x, i)) : [one(body.inputs, null)];
      const names: Array<[string, string, (v: unknown) => boolean, string]> = [
        ['top_k', 'topK', isInt, 'a positive integer'], ['doc_stride', 'docStride', (v) => v === 0 || isInt(v), 'an integer ≥ 0'],
        ['max_seq_len', 'maxSeqLen', isInt, 'a positive integer'], ['max_question_len', 'maxQuestionLen', isInt, 'a positive integer'],
        ['max_answer_len', 'maxAnswerLen', isInt, 'a positive integer'], ['handle_impossible_answer', 'handleImpossibleAnswer', isBool, 'true or false'],
        ['align_to_words', 'alignToWords', isBool, 'true or false'],
      ];
      const callOptions: Record<string, unknown> = {};
      for (const [key, option, check, what] of names) {
        const v = param(p, key, (x): x is unknown => check(x), what);
        if (v !== undefined) callOptions[option] = v;
      }
      const out = await ctx.runTexts(slot, list, { callOptions }, truncate, request, reply);
      return single ? out[0] : out;
    }
    case 'fill-mask': {
      const { list, single } = textList(body.inputs, false);
      const topK = param(p, 'top_k', isInt, 'a positive integer');
      const targets = param(p, 'targets', isStrings, 'a string or a list of strings');
      const out = await ctx.runTexts(slot, list, { callOptions: { ...(topK !== undefined ? { topK } : {}), ...(targets !== undefined ? { targets } : {}) } }, truncate, request, reply);
      return single ? out[0] : out;
    }
    case 'feature-extraction': {
      const { list, single } = textList(body.inputs, false);
      const pooling = param(p, 'pooling', oneOf('none', 'mean', 'cls'), 'none, mean or cls') ?? 'none';
      const normalize = param(p, 'normalize', isBool, 'true or false') ?? false;
      const out = await ctx.runTexts(slot, list, { callOptions: { pooling, normalize } }, truncate, request, reply);
      return single ? out[0] : out;
    }
    case 'zero-shot-classification': {
      const { list, single } = textList(body.inputs, false);
      const labels = param(p, 'candidate_labels', isStrings, 'a string or a list of strings');
      if (labels === undefined || labels.length === 0) throw new HttpError(422, 'validation', 'parameters.candidate_labels is required for zero-shot classification');
      const candidateLabels = typeof labels === 'string' ? labels.split(',').map((s) => s.trim()).filter((s) => s !== '') : labels;
      const multi = param(p, 'multi_label', isBool, 'true or false');
      const template = param(p, 'hypothesis_template', (v): v is string => typeof v === 'string' && v.includes('{}') && v.length <= 1000, 'a string with {}');
      const out = await ctx.runTexts(slot, list, { callOptions: { ...(multi !== undefined ? { multiLabel: multi } : {}), ...(template !== undefined ? { hypothesisTemplate: template } : {}) }, candidateLabels }, truncate, request, reply);
      return single ? out[0] : out;
    }
    case 'text2text-generation':
    case 'translation':
    case 'summarization': {
      // Batched like the encoder tasks: requests with the same generation options decode together.
      const { list, single } = textList(body.inputs, false);
      const { returnFullText: _ignored, ...options } = generationOptions(p, ctx.limits.maxNewTokens, false);
      const out = await ctx.runTexts(slot, list, { callOptions: options as Record<string, unknown> }, truncate, request, reply);
      return single ? out[0] : out;
    }
    case 'text-generation': {
      if (typeof body.inputs !== 'string') throw new HttpError(400, 'validation', 'inputs must be one prompt string for text generation');
      const g = await generate(ctx, slot, body.inputs, generationOptions(p, ctx.limits.maxNewTokens, false), request, reply);
      return g.texts.map((t) => ({ generated_text: t }));
    }
  }
}

export function registerHfRoutes(app: FastifyInstance, ctx: ServeContext): void {
  app.post<{ Params: { name: string }; Body: HfBody }>('/models/:name', {
    schema: { body: hfBodySchema, params: { type: 'object', properties: { name: { type: 'string', maxLength: 200 } } } },
    config: { scope: 'predict' },
  }, (request, reply) => hfInference(ctx, request.params.name, request.body, request, reply));
  // The client's feature-extraction route on hf-inference (`/models/NAME/pipeline/feature-extraction`).
  app.post<{ Params: { name: string; task: string }; Body: HfBody }>('/models/:name/pipeline/:task', {
    schema: { body: hfBodySchema },
    config: { scope: 'predict' },
  }, (request, reply) => {
    const slot = ctx.slot(request.params.name);
    if (slot.current.task !== request.params.task && !(request.params.task === 'sentence-similarity' && slot.current.task === 'feature-extraction')) {
      throw new HttpError(400, 'validation', `model ${slot.name} serves ${slot.current.task}, not ${request.params.task}`);
    }
    return hfInference(ctx, request.params.name, request.body, request, reply);
  });
}
