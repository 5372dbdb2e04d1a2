"""Reference answers of scikit-learn 1.2 for the TF-IDF + logistic regression baseline.

Reads the cases (texts already normalized by Lengua, and their word tokens) as JSON on stdin and
writes, per case, the vocabulary, idf, intercepts and test probabilities to stdout. Run it through
`npx tsx scripts/baseline-references.ts`, which prepares the input; it needs Debian's
/usr/bin/python3 (python3-sklearn), not a pyenv python3.
"""
import json
import sys

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression


def df_arg(x):
    # Lengua: >= 1 is a count, below 1 a share (scikit-learn tells them apart by int/float).
    return int(x) if x >= 1 else float(x)


def run(case):
    o = case["options"]
    blocks = []
    if o["wordNgrams"] is not None:
        # The tokens were joined with "\n" (no token holds whitespace): scikit-learn then builds the n-grams.
        vec = TfidfVectorizer(lowercase=False, tokenizer=lambda s: s.split("\n") if s else [], token_pattern=None,
                              ngram_range=tuple(o["wordNgrams"]), min_df=df_arg(o["minDf"]), sublinear_tf=o["sublinearTf"])
        blocks.append(("word", vec, ["\n".join(t) for t in case["trainTokens"]], ["\n".join(t) for t in case["testTokens"]]))
    if o["charNgrams"] is not None:
        vec = TfidfVectorizer(analyzer="char_wb", lowercase=False, ngram_range=tuple(o["charNgrams"]),
                              min_df=df_arg(o["minDf"]), sublinear_tf=o["sublinearTf"])
        blocks.append(("char", vec, case["trainPre"], case["testPre"]))
    out = {"name": case["name"]}
    xs_train, xs_test = [], []
    for name, vec, train, test in blocks:
        xs_train.append(vec.fit_transform(train))
        xs_test.append(vec.transform(test))
        out[name] = {"vocabulary": list(vec.get_feature_names_out()), "idf": vec.idf_.tolist()}
    X = sp.hstack(xs_train).tocsr()
    Xt = sp.hstack(xs_test).tocsr()
    # Tight tolerance: the reference is the optimum itself, not wherever 100 iterations stop.
    cw = o["classWeight"]
    clf = LogisticRegression(C=o["C"], penalty="l2", solver="lbfgs", max_iter=20000, tol=1e-10,
                             class_weight=None if cw is None else cw if cw == "balanced" else dict(enumerate(cw)))
    clf.fit(X, np.array(case["trainLabels"]))
    out["classes"] = clf.classes_.tolist()
    out["nIter"] = int(clf.n_iter_[0])
    out["intercept"] = clf.intercept_.tolist()
    out["coefNorm"] = float(np.linalg.norm(clf.coef_))
    out["proba"] = clf.predict_proba(Xt).tolist()
    out["predictions"] = clf.predict(Xt).tolist()
    return out


def main():
    cases = json.load(sys.stdin)
    result = {"sklearn": sklearn.__version__, "cases": [run(c) for c in cases]}
    json.dump(result, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
