// Behaviour a user relies on beyond the scikit-learn replay: input errors, the calibration definition on a
// hand-computed case, the all-in-one summary, and Python-exact number formatting in the text report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LenguaError } from '../errors.js';
import {
  accuracyScore,
  classificationReport,
  computeClassificationMetrics,
  expectedCalibrationError,
  f1Score,
  logLoss,
  macroRecall,
  precisionRecallFscoreSupport,
  reliabilityDiagram,
  rocAucScore,
} from './index.js';
import { formatFixed, pyFloatStr } from './report.js';

const isLengua = (pattern: RegExp) => (e: unknown) => e instanceof LenguaError && pattern.test(e.message);

test('length mismatch names both lengths; empty input and mixed label types are refused', () => {
  assert.throws(() => accuracyScore(['a', 'b', 'c'], ['a', 'b']), isLengua(/yTrue has 3 samples but yPred has 2/));
  assert.throws(() => f1Score([], [], { average: 'macro' }), isLengua(/yTrue is empty/));
  assert.throws(() => accuracyScore(['a', 1], ['a', 1]), isLengua(/mixes string and number labels/));
  assert.throws(() => accuracyScore([0.5], [0.5]), isLengua(/not an integer/));
  assert.throws(() => accuracyScore(['a'], [1]), isLengua(/string labels but yPred holds number/));
  assert.throws(() => accuracyScore(['a'], ['a'], { sampleWeight: [-1] }), isLengua(/sampleWeight\[0\] = -1/));
  assert.throws(() => f1Score(['a'], ['a'], { average: 'macro', zeroDivision: 'nan' as never }), isLengua(/no NaN option/));
});

test('probability rows: wrong width, not summing to 1, unsorted or unknown labels name the row', () => {
  const y = ['neg', 'pos', 'neg'];
  assert.throws(() => logLoss(y, [[0.5, 0.5], [0.2, 0.8], [1]]), isLengua(/yProb row 2 has 1 values, expected 2/));
  assert.throws(() => expectedCalibrationError(y, [[0.5, 0.5], [0.2, 0.7], [1, 0]]), isLengua(/yProb row 1 sums to 0\.(9|8999)/));
  assert.throws(() => logLoss(y, [[0.5, 0.5], [0.2, 0.8], [1, 0]], { labels: ['pos', 'neg'] }), isLengua(/sorted order/));
  assert.throws(() => logLoss(['neg', 'odd'], [[0.5, 0.5], [0.2, 0.8]], { labels: ['neg', 'pos'] }), isLengua(/yTrue\[1\] = "odd" is not one of the labels/));
  assert.throws(() => logLoss(['a', 'b', 'c'], [[0.5, 0.5], [0.2, 0.8], [1, 0]]), isLengua(/3 classes .* but yProb rows have 2 columns/));
  assert.throws(() => rocAucScore(['a', 'b', 'c'], [[0.2, 0.3, 0.5], [0.1, 0.1, 0.8], [0.4, 0.4, 0.2]]), isLengua(/multiClass 'ovr' or 'ovo'/));
});

test('unknown labels in the summary are refused, with the label named', () => {
  assert.throws(() => computeClassificationMetrics(['a', 'b', 'x'], ['a', 'b', 'b'], { labels: ['a', 'b'] }), isLengua(/do not include x/));
});

test('ECE and the reliability diagram on a hand-computed case', () => {
  // confidences 0.9 (right), 0.8 (right), 0.6 (wrong), 0.55 (right)
  const y = [0, 1, 1, 0];
  const p = [
    [0.9, 0.1],
    [0.2, 0.8],
    [0.6, 0.4],
    [0.55, 0.45],
  ];
  // 2 bins: all four in (0.5, 1]: |3/4 - 2.85/4| = 0.0375
  assert.ok(Math.abs(expectedCalibrationError(y, p, { nBins: 2 }) - 0.0375) < 1e-15);
  // 5 bins: (0.4,0.6] holds 0.6 and 0.55 (acc 1/2, conf 0.575), (0.6,0.8] holds 0.8, (0.8,1] holds 0.9
  const d = reliabilityDiagram(y, p, { nBins: 5 });
  assert.deepEqual(
    d.bins.map((b) => b.count),
    [0, 0, 2, 1, 1],
  );
  assert.equal(d.bins[0]?.confidence, null);
  assert.ok(Math.abs((d.bins[2]?.confidence as number) - 0.575) < 1e-15);
  assert.equal(d.bins[2]?.accuracy, 0.5);
  assert.equal(d.bins[4]?.upper, 1);
  const expected = (2 / 4) * 0.075 + (1 / 4) * 0.2 + (1 / 4) * 0.1;
  assert.ok(Math.abs(d.ece - expected) < 1e-15, `${d.ece} vs ${expected}`);
  assert.ok(Math.abs(d.mce - 0.2) < 1e-15);
  // perfectly calibrated: confidence 1 and always right
  assert.equal(expectedCalibrationError(['a', 'b'], [[1, 0], [0, 1]]), 0);
});

