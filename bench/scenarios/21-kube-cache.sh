#!/usr/bin/env bash
# Issue #3: first sync of a ClusterCache holding 100,000 labelled ConfigMaps (paged LIST + WATCH)
# against `kubectl get configmaps -A -o json > /dev/null` in the same run, and the cache's resident
# memory per object against the objects' raw JSON bytes (goal <= 2.5x).
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib/sim.sh
BENCH=${FERRY_KUBE_BENCH:-$(dirname "$FERRY_BIN")/bench/ferry_kube_bench}
[ -x "$BENCH" ] || ninja -C "$(dirname "$FERRY_BIN")" ferry_kube_bench >/dev/null
KUBECTL=${FERRY_KUBECTL:-/opt/ferry/tools/kubectl}
COUNT=${BENCH_QUICK:+10000}; COUNT=${COUNT:-100000}
start_sim 100 --tls
W=$(mktemp -d)
trap 'stop_sim; rm -rf "$W"' EXIT

"$BENCH" seed --kubeconfig "$SIM_KUBECONFIG" --count "$COUNT" --prefix cached- --threads 8 > /dev/null
"$BENCH" cache --kubeconfig "$SIM_KUBECONFIG" > "$W/cache"
value() { awk -v k="$1" '$1 == k { print $2 }' "$W/cache"; }
start=$(date +%s.%N)
HOME=$W "$KUBECTL" --kubeconfig "$SIM_KUBECONFIG" get configmaps -A -o json > /dev/null
end=$(date +%s.%N)
kubectl_seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
objects=$(value objects)
per_object=$(awk -v r="$(value rss_delta_bytes)" -v n="$objects" 'BEGIN { printf "%d", r / n }')
raw_per_object=$(awk -v r="$(value raw_json_bytes)" -v n="$objects" 'BEGIN { printf "%d", r / n }')

printf 'ROW\tcache: first sync of %s ConfigMaps\t%.2f\tkubectl get configmaps -A -o json\t%s\ts\tlower\n' "$objects" "$(value sync_seconds)" "$kubectl_seconds"
printf 'ROW\tcache: resident bytes per cached object\t%s\tthe object'"'"'s raw JSON bytes\t%s\tbytes\tlower\n' "$per_object" "$raw_per_object"
