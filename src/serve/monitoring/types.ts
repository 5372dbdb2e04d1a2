/**
 * The JSON of `GET /monitoring`: written by the server (ModelMonitor.snapshot, monitoringSnapshot) and read
 * by `lengua monitor`. One type for both sides, so that they cannot drift apart.
 */
import type { DriftVerdict } from './psi.js';
import type { ReferenceData, ReferenceQuality } from './reference.js';

export const SNAPSHOT_FORMAT = 'lengua-monitoring';

export type DistributionName = 'labels' | 'confidence' | 'inputTokens' | 'unknownRate';

/** One monitored distribution: counts per bin, live (the window) next to the reference, and their PSI. */
export interface DistributionView {
  name: DistributionName;
  /** What is counted, for a person. */
  title: string;
  /** A name per bin (a label, or a range such as "0.9–1.0", "17–32", "≤1%"). */
  bins: string[];
  /** The histogram's edges (inclusive upper bounds, see bins.ts); null for labels. */
  edges: number[] | null;
  /** Counts in the live window, one per bin. */
  live: number[];
  /** Counts in the reference, one per bin; null without a (compatible) reference. */
  reference: number[] | null;
  /** PSI of live against reference (ε = 1e-4 for empty shares); null without a reference or live data. */
  psi: number | null;
  /** PSI that sampling alone gives with these counts, (k−1)(1/n + 1/m): a PSI near it is noise. */
  noise: number | null;
  verdict: DriftVerdict;
}

export interface FeedbackView {
  /** Most recent feedbacks kept for the metrics. */
  window: number;
  /** Feedbacks in the window now. */
  count: number;
  accuracy: number | null;
  macroF1: number | null;
  /** The model's quality on the reference data, when that data was labelled. */
  reference: ReferenceQuality | null;
  received: number;
  recorded: number;
  unknownRequest: number;
  duplicate: number;
  invalid: number;
  /** Requests whose predictions are remembered for feedback, and the bounds on them. */
  pending: number;
  pendingLimit: number;
  pendingTtlSeconds: number;
}

export interface ModelMonitoringView {
  model: string;
  version: string;
  startedAt: string;
  window: {
    /** Most recent predictions kept. */
    capacity: number;
    /** Predictions in the window now. */
    count: number;
    /** Predictions observed since the monitor started. */
    total: number;
    /** Observations refused as malformed (not counted anywhere else). */
    invalid: number;
    /** Predictions in the window whose label is not one of the model's (not in the label distribution). */
    otherLabels: number;
  };
  reference: { createdAt: string; data: ReferenceData; count: number } | null;
  distributions: DistributionView[];
  unknownTokenRate: { live: number | null; reference: number | null };
  meanConfidence: { live: number | null; reference: number | null };
  feedback: FeedbackView;
  thresholds: { moderate: number; significant: number; epsilon: number; minCount: number };
  /** Why something is not compared (no reference, labels or bins that differ from the reference's...). */
  warnings: string[];
}

export interface MonitoringSnapshot {
  format: typeof SNAPSHOT_FORMAT;
  version: 1;
  generatedAt: string;
  models: ModelMonitoringView[];
}
