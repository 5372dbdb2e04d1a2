#!/usr/bin/python3
"""PyTorch side of `npm run bench -- train-step`.

A BERT sequence classifier written with plain torch.nn, op for op the eager path of transformers'
BertForSequenceClassification (separate q/k/v Linear layers, scores / sqrt(d) + additive mask,
softmax, dropout, post-LayerNorm blocks, tanh pooler, CE loss), so both sides do the same work.
Random weights: only the shapes matter for speed. Prints one JSON line:
{"forwardMs", "stepMs", "rssMb", "threads", "torch"} (medians, or minima with --stat min, over the timed iterations; peak RSS
of this process from /proc/self/status VmHWM).
"""
import argparse
import json
import math
import statistics
import time

import torch
from torch import nn
import torch.nn.functional as F


class Layer(nn.Module):
    def __init__(self, h, heads, ffn, p):
        super().__init__()
        self.heads, self.d = heads, h // heads
        self.query, self.key, self.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)
        self.attn_out, self.ln1 = nn.Linear(h, h), nn.LayerNorm(h, eps=1e-12)
        self.inter, self.out, self.ln2 = nn.Linear(h, ffn), nn.Linear(ffn, h), nn.LayerNorm(h, eps=1e-12)
        self.drop = nn.Dropout(p)

    def split(self, x, b, s):
        return x.view(b, s, self.heads, self.d).permute(0, 2, 1, 3)

    def forward(self, x, mask):
        b, s, h = x.shape
        q, k, v = self.split(self.query(x), b, s), self.split(self.key(x), b, s), self.split(self.value(x), b, s)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.d) + mask
        probs = self.drop(scores.softmax(-1))
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).reshape(b, s, h)
        a = self.ln1(self.drop(self.attn_out(ctx)) + x)
        return self.ln2(self.drop(self.out(F.gelu(self.inter(a)))) + a)


class Bert(nn.Module):
    def __init__(self, vocab, h, layers, heads, ffn, max_pos=512, types=2, labels=2, p=0.1):
        super().__init__()
        self.word = nn.Embedding(vocab, h, padding_idx=0)
        self.pos = nn.Embedding(max_pos, h)
        self.tok_type = nn.Embedding(types, h)
        self.ln = nn.LayerNorm(h, eps=1e-12)
        self.drop = nn.Dropout(p)
        self.layers = nn.ModuleList([Layer(h, heads, ffn, p) for _ in range(layers)])
        self.pooler = nn.Linear(h, h)
        self.classifier = nn.Linear(h, labels)

    def forward(self, ids, mask, types, labels):
        b, s = ids.shape
        pos = torch.arange(s).unsqueeze(0).expand(b, s)
        x = self.drop(self.ln(self.word(ids) + self.pos(pos) + self.tok_type(types)))
        ext = (1.0 - mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        for layer in self.layers:
            x = layer(x, ext)
        logits = self.classifier(self.drop(torch.tanh(self.pooler(x[:, 0]))))
        return F.cross_entropy(logits, labels), logits


def peak_rss_mb():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1]) / 1024
    return float('nan')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--vocab', type=int, required=True)
    ap.add_argument('--hidden', type=int, required=True)
    ap.add_argument('--layers', type=int, required=True)
    ap.add_argument('--heads', type=int, required=True)
    ap.add_argument('--ffn', type=int, required=True)
    ap.add_argument('--batch', type=int, required=True)
    ap.add_argument('--seq', type=int, required=True)
    ap.add_argument('--warmup', type=int, default=2)
    ap.add_argument('--iters', type=int, default=5)
    ap.add_argument('--threads', type=int, required=True)
    ap.add_argument('--stat', choices=['median', 'min'], default='median')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = Bert(a.vocab, a.hidden, a.layers, a.heads, a.ffn)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-5, weight_decay=0.01)
    ids = torch.randint(1, a.vocab, (a.batch, a.seq))
    mask = torch.ones(a.batch, a.seq, dtype=torch.long)
    mask[1::2, a.seq // 2:] = 0  # every other row half padding, as real batches have
    types = torch.zeros(a.batch, a.seq, dtype=torch.long)
    labels = torch.randint(0, 2, (a.batch,))

    def forward():
        with torch.no_grad():
            model(ids, mask, types, labels)

    def step():
        loss, _ = model(ids, mask, types, labels)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    def timed(fn, train):
        model.train(train)
        for _ in range(a.warmup):
            fn()
        ts = []
        for _ in range(a.iters):
            t0 = time.perf_counter()
            fn()
            ts.append((time.perf_counter() - t0) * 1000)
        return statistics.median(ts) if a.stat == 'median' else min(ts)

    fwd = timed(forward, False)
    st = timed(step, True)
    print(json.dumps({'forwardMs': fwd, 'stepMs': st, 'rssMb': peak_rss_mb(), 'threads': torch.get_num_threads(), 'torch': torch.__version__}))


if __name__ == '__main__':
    main()
