#!/usr/bin/env bash
# The simulator's own capacity: server-side applies/s and GETs/s of small ConfigMaps with
# several parallel clients (wrk), beside the raw capacity of its HTTP layer (/healthz) measured
# in the same run. Targets: >= 2,000 applies/s and >= 10,000 GETs/s on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib/sim.sh
start_sim 100
trap stop_sim EXIT
seconds=${BENCH_QUICK:+2}; seconds=${seconds:-5}
rate() { awk '/Requests\/sec/ { printf "%d", $2 }'; }
export SIM_TOKEN
# Warm up: create the 5,000 objects once.
wrk -t1 -c8 -d2s -s bench/lib/apply.lua "$SIM_URL" > /dev/null
raw=$(wrk -t1 -c8 -d${seconds}s "$SIM_URL/healthz" | rate)
applies=$(wrk -t1 -c8 -d${seconds}s -s bench/lib/apply.lua "$SIM_URL" | rate)
gets=$(wrk -t1 -c8 -d${seconds}s -H "Authorization: Bearer $SIM_TOKEN" \
  "$SIM_URL/api/v1/namespaces/default/configmaps/bench-42" | rate)
printf 'ROW\tsim: server-side applies/s (ConfigMap, 8 conns)\t%s\tsim raw HTTP /healthz req/s\t%s\treq/s\thigher\n' "$applies" "$raw"
printf 'ROW\tsim: GETs/s (ConfigMap, 8 conns)\t%s\tsim raw HTTP /healthz req/s\t%s\treq/s\thigher\n' "$gets" "$raw"
