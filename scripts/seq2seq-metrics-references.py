#!/usr/bin/python3
"""Writes src/metrics/fixtures/seq2seq-nltk.json: BLEU and Porter-stemmer answers from Debian's NLTK.

Run with Debian's Python, which has python3-nltk (3.8; `apt-get install -y python3-nltk`):

    /usr/bin/python3 scripts/seq2seq-metrics-references.py

sacreBLEU and rouge_score are not packaged for Debian, so neither can be run here. What can be run:

1. The mteval-v13a tokenizer, written below with the four regular expressions and the replacements of
   sacreBLEU's tokenizer_13a.py / tokenizer_re.py, executed by Python's `re` and str.split(): the fixture
   records its output for tricky strings and for every sentence of the corpora, and
   src/metrics/seq2seq.test.ts checks that the TypeScript tokenizer (JavaScript RegExp, different whitespace
   classes) gives the same tokens.
2. BLEU: nltk.translate.bleu_score.corpus_bleu on those tokens, with no smoothing. NLTK's BLEU agrees with
   sacreBLEU's only where (a) every n-gram order has at least one match over the corpus (NLTK's method0 drops
   orders with no match instead of scoring 0; sacreBLEU's 'exp' smoothing changes them) and (b) every
   hypothesis has at least as many tokens as the highest order (NLTK counts max(1, n-grams) hypothesis
   n-grams per sentence, sacreBLEU counts 0). Every corpus below satisfies both, which is asserted here; the
   test then compares sacreBLEU-semantics BLEU (smoothing 'none', and the default 'exp', which has nothing
   to smooth) to NLTK's score to 1e-12, and the n-gram counts, lengths and brevity penalty exactly.
   The brevity penalty rule is the same in both: per sentence the closest reference length, the shorter on
   a tie, summed over the corpus.
3. Porter stems: rouge_score stems with nltk.stem.porter.PorterStemmer() (mode NLTK_EXTENSIONS); the fixture
   holds its stems of about 3,000 English words (words of SciTLDR, ../shared/data/scitldr-a, chosen to
   cover every suffix family), plus the words the NLTK extensions single out.

NLTK has no chrF++ or ROUGE with sacreBLEU's / rouge_score's definitions, so those are tested with the
projects' own published cases instead (fixtures/seq2seq-published.json).

The corpora are synthetic: words drawn from the SciTLDR vocabulary plus tokens that exercise the 13a rules
(numbers with . , -, entities, brackets, accents, Unicode whitespace), with hypotheses made by perturbing a
reference, from a fixed seed. Strings are written with ensure_ascii, so unusual characters stay visible.
"""

import json
import os
import random
import re
from fractions import Fraction

import nltk
from nltk.stem import porter
from nltk.translate import bleu_score

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'src', 'metrics', 'fixtures', 'seq2seq-nltk.json')
SCITLDR = os.path.join(HERE, '..', '..', 'shared', 'data', 'scitldr-a')

# --- sacreBLEU's 13a tokenizer (tokenizer_13a.py + tokenizer_re.py), as Python executes it ---------------
_RE_13A = [
    (re.compile(r'([\{-\~\[-\` -\&\(-\+\:-\@\/])'), r' \1 '),
    (re.compile(r'([^0-9])([\.,])'), r'\1 \2 '),
    (re.compile(r'([\.,])([^0-9])'), r' \1 \2'),
    (re.compile(r'([0-9])(-)'), r'\1 \2 '),
]


def tokenize_13a(line):
    line = line.replace('<skipped>', '')
    line = line.replace('-\n', '')
    line = line.replace('\n', ' ')
    if '&' in line:
        line = line.replace('&quot;', '"')
        line = line.replace('&amp;', '&')
        line = line.replace('&lt;', '<')
        line = line.replace('&gt;', '>')
    line = ' {} '.format(line)
    for regex, repl in _RE_13A:
        line = regex.sub(repl, line)
    return ' '.join(line.strip().split())


def preprocess(sent, lowercase):
    """sacreBLEU's BLEU._preprocess_segment with the 13a tokenizer."""
    if lowercase:
        sent = sent.lower()
    return tokenize_13a(sent.rstrip())


