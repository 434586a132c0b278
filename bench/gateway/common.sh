# Shared helpers of the gateway benchmarks (sourced, not run).
# Every process a benchmark starts is recorded and stopped on exit.

bench_pids=()
cleanup() {
  for pid in "${bench_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${bench_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

# start NAME LOGFILE COMMAND...: runs COMMAND in the background, logging to LOGFILE; waits for
# the "http://HOST:PORT" line it prints on stdout and sets $started_port to PORT.
start() {
  local name="$1" log="$2"
  shift 2
  "$@" >"$log" 2>&1 &
  local pid=$!
  bench_pids+=("$pid")
  for _ in $(seq 1 600); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$name exited during startup:" >&2
      cat "$log" >&2
      exit 1
    fi
    started_port="$(grep -o 'https\?://[0-9.]*:[0-9]*' "$log" | head -n 1 | sed 's/.*://' || true)"
    if [ -n "$started_port" ]; then return 0; fi
    sleep 0.1
  done
  echo "$name printed no address" >&2
  exit 1
}

# wait_http PORT PATH: until GET answers 200.
wait_http() {
  for _ in $(seq 1 600); do
    if curl -sf "http://127.0.0.1:$1$2" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "http://127.0.0.1:$1$2 never answered" >&2
  exit 1
}

# free_port: a TCP port on 127.0.0.1 that was free a moment ago.
free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# A ledger in DIR with a tenant "bench" (premium tier, limits out of the way) and its key in
# $bench_key.
make_ledger() {
  local dir="$1"
  bench_key="$("$tokenfab" keys create --tenant bench --tier premium --data-dir "$dir" 2>/dev/null)"
  "$tokenfab" tenants set bench --rpm 100000000 --tpm 100000000000 --max-concurrency 1000000 \
    --data-dir "$dir" >/dev/null 2>&1
}
