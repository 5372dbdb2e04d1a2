// Public face of the inference stage: pipeline() on ONNX Runtime, without libtorch.
export { pipeline, PIPELINE_TASKS, TASK_ALIASES } from './pipeline.js';
export type { PipelineTask, PipelineTypes, Callable } from './pipeline.js';
export { EncoderPipeline, DEFAULT_BATCH_SIZE, LIMITS as PIPELINE_LIMITS } from './base.js';
export type { PipelineOptions } from './base.js';
export { TextClassificationPipeline } from './text-classification.js';
export type { TextClassificationOptions, TextClassificationOutput, TextClassificationSingle, TextPair, FunctionToApply } from './text-classification.js';
export { TokenClassificationPipeline, AGGREGATION_STRATEGIES } from './token-classification.js';
export type { TokenClassificationOptions, TokenEntity, EntityGroup, AggregationStrategy } from './token-classification.js';
export { FillMaskPipeline } from './fill-mask.js';
export type { FillMaskOptions, FillMaskOutput, FillMaskSingle } from './fill-mask.js';
export { FeatureExtractionPipeline } from './feature-extraction.js';
export type { FeatureExtractionOptions, Pooling } from './feature-extraction.js';
export { ZeroShotClassificationPipeline } from './zero-shot-classification.js';
export type { ZeroShotClassificationOptions, ZeroShotClassificationOutput } from './zero-shot-classification.js';
export { OnnxSession, defaultNumThreads } from './session.js';
export { registerOnnxExporter, onnxExporter, resolveOnnxModel, onnxCacheDir, ONNX_FILES } from './model-folder.js';
export type { OnnxExporter, OnnxExportTask, OnnxDtype, ModelSource, ModelSourceOptions } from './model-folder.js';
