#!/usr/bin/env bash
# TPOT-sized prefill against the fixed token budget: `tokenfab bench serve` replays the Azure
# conversation trace (prompts to 7,000 tokens: one in ten is over 2,700) against a synthetic
# `tokenfab node`, once with the fixed 2,048-token step budget and once with --tpot-slo-ms, the
# conditions alternated ROUNDS times on fresh nodes (empty caches), and prints TTFT and TPOT
# percentiles side by side. The node's step-time model is a prefill-weak GPU site's (the coast
# of bench/gateway/policies.sh: 100 µs per prompt token, so a full 2,048-token chunk stalls every
# running decode for over 200 ms). Besides the client's figures (TPOT per request, ITL per
# token), the table counts the token gaps the engine itself measured over 100 ms, so that a stall
# of the client or of a busy machine does not pass for one of the scheduler. Not part of ctest:
# each condition replays in real time (--seconds, plus the drain).
#
#   bench/tpot_slo.sh [--trace FILE] [--seconds 60] [--rate-scale 1] [--slo-tpot-ms 50]
#                     [--rounds 1] [--out DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/gateway/common.sh
trace="${TOKENFAB_TRACE_DIR:-../shared/traces}/azure2023/AzureLLMInferenceTrace_conv.csv"
seconds=60
rate_scale=1
slo_tpot_ms=50
slo_ttft_ms=2000
rounds=1
out="build/bench-results/tpot-slo"
perf="base=4000,prefill=100,decode=160,kv=0.002"
while [ $# -gt 0 ]; do
  case "$1" in
    --trace) trace="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --rate-scale) rate_scale="$2"; shift 2 ;;
    --slo-tpot-ms) slo_tpot_ms="$2"; shift 2 ;;
    --slo-ttft-ms) slo_ttft_ms="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
tokenfab="$PWD/build/bin/tokenfab"
[ -x "$tokenfab" ] || { echo "build tokenfab first (scripts/build)" >&2; exit 1; }
[ -f "$trace" ] || { echo "no Azure conversation trace at $trace (give --trace)" >&2; exit 1; }
mkdir -p "$out"
work="$out"  # node logs next to the results

# run NAME [NODE FLAGS...]: a fresh node, the replay, the node stopped; results in $out/NAME.json.
run() {
  local name="$1"
  shift
  start "node-$name" "$work/node-$name.log" "$tokenfab" node --engine synthetic --vocab llama3 \
    --served-model-name tokenfab-demo --port 0 --io-threads 1 --max-running 64 \
    --synthetic-performance "$perf" "$@"
  local port=$started_port pid=${bench_pids[-1]}
  wait_http "$port" /health
  echo "$name" >&2
  "$tokenfab" bench serve --url "http://127.0.0.1:$port" --model tokenfab-demo \
    --trace "$trace" --trace-format azure --rate-scale "$rate_scale" --duration "$seconds" \
    --max-input-len 7000 --max-output-len 1000 --prompt token-ids \
    --slo-ttft-ms "$slo_ttft_ms" --slo-tpot-ms "$slo_tpot_ms" --request-timeout 300 \
    --no-progress --json "$out/$name.json" >"$out/$name.txt"
  curl -s "http://127.0.0.1:$port/metrics" >"$out/$name.metrics"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
}

names=()
for round in $(seq 1 "$rounds"); do
  # Alternate which condition goes first, so drift in the machine's load falls on both.
  if [ $((round % 2)) -eq 1 ]; then order="fixed slo"; else order="slo fixed"; fi
  for condition in $order; do
    if [ "$condition" = fixed ]; then
      run "fixed-r$round"
    else
      run "slo-r$round" --tpot-slo-ms "$slo_tpot_ms"
    fi
    names+=("$condition-r$round")
  done
done

/usr/bin/python3 - "$out" "$slo_tpot_ms" "${names[@]}" <<'PY' | tee "$out/summary.txt"
import json, os, re, sys
out, slo, names = sys.argv[1], sys.argv[2], sys.argv[3:]

def slow_gaps(text):
    # Token gaps the engine itself measured over 100 ms (its TPOT histogram), so that a stall
    # of the client or of the machine does not pass for one of the scheduler.
    name = r"tokenfab:time_per_output_token_seconds"
    count = re.search(r'^%s_count\S* (\S+)$' % name, text, re.M)
    fast = re.search(r'^%s_bucket\{[^}]*le="0\.1"[^}]*\} (\S+)$' % name, text, re.M)
    return float(count.group(1)) - float(fast.group(1)) if count and fast else float("nan")

print(f"TPOT SLO {slo} ms; TPOT: per request (client); ITL: per token (client); "
      f"gaps>100ms: token gaps the engine measured over 100 ms")
print(f"{'run':10} {'done':>5} {'TTFT p50':>9} {'TTFT p99':>9} {'TPOT p50':>9} {'TPOT p99':>9} "
      f"{'ITL p99':>8} {'ITL max':>8} {'gaps>100ms':>11} {'SLO met':>8} {'tok/s':>7}")
for n in sorted(names):
    r = json.load(open(os.path.join(out, n + ".json")))
    s, m = r["summary"], r["metrics"]
    gaps = slow_gaps(open(os.path.join(out, n + ".metrics")).read())
    print(f"{n:10} {s['completed']:5d} {m['ttft_ms']['p50']:9.1f} {m['ttft_ms']['p99']:9.1f} "
          f"{m['tpot_ms']['p50']:9.1f} {m['tpot_ms']['p99']:9.1f} {m['itl_ms']['p99']:8.1f} "
          f"{m['itl_ms']['max']:8.1f} {gaps:11.0f} {s.get('slo_attainment', 0):8.1%} "
          f"{s['total_token_throughput']:7.0f}")
PY
