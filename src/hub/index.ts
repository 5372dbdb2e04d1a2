// Public face of the hub stage: safetensors, checkpoints, model id resolution and the Hub cache.
export * from './safetensors.js';
export * from './checkpoint.js';
export * from './cache.js';
export * from './download.js';
export * from './resolve.js';
export * from './model-files.js';
export { normalizeKey, planWeightLoading, DEFAULT_IGNORED, type WeightPlan, type WeightPlanSpec } from './weights.js';
export { PretrainedConfig, CONFIG_LIMITS, SUPPORTED_ACTIVATIONS, parseConfigJson, readConfigJson, type Json, type ProblemType } from './config.js';
export { pipelineTaskOfArchitecture, firstArchitecture, type ArchitectureTask } from './architecture.js';
