#!/usr/bin/env python3
"""Reference n-grams from scikit-learn for src/text/ngrams.test.ts.

Run with Debian's scikit-learn: /usr/bin/python3 scripts/ngram-reference.py
It prints JSON; the test holds the same values as literals (regenerate them here if a case changes).
"""
import json
import sklearn
from sklearn.feature_extraction.text import CountVectorizer

CHAR_CASES = [
    ("hola yo", (3, 3)),
    ("¡Qué  día\tTAN bonito! 😂👍🏽", (1, 3)),
    ("a bc  def\u0085x\u3000y", (2, 5)),
    ("niño", (4, 6)),
    ("", (1, 2)),
]
WORD_CASES = [
    (["me", "gusta", "mucho", "el", "café"], (1, 3)),
    (["solo"], (1, 2)),
    (["a", "b", "c", "d"], (2, 3)),
]

out = {"sklearn": sklearn.__version__, "char": [], "char_wb": [], "word": []}
for text, rng in CHAR_CASES:
    for analyzer in ("char", "char_wb"):
        analyze = CountVectorizer(analyzer=analyzer, ngram_range=rng, lowercase=False).build_analyzer()
        out[analyzer].append({"text": text, "range": list(rng), "ngrams": analyze(text)})
for tokens, rng in WORD_CASES:
    vectorizer = CountVectorizer(ngram_range=rng)
    out["word"].append({"tokens": tokens, "range": list(rng), "ngrams": vectorizer._word_ngrams(list(tokens))})
print(json.dumps(out, ensure_ascii=False))
