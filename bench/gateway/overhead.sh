#!/usr/bin/env bash
# Gateway overhead: what a proxy in front of an inference node costs. One synthetic node
# (`tokenfab node --engine synthetic`), then the same load through, side by side in one run:
#   direct    the node itself (the baseline)
#   tokenfab  `tokenfab gateway` (auth, admission, routing, relay, metering into SQLite)
#   tokenfab-tls  the same gateway serving HTTPS (a certificate made here with openssl; the
#             relay to the node stays plain http): what TLS to the client costs
#   nginx     nginx as a plain reverse proxy (no buffering, keep-alive to the node)
#   portkey   the Portkey AI gateway (npm @portkey-ai/gateway, @hono/node-server pinned to
#             1.13.5 so that it streams on Node 20)
# Load: `tokenfab bench serve`, closed loop at --concurrency streams (default 500), chat
# completions of --output-len tokens. Reported: TTFT and end-to-end latency p50/p99, the latency
# each proxy adds to the direct run, and requests/s. The proxies run on 2 cores (taskset 0,1);
# on a machine with 8 cores or more the node and the load generator run on the others.
#
#   bench/gateway/overhead.sh [--concurrency 500] [--requests 20000] [--rounds 2]
#                             [--output-len 16] [--performance base=20000,...] [--out DIR]
#                             [--targets "direct tokenfab tokenfab-tls nginx portkey"]
#                             [--node-binary PATH]
#
# nginx (Debian's) and Portkey (npm, into build/bench-tools/portkey) are installed on first use.
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/gateway/common.sh

concurrency=500
requests=20000
rounds=2
output_len=16
input_len=64
# Every engine step lasts 20 ms whatever its batch: the node answers at a steady pace (TTFT one
# step, TPOT 20 ms) at any concurrency, so what changes between the runs is the proxy.
performance="base=20000,prefill=0,decode=0,kv=0"
out="build/bench-results/overhead"
targets="direct tokenfab nginx portkey"
while [ $# -gt 0 ]; do
  case "$1" in
    --concurrency) concurrency="$2"; shift 2 ;;
    --requests) requests="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --output-len) output_len="$2"; shift 2 ;;
    --input-len) input_len="$2"; shift 2 ;;
    --performance) performance="$2"; shift 2 ;;
    --targets) targets="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --node-binary) node_binary="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
tokenfab="$PWD/build/bin/tokenfab"
[ -x "$tokenfab" ] || { echo "build tokenfab first (scripts/build)" >&2; exit 1; }
node_binary="${node_binary:-$tokenfab}"
mkdir -p "$out"
work="$(mktemp -d)"

# Benchmark-only dependencies.
if [[ " $targets " == *" nginx "* ]] && ! command -v nginx >/dev/null; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing nginx (benchmark only)" >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nginx >/dev/null
fi
portkey_dir="$PWD/build/bench-tools/portkey"
if [[ " $targets " == *" portkey "* ]] && [ ! -f "$portkey_dir/node_modules/@portkey-ai/gateway/build/start-server.js" ]; then
  echo "installing the Portkey gateway (benchmark only)" >&2
  mkdir -p "$portkey_dir"
  cp bench/gateway/portkey-package.json "$portkey_dir/package.json"
  (cd "$portkey_dir" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
fi

# Cores: the proxies get 0-1; the node and the load generator the rest when there are enough.
proxy_cpus="0,1"
other=()
if [ "$(nproc)" -ge 8 ]; then other=(taskset -c "2-$(($(nproc) - 1))"); fi

start node "$work/node.log" "${other[@]}" "$node_binary" node --engine synthetic --vocab llama3 \
  --served-model-name m --port 0 --io-threads 2 --max-running "$((concurrency * 2))" \
  --max-waiting "$((concurrency * 4))" --synthetic-performance "$performance"
node_port=$started_port
wait_http "$node_port" /health

declare -A port key
port[direct]=$node_port
for target in $targets; do
  case "$target" in
    tokenfab | tokenfab-tls)
      make_ledger "$work/ledger-$target"
      key[$target]=$bench_key
      cat >"$work/fleet.toml" <<TOML
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
      tls=()
      if [ "$target" = tokenfab-tls ]; then
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
          -keyout "$work/tls.key" -out "$work/tls.pem" -subj /CN=localhost \
          -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1
        tls=(--tls-cert "$work/tls.pem" --tls-key "$work/tls.key")
      fi
      # The gateway serves no model without a price (or a free_models entry).
      "$tokenfab" prices set --model '*' --input 2 --cached-input 0.5 --output 8 --currency CNY \
        --from 2020-01-01 --data-dir "$work/ledger-$target" >/dev/null
      start "$target" "$work/$target.log" taskset -c "$proxy_cpus" "$tokenfab" gateway \
        --fleet "$work/fleet.toml" --listen 127.0.0.1:0 --data-dir "$work/ledger-$target" \
        --io-threads 2 --control-threads 1 --policy least-load "${tls[@]}"
      port[$target]=$started_port
      ;;
    nginx)
      port[nginx]=$(free_port)
      mkdir -p "$work/nginx"
      cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 2;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  upstream node { server 127.0.0.1:$node_port; keepalive 1024; }
  server {
    listen 127.0.0.1:${port[nginx]} backlog=4096;
    location / {
      proxy_pass http://node;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_read_timeout 600s;
    }
  }
}
CONF
      taskset -c "$proxy_cpus" nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" \
        >"$work/nginx.log" 2>&1 &
      bench_pids+=($!)
      ;;
    portkey)
      port[portkey]=$(free_port)
      taskset -c "$proxy_cpus" node "$portkey_dir/node_modules/@portkey-ai/gateway/build/start-server.js" \
        --port="${port[portkey]}" --headless >"$work/portkey.log" 2>&1 &
      bench_pids+=($!)
      ;;
  esac
