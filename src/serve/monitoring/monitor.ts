/**
 * `ModelMonitor`: one per served model version. It keeps the last N predictions (a ring buffer of four
 * numbers each, with bin counts updated as predictions enter and leave), remembers recent requests'
 * predictions for feedback, and describes all of it against the model's reference as `GET /monitoring`'s
 * JSON. Bounded memory: about 16 bytes per window slot, plus the remembered requests (bounded in number).
 */
import { join } from 'node:path';
import { LenguaError } from '../../errors.js';
import { binNames, EDGES, sameEdges, type HistogramKind } from './bins.js';
import { checkObservation, DistributionCounts, type Observation } from './counts.js';
import { FeedbackTracker, type FeedbackItem, type FeedbackRef, type FeedbackResult } from './feedback.js';
import type { Registry } from 'prom-client';
import { registerMonitorMetrics, type MonitorLabels } from './prometheus.js';
import { PSI_EPSILON, PSI_MODERATE, PSI_SIGNIFICANT, psi, psiNoise, verdict } from './psi.js';
import { readModelReference, REFERENCE_FILE, type MonitoringReference } from './reference.js';
import { SNAPSHOT_FORMAT, type DistributionView, type ModelMonitoringView, type MonitoringSnapshot } from './types.js';

export interface ModelMonitorOptions {
  model: string;
  version: string;
  /** The model's labels in id order (config.json's id2label). Default: the reference's. */
  labels?: readonly string[];
  reference?: MonitoringReference | null;
  /** Predictions kept in the live window (default 10,000). */
  window?: number;
  /** Feedbacks kept for live accuracy and macro-F1 (default 10,000). */
  feedbackWindow?: number;
  /** Requests whose predictions are remembered for feedback (default 100,000)... */
  pendingLimit?: number;
  /** ...and for how long (default 24 hours). */
  pendingTtlMs?: number;
  /** Live predictions below which a PSI gets no verdict (default 500; see psiNoise). */
  minCount?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export const MONITOR_DEFAULTS = { window: 10_000, feedbackWindow: 10_000, pendingLimit: 100_000, pendingTtlMs: 24 * 3600 * 1000, minCount: 500 };
const MAX_WINDOW = 10_000_000;

function bounded(v: number | undefined, dflt: number, field: string, min: number, max: number): number {
  if (v === undefined) return dflt;
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new LenguaError(`expected a whole number in [${min}, ${max}], got ${JSON.stringify(v)}`, { field });
  return v;
}

const TITLES: Record<HistogramKind | 'labels', string> = {
  labels: 'predicted label',
  confidence: 'confidence (top score)',
  inputTokens: 'input length (tokens)',
  unknownRate: 'unknown-token rate per text',
};

/** The labels of a config.json (id2label, in id order); empty when it names none. */
export function labelsOfConfig(config: Record<string, unknown>): string[] {
  const id2label = config.id2label;
  if (typeof id2label !== 'object' || id2label === null) return [];
  return Object.entries(id2label as Record<string, unknown>)
    .filter(([k, v]) => /^\d+$/.test(k) && typeof v === 'string')
    .sort((a, b) => Number(a[0]) - Number(b[0]))
    .map(([, v]) => v as string);
}

export class ModelMonitor {
  readonly model: string;
  readonly version: string;
  readonly labels: readonly string[];
  readonly reference: MonitoringReference | null;
  readonly capacity: number;
  readonly minCount: number;
  readonly startedAt: Date;
  private readonly warnings: string[] = [];
  private readonly labelIndex: Map<string, number>;
  private readonly counts: DistributionCounts;
  // The window: slot i holds one observation; `head` is where the next one goes.
  private readonly wLabel: Int32Array;
  private readonly wScore: Float64Array;
  private readonly wTokens: Int32Array;
  private readonly wUnknown: Int32Array;
  private head = 0;
  private total = 0;
  private invalid = 0;
  private other = 0;
  private readonly feedbackTracker: FeedbackTracker;