test('computeClassificationMetrics gathers every metric, macro recall spelled out, notes instead of warnings', () => {
  const yTrue = ['negative', 'neutral', 'positive', 'neutral', 'positive', 'negative'];
  const yPred = ['negative', 'positive', 'positive', 'positive', 'positive', 'negative'];
  const probs = [
    [0.8, 0.1, 0.1],
    [0.1, 0.3, 0.6],
    [0.1, 0.2, 0.7],
    [0.2, 0.2, 0.6],
    [0.1, 0.1, 0.8],
    [0.5, 0.3, 0.2],
  ];
  let emitted = 0;
  const listener = (): void => {
    emitted++;
  };
  process.on('warning', listener);
  const m = computeClassificationMetrics(yTrue, yPred, { probabilities: probs });
  process.off('warning', listener);
  assert.equal(emitted, 0);
  assert.deepEqual(m.labels, ['negative', 'neutral', 'positive']);
  assert.equal(m.macroRecall, macroRecall(yTrue, yPred));
  assert.equal(m.macroRecall, (1 + 0 + 1) / 3);
  assert.equal(m.accuracy, 4 / 6);
  assert.equal(m.perClass[1]?.precision, 0); // 'neutral' never predicted
  assert.match(m.warnings.join('\n'), /Precision and F-score are ill-defined/);
  assert.ok(m.probability !== null);
  assert.equal(m.probability.reliability.bins.length, 15);
  assert.deepEqual(m.confusionMatrix.matrix, [
    [2, 0, 0],
    [0, 0, 2],
    [0, 0, 2],
  ]);
  // a class with no true sample makes one-vs-rest ROC-AUC undefined: null with a note, not a crash
  const m2 = computeClassificationMetrics(['a', 'a', 'b'], ['a', 'c', 'b'], {
    probabilities: [
      [0.6, 0.2, 0.2],
      [0.3, 0.2, 0.5],
      [0.1, 0.8, 0.1],
    ],
  });
  assert.equal(m2.probability?.rocAuc, null);
  assert.match(m2.warnings.join('\n'), /ROC-AUC is not defined/);
});

test("zeroDivision 'warn' emits a process warning by default; 0 and 1 do not", async () => {
  const seen: string[] = [];
  const listener = (w: Error): void => {
    seen.push(w.name);
  };
  process.on('warning', listener);
  precisionRecallFscoreSupport(['a', 'b'], ['a', 'a'], { average: 'macro' });
  precisionRecallFscoreSupport(['a', 'b'], ['a', 'a'], { average: 'macro', zeroDivision: 0 });
  await new Promise((r) => setImmediate(r));
  process.off('warning', listener);
  assert.deepEqual(seen, ['UndefinedMetricWarning']);
});

test("number formatting matches Python's: half-to-even on exact ties, str() of floats", () => {
  assert.equal(formatFixed(0.125, 2), '0.12');
  assert.equal(formatFixed(0.375, 2), '0.38');
  assert.equal(formatFixed(0.5, 0), '0');
  assert.equal(formatFixed(2.5, 0), '2');
  assert.equal(formatFixed(0.1 + 0.2, 2), '0.30');
  assert.equal(formatFixed(2 / 3, 4), '0.6667');
  assert.equal(pyFloatStr(4), '4.0');
  assert.equal(pyFloatStr(12.5), '12.5');
  assert.equal(pyFloatStr(1e16), '1e+16');
  assert.equal(pyFloatStr(1.5e-5), '1.5e-05');
  // sklearn's own docstring example, byte for byte
  const report = classificationReport([0, 1, 2, 2, 2], [0, 0, 2, 2, 1], { targetNames: ['class 0', 'class 1', 'class 2'], zeroDivision: 0 });
  assert.equal(
    report,
    [
      '              precision    recall  f1-score   support',
      '',
      '     class 0       0.50      1.00      0.67         1',
      '     class 1       0.00      0.00      0.00         1',
      '     class 2       1.00      0.67      0.80         3',
      '',
      '    accuracy                           0.60         5',
      '   macro avg       0.50      0.56      0.49         5',
      'weighted avg       0.70      0.60      0.61         5',
      '',
    ].join('\n'),
  );
});
