#!/usr/bin/env python3
"""Independent float64 reference of BART and Marian (BartForConditionalGeneration, MarianMTModel) for the tests.

No golden exists for these families and transformers is not packaged for Debian, so this script restates their
forward from transformers' modeling_bart.py / modeling_marian.py with plain PyTorch (Debian's python3-torch),
reading a folder that Lengua's savePretrained wrote (config.json + model.safetensors, parsed here: the
safetensors package is not packaged either). It runs the forward in float64 on fixed inputs, then the backward
of the loss, and writes the outputs and every parameter's gradient to a safetensors file (float32).

    /usr/bin/python3 scripts/seq2seq-references.py MODEL_DIR INPUTS.json OUT.safetensors

INPUTS.json: {"input_ids": [[...]], "attention_mask": [[...]], "labels": [[...]] (-100 ignored),
optional "decoder_attention_mask"}. The decoder inputs are the labels shifted right (decoder_start_token_id
first, -100 -> pad), as both models do when given labels.
"""
import json
import math
import sys

import numpy as np
import torch

from reference_safetensors import read_safetensors, write_safetensors


ACT = {
    "gelu": lambda x: 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0))),
    "gelu_new": lambda x: 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3)))),
    "relu": torch.relu,
    "swish": lambda x: x * torch.sigmoid(x),
    "silu": lambda x: x * torch.sigmoid(x),
}
NEG = torch.finfo(torch.float64).min


def layer_norm(x, w, b, eps=1e-5):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + eps) * w + b


def linear(x, W, prefix):
    y = x @ W[prefix + ".weight"].T
    return y + W[prefix + ".bias"] if prefix + ".bias" in W else y


def attention(W, p, x, kv, mask, heads):
    b, q_len, d = x.shape
    hd = d // heads
    def split(t):
        return t.view(b, -1, heads, hd).transpose(1, 2)
    q = split(linear(x, W, p + ".q_proj"))
    k = split(linear(kv, W, p + ".k_proj"))
    v = split(linear(kv, W, p + ".v_proj"))
    scores = (q @ k.transpose(-1, -2)) * hd ** -0.5 + mask
    ctx = torch.softmax(scores, -1) @ v
    return linear(ctx.transpose(1, 2).reshape(b, q_len, d), W, p + ".out_proj")


def marian_positions(n_pos, dim):
    # MarianSinusoidalPositionalEmbedding: sin of the even-indexed angles in the first half, cos of the odd ones in the second.
    enc = np.array([[pos / np.power(10000, 2 * (j // 2) / dim) for j in range(dim)] for pos in range(n_pos)])
    out = np.zeros((n_pos, dim))
    half = dim // 2 if dim % 2 == 0 else dim // 2 + 1
    out[:, :half] = np.sin(enc[:, 0::2])
    out[:, half:] = np.cos(enc[:, 1::2])
    return torch.tensor(out)


def main():
    model_dir, inputs_path, out_path = sys.argv[1:4]
    cfg = json.load(open(f"{model_dir}/config.json"))
    W = read_safetensors(f"{model_dir}/model.safetensors")
    inp = json.load(open(inputs_path))
    kind = cfg["model_type"]
    assert kind in ("bart", "marian"), kind
    d = cfg["d_model"]
    pad = cfg["pad_token_id"]
    act = ACT[cfg["activation_function"]]
    scale = math.sqrt(d) if cfg.get("scale_embedding", False) else 1.0
    shared = kind == "bart" or cfg.get("share_encoder_decoder_embeddings", True)
    enc_tok = W["model.shared.weight"] if shared else W["model.encoder.embed_tokens.weight"]
    dec_tok = W["model.shared.weight"] if shared else W["model.decoder.embed_tokens.weight"]

    ids = torch.tensor(inp["input_ids"])
    mask = torch.tensor(inp["attention_mask"], dtype=torch.float64)
    labels = torch.tensor(inp["labels"])
    dec_ids = torch.full_like(labels, cfg["decoder_start_token_id"])
    dec_ids[:, 1:] = labels[:, :-1]
    dec_ids = dec_ids.masked_fill(dec_ids == -100, pad)
    dec_mask = torch.tensor(inp["decoder_attention_mask"], dtype=torch.float64) if "decoder_attention_mask" in inp else torch.ones(dec_ids.shape, dtype=torch.float64)

    def embed(table, which, tokens):
        s = tokens.shape[1]
        # nn.Embedding(padding_idx=pad): the pad row gets no gradient from the lookup (Marian's decoder start is pad).
        h = torch.nn.functional.embedding(tokens, table, padding_idx=pad) * scale
        if kind == "bart":
            h = h + W[f"model.{which}.embed_positions.weight"][torch.arange(s) + 2]
            h = layer_norm(h, W[f"model.{which}.layernorm_embedding.weight"], W[f"model.{which}.layernorm_embedding.bias"])
        else:
            h = h + marian_positions(cfg["max_position_embeddings"], d)[:s]
        return h

    # Encoder: post-LayerNorm blocks.
    h = embed(enc_tok, "encoder", ids)
    enc_mask = (1.0 - mask)[:, None, None, :] * NEG
    for i in range(cfg["encoder_layers"]):
        p = f"model.encoder.layers.{i}"
        h = layer_norm(h + attention(W, p + ".self_attn", h, h, enc_mask, cfg["encoder_attention_heads"]), W[p + ".self_attn_layer_norm.weight"], W[p + ".self_attn_layer_norm.bias"])
        ff = linear(act(linear(h, W, p + ".fc1")), W, p + ".fc2")
        h = layer_norm(h + ff, W[p + ".final_layer_norm.weight"], W[p + ".final_layer_norm.bias"])
    enc_out = h

    # Decoder: causal self-attention (and the decoder padding mask), cross-attention, feed-forward.
    t = dec_ids.shape[1]
    allowed = torch.tril(torch.ones(t, t))[None, None] * dec_mask[:, None, None, :]
    self_mask = (1.0 - allowed) * NEG
    h = embed(dec_tok, "decoder", dec_ids)
    for i in range(cfg["decoder_layers"]):
        p = f"model.decoder.layers.{i}"
        h = layer_norm(h + attention(W, p + ".self_attn", h, h, self_mask, cfg["decoder_attention_heads"]), W[p + ".self_attn_layer_norm.weight"], W[p + ".self_attn_layer_norm.bias"])
        h = layer_norm(h + attention(W, p + ".encoder_attn", h, enc_out, enc_mask, cfg["decoder_attention_heads"]), W[p + ".encoder_attn_layer_norm.weight"], W[p + ".encoder_attn_layer_norm.bias"])
        ff = linear(act(linear(h, W, p + ".fc1")), W, p + ".fc2")
        h = layer_norm(h + ff, W[p + ".final_layer_norm.weight"], W[p + ".final_layer_norm.bias"])
    dec_out = h

    head = W["lm_head.weight"] if "lm_head.weight" in W else dec_tok
    logits = dec_out @ head.T + W["final_logits_bias"]
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100)
    loss.backward()

    out = {"logits": logits, "loss": loss.reshape(1), "encoder_last_hidden_state": enc_out, "last_hidden_state": dec_out, "decoder_input_ids": dec_ids.to(torch.float64)}
    for name, w in W.items():
        if name != "final_logits_bias":
            out["grad." + name] = w.grad
    write_safetensors(out_path, out)


if __name__ == "__main__":
    main()
