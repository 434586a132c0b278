"""Reference forward pass of llama and qwen2 GGUF models in numpy float64.

Independent of tokenfab's runtime (its own GGUF reader, dequantisers and maths), so the two can be
compared logit for logit. Weights are dequantised exactly; every activation stays float64.

    /usr/bin/python3 reference_forward.py MODEL.gguf --tokens 1,2,3 --out logits.npy
"""
import argparse

import numpy as np

from gguf_numpy import GgufModel


class Hparams:
    def __init__(self, model):
        kv = model.kv
        self.arch = kv["general.architecture"]
        if self.arch not in ("llama", "qwen2"):
            raise ValueError(f"unsupported architecture {self.arch}")
        a = self.arch
        self.n_embd = kv[f"{a}.embedding_length"]
        self.n_layer = kv[f"{a}.block_count"]
        self.n_head = kv[f"{a}.attention.head_count"]
        self.n_head_kv = kv.get(f"{a}.attention.head_count_kv", self.n_head)
        self.head_dim = self.n_embd // self.n_head
        self.eps = kv[f"{a}.attention.layer_norm_rms_epsilon"]
        self.rope_base = kv.get(f"{a}.rope.freq_base", 10000.0)
        self.n_rot = kv.get(f"{a}.rope.dimension_count", self.head_dim)
        scaling = kv.get(f"{a}.rope.scaling.type", "none")
        factor = kv.get(f"{a}.rope.scaling.factor", 1.0)
        self.freq_scale = 1.0 / factor if scaling == "linear" and factor else 1.0
        # GGUF llama weights are permuted for adjacent-pair rotation; qwen2 rotates halves.
        self.neox = self.arch == "qwen2"


def rms_norm(x, weight, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * weight


def rope(x, positions, hp):
    """x: [n_tokens, n_heads, head_dim]; rotates the first n_rot dimensions of every head."""
    out = x.copy()
    half = hp.n_rot // 2
    inv_freq = hp.rope_base ** (-np.arange(half) * 2.0 / hp.n_rot)
    theta = np.outer(positions * hp.freq_scale, inv_freq)[:, None, :]  # [n_tokens, 1, half]
    cos, sin = np.cos(theta), np.sin(theta)
    if hp.neox:
        a, b = x[..., :half], x[..., half:hp.n_rot]
        out[..., :half] = a * cos - b * sin
        out[..., half:hp.n_rot] = a * sin + b * cos
    else:
        a, b = x[..., 0:hp.n_rot:2], x[..., 1:hp.n_rot:2]
        out[..., 0:hp.n_rot:2] = a * cos - b * sin
        out[..., 1:hp.n_rot:2] = a * sin + b * cos
    return out


def attention(q, k, v, hp):
    """Causal grouped-query attention. q: [n, n_head, d]; k, v: [n, n_head_kv, d]."""
    n = q.shape[0]
    group = hp.n_head // hp.n_head_kv
    out = np.zeros_like(q)
    mask = np.triu(np.full((n, n), -np.inf), k=1)
    for h in range(hp.n_head):
        kv_head = h // group
        scores = q[:, h, :] @ k[:, kv_head, :].T / np.sqrt(hp.head_dim) + mask
        scores -= scores.max(axis=1, keepdims=True)
        weights = np.exp(scores)
        weights /= weights.sum(axis=1, keepdims=True)
        out[:, h, :] = weights @ v[:, kv_head, :]
    return out


def linear(model, name, x):
    y = x @ model.tensor(name + ".weight").T
    if model.has(name + ".bias"):
        y = y + model.tensor(name + ".bias")
    return y


def forward(model, tokens, swap_rope_style=False):
    """Logits [len(tokens), n_vocab] for one sequence starting at position 0.

    swap_rope_style computes a deliberately wrong model (the other RoPE pairing), with which the
    test shows that its error measure tells a wrong forward pass from a right one.
    """
    hp = Hparams(model)
    hp.neox ^= swap_rope_style
    tokens = np.asarray(tokens, dtype=np.int64)
    positions = np.arange(len(tokens), dtype=np.float64)
    x = model.tensor("token_embd.weight")[tokens]
    n = len(tokens)
    for layer in range(hp.n_layer):
        p = f"blk.{layer}"
        h = rms_norm(x, model.tensor(f"{p}.attn_norm.weight"), hp.eps)
        q = linear(model, f"{p}.attn_q", h).reshape(n, hp.n_head, hp.head_dim)
        k = linear(model, f"{p}.attn_k", h).reshape(n, hp.n_head_kv, hp.head_dim)
        v = linear(model, f"{p}.attn_v", h).reshape(n, hp.n_head_kv, hp.head_dim)
        q, k = rope(q, positions, hp), rope(k, positions, hp)
        attn = attention(q, k, v, hp).reshape(n, hp.n_embd)
        x = x + linear(model, f"{p}.attn_output", attn)
        h = rms_norm(x, model.tensor(f"{p}.ffn_norm.weight"), hp.eps)
        gate = linear(model, f"{p}.ffn_gate", h)
        up = linear(model, f"{p}.ffn_up", h)
        x = x + linear(model, f"{p}.ffn_down", gate / (1.0 + np.exp(-gate)) * up)
    x = rms_norm(x, model.tensor("output_norm.weight"), hp.eps)
    output = "output.weight" if model.has("output.weight") else "token_embd.weight"
    return x @ model.tensor(output).T


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("model")
    parser.add_argument("--tokens", required=True, help="comma-separated token ids")
    parser.add_argument("--out", required=True, help="where to write the logits (.npy)")
    args = parser.parse_args()
    tokens = [int(t) for t in args.tokens.split(",") if t]
    np.save(args.out, forward(GgufModel(args.model), tokens))


if __name__ == "__main__":
    main()
