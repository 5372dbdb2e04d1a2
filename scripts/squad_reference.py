#!/usr/bin/python3
"""Writes src/metrics/fixtures/squad-references.json: SQuAD EM/F1 answers of the official evaluation semantics.

Run with Debian's Python (standard library only):

    /usr/bin/python3 scripts/squad_reference.py

The official scripts (evaluate-v1.1.py, evaluate-v2.0.py of the SQuAD site) are not packaged here, so their
functions are written again below from their published definitions, with Python's own `re`, `str.lower`,
`str.split` and `collections.Counter`: those are the parts whose semantics JavaScript does not share
(Unicode-aware \\b, Python's whitespace set), so the fixture pins what the TypeScript port must reproduce.
The normalization is English-only (articles a/an/the, ASCII punctuation), as in the official script and as
XQuAD uses it for every language; the Spanish cases below record that, they do not change it.
src/metrics/squad.test.ts compares every number to 1e-12.
"""
import collections
import json
import os
import re
import string

PUNCT = set(string.punctuation)


def normalize_answer(s):
    """lower -> remove punctuation -> remove articles (whole words) -> collapse whitespace."""
    s = s.lower()
    s = ''.join(ch for ch in s if ch not in PUNCT)
    s = re.sub(r'\b(a|an|the)\b', ' ', s)
    return ' '.join(s.split())


# ---- evaluate-v1.1.py ----

def f1_v1(prediction, ground_truth):
    p = normalize_answer(prediction).split()
    g = normalize_answer(ground_truth).split()
    same = sum((collections.Counter(p) & collections.Counter(g)).values())
    if same == 0:
        return 0
    precision = same / len(p)
    recall = same / len(g)
    return 2 * precision * recall / (precision + recall)


def em_v1(prediction, ground_truth):
    return normalize_answer(prediction) == normalize_answer(ground_truth)


def evaluate_v1(refs, preds):
    em = f1 = total = 0
    for r in refs:
        total += 1
        if r['id'] not in preds:
            continue
        p = preds[r['id']]
        em += max(em_v1(p, g) for g in r['answers'])
        f1 += max(f1_v1(p, g) for g in r['answers'])
    return {'exactMatch': 100.0 * em / total, 'f1': 100.0 * f1 / total, 'total': total}


# ---- evaluate-v2.0.py ----

def get_tokens(s):
    if not s:
        return []
    return normalize_answer(s).split()


def exact_v2(gold, pred):
    return int(normalize_answer(gold) == normalize_answer(pred))


def f1_v2(gold, pred):
    g = get_tokens(gold)
    p = get_tokens(pred)
    same = sum((collections.Counter(g) & collections.Counter(p)).values())
    if len(g) == 0 or len(p) == 0:
        return int(g == p)
    if same == 0:
        return 0
    precision = same / len(p)
    recall = same / len(g)
    return 2 * precision * recall / (precision + recall)


def find_best_thresh(preds, scores, na_probs, has_ans):
    cur = sum(1 for k in has_ans if not has_ans[k])
    best = cur
    thresh = 0.0
    for qid in sorted(na_probs, key=lambda k: na_probs[k]):
        if qid not in scores:
            continue
        if has_ans[qid]:
            diff = scores[qid]
        else:
            diff = -1 if preds[qid] else 0
        cur += diff
        if cur > best:
            best = cur
            thresh = na_probs[qid]
    return 100.0 * best / len(scores), thresh


def evaluate_v2(refs, preds, na_probs=None, na_prob_thresh=1.0):
    has_ans = {r['id']: bool(r['answers']) for r in refs}
    exact_raw, f1_raw = {}, {}
    for r in refs:
        golds = [a for a in r['answers'] if normalize_answer(a)] or ['']
        p = preds[r['id']]
        exact_raw[r['id']] = max(exact_v2(a, p) for a in golds)
        f1_raw[r['id']] = max(f1_v2(a, p) for a in golds)
    probs = na_probs if na_probs is not None else {k: 0.0 for k in preds}

    def apply(scores):
        return {q: (float(not has_ans[q]) if probs[q] > na_prob_thresh else s) for q, s in scores.items()}

    ex, f1 = apply(exact_raw), apply(f1_raw)

    def agg(ids):
        return 100.0 * sum(ex[k] for k in ids) / len(ids), 100.0 * sum(f1[k] for k in ids) / len(ids), len(ids)

    out = {}
    out['exact'], out['f1'], out['total'] = agg(list(ex))
    has_ids = [k for k, v in has_ans.items() if v]
    no_ids = [k for k, v in has_ans.items() if not v]
    if has_ids:
        out['hasAnsExact'], out['hasAnsF1'], out['hasAnsTotal'] = agg(has_ids)
    if no_ids:
        out['noAnsExact'], out['noAnsF1'], out['noAnsTotal'] = agg(no_ids)
    if na_probs is not None:
        out['bestExact'], out['bestExactThresh'] = find_best_thresh(preds, exact_raw, probs, has_ans)
        out['bestF1'], out['bestF1Thresh'] = find_best_thresh(preds, f1_raw, probs, has_ans)
    return out


