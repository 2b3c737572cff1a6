#!/usr/bin/env bash
# Issue #9: several replicas sharing a PostgreSQL store (Debian's server on loopback).
#  - Failover: two replicas with --leader-elect and the default timings (lease 15 s, renew 10 s,
#    retry 2 s). A commit lands and the leader is SIGKILLed at once; the figure is the time until
#    the standby has applied that commit, beside the lease duration: a standby may not take over
#    before the Lease expires, so the duration is the floor.
#  - Scale-out: APPS apps (default 10,000; BENCH_QUICK=1: 1,000) x 1 ConfigMap, cold sync from
#    the moment the Applications are created until every app is Synced and Healthy, with 3
#    replicas sharing the apps (--shards 3) vs 1 replica, and the largest replica's peak RSS vs
#    the single replica's. Each run gets a fresh simulator and database. All replicas share this
#    machine's cores with the simulator and PostgreSQL, so the figure shows the cost of
#    coordination, not the gain of more machines.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib/sim.sh
. bench/lib/postgres.sh
. bench/lib/controller.sh
KUBECTL=${FERRY_KUBECTL:-/opt/ferry/tools/kubectl}
APPS=${APPS:-${BENCH_QUICK:+1000}}; APPS=${APPS:-10000}
W=$(mktemp -d)
PIDS=()
cleanup() {
  stop_replicas
  stop_sim || true
  stop_postgres
  rm -rf "$W"
}
trap cleanup EXIT
k() { HOME=$W "$KUBECTL" --kubeconfig "$SIM_KUBECONFIG" "$@"; }
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@ferry.dev GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@ferry.dev

start_postgres
write_configmap_apps "$W" "$APPS"

# start_replica NAME STORE_URL [flags...]: a controller in the background; its pid is appended to PIDS.
start_replica() {
  local name=$1 store=$2
  shift 2
  "$FERRY_BIN" controller --kubeconfig "$SIM_KUBECONFIG" --namespace ferry --data-dir "$W/data-$name" \
    --store "$store" --replica-id "$name" --listen 127.0.0.1:0 --workers 16 --kube-qps 0 \
    --resync-seconds 600 --health-poll-ms 200 --wave-delay-ms 0 --log-format text "$@" > "$W/$name.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 300); do grep -q "controller ready" "$W/$name.log" && return 0; sleep 0.1; done
  echo "bench: replica $name did not start: $(cat "$W/$name.log")" >&2; return 1
}
stop_replicas() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  PIDS=()
}
fresh_cluster() {
  stop_sim || true
  start_sim 100 --tls
  printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: ferry}\n' | k apply -f - > /dev/null
}

# ---- Failover ----
fresh_cluster
store=$(new_database failover)
start_replica leader "$store" --leader-elect
for _ in $(seq 1 100); do
  [ "$(k get lease ferry-controller-leader -n ferry -o jsonpath='{.spec.holderIdentity}' 2>/dev/null)" = leader ] && break
  sleep 0.1
done
start_replica standby "$store" --leader-elect
awk 'BEGIN { n = 0 } /^---$/ { n++ } n <= 1' "$W/applications.yaml" | k apply -f - > /dev/null  # app-00000
for _ in $(seq 1 300); do
  [ "$(k get configmap app-00000 -n default -o jsonpath='{.data.k}' 2>/dev/null)" = v1 ] && break
  sleep 0.1
done
sed -i 's/k: v1/k: v2/' "$W/repo/apps/app-00000/cm.yaml"
git -C "$W/repo" commit -qam v2 && git -C "$W/repo" push -q "$W/repo.git" main
k annotate applications.ferry.dev app-00000 -n ferry ferry.dev/refresh=normal --overwrite > /dev/null
start=$(date +%s.%N)
kill -9 "${PIDS[0]}"
failover=timeout
for _ in $(seq 1 1200); do
  [ "$(k get configmap app-00000 -n default -o jsonpath='{.data.k}')" = v2 ] && { failover=$(seconds_since "$start"); break; }
  sleep 0.1
done
stop_replicas

# ---- Scale-out: 1 replica, then 3 sharded replicas ----
cold_sync() {  # $1 = label, then replica count and flags; sets TOOK (s) and PEAK (MiB)
  local label=$1 replicas=$2
  shift 2
  fresh_cluster
  local store
  store=$(new_database "$label")
  for i in $(seq 1 "$replicas"); do start_replica "$label-$i" "$store" "$@"; done
  # Sharded: the clock starts once every replica holds its shard (replicas join one by one and
  # the first hands shards over as the others appear).
  for _ in $(seq 1 300); do
    [ "$replicas" -eq 1 ] && break
    holders=$(k get leases -n ferry -l ferry.dev/lease-group=ferry-controller \
      -o jsonpath='{range .items[*]}{.metadata.name} {.spec.holderIdentity}{"\n"}{end}' | grep -- '-shard-' |
      awk '$2 != "" { print $2 }' | sort -u | wc -l)
    [ "$holders" -eq "$replicas" ] && break
    sleep 0.2
  done
  local start
  start=$(date +%s.%N)
  k apply -f "$W/applications.yaml" > /dev/null
  TOOK=$(wait_apps '^Synced/Healthy$' "$start")
  local p r
  PEAK=0
  for p in "${PIDS[@]}"; do
    r=$(peak_rss_mib "$p")
    [ "$r" -gt "$PEAK" ] && PEAK=$r
  done
  stop_replicas
}
cold_sync single 1
one_time=$TOOK one_rss=$PEAK
cold_sync sharded 3 --shards 3
three_time=$TOOK three_rss=$PEAK

printf 'ROW\tha: failover, leader SIGKILLed -> standby applied the new commit\t%s\tlease duration (--leader-elect-lease-duration)\t15\ts\tlower\n' "$failover"
printf 'ROW\tha: %s apps cold sync, 3 sharded replicas\t%s\t1 replica, same store\t%s\ts\tlower\n' "$APPS" "$three_time" "$one_time"
printf 'ROW\tha: %s apps peak RSS of the largest of 3 sharded replicas\t%s\t1 replica\t%s\tMiB\tlower\n' "$APPS" "$three_rss" "$one_rss"
