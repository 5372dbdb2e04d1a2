// Public face of the evaluation stage. For now: the metrics (src/eval/metrics).
export * from './metrics/index.js';