STRINGS = [
    '', ' ', 'the', 'The', 'A', 'an', 'a an the', 'The Cat!', 'the  cat\t\n sat', 'theatre', 'Thea', 'a.b',
    'the.cat', "the's", 'the-end', 'the_end', '_the_', 'then the', 'The  Beatles\u2019 album', '“the” quote',
    '$1,000.50', '1,000', '(a)', 'Nikola Tesla', 'nikola tesla.', 'e\u0301the', '\u00e9the', 'the\u00e9',
    '\u00b2the', 'the\u2167', '\u01c5the', 'x\u00a0the\u00a0y', 'x\u1680y', 'x\x1cy', 'x\x1fy', 'x\u2028y',
    'x\u3000y', 'x\ufeffy', 'x\u200by', 'x\u0085y', 'x\u202fy', 'ΟΔΟΣ', 'İstanbul', 'STRASSE ẞ',
    '¿Qué partido político?', '¡Partido Laborista Australiano!', 'El Partido Laborista', 'la ciudad de Melbourne',
    'los Verdes australianos', 'años 1990', 'Años 1990', 'Ñandú', 'el 14 de julio de 1789', 'a la una',
    'an año', '«el Rin»', 'café-teatro', '日本の首都', 'the 東京', '😀 the 😀',
]

V1_PAIRS = [
    ('Denver Broncos', ['Denver Broncos', 'The Denver Broncos']),
    ('the Denver Broncos!', ['Denver Broncos']),
    ('Broncos', ['Denver Broncos']),
    ('Denver Broncos Denver', ['Denver Broncos']),
    ('the the the', ['a']),
    ('', ['Carolina Panthers']),
    ('Carolina', ['']),
    ('', ['']),
    ('1,000', ['1000', 'one thousand']),
    ('$1,000.50', ['100050']),
    ('Partido Laborista Australiano', ['El Partido Laborista Australiano', 'ALP']),
    ('el Partido Laborista', ['Partido Laborista Australiano']),
    ('años', ['Años', 'anos']),
    ('¿Melbourne?', ['Melbourne']),
    ('la la la ciudad', ['la ciudad', 'ciudad la']),
    ('a b c d e', ['c d e f g', 'a x', 'e']),
    ('theatre of the absurd', ['Theatre of the Absurd']),
    ('ΟΔΟΣ', ['οδος', 'οδοσ']),
    ('x\u00a0y', ['x y']),
    ('x\ufeffy', ['x y', 'x\ufeffy']),
    ('x\x1cy', ['x y']),
    ('e\u0301the', ['e\u0301']),
    ('\u00e9the', ['\u00e9']),
    ('word word other', ['word other other']),
]

V2_SETS = [
    {
        'refs': [
            {'id': 'q1', 'answers': ['Denver Broncos', 'the Denver Broncos']},
            {'id': 'q2', 'answers': []},
            {'id': 'q3', 'answers': ['Santa Clara, California', "Levi's Stadium"]},
            {'id': 'q4', 'answers': []},
            {'id': 'q5', 'answers': ['the', 'a']},
            {'id': 'q6', 'answers': ['Partido Laborista Australiano']},
        ],
        'preds': {'q1': 'Broncos', 'q2': '', 'q3': "Levi's Stadium in Santa Clara", 'q4': 'a wrong answer',
                  'q5': '', 'q6': 'el Partido Laborista'},
        'naProbs': {'q1': 0.2, 'q2': 0.9, 'q3': 0.4, 'q4': 0.4, 'q5': 0.7, 'q6': 0.1},
    },
    {
        'refs': [
            {'id': 'a', 'answers': ['x y z']},
            {'id': 'b', 'answers': []},
            {'id': 'c', 'answers': ['u v']},
            {'id': 'd', 'answers': []},
        ],
        'preds': {'a': 'x y', 'b': 'something', 'c': 'u v', 'd': 'other'},
        # Ties: the sort is stable, so insertion order decides (b before c at 0.5).
        'naProbs': {'a': 0.3, 'b': 0.5, 'c': 0.5, 'd': 0.9},
    },
    {
        'refs': [{'id': 'n1', 'answers': []}, {'id': 'n2', 'answers': []}],
        'preds': {'n1': '', 'n2': 'the'},
        'naProbs': {'n1': 0.0, 'n2': 0.3},
    },
    {
        'refs': [{'id': 'h1', 'answers': ['one']}, {'id': 'h2', 'answers': ['two three']}],
        'preds': {'h1': 'one', 'h2': 'three'},
        'naProbs': None,
    },
]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = {
        'normalize': [[s, normalize_answer(s)] for s in STRINGS],
        'pairs': [],
        'v1': [],
        'v2': [],
    }
    for s in STRINGS:
        for t in STRINGS[::7]:
            out['pairs'].append({'prediction': s, 'gold': t, 'em': int(em_v1(s, t)), 'f1': f1_v1(s, t),
                                 'exactV2': exact_v2(t, s), 'f1V2': f1_v2(t, s)})
    refs = [{'id': 'v1-%d' % i, 'answers': g} for i, (_, g) in enumerate(V1_PAIRS)]
    preds = {'v1-%d' % i: p for i, (p, _) in enumerate(V1_PAIRS)}
    out['v1'].append({'refs': refs, 'preds': preds, 'score': evaluate_v1(refs, preds)})
    # A missing prediction counts 0 over the total.
    partial = {k: v for k, v in preds.items() if k not in ('v1-0', 'v1-3')}
    out['v1'].append({'refs': refs, 'preds': partial, 'score': evaluate_v1(refs, partial)})
    for case in V2_SETS:
        for thresh in (1.0, 0.5):
            out['v2'].append({**case, 'naProbThresh': thresh,
                              'score': evaluate_v2(case['refs'], case['preds'], case['naProbs'], thresh)})
    path = os.path.join(here, '..', 'src', 'metrics', 'fixtures', 'squad-references.json')
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write('\n')
    print('wrote', os.path.normpath(path), len(out['pairs']), 'pairs')


if __name__ == '__main__':
    main()
