// ModelMonitor: the sliding window against a recount, PSI against the reference, feedback by request id
// (unknown, expired, duplicate, evicted), metrics against src/metrics, Prometheus gauges, references on disk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { LenguaError } from '../../errors.js';
import { accuracyScore, f1Score } from '../../metrics/index.js';
import { feedbackItems, MAX_FEEDBACK_ITEMS } from './feedback.js';
import { ModelMonitor, monitoringSnapshot } from './monitor.js';
import { psi } from './psi.js';
import { readModelReference, readReference, ReferenceBuilder, tokenCounts, validateReference, writeReference, type MonitoringReference } from './reference.js';
import type { Observation } from './counts.js';

const LABELS = ['negative', 'neutral', 'positive'];
const DATA = { file: 'ref.csv', sha256: 'ab'.repeat(32), textsFingerprint: '0123456789abcdef', rows: 0 };

function rng(seed: number): () => number {
  return () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
}

/** Observations drawn from label shares `p`, with confidences and lengths that depend on `shift`. */
function draw(n: number, p: number[], shift: number, seed: number): Observation[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const u = r();
    const li = u < p[0]! ? 0 : u < p[0]! + p[1]! ? 1 : 2;
    const inputTokens = Math.floor(5 + r() * 40 * (1 + shift));
    return { label: LABELS[li]!, score: Math.min(1, 0.4 + r() * 0.6 - shift * 0.3 * r()), inputTokens, unknownTokens: r() < 0.1 + shift ? Math.floor(r() * inputTokens * 0.3) : 0 };
  });
}

function referenceOf(obs: Observation[]): MonitoringReference {
  const b = new ReferenceBuilder(LABELS);
  for (const o of obs) b.add(o);
  return b.finish({ ...DATA, rows: obs.length }, { accuracy: 0.8, macroF1: 0.75, count: obs.length }, new Date('2024-05-01T00:00:00Z'));
}

test('the window keeps the last N predictions: its counts equal a recount of them', () => {
  const obs = draw(2500, [0.3, 0.3, 0.4], 0.2, 1);
  const m = new ModelMonitor({ model: 'm', version: '1', labels: LABELS, window: 300 });
  obs.forEach((o, i) => {
    m.observe(o);
    if (i % 97 === 0 || i === obs.length - 1) {
      const last = obs.slice(Math.max(0, i + 1 - 300), i + 1);
      const ref = referenceOf(last);
      const d = m.distributions();
      assert.deepEqual(d[0]!.live, ref.labels.counts, `labels after ${i + 1}`);
      assert.deepEqual(d[1]!.live, ref.confidence.counts);
      assert.deepEqual(d[2]!.live, ref.inputTokens.counts);
      assert.deepEqual(d[3]!.live, ref.unknownRate.counts);
      assert.equal(m.windowCount, last.length);
      assert.equal(m.unknownTokenRate, ref.tokens.total === 0 ? null : ref.tokens.unknown / ref.tokens.total);
      assert.ok(Math.abs(m.meanConfidence! - ref.meanConfidence!) < 1e-9);
    }
  });
  const s = m.snapshot();
  assert.deepEqual(s.window, { capacity: 300, count: 300, total: 2500, invalid: 0, otherLabels: 0 });
});

test('PSI against the reference: the same distribution reads stable, a shifted one significant; each PSI is psi() of the shown counts', () => {
  const reference = referenceOf(draw(5000, [0.3, 0.3, 0.4], 0, 2));
  const same = new ModelMonitor({ model: 'm', version: '1', labels: LABELS, reference, minCount: 500 });
  for (const o of draw(2000, [0.3, 0.3, 0.4], 0, 3)) same.observe(o);
  const shifted = new ModelMonitor({ model: 'm', version: '2', labels: LABELS, reference, minCount: 500 });
  for (const o of draw(2000, [0.7, 0.1, 0.2], 0.8, 4)) shifted.observe(o);
  for (const d of same.snapshot().distributions) {
    assert.equal(d.verdict, 'stable', `${d.name}: PSI ${d.psi}`);
    assert.equal(d.psi, psi(d.reference!, d.live));
    assert.ok(d.noise! > 0 && d.psi! < 5 * d.noise!, `${d.name}: PSI ${d.psi} is about the noise ${d.noise}`);
  }
  const s = shifted.snapshot();
  for (const d of s.distributions) assert.equal(d.verdict, 'significant', `${d.name}: PSI ${d.psi}`);
  assert.deepEqual(s.distributions.map((d) => d.name), ['labels', 'confidence', 'inputTokens', 'unknownRate']);
  assert.deepEqual(s.distributions[0]!.bins, LABELS);
  assert.equal(s.reference!.data.file, 'ref.csv');
  assert.deepEqual(s.feedback.reference, { accuracy: 0.8, macroF1: 0.75, count: 5000 });
  assert.ok(s.unknownTokenRate.live! > s.unknownTokenRate.reference!);
  // Too few predictions: a PSI, but no verdict.
  const few = new ModelMonitor({ model: 'm', version: '3', labels: LABELS, reference, minCount: 500 });
  for (const o of draw(50, [0.7, 0.1, 0.2], 0.8, 5)) few.observe(o);
  assert.ok(few.snapshot().distributions.every((d) => d.verdict === 'insufficient data' && d.psi !== null));
});

