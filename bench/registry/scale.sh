#!/usr/bin/env bash
# The registry at scale (issue 16's proof): one gateway watching an etcd that holds N synthetic
# members (default 1,000) across 3 sites. Reports, alternating ROUNDS times between the base
# fleet (4 members) and N members so that background load falls on both alike:
#   - routing cost per request: tokenfab_gateway_dispatch_seconds (arrival to the upstream call:
#     auth, parsing, ranking every candidate, admission), mean over REQUESTS sequential requests;
#   - the gateway's memory (VmRSS) with each fleet;
#   - N members registered at once to the gateway routing to all of them;
#   - one membership change (a join, a drain) to the gateway routing on it, CHANGES times each;
#   - the gateway's CPU per membership change (less what its polls take meanwhile).
# The members are records put straight into etcd (as `tokenfab node --registry` puts them), each
# at its own loopback port of bench/registry/fake_members.py, which answers like an idle node:
# every request is served and the gateway polls every member (N polls per --poll-interval-ms,
# POLL_MS, default 1000). The figures are the gateway's; the fake members cost CPU beside it.
#
#   bench/registry/scale.sh            # N=1000 ROUNDS=3 REQUESTS=300 CHANGES=10
#
# Needs etcd (Debian's etcd-server; scripts/setup installs it) and a built tokenfab. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/../.."
tokenfab="$(pwd)/${TOKENFAB:-build/bin/tokenfab}"
etcd="${ETCD:-/usr/bin/etcd}"
source bench/gateway/common.sh

work="$(mktemp -d)"
cleanup_work() {
  cleanup
  if [ -z "${KEEP:-}" ]; then rm -rf "$work"; else echo "kept $work" >&2; fi
}
trap cleanup_work EXIT

etcd_port="$(free_port)"
etcd_peer="$(free_port)"
"$etcd" --name bench --data-dir "$work/etcd" \
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
  --initial-cluster "bench=http://127.0.0.1:$etcd_peer" >"$work/etcd.log" 2>&1 &
bench_pids+=("$!")
wait_http "$etcd_port" /health

# Every member a distinct URL (a fleet refuses two upstreams at one URL): one process answering
# like an idle tokenfab node on as many loopback ports as there are members (and changes).
members="${N:-1000}"
/usr/bin/python3 bench/registry/fake_members.py "$((members + ${CHANGES:-10}))" \
  >"$work/members.ports" 2>"$work/members.log" &
bench_pids+=("$!")
for _ in $(seq 1 600); do
  if [ -s "$work/members.ports" ]; then break; fi
  sleep 0.1
done
node_urls=()
for p in $(cat "$work/members.ports"); do node_urls+=("http://127.0.0.1:$p"); done
[ "${#node_urls[@]}" -gt "$members" ] || { echo "the fake members did not start" >&2; exit 1; }

make_ledger "$work/ledger"
"$tokenfab" prices set --model '*' --input 2 --cached-input 0.5 --output 8 --currency CNY \
  --from 2020-01-01 --data-dir "$work/ledger" >/dev/null
{
  echo 'currency = "CNY"'
  for s in 0 1 2; do
    printf '[[regions]]\nname = "r%s"\n[[sites]]\nname = "s%s"\nregion = "r%s"\n' "$s" "$s" "$s"
    printf '[sites.energy]\nprice = 0.4\npue = 1.2\ngreen_share = 0.5\ncarbon_g_per_kwh = 300\n'
  done
} >"$work/fleet.toml"
start gateway "$work/gateway.log" "$tokenfab" gateway --fleet "$work/fleet.toml" \
  --listen 127.0.0.1:0 --data-dir "$work/ledger" --io-threads 2 \
  --poll-interval-ms "${POLL_MS:-1000}" --registry "etcd://127.0.0.1:$etcd_port" \
  ${GATEWAY_ARGS:-}
gateway_port=$started_port
gateway_pid="${bench_pids[-1]}"

echo "machine: $(nproc) cores, $(uname -r); shared with other work unless you made sure"
/usr/bin/python3 bench/registry/scale_driver.py --etcd "http://127.0.0.1:$etcd_port" \
  --gateway "$gateway_port" --gateway-pid "$gateway_pid" --key "$bench_key" \
  --members "$members" --rounds "${ROUNDS:-3}" --requests "${REQUESTS:-300}" \
  --changes "${CHANGES:-10}" "${node_urls[@]}"
