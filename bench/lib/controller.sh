# Shared by the controller scenarios. They define k() (kubectl on the simulator) and APPS.

seconds_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# write_configmap_apps DIR N: a git repo DIR/repo (committed, cloned bare to DIR/repo.git) with N
# apps of one ConfigMap each, and DIR/applications.yaml: N automated Applications of it.
write_configmap_apps() {
  python3 - "$1" "$2" <<'PY'
import os, sys
root, apps = sys.argv[1], int(sys.argv[2])
os.makedirs(f"{root}/repo/apps")
with open(f"{root}/applications.yaml", "w") as out:
    for i in range(apps):
        n = f"app-{i:05d}"
        os.makedirs(f"{root}/repo/apps/{n}")
        open(f"{root}/repo/apps/{n}/cm.yaml", "w").write(
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {n}\n  namespace: default\ndata:\n  k: v1\n")
        out.write(f"---\napiVersion: ferry.dev/v1alpha1\nkind: Application\nmetadata:\n  name: {n}\n  namespace: ferry\n"
                  f"spec:\n  source:\n    repoURL: file://{root}/repo.git\n    targetRevision: main\n    path: apps/{n}\n"
                  f"  destination:\n    server: https://kubernetes.default.svc\n    namespace: default\n"
                  f"  syncPolicy:\n    automated:\n      prune: true\n")
PY
  git init -q -b main "$1/repo" && git -C "$1/repo" add -A && git -C "$1/repo" commit -qm apps
  git clone -q --bare "$1/repo" "$1/repo.git"
}

# count_apps PATTERN: how many apps' "sync/health" match the grep pattern.
count_apps() {
  k get applications.ferry.dev -n ferry -o jsonpath='{range .items[*]}{.status.sync.status}/{.status.health.status}{"\n"}{end}' |
    grep -c "$1" || true
}

# wait_apps PATTERN START: seconds from START until APPS apps match, or "timeout" after 20 min.
wait_apps() {
  for _ in $(seq 1 2400); do
    [ "$(count_apps "$1")" -ge "$APPS" ] && { seconds_since "$2"; return 0; }
    sleep 0.5
  done
  echo "timeout"
}

# cpu_ticks PID: user + system clock ticks the process has used.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# peak_rss_mib PID
peak_rss_mib() { awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

# api_requests: requests the simulator answered since `k create --raw /sim/stats/reset`, watches aside.
api_requests() {
  k get --raw /sim/stats | python3 -c 'import json,sys; d=json.load(sys.stdin)["requests"]; print(sum(n for verb, by in d.items() if verb != "watch" for n in by.values()))'
}

# start_controller RESYNC_SECONDS: `ferry controller` on the simulator in the background, data in
# $W/data, log in $W/controller.log; sets CONTROLLER_PID and returns once it is ready.
start_controller() {
  "$FERRY_BIN" controller --kubeconfig "$SIM_KUBECONFIG" --namespace ferry --data-dir "$W/data" \
    --listen 127.0.0.1:0 --workers 16 --kube-qps 0 --resync-seconds "$1" --resync-jitter-seconds 0 \
    --health-poll-ms 200 --wave-delay-ms 0 > "$W/controller.log" 2>&1 &
  CONTROLLER_PID=$!
  for _ in $(seq 1 300); do grep -q "controller ready" "$W/controller.log" && return 0; sleep 0.1; done
  echo "bench: ferry controller did not start: $(cat "$W/controller.log")" >&2; return 1
}

# cpu_percent TICKS_BEFORE TICKS_AFTER START END: a process's CPU as % of one core between two
# cpu_ticks readings taken at the `date +%s.%N` times START and END.
cpu_percent() {
  awk -v t="$(($2 - $1))" -v hz="$(getconf CLK_TCK)" -v a="$3" -v b="$4" 'BEGIN { printf "%.1f", 100 * t / hz / (b - a) }'
}

# restart_controller RESYNC_SECONDS: stops the controller, touches every app (each keeps its
# status on the CR; the new process must check them all again) and starts a new one; sets
# RESTART to the seconds until every app is Synced and Healthy again.
restart_controller() {
  kill "$CONTROLLER_PID"; wait "$CONTROLLER_PID" 2>/dev/null || true
  k annotate applications.ferry.dev --all -n ferry ferry.dev/bench-restart=1 --overwrite > /dev/null
  local start
  start=$(date +%s.%N)
  start_controller "$1"
  RESTART=$(wait_apps '^Synced/Healthy$' "$start")
}
