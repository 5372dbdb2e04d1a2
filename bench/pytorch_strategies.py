#!/usr/bin/python3
"""PyTorch side of `npm run bench -- strategies`.

The usual way to fine-tune with frozen layers: the BERT of bench/pytorch_train_step.py (op for op
transformers' eager BertForSequenceClassification), requires_grad False on the frozen parameters,
AdamW over the trainable ones only, the full forward in train mode every step (autograd records
nothing below the first trainable layer). Strategies: full; freeze (embeddings + layers < k frozen);
head (the whole body, pooler included, frozen: only the classifier trains).
Prints one JSON line: {"epochMs", "rssMb", "threads", "torch", "finalLoss", "trainableParams"}.
"""
import argparse
import json
import os
import random
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_train_step import Bert, peak_rss_mb  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--strategy', choices=['full', 'freeze', 'head'], required=True)
    for k in ('vocab', 'hidden', 'layers', 'heads', 'ffn', 'batch', 'seq', 'threads'):
        ap.add_argument('--' + k, type=int, required=True)
    ap.add_argument('--batches', type=int, default=8)
    ap.add_argument('--warmup', type=int, default=1)
    ap.add_argument('--freeze-layers', type=int, default=10)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = Bert(a.vocab, a.hidden, a.layers, a.heads, a.ffn)
    k = {'full': 0, 'freeze': a.freeze_layers, 'head': a.layers}[a.strategy]
    frozen = []
    if a.strategy != 'full':
        frozen += [model.word, model.pos, model.tok_type, model.ln]
        frozen += list(model.layers[:k])
        if a.strategy == 'head':
            frozen.append(model.pooler)
    for m in frozen:
        for p in m.parameters():
            p.requires_grad_(False)
    trainable = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(trainable, lr=2e-5, weight_decay=0.01)

    rnd = random.Random(1234)
    batches = []
    for _ in range(a.batches):
        ids = torch.tensor([[1 + rnd.randrange(a.vocab - 1) for _ in range(a.seq)] for _ in range(a.batch)])
        mask = torch.ones(a.batch, a.seq, dtype=torch.long)
        types = torch.zeros(a.batch, a.seq, dtype=torch.long)
        labels = torch.tensor([rnd.randrange(2) for _ in range(a.batch)])
        batches.append((ids, mask, types, labels))

    model.train()
    last = [float('nan')]

    def step(i):
        ids, mask, types, labels = batches[i % len(batches)]
        loss, _ = model(ids, mask, types, labels)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        last[0] = loss.item()

    for i in range(a.warmup):
        step(i)
    t0 = time.perf_counter()
    for i in range(a.batches):
        step(i)
    epoch = (time.perf_counter() - t0) * 1000
    print(json.dumps({'epochMs': epoch, 'rssMb': peak_rss_mb(), 'threads': torch.get_num_threads(), 'torch': torch.__version__,
                      'finalLoss': last[0], 'trainableParams': sum(p.numel() for p in trainable)}))


if __name__ == '__main__':
    main()
