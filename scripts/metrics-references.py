#!/usr/bin/python3
"""Writes src/metrics/fixtures/sklearn-references.json: inputs and scikit-learn's answers.

Run with Debian's Python, which has python3-sklearn (1.2.1) and python3-numpy:

    /usr/bin/python3 scripts/metrics-references.py

(Not the pyenv `python3` that may come first on PATH: it has no scikit-learn.)

Every check records the sklearn function, its keyword arguments and the value it returned, or the
exception it raised, and whether it emitted a warning; src/metrics/references.test.ts replays
each one against the TypeScript implementation to 1e-12. JSON has no NaN or infinity, so those are
written as the strings "NaN", "Infinity", "-Infinity". Python floats serialise with repr, which
round-trips exactly.

Notes on the reference version:
- scikit-learn 1.2 accepts zero_division in {"warn", 0, 1}; "warn" answers 0 and warns. The
  zero_division=np.nan option only exists from 1.3, so it is not exercised here.
- log_loss in 1.2 defaults to eps="auto" (the machine epsilon of the probability dtype, 2.22e-16
  for float64); eps=1e-15 is checked as well, since that was the default before 1.2.
- brier_score_loss in 1.2 is binary only. The multiclass Brier score (mean over samples of the sum of
  squared differences to the one-hot truth) has no sklearn function and is computed with numpy here.
- Expected calibration error has no sklearn function either: it is computed here directly with
  numpy, with the definition documented in src/metrics/calibration.ts.
"""

import json
import os
import sys
import warnings

import numpy as np
import sklearn
from sklearn import metrics as M

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'src', 'metrics', 'fixtures',
                   'sklearn-references.json')
SENT = ['negative', 'neutral', 'positive']


