import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '../..');

test('lengua demo inspects, normalizes and splits the bundled sample without leakage', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'lengua-demo-')), 'splits');
  const r = spawnSync(process.execPath, [join(repo, 'bin/lengua.js'), 'demo', '--out', out, '--seed', '7'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /rows\s+345/);
  assert.match(r.stdout, /normalized: .*http/); // URLs replaced the TweetEval way
  assert.match(r.stdout, /Holaa!/); // letters repeated 3+ times squeezed
  assert.match(r.stdout, /train ∩ test: 0 exact, 0 after normalization/);
  // The baseline learns: clearly above the one-in-three majority share on validation and test.
  for (const split of ['validation', 'test']) {
    const m = new RegExp(`\\[${split}, n=\\d+\\] accuracy (\\d\\.\\d+)`).exec(r.stdout);
    assert.ok(m, `no ${split} accuracy in:\n${r.stdout}`);
    assert.ok(Number(m[1]) > 0.45, `${split} accuracy ${m[1]}`);
  }
  const html = readFileSync(join(out, 'report-test.html'), 'utf8');
  assert.match(html, /<svg/);
  assert.match(html, /test split/);
  const evaluations = JSON.parse(readFileSync(join(out, 'baseline', 'evaluations.json'), 'utf8')) as unknown;
  assert.match(JSON.stringify(evaluations), /"split":"test"/);
  const manifest = JSON.parse(readFileSync(join(out, 'split.json'), 'utf8')) as { seed: number; counts: Record<string, { rows: number }> };
  assert.equal(manifest.seed, 7);
  const total = Object.values(manifest.counts).reduce((a, c) => a + c.rows, 0);
  assert.equal(total, 345);
});