test('without a reference, or with other labels, nothing is compared and the snapshot says why', () => {
  const none = new ModelMonitor({ model: 'm', version: '1', labels: LABELS });
  none.observe({ label: 'neutral', score: 0.5, inputTokens: 10, unknownTokens: 0 });
  const s = none.snapshot();
  assert.ok(s.distributions.every((d) => d.verdict === 'no reference' && d.psi === null && d.reference === null));
  assert.match(s.warnings[0]!, /no monitoring reference/);
  const reference = referenceOf(draw(100, [0.3, 0.3, 0.4], 0, 2));
  const other = new ModelMonitor({ model: 'm', version: '1', labels: ['neg', 'pos'], reference });
  const o = other.snapshot();
  assert.equal(o.distributions[0]!.reference, null);
  assert.equal(o.distributions[0]!.verdict, 'no reference');
  assert.notEqual(o.distributions[1]!.reference, null);
  assert.match(o.warnings.join('\n'), /are not the model's/);
  // Labels default to the reference's.
  assert.deepEqual(new ModelMonitor({ model: 'm', version: '1', reference }).labels, LABELS);
});

test('malformed observations are counted as invalid, never thrown; a label outside the model\'s is counted apart', () => {
  const m = new ModelMonitor({ model: 'm', version: '1', labels: LABELS, window: 3 });
  const bad: unknown[] = [
    { label: 'positive', score: NaN, inputTokens: 3, unknownTokens: 0 },
    { label: 'positive', score: 0.9, inputTokens: -1, unknownTokens: 0 },
    { label: 'positive', score: 0.9, inputTokens: 3, unknownTokens: 4 },
    { label: '', score: 0.9, inputTokens: 3, unknownTokens: 0 },
    { label: 'x'.repeat(300), score: 0.9, inputTokens: 3, unknownTokens: 0 },
    null,
  ];
  for (const b of bad) assert.equal(m.observe(b as Observation), false);
  assert.equal(m.observe({ label: 'surprise', score: 0.9, inputTokens: 3, unknownTokens: 0 }), true);
  let s = m.snapshot();
  assert.equal(s.window.invalid, bad.length);
  assert.equal(s.window.otherLabels, 1);
  assert.deepEqual(s.distributions[0]!.live, [0, 0, 0]);
  assert.equal(s.distributions[1]!.live.reduce((a, b) => a + b, 0), 1);
  for (let i = 0; i < 3; i++) m.observe({ label: 'neutral', score: 0.5, inputTokens: 3, unknownTokens: 1 });
  s = m.snapshot();
  assert.equal(s.window.otherLabels, 0, 'the odd label left the window');
  assert.deepEqual(s.distributions[0]!.live, [0, 3, 0]);
  // observeRequest reads text-classification outputs; junk is invalid and the request is not remembered.
  m.observeRequest([{ inputTokens: 4, unknownTokens: 0, output: [{ label: 'positive', score: 0.8 }, { label: 'neutral', score: 0.1 }] }], 'req-a');
  m.observeRequest([{ inputTokens: 4, unknownTokens: 0, output: 'nonsense' }], 'req-b');
  assert.equal(m.snapshot().window.invalid, bad.length + 1);
  assert.equal(m.feedback('req-a', 'positive').status, 'recorded');
  assert.equal(m.feedback('req-b', 'positive').status, 'unknown_request');
});

test('feedback by request id: accuracy and macro-F1 equal src/metrics on the same pairs; unknown, duplicate and invalid are reported', () => {
  const m = new ModelMonitor({ model: 'm', version: '1', labels: LABELS });
  m.recordPrediction('r1', 'negative');
  m.recordPrediction('r2', 'positive');
  m.recordPrediction('r3', ['positive', 'positive', 'neutral']);
  assert.deepEqual(m.feedback('r1', 'negative'), { status: 'recorded', predicted: 'negative' });
  assert.equal(m.feedback('r2', 'negative').status, 'recorded');
  assert.equal(m.feedback({ requestId: 'r3', index: 2 }, 'neutral').status, 'recorded');
  assert.equal(m.feedback({ requestId: 'r3', index: 0 }, 'positive').status, 'recorded');
  assert.equal(m.feedback({ predicted: 'neutral' }, 'positive').status, 'recorded');
  const dup = m.feedback({ requestId: 'r3', index: 2 }, 'neutral');
  assert.equal(dup.status, 'duplicate');
  assert.match(dup.message!, /already given/);
  assert.equal(m.feedback('nope', 'neutral').status, 'unknown_request');
  assert.equal(m.feedback('r1', 'negative').status, 'unknown_request', 'every input of r1 answered: forgotten');
  assert.equal(m.feedback({ requestId: 'r3', index: 7 }, 'neutral').status, 'invalid');
  const badLabel = m.feedback({ requestId: 'r3', index: 1 }, 'angry');
  assert.equal(badLabel.status, 'invalid');
  assert.match(badLabel.message!, /not one of the model's labels/);
  assert.equal(m.feedback({ predicted: 'angry' }, 'neutral').status, 'invalid');
  assert.equal(m.feedback('', 'neutral').status, 'invalid');
  const yTrue = ['negative', 'negative', 'neutral', 'positive', 'positive'];
  const yPred = ['negative', 'positive', 'neutral', 'positive', 'neutral'];
  const fm = m.feedbackMetrics();
  assert.equal(fm.count, 5);
  assert.equal(fm.accuracy, accuracyScore(yTrue, yPred));
  assert.equal(fm.macroF1, f1Score(yTrue, yPred, { average: 'macro', zeroDivision: 0 }));
  // By hand: negative P 1 R .5 F1 2/3; neutral P .5 R 1 F1 2/3; positive P .5 R .5 F1 .5.
  assert.ok(Math.abs(fm.macroF1! - (2 / 3 + 2 / 3 + 0.5) / 3) < 1e-12);
  assert.equal(fm.accuracy, 0.6);
  const s = m.snapshot().feedback;
  assert.deepEqual(
    { received: s.received, recorded: s.recorded, unknownRequest: s.unknownRequest, duplicate: s.duplicate, invalid: s.invalid },
    { received: 12, recorded: 5, unknownRequest: 2, duplicate: 1, invalid: 4 },
  );
});

test('the feedback window slides; remembered requests are bounded in number and expire', () => {
  let now = 1_000_000;
  const m = new ModelMonitor({ model: 'm', version: '1', labels: LABELS, feedbackWindow: 4, pendingLimit: 3, pendingTtlMs: 60_000, now: () => now });
  for (let i = 0; i < 4; i++) m.feedback({ predicted: 'negative' }, 'positive');
  assert.equal(m.feedbackMetrics().accuracy, 0);
  for (let i = 0; i < 3; i++) m.feedback({ predicted: 'positive' }, 'positive');
  assert.equal(m.feedbackMetrics().accuracy, 0.75, 'only the last 4 count');
  assert.equal(m.feedbackMetrics().count, 4);
  for (const id of ['a', 'b', 'c', 'd']) m.recordPrediction(id, 'neutral');
  assert.equal(m.snapshot().feedback.pending, 3);
  assert.equal(m.feedback('a', 'neutral').status, 'unknown_request', 'evicted: the oldest of 4 over a limit of 3');
  assert.equal(m.feedback('b', 'neutral').status, 'recorded');
  now += 60_001;
  const expired = m.feedback('c', 'neutral');
  assert.equal(expired.status, 'unknown_request');
  assert.match(expired.message!, /older than the last 3 requests or 60 s/);
  m.recordPrediction('e', 'neutral');
  assert.equal(m.snapshot().feedback.pending, 1, 'd expired and was dropped when e came');
  // A request made with one key takes feedback from that key only; to others it does not exist.
  m.recordPrediction('owned', 'neutral', 'key-a');
  assert.equal(m.feedback('owned', 'neutral', 'key-b').status, 'unknown_request');
  assert.equal(m.feedback('owned', 'neutral').status, 'unknown_request');
  assert.equal(m.feedback('owned', 'neutral', 'key-a').status, 'recorded');
  assert.equal(m.recordPrediction('x'.repeat(201), 'neutral'), false);
  assert.equal(m.recordPrediction('ok', []), false);
});

test('POST /feedback bodies: one item or a list, each by request_id or predicted; malformed ones name the field', () => {
  assert.deepEqual(feedbackItems({ request_id: 'r1', label: 'positive' }), { items: [{ ref: { requestId: 'r1' }, label: 'positive' }] });
  assert.deepEqual(feedbackItems({ model: 'sent', feedback: [{ request_id: 'r1', index: 2, label: 'a' }, { predicted: 'b', label: 'a' }] }), {
    model: 'sent',
    items: [{ ref: { requestId: 'r1', index: 2 }, label: 'a' }, { ref: { predicted: 'b' }, label: 'a' }],
  });
  const field = (body: unknown): string | undefined => {
    try {
      feedbackItems(body);
    } catch (e) {
      assert.ok(e instanceof LenguaError);
      return e.field;
    }
    return undefined;
  };
  assert.equal(field([]), 'body');
  assert.equal(field({ request_id: 'r1' }), 'label');
  assert.equal(field({ label: 'a' }), 'request_id');
  assert.equal(field({ label: 'a', request_id: 'r', predicted: 'b' }), 'request_id');
  assert.equal(field({ feedback: [{ label: 'a', request_id: 'r', index: -1 }] }), 'feedback[0].index');
  assert.equal(field({ feedback: Array.from({ length: MAX_FEEDBACK_ITEMS + 1 }, () => ({ predicted: 'a', label: 'a' })) }), 'feedback');
  assert.equal(field({ feedback: [{ predicted: 'a', label: 'a' }], label: 'b', predicted: 'a' }), 'feedback');
  const m = new ModelMonitor({ model: 'm', version: '1', labels: LABELS });
  const r = m.feedbackBatch(feedbackItems({ feedback: [{ predicted: 'neutral', label: 'neutral' }, { request_id: 'zz', label: 'neutral' }] }).items);
  assert.equal(r.recorded, 1);
  assert.deepEqual(r.results.map((x) => x.status), ['recorded', 'unknown_request']);
});

test('Prometheus: monitors share gauges on one registry, read at scrape time; unregistering removes a version', async () => {
  const registry = new Registry();
  const reference = referenceOf(draw(1000, [0.3, 0.3, 0.4], 0, 2));
  const a = new ModelMonitor({ model: 'sent', version: '1', labels: LABELS, reference });
  const b = new ModelMonitor({ model: 'sent', version: '2', labels: LABELS, reference });
  const offA = a.registerMetrics(registry);
  b.registerMetrics(registry);
  for (const o of draw(600, [0.3, 0.3, 0.4], 0, 9)) a.observe(o);
  a.feedback({ predicted: 'neutral' }, 'neutral');
  a.feedback({ predicted: 'neutral' }, 'positive');
  const text = await registry.metrics();
  const value = (line: string): number => {
    const row = text.split('\n').find((l) => l.startsWith(line + ' '));
    assert.ok(row !== undefined, `no ${line} in\n${text}`);
    return Number(row.slice(line.length + 1));
  };
  const labelsPsi = a.distributions()[0]!.psi!;
  assert.ok(Math.abs(value('lengua_monitoring_psi{model="sent",version="1",distribution="labels"}') - labelsPsi) < 1e-9);
  assert.equal(value('lengua_monitoring_live_accuracy{model="sent",version="1"}'), 0.5);
  assert.equal(value('lengua_monitoring_feedback_window{model="sent",version="1"}'), 2);
  assert.equal(value('lengua_monitoring_window_predictions{model="sent",version="1"}'), 600);
  assert.equal(value('lengua_monitoring_window_predictions{model="sent",version="2"}'), 0);
  assert.equal(value('lengua_monitoring_label_predictions{model="sent",version="1",label="negative"}'), a.labelCounts()[0]!.count);
  assert.ok(Math.abs(value('lengua_monitoring_unknown_token_rate{model="sent",version="1"}') - a.unknownTokenRate!) < 1e-9);
  // No PSI and no accuracy for version 2 yet: absent, not 0.
  assert.ok(!text.includes('lengua_monitoring_psi{model="sent",version="2"'));
  assert.ok(!text.includes('lengua_monitoring_live_accuracy{model="sent",version="2"'));
  offA();
  const after = await registry.metrics();
  assert.ok(!after.includes('version="1"'));
  assert.ok(after.includes('lengua_monitoring_window_predictions{model="sent",version="2"} 0'));
});

test('a reference round-trips through its file; a damaged one is refused naming the field; forModel serves on without it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lengua-monitor-'));
  try {
    const ref = referenceOf(draw(300, [0.3, 0.3, 0.4], 0, 2));
    assert.equal(readModelReference(dir), null);
    const file = writeReference(ref, { dir });
    assert.equal(file, join(dir, 'monitoring', 'reference.json'));
    assert.deepEqual(readReference(file), ref);
    const config = { id2label: { 1: 'neutral', 0: 'negative', 2: 'positive' } };
    const m = ModelMonitor.forModel({ model: 'sent', version: '3', dir, config });
    assert.deepEqual(m.labels, LABELS);
    assert.deepEqual(m.reference, ref);
    const broken = (mutate: (j: Record<string, unknown>) => void): string | undefined => {
      const j = JSON.parse(JSON.stringify(ref)) as Record<string, unknown>;
      mutate(j);
      try {
        validateReference(j, 'x.json');
      } catch (e) {
        assert.ok(e instanceof LenguaError && e.file === 'x.json');
        return e.field;
      }
      return undefined;
    };
    assert.equal(broken((j) => (j.format = 'other')), 'format');
    assert.equal(broken((j) => ((j.confidence as { counts: number[] }).counts[0]! += 1)), 'confidence.counts');
    assert.equal(broken((j) => ((j.inputTokens as { counts: number[] }).counts = [1])), 'inputTokens.counts');
    assert.equal(broken((j) => ((j.labels as { counts: number[] }).counts[1] = -1)), 'labels.counts[1]');
    assert.equal(broken((j) => ((j.labels as { names: string[] }).names[1] = 'negative')), 'labels.names');
    assert.equal(broken((j) => ((j.unknownRate as { edges: number[] }).edges = [0.5, 0.1])), 'unknownRate.edges');
    assert.equal(broken((j) => (j.tokens = { total: 1, unknown: 2 })), 'tokens');
    assert.equal(broken((j) => ((j.quality as { accuracy: number }).accuracy = 2)), 'quality.accuracy');
    assert.equal(broken(() => undefined), undefined);
    writeFileSync(file, '{"format": "lengua-monitoring-reference", "version": 1, ');
    assert.throws(() => readReference(file), (e: unknown) => e instanceof LenguaError && /invalid JSON/.test(e.message));
    const m2 = ModelMonitor.forModel({ model: 'sent', version: '3', dir, config });
    assert.equal(m2.reference, null);
    assert.match(m2.snapshot().warnings.join('\n'), /reference\.json could not be read.*invalid JSON/);
    writeFileSync(file, ' '.repeat((1 << 20) + 1));
    assert.throws(() => readReference(file), /at most/);
    // Other bins than this Lengua's: the histogram is not compared, and the snapshot says so.
    const odd = JSON.parse(JSON.stringify(ref)) as MonitoringReference;
    odd.inputTokens = { edges: [10, 20], counts: [100, 100, 100] };
    mkdirSync(join(dir, 'monitoring'), { recursive: true });
    writeFileSync(file, JSON.stringify(odd));
    const m3 = ModelMonitor.forModel({ model: 'sent', version: '3', dir, config });
    m3.observe({ label: 'neutral', score: 0.5, inputTokens: 10, unknownTokens: 0 });
    const s = m3.snapshot();
    assert.equal(s.distributions[2]!.reference, null);
    assert.match(s.warnings.join('\n'), /inputTokens bins differ/);
    assert.ok(readFileSync(file, 'utf8').length > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tokenCounts counts special tokens and unknown ids; the builder refuses labels the model lacks', () => {
  const tok = { unkTokenId: 1, encode: (t: string) => ({ ids: [101, ...[...t].map((c) => (c === '?' ? 1 : 5)), 102] }) };
  assert.deepEqual(tokenCounts(tok as never, 'ab??c'), { inputTokens: 7, unknownTokens: 2 });
  assert.deepEqual(tokenCounts({ ...tok, unkTokenId: null } as never, 'ab??c'), { inputTokens: 7, unknownTokens: 0 });
  const b = new ReferenceBuilder(LABELS);
  assert.throws(() => b.add({ label: 'angry', score: 0.5, inputTokens: 3, unknownTokens: 0 }), /not one of the model's/);
  assert.throws(() => b.finish(DATA), /at least one/);
  const snap = monitoringSnapshot([new ModelMonitor({ model: 'a', version: '1', labels: LABELS })], new Date('2024-01-01T00:00:00Z'));
  assert.equal(snap.format, 'lengua-monitoring');
  assert.equal(snap.generatedAt, '2024-01-01T00:00:00.000Z');
  assert.equal(snap.models.length, 1);
});