done
sleep 1

run() {  # run TARGET ROUND
  local target="$1" round="$2" args=() scheme=http
  case "$target" in
    tokenfab) args=(--api-key "${key[tokenfab]}") ;;
    tokenfab-tls) args=(--api-key "${key[tokenfab-tls]}" --tls-ca "$work/tls.pem"); scheme=https ;;
    portkey) args=(--api-key unused --header "x-portkey-provider: openai"
                   --header "x-portkey-custom-host: http://127.0.0.1:$node_port/v1") ;;
  esac
  "${other[@]}" "$tokenfab" bench serve --url "$scheme://127.0.0.1:${port[$target]}" --model m \
    --endpoint chat --input-len "$input_len" --output-len "$output_len" \
    --concurrency "$concurrency" --max-requests "$requests" --warmup "$concurrency" \
    --request-timeout 120 --client-threads 2 --no-progress "${args[@]}" \
    --json "$out/$target-$round.json" >"$out/$target-$round.txt"
}

for round in $(seq 1 "$rounds"); do
  for target in $targets; do
    echo "round $round: $target" >&2
    run "$target" "$round"
  done
done

/usr/bin/python3 - "$out" "$rounds" "$targets" <<'PY'
import json, os, sys
out, rounds, targets = sys.argv[1], int(sys.argv[2]), []
for t in sys.argv[3].split():
    if t not in targets:
        targets.append(t)
rows = {}
for t in targets:
    runs = [json.load(open(os.path.join(out, f"{t}-{r}.json"))) for r in range(1, rounds + 1)
            if os.path.exists(os.path.join(out, f"{t}-{r}.json"))]
    if not runs:
        continue
    def mean(f):
        return sum(f(r) for r in runs) / len(runs)
    rows[t] = {
        "ttft_p50": mean(lambda r: r["metrics"]["ttft_ms"]["p50"]),
        "ttft_p99": mean(lambda r: r["metrics"]["ttft_ms"]["p99"]),
        "e2e_p50": mean(lambda r: r["metrics"]["e2e_ms"]["p50"]),
        "e2e_p99": mean(lambda r: r["metrics"]["e2e_ms"]["p99"]),
        "rps": mean(lambda r: r["summary"]["request_throughput"]),
        "failed": sum(r["summary"]["failed"] for r in runs),
    }
base = rows.get("direct")
print(f"{'target':10} {'TTFT p50':>9} {'TTFT p99':>9} {'added p50':>10} {'added p99':>10} "
      f"{'E2E p50':>9} {'E2E p99':>9} {'req/s':>8} {'failed':>7}")
for t, r in rows.items():
    add50 = r["ttft_p50"] - base["ttft_p50"] if base else float("nan")
    add99 = r["ttft_p99"] - base["ttft_p99"] if base else float("nan")
    print(f"{t:10} {r['ttft_p50']:9.2f} {r['ttft_p99']:9.2f} {add50:10.2f} {add99:10.2f} "
          f"{r['e2e_p50']:9.2f} {r['e2e_p99']:9.2f} {r['rps']:8.1f} {r['failed']:7d}")
json.dump(rows, open(os.path.join(out, "summary.json"), "w"), indent=1)
PY
