/**
 * Monitoring as Prometheus gauges. Every monitor registered on one registry shares the same gauges (a
 * metric name exists once per registry); the values are read from the monitors at scrape time, so they
 * are never stale, and a retired version's series disappear when its registration is undone.
 */
import { Gauge, type Registry } from 'prom-client';
import type { DistributionView } from './types.js';

/** What the gauges read from a monitor (ModelMonitor has it; an interface keeps this file free of it). */
export interface MonitoredModel {
  distributions(): DistributionView[];
  readonly windowCount: number;
  labelCounts(): Array<{ label: string; count: number }>;
  readonly unknownTokenRate: number | null;
  readonly meanConfidence: number | null;
  feedbackMetrics(): { accuracy: number | null; macroF1: number | null; count: number };
}

export interface MonitorLabels {
  model: string;
  version: string;
}

interface Entry {
  monitor: MonitoredModel;
  labels: MonitorLabels;
}

const entries = new WeakMap<Registry, Set<Entry>>();

/** The metric names, for dashboards and alerts. */
export const MONITORING_METRICS = {
  psi: 'lengua_monitoring_psi',
  window: 'lengua_monitoring_window_predictions',
  labelCount: 'lengua_monitoring_label_predictions',
  unknownTokenRate: 'lengua_monitoring_unknown_token_rate',
  meanConfidence: 'lengua_monitoring_mean_confidence',
  accuracy: 'lengua_monitoring_live_accuracy',
  macroF1: 'lengua_monitoring_live_macro_f1',
  feedback: 'lengua_monitoring_feedback_window',
} as const;

function createGauges(registry: Registry, set: Set<Entry>): void {
  const registers = [registry];
  const each = (g: Gauge<string>, f: (e: Entry, set: (extra: Record<string, string>, v: number | null) => void) => void): void => {
    g.reset();
    for (const e of set) f(e, (extra, v) => {
      if (v !== null && Number.isFinite(v)) g.set({ ...e.labels, ...extra }, v);
    });
  };
  new Gauge({
    name: MONITORING_METRICS.psi, help: 'Population Stability Index of a live distribution against the model\'s reference (< 0.1 stable, 0.1-0.25 moderate, > 0.25 significant)',
    labelNames: ['model', 'version', 'distribution'], registers,
    collect() {
      each(this, (e, set) => { for (const d of e.monitor.distributions()) set({ distribution: d.name }, d.psi); });
    },
  });
  new Gauge({
    name: MONITORING_METRICS.window, help: 'Predictions in the live monitoring window', labelNames: ['model', 'version'], registers,
    collect() {
      each(this, (e, set) => set({}, e.monitor.windowCount));
    },
  });
  new Gauge({
    name: MONITORING_METRICS.labelCount, help: 'Predictions of each label in the live monitoring window', labelNames: ['model', 'version', 'label'], registers,
    collect() {
      each(this, (e, set) => { for (const c of e.monitor.labelCounts()) set({ label: c.label }, c.count); });
    },
  });
  new Gauge({
    name: MONITORING_METRICS.unknownTokenRate, help: 'Unknown tokens per input token in the live window', labelNames: ['model', 'version'], registers,
    collect() {
      each(this, (e, set) => set({}, e.monitor.unknownTokenRate));
    },
  });
  new Gauge({
    name: MONITORING_METRICS.meanConfidence, help: 'Mean top-label score in the live window', labelNames: ['model', 'version'], registers,
    collect() {
      each(this, (e, set) => set({}, e.monitor.meanConfidence));
    },
  });
  new Gauge({
    name: MONITORING_METRICS.accuracy, help: 'Accuracy over the feedback window (true labels sent to POST /feedback)', labelNames: ['model', 'version'], registers,
    collect() {
      each(this, (e, set) => set({}, e.monitor.feedbackMetrics().accuracy));
    },
  });
  new Gauge({
    name: MONITORING_METRICS.macroF1, help: 'Macro-F1 over the feedback window', labelNames: ['model', 'version'], registers,
    collect() {
      each(this, (e, set) => set({}, e.monitor.feedbackMetrics().macroF1));
    },
  });
  new Gauge({
    name: MONITORING_METRICS.feedback, help: 'Feedbacks in the window behind the live accuracy and macro-F1', labelNames: ['model', 'version'], registers,
    collect() {
      each(this, (e, set) => set({}, e.monitor.feedbackMetrics().count));
    },
  });
}

/**
 * Exposes a monitor's gauges on `registry` under `labels`; returns the function that removes them (call it
 * when the version is retired). Registering a second monitor under the same labels replaces the first.
 */
export function registerMonitorMetrics(monitor: MonitoredModel, registry: Registry, labels: MonitorLabels): () => void {
  let set = entries.get(registry);
  if (set === undefined) {
    if (registry.getSingleMetric(MONITORING_METRICS.psi) !== undefined) throw new Error(`${MONITORING_METRICS.psi} is already registered on this registry by something else`);
    set = new Set();
    entries.set(registry, set);
    createGauges(registry, set);
  }
  for (const e of set) if (e.labels.model === labels.model && e.labels.version === labels.version) set.delete(e);
  const entry: Entry = { monitor, labels: { model: labels.model, version: labels.version } };
  set.add(entry);
  const s = set;
  return () => {
    s.delete(entry);
  };
}