def to_json(v):
    """numpy values to plain JSON; NaN and infinities as strings."""
    if isinstance(v, dict):
        return {str(k): to_json(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [to_json(x) for x in v]
    if isinstance(v, np.ndarray):
        return to_json(v.tolist())
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        f = float(v)
        if np.isnan(f):
            return 'NaN'
        if np.isinf(f):
            return 'Infinity' if f > 0 else '-Infinity'
        return f
    if isinstance(v, np.str_):
        return str(v)
    return v


class Case:
    def __init__(self, name, **inputs):
        self.name = name
        self.inputs = {k: (np.asarray(v).tolist() if v is not None else None) for k, v in inputs.items()}
        self.arrays = {k: (np.asarray(v) if v is not None else None) for k, v in inputs.items()}
        self.checks = []

    def check(self, fn, args, **kwargs):
        """Calls sklearn.metrics.<fn>(*inputs[args], **kwargs) and records the outcome."""
        call_args = [self.arrays[a] for a in args]
        kw = {k: (self.arrays[v[1:]] if isinstance(v, str) and v.startswith('$') else v) for k, v in kwargs.items()}
        entry = {'fn': fn, 'args': list(args), 'kwargs': to_json(kwargs)}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            try:
                f = CUSTOM[fn] if fn in CUSTOM else getattr(M, fn)
                entry['expected'] = to_json(f(*call_args, **kw))
            except (ValueError, TypeError) as e:
                entry['error'] = f'{type(e).__name__}: {e}'
        entry['warns'] = any(issubclass(w.category, M._classification.UndefinedMetricWarning) for w in caught)
        self.checks.append(entry)

    def to_json(self):
        return {'name': self.name, 'inputs': self.inputs, 'checks': self.checks}


# ---- metrics scikit-learn 1.2 does not have, computed directly with numpy -----------------------

def multiclass_brier(y_true, y_prob, labels=None):
    """Mean over samples of sum_k (p_k - [y == k])^2, columns in `labels` (or sorted y_true) order."""
    classes = np.asarray(labels) if labels is not None else np.unique(y_true)
    onehot = (np.asarray(y_true)[:, None] == classes[None, :]).astype(float)
    return float(np.mean(np.sum((np.asarray(y_prob, dtype=float) - onehot) ** 2, axis=1)))


def ece_bins(y_true, y_prob, labels=None, n_bins=15):
    """Guo et al. (2017): confidence = max probability, prediction = first argmax; equal-width bins
    (k/n, (k+1)/n] with boundaries k * (1/n), confidence 0 in the first bin; ECE = sum over bins of
    (bin size / n) * |accuracy - mean confidence|."""
    classes = np.asarray(labels) if labels is not None else np.unique(y_true)
    p = np.asarray(y_prob, dtype=float)
    conf = p.max(axis=1)
    pred = classes[p.argmax(axis=1)]
    correct = (pred == np.asarray(y_true)).astype(float)
    step = 1.0 / n_bins
    bins = []
    ece = 0.0
    n = len(conf)
    for k in range(n_bins):
        lo, hi = k * step, (k + 1) * step if k < n_bins - 1 else 1.0
        mask = (conf > lo) & (conf <= hi)
        if k == 0:
            mask |= conf == 0.0
        cnt = int(mask.sum())
        if cnt == 0:
            bins.append({'lower': lo, 'upper': hi, 'count': 0, 'confidence': None, 'accuracy': None})
            continue
        c = float(np.mean(conf[mask]))
        a = float(np.mean(correct[mask]))
        ece += (cnt / n) * abs(a - c)
        bins.append({'lower': lo, 'upper': hi, 'count': cnt, 'confidence': c, 'accuracy': a})
    return {'ece': ece, 'bins': bins}


CUSTOM = {
    'multiclass_brier': multiclass_brier,
    'ece': lambda y, p, labels=None, n_bins=15: ece_bins(y, p, labels, n_bins)['ece'],
    'reliability': lambda y, p, labels=None, n_bins=15: ece_bins(y, p, labels, n_bins)['bins'],
}


# ---- cases --------------------------------------------------------------------------------------

def label_checks(c, binary_pos=None, labels=None, weighted=False):
    """The label-based metrics for one (y_true, y_pred) case."""
    sw = {'sample_weight': '$sample_weight'} if weighted else {}
    lab = {'labels': labels} if labels is not None else {}
    c.check('accuracy_score', ['y_true', 'y_pred'], **sw)
    c.check('accuracy_score', ['y_true', 'y_pred'], normalize=False, **sw)
    for norm in [None, 'true', 'pred', 'all']:
        c.check('confusion_matrix', ['y_true', 'y_pred'], normalize=norm, **lab, **sw)
    averages = [None, 'micro', 'macro', 'weighted'] + (['binary'] if binary_pos is not None else [])
    for avg in averages:
        pos = {'pos_label': binary_pos} if avg == 'binary' else {}
        for zd in ['warn', 0, 1]:
            c.check('precision_recall_fscore_support', ['y_true', 'y_pred'], average=avg, zero_division=zd,
                    **pos, **lab, **sw)
        for fn in ['precision_score', 'recall_score', 'f1_score']:
            c.check(fn, ['y_true', 'y_pred'], average=avg, **pos, **lab, **sw)
        c.check('fbeta_score', ['y_true', 'y_pred'], beta=0.5, average=avg, **pos, **lab, **sw)
        c.check('fbeta_score', ['y_true', 'y_pred'], beta=2.0, average=avg, zero_division=1, **pos, **lab, **sw)
    c.check('matthews_corrcoef', ['y_true', 'y_pred'], **sw)
    for w in [None, 'linear', 'quadratic']:
        c.check('cohen_kappa_score', ['y_true', 'y_pred'], weights=w, **lab, **sw)
    for zd in ['warn', 1]:
        c.check('classification_report', ['y_true', 'y_pred'], output_dict=True, zero_division=zd, **lab, **sw)
    for digits in [2, 4]:
        c.check('classification_report', ['y_true', 'y_pred'], digits=digits, **lab, **sw)


def prob_checks(c, labels=None, weighted=False, ovo=True):
    """The probability-based metrics for one (y_true, y_prob) case with a 2-D y_prob."""
    sw = {'sample_weight': '$sample_weight'} if weighted else {}
    lab = {'labels': labels} if labels is not None else {}
    c.check('log_loss', ['y_true', 'y_prob'], **lab, **sw)
    c.check('log_loss', ['y_true', 'y_prob'], eps=1e-15, **lab, **sw)
    c.check('log_loss', ['y_true', 'y_prob'], normalize=False, **lab, **sw)
    for avg in ['macro', 'weighted', 'micro']:
        c.check('roc_auc_score', ['y_true', 'y_prob'], multi_class='ovr', average=avg, **lab, **sw)
    if ovo and not weighted:
        for avg in ['macro', 'weighted']:
            c.check('roc_auc_score', ['y_true', 'y_prob'], multi_class='ovo', average=avg, **lab)
    c.check('multiclass_brier', ['y_true', 'y_prob'], **lab)
    for nb in [15, 10, 3]:
        c.check('ece', ['y_true', 'y_prob'], n_bins=nb, **lab)
    c.check('reliability', ['y_true', 'y_prob'], n_bins=10, **lab)


def binary_score_checks(c, weighted=False, pos_label=None):
    """Binary ROC-AUC / Brier / log loss with a 1-D score or probability of the positive class."""
    sw = {'sample_weight': '$sample_weight'} if weighted else {}
    c.check('roc_auc_score', ['y_true', 'y_score'], **sw)
    pos = {'pos_label': pos_label} if pos_label is not None else {}
    c.check('brier_score_loss', ['y_true', 'y_score'], **pos, **sw)
    c.check('log_loss', ['y_true', 'y_score'], **sw)


def softmax_rows(rng, n, k, sharp=2.0):
    z = rng.normal(size=(n, k)) * sharp
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def noisy(rng, y, classes, p_keep):
    """Predictions that copy y with probability p_keep, else a random class."""
    out = np.array(y, dtype=object)
    for i in range(len(y)):
        if rng.random() >= p_keep:
            out[i] = classes[rng.integers(len(classes))]
    return out.tolist()


def build():
    cases = []
    rng = np.random.default_rng(20240611)

    # Binary 0/1, random, with and without weights; ties in the scores.
    y = rng.integers(0, 2, size=50)
    yp = noisy(rng, y.tolist(), [0, 1], 0.7)
    w = rng.uniform(0.1, 3.0, size=50)
    score = np.round(rng.uniform(size=50), 1)  # one decimal: many tied scores
    c = Case('binary-01', y_true=y, y_pred=yp, sample_weight=w, y_score=score)
    label_checks(c, binary_pos=1)
    label_checks(c, binary_pos=1, weighted=True)
    c.check('precision_recall_fscore_support', ['y_true', 'y_pred'], average='binary', pos_label=0)
    binary_score_checks(c)
    binary_score_checks(c, weighted=True)
    cases.append(c)

    # Binary with scores correlated with the truth, integer weights, and scores clipped to 0/1.
    y = rng.integers(0, 2, size=40)
    score = np.clip(y * 0.35 + rng.uniform(size=40) * 0.65, 0, 1)
    score[:3] = [0.0, 1.0, 0.0]
    yp = (score > 0.5).astype(int)
    w = rng.integers(1, 4, size=40)
    c = Case('binary-scores', y_true=y, y_pred=yp, y_score=score, sample_weight=w)
    label_checks(c, binary_pos=1, weighted=True)
    binary_score_checks(c)
    binary_score_checks(c, weighted=True)
    cases.append(c)

    # Binary string labels.
    y = [['neg', 'pos'][i] for i in rng.integers(0, 2, size=30)]
    yp = noisy(rng, y, ['neg', 'pos'], 0.6)
    score = rng.uniform(size=30)
    c = Case('binary-strings', y_true=y, y_pred=yp, y_score=score)
    label_checks(c, binary_pos='pos')
    c.check('f1_score', ['y_true', 'y_pred'])  # default pos_label=1 is not a label: sklearn raises
    binary_score_checks(c, pos_label='pos')
    c.check('brier_score_loss', ['y_true', 'y_score'])  # strings without pos_label: sklearn raises
    cases.append(c)

    # Three-class sentiment, random.
    for seed, n, keep in [(1, 60, 0.6), (2, 200, 0.75)]:
        r = np.random.default_rng(seed)
        y = [SENT[i] for i in r.choice(3, size=n, p=[0.3, 0.45, 0.25])]
        prob = softmax_rows(r, n, 3)
        # tilt probabilities toward the truth so the metrics are not all near chance
        for i in range(n):
            prob[i, SENT.index(y[i])] += r.uniform(0, 1.5)
        prob = prob / prob.sum(axis=1, keepdims=True)
        yp = [SENT[j] for j in prob.argmax(axis=1)] if seed == 2 else noisy(r, y, SENT, keep)
        w = r.uniform(0.5, 2.0, size=n)
        c = Case(f'sentiment-{n}', y_true=y, y_pred=yp, y_prob=prob, sample_weight=w)
        label_checks(c)
        label_checks(c, weighted=True)
        label_checks(c, labels=['positive', 'negative'])
        label_checks(c, labels=['positive', 'neutral', 'negative', 'mixed'])
        prob_checks(c)
        prob_checks(c, weighted=True)
        prob_checks(c, labels=SENT)
        cases.append(c)

    # A class never predicted ('neutral'), plus a predicted class absent from the truth.
    r = np.random.default_rng(3)
    y = [SENT[i] for i in r.integers(0, 3, size=25)]
    yp = [('positive' if r.random() < 0.5 else 'negative') if t == 'neutral' else t for t in y]
    yp = noisy(r, yp, ['negative', 'positive'], 0.8)
    c = Case('never-predicted', y_true=y, y_pred=yp)
    label_checks(c)
    cases.append(c)

    y = ['negative', 'negative', 'positive', 'positive', 'negative', 'positive']
    yp = ['negative', 'neutral', 'positive', 'neutral', 'negative', 'negative']
    c = Case('pred-label-not-in-truth', y_true=y, y_pred=yp)
    label_checks(c)
    label_checks(c, labels=['neutral'])
    cases.append(c)

    # Numeric multiclass with gaps, labels subsets, label not present anywhere.
    r = np.random.default_rng(4)
    y = r.choice([0, 2, 5, 7], size=45)
    yp = noisy(r, y.tolist(), [0, 2, 5, 7], 0.55)
    w = r.integers(0, 3, size=45)  # includes zero weights
    prob = softmax_rows(r, 45, 4, 1.0)
    c = Case('numeric-gaps', y_true=y, y_pred=yp, sample_weight=w, y_prob=prob)
    label_checks(c)
    label_checks(c, weighted=True)
    label_checks(c, labels=[7, 0, 3])
    prob_checks(c)
    prob_checks(c, weighted=True)
    c.check('log_loss', ['y_true', 'y_prob'], labels=[0, 2, 5, 7, 9])  # width mismatch: raises
    cases.append(c)

    # Perfect and all-wrong predictions.
    y = ['a', 'b', 'c', 'a', 'b', 'c', 'a', 'a']
    c = Case('perfect', y_true=y, y_pred=list(y))
    label_checks(c)
    cases.append(c)
    c = Case('all-wrong', y_true=y, y_pred=['b', 'c', 'a', 'c', 'a', 'b', 'b', 'c'])
    label_checks(c)
    cases.append(c)
    c = Case('all-wrong-binary', y_true=[0, 1, 1, 0, 1], y_pred=[1, 0, 0, 1, 0], y_score=[0.9, 0.1, 0.2, 0.8, 0.3])
    label_checks(c, binary_pos=1)
    binary_score_checks(c)
    cases.append(c)

    # One class only: MCC 0, kappa NaN (0/0), binary average with pos_label absent.
    c = Case('one-class', y_true=[0, 0, 0, 0], y_pred=[0, 0, 0, 0], y_score=[0.2, 0.1, 0.4, 0.3])
    label_checks(c, binary_pos=1)
    c.check('roc_auc_score', ['y_true', 'y_score'])  # only one class: raises
    c.check('brier_score_loss', ['y_true', 'y_score'])
    cases.append(c)

    # Tiny inputs.
    c = Case('n1', y_true=['positive'], y_pred=['negative'])
    label_checks(c)
    cases.append(c)
    c = Case('n1-correct', y_true=[3], y_pred=[3])
    label_checks(c)
    cases.append(c)
    c = Case('n2', y_true=[1, 0], y_pred=[1, 1], y_score=[0.5, 0.5], sample_weight=[0.25, 2.0])
    label_checks(c, binary_pos=1)
    label_checks(c, binary_pos=1, weighted=True)
    binary_score_checks(c)
    binary_score_checks(c, weighted=True)
    cases.append(c)

    # Probability edge cases: exact 0 and 1 (clipping), rows not summing to 1 (log_loss renormalises
    # in 1.2), ties everywhere, confidences on bin edges, and probabilities of 0.
    y = ['negative', 'neutral', 'positive', 'neutral', 'positive', 'negative']
    prob = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.2, 0.4, 0.4],
            [0.6, 0.2, 0.2]]
    c = Case('probs-extreme', y_true=y, y_prob=prob, y_pred=[SENT[int(np.argmax(p))] for p in prob])
    prob_checks(c, ovo=True)
    c.check('ece', ['y_true', 'y_prob'], n_bins=5)
    c.check('reliability', ['y_true', 'y_prob'], n_bins=5)
    cases.append(c)

    y = [0, 1, 2, 0, 1, 2, 0, 1, 2]
    prob = [[1 / 3, 1 / 3, 1 / 3]] * 9
    c = Case('probs-all-tied', y_true=y, y_prob=prob)
    prob_checks(c)
    cases.append(c)

    y = [1, 0, 1, 1, 0, 0, 1, 0]
    score = [0.8, 0.6, 0.6, 0.6, 0.2, 0.0, 1.0, 0.8]
    w = [1.0, 0.5, 2.0, 0.0, 1.0, 3.0, 1.5, 0.25]
    c = Case('binary-ties', y_true=y, y_score=score, sample_weight=w,
             y_prob=[[1 - s, s] for s in score], y_pred=[int(s > 0.5) for s in score])
    binary_score_checks(c)
    binary_score_checks(c, weighted=True)
    prob_checks(c, ovo=False)
    prob_checks(c, weighted=True, ovo=False)
    label_checks(c, binary_pos=1, weighted=True)
    cases.append(c)

    # Less common arguments: F-beta at the extremes, target names, kappa on a label subset, Brier's pos_label
    # inference for numeric labels, log loss with one class in y_true, one-vs-one with a class absent from y_true.
    c = cases[3]  # sentiment-60
    for avg in [None, 'macro', 'weighted']:
        c.check('fbeta_score', ['y_true', 'y_pred'], beta=0.0, average=avg)
        c.check('fbeta_score', ['y_true', 'y_pred'], beta=float('inf'), average=avg)
    c.check('classification_report', ['y_true', 'y_pred'], target_names=['Neg', 'Neu', 'Pos'], output_dict=True)
    c.check('classification_report', ['y_true', 'y_pred'], target_names=['Neg', 'Neu', 'Pos'], digits=3)
    c.check('cohen_kappa_score', ['y_true', 'y_pred'], labels=['negative', 'positive'], weights='quadratic',
            sample_weight='$sample_weight')
    c.check('ece', ['y_true', 'y_prob'], n_bins=1)
    for y in ([2, 5, 5, 2, 5], [-1, 1, 1, -1, -1], [0, 0, 0, 0, 0], [7, 7, 7, 7, 7]):
        c = Case(f'brier-{y[0]}-{y[1]}', y_true=y, y_score=[0.1, 0.9, 0.6, 0.4, 0.3])
        c.check('brier_score_loss', ['y_true', 'y_score'])
        c.check('log_loss', ['y_true', 'y_score'], labels=sorted(set(y) | {y[0] + 1}))  # 3 labels for 2 columns raises
        cases.append(c)
    c = Case('ovo-absent-class', y_true=[0, 1, 0, 1, 0, 1],
             y_prob=[[0.5, 0.3, 0.2], [0.2, 0.5, 0.3], [0.6, 0.2, 0.2], [0.3, 0.3, 0.4], [0.4, 0.4, 0.2], [0.1, 0.8, 0.1]])
    for avg in ['macro', 'weighted']:
        c.check('roc_auc_score', ['y_true', 'y_prob'], multi_class='ovo', average=avg, labels=[0, 1, 2])
    c.check('roc_auc_score', ['y_true', 'y_prob'], multi_class='ovr', labels=[0, 1, 2])  # class 2 absent: raises
    c.check('roc_auc_score', ['y_true', 'y_prob'], multi_class='ovr', labels=[0, 2, 1])  # unordered: raises
    c.check('log_loss', ['y_true', 'y_prob'], labels=[0, 1, 2])
    cases.append(c)

    # A larger ROC case: 2000 samples, scores on a 0.01 grid (heavy ties), with and without weights.
    r = np.random.default_rng(5)
    y = r.integers(0, 2, size=2000)
    score = np.round(np.clip(0.3 * y + r.normal(0.35, 0.2, size=2000), 0, 1), 2)
    c = Case('binary-2000-ties', y_true=y, y_score=score, sample_weight=r.uniform(0, 2, size=2000))
    binary_score_checks(c)
    binary_score_checks(c, weighted=True)
    cases.append(c)

    # Errors sklearn raises that the TypeScript side mirrors.
    c = Case('errors', y_true=['a', 'b', 'c'], y_pred=['a', 'b', 'b'])
    c.check('precision_recall_fscore_support', ['y_true', 'y_pred'], average='binary')
    c.check('confusion_matrix', ['y_true', 'y_pred'], labels=['x', 'y'])
    cases.append(c)
    return cases


def main():
    cases = build()
    doc = {
        'generatedBy': 'scripts/metrics-references.py (run with /usr/bin/python3)',
        'versions': {'sklearn': sklearn.__version__, 'numpy': np.__version__, 'python': sys.version.split()[0]},
        'cases': [c.to_json() for c in cases],
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    tmp = OUT + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(doc, f, indent=None, separators=(',', ':'), allow_nan=False)
        f.write('\n')
    os.replace(tmp, OUT)
    n = sum(len(c.checks) for c in cases)
    print(f'wrote {n} checks in {len(cases)} cases to {os.path.relpath(OUT)}')


if __name__ == '__main__':
    main()