TRICKY = [
    'The dog bit the man.',
    "It wasn't surprising.",
    'He paid $3.50 (about 3,20 EUR) on 2019-05-06, i.e. 50% off!',
    'Numbers: 1,000,000 and 3.14159 and .5 and 5. and 1.2.3 and 4-5-6 and -7 and a-b',
    'Entities: &quot;quoted&quot; &amp; &lt;tag&gt; &amp;quot; &nbsp; AT&T',
    'Skipped <skipped> words and a hyphen-\nated line\nbreak',
    'Brackets {x} [y] <z> (w) a/b a\\b a|b a~b a^b a_b a`b a@b a#b a=b a+b a*b a;b a:b a?b a!b',
    'Accents: café, niño, Ñandú, ¿qué? ¡sí! — “curly” ‘quotes’ … «guillemets»',
    'Unicode spaces:\u00a0nbsp\u2009thin\u3000ideographic\u0085nel\u001cfs\u001dgs\u001ers\u001fus\u2028ls end',
    'Zero width\ufeffbom and\u200bzwsp stay inside tokens',
    '   leading and trailing whitespace \t\r\n',
    'Dots... and commas,, and ,leading and trailing, and x.y and 1.a and a.1',
    'Emoji 😀. and 𝒳,𝒴 astral',
    'U.S.A. e.g., etc. Mr. Smith\'s 1990s-era "state-of-the-art" model',
    '',
    '-',
    '\n',
]

# Tokens that exercise the 13a rules, mixed into the synthetic sentences.
SPECIAL = ['3.14', '1,000', '5-6', '2019-05-06', '$5', '50%', 'U.S.', 'e.g.,', '(x)', '"quoted"', "it's",
           '&quot;', '&amp;', 'state-of-the-art', 'a/b', 'x+y', 'café', 'niño', '¿qué?', '¡sí!', '—', '…',
           'end.', 'comma,', '[ref]', '{a}', 'x=y', 'q?', 'wow!', 'semi;', 'colon:', '@user', '#tag']


def vocabulary():
    words = set()
    for name in ('train.jsonl', 'validation.jsonl'):
        with open(os.path.join(SCITLDR, name), encoding='utf-8') as f:
            for line in f:
                row = json.loads(line)
                for text in [row['summary']] + row['references']:
                    words.update(re.sub(r'[^a-z0-9]+', ' ', text.lower()).split())
    return sorted(words)


def make_corpus(rng, vocab, n, n_refs, min_len, max_len, odd_spaces):
    """n sentences: references drawn from vocab + SPECIAL, hypotheses perturbing the first reference."""
    pool = vocab[:3000] + SPECIAL * 20

    def sentence(k):
        toks = [rng.choice(pool) for _ in range(k)]
        toks = [t.capitalize() if rng.random() < 0.1 else t for t in toks]
        if odd_spaces and rng.random() < 0.3:
            seps = [' ', ' ', ' ', '  ', '\u00a0', '\t', '\u2009', '\u0085']
            return toks[0] + ''.join(rng.choice(seps) + t for t in toks[1:])
        return ' '.join(toks)

    def perturb(s):
        toks = s.split(' ')
        out = []
        for t in toks:
            r = rng.random()
            if r < 0.12:
                continue                                   # drop
            if r < 0.24:
                out.append(rng.choice(pool))               # substitute
            elif r < 0.30:
                out.extend([t, rng.choice(pool)])          # insert
            elif r < 0.38:
                out.append(t.upper() if t.islower() else t.lower())  # change case
            else:
                out.append(t)
        if len(out) >= 2 and rng.random() < 0.3:
            i = rng.randrange(len(out) - 1)
            out[i], out[i + 1] = out[i + 1], out[i]        # swap
        return ' '.join(out)

    refs = [[] for _ in range(n_refs)]
    hyps = []
    for _ in range(n):
        first = sentence(rng.randint(min_len, max_len))
        refs[0].append(first)
        for k in range(1, n_refs):
            refs[k].append(perturb(first))
        hyps.append(perturb(first))
    return hyps, refs


def nltk_case(name, hyps, refs, lowercase=False, max_order=4, note=''):
    hyp_tok = [preprocess(h, lowercase).split() for h in hyps]
    ref_tok = [[preprocess(stream[i], lowercase).split() for stream in refs] for i in range(len(hyps))]
    for i, h in enumerate(hyp_tok):
        assert len(h) >= max_order, f'{name}: hypothesis {i} has {len(h)} tokens (< {max_order}): NLTK would differ'
    weights = tuple([1.0 / max_order] * max_order)
    numerators, denominators = [], []
    for n in range(1, max_order + 1):
        num = den = 0
        for r, h in zip(ref_tok, hyp_tok):
            p = bleu_score.modified_precision(r, h, n)
            num += p.numerator
            den += p.denominator
        numerators.append(num)
        denominators.append(den)
    assert all(x > 0 for x in numerators), f'{name}: an n-gram order has no match: NLTK would differ'
    hyp_len = sum(len(h) for h in hyp_tok)
    ref_len = sum(bleu_score.closest_ref_length(r, len(h)) for r, h in zip(ref_tok, hyp_tok))
    score = bleu_score.corpus_bleu(ref_tok, hyp_tok, weights=weights)
    return {
        'name': name,
        'note': note,
        'hypotheses': hyps,
        'references': refs,
        'lowercase': lowercase,
        'maxNgramOrder': max_order,
        'hypothesisTokens': [' '.join(h) for h in hyp_tok],
        'referenceTokens': [[' '.join(x) for x in r] for r in ref_tok],
        'expected': {
            'bleu': score,
            'counts': numerators,
            'totals': denominators,
            'sysLen': hyp_len,
            'refLen': ref_len,
            'bp': bleu_score.brevity_penalty(ref_len, hyp_len),
        },
    }


