#!/usr/bin/env bash
# The twin's speed on the whole hub: 10,000 accelerators (bench/sim/make_hub_fleet.py) serving
# 12 T tokens/day with the Azure conversation length mix (bench/sim/hub-workload.toml), for
# DURATION simulated seconds of arrivals (default 3600: the issue's one simulated hour; the run
# then drains the requests in flight). Records wall time and peak RSS (/usr/bin/time -v) and the
# twin's own events/s and simulated seconds per wall second. Run by hand, not in ctest:
#
#   bench/sim/hub_speed.sh [BUILD_DIR] [DURATION] [SCALE]   # e.g. bench/sim/hub_speed.sh build 10 0.01
#
# SCALE (default 1) runs a slice of the hub: node counts and arrival rate both times SCALE.
#
# Target (issue 9): one simulated hour within 30 min of wall time, under 8 GiB.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-build}"
duration="${2:-3600}"
tokenfab="$build/bin/tokenfab"
[[ -x "$tokenfab" ]] || { echo "no $tokenfab: build the tokenfab target first" >&2; exit 1; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
scale="${3:-1}"
python3 "$here/make_hub_fleet.py" "$out/hub.toml" "$scale"
/usr/bin/time -v -o "$out/time.txt" "$tokenfab" sim --fleet "$out/hub.toml" \
  --workload "$here/hub-workload.toml" --duration "$duration" --rate-scale "$scale" --json >"$out/sim.json"
wall="$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$out/time.txt")"
rss_kb="$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$out/time.txt")"
echo "hub slice:          x${scale}"
echo "simulated arrivals: ${duration} s"
echo "wall time:          ${wall}"
echo "peak RSS:           $((rss_kb / 1024)) MiB"
jq -r '"events/s:           \(.events_per_s | floor)",
       "sim s per wall s:   \(.sim_seconds_per_wall_second)",
       "tokens/s (policy):  \(.policies[0].tokens_per_s | floor)",
       "goodput (req/s):    \(.policies[0].goodput_rps)"' "$out/sim.json"
