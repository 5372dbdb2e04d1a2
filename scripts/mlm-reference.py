#!/usr/bin/env python3
"""Independent float64 reference of the masked LMs (BertForMaskedLM, RobertaForMaskedLM, DistilBertForMaskedLM).

No golden exists for the masked-LM heads and transformers is not packaged for Debian, so this script restates
their forward from transformers' modeling_bert.py / modeling_roberta.py / modeling_distilbert.py with plain
PyTorch (Debian's python3-torch), reading a folder that Lengua's savePretrained wrote (config.json +
model.safetensors, parsed here: the safetensors package is not packaged either). Eval mode (no dropout), float64.
As transformers does, the vocabulary head runs at every position and the loss is the cross-entropy over the
labels != -100 (their mean). The decoder is the word-embedding matrix (tied) unless the file holds its own
weight, plus the head's own bias; the word-embedding gradient therefore sums the input lookup's and the
decoder's contributions. The lookup has padding_idx = pad_token_id, so the pad row gets no gradient from it.

    /usr/bin/python3 scripts/mlm-reference.py MODEL_DIR INPUTS.json OUT.safetensors

INPUTS.json: {"input_ids": [[...]], "attention_mask": [[...]], "labels": [[...]] (-100 ignored)}.
OUT: loss [1], logits at the labelled positions in row-major order [n, vocab], last_hidden_state [b, s, h],
and grad.<name> for every tensor of the file, all float32.
"""
import json
import math
import sys

import torch

from reference_safetensors import read_safetensors, write_safetensors


def gelu(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


ACT = {
    "gelu": gelu,
    "gelu_new": lambda x: 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3)))),
    "relu": torch.relu,
    "swish": lambda x: x * torch.sigmoid(x),
    "silu": lambda x: x * torch.sigmoid(x),
}
NEG = torch.finfo(torch.float64).min


def layer_norm(x, W, prefix, eps):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + eps) * W[prefix + ".weight"] + W[prefix + ".bias"]


def linear(x, W, prefix):
    return x @ W[prefix + ".weight"].T + W[prefix + ".bias"]


def attention(x, mask_add, heads, q, k, v):
    """Scaled dot-product attention; q, k, v are projections of x; mask_add is added to the scores."""
    b, s, d = x.shape
    hd = d // heads
    def split(t):
        return t.view(b, s, heads, hd).transpose(1, 2)
    scores = (split(q) @ split(k).transpose(-1, -2)) / math.sqrt(hd) + mask_add
    return (torch.softmax(scores, -1) @ split(v)).transpose(1, 2).reshape(b, s, d)


def bert_body(cfg, W, p, ids, mask, positions):
    """BertModel (RobertaModel with its positions): embeddings, then post-LayerNorm layers."""
    eps = cfg["layer_norm_eps"]
    act = ACT[cfg["hidden_act"]]
    e = p + ".embeddings"
    pad = cfg.get("pad_token_id")
    h = torch.nn.functional.embedding(ids, W[e + ".word_embeddings.weight"], padding_idx=pad)
    # RoBERTa's position table has padding_idx = pad as well (its pads sit at position pad).
    pos_pad = pad if cfg["model_type"] == "roberta" else None
    h = h + torch.nn.functional.embedding(positions, W[e + ".position_embeddings.weight"], padding_idx=pos_pad)
    h = h + W[e + ".token_type_embeddings.weight"][torch.zeros_like(ids)]
    h = layer_norm(h, W, e + ".LayerNorm", eps)
    mask_add = (1.0 - mask)[:, None, None, :] * NEG
    for i in range(cfg["num_hidden_layers"]):
        L = f"{p}.encoder.layer.{i}"
        a = L + ".attention"
        ctx = attention(h, mask_add, cfg["num_attention_heads"], linear(h, W, a + ".self.query"), linear(h, W, a + ".self.key"), linear(h, W, a + ".self.value"))
        h = layer_norm(linear(ctx, W, a + ".output.dense") + h, W, a + ".output.LayerNorm", eps)
        ff = linear(act(linear(h, W, L + ".intermediate.dense")), W, L + ".output.dense")
        h = layer_norm(ff + h, W, L + ".output.LayerNorm", eps)
    return h


