"""tokenfab's forward pass against the independent numpy float64 reference, logit for logit.

For each architecture and weight type, a model made by `tokenfab model create` is evaluated on a
fixed token sequence by both; the logits must agree within the type's tolerance on every
position, in each of tokenfab's execution paths (whole-prompt prefill, token-by-token decode
through the KV cache, and chunks of 5).

    /usr/bin/python3 forward_reference_test.py TOKENFAB DUMP_LOGITS WORK_DIR [ARCH,...]

Error measure, per position: RMS(ours - reference) / standard deviation of the reference logits
(a scale-free "fraction of the logit spread"); the test takes the worst position.
"""
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gguf_numpy import GgufModel  # noqa: E402
from reference_forward import Routing, forward  # noqa: E402

# Tolerance on the worst position's relative RMS error. F32 and F16 weights differ from float64
# only by float32 rounding. Quantised weights are dequantised exactly by both sides, but tokenfab
# (like llama.cpp) rounds the activations to bf16 (prefill, and BF16 weights) or to int8 blocks
# (decode) before the dot products: about 0.2 % and 0.6 % per element, which two random layers
# amplify about five-fold (measured: 0.6-1.2 % for bf16, 2-4 % for int8). A real error (a wrong
# RoPE, mask or head mapping) costs 30 % or more; the test checks that too (DISCRIMINATION).
TOLERANCE = {
    "f32": 1e-4,
    "f16": 1e-4,
    "bf16": 2e-2,
    "q8_0": 6e-2,
    "q4_0": 6e-2,
    "q4_K": 6e-2,
    "q6_K": 6e-2,
    "q4_K_M": 6e-2,
}
# A reference with the other RoPE pairing must be this far off, or the measure proves nothing.
DISCRIMINATION = 0.3
# Mixture of experts: the same rounding can flip a token's expert choice where two experts score
# almost alike, which moves that token's logits far more than the tolerance. On such near-ties
# (scores within TIE_FACTOR * tolerance standard deviations of the k-th best) the reference
# follows the runtime's choice; every other choice must be the reference's own.
TIE_FACTOR = 5
MODES = ["prefill", "decode", "chunked"]
SHAPE = ["--dim", "256", "--layers", "2", "--heads", "4", "--kv-heads", "2", "--ffn", "512",
         "--context", "256", "--init-std", "0.05"]
# The newer architectures keep their small default shape's structure (QK-norm, experts, shared
# experts, leading dense layer, latent attention, expert groups) and widen the embedding so that
# the K-quant types apply to the matrices that read it.
WIDE = ["--dim", "256", "--ffn", "512", "--context", "256", "--init-std", "0.05"]
# deepseek2 with YaRN as DeepSeek-V3 and Kimi K2 files carry it (factor 40, mscale multiplier
# 0.1), its ramp moved into the few positions a test runs: a small frequency base and original
# context put the ramp across the rotated pairs (pair 0 kept, 1 and 2 mixed, 3 interpolated).
YARN = WIDE + ["--rope-theta", "100", "--yarn-factor", "40", "--yarn-original-context", "64",
               "--yarn-log-multiplier", "0.1"]
# (label, architecture, vocabulary, shape flags, weight types: all of TOLERANCE when None)
MODELS = [("llama", "llama", "gpt2", SHAPE, None), ("qwen2", "qwen2", "qwen3", SHAPE, None),
          ("qwen3", "qwen3", "qwen3", WIDE, None), ("qwen3moe", "qwen3moe", "qwen3", WIDE, None),
          ("deepseek2", "deepseek2", "qwen3", WIDE, None),
          ("glm4moe", "glm4moe", "qwen3", WIDE, None),
          ("ds2-yarn", "deepseek2", "qwen3", YARN, ("f32", "q8_0"))]


def relative_error(ours, ref):
    diff = np.sqrt(np.mean((ours - ref) ** 2, axis=1))
    spread = np.std(ref, axis=1)
    return float(np.max(diff / spread))


