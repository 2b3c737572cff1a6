#!/usr/bin/env bash
# Issue #7: the REST API and the webhook of a real `ferry controller`, against the simulator and
# a `git daemon` (git://) on loopback.
#  - Webhook -> applied: a 20-ConfigMap app (automated sync, prune); each run commits a change to
#    all 20, pushes, POSTs a signed GitHub push and times until the simulator shows all 20 new
#    values (goal p50 <= 300 ms, p99 <= 1 s). Peer, in the same run after each Ferry run: the
#    least work that applies the commit — `git fetch` into a bare mirror plus the 20 server-side
#    applies sent directly over one keep-alive connection.
#  - API: requests/s of GET /api/v1/applications with 1,000 apps (wrk, 4 connections, 10 s: one
#    answer takes ~0.4 s, so a short run counts few), beside the simulator listing the same 1,000
#    Application CRs, and 1,000 ConfigMaps, under the same load. The 999 apps beside the webhook app are created through
#    POST /api/v1/applications (4 threads).
#  - Webhook flood: 1,000 signed pushes to one repository in ~1 s: answers (all 202) and the
#    fetches they cause (goal: one per burst).
# RUNS=N overrides the latency runs (BENCH_QUICK=1: 20). Set BENCH_VERBOSE=1 for per-run lines.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib/sim.sh
KUBECTL=${FERRY_KUBECTL:-/opt/ferry/tools/kubectl}
RUNS=${RUNS:-${BENCH_QUICK:+20}}; RUNS=${RUNS:-100}
APPS=1000               # apps listed in the API benchmark (the webhook app + 999 more)
OBJECTS=20              # ConfigMaps in the webhook app
FLOOD=1000              # pushes in the flood
LOAD_SECONDS=${BENCH_QUICK:+5}; LOAD_SECONDS=${LOAD_SECONDS:-10}
SECRET=bench-webhook-secret
PASSWORD=bench-admin-password
PY=bench/lib/api_webhook.py
PYTHON=$(python3 -c 'import sys; print(sys.executable)')  # once: a pyenv shim costs seconds per start
W=$(mktemp -d)
CONTROLLER_PID= DAEMON_PID=
cleanup() {
  set +e
  [ -n "$CONTROLLER_PID" ] && kill "$CONTROLLER_PID" 2>/dev/null && wait "$CONTROLLER_PID" 2>/dev/null
  [ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
  stop_sim
  rm -rf "$W"
}
trap cleanup EXIT
trap "exit 130" INT TERM
start_sim 0 --tls
k() { HOME=$W "$KUBECTL" --kubeconfig "$SIM_KUBECONFIG" "$@"; }
export HOME=$W GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@ferry.dev GIT_COMMITTER_NAME=bench \
  GIT_COMMITTER_EMAIL=bench@ferry.dev GIT_CONFIG_NOSYSTEM=1

# The repository: hook/ holds the webhook app's 20 ConfigMaps, list/app-NNNN/ one each for the rest.
"$PYTHON" - "$W" "$OBJECTS" "$APPS" <<'PY'
import os, sys
root, objects, apps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(f"{root}/work/hook")
for i in range(objects):
    open(f"{root}/work/hook/cm-{i:02d}.yaml", "w").write(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i:02d}\ndata:\n  run: \"0\"\n")
