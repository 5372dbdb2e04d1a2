// `lengua metrics` as a user runs it: a real `node bin/lengua.js` process on real files. The expected numbers
// come from the committed scikit-learn references, so the whole path (file parsing, label typing, column order,
// metrics) is checked against scikit-learn.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin', 'lengua.js');

interface Check {
  fn: string;
  kwargs: Record<string, unknown>;
  expected?: unknown;
}
interface Case {
  name: string;
  inputs: Record<string, unknown>;
  checks: Check[];
}
const fixture = JSON.parse(readFileSync(join(root, 'src/metrics/fixtures/sklearn-references.json'), 'utf8')) as { cases: Case[] };

function refCase(name: string): Case {
  const c = fixture.cases.find((x) => x.name === name);
  assert.ok(c, name);
  return c;
}

/** sklearn's answer for fn with exactly these keyword arguments. */
function sk(c: Case, fn: string, kwargs: Record<string, unknown>): number {
  const hit = c.checks.find((k) => k.fn === fn && JSON.stringify(k.kwargs) === JSON.stringify(kwargs));
  assert.ok(hit, `${fn} ${JSON.stringify(kwargs)}`);
  return hit.expected as number;
}

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lengua-metrics-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function lengua(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, 'metrics', ...args], { encoding: 'utf8', cwd: dir, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b));

test('text references + JSONL probabilities: every number equals scikit-learn', () => {
  const c = refCase('sentiment-200');
  const yTrue = c.inputs.y_true as string[];
  const prob = c.inputs.y_prob as number[][];
  const classes = ['negative', 'neutral', 'positive'];
  const refs = write('refs.txt', yTrue.join('\n') + '\n');
  // half the lines give the label, the others let the CLI take the most probable class; two forms of rows
  const preds = write(
    'preds.jsonl',
    prob
      .map((row, i) => {
        const label = (c.inputs.y_pred as string[])[i];
        if (i % 3 === 0) return JSON.stringify({ label, scores: row });
        const probabilities = Object.fromEntries(classes.map((k, j) => [k, row[j]]));
        return JSON.stringify(i % 2 === 0 ? { label, probabilities } : { probabilities });
      })
      .join('\n') + '\n',
  );
  const r = lengua('--references', refs, '--predictions', preds, '--json');
  assert.equal(r.status, 0, r.stderr);
  const m = JSON.parse(r.stdout);
  assert.deepEqual(m.labels, classes);
  const checks: Array<[number, number, string]> = [
    [m.accuracy, sk(c, 'accuracy_score', {}), 'accuracy'],
    [m.macro.f1, sk(c, 'f1_score', { average: 'macro' }), 'macro F1'],
    [m.headline.f1, sk(c, 'f1_score', { average: 'macro' }), 'headline'],
    [m.weighted.f1, sk(c, 'f1_score', { average: 'weighted' }), 'weighted F1'],
    [m.macroRecall, sk(c, 'recall_score', { average: 'macro' }), 'macro recall'],
    [m.mcc, sk(c, 'matthews_corrcoef', {}), 'MCC'],
    [m.kappa, sk(c, 'cohen_kappa_score', { weights: null }), 'kappa'],
    [m.probability.logLoss, sk(c, 'log_loss', {}), 'log loss'],
    [m.probability.rocAuc, sk(c, 'roc_auc_score', { multi_class: 'ovr', average: 'macro' }), 'ROC-AUC'],
    [m.probability.rocAucWeighted, sk(c, 'roc_auc_score', { multi_class: 'ovr', average: 'weighted' }), 'ROC-AUC weighted'],
    [m.probability.brier, sk(c, 'multiclass_brier', {}), 'Brier'],
    [m.probability.ece, sk(c, 'ece', { n_bins: 15 }), 'ECE'],
  ];
  for (const [actual, expected, what] of checks) assert.ok(close(actual, expected), `${what}: ${actual} vs ${expected}`);
  assert.deepEqual(m.confusionMatrix.matrix, sk(c, 'confusion_matrix', { normalize: null }));

  const text = lengua('--references', refs, '--predictions', preds);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /macro recall \(TweetEval\)\s+\d\.\d{4}/);
  assert.match(text.stdout, /ROC-AUC \(one-vs-rest, macro\)/);
  assert.match(text.stdout, new RegExp(`accuracy\\s+${sk(c, 'accuracy_score', {}).toFixed(4)}\\s+200`));
});

