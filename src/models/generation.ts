/**
 * Lengua's libtorch models as the search's `CausalLm` (src/generation): the same greedy, sampling and beam search
 * that runs exported models on ONNX Runtime runs these, so `lengua generate --engine torch`, the Seq2SeqTrainer's
 * predictWithGenerate and the goldens all share one decoding loop.
 */
import { LenguaError } from '../errors.js';
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import {
  generate, modelGenerationOptions, optionsFromJson,
  type CausalLm, type DecoderSession, type DecoderStep, type GenerateCallbacks, type GeneratedSequence, type GenerationConfig, type GenerationOptions,
} from '../generation/index.js';
import type { PreTrainedModel } from './pretrained.js';
import type { GPT2LMHeadModel } from './gpt2/modeling.js';
import type { BlockCache } from './t5/index.js';
import type { Seq2SeqLM } from './modeling/seq2seq.js';

/**
 * Lengua's libtorch GPT-2 as the search's model: each step runs the whole prefix (no cache; exact and simple,
 * the models Lengua trains are small), with the search's attention mask and position ids.
 */
export function torchCausalLm(model: GPT2LMHeadModel): CausalLm {
  return {
    vocabSize: model.config.vocabSize,
    maxPositions: model.config.maxPositionEmbeddings,
    start(): DecoderSession {
      return {
        step(input: DecoderStep): Promise<Float32Array> {
          const rows = torch.noGrad(() =>
            torch.tidy(() => {
              const { logits } = model.forward({
                inputIds: input.ids.map((r) => [...r]),
                attentionMask: input.attentionMask.map((r) => [...r]),
                positionIds: input.positionIds.map((r) => [...r]),
              });
              // One copy of the raw floats: toArray() → flat() → Float32Array took 3.4 ms a step for a 32k vocabulary.
              return logits.select(1, input.ids[0]!.length - 1).contiguous().data() as Float32Array;
            }),
          );
          return Promise.resolve(rows);
        },
        reorder(): void {},
        close(): void {},
      };
    },
  };
}

/**
 * Lengua's libtorch T5 as a CausalLm over decoder tokens for the engine-independent search: the encoder runs
 * once on `sources`, the decoder one token at a time with its key/value cache. Rows are the sources in order,
 * each repeated rows / sources.length times (beams, or returned sequences); the prompt of each row is the
 * decoder start token.
 */
export function torchSeq2SeqLm(model: Seq2SeqLM, sources: readonly (readonly number[])[]): CausalLm {
  const pad = model.config.padTokenId ?? 0;
  // The logits' width: Marian with a decoder vocabulary of its own has decoder_vocab_size of them.
  const width = (model.config as { targetVocabSize?: number }).targetVocabSize ?? model.config.vocabSize;
  return {
    vocabSize: width,
    maxPositions: model.config.maxPositionEmbeddings,
    start(rows: number): DecoderSession {
      if (sources.length === 0 || rows % sources.length !== 0) throw new LenguaError(`${rows} rows for ${sources.length} sources`, { field: 'sources' });
      const per = rows / sources.length;
      const len = Math.max(1, ...sources.map((s) => s.length));
      const ids = sources.map((s) => [...s, ...new Array<number>(len - s.length).fill(pad)]);
      const mask = sources.map((s) => [...new Array<number>(s.length).fill(1), ...new Array<number>(len - s.length).fill(0)]);
      let state = torch.noGrad(() => torch.tidy(() => {
        const index = torch.tensor(Array.from({ length: rows }, (_, r) => Math.floor(r / per)), { dtype: 'int64' });
        const enc = model.encode(ids, mask);
        return { hidden: enc.lastHiddenState.indexSelect(0, index), mask: torch.tensor(mask, { dtype: 'int64' }).indexSelect(0, index) };
      }));
      let cache: BlockCache[] | null = null;
      return {
        step(input: DecoderStep): Promise<Float32Array> {
          const n = input.newTokens;
          const out = torch.noGrad(() => torch.tidy(() => {
            const o = model.forward({
              inputIds: ids, attentionMask: state.mask, encoderOutputs: { lastHiddenState: state.hidden, cache: [] }, pastKeyValues: cache,
              decoderInputIds: input.ids.map((r) => r.slice(r.length - n)),
            });
            return { logits: o.logits.select(1, n - 1).contiguous().data() as Float32Array, cache: o.pastKeyValues };
          }));
          disposeReplaced(cache, out.cache);
          cache = out.cache;
          return Promise.resolve(out.logits);
        },
        reorder(order: readonly number[]): void {
          torch.noGrad(() => {
            const index = torch.tensor([...order], { dtype: 'int64' });
            const pick = (t: Tensor): Tensor => t.indexSelect(0, index);
            const before = state;
            state = { hidden: pick(state.hidden), mask: pick(state.mask) };
            before.hidden.dispose();
            before.mask.dispose();
            const next = cache?.map((c) => ({
              self: { key: pick(c.self.key), value: pick(c.self.value) },
              cross: c.cross === null ? null : { key: pick(c.cross.key), value: pick(c.cross.value) },
            })) ?? null;
            disposeReplaced(cache, next);
            cache = next;
            index.dispose();
          });
        },
        close(): void {
          disposeReplaced(cache, null);
          cache = null;
          state.hidden.dispose();
          state.mask.dispose();
        },
      };
    },
  };
}

/**
 * Generates from each source with a libtorch encoder-decoder: every row starts from the decoder start token (the
 * config's, else the model's), as transformers' `generate` starts an encoder-decoder.
 */
export function generateSeq2Seq(model: Seq2SeqLM, sources: readonly (readonly number[])[], config: GenerationConfig, cb: GenerateCallbacks = {}): Promise<GeneratedSequence[]> {
  const start = config.decoderStartTokenId ?? model.config.decoderStartTokenId;
  return generate(torchSeq2SeqLm(model, sources), sources.map(() => [start]), config, cb);
}

/**
 * Frees the tensors of a cache that its successor no longer holds: a long generation (or a Trainer evaluating
 * with predictWithGenerate) would otherwise keep every step's keys and values until V8 collects them.
 */
function disposeReplaced(old: BlockCache[] | null, next: BlockCache[] | null): void {
  if (old === null) return;
  const kept = new Set<Tensor>();
  for (const c of next ?? []) {
    kept.add(c.self.key).add(c.self.value);
    if (c.cross !== null) kept.add(c.cross.key).add(c.cross.value);
  }
  for (const c of old) {
    for (const t of [c.self.key, c.self.value, ...(c.cross !== null ? [c.cross.key, c.cross.value] : [])]) if (!kept.has(t)) t.dispose();
  }
}

/**
 * The generation defaults a libtorch model starts from, as transformers' `model.generation_config`: the
 * `generation_config.json` of the folder it was loaded from, else the token ids of its config.
 */
export function modelGenerationDefaults(model: PreTrainedModel): GenerationOptions {
  const json = model.config.toJSON() as Record<string, unknown>;
  if (model.sourceDir !== null) return modelGenerationOptions(model.sourceDir, json as never);
  return optionsFromJson(json, 'config.json', true);
}
