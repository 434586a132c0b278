#!/usr/bin/env bash
# Metering's hot-path cost: what a stream's progress records (into the usage spool) and the usage
# cross-check (the gateway counting the streamed text with the model's tokenizer) add to a
# gateway's latency. One synthetic node (`tokenfab node --engine synthetic`) and four gateways in
# front of it, each with its own SQLite ledger:
#   plain       no spool (no progress records), no [[models]] vocabulary (no cross-check)
#   progress    --usage-spool (progress records every --progress-events content events)
#   crosscheck  a [[models]] vocabulary for the model: the cross-check runs on every answer
#   both        both
# plus `direct` (the node itself). The targets run in turn, the order rotated each round so no
# target always goes first; reported per target: TTFT and end-to-end p50/p99 (median over the
# rounds, with the min-max spread), the added latency over `plain`, and requests/s.
#
#   bench/gateway/metering_cost.sh [--concurrency 100] [--requests 3000] [--rounds 3]
#                                  [--output-len 64] [--progress-events 1] [--out DIR]
#
# Timing figures are only meaningful on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/gateway/common.sh

concurrency=100
requests=3000
rounds=3
output_len=64
input_len=256
progress_events=1
performance="base=20000,prefill=0,decode=0,kv=0"
out="build/bench-results/metering-cost"
while [ $# -gt 0 ]; do
  case "$1" in
    --concurrency) concurrency="$2"; shift 2 ;;
    --requests) requests="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --output-len) output_len="$2"; shift 2 ;;
    --input-len) input_len="$2"; shift 2 ;;
    --progress-events) progress_events="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
tokenfab="$PWD/build/bin/tokenfab"
[ -x "$tokenfab" ] || { echo "build tokenfab first" >&2; exit 1; }
mkdir -p "$out"
work="$(mktemp -d)"
targets="direct plain progress crosscheck both"

start node "$work/node.log" "$tokenfab" node --engine synthetic --vocab llama3 \
  --served-model-name m --port 0 --io-threads 2 --max-running "$((concurrency * 2))" \
  --max-waiting "$((concurrency * 4))" --synthetic-performance "$performance"
node_port=$started_port
wait_http "$node_port" /health

fleet() {  # fleet FILE WITH_MODELS
  cat >"$1" <<TOML
currency = "CNY"
[[regions]]
name = "local"
[[sites]]
name = "local"
region = "local"
[sites.energy]
price = 0.4
pue = 1.2
green_share = 0.5
carbon_g_per_kwh = 300
[[upstreams]]
name = "node"
url = "http://127.0.0.1:$node_port"
kind = "tokenfab-node"
models = ["m"]
site = "local"
[upstreams.hardware]
kind = "gpu"
count = 1
peak_tflops = 989
mem_bandwidth_gbps = 3350
power_idle_w = 90
power_max_w = 700
TOML
  if [ "$2" = yes ]; then printf '[[models]]\nname = "m"\nvocab = "llama3"\n' >>"$1"; fi
}

declare -A port key
port[direct]=$node_port
for target in plain progress crosscheck both; do
  dir="$work/$target"
  mkdir -p "$dir"
  make_ledger "$dir/ledger"
  key[$target]=$bench_key
  "$tokenfab" prices set --model '*' --input 2 --cached-input 0.5 --output 8 --currency CNY \
    --from 2020-01-01 --data-dir "$dir/ledger" >/dev/null
  models=no; spool=()
  case "$target" in
    progress) spool=(--usage-spool "$dir/spool" --stream-progress-events "$progress_events") ;;
    crosscheck) models=yes ;;
    both) models=yes; spool=(--usage-spool "$dir/spool" --stream-progress-events "$progress_events") ;;
  esac
  fleet "$dir/fleet.toml" "$models"
  start "$target" "$dir/gateway.log" "$tokenfab" gateway --fleet "$dir/fleet.toml" \
    --listen 127.0.0.1:0 --data-dir "$dir/ledger" --io-threads 2 --control-threads 1 \
    --policy least-load "${spool[@]}"
  port[$target]=$started_port
done
sleep 1

run() {  # run TARGET ROUND
  local target="$1" round="$2" args=()
  [ "$target" != direct ] && args=(--api-key "${key[$target]}")
  "$tokenfab" bench serve --url "http://127.0.0.1:${port[$target]}" --model m \
    --endpoint chat --input-len "$input_len" --output-len "$output_len" \
    --concurrency "$concurrency" --max-requests "$requests" --warmup "$concurrency" \
    --request-timeout 120 --client-threads 2 --no-progress "${args[@]}" \
    --json "$out/$target-$round.json" >"$out/$target-$round.txt"
}

order=($targets)
for round in $(seq 1 "$rounds"); do
  for target in "${order[@]}"; do
    echo "round $round: $target" >&2
    run "$target" "$round"
  done
  order=("${order[@]:1}" "${order[0]}")  # rotate: each target leads a round in turn
done

/usr/bin/python3 - "$out" "$rounds" "$targets" <<'PY'
import json, os, statistics, sys
out, rounds, targets = sys.argv[1], int(sys.argv[2]), sys.argv[3].split()
rows = {}
for t in targets:
    runs = [json.load(open(os.path.join(out, f"{t}-{r}.json"))) for r in range(1, rounds + 1)]
    def stat(f):
        values = [f(r) for r in runs]
        return statistics.median(values), min(values), max(values)
    rows[t] = {
        "ttft_p50": stat(lambda r: r["metrics"]["ttft_ms"]["p50"]),
        "ttft_p99": stat(lambda r: r["metrics"]["ttft_ms"]["p99"]),
        "e2e_p50": stat(lambda r: r["metrics"]["e2e_ms"]["p50"]),
        "e2e_p99": stat(lambda r: r["metrics"]["e2e_ms"]["p99"]),
        "rps": stat(lambda r: r["summary"]["request_throughput"]),
        "failed": sum(r["summary"]["failed"] for r in runs),
    }
base = rows["plain"]
def cell(v):
    return f"{v[0]:8.2f} [{v[1]:.2f}-{v[2]:.2f}]"
print("median over rounds [min-max]; added = median minus plain's median (ms)")
print(f"{'target':11} {'E2E p50':>24} {'E2E p99':>24} {'added p50':>9} {'added p99':>9} "
      f"{'TTFT p99':>24} {'req/s':>24} {'failed':>6}")
for t, r in rows.items():
    print(f"{t:11} {cell(r['e2e_p50']):>24} {cell(r['e2e_p99']):>24} "
          f"{r['e2e_p50'][0] - base['e2e_p50'][0]:9.2f} {r['e2e_p99'][0] - base['e2e_p99'][0]:9.2f} "
          f"{cell(r['ttft_p99']):>24} {cell(r['rps']):>24} {r['failed']:6d}")
json.dump(rows, open(os.path.join(out, "summary.json"), "w"), indent=1)
PY