def stems(vocab):
    stemmer = porter.PorterStemmer()
    assert stemmer.mode == 'NLTK_EXTENSIONS'
    # grouped by suffix (sorted by the reversed word), every second word of more than 3 letters
    long_words = sorted((w for w in vocab if len(w) > 3 and w.isalpha()), key=lambda w: w[::-1])
    chosen = set(long_words[::2])
    chosen.update([
        'sky', 'skies', 'dying', 'lying', 'tying', 'news', 'innings', 'inning', 'outings', 'outing', 'cannings',
        'canning', 'howe', 'proceed', 'exceed', 'succeed', 'ties', 'dies', 'flies', 'died', 'spied', 'tied',
        'happy', 'enjoy', 'spy', 'caresses', 'ponies', 'caress', 'cats', 'feed', 'agreed', 'plastered', 'bled',
        'motoring', 'sing', 'conflated', 'troubled', 'sized', 'hopping', 'tanned', 'falling', 'hissing', 'fizzed',
        'failing', 'filing', 'relational', 'conditional', 'rational', 'valenci', 'hesitanci', 'digitizer',
        'conformabli', 'radicalli', 'differentli', 'vileli', 'analogousli', 'vietnamization', 'predication',
        'operator', 'feudalism', 'decisiveness', 'hopefulness', 'callousness', 'formaliti', 'sensitiviti',
        'sensibiliti', 'triplicate', 'formative', 'formalize', 'electriciti', 'electrical', 'hopeful', 'goodness',
        'revival', 'allowance', 'inference', 'airliner', 'gyroscopic', 'adjustable', 'defensible', 'irritant',
        'replacement', 'adjustment', 'dependent', 'adoption', 'homologou', 'communism', 'activate', 'angulariti',
        'homologous', 'effective', 'bowdlerize', 'probate', 'rate', 'cease', 'controll', 'roll', 'geology',
        'theology', 'archaeology', 'generalizations', 'oscillators', 'hopefulli', 'abli', 'at', 'by', 'a',
    ])
    return {w: stemmer.stem(w) for w in sorted(chosen)}


def main():
    vocab = vocabulary()
    rng = random.Random(20240611)
    cases = []
    h, r = make_corpus(rng, vocab, 60, 1, 6, 30, odd_spaces=True)
    cases.append(nltk_case('one reference, 60 sentences', h, r))
    cases.append(nltk_case('one reference, lowercased', h, r, lowercase=True))
    cases.append(nltk_case('one reference, max order 2', h, r, max_order=2))
    h, r = make_corpus(rng, vocab, 60, 3, 6, 30, odd_spaces=False)
    cases.append(nltk_case('three references, 60 sentences', h, r))
    h, r = make_corpus(rng, vocab, 40, 2, 8, 20, odd_spaces=True)
    h = [' '.join(x.split(' ')[: max(4, len(x.split(' ')) // 2)]) for x in h]
    cases.append(nltk_case('two references, hypotheses cut to about half (strong brevity penalty)', h, r))
    cases.append(nltk_case('the 3-sentence README corpus of sacreBLEU, orders 1-3', [
        'The dog bit the man.', "It wasn't surprising.", 'The man had just bitten him.'], [
        ['The dog bit the man.', 'It was not unexpected.', 'The man bit him first.'],
        ['The dog had bit the man.', 'No one was surprised.', 'The man had bitten the dog.']], max_order=3))

    fixture = {
        'generator': 'scripts/seq2seq-metrics-references.py',
        'versions': {'nltk': nltk.__version__},
        'tokenizer13a': [{'text': t, 'tokens': tokenize_13a(t), 'lowercased': tokenize_13a(t.lower())} for t in TRICKY + SPECIAL],
        'bleu': cases,
        'porterStems': stems(vocab),
    }
    with open(OUT, 'w', encoding='utf-8') as f:
        json.dump(fixture, f, ensure_ascii=True, indent=1)
        f.write('\n')
    print(f'wrote {OUT}: {len(cases)} BLEU cases, {len(fixture["porterStems"])} stems')


if __name__ == '__main__':
    main()
