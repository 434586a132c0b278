#!/usr/bin/env bash
# `tokenfab bench serve` against `tokenfab node` and llama.cpp's `llama-server` on the same GGUF
# file and the same compute threads, one after the other in one run (alternating, ROUNDS times,
# so background load on the machine falls on both alike), with the same trace, seed and SLOs;
# then a side-by-side table of throughput, goodput and TTFT/TPOT percentiles.
# llama.cpp is not part of tokenfab: build it yourself and point LLAMA_SERVER at its binary.
#
#   LLAMA_SERVER=~/llama.cpp/build/bin/llama-server bench/serve_vs_llama_server.sh MODEL.gguf TRACE.csv
#
# Knobs (environment): TRACE_FORMAT (azure or mooncake, default azure), THREADS (compute
# threads, default 2), SLOTS (llama-server -np and the node's --max-running, default 8), CONTEXT
# (tokens per sequence, default 2048), RATE_SCALE (trace arrival-rate multiplier, default 0.1),
# MAX_REQUESTS (default 60), MAX_INPUT and MAX_OUTPUT (trace lengths are cut to these, default 512
# and 128), SLO_TTFT_MS / SLO_TPOT_MS (default 5000 / 250), WARMUP (requests not measured,
# default 2), ROUNDS (default 1), NODE_ARGS, LLAMA_ARGS and BENCH_ARGS (extra flags for the node,
# llama-server and bench serve), OUT (folder), EXTRA_BODY (JSON merged into every request;
# default greedy decoding, {"temperature": 0}).
#
# On models with random weights llama-server ends some streams with an error event instead of
# [DONE] ("unparsed Content-only output" in its log: its output parser rejects the random text),
# even with greedy decoding. bench serve counts those as stream_error failures; the latency
# percentiles are over the completed requests, so compare those as well as goodput.
set -euo pipefail
cd "$(dirname "$0")/.."
tokenfab="${TOKENFAB:-build/bin/tokenfab}"
llama_server="${LLAMA_SERVER:?set LLAMA_SERVER to a llama-server binary}"
model="${1:?model.gguf}"
trace="${2:?Azure trace CSV}"
threads="${THREADS:-2}"
slots="${SLOTS:-8}"
context="${CONTEXT:-2048}"
out="${OUT:-/tmp/tokenfab-serve-vs-llama}"
rounds="${ROUNDS:-1}"
mkdir -p "$out"
extra_body="${EXTRA_BODY:-}"
[ -n "$extra_body" ] || extra_body='{"temperature": 0}'

bench_args=(--trace "$trace" --trace-format "${TRACE_FORMAT:-azure}" --rate-scale "${RATE_SCALE:-0.1}"
  --max-requests "${MAX_REQUESTS:-60}" --max-input-len "${MAX_INPUT:-512}"
  --max-output-len "${MAX_OUTPUT:-128}" --prompt token-ids --endpoint completions
  --slo-ttft-ms "${SLO_TTFT_MS:-5000}" --slo-tpot-ms "${SLO_TPOT_MS:-250}" --warmup "${WARMUP:-2}"
  --seed 1 --no-progress --request-timeout 900 --extra-body "$extra_body" ${BENCH_ARGS:-})

server_pid=""
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
trap stop_server EXIT

wait_healthy() {  # url
  for _ in $(seq 1 600); do
    if curl -sf "$1/health" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "server at $1 did not become healthy" >&2
  return 1
}

run_tokenfab() {  # json
  "$tokenfab" node -m "$model" --port 0 -t "$threads" -c "$context" --max-running "$slots" \
    ${NODE_ARGS:-} >"$out/node.out" 2>"$out/node.err" &
  server_pid=$!
  for _ in $(seq 1 100); do [ -s "$out/node.out" ] && break; sleep 0.1; done
  local url
  url="$(head -1 "$out/node.out" | sed 's/^listening on //')"
  wait_healthy "$url"
  "$tokenfab" bench serve --url "$url" "${bench_args[@]}" --json "$1" >"$1.txt"
  stop_server
}

run_llama() {  # json
  local port=$((20000 + RANDOM % 20000))
  # llama-server divides -c among its slots: give every slot the full context.
  "$llama_server" -m "$model" -t "$threads" -np "$slots" -c $((context * slots)) \
    --host 127.0.0.1 --port "$port" ${LLAMA_ARGS:-} >"$out/llama.out" 2>"$out/llama.err" &
  server_pid=$!
  wait_healthy "http://127.0.0.1:$port"
  "$tokenfab" bench serve --url "http://127.0.0.1:$port" "${bench_args[@]}" --json "$1" >"$1.txt"
  stop_server
}

for round in $(seq 1 "$rounds"); do
  if [ $((round % 2)) -eq 1 ]; then order=(tokenfab llama); else order=(llama tokenfab); fi
  for server in "${order[@]}"; do
    echo "round $round: $server" >&2
    "run_$server" "$out/$server-$round.json"
  done
done

/usr/bin/python3 - "$out" "$rounds" <<'PY'
import json, sys
out, rounds = sys.argv[1], int(sys.argv[2])
def load(name, r):
    with open(f"{out}/{name}-{r}.json") as f:
        return json.load(f)
rows = [
    ("completed / failed", lambda j: f"{j['summary']['completed']} / {j['summary']['failed']}"),
    ("request throughput (req/s)", lambda j: f"{j['summary']['request_throughput']:.3f}"),
    ("output tokens/s", lambda j: f"{j['summary']['output_token_throughput']:.1f}"),
    ("total tokens/s", lambda j: f"{j['summary']['total_token_throughput']:.1f}"),
    ("goodput (req/s)", lambda j: f"{j['summary'].get('goodput', 0):.3f}"),
    ("SLO attainment", lambda j: f"{100 * j['summary'].get('slo_attainment', 0):.1f} %"),
    ("TTFT p50 (ms)", lambda j: f"{j['metrics']['ttft_ms']['p50']:.0f}"),
    ("TTFT p99 (ms)", lambda j: f"{j['metrics']['ttft_ms']['p99']:.0f}"),
    ("TPOT p50 (ms)", lambda j: f"{j['metrics']['tpot_ms']['p50']:.1f}"),
    ("TPOT p99 (ms)", lambda j: f"{j['metrics']['tpot_ms']['p99']:.1f}"),
    ("E2E p50 (ms)", lambda j: f"{j['metrics']['e2e_ms']['p50']:.0f}"),
]
for r in range(1, rounds + 1):
    t, l = load("tokenfab", r), load("llama", r)
    print(f"round {r}: SLO TTFT <= {t['summary'].get('slo_ttft_ms')} ms, "
          f"TPOT <= {t['summary'].get('slo_tpot_ms')} ms")
    print(f"{'':30}{'tokenfab node':>16}{'llama-server':>16}")
    for name, f in rows:
        print(f"{name:30}{f(t):>16}{f(l):>16}")
    print()
PY
