// Replays every scikit-learn 1.2.1 answer in fixtures/sklearn-references.json (made by
// scripts/metrics-references.py with Debian's /usr/bin/python3) against the TypeScript metrics: values to 1e-12
// (absolute, relative above 1), the same errors, and the same zero-division warnings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LenguaError } from '../errors.js';
import {
  accuracyScore,
  brierScoreLoss,
  classificationReport,
  cohenKappaScore,
  confusionMatrix,
  expectedCalibrationError,
  f1Score,
  fbetaScore,
  logLoss,
  matthewsCorrcoef,
  multiclassBrierScore,
  precisionRecallFscoreSupport,
  precisionScore,
  recallScore,
  reliabilityDiagram,
  rocAucScore,
  type Label,
  type PrfOptions,
} from './index.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

interface Check {
  fn: string;
  args: string[];
  kwargs: Record<string, Json>;
  expected?: Json;
  error?: string;
  warns: boolean;
}

interface Case {
  name: string;
  inputs: Record<string, Json>;
  checks: Check[];
}

const fixture = JSON.parse(readFileSync(fileURLToPath(new URL('./fixtures/sklearn-references.json', import.meta.url)), 'utf8')) as {
  versions: Record<string, string>;
  cases: Case[];
};

const TOL = 1e-12;