  constructor(opts: ModelMonitorOptions) {
    this.model = opts.model;
    this.version = opts.version;
    this.reference = opts.reference ?? null;
    const labels = opts.labels !== undefined && opts.labels.length > 0 ? opts.labels : this.reference?.labels.names ?? [];
    this.labels = [...labels];
    this.labelIndex = new Map(this.labels.map((l, i) => [l, i]));
    this.capacity = bounded(opts.window, MONITOR_DEFAULTS.window, 'window', 1, MAX_WINDOW);
    this.minCount = bounded(opts.minCount, MONITOR_DEFAULTS.minCount, 'minCount', 0, MAX_WINDOW);
    const now = opts.now ?? Date.now;
    this.startedAt = new Date(now());
    this.counts = new DistributionCounts(this.labels);
    this.wLabel = new Int32Array(this.capacity);
    this.wScore = new Float64Array(this.capacity);
    this.wTokens = new Int32Array(this.capacity);
    this.wUnknown = new Int32Array(this.capacity);
    this.feedbackTracker = new FeedbackTracker(
      new Set(this.labels),
      bounded(opts.feedbackWindow, MONITOR_DEFAULTS.feedbackWindow, 'feedbackWindow', 1, MAX_WINDOW),
      bounded(opts.pendingLimit, MONITOR_DEFAULTS.pendingLimit, 'pendingLimit', 1, MAX_WINDOW),
      bounded(opts.pendingTtlMs, MONITOR_DEFAULTS.pendingTtlMs, 'pendingTtlMs', 1, 365 * 24 * 3600 * 1000),
      now,
    );
    if (this.reference === null) this.warnings.push(`no monitoring reference: drift is not computed (create one with lengua monitor reference --model DIR --data FILE)`);
    else if (!sameLabels(this.reference.labels.names, this.labels)) {
      this.warnings.push(`the reference's labels (${this.reference.labels.names.join(', ')}) are not the model's (${this.labels.join(', ')}): the label distribution is not compared`);
    }
  }

  /**
   * A monitor for a model folder: labels from its config.json, the reference from its
   * monitoring/reference.json when there is one. A reference that cannot be read does not stop serving:
   * the monitor runs without it and says why in its warnings.
   */
  static forModel(opts: Omit<ModelMonitorOptions, 'labels' | 'reference'> & { dir: string; config: Record<string, unknown> }): ModelMonitor {
    let reference: MonitoringReference | null = null;
    let problem: string | null = null;
    try {
      reference = readModelReference(opts.dir);
    } catch (err) {
      problem = `${join(opts.dir, REFERENCE_FILE)} could not be read, so drift is not computed: ${(err as Error).message}`;
    }
    const m = new ModelMonitor({ ...opts, labels: labelsOfConfig(opts.config), reference });
    if (problem !== null) m.warnings.splice(0, m.warnings.length, problem);
    return m;
  }

  /**
   * Counts one prediction. A malformed observation is counted as invalid and otherwise ignored: monitoring
   * must never fail a request. Returns whether it was counted.
   */
  observe(o: Observation): boolean {
    if (checkObservation(o) !== null) {
      this.invalid++;
      return false;
    }
    const i = this.labelIndex.get(o.label) ?? -1;
    const h = this.head;
    if (this.total >= this.capacity) {
      const old = this.wLabel[h]!;
      if (old < 0) this.other--;
      this.counts.apply(old, this.wScore[h]!, this.wTokens[h]!, this.wUnknown[h]!, -1);
    }
    // Token counts beyond int32 are not real inputs; clamp rather than wrap.
    const tokens = Math.min(o.inputTokens, 0x7fffffff);
    const unknown = Math.min(o.unknownTokens, tokens);
    this.wLabel[h] = i;
    this.wScore[h] = o.score;
    this.wTokens[h] = tokens;
    this.wUnknown[h] = unknown;
    if (i < 0) this.other++;
    this.counts.apply(i, o.score, tokens, unknown, 1);
    this.head = (h + 1) % this.capacity;
    this.total++;
    return true;
  }

  /**
   * Counts the outputs of one request and remembers its predicted labels under `requestId` for feedback.
   * `output` is a text-classification output for one input (`[{label, score}, ...]`, best first, or one
   * `{label, score}`); token counts as `tokenCounts` gives them. Anything else is counted as invalid.
   */
  observeRequest(observed: ReadonlyArray<{ inputTokens: number; unknownTokens: number; output: unknown }>, requestId?: string, owner?: string): void {
    const labels: string[] = [];
    for (const o of observed) {
      const top = Array.isArray(o.output) ? (o.output[0] as unknown) : o.output;
      const label = (top as { label?: unknown } | null)?.label;
      const score = (top as { score?: unknown } | null)?.score;
      if (this.observe({ label: label as string, score: score as number, inputTokens: o.inputTokens, unknownTokens: o.unknownTokens })) labels.push(label as string);
      else labels.push('');
    }
    if (requestId !== undefined && labels.every((l) => l !== '')) this.recordPrediction(requestId, labels, owner);
  }

  /**
   * Remembers a request's predicted label(s) (one per input, in order) for a later feedback. With `owner`
   * (the id of the API key that made the request), only the same owner's feedback finds it.
   */
  recordPrediction(requestId: string, label: string | readonly string[], owner?: string): boolean {
    return this.feedbackTracker.record(requestId, typeof label === 'string' ? [label] : label, owner);
  }

  /** A true label for a prediction: by request id (and input index), or with the predicted label given; `owner` as in recordPrediction. */
  feedback(ref: FeedbackRef, trueLabel: string, owner?: string): FeedbackResult {
    return this.feedbackTracker.give(ref, trueLabel, owner);
  }

