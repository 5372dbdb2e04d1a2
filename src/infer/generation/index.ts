// Text generation on ONNX Runtime: the pipeline, the engine-independent search and the options.
export { TextGenerationPipeline, resolveGenerationFolder, TEXT_GENERATION_LIMITS } from './pipeline.js';
export type { TextGenerationPipelineOptions, TextGenerationCallOptions, TextGenerationOutput, StreamedToken } from './pipeline.js';
export type { GeneratedRow } from './protocol.js';
export { generate, leftPad, targetLength, SeededRandom } from './search.js';
export type { CausalLm, DecoderSession, DecoderStep, GenerateCallbacks, GeneratedSequence } from './search.js';
export { OnnxCausalLm, DECODER_FILE, decoderShape, modelGenerationOptions } from './onnx-decoder.js';
export { OnnxSeq2SeqLm, ENCODER_FILE, seq2seqShape } from './onnx-seq2seq.js';
export { resolveGenerationConfig, checkOptions as checkGenerationOptions, optionsFromJson as generationOptionsFromJson, DEFAULT_GENERATION_CONFIG, GENERATION_LIMITS } from './config.js';
export type { GenerationOptions, GenerationConfig } from './config.js';
export { Text2TextGenerationPipeline, TEXT2TEXT_TASKS } from './text2text.js';
export type { Text2TextTask, Text2TextOutput, Text2TextCallOptions } from './text2text.js';
