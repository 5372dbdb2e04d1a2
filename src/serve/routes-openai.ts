/**
 * OpenAI-compatible routes: `/v1/models`, `/v1/embeddings`, `/v1/completions`, `/v1/chat/completions`
 * (with `stream: true` as server-sent events ending in `data: [DONE]`). The same routes answer under
 * `/models/:name/v1/...`, where the Hugging Face client sends `textGeneration` and `chatCompletion` when
 * its `endpointUrl` is a model's URL.
 *
 * Chat messages become one prompt, `role: content` per line and `assistant:` last, with `\nuser:` as a
 * stop string: the decoder-only models Lengua serves have no chat template it could run (transformers'
 * templates are Jinja programs, and a model folder's code is never executed).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServeContext } from './context.js';
import { HttpError } from './errors.js';
import { generate, generateStream, generationOptions } from './generation.js';
import type { ModelSlot } from './models.js';

interface CompletionBody {
  model?: string;
  prompt?: string | string[];
  messages?: Array<{ role: string; content: string | Array<{ type: string; text?: string }> }>;
  stream?: boolean;
  [k: string]: unknown;
}

const completionSchema = {
  type: 'object',
  properties: {
    model: { type: 'string', maxLength: 200 },
    prompt: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, maxItems: 1 }] },
    stream: { type: 'boolean' },
  },
} as const;

const chatSchema = {
  type: 'object',
  required: ['messages'],
  properties: {
    model: { type: 'string', maxLength: 200 },
    stream: { type: 'boolean' },
    messages: {
      type: 'array', minItems: 1, maxItems: 256,
      items: {
        type: 'object', required: ['role', 'content'],
        properties: {
          role: { enum: ['system', 'user', 'assistant', 'developer'] },
          content: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'object', required: ['type'], properties: { type: { const: 'text' }, text: { type: 'string' } } } }] },
        },
      },
    },
  },
} as const;

/** The chat as one prompt (see the file comment). */
export function chatPrompt(messages: NonNullable<CompletionBody['messages']>): string {
  const text = (c: string | Array<{ text?: string }>): string => (typeof c === 'string' ? c : c.map((p) => p.text ?? '').join(''));
  return messages.map((m) => `${m.role === 'developer' ? 'system' : m.role}: ${text(m.content)}`).join('\n') + '\nassistant:';
}