for i in range(1, apps):
    n = f"app-{i:04d}"
    os.makedirs(f"{root}/work/list/{n}")
    open(f"{root}/work/list/{n}/cm.yaml", "w").write(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {n}\ndata:\n  key: value\n")
PY
git init -q -b main "$W/work" && git -C "$W/work" add -A && git -C "$W/work" commit -qm initial
mkdir -p "$W/srv" && git clone -q --bare "$W/work" "$W/srv/config.git"
git -C "$W/work" remote add origin "$W/srv/config.git"
git -C "$W/work" fetch -q origin && git -C "$W/work" branch -q -u origin/main

PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$(git --exec-path)/git-daemon" --export-all --base-path="$W/srv" --reuseaddr --listen=127.0.0.1 --port="$PORT" \
  "$W/srv" > "$W/daemon.log" 2>&1 &
DAEMON_PID=$!
REPO=git://127.0.0.1:$PORT/config.git
for _ in $(seq 1 100); do git ls-remote "$REPO" > /dev/null 2>&1 && break; sleep 0.05; done
git clone -q --mirror "$REPO" "$W/mirror.git"   # the peer's fetch target

printf '%s\n' "$PASSWORD" > "$W/admin.password"
printf 'webhook.github.secret: %s\n' "$SECRET" > "$W/settings.yaml"
"$FERRY_BIN" controller --kubeconfig "$SIM_KUBECONFIG" --namespace ferry --data-dir "$W/data" \
  --listen 127.0.0.1:0 --settings "$W/settings.yaml" --admin-password-file "$W/admin.password" \
  --workers 8 --kube-qps 0 --resync-seconds 3600 --resync-jitter-seconds 0 --health-poll-ms 100 \
  --wave-delay-ms 0 --log-format text > "$W/controller.log" 2>&1 &
CONTROLLER_PID=$!
for _ in $(seq 1 300); do grep -q "controller ready" "$W/controller.log" && break; sleep 0.1; done
BASE=$(grep -o 'ferry controller ready on http://127.0.0.1:[0-9]*' "$W/controller.log" | grep -o 'http://.*') ||
  { echo "bench: ferry controller did not start: $(cat "$W/controller.log")" >&2; exit 1; }
TOKEN=$("$PYTHON" "$PY" login "$BASE" "$PASSWORD")
k apply -f - > /dev/null <<'YAML'
apiVersion: v1
kind: Namespace
metadata: {name: ferry}
---
apiVersion: v1
kind: Namespace
metadata: {name: hook}
---
apiVersion: v1
kind: Namespace
metadata: {name: peer}
---
apiVersion: v1
kind: Namespace
metadata: {name: list}
---
apiVersion: v1
kind: Namespace
metadata: {name: peerlist}
YAML
app_yaml() {  # name path namespace automated
  printf -- '---\napiVersion: ferry.dev/v1alpha1\nkind: Application\nmetadata:\n  name: %s\n  namespace: ferry\n' "$1"
  printf 'spec:\n  source:\n    repoURL: %s\n    targetRevision: main\n    path: %s\n' "$REPO" "$2"
  printf '  destination:\n    server: https://kubernetes.default.svc\n    namespace: %s\n' "$3"
  [ "$4" = yes ] && printf '  syncPolicy:\n    automated:\n      prune: true\n'
  return 0
}
metric() { "$PYTHON" "$PY" metric "$BASE" "$@"; }

# 1. Webhook -> applied.
app_yaml hook hook hook yes | k apply -f - > /dev/null
"$PYTHON" - "$SIM_URL" "$SIM_TOKEN" "$OBJECTS" <<'PY' || { echo "bench: the webhook app never synced" >&2; exit 1; }
import sys; sys.path.insert(0, "bench/lib"); import api_webhook as b
sys.exit(0 if b.Sim(sys.argv[1], sys.argv[2]).wait_all("hook", int(sys.argv[3]), 0, 120) else 1)
PY
read -r fetch0 bursts0 <<< "$(metric 'ferry_git_requests_total{request="fetch"}' ferry_webhook_bursts_total)"
read -r p50 p99 peer50 peer99 failures <<< "$("$PYTHON" "$PY" latency "$BASE" "$SECRET" "$REPO" "$W/work" hook "$OBJECTS" \
  "$RUNS" "$SIM_URL" "$SIM_TOKEN" hook peer "$W/mirror.git" "$W/latency.json")"
read -r fetch1 bursts1 <<< "$(metric 'ferry_git_requests_total{request="fetch"}' ferry_webhook_bursts_total)"
echo "bench: webhook->applied over $RUNS runs: p50 $p50 ms, p99 $p99 ms (peer $peer50 / $peer99 ms);" \
  "$failures runs not applied; $((fetch1 - fetch0)) fetches, $((bursts1 - bursts0)) bursts" >&2
# Control: a push that no webhook announces must stay unapplied (the resync is an hour), so the
# runs above measured the webhook path, not a poll.
read -r unprompted control_ms <<< "$("$PYTHON" "$PY" control "$BASE" "$SECRET" "$REPO" "$W/work" hook "$OBJECTS" \
  "$SIM_URL" "$SIM_TOKEN" hook 3)"
echo "bench: control: a push without a webhook applied within 3 s: $unprompted; after the webhook: $control_ms ms" >&2
if [ "$failures" != 0 ] || awk -v p="$p50" 'BEGIN { exit !(p > 5000) }'; then
  echo "bench: slow or missing webhook syncs; app status: $("$PYTHON" "$PY" app "$BASE" "$TOKEN" hook)" >&2
  grep -E 'ferry_webhook|ferry_git' <(curl -s "$BASE/metrics") >&2 || true
fi

# 2. API: list 1,000 apps.
t_apps=$(date +%s.%N)
read -r created create_seconds <<< "$("$PYTHON" "$PY" create-apps "$BASE" "$TOKEN" "$REPO" 1 $((APPS - 1)) 4)"
echo "bench: POST /api/v1/applications created $created apps in $create_seconds s (4 threads)" >&2
# Wait (asking the simulator, not loading the API) until every app has a sync status and the
# controller's queue is empty, so the load below does not compete with first reconciles.
for _ in $(seq 1 600); do
  with_status=$(k get applications.ferry.dev -n ferry -o jsonpath='{range .items[*]}{.status.sync.status}{"\n"}{end}' | grep -c . || true)
  [ "$with_status" -ge "$APPS" ] && [ "$(metric ferry_workqueue_depth)" = 0 ] && break
  sleep 0.5
done
read -r listed with_status bytes <<< "$("$PYTHON" "$PY" count-apps "$BASE" "$TOKEN")"
[ "$listed" -ge "$APPS" ] || { echo "bench: the API lists $listed apps, not $APPS" >&2; exit 1; }
echo "bench: $APPS apps listed with status after $(awk -v a="$t_apps" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s" >&2
for i in $(seq 0 $((APPS - 1))); do  # the second peer's 1,000 objects: ConfigMaps in one namespace
  printf -- '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%04d\n  namespace: peerlist\ndata:\n  key: value\n' "$i"
done > "$W/cms.yaml"
k apply --server-side -f "$W/cms.yaml" > /dev/null
SIM_APPS=$SIM_URL/apis/ferry.dev/v1alpha1/namespaces/ferry/applications
SIM_CMS=$SIM_URL/api/v1/namespaces/peerlist/configmaps
sim_list() { curl -sk -H "Authorization: Bearer $SIM_TOKEN" "$1" | "$PYTHON" -c 'import json, sys; b = sys.stdin.buffer.read(); print(len(json.loads(b)["items"]), len(b))'; }
read -r sim_apps sim_apps_bytes <<< "$(sim_list "$SIM_APPS")"
read -r sim_cms sim_cms_bytes <<< "$(sim_list "$SIM_CMS")"
load() {  # name token url: wrk's requests/s; its whole output goes to stderr when it saw errors
  wrk -t1 -c4 -d"${LOAD_SECONDS}s" --timeout 10s -H "Authorization: Bearer $2" "$3" > "$W/wrk-$1.txt"
  [ -n "${BENCH_VERBOSE:-}" ] || grep -qE 'Non-2xx|Socket errors' "$W/wrk-$1.txt" && sed "s/^/bench: wrk $1: /" "$W/wrk-$1.txt" >&2
  awk '/Requests\/sec/ { printf "%.1f", $2 }' "$W/wrk-$1.txt"
}
api_rate=$(load api "$TOKEN" "$BASE/api/v1/applications")
sim_apps_rate=$(load sim-apps "$SIM_TOKEN" "$SIM_APPS")
sim_cms_rate=$(load sim-cms "$SIM_TOKEN" "$SIM_CMS")
echo "bench: list answers: Ferry API $listed apps in $bytes bytes; sim $sim_apps Applications in $sim_apps_bytes bytes," \
  "$sim_cms ConfigMaps in $sim_cms_bytes bytes" >&2

# 3. Webhook flood: one real commit, then 1,000 deliveries of its push.
read -r before after files <<< "$("$PYTHON" - "$W/work" "$OBJECTS" <<'PY'
import sys; sys.path.insert(0, "bench/lib"); import api_webhook as b
before, after, files = b.commit_all(sys.argv[1], "hook", int(sys.argv[2]), "flood")
print(before, after, ",".join(files))
PY
)"
read -r fetch0 bursts0 events0 <<< "$(metric 'ferry_git_requests_total{request="fetch"}' ferry_webhook_bursts_total ferry_webhook_events_total)"
read -r answered others flood_seconds <<< "$("$PYTHON" "$PY" flood "$BASE" "$SECRET" "$REPO" "$before" "$after" "$files" "$FLOOD" 8 1)"
"$PYTHON" - "$SIM_URL" "$SIM_TOKEN" "$OBJECTS" <<'PY' || echo "bench: the flood's commit was not applied within 60 s" >&2
import sys; sys.path.insert(0, "bench/lib"); import api_webhook as b
sys.exit(0 if b.Sim(sys.argv[1], sys.argv[2]).wait_all("hook", int(sys.argv[3]), "flood", 60) else 1)
PY
sleep 2  # let any straggling round finish before reading the counters
read -r fetch1 bursts1 events1 <<< "$(metric 'ferry_git_requests_total{request="fetch"}' ferry_webhook_bursts_total ferry_webhook_events_total)"
echo "bench: flood: $answered answered 202 (others: $others) in $flood_seconds s; events $((events1 - events0))," \
  "bursts $((bursts1 - bursts0)), fetches $((fetch1 - fetch0))" >&2

printf 'ROW\twebhook→applied p50 (%s ConfigMaps, %s runs)\t%s\tgit fetch + 20 SSA\t%s\tms\tlower\n' "$OBJECTS" "$RUNS" "$p50" "$peer50"
printf 'ROW\twebhook→applied p99 (%s ConfigMaps, %s runs)\t%s\tgit fetch + 20 SSA\t%s\tms\tlower\n' "$OBJECTS" "$RUNS" "$p99" "$peer99"
printf 'ROW\tAPI app list (1,000 apps), wrk 4 conns\t%s\tsim: list of the same 1,000 Application CRs (same load)\t%s\treq/s\thigher\n' "$api_rate" "$sim_apps_rate"
printf 'ROW\tAPI app list (1,000 apps), wrk 4 conns\t%s\tsim: list of 1,000 ConfigMaps (same load)\t%s\treq/s\thigher\n' "$api_rate" "$sim_cms_rate"
printf 'ROW\twebhook flood 1,000 events: answered\t%s\tevents sent\t%s\tevents\thigher\n' "$answered" "$FLOOD"
printf 'ROW\twebhook flood: fetches\t%s\tpushes\t%s\tfetches\tlower\n' "$((fetch1 - fetch0))" "$FLOOD"