def distil_body(cfg, W, ids, mask):
    """DistilBertModel: word + position embeddings, LayerNorm 1e-12 everywhere, q scaled before q·k, masked_fill."""
    eps = 1e-12
    act = ACT[cfg["activation"]]
    e = "distilbert.embeddings"
    s = ids.shape[1]
    h = torch.nn.functional.embedding(ids, W[e + ".word_embeddings.weight"], padding_idx=cfg.get("pad_token_id"))
    h = layer_norm(h + W[e + ".position_embeddings.weight"][:s], W, e + ".LayerNorm", eps)
    masked = (mask == 0)[:, None, None, :]
    heads = cfg["n_heads"]
    b, _, d = h.shape
    hd = d // heads
    def split(t):
        return t.view(b, s, heads, hd).transpose(1, 2)
    for i in range(cfg["n_layers"]):
        L = f"distilbert.transformer.layer.{i}"
        a = L + ".attention"
        q = split(linear(h, W, a + ".q_lin")) / math.sqrt(hd)
        scores = (q @ split(linear(h, W, a + ".k_lin")).transpose(2, 3)).masked_fill(masked, NEG)
        ctx = (torch.softmax(scores, -1) @ split(linear(h, W, a + ".v_lin"))).transpose(1, 2).reshape(b, s, d)
        h = layer_norm(linear(ctx, W, a + ".out_lin") + h, W, L + ".sa_layer_norm", eps)
        ff = linear(act(linear(h, W, L + ".ffn.lin1")), W, L + ".ffn.lin2")
        h = layer_norm(ff + h, W, L + ".output_layer_norm", eps)
    return h


def main():
    model_dir, inputs_path, out_path = sys.argv[1:4]
    cfg = json.load(open(f"{model_dir}/config.json"))
    W = read_safetensors(f"{model_dir}/model.safetensors")
    inp = json.load(open(inputs_path))
    kind = cfg["model_type"]
    ids = torch.tensor(inp["input_ids"])
    mask = torch.tensor(inp["attention_mask"], dtype=torch.float64)
    labels = torch.tensor(inp["labels"])
    s = ids.shape[1]

    if kind == "bert":
        h = bert_body(cfg, W, "bert", ids, mask, torch.arange(s).expand_as(ids))
        word = W["bert.embeddings.word_embeddings.weight"]
        t = "cls.predictions.transform"
        x = layer_norm(ACT[cfg["hidden_act"]](linear(h, W, t + ".dense")), W, t + ".LayerNorm", cfg["layer_norm_eps"])
        dec, bias = "cls.predictions.decoder.weight", W["cls.predictions.bias"]
    elif kind == "roberta":
        pad = cfg["pad_token_id"]
        real = (ids != pad).long()
        h = bert_body(cfg, W, "roberta", ids, mask, torch.cumsum(real, 1) * real + pad)
        word = W["roberta.embeddings.word_embeddings.weight"]
        # RobertaLMHead applies transformers' gelu (erf) whatever hidden_act says.
        x = layer_norm(gelu(linear(h, W, "lm_head.dense")), W, "lm_head.layer_norm", cfg["layer_norm_eps"])
        dec, bias = "lm_head.decoder.weight", W["lm_head.bias"]
    elif kind == "distilbert":
        h = distil_body(cfg, W, ids, mask)
        word = W["distilbert.embeddings.word_embeddings.weight"]
        x = layer_norm(ACT[cfg["activation"]](linear(h, W, "vocab_transform")), W, "vocab_layer_norm", 1e-12)
        dec, bias = "vocab_projector.weight", W["vocab_projector.bias"]
    else:
        sys.exit(f"model_type {kind!r} is not a masked LM this reference knows")

    # Tied (the file has no decoder weight of its own): the same tensor as the input lookup's.
    decoder = W[dec] if dec in W else word
    logits = x @ decoder.T + bias
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100)
    loss.backward()

    out = {"loss": loss.reshape(1), "logits": logits[labels != -100], "last_hidden_state": h}
    for name, w in W.items():
        out["grad." + name] = w.grad if w.grad is not None else torch.zeros_like(w)
    write_safetensors(out_path, out)


if __name__ == "__main__":
    main()