  /** Every item of a `POST /feedback` body (see feedbackItems), in order; `recorded` counts the ones paired. */
  feedbackBatch(items: readonly FeedbackItem[], owner?: string): { recorded: number; results: FeedbackResult[] } {
    const results = items.map((it) => this.feedback(it.ref, it.label, owner));
    return { recorded: results.filter((r) => r.status === 'recorded').length, results };
  }

  /** Live accuracy and macro-F1 over the feedback window. */
  feedbackMetrics(): { accuracy: number | null; macroF1: number | null; count: number } {
    return { ...this.feedbackTracker.metrics(), count: this.feedbackTracker.count };
  }

  get windowCount(): number {
    return Math.min(this.total, this.capacity);
  }

  /** Unknown tokens over input tokens in the window; null before any token. */
  get unknownTokenRate(): number | null {
    return this.counts.unknownTokenRate;
  }

  /** Mean top-label score in the window; null when it is empty. */
  get meanConfidence(): number | null {
    return this.counts.meanConfidence;
  }

  /**
   * Exposes this monitor as Prometheus gauges on `registry` (PSI per distribution, live accuracy and
   * macro-F1, unknown-token rate, label counts...: MONITORING_METRICS), labelled with `labels` (default:
   * this monitor's model and version). Returns the function that removes them, for when the version retires.
   */
  registerMetrics(registry: Registry, labels: MonitorLabels = { model: this.model, version: this.version }): () => void {
    return registerMonitorMetrics(this, registry, labels);
  }

  /** Label → predictions in the window. */
  labelCounts(): Array<{ label: string; count: number }> {
    return this.labels.map((label, i) => ({ label, count: this.counts.labels[i]! }));
  }

  /** Every distribution with its PSI against the reference. */
  distributions(): DistributionView[] {
    const ref = this.reference;
    const n = this.windowCount;
    const view = (name: DistributionView['name'], bins: string[], edges: number[] | null, live: number[], reference: number[] | null): DistributionView => {
      const value = reference === null ? null : psi(reference, live);
      return {
        name, title: TITLES[name], bins, edges, live, reference,
        psi: value,
        noise: reference === null ? null : psiNoise(reference, live),
        verdict: ref === null ? 'no reference' : reference === null ? 'no reference' : verdict(value, n, this.minCount),
      };
    };
    const labelRef = ref !== null && sameLabels(ref.labels.names, this.labels) ? [...ref.labels.counts] : null;
    const out = [view('labels', [...this.labels], null, [...this.counts.labels], labelRef)];
    for (const kind of ['confidence', 'inputTokens', 'unknownRate'] as const) {
      const edges = [...EDGES[kind]];
      const h = ref?.[kind];
      const compatible = h !== undefined && sameEdges(h.edges, edges);
      out.push(view(kind, binNames(kind, edges), edges, [...this.counts[kind]], compatible ? [...h.counts] : null));
    }
    return out;
  }

  /** This monitor as `GET /monitoring` shows it. */
  snapshot(): ModelMonitoringView {
    const ref = this.reference;
    const distributions = this.distributions();
    const warnings = [...this.warnings];
    if (ref !== null) {
      for (const d of distributions) {
        if (d.name !== 'labels' && d.reference === null) warnings.push(`the reference's ${d.name} bins differ from this Lengua's: ${d.name} is not compared (recompute the reference)`);
      }
    }
    const fb = this.feedbackTracker;
    const fm = fb.metrics();
    return {
      model: this.model,
      version: this.version,
      startedAt: this.startedAt.toISOString(),
      window: { capacity: this.capacity, count: this.windowCount, total: this.total, invalid: this.invalid, otherLabels: this.other },
      reference: ref === null ? null : { createdAt: ref.createdAt, data: ref.data, count: ref.count },
      distributions,
      unknownTokenRate: { live: this.counts.unknownTokenRate, reference: ref === null || ref.tokens.total === 0 ? null : ref.tokens.unknown / ref.tokens.total },
      meanConfidence: { live: this.counts.meanConfidence, reference: ref?.meanConfidence ?? null },
      feedback: {
        window: fb.window,
        count: fb.count,
        accuracy: fm.accuracy,
        macroF1: fm.macroF1,
        reference: ref?.quality ?? null,
        ...fb.counters,
        pending: fb.pendingCount,
        pendingLimit: fb.pendingLimit,
        pendingTtlSeconds: Math.round(fb.pendingTtlMs / 1000),
      },
      thresholds: { moderate: PSI_MODERATE, significant: PSI_SIGNIFICANT, epsilon: PSI_EPSILON, minCount: this.minCount },
      warnings,
    };
  }
}

function sameLabels(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((l, i) => l === b[i]);
}

/** The body of `GET /monitoring` for the monitors given (one per served model version). */
export function monitoringSnapshot(monitors: Iterable<ModelMonitor>, now = new Date()): MonitoringSnapshot {
  return { format: SNAPSHOT_FORMAT, version: 1, generatedAt: now.toISOString(), models: [...monitors].map((m) => m.snapshot()) };
}
