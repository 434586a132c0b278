#!/usr/bin/env bash
# TTFT on a shared-prefix workload, served: requests that share one long system prompt (PREFIX
# tokens) and differ in a short tail (SUFFIX tokens), against `tokenfab node` and llama.cpp's
# `llama-server` (parallel slots), each with its prompt cache on and then off, through
# bench/serve_vs_llama_server.sh (same model file, threads, requests and seed). The workload is a
# Mooncake-format trace written here: equal hash ids give equal 512-token blocks, so every request
# begins with the same PREFIX tokens.
#
#   LLAMA_SERVER=~/llama.cpp/build/bin/llama-server bench/shared_prefix_vs_llama_server.sh MODEL.gguf
#
# Knobs (environment): PREFIX (default 1024, a multiple of 512), SUFFIX (default 32), REQUESTS
# (default 16), SLOTS (requests in flight, default 8), GEN (tokens generated, default 16), THREADS,
# OUT; the rest as in serve_vs_llama_server.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
model="${1:?usage: LLAMA_SERVER=... bench/shared_prefix_vs_llama_server.sh MODEL.gguf}"
prefix="${PREFIX:-1024}"
suffix="${SUFFIX:-32}"
requests="${REQUESTS:-16}"
gen="${GEN:-16}"
out="${OUT:-/tmp/tokenfab-shared-prefix}"
mkdir -p "$out"
(( prefix % 512 == 0 )) || { echo "PREFIX must be a multiple of 512" >&2; exit 2; }

# One request every 50 ms; the first (a warm-up, not measured) puts the prefix in the caches.
trace="$out/shared_prefix.jsonl"
/usr/bin/python3 - "$trace" "$prefix" "$suffix" "$((requests + 1))" "$gen" <<'PY'
import json, sys
path, prefix, suffix, n, gen = sys.argv[1], *map(int, sys.argv[2:])
shared = list(range(prefix // 512))
with open(path, "w") as f:
    for i in range(n):
        f.write(json.dumps({"timestamp": 50 * i, "input_length": prefix + suffix,
                            "output_length": gen, "hash_ids": shared + [1000 + i]}) + "\n")
PY

common=(TRACE_FORMAT=mooncake RATE_SCALE=1 MAX_REQUESTS="$((requests + 1))"
  MAX_INPUT="$((prefix + suffix))" MAX_OUTPUT="$gen" CONTEXT="$((prefix + suffix + gen + 64))"
  SLOTS="${SLOTS:-8}" WARMUP=1 BENCH_ARGS="--concurrency ${SLOTS:-8}")
echo "== prompt caches on" >&2
env "${common[@]}" OUT="$out/on" bench/serve_vs_llama_server.sh "$model" "$trace" | tee "$out/on.txt"
echo "== prompt caches off" >&2
env "${common[@]}" OUT="$out/off" NODE_ARGS="--no-prefix-caching ${NODE_ARGS:-}" \
  EXTRA_BODY='{"temperature": 0, "cache_prompt": false}' \
  bench/serve_vs_llama_server.sh "$model" "$trace" | tee "$out/off.txt"
