#!/usr/bin/env bash
# Routing policies on the Mooncake trace: three synthetic nodes as the three regions of
# examples/fleet-three-regions.toml (the western hub, the dearer coastal site, the overseas edge;
# each behind a proxy that injects the site's RTT: 12.5, 1.5 and 38 ms), a `tokenfab gateway`
# per policy, and `tokenfab bench serve` replaying the Mooncake conversation trace (its prefix
# reuse is real: equal hash ids give equal prompt blocks). For each policy: goodput (requests/s
# meeting the tier's TTFT and TPOT objectives), TTFT p99, and the energy cost per million tokens
# (facility energy of every request, priced at its site's electricity price, from the gateway's
# metrics).
#
# The nodes differ as the sites' hardware does (synthetic performance models, µs):
#   hub   (8x H800)  prefill 40 µs/token, decode 200 µs/sequence per step
#   coast (8x H20)   prefill 100 µs/token (weak compute), decode 160 µs/sequence
#   edge  (4x H100)  prefill 70 µs/token, decode 260 µs/sequence
#
#   bench/gateway/policies.sh [--trace FILE] [--seconds 300] [--rate-scale 2]
#                             [--policies "round-robin least-load ... default"] [--out DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/gateway/common.sh

trace="${TOKENFAB_TRACE_DIR:-../shared/traces}/mooncake/conversation_trace.jsonl"
seconds=300
rate_scale=2
slo_ttft_ms=2000
slo_tpot_ms=100
# The synthetic node's sequences hold 8192 tokens: prompts are cut to 7,000 tokens (keeping their
# leading blocks, so prefix reuse stays) and answers to 1,000.
max_input=7000
max_output=1000
policies="round-robin least-load power-of-two prefix-affinity kv-aware cost-slo green-first goodput-cost default"
out="build/bench-results/policies"
while [ $# -gt 0 ]; do
  case "$1" in
    --trace) trace="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --rate-scale) rate_scale="$2"; shift 2 ;;
    --policies) policies="$2"; shift 2 ;;
    --slo-ttft-ms) slo_ttft_ms="$2"; shift 2 ;;
    --slo-tpot-ms) slo_tpot_ms="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --node-binary) node_binary="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
tokenfab="$PWD/build/bin/tokenfab"
[ -x "$tokenfab" ] || { echo "build tokenfab first (scripts/build)" >&2; exit 1; }
node_binary="${node_binary:-$tokenfab}"
[ -f "$trace" ] || { echo "no Mooncake trace at $trace (give --trace)" >&2; exit 1; }
mkdir -p "$out"
work="$(mktemp -d)"

names=(hub coast edge)
example_ports=(8101 8102 8103)
rtts=(12.5 1.5 38)
perf=("base=4000,prefill=40,decode=200,kv=0.002"
      "base=4000,prefill=100,decode=160,kv=0.002"
      "base=4000,prefill=70,decode=260,kv=0.002")
# Full-load throughput of each model for the fleet file (prefill tokens/s; decode tokens/s at a
# batch of 64), so that routing predicts what the nodes do.
prefill_tps=(25000 10000 14285)
decode_tps=(4000 5000 3100)

# The example fleet, each upstream on its site's proxy, with the nodes' throughput.
fleet="$(cat examples/fleet-three-regions.toml)"
for i in 0 1 2; do
  start "${names[$i]}" "$work/${names[$i]}.log" "$node_binary" node --engine synthetic --vocab llama3 \
    --served-model-name tokenfab-demo --port 0 --io-threads 1 \
    --max-running 64 --synthetic-performance "${perf[$i]}"
  node_port=$started_port
  wait_http "$node_port" /health
  start "${names[$i]}-proxy" "$work/${names[$i]}-proxy.log" /usr/bin/python3 \
    bench/gateway/delay_proxy.py --target "127.0.0.1:$node_port" --rtt-ms "${rtts[$i]}"
  fleet="${fleet//127.0.0.1:${example_ports[$i]}/127.0.0.1:$started_port}"
done
printf '%s\n' "$fleet" >"$work/fleet.in.toml"
/usr/bin/python3 - "$work/fleet.in.toml" "$work/fleet.toml" "${prefill_tps[*]}" "${decode_tps[*]}" <<'PY'
import re, sys
source, path, prefill, decode = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4].split()
text = open(source).read()
# Replace or add each upstream's [upstreams.throughput] with the synthetic nodes' figures.
blocks = text.split("[[upstreams]]")
for i in range(1, len(blocks)):
    b = re.sub(r"\[upstreams\.throughput\][^\[]*", "", blocks[i])
    extra = (f"[upstreams.throughput]\nprefill_tokens_per_s = {prefill[i-1]}\n"
             f"decode_tokens_per_s = {decode[i-1]}\n\n")
    cut = b.find("# ----")
    blocks[i] = (b[:cut] + extra + b[cut:]) if cut >= 0 else b + extra