def run(dump_logits, path, tokens, work, arch, wtype, mode, n_vocab, model):
    """tokenfab's logits [len(tokens), n_vocab] for one execution path, and its expert choices
    [moe block][token][k] (None for a dense model)."""
    arch = model.kv["general.architecture"]
    out = os.path.join(work, f"{os.path.basename(path)}-{wtype}-{mode}.bin")
    subprocess.run([dump_logits, path, ",".join(map(str, tokens)), out, mode], check=True)
    logits = np.fromfile(out, dtype=np.float32).reshape(len(tokens), n_vocab).astype(np.float64)
    routes = None
    if os.path.exists(out + ".experts"):
        k = model.kv[f"{arch}.expert_used_count"]
        routes = np.fromfile(out + ".experts", dtype=np.int32).reshape(-1, len(tokens), k)
        os.remove(out + ".experts")
    return logits, routes


def reference_perplexity(model, tokens, context, routing_of=None):
    """llama-perplexity's definition (bench/perplexity.h) over reference logits (no BOS here).
    routing_of(chunk) gives a Routing to follow the runtime's near-tie expert choices."""
    nll = []
    for start in range(0, len(tokens) // context * context, context):
        chunk = tokens[start:start + context]
        logits = forward(model, chunk, routing=routing_of(chunk) if routing_of else None)
        for j in range(context // 2, context - 1):
            row = logits[j] - logits[j].max()
            nll.append(np.log(np.exp(row).sum()) - row[chunk[j + 1]])
    return float(np.exp(np.mean(nll)))


def check_perplexity(tokenfab, dump_logits, path, model, work, arch):
    """`tokenfab perplexity` against the reference on a short text, context 16."""
    text = os.path.join(work, "text.txt")
    with open(text, "w") as f:
        f.write("The factory sells tokens to customers on five continents. " * 12)
    ids = subprocess.run([tokenfab, "tokenize", "--model", path], input=open(text).read(),
                         capture_output=True, text=True, check=True).stdout
    tokens = [int(t) for t in ids.strip().strip("[]").split(",")]
    out = subprocess.run([tokenfab, "perplexity", "-m", path, "-f", text, "-c", "16", "--json",
                          "--kv-type", "f32"], capture_output=True, text=True, check=True).stdout
    ours = float(out.split('"perplexity": ')[1].split(",")[0])
    n_vocab = model.tensor("token_embd.weight").shape[0]

    def routing_of(chunk):
        _, routes = run(dump_logits, path, chunk, work, arch, "ppl", "prefill", n_vocab, model)
        return Routing(routes, TIE_FACTOR * TOLERANCE["f32"]) if routes is not None else None

    ref = reference_perplexity(model, tokens, 16, routing_of)
    print(f"perplexity (context 16): tokenfab {ours:.4f}, reference {ref:.4f}")
    return abs(ours - ref) / ref


def check_yarn_discrimination(dump_logits, path, tokens, work, model, n_vocab, label):
    """The runtime against references that drop one part of YaRN (the ramp: every frequency
    interpolated; the attention temperature): each must be DISCRIMINATION off, or the yarn case
    proves nothing about that part (measured: about 0.5 each)."""
    ours, routes = run(dump_logits, path, tokens, work, label, "f32", "prefill", n_vocab, model)
    routing = Routing(routes, TIE_FACTOR * TOLERANCE["f32"]) if routes is not None else None
    failures = []
    for part in ("ramp", "temperature"):
        off = relative_error(ours, forward(model, tokens, routing=routing, yarn_off=part))
        print(f"{label:9} f32     (reference without YaRN's {part}: {off:.2f})")
        if off < DISCRIMINATION:
            failures.append(f"{label}: a YaRN without its {part} is only {off:.3f} off")
    return failures


def main():
    tokenfab, dump_logits, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    failures = []
    print(f"{'arch':9} {'type':7} {'mode':8} {'rel. error':>10} {'tolerance':>9}  top-1 agree")
    only = set(sys.argv[4].split(",")) if len(sys.argv) > 4 else None
    for label, arch_name, vocab, shape, types in MODELS:
        if only and label not in only:
            continue
        for wtype, tolerance in TOLERANCE.items():
            if types and wtype not in types:
                continue
            arch = label
            path = os.path.join(work, f"{label}-{wtype}.gguf")
            subprocess.run([tokenfab, "model", "create", "--arch", arch_name, "--vocab", vocab,
                            "--type", wtype, "--seed", "11", "--output", path] + shape,
                           check=True, stdout=subprocess.DEVNULL)
            model = GgufModel(path)
            n_vocab = model.tensor("token_embd.weight").shape[0]
            rng = np.random.default_rng(7)
            tokens = [int(t) for t in rng.integers(0, min(n_vocab, 50000), size=21)]
            ref = forward(model, tokens)
            if wtype == "f32" and "--yarn-factor" in shape:
                failures += check_yarn_discrimination(dump_logits, path, tokens, work, model,
                                                      n_vocab, label)
            elif wtype == "f32":
                wrong = forward(model, tokens, swap_rope_style=True)
                ours_prefill, routes = run(dump_logits, path, tokens, work, arch, wtype,
                                           "prefill", n_vocab, model)
                off = relative_error(ours_prefill, wrong)
                print(f"{arch:6} f32     (reference with the wrong RoPE pairing: {off:.2f})")
                if off < DISCRIMINATION:
                    failures.append(f"{arch}: a wrong RoPE is only {off:.3f} off")
                if routes is not None:
                    # The routing check can fail: a reference routing otherwise must disagree.
                    routing = Routing(routes, TIE_FACTOR * tolerance)
                    wrong = forward(model, tokens, routing=routing, wrong_routing=True)
                    off = relative_error(ours_prefill, wrong)
                    print(f"{arch:9} f32     (reference routing otherwise: {off:.2f}, "
                          f"{len(routing.mismatches)} choices differ)")
                    if off < DISCRIMINATION and not routing.mismatches:
                        failures.append(f"{arch}: a wrong routing is only {off:.3f} off")
                ppl_error = check_perplexity(tokenfab, dump_logits, path, model, work, arch)
                if ppl_error > 1e-4:
                    failures.append(f"{arch}: perplexity differs by {ppl_error:.2e}")
            followed = {}  # the execution paths usually route alike: one reference per routing
            for mode in MODES:
                ours, routes = run(dump_logits, path, tokens, work, arch, wtype, mode, n_vocab,
                                   model)
                routed = ""
                if routes is not None:
                    if routes.tobytes() not in followed:
                        routing = Routing(routes, TIE_FACTOR * tolerance)
                        followed[routes.tobytes()] = (forward(model, tokens, routing=routing),
                                                      routing)
                    ref, routing = followed[routes.tobytes()]
                    routed = f" ({routing.adopted} near-ties followed)"
                    for where, own, theirs in routing.mismatches:
                        failures.append(f"{arch} {wtype} {mode}: {where} routed to {theirs}, "
                                        f"the reference chooses {own}")
                error = relative_error(ours, ref)
                agree = float(np.mean(np.argmax(ours, axis=1) == np.argmax(ref, axis=1)))
                status = "ok" if error <= tolerance else "FAIL"
                print(f"{arch:9} {wtype:7} {mode:8} {error:10.2e} {tolerance:9.0e}  {agree:5.2f} {status}{routed}")
                if error > tolerance:
                    failures.append(f"{arch} {wtype} {mode}: {error:.3e} > {tolerance:.0e}")
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        return 1
    print("all logits agree with the reference")
    return 0


if __name__ == "__main__":
    sys.exit(main())
