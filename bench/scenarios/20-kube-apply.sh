#!/usr/bin/env bash
# Issue #3: server-side apply of 5,000 ConfigMaps through Ferry's kube client (8 threads, rate
# limit off) against the simulator's raw apply capacity (wrk, 8 connections) measured in the same
# run (goal >= 70%), and against `kubectl apply --server-side -f DIR` of the same 5,000 objects
# (goal >= 5x faster).
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib/sim.sh
BENCH=${FERRY_KUBE_BENCH:-$(dirname "$FERRY_BIN")/bench/ferry_kube_bench}
[ -x "$BENCH" ] || ninja -C "$(dirname "$FERRY_BIN")" ferry_kube_bench >/dev/null
KUBECTL=${FERRY_KUBECTL:-/opt/ferry/tools/kubectl}
COUNT=${BENCH_QUICK:+1000}; COUNT=${COUNT:-5000}
start_sim 100 --tls
W=$(mktemp -d)
trap 'stop_sim; rm -rf "$W"' EXIT
export SIM_TOKEN

# The simulator's raw capacity for the same request: wrk, after a warm-up that creates its objects.
wrk -t1 -c8 -d2s -s bench/lib/apply.lua "$SIM_URL" > /dev/null
raw=$(wrk -t1 -c8 -d5s -s bench/lib/apply.lua "$SIM_URL" | awk '/Requests\/sec/ { printf "%d", $2 }')
ferry=$("$BENCH" seed --kubeconfig "$SIM_KUBECONFIG" --count "$COUNT" --prefix ferry- --threads 8 |
  awk '/applies_per_second/ { print $2 }')

# kubectl: the same objects as files, 100 per file.
python3 - "$W/manifests" "$COUNT" <<'PY'
import os, sys
root, count = sys.argv[1], int(sys.argv[2])
os.makedirs(root)
for f in range(0, count, 100):
    with open(os.path.join(root, f"cm-{f:05d}.yaml"), "w") as out:
        for i in range(f, min(f + 100, count)):
            out.write(f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kubectl-{i}\n  namespace: default\n"
                      f"  labels:\n    ferry.dev/app: bench\ndata:\n  key: value-{i % 7}\n")
PY
start=$(date +%s.%N)
HOME=$W "$KUBECTL" --kubeconfig "$SIM_KUBECONFIG" apply --server-side --field-manager bench -f "$W/manifests" > /dev/null
end=$(date +%s.%N)
kubectl_rate=$(awk -v n="$COUNT" -v a="$start" -v b="$end" 'BEGIN { printf "%d", n / (b - a) }')

printf 'ROW\tkube: SSA applies/s, %s ConfigMaps (client, 8 threads)\t%s\tsim raw capacity (wrk, 8 conns) applies/s\t%s\tapplies/s\thigher\n' "$COUNT" "$ferry" "$raw"
printf 'ROW\tkube: SSA applies/s, %s ConfigMaps (client, 8 threads)\t%s\tkubectl apply --server-side -f DIR applies/s\t%s\tapplies/s\thigher\n' "$COUNT" "$ferry" "$kubectl_rate"
