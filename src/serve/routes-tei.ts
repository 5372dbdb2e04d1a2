/**
 * Text Embeddings Inference's routes, in its wire format: `/embed`, `/predict`, `/tokenize`, `/decode`,
 * `/info`. TEI serves one model; here they act on the first served model that fits the route, or the one
 * named by `?model=NAME`.
 */
import type { FastifyInstance } from 'fastify';
import type { TextPair } from '../infer/index.js';
import type { ServeContext } from './context.js';
import { HttpError } from './errors.js';

type Sequence = string | [string, string];
const modelQuery = { type: 'object', properties: { model: { type: 'string', maxLength: 200 } } } as const;
const stringOrStrings = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] } as const;

export function registerTeiRoutes(app: FastifyInstance, ctx: ServeContext, version: string): void {
  app.post<{ Querystring: { model?: string }; Body: { inputs: string | string[]; normalize?: boolean; truncate?: boolean; pooling?: 'mean' | 'cls' } }>('/embed', {
    schema: {
      querystring: modelQuery,
      body: { type: 'object', required: ['inputs'], properties: { inputs: stringOrStrings, normalize: { type: 'boolean' }, truncate: { type: 'boolean' }, pooling: { enum: ['mean', 'cls'] } } },
    },
    config: { scope: 'predict' },
  }, async (request, reply) => {
    const slot = ctx.pick(['feature-extraction'], request.query.model);
    const b = request.body;
    const list = typeof b.inputs === 'string' ? [b.inputs] : b.inputs;
    return ctx.runTexts(slot, list, { callOptions: { pooling: b.pooling ?? 'mean', normalize: b.normalize ?? true } }, b.truncate ?? false, request, reply);
  });

  app.post<{ Querystring: { model?: string }; Body: { inputs: Sequence | Sequence[]; raw_scores?: boolean; truncate?: boolean } }>('/predict', {
    schema: {
      querystring: modelQuery,
      body: {
        type: 'object', required: ['inputs'],
        properties: { inputs: { anyOf: [{ type: 'string' }, { type: 'array' }] }, raw_scores: { type: 'boolean' }, truncate: { type: 'boolean' } },
      },
    },
    config: { scope: 'predict' },
  }, async (request, reply) => {
    const slot = ctx.pick(['text-classification'], request.query.model);
    const b = request.body;
    // TEI's reading of `inputs`: a string or a [text, pair] is one input; a list of those is a batch.
    const isSeq = (x: unknown): x is Sequence => typeof x === 'string' || (Array.isArray(x) && x.length === 2 && x.every((s) => typeof s === 'string'));
    const single = isSeq(b.inputs);
    const list = single ? [b.inputs as Sequence] : (b.inputs as unknown[]);
    const inputs = list.map((x, i): string | TextPair => {
      if (typeof x === 'string') return x;
      if (isSeq(x)) return { text: x[0], textPair: x[1] };
      throw new HttpError(422, 'validation', `inputs[${i}] must be a string or a [text, text_pair] pair`);
    });
    const out = await ctx.runTexts(slot, inputs, { callOptions: { topK: null, ...(b.raw_scores === true ? { functionToApply: 'none' } : {}) } }, b.truncate ?? false, request, reply);
    return single ? out[0] : out;
  });

  app.post<{ Querystring: { model?: string }; Body: { inputs: string | string[]; add_special_tokens?: boolean } }>('/tokenize', {
    schema: { querystring: modelQuery, body: { type: 'object', required: ['inputs'], properties: { inputs: stringOrStrings, add_special_tokens: { type: 'boolean' } } } },
    config: { scope: 'predict' },
  }, async (request) => {
    const slot = ctx.pick(['text-classification', 'feature-extraction', 'token-classification', 'fill-mask', 'zero-shot-classification', 'text-generation'], request.query.model);
    const list = typeof request.body.inputs === 'string' ? [request.body.inputs] : request.body.inputs;
    ctx.checkBatch(list.length, 'inputs');
    const tok = slot.current.tokenizer;
    return list.map((text) => {
      const e = tok.encode(text, { addSpecialTokens: request.body.add_special_tokens ?? true });
      return e.ids.map((id, i) => {
        const [start, stop] = e.offsets[i] ?? [0, 0];
        const special = e.specialTokensMask[i] === 1;
        return { id, text: special ? e.tokens[i] : text.slice(start, stop), special, start: special ? null : start, stop: special ? null : stop };
      });
    });
  });

  app.post<{ Querystring: { model?: string }; Body: { ids: number[] | number[][]; skip_special_tokens?: boolean } }>('/decode', {
    schema: {
      querystring: modelQuery,
      body: {
        type: 'object', required: ['ids'],
        properties: {
          ids: { anyOf: [{ type: 'array', items: { type: 'integer', minimum: 0 } }, { type: 'array', items: { type: 'array', items: { type: 'integer', minimum: 0 } } }] },
          skip_special_tokens: { type: 'boolean' },
        },
      },
    },
    config: { scope: 'predict' },
  }, async (request) => {
    const slot = ctx.pick(['text-classification', 'feature-extraction', 'token-classification', 'fill-mask', 'zero-shot-classification', 'text-generation'], request.query.model);
    const ids = request.body.ids;
    const batch = ids.length > 0 && Array.isArray(ids[0]) ? (ids as number[][]) : [ids as number[]];
    ctx.checkBatch(batch.length, 'ids');
    const tok = slot.current.tokenizer;
    for (const row of batch) {
      const bad = row.find((id) => id >= tok.vocabSize);
      if (bad !== undefined) throw new HttpError(422, 'validation', `id ${bad} is outside the vocabulary (size ${tok.vocabSize})`);
    }
    return batch.map((row) => tok.decode(row, { skipSpecialTokens: request.body.skip_special_tokens ?? true }));
  });

  app.get<{ Querystring: { model?: string } }>('/info', { schema: { querystring: modelQuery }, config: { scope: 'predict' } }, async (request) => {
    const info = (name: string) => {
      const m = ctx.slot(name).current;
      const b = m.batcher.options;
      const modelType = m.task === 'text-classification'
        ? { classifier: { id2label: m.config.id2label ?? {}, label2id: m.config.label2id ?? {} } }
        : m.task === 'feature-extraction' ? { embedding: { pooling: 'mean' } } : { [m.task]: {} };
      return {
        model_id: m.name, model_version: m.version, task: m.task, model_dtype: m.dtype, model_type: modelType,
        max_concurrent_requests: b.maxConcurrentRequests, max_input_length: m.maxTokens, max_batch_tokens: b.maxBatchTokens,
        max_batch_requests: b.maxBatchRequests, max_client_batch_size: ctx.limits.maxClientBatchSize, version,
      };
    };
    const first = request.query.model ?? [...ctx.slots.keys()][0]!;
    return { ...info(first), models: [...ctx.slots.keys()].map(info) };
  });
}
