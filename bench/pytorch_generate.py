#!/usr/bin/python3
"""PyTorch side of `npm run bench -- generation-seq2seq`: greedy decoding with the key/value cache.

Debian's python3-torch has neither `transformers` nor `safetensors`, so this file reads the folder Lengua saved
(config.json + model.safetensors, or a sharded model.safetensors.index.json) itself and runs transformers'
T5ForConditionalGeneration written in plain torch: pre-norm blocks with T5LayerNorm, unscaled attention plus a
learned relative-position bias (computed in block 0 of each stack, reused by the others), ReLU or gated-GELU
feed-forward, the tied LM head scaled by d_model**-0.5 (or an untied lm_head). Decoding is transformers' greedy
loop with cache: the encoder once, then one decoder token per step against cached self-attention keys/values and
cross-attention keys/values computed on the first step. One difference, in PyTorch's favour: the relative bias
of a step is computed for the new query only (as Lengua does), where transformers computes the full
[key_len, key_len] bias each step and slices its last row.

Prints one JSON line: {"times": [[ms after token 1, 2, ...] per timed run], "ids": [decoder start + generated],
"threads", "torch"}. Timestamps are taken after each token's argmax (`.item()`), from before the encoder ran.
"""
import argparse
import json
import math
import os
import struct
import time

import torch
import torch.nn.functional as F

# safetensors dtype: (torch dtype, bytes per element); torch 1.13's dtypes have no .itemsize.
DTYPES = {'F32': (torch.float32, 4), 'F16': (torch.float16, 2), 'BF16': (torch.bfloat16, 2), 'I64': (torch.int64, 8)}


