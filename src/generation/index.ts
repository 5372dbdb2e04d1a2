// The generation search, independent of the engine: transformers' GenerationMixin decoding loop (greedy, sampling,
// beam search), its logits processors and GenerationConfig. libtorch models (src/models), the Seq2SeqTrainer
// (src/train) and ONNX Runtime sessions (src/infer) all drive this one implementation.
export { generate, leftPad, targetLength, SeededRandom } from './search.js';
export type { CausalLm, DecoderSession, DecoderStep, GenerateCallbacks, GeneratedSequence } from './search.js';
export { resolveGenerationConfig, checkOptions, optionsFromJson, DEFAULT_GENERATION_CONFIG, GENERATION_LIMITS } from './config.js';
export type { GenerationOptions, GenerationConfig } from './config.js';
export { modelGenerationOptions } from './model-options.js';