open(path, "w").write("[[upstreams]]".join(blocks))
PY

summary="$out/summary.txt"
: >"$summary"
for policy in $policies; do
  # "default": the gateway's built-in default, whatever it is (no --policy flag).
  policy_flag=(--policy "$policy")
  [ "$policy" = default ] && policy_flag=()
  ledger="$work/ledger-$policy"
  "$tokenfab" tenants tier-set bench --ttft-ms "$slo_ttft_ms" --tpot-ms "$slo_tpot_ms" \
    --priority 1 --data-dir "$ledger" >/dev/null 2>&1
  bench_key="$("$tokenfab" keys create --tenant bench --tier bench --data-dir "$ledger" 2>/dev/null)"
  "$tokenfab" tenants set bench --rpm 100000000 --tpm 100000000000 --max-concurrency 1000000 \
    --data-dir "$ledger" >/dev/null 2>&1
  "$tokenfab" prices set --model '*' --input 2 --cached-input 0.5 --output 8 --currency CNY \
    --from 2020-01-01 --data-dir "$ledger" >/dev/null
  start "gateway-$policy" "$work/gateway-$policy.log" "$tokenfab" gateway --fleet "$work/fleet.toml" \
    --listen 127.0.0.1:0 --data-dir "$ledger" "${policy_flag[@]}" --io-threads 1
  gw_port=$started_port
  gw_pid=${bench_pids[-1]}
  sleep 1  # a few polls: RTTs and loads known
  echo "policy $policy" >&2
  "$tokenfab" bench serve --url "http://127.0.0.1:$gw_port" --model tokenfab-demo \
    --api-key "$bench_key" --trace "$trace" --trace-format mooncake --rate-scale "$rate_scale" \
    --duration "$seconds" --max-input-len "$max_input" --max-output-len "$max_output" --slo-ttft-ms "$slo_ttft_ms" \
    --slo-tpot-ms "$slo_tpot_ms" --request-timeout 300 --no-progress \
    --json "$out/$policy.json" >"$out/$policy.txt"
  curl -s "http://127.0.0.1:$gw_port/metrics" >"$out/$policy.metrics"
  kill "$gw_pid"; wait "$gw_pid" 2>/dev/null || true
done

/usr/bin/python3 - "$out" "$policies" <<'PY' | tee "$summary"
import json, os, re, sys
out, policies = sys.argv[1], sys.argv[2].split()
def metric(text, name):
    per = {}
    for m in re.finditer(r'^%s\{region="([^"]+)"\} (\S+)$' % name, text, re.M):
        per[m.group(1)] = float(m.group(2))
    return per
print(f"{'policy':16} {'goodput':>8} {'SLO met':>8} {'TTFT p50':>9} {'TTFT p99':>9} "
      f"{'cached':>7} {'energy CNY/Mtok':>16} {'Wh/Mtok':>9}  requests by region")
for p in policies:
    r = json.load(open(os.path.join(out, p + ".json")))
    s, m = r["summary"], r["metrics"]
    text = open(os.path.join(out, p + ".metrics")).read()
    cost = metric(text, "tokenfab_gateway_region_energy_cost_total")
    wh = {k: j / 3600 for k, j in metric(text, "tokenfab_gateway_region_energy_joules_total").items()}
    tokens = metric(text, "tokenfab_gateway_region_tokens_total")
    total_tokens = sum(tokens.values()) or 1
    cached = s["cached_tokens"] / max(1, s["cache_reported_input_tokens"])
    regions = " ".join(f"{k}={v / total_tokens:.0%}" for k, v in sorted(tokens.items()))
    print(f"{p:16} {s.get('goodput', 0):8.3f} {s.get('slo_attainment', 0):8.1%} "
          f"{m['ttft_ms']['p50']:9.0f} {m['ttft_ms']['p99']:9.0f} {cached:7.1%} "
          f"{sum(cost.values()) / total_tokens * 1e6:16.4f} {sum(wh.values()) / total_tokens * 1e6:9.1f}"
          f"  {regions}")
PY