def read_safetensors(path):
    """The safetensors format: u64 little-endian header size, a JSON header {name: {dtype, shape, data_offsets}}, the bytes."""
    with open(path, 'rb') as f:
        (n,) = struct.unpack('<Q', f.read(8))
        header = json.loads(f.read(n))
        data = bytearray(f.read())
    out = {}
    for name, meta in header.items():
        if name == '__metadata__':
            continue
        if meta['dtype'] not in DTYPES:
            raise ValueError(f'{path}: tensor {name} has dtype {meta["dtype"]}; this reader knows {sorted(DTYPES)}')
        b, e = meta['data_offsets']
        dtype, size = DTYPES[meta['dtype']]
        t = torch.frombuffer(data, dtype=dtype, count=(e - b) // size, offset=b) if e > b else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(meta['shape']).float()
    return out


def load_folder(folder):
    with open(os.path.join(folder, 'config.json')) as f:
        config = json.load(f)
    index = os.path.join(folder, 'model.safetensors.index.json')
    weights = {}
    if os.path.exists(index):
        with open(index) as f:
            for shard in sorted(set(json.load(f)['weight_map'].values())):
                weights.update(read_safetensors(os.path.join(folder, shard)))
    else:
        weights = read_safetensors(os.path.join(folder, 'model.safetensors'))
    return config, weights


def relative_buckets(rel, bidirectional, num_buckets, max_distance):
    """transformers `T5Attention._relative_position_bucket`."""
    ret = torch.zeros_like(rel)
    if bidirectional:
        num_buckets //= 2
        ret += (rel > 0).long() * num_buckets
        rel = rel.abs()
    else:
        rel = -torch.min(rel, torch.zeros_like(rel))
    max_exact = num_buckets // 2
    is_small = rel < max_exact
    large = max_exact + (torch.log(rel.float() / max_exact) / math.log(max_distance / max_exact) * (num_buckets - max_exact)).long()
    large = torch.min(large, torch.full_like(large, num_buckets - 1))
    return ret + torch.where(is_small, rel, large)


class T5:
    """Inference-only T5ForConditionalGeneration over a state dict with transformers' key names."""

    def __init__(self, config, w):
        self.w = w
        self.d_model = config.get('d_model', 512)
        self.heads = config.get('num_heads', 8)
        self.d_kv = config.get('d_kv', 64)
        self.n_enc = config.get('num_layers', 6)
        n_dec = config.get('num_decoder_layers')
        self.n_dec = self.n_enc if n_dec is None else n_dec
        self.buckets = config.get('relative_attention_num_buckets', 32)
        self.max_distance = config.get('relative_attention_max_distance', 128)
        self.eps = config.get('layer_norm_epsilon', 1e-6)
        proj = config.get('feed_forward_proj', 'relu')
        self.gated = proj.startswith('gated-')
        # transformers' rule: "gated-gelu" means gelu_new (tanh approximation); plain "gelu" is the exact one.
        act = 'gelu_new' if proj == 'gated-gelu' else proj.split('-')[-1]
        self.act = {'relu': F.relu, 'gelu': F.gelu, 'gelu_new': lambda x: F.gelu(x, approximate='tanh'), 'silu': F.silu}[act]
        self.tied = config.get('tie_word_embeddings', True)
        self.shared = w['shared.weight']
        self.lm_head = self.shared if self.tied else w['lm_head.weight']

    def norm(self, x, key):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.w[key]

    def split(self, x):
        b = x.shape[0]
        return x.view(b, -1, self.heads, self.d_kv).transpose(1, 2)

    def bias(self, stack, q_len, k_len, offset, bidirectional):
        ctx = torch.arange(q_len)[:, None] + offset
        mem = torch.arange(k_len)[None, :]
        b = relative_buckets(mem - ctx, bidirectional, self.buckets, self.max_distance)
        table = self.w[f'{stack}.block.0.layer.0.SelfAttention.relative_attention_bias.weight']
        return F.embedding(b, table).permute(2, 0, 1).unsqueeze(0)

    def attend(self, prefix, x, k, v, bias):
        b, q_len, _ = x.shape
        q = self.split(F.linear(x, self.w[prefix + '.q.weight']))
        probs = (q @ k.transpose(-1, -2) + bias).softmax(-1)
        ctx = (probs @ v).transpose(1, 2).reshape(b, q_len, self.heads * self.d_kv)
        return F.linear(ctx, self.w[prefix + '.o.weight'])

    def ff(self, p, x):
        h = self.norm(x, p + '.layer_norm.weight')
        if self.gated:
            h = self.act(F.linear(h, self.w[p + '.DenseReluDense.wi_0.weight'])) * F.linear(h, self.w[p + '.DenseReluDense.wi_1.weight'])
        else:
            h = self.act(F.linear(h, self.w[p + '.DenseReluDense.wi.weight']))
        return x + F.linear(h, self.w[p + '.DenseReluDense.wo.weight'])

    def encode(self, ids, mask):
        x = F.embedding(ids, self.shared)
        ext = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        bias = self.bias('encoder', ids.shape[1], ids.shape[1], 0, True) + ext
        for i in range(self.n_enc):
            p = f'encoder.block.{i}.layer'
            h = self.norm(x, p + '.0.layer_norm.weight')
            a = p + '.0.SelfAttention'
            k, v = self.split(F.linear(h, self.w[a + '.k.weight'])), self.split(F.linear(h, self.w[a + '.v.weight']))
            x = x + self.attend(a, h, k, v, bias)
            x = self.ff(p + '.1', x)
        return self.norm(x, 'encoder.final_layer_norm.weight'), ext

    def decode_step(self, token, enc, enc_ext, cache):
        """One new decoder token [b, 1] against `cache` (None on the first step): next-token logits and the cache."""
        past = 0 if cache is None else cache[0][0].shape[2]
        x = F.embedding(token, self.shared)
        bias = self.bias('decoder', 1, past + 1, past, False)
        new = []
        for i in range(self.n_dec):
            p = f'decoder.block.{i}.layer'
            h = self.norm(x, p + '.0.layer_norm.weight')
            a = p + '.0.SelfAttention'
            k, v = self.split(F.linear(h, self.w[a + '.k.weight'])), self.split(F.linear(h, self.w[a + '.v.weight']))
            if cache is not None:
                k, v = torch.cat([cache[i][0], k], 2), torch.cat([cache[i][1], v], 2)
            x = x + self.attend(a, h, k, v, bias)
            c = p + '.1.EncDecAttention'
            if cache is None:
                ck, cv = self.split(F.linear(enc, self.w[c + '.k.weight'])), self.split(F.linear(enc, self.w[c + '.v.weight']))
            else:
                ck, cv = cache[i][2], cache[i][3]
            x = x + self.attend(c, self.norm(x, p + '.1.layer_norm.weight'), ck, cv, enc_ext)
            x = self.ff(p + '.2', x)
            new.append((k, v, ck, cv))
        h = self.norm(x, 'decoder.final_layer_norm.weight')[:, -1]
        if self.tied:
            h = h * self.d_model ** -0.5
        return F.linear(h, self.lm_head), new


def greedy(model, source, start, new_tokens):
    """Greedy decoding, batch 1, no EOS: `new_tokens` tokens. Returns the ids and the ms after each token."""
    t0 = time.perf_counter()
    stamps = []
    ids = torch.tensor([source])
    enc, ext = model.encode(ids, torch.ones_like(ids))
    out = [start]
    cache = None
    token = torch.tensor([[start]])
    for _ in range(new_tokens):
        logits, cache = model.decode_step(token, enc, ext, cache)
        nxt = int(logits.argmax(-1).item())
        stamps.append((time.perf_counter() - t0) * 1000)
        out.append(nxt)
        token = torch.tensor([[nxt]])
    return out, stamps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dir', required=True)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--source', required=True, help='JSON list of encoder token ids')
    ap.add_argument('--new-tokens', type=int, default=128)
    ap.add_argument('--runs', type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    config, weights = load_folder(args.dir)
    model = T5(config, weights)
    source = json.loads(args.source)
    start = config.get('decoder_start_token_id', 0)
    times = []
    with torch.no_grad():
        for i in range(args.runs + 1):
            ids, stamps = greedy(model, source, start, args.new_tokens)
            if i > 0:
                times.append([round(s, 3) for s in stamps])
    print(json.dumps({'times': times, 'ids': ids, 'threads': torch.get_num_threads(), 'torch': torch.__version__}))


if __name__ == '__main__':
    main()
