// PSI against a hand-computed value, and against numpy (Debian's /usr/bin/python3) on random counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { PSI_EPSILON, psi, psiNoise, verdict, worstVerdict } from './psi.js';
import { binIndex, binNames, CONFIDENCE_EDGES, INPUT_TOKEN_EDGES, UNKNOWN_RATE_EDGES } from './bins.js';

test('PSI of shares (.5 .3 .2) → (.3 .3 .4) is 0.2·ln(5/3) + 0.2·ln 2 = 0.2·ln(10/3), by hand', () => {
  const v = psi([50, 30, 20], [30, 30, 40])!;
  assert.ok(Math.abs(v - 0.2 * Math.log(10 / 3)) < 1e-12, String(v));
  assert.ok(Math.abs(v - 0.24079456) < 1e-8);
  // Scale does not matter, only shares.
  assert.ok(Math.abs(psi([5, 3, 2], [300, 300, 400])! - v) < 1e-12);
});

test('an empty bin takes the share ε = 1e-4: reference (1, 0) → live (.9, .1)', () => {
  assert.equal(PSI_EPSILON, 1e-4);
  const hand = -0.1 * Math.log(0.9) + (0.1 - 1e-4) * Math.log(0.1 / 1e-4);
  assert.ok(Math.abs(psi([100, 0], [90, 10])! - hand) < 1e-12);
  // A bin empty on both sides adds nothing.
  assert.ok(Math.abs(psi([50, 0, 30, 20], [30, 0, 30, 40])! - psi([50, 30, 20], [30, 30, 40])!) < 1e-15);
  assert.equal(psi([1, 2], [1, 2]), 0);
  assert.equal(psi([0, 0], [1, 2]), null);
  assert.equal(psi([1, 2], [0, 0]), null);
  assert.throws(() => psi([1, 2], [1, 2, 3]), RangeError);
});

test('PSI agrees with numpy on 200 random count vectors', (t) => {
  const py = spawnSync('/usr/bin/python3', ['-c', 'import numpy'], { encoding: 'utf8' });
  if (py.status !== 0) {
    t.skip('no /usr/bin/python3 with numpy');
    return;
  }
  let seed = 12345;
  const rnd = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const cases: Array<[number[], number[]]> = [];
  for (let c = 0; c < 200; c++) {
    const k = 2 + Math.floor(rnd() * 11);
    // Some bins empty on one side or both, to exercise ε.
    const draw = (): number[] => Array.from({ length: k }, () => (rnd() < 0.2 ? 0 : Math.floor(rnd() * 1000)));
    const a = draw();
    const b = draw();
    a[0]! += 1;
    b[k - 1]! += 1;
    cases.push([a, b]);
  }
  const script = [
    'import json, sys, numpy as np',
    'out = []',
    'for ref, live in json.load(sys.stdin):',
    '    e = np.maximum(np.asarray(ref, float) / np.sum(ref), 1e-4)',
    '    a = np.maximum(np.asarray(live, float) / np.sum(live), 1e-4)',
    '    out.append(float(np.sum((a - e) * np.log(a / e))))',
    'print(json.dumps(out))',
  ].join('\n');
  const r = spawnSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const expected = JSON.parse(r.stdout) as number[];
  cases.forEach(([ref, live], i) => {
    const v = psi(ref, live)!;
    assert.ok(Math.abs(v - expected[i]!) <= 1e-12 * Math.max(1, expected[i]!), `case ${i}: ${v} vs numpy ${expected[i]}`);
  });
});

test('sampling noise: PSI of two samples of one distribution is near (k−1)(1/n + 1/m)', () => {
  let seed = 7;
  const rnd = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const p = [0.1, 0.2, 0.3, 0.4];
  const sample = (n: number): number[] => {
    const c = [0, 0, 0, 0];
    for (let i = 0; i < n; i++) {
      const u = rnd();
      let acc = 0;
      let j = 0;
      while (j < 3 && u >= (acc += p[j]!)) j++;
      c[j]!++;
    }
    return c;
  };
  let mean = 0;
  const runs = 400;
  let noise = 0;
  for (let r = 0; r < runs; r++) {
    const ref = sample(2000);
    const live = sample(500);
    mean += psi(ref, live)! / runs;
    noise = psiNoise(ref, live)!;
  }
  assert.ok(Math.abs(noise - 3 * (1 / 500 + 1 / 2000)) < 1e-12);
  assert.ok(Math.abs(mean - noise) / noise < 0.15, `mean PSI ${mean} against the predicted ${noise}`);
});

test('verdicts: < 0.1 stable, 0.1–0.25 moderate, > 0.25 significant; too few predictions get none', () => {
  assert.equal(verdict(0.05, 1000, 500), 'stable');
  assert.equal(verdict(0.1, 1000, 500), 'moderate');
  assert.equal(verdict(0.25, 1000, 500), 'moderate');
  assert.equal(verdict(0.2501, 1000, 500), 'significant');
  assert.equal(verdict(3, 499, 500), 'insufficient data');
  assert.equal(verdict(null, 1000, 500), 'insufficient data');
  assert.equal(worstVerdict(['stable', 'significant', 'moderate']), 'significant');
  assert.equal(worstVerdict(['no reference', 'insufficient data']), 'insufficient data');
  assert.equal(worstVerdict([]), 'no reference');
});

test('bins: inclusive upper edges, one bin past the last edge, names a person reads', () => {
  assert.equal(binIndex(CONFIDENCE_EDGES, 0), 0);
  assert.equal(binIndex(CONFIDENCE_EDGES, 0.1), 0);
  assert.equal(binIndex(CONFIDENCE_EDGES, 0.10001), 1);
  assert.equal(binIndex(CONFIDENCE_EDGES, 0.95), 9);
  assert.equal(binIndex(CONFIDENCE_EDGES, 1), 9);
  assert.equal(binIndex(INPUT_TOKEN_EDGES, 8), 0);
  assert.equal(binIndex(INPUT_TOKEN_EDGES, 9), 1);
  assert.equal(binIndex(INPUT_TOKEN_EDGES, 513), 7);
  assert.equal(binIndex(UNKNOWN_RATE_EDGES, 0), 0);
  assert.equal(binIndex(UNKNOWN_RATE_EDGES, 0.001), 1);
  assert.equal(binIndex(UNKNOWN_RATE_EDGES, 1), 5);
  assert.deepEqual(binNames('confidence', CONFIDENCE_EDGES).slice(0, 2), ['0.0–0.1', '0.1–0.2']);
  assert.equal(binNames('confidence', CONFIDENCE_EDGES).at(-1), '0.9–1.0');
  assert.deepEqual(binNames('inputTokens', INPUT_TOKEN_EDGES), ['≤8', '9–16', '17–32', '33–64', '65–128', '129–256', '257–512', '>512']);
  assert.deepEqual(binNames('unknownRate', UNKNOWN_RATE_EDGES), ['none', '≤1%', '1%–5%', '5%–10%', '10%–25%', '>25%']);
});
