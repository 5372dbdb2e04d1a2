// Text generation on ONNX Runtime: the pipelines and the ONNX sessions the search (src/generation) drives.
export { TextGenerationPipeline, resolveGenerationFolder, TEXT_GENERATION_LIMITS } from './pipeline.js';
export type { TextGenerationPipelineOptions, TextGenerationCallOptions, TextGenerationOutput, StreamedToken } from './pipeline.js';
export type { GeneratedRow } from './protocol.js';
export { OnnxCausalLm, DECODER_FILE, decoderShape, modelGenerationOptions } from './onnx-decoder.js';
export { OnnxSeq2SeqLm, ENCODER_FILE, seq2seqShape } from './onnx-seq2seq.js';
export { Text2TextGenerationPipeline, TEXT2TEXT_TASKS } from './text2text.js';
export type { Text2TextTask, Text2TextOutput, Text2TextCallOptions } from './text2text.js';