test('integer labels sort numerically; --labels and --pos-label; binary probabilities', () => {
  const c = refCase('numeric-gaps');
  const refs = write('n-refs.txt', (c.inputs.y_true as number[]).join('\n'));
  const preds = write('n-preds.txt', (c.inputs.y_pred as number[]).join('\n') + '\n');
  const r = lengua('--references', refs, '--predictions', preds, '--json');
  assert.equal(r.status, 0, r.stderr);
  const m = JSON.parse(r.stdout);
  assert.deepEqual(m.labels, [0, 2, 5, 7]);
  assert.ok(close(m.macro.f1, sk(c, 'f1_score', { average: 'macro' })));
  assert.equal(m.probability, null);

  const b = refCase('binary-strings');
  const bRefs = write('b-refs.txt', (b.inputs.y_true as string[]).join('\n'));
  const bPreds = write(
    'b-preds.jsonl',
    (b.inputs.y_score as number[]).map((s, i) => JSON.stringify({ label: (b.inputs.y_pred as string[])[i], probabilities: { neg: 1 - s, pos: s } })).join('\n'),
  );
  const rb = lengua('--references', bRefs, '--predictions', bPreds, '--pos-label', 'pos', '--average', 'binary', '--json');
  assert.equal(rb.status, 0, rb.stderr);
  const mb = JSON.parse(rb.stdout);
  assert.ok(close(mb.headline.f1, sk(b, 'f1_score', { average: 'binary', pos_label: 'pos' })));
  assert.ok(close(mb.probability.rocAuc, sk(b, 'roc_auc_score', {})));
  // the positive column is s itself, so the binary Brier score is sklearn's exactly
  assert.ok(close(mb.probability.brierBinary, sk(b, 'brier_score_loss', { pos_label: 'pos' })));
});

test('errors name the file and line, and exit 1', () => {
  const refs = write('e-refs.txt', 'a\nb\nc\n');
  const cases: Array<[string, string[], RegExp]> = [
    ['e1.txt', ['a', 'b'], /e-refs\.txt has 3 labels but .*e1\.txt has 2/],
    ['e2.jsonl', ['{"label": "a"}', '{"label": "b"', '{"label": "c"}'], /e2\.jsonl:2: malformed JSON/],
    ['e3.jsonl', ['{"label": "a", "probabilities": {"a": 0.5, "b": 0.5, "c": 0}}', '{"label": "b", "probabilities": {"a": 0.5, "b": 0.6, "c": 0}}', '{"label": "c", "scores": [0, 0, 1]}'], /e3\.jsonl:2, field "probabilities": probabilities sum to 1\.1/],
    ['e4.jsonl', ['{"label": "a", "scores": [1, 0, 0]}', '{"label": "b", "scores": [0, 1]}', '{"label": "c", "scores": [0, 0, 1]}'], /e4\.jsonl:2, field "scores": "scores" has 2 values but there are 3 classes/],
    ['e5.jsonl', ['{"label": "a", "scores": [1, 0, 0]}', '{"label": "b"}', '{"label": "c", "scores": [0, 0, 1]}'], /e5\.jsonl:2: this line has no "probabilities"/],
    ['e6.txt', ['a', '', 'c'], /e6\.txt:2: blank line/],
  ];
  for (const [name, lines, pattern] of cases) {
    const r = lengua('--references', refs, '--predictions', write(name, lines.join('\n') + '\n'));
    assert.equal(r.status, 1, `${name}: ${r.stdout}`);
    assert.match(r.stderr, pattern, name);
  }
  const unknown = lengua('--references', refs, '--predictions', write('ok.txt', 'a\nb\nd\n'), '--labels', 'a,b,c');
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /ok\.txt:3, field "label": label "d" is not one of --labels \(a, b, c\)/);
  const missing = lengua('--references', join(dir, 'nope.txt'), '--predictions', refs);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /nope\.txt: no such file/);
  const badAverage = lengua('--references', refs, '--predictions', refs, '--average', 'binary');
  assert.equal(badAverage.status, 1);
  assert.match(badAverage.stderr, /--average binary needs --pos-label/);
});
