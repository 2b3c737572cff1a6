#!/usr/bin/env bash
# Issue #6: one `ferry controller` with 10,000 one-ConfigMap apps from one repo (BENCH_QUICK=1 or
# APPS=N: fewer), against the simulator.
#  - Cold sync: from creating the Applications until every app is Synced and Healthy (goal
#    <= 3 min; Argo CD's published figure: 8.5 min with 10 shards), beside `kubectl apply
#    --server-side` of the same ConfigMaps in the same run.
#  - Steady state over one refresh cycle of the default length (120 s; quick: 20 s) with nothing
#    changed: apps refreshed (ferry_reconciles_total; goal: every app), the controller's CPU (goal
#    <= 10% of one core) and the API requests it sent (goal 0).
#  - Restart: from starting a new process until every app shows Synced and Healthy again.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib/sim.sh
. bench/lib/controller.sh
KUBECTL=${FERRY_KUBECTL:-/opt/ferry/tools/kubectl}
APPS=${APPS:-${BENCH_QUICK:+1000}}; APPS=${APPS:-10000}
CYCLE=${BENCH_QUICK:+20}; CYCLE=${CYCLE:-120}
W=$(mktemp -d)
start_sim 100 --tls
CONTROLLER_PID=
cleanup() { [ -n "$CONTROLLER_PID" ] && kill "$CONTROLLER_PID" 2>/dev/null && wait "$CONTROLLER_PID" 2>/dev/null; stop_sim; rm -rf "$W"; }
trap cleanup EXIT
k() { HOME=$W "$KUBECTL" --kubeconfig "$SIM_KUBECONFIG" "$@"; }
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@ferry.dev GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@ferry.dev

write_configmap_apps "$W" "$APPS"
printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: ferry}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: kubectl}\n' |
  k apply -f - > /dev/null

# Peer: kubectl applies the same ConfigMaps (into their own namespace).
mkdir "$W/kubectl"
for f in "$W"/repo/apps/*/cm.yaml; do sed 's/namespace: default/namespace: kubectl/' "$f"; echo ---; done > "$W/kubectl/all.yaml"
start=$(date +%s.%N)
HOME=$W /usr/bin/time -f '%M' -o "$W/kubectl.rss" "$KUBECTL" --kubeconfig "$SIM_KUBECONFIG" apply --server-side \
  -f "$W/kubectl/all.yaml" > /dev/null
kubectl_seconds=$(seconds_since "$start")
kubectl_mib=$(awk '{ v = $1 } END { printf "%.0f", v / 1024 }' "$W/kubectl.rss")

reconciles() {
  local url
  url=$(grep -o 'http://127.0.0.1:[0-9]*' "$W/controller.log" | head -1)
  curl -s "$url/metrics" | awk '$1 == "ferry_reconciles_total" { print $2 }'
}

start=$(date +%s.%N)
start_controller "$CYCLE"
k apply -f "$W/applications.yaml" > /dev/null
cold=$(wait_apps '^Synced/Healthy$' "$start")
peak_mib=$(peak_rss_mib "$CONTROLLER_PID")

# Steady state: let the sync's own follow-up passes settle, then one whole cycle.
sleep 5
k create --raw /sim/stats/reset -f - <<< '{}' > /dev/null
r0=$(reconciles); t0=$(cpu_ticks "$CONTROLLER_PID"); s0=$(date +%s.%N)
sleep "$CYCLE"
r1=$(reconciles); t1=$(cpu_ticks "$CONTROLLER_PID"); s1=$(date +%s.%N)
requests=$(api_requests)
refreshed=$((r1 - r0))
cpu=$(cpu_percent "$t0" "$t1" "$s0" "$s1")

# Restart: the apps keep their status on the CR; the new process must check every one again.
restart_controller "$CYCLE"

printf 'ROW\tcontroller: %s one-ConfigMap apps, cold sync to Synced+Healthy\t%s\tkubectl apply --server-side of the same ConfigMaps\t%s\ts\tlower\n' "$APPS" "$cold" "$kubectl_seconds"
printf 'ROW\tcontroller: %s apps, cold sync\t%s\tgoal (Argo CD: 510 s with 10 shards)\t180\ts\tlower\n' "$APPS" "$cold"
printf 'ROW\tcontroller: peak RSS during that cold sync (%s apps)\t%s\tkubectl apply --server-side of the same ConfigMaps\t%s\tMiB\tlower\n' "$APPS" "$peak_mib" "$kubectl_mib"
printf 'ROW\tcontroller: apps refreshed in one %s s cycle, nothing changed\t%s\tapps\t%s\tapps\thigher\n' "$CYCLE" "$refreshed" "$APPS"
printf 'ROW\tcontroller: CPU over that cycle (%s apps)\t%s\tgoal (%% of one core)\t10\t%%\tlower\n' "$APPS" "$cpu"
printf 'ROW\tcontroller: API requests over that cycle (%s apps)\t%s\tgoal\t0\trequests\tlower\n' "$APPS" "$requests"
printf 'ROW\tcontroller: restart until every app is Synced+Healthy again (%s apps)\t%s\tcold sync\t%s\ts\tlower\n' "$APPS" "$RESTART" "$cold"