/** Differences between actual and expected, as readable paths; empty when they agree. */
function diff(actual: unknown, expected: Json, path: string, out: string[]): void {
  if (expected === 'NaN') {
    if (!(typeof actual === 'number' && Number.isNaN(actual))) out.push(`${path}: expected NaN, got ${String(actual)}`);
    return;
  }
  if (typeof expected === 'number') {
    if (typeof actual !== 'number' || !(Math.abs(actual - expected) <= TOL * Math.max(1, Math.abs(expected)))) {
      out.push(`${path}: expected ${expected}, got ${String(actual)}`);
    }
    return;
  }
  if (expected === null) {
    if (actual !== null && actual !== undefined) out.push(`${path}: expected null, got ${JSON.stringify(actual)}`);
    return;
  }
  if (typeof expected === 'string' || typeof expected === 'boolean') {
    if (actual !== expected) out.push(`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      out.push(`${path}: expected an array of ${expected.length}, got ${JSON.stringify(actual)}`);
      return;
    }
    expected.forEach((e, i) => diff(actual[i], e, `${path}[${i}]`, out));
    return;
  }
  if (typeof actual !== 'object' || actual === null) {
    out.push(`${path}: expected an object, got ${JSON.stringify(actual)}`);
    return;
  }
  const a = actual as Record<string, unknown>;
  const ek = Object.keys(expected);
  if (JSON.stringify(Object.keys(a)) !== JSON.stringify(ek)) out.push(`${path}: keys ${JSON.stringify(Object.keys(a))} != ${JSON.stringify(ek)}`);
  for (const k of ek) diff(a[k], expected[k] as Json, `${path}.${k}`, out);
}

/** A numeric argument; the fixture writes infinities as strings. */
function numberArg(v: unknown): number | undefined {
  if (v === 'Infinity') return Infinity;
  return v as number | undefined;
}

/** Runs one sklearn call's TypeScript counterpart. */
function run(c: Case, check: Check, onWarning: (m: string) => void): unknown {
  const input = (name: string): unknown => c.inputs[name];
  const kw = Object.fromEntries(Object.entries(check.kwargs).map(([k, v]) => [k, typeof v === 'string' && v.startsWith('$') ? input(v.slice(1)) : v]));
  const [a0, a1] = check.args.map(input) as [Label[], unknown];
  const sampleWeight = kw.sample_weight as number[] | undefined;
  const labels = kw.labels as Label[] | undefined;
  const prf: PrfOptions = {
    average: kw.average as PrfOptions['average'],
    labels,
    posLabel: kw.pos_label as Label | undefined,
    zeroDivision: kw.zero_division as PrfOptions['zeroDivision'],
    sampleWeight,
    onWarning,
  };
  const yPred = a1 as Label[];
  switch (check.fn) {
    case 'accuracy_score':
      return accuracyScore(a0, yPred, { normalize: kw.normalize as boolean | undefined, sampleWeight });
    case 'confusion_matrix':
      return confusionMatrix(a0, yPred, { labels, sampleWeight, normalize: kw.normalize as 'true' | null }).matrix;
    case 'precision_recall_fscore_support': {
      const r = precisionRecallFscoreSupport(a0, yPred, { ...prf, average: kw.average === undefined ? null : prf.average, beta: numberArg(kw.beta) });
      return [r.precision, r.recall, r.fscore, r.support];
    }
    case 'precision_score':
      return precisionScore(a0, yPred, prf);
    case 'recall_score':
      return recallScore(a0, yPred, prf);
    case 'f1_score':
      return f1Score(a0, yPred, prf);
    case 'fbeta_score':
      return fbetaScore(a0, yPred, { ...prf, beta: numberArg(kw.beta) as number });
    case 'matthews_corrcoef':
      return matthewsCorrcoef(a0, yPred, { sampleWeight });
    case 'cohen_kappa_score':
      return cohenKappaScore(a0, yPred, { labels, sampleWeight, weights: kw.weights as 'linear' | null });
    case 'classification_report': {
      const opts = { labels, sampleWeight, zeroDivision: prf.zeroDivision, onWarning, digits: kw.digits as number | undefined, targetNames: kw.target_names as string[] | undefined };
      return kw.output_dict === true ? classificationReport(a0, yPred, { ...opts, outputDict: true }) : classificationReport(a0, yPred, opts);
    }
    case 'log_loss':
      return logLoss(a0, a1 as number[], { labels, sampleWeight, eps: kw.eps as number | undefined, normalize: kw.normalize as boolean | undefined });
    case 'roc_auc_score':
      return rocAucScore(a0, a1 as number[], { labels, sampleWeight, multiClass: kw.multi_class as 'ovr' | undefined, average: kw.average as 'macro' | undefined });
    case 'brier_score_loss':
      return brierScoreLoss(a0, a1 as number[], { sampleWeight, posLabel: kw.pos_label as Label | undefined });
    case 'multiclass_brier':
      return multiclassBrierScore(a0, a1 as number[][], { labels });
    case 'ece':
      return expectedCalibrationError(a0, a1 as number[][], { labels, nBins: kw.n_bins as number });
    case 'reliability':
      return reliabilityDiagram(a0, a1 as number[][], { labels, nBins: kw.n_bins as number }).bins;
    default:
      throw new Error(`no TypeScript counterpart for ${check.fn}`);
  }
}

const WARNING_FNS = new Set(['precision_recall_fscore_support', 'precision_score', 'recall_score', 'f1_score', 'fbeta_score', 'classification_report']);

test('the reference file was made by scikit-learn 1.2.1 and holds every metric', () => {
  assert.equal(fixture.versions.sklearn, '1.2.1');
  const fns = new Set(fixture.cases.flatMap((c) => c.checks.map((k) => k.fn)));
  for (const f of ['accuracy_score', 'confusion_matrix', 'precision_recall_fscore_support', 'matthews_corrcoef', 'cohen_kappa_score', 'roc_auc_score', 'log_loss', 'brier_score_loss', 'ece', 'classification_report']) {
    assert.ok(fns.has(f), f);
  }
  assert.ok(fixture.cases.reduce((n, c) => n + c.checks.length, 0) > 1000);
});

for (const c of fixture.cases) {
  test(`scikit-learn references: ${c.name} (${c.checks.length} checks)`, () => {
    const failures: string[] = [];
    c.checks.forEach((check, i) => {
      const label = `#${i} ${check.fn}(${check.args.join(', ')}, ${JSON.stringify(check.kwargs)})`;
      const warnings: string[] = [];
      let actual: unknown;
      try {
        actual = run(c, check, (m) => warnings.push(m));
      } catch (err) {
        if (check.error !== undefined && err instanceof LenguaError) return;
        failures.push(`${label}: threw ${String(err)}${check.error !== undefined ? '' : ' but sklearn answered'}`);
        return;
      }
      if (check.error !== undefined) {
        failures.push(`${label}: sklearn raised ${check.error} but we answered ${JSON.stringify(actual)}`);
        return;
      }
      const out: string[] = [];
      diff(actual, check.expected as Json, 'value', out);
      if (out.length > 0) failures.push(`${label}: ${out.slice(0, 3).join('; ')}`);
      if (WARNING_FNS.has(check.fn) && warnings.length > 0 !== check.warns) {
        failures.push(`${label}: sklearn ${check.warns ? 'warned' : 'did not warn'}, we ${warnings.length > 0 ? 'warned: ' + warnings[0] : 'did not'}`);
      }
    });
    assert.deepEqual(failures, []);
  });
}
