"""Reference forward pass of llama, qwen2, qwen3, qwen3moe, deepseek2 and glm4moe GGUF models in
numpy float64.

Independent of tokenfab's runtime (its own GGUF reader, dequantisers and maths), so the two can be
compared logit for logit. Weights are dequantised exactly; every activation stays float64. It
follows llama.cpp's graphs (src/models/*.cpp) in the plainest form: latent attention (deepseek2)
is computed decompressed (keys and values of every head rebuilt from the latent, as the paper
writes it), not absorbed as tokenfab computes it; experts are evaluated token by token.

    /usr/bin/python3 reference_forward.py MODEL.gguf --tokens 1,2,3 --out logits.npy
"""
import argparse
import itertools

import numpy as np

from gguf_numpy import GgufModel

ARCHS = ("llama", "qwen2", "qwen3", "qwen3moe", "deepseek2", "glm4moe")


class Hparams:
    def __init__(self, model):
        kv = model.kv
        self.arch = a = kv["general.architecture"]
        if a not in ARCHS:
            raise ValueError(f"unsupported architecture {a}")
        self.n_embd = kv[f"{a}.embedding_length"]
        self.n_layer = kv[f"{a}.block_count"] - kv.get(f"{a}.nextn_predict_layers", 0)
        self.n_head = kv[f"{a}.attention.head_count"]
        self.n_head_kv = kv.get(f"{a}.attention.head_count_kv", self.n_head)
        self.head_dim = kv.get(f"{a}.attention.key_length", self.n_embd // self.n_head)
        self.eps = kv[f"{a}.attention.layer_norm_rms_epsilon"]
        self.rope_base = kv.get(f"{a}.rope.freq_base", 10000.0)
        self.n_rot = kv.get(f"{a}.rope.dimension_count", self.head_dim)
        self.scaling = kv.get(f"{a}.rope.scaling.type", "none")
        if self.scaling not in ("none", "linear", "yarn"):
            raise ValueError(f"unsupported rope scaling {self.scaling}")
        self.factor = kv.get(f"{a}.rope.scaling.factor", 1.0) if self.scaling != "none" else 1.0
        self.freq_scale = 1.0 / self.factor
        self.yarn_context = kv.get(f"{a}.rope.scaling.original_context_length",
                                   kv[f"{a}.context_length"])
        self.yarn_log_mul = kv.get(f"{a}.rope.scaling.yarn_log_multiplier", 0.0)
        self.yarn_off = None  # "ramp" or "temperature": a deliberately wrong YaRN (the test's)
        # GGUF llama weights are permuted for adjacent-pair rotation, and llama.cpp rotates
        # deepseek2 adjacent pairs too; the others rotate halves (NeoX).
        self.neox = a not in ("llama", "deepseek2")
        if a == "deepseek2":
            self.kv_lora = kv[f"{a}.attention.kv_lora_rank"]
            self.q_lora = kv.get(f"{a}.attention.q_lora_rank", 0)
            qk = kv.get(f"{a}.attention.key_length_mla", kv[f"{a}.attention.key_length"])
            self.v_dim = kv.get(f"{a}.attention.value_length_mla",
                                kv[f"{a}.attention.value_length"])
            self.nope = qk - self.n_rot
        self.n_expert = kv.get(f"{a}.expert_count", 0)
        self.n_used = kv.get(f"{a}.expert_used_count", 0)
        self.dense_lead = kv.get(f"{a}.leading_dense_block_count", 0)
        gating = kv.get(f"{a}.expert_gating_func", 0)
        if gating == 0:
            gating = 2 if a == "glm4moe" else 1
        self.sigmoid = gating == 2 and a != "qwen3moe"
        self.norm_w = a == "qwen3moe" or kv.get(f"{a}.expert_weights_norm", False)
        self.w_scale = kv.get(f"{a}.expert_weights_scale", 1.0)
        self.groups = kv.get(f"{a}.expert_group_count", 1)
        self.groups_used = kv.get(f"{a}.expert_group_used_count", 1)


def rms_norm(x, weight, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * weight


def yarn_frequencies(hp, n_rot):
    """YaRN (Peng et al. 2023, section 3.2 "NTK-by-parts"): a frequency whose wavelength fits
    r = L / wavelength times in the original context L is kept when r > beta (32), divided by
    the scale s when r < alpha (1), and in between mixed by the ramp gamma(r) = (r - alpha) /
    (beta - alpha): h(theta) = (1 - gamma) theta / s + gamma theta. The ramp's ends are rounded
    outwards to whole dimensions, as the released code does."""
    theta = hp.rope_base ** (-np.arange(n_rot // 2) * 2.0 / n_rot)

    def dimension_turning(rotations):  # the d with L / wavelength_d == rotations
        wavelengths = hp.yarn_context / (rotations * 2 * np.pi)
        return n_rot * np.log(wavelengths) / (2 * np.log(hp.rope_base))

    low = max(np.floor(dimension_turning(32.0)), 0.0)
    high = min(np.ceil(dimension_turning(1.0)), n_rot - 1.0)
    if high == low:
        high += 0.001
    gamma = 1.0 - np.clip((np.arange(n_rot // 2) - low) / (high - low), 0.0, 1.0)
    return (1.0 - gamma) * theta / hp.factor + gamma * theta


def yarn_temperature(hp):
    """sqrt(1/t) = 0.1 ln(s) + 1 (YaRN, section 3.4); deepseek2 writes its own multiplier
    (0.1 * mscale_all_dim) and puts the whole factor on the softmax scale instead."""
    if hp.scaling != "yarn" or hp.yarn_off == "temperature":
        return 1.0
    return 1.0 + (hp.yarn_log_mul if hp.arch == "deepseek2" else 0.1) * np.log(hp.factor)


def rope(x, positions, hp, n_rot):
    """x: [n_tokens, n_heads, d]; rotates the first n_rot dimensions of every head."""
    out = x.copy()
    half = n_rot // 2
    if hp.scaling == "yarn" and hp.yarn_off != "ramp":
        inv_freq = yarn_frequencies(hp, n_rot)
    else:
        inv_freq = hp.rope_base ** (-np.arange(half) * 2.0 / n_rot) * hp.freq_scale
    theta = np.outer(positions, inv_freq)[:, None, :]  # [n_tokens, 1, half]
    cos, sin = np.cos(theta), np.sin(theta)
    if hp.arch != "deepseek2":  # both q and k: the logits sharpen by 1/t
        cos, sin = cos * yarn_temperature(hp), sin * yarn_temperature(hp)
    if hp.neox:
        a, b = x[..., :half], x[..., half:n_rot]
        out[..., :half] = a * cos - b * sin
        out[..., half:n_rot] = a * sin + b * cos
    else:
        a, b = x[..., 0:n_rot:2], x[..., 1:n_rot:2]
        out[..., 0:n_rot:2] = a * cos - b * sin
        out[..., 1:n_rot:2] = a * sin + b * cos
    return out


def attention(q, k, v, scale):
    """Causal grouped-query attention. q: [n, n_head, d]; k: [n, n_kv, d]; v: [n, n_kv, dv]."""
    n, n_head = q.shape[0], q.shape[1]
    group = n_head // k.shape[1]
    out = np.zeros((n, n_head, v.shape[2]))
    mask = np.triu(np.full((n, n), -np.inf), k=1)
    for h in range(n_head):
        scores = q[:, h, :] @ k[:, h // group, :].T * scale + mask
        scores -= scores.max(axis=1, keepdims=True)
        weights = np.exp(scores)
        weights /= weights.sum(axis=1, keepdims=True)
        out[:, h, :] = weights @ v[:, h // group, :]
    return out


def linear(model, name, x):
    y = x @ model.tensor(name + ".weight").T
    if model.has(name + ".bias"):
        y = y + model.tensor(name + ".bias")
    return y


def gqa_attention(model, p, h, positions, hp):
    n = h.shape[0]
    q = linear(model, f"{p}.attn_q", h).reshape(n, hp.n_head, hp.head_dim)
    k = linear(model, f"{p}.attn_k", h).reshape(n, hp.n_head_kv, hp.head_dim)
    v = linear(model, f"{p}.attn_v", h).reshape(n, hp.n_head_kv, hp.head_dim)
    if model.has(f"{p}.attn_q_norm.weight"):
        q = rms_norm(q, model.tensor(f"{p}.attn_q_norm.weight"), hp.eps)
        k = rms_norm(k, model.tensor(f"{p}.attn_k_norm.weight"), hp.eps)
    q, k = rope(q, positions, hp, hp.n_rot), rope(k, positions, hp, hp.n_rot)
    out = attention(q, k, v, 1.0 / np.sqrt(hp.head_dim)).reshape(n, -1)
    return linear(model, f"{p}.attn_output", out)


def latent_attention(model, p, h, positions, hp):
    """deepseek2 multi-head latent attention, decompressed: every head's K and V from the latent."""
    n, H, nope, r, kvr = h.shape[0], hp.n_head, hp.nope, hp.n_rot, hp.kv_lora
    if hp.q_lora > 0:
        qa = rms_norm(linear(model, f"{p}.attn_q_a", h), model.tensor(f"{p}.attn_q_a_norm.weight"),
                      hp.eps)
        q = linear(model, f"{p}.attn_q_b", qa)
    else:
        q = linear(model, f"{p}.attn_q", h)
    q = q.reshape(n, H, nope + r)
    q = np.concatenate([q[..., :nope], rope(q[..., nope:], positions, hp, r)], axis=-1)
    kv_a = linear(model, f"{p}.attn_kv_a_mqa", h)
    c = rms_norm(kv_a[:, :kvr], model.tensor(f"{p}.attn_kv_a_norm.weight"), hp.eps)
    k_pe = rope(kv_a[:, None, kvr:], positions, hp, r)  # [n, 1, r]
    if model.has(f"{p}.attn_k_b.weight"):
        k_b = model.tensor(f"{p}.attn_k_b.weight")  # [H, kvr, nope]
        v_b = model.tensor(f"{p}.attn_v_b.weight")  # [H, v, kvr]
        k_nope = np.einsum("tc,hcd->thd", c, k_b)
        v = np.einsum("tc,hvc->thv", c, v_b)
    else:
        kv = (c @ model.tensor(f"{p}.attn_kv_b.weight").T).reshape(n, H, nope + hp.v_dim)
        k_nope, v = kv[..., :nope], kv[..., nope:]
    k = np.concatenate([k_nope, np.repeat(k_pe, H, axis=1)], axis=-1)
    out = attention(q, k, v, yarn_temperature(hp) ** 2 / np.sqrt(nope + r)).reshape(n, H * hp.v_dim)
    return linear(model, f"{p}.attn_output", out)


def swiglu(model, p, x, suffix=""):
    gate = linear(model, f"{p}.ffn_gate{suffix}", x)
    up = linear(model, f"{p}.ffn_up{suffix}", x)
    return linear(model, f"{p}.ffn_down{suffix}", gate / (1.0 + np.exp(-gate)) * up)


class Routing:
    """Where the runtime's expert choices are known (`routes`: [moe block][token] -> experts), the
    reference follows them on near-ties: when its own top-k and the runtime's differ, the
    runtime's is taken if moving every selection score by `tie` (in standard deviations of the
    token's scores) could make it the top-k (plausible()), else the difference is recorded as a
    mismatch (a routing error, not rounding)."""

    def __init__(self, routes=None, tie=0.0):
        self.routes, self.tie = routes, tie
        self.adopted, self.mismatches = 0, []


def plausible(hp, raw, theirs, tie):
    """Whether `theirs` is a top-k choice once every score may move by `tie`: for some set of
    n_group_used groups that can all rank among the best, its experts lie in those groups and
    score within 2 * tie of the k-th best expert there."""
    per = hp.n_expert // hp.groups
    group_sets = [tuple(range(hp.groups))]
    if hp.groups > 1:
        scores = np.sort(raw.reshape(hp.groups, per), axis=1)[:, -2:].sum(axis=1)
        cut = np.sort(scores)[::-1][hp.groups_used - 1]
        eligible = [g for g in range(hp.groups) if scores[g] >= cut - 4 * tie]
        group_sets = itertools.combinations(eligible, hp.groups_used)
    for groups in group_sets:
        inside = np.zeros(hp.n_expert, dtype=bool)
        for g in groups:
            inside[g * per:(g + 1) * per] = True
        kth = np.sort(raw[inside])[::-1][hp.n_used - 1]
        if all(inside[e] and raw[e] >= kth - 2 * tie for e in theirs):
            return True
    return False


def route(hp, logits, bias, theirs=None, routing=None, where=None):
    """Chosen experts and weights of one token (llama.cpp's build_moe_ffn)."""
    if hp.sigmoid:
        probs = 1.0 / (1.0 + np.exp(-logits))
    else:
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
    raw = probs + (bias if bias is not None else 0.0)
    sel = raw
    if hp.groups > 1:
        per = hp.n_expert // hp.groups
        grouped = sel.reshape(hp.groups, per)
        scores = np.sort(grouped, axis=1)[:, -2:].sum(axis=1)
        keep = np.lexsort((np.arange(hp.groups), -scores))[:hp.groups_used]
        masked = np.full_like(grouped, -np.inf)
        masked[keep] = grouped[keep]
        sel = masked.reshape(-1)
    chosen = np.lexsort((np.arange(hp.n_expert), -sel))[:hp.n_used]
    if theirs is not None and set(theirs) != set(chosen):
        if plausible(hp, raw, theirs, routing.tie * np.std(raw)):
            chosen = np.asarray(theirs)
            routing.adopted += 1
        else:
            routing.mismatches.append((where, sorted(chosen.tolist()), sorted(theirs)))
    w = probs[chosen]
    if hp.norm_w:
        w = w / max(w.sum(), 6.103515625e-5)
    return chosen, w * hp.w_scale


def moe(model, p, x, hp, block, routing):
    logits = x @ model.tensor(f"{p}.ffn_gate_inp.weight").T
    bias = None
    if model.has(f"{p}.exp_probs_b.bias") and not hp.ignore_bias:
        bias = model.tensor(f"{p}.exp_probs_b.bias")
    gate = model.tensor(f"{p}.ffn_gate_exps.weight")  # [E, ff, embd]
    up = model.tensor(f"{p}.ffn_up_exps.weight")
    down = model.tensor(f"{p}.ffn_down_exps.weight")  # [E, embd, ff]
    out = np.zeros_like(x)
    for t in range(x.shape[0]):
        theirs = None
        if routing is not None and routing.routes is not None:
            theirs = [int(e) for e in routing.routes[block][t]]
        chosen, weights = route(hp, logits[t], bias, theirs, routing, (p, t))
        for e, w in zip(chosen, weights):
            g, u = gate[e] @ x[t], up[e] @ x[t]
            out[t] += w * (down[e] @ (g / (1.0 + np.exp(-g)) * u))
    if model.has(f"{p}.ffn_gate_shexp.weight"):
        out += swiglu(model, p, x, "_shexp")
    return out


def forward(model, tokens, swap_rope_style=False, routing=None, wrong_routing=False,
            yarn_off=None):
    """Logits [len(tokens), n_vocab] for one sequence starting at position 0.

    swap_rope_style computes a deliberately wrong model (the other RoPE pairing), with which the
    test shows that its error measure tells a wrong forward pass from a right one. routing (a
    Routing) lets the reference follow the runtime's expert choices on near-ties. wrong_routing
    (the same purpose for experts) ignores the selection bias or, without one, the weight
    normalisation. yarn_off ("ramp": every frequency interpolated; "temperature": no attention
    sharpening) drops one part of YaRN, for the same purpose.
    """
    hp = Hparams(model)
    hp.yarn_off = yarn_off
    hp.neox ^= swap_rope_style
    hp.ignore_bias = wrong_routing and model.has("blk.1.exp_probs_b.bias")
    hp.norm_w ^= wrong_routing and not hp.ignore_bias
    tokens = np.asarray(tokens, dtype=np.int64)
    positions = np.arange(len(tokens), dtype=np.float64)
    x = model.tensor("token_embd.weight")[tokens]
    ffn_norm = "post_attention_norm" if hp.arch == "glm4moe" else "ffn_norm"
    block = 0
    for layer in range(hp.n_layer):
        p = f"blk.{layer}"
        h = rms_norm(x, model.tensor(f"{p}.attn_norm.weight"), hp.eps)
        if hp.arch == "deepseek2":
            x = x + latent_attention(model, p, h, positions, hp)
        else:
            x = x + gqa_attention(model, p, h, positions, hp)
        h = rms_norm(x, model.tensor(f"{p}.{ffn_norm}.weight"), hp.eps)
        if hp.n_expert > 0 and layer >= hp.dense_lead:
            x = x + moe(model, p, h, hp, block, routing)
            block += 1
        else:
            x = x + swiglu(model, p, h)
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
