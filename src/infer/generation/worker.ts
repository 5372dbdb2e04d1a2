/**
 * The generation worker (a worker thread or a child process, see ../worker-host.ts): holds the tokenizer and the ONNX Runtime decoder of one folder and runs whole
 * requests here, the decoding loop included (ORT's run() computes on the calling thread; a step per message
 * would cross threads twice per token). One request at a time, in arrival order; tokens are streamed back.
 */
import { LenguaError } from '../../errors.js';
import { AutoTokenizer, type PreTrainedTokenizer } from '../../text/index.js';
import { readConfigJson } from '../../hub/index.js';
import { resolveGenerationConfig, type GenerationConfig, type GenerationOptions } from '../../generation/config.js';
import { modelGenerationOptions, OnnxCausalLm } from './onnx-decoder.js';
import { isSeq2SeqModelType, OnnxSeq2SeqLm } from './onnx-seq2seq.js';
import type { GenerationReply, GenerationRequest, GenerationWorkerStart } from './protocol.js';
import { generate, type CausalLm } from '../../generation/search.js';
import { TextStreamDecoder } from './stream-text.js';
import { hostPort } from '../worker-host.js';

const { start, ...port } = await hostPort<GenerationWorkerStart>();

function errorFields(err: unknown): { message: string; field?: string; file?: string } {
  if (err instanceof LenguaError) return { message: err.message, ...(err.field !== undefined ? { field: err.field } : {}), ...(err.file !== undefined ? { file: err.file } : {}) };
  return { message: (err as Error).message ?? String(err) };
}

/**
 * What a request's texts become: a decoder-only model continues them (prompts without special tokens); an
 * encoder-decoder model reads them as sources (with their special tokens: T5's </s>) and every row's decoder
 * starts from the decoder start token.
 */
interface Engine {
  prepare(texts: string[], config: GenerationConfig): { lm: CausalLm; prompts: number[][] };
}

function causalEngine(tok: PreTrainedTokenizer, model: OnnxCausalLm): Engine {
  return { prepare: (texts) => ({ lm: model, prompts: texts.map((p) => tok.encode(p, { addSpecialTokens: false }).ids) }) };
}

function seq2seqEngine(tok: PreTrainedTokenizer, model: OnnxSeq2SeqLm): Engine {
  return {
    prepare: (texts, config) => {
      // Cut at the tokenizer's model_max_length when it names one (T5: 512), as transformers' pipelines do.
      const sources = texts.map((t) => tok.encode(t, { truncation: tok.hasModelMaxLength }).ids);
      const start = config.decoderStartTokenId ?? model.shape.decoderStartTokenId;
      return { lm: model.forSources(sources), prompts: sources.map(() => [start]) };
    },
  };
}

async function run(tok: PreTrainedTokenizer, engine: Engine, defaults: GenerationOptions, m: GenerationRequest): Promise<void> {
  const config = resolveGenerationConfig(defaults, m.options);
  const { lm: model, prompts } = engine.prepare(m.prompts, config);
  const n = config.numReturnSequences;
  const decoders = prompts.flatMap(() => Array.from({ length: n }, () => new TextStreamDecoder(tok)));
  const stops = config.stopStrings;
  const seen = decoders.map(() => '');
  const rows = await generate(model, prompts, config, {
    shouldStop:
      stops.length === 0
        ? undefined
        : (row, generated) => {
            // transformers' StopStringCriteria stops a row once its text ends in a stop string; here the
            // decoded new text is searched only where the last token could have completed one.
            const before = seen[row] ?? '';
            const text = tok.decode([...generated], { skipSpecialTokens: true });
            seen[row] = text;
            const from = Math.max(0, before.length - Math.max(...stops.map((s) => s.length)));
            return stops.some((s) => text.indexOf(s, from) >= 0);
          },
    onTokens: m.stream
      ? (tokens) => {
          const texts = tokens.map((t, r) => (t === null ? null : decoders[r]!.push(t)));
          port.post({ type: 'tokens', id: m.id, tokens: [...tokens], texts } satisfies GenerationReply);
        }
      : undefined,
  });
  port.post({
    type: 'done',
    id: m.id,
    rows: rows.map((r) => ({ ids: r.sequence, generatedIds: r.generated, text: tok.decode(r.generated, { skipSpecialTokens: true }), finishReason: r.finishReason })),
  } satisfies GenerationReply);
}

async function main(): Promise<void> {
  let tok: PreTrainedTokenizer;
  let engine: Engine;
  let defaults: GenerationOptions;
  try {
    tok = await AutoTokenizer.fromPretrained(start.dir);
    const config = readConfigJson(start.dir).json;
    engine = isSeq2SeqModelType(config.model_type) ? seq2seqEngine(tok, await OnnxSeq2SeqLm.load(start.dir, start.threads)) : causalEngine(tok, await OnnxCausalLm.load(start.dir, start.threads));
    defaults = modelGenerationOptions(start.dir, config);
  } catch (err) {
    port.post({ type: 'failed', ...errorFields(err) } satisfies GenerationReply);
    return;
  }
  port.post({ type: 'loaded' } satisfies GenerationReply);
  let chain = Promise.resolve();
  port.onMessage((m: GenerationRequest) => {
    chain = chain.then(async () => {
      try {
        await run(tok, engine, defaults, m);
      } catch (err) {
        port.post({ type: 'error', id: m.id, ...errorFields(err) } satisfies GenerationReply);
      }
    });
  });
}

void main();
