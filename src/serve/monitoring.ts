/**
 * Model monitoring for `lengua serve`: drift of predicted labels, confidences, input lengths and unknown
 * tokens against the reference recorded with the model (PSI), and live accuracy / macro-F1 from feedback.
 * The public API; the parts are in monitoring/. How the server wires it: README-monitoring.md.
 */
export { binIndex, binNames, CONFIDENCE_EDGES, INPUT_TOKEN_EDGES, UNKNOWN_RATE_EDGES, type Histogram, type HistogramKind } from './monitoring/bins.js';
export { unknownRate, type Observation } from './monitoring/counts.js';
export {
  FEEDBACK_BODY_SCHEMA, feedbackItems, FeedbackTracker, MAX_FEEDBACK_ITEMS, MAX_PREDICTIONS_PER_REQUEST, MAX_REQUEST_ID_LENGTH,
  type FeedbackItem, type FeedbackRef, type FeedbackResult, type FeedbackStatus,
} from './monitoring/feedback.js';
export { labelsOfConfig, ModelMonitor, MONITOR_DEFAULTS, monitoringSnapshot, type ModelMonitorOptions } from './monitoring/monitor.js';
export { MONITORING_METRICS, registerMonitorMetrics, type MonitorLabels, type MonitoredModel } from './monitoring/prometheus.js';
export { PSI_EPSILON, PSI_MODERATE, PSI_SIGNIFICANT, psi, psiNoise, verdict, worstVerdict, type DriftVerdict } from './monitoring/psi.js';
export {
  readModelReference, readReference, REFERENCE_FILE, REFERENCE_FORMAT, ReferenceBuilder, tokenCounts, validateReference, writeReference,
  type MonitoringReference, type ReferenceData, type ReferenceQuality,
} from './monitoring/reference.js';
export { SNAPSHOT_FORMAT, type DistributionName, type DistributionView, type FeedbackView, type ModelMonitoringView, type MonitoringSnapshot } from './monitoring/types.js';