function modelFor(ctx: ServeContext, pathName: string | undefined, body: CompletionBody, tasks: Parameters<ServeContext['pick']>[0]): ModelSlot {
  // A model in the path wins: the HF client also sends `model` (its endpoint URL) in the body.
  // and with an endpointUrl at the server's root, `model` is that URL: then the first fitting model answers.
  const named = pathName ?? (typeof body.model === 'string' && !/^https?:\/\//.test(body.model) ? body.model : undefined);
  return ctx.pick(tasks, named);
}

const sse = (o: unknown): string => `data: ${JSON.stringify(o)}\n\n`;

export function registerOpenAiRoutes(app: FastifyInstance, ctx: ServeContext): void {
  const created = (): number => Math.floor(Date.now() / 1000);

  app.get('/v1/models', { config: { scope: 'predict' } }, async () => ({
    object: 'list',
    data: [...ctx.slots.values()].map((s) => ({ id: s.name, object: 'model', created: created(), owned_by: 'lengua', task: s.current.task, version: s.current.version })),
  }));

  app.post<{ Body: { model?: string; input: string | string[]; encoding_format?: 'float' } }>('/v1/embeddings', {
    schema: {
      body: {
        type: 'object', required: ['input'],
        properties: { model: { type: 'string', maxLength: 200 }, input: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] }, encoding_format: { const: 'float' } },
      },
    },
    config: { scope: 'predict' },
  }, async (request, reply) => {
    const slot = ctx.pick(['feature-extraction'], request.body.model);
    const list = typeof request.body.input === 'string' ? [request.body.input] : request.body.input;
    const vectors = (await ctx.runTexts(slot, list, { callOptions: { pooling: 'mean', normalize: true } }, false, request, reply)) as number[][];
    const tokens = list.reduce((s, t) => s + slot.current.tokenizer.encode(t).ids.length, 0);
    return { object: 'list', model: slot.name, data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })), usage: { prompt_tokens: tokens, total_tokens: tokens } };
  });

  const completions = async (request: FastifyRequest<{ Params: { name?: string }; Body: CompletionBody }>, reply: FastifyReply, chat: boolean): Promise<unknown> => {
    const body = request.body;
    const slot = modelFor(ctx, request.params.name, body, ['text-generation']);
    let prompt: string;
    if (chat) prompt = chatPrompt(body.messages!);
    else {
      if (body.prompt === undefined) throw new HttpError(400, 'validation', 'body/prompt is required');
      prompt = typeof body.prompt === 'string' ? body.prompt : body.prompt[0] ?? '';
    }
    const options = { ...generationOptions(body, ctx.limits.maxNewTokens, true), returnFullText: false };
    if (chat) options.stopStrings = [...(options.stopStrings ?? []), '\nuser:'];
    const id = `${chat ? 'chatcmpl' : 'cmpl'}-${randomUUID()}`;
    const model = slot.name;
    // A stop string that ended the text is not part of the answer (OpenAI's semantics).
    const trim = (t: string): string => {
      for (const s of options.stopStrings ?? []) if (t.endsWith(s)) return t.slice(0, -s.length);
      return t;
    };
    if (body.stream === true) {
      if ((options.numReturnSequences ?? 1) > 1) throw new HttpError(422, 'validation', 'stream: true returns one choice: n must be 1');
      const stream = generateStream(ctx, slot, prompt, options, request, reply, (piece) => {
        const usage = { prompt_tokens: piece.promptTokens, completion_tokens: piece.completionTokens, total_tokens: piece.promptTokens + piece.completionTokens };
        const choice = chat
          ? { index: 0, delta: piece.done ? {} : { role: 'assistant', content: piece.text }, finish_reason: piece.done ? piece.finishReason : null }
          : { index: 0, text: piece.text, finish_reason: piece.done ? piece.finishReason : null, logprobs: null };
        const event = sse({ id, object: chat ? 'chat.completion.chunk' : 'text_completion', created: created(), model, choices: [choice], ...(piece.done ? { usage } : {}) });
        return piece.done ? event + 'data: [DONE]\n\n' : event;
      });
      void reply.header('content-type', 'text/event-stream; charset=utf-8').header('cache-control', 'no-cache').header('x-accel-buffering', 'no');
      return reply.send(stream);
    }
    const g = await generate(ctx, slot, prompt, options, request, reply);
    const usage = { prompt_tokens: g.promptTokens, completion_tokens: g.completionTokens.reduce((a, b) => a + b, 0), total_tokens: g.promptTokens + g.completionTokens.reduce((a, b) => a + b, 0) };
    const choices = g.texts.map((t, index) => (chat
      ? { index, message: { role: 'assistant', content: trim(t) }, finish_reason: g.finishReasons[index], logprobs: null }
      : { index, text: trim(t), finish_reason: g.finishReasons[index], logprobs: null }));
    return { id, object: chat ? 'chat.completion' : 'text_completion', created: created(), model, choices, usage };
  };

  for (const prefix of ['', '/models/:name']) {
    app.post<{ Params: { name?: string }; Body: CompletionBody }>(`${prefix}/v1/completions`, { schema: { body: completionSchema }, config: { scope: 'predict' } }, (req, reply) => completions(req, reply, false));
    app.post<{ Params: { name?: string }; Body: CompletionBody }>(`${prefix}/v1/chat/completions`, { schema: { body: chatSchema }, config: { scope: 'predict' } }, (req, reply) => completions(req, reply, true));
  }
}
