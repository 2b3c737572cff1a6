#!/usr/bin/env bash
# Issue #6: `ferry controller` at scale against the simulator.
#  - 1,000 apps x 4 objects (Deployment, ServiceAccount, Service, Ingress: the Flux benchmark's
#    shape), cold: wall time until every app is Synced and Healthy (goal <= 30 s) and the
#    controller's peak RSS (goal <= 80 MiB), beside `kubectl apply --server-side` of the same
#    4,000 objects in the same run. Flux's published figures for this shape: 4 m 16 s, 175 MiB.
#  - Steady state: API requests and CPU over two refresh cycles with nothing changed (goal: 0
#    requests, <= 10% of one core).
#  - Restart: time until every app has status again.
# APPS=N overrides the app count (BENCH_QUICK=1: 200).
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib/sim.sh
. bench/lib/controller.sh
KUBECTL=${FERRY_KUBECTL:-/opt/ferry/tools/kubectl}
APPS=${APPS:-${BENCH_QUICK:+200}}; APPS=${APPS:-1000}
RESYNC=10
W=$(mktemp -d)
start_sim 100 --tls
CONTROLLER_PID=
cleanup() { [ -n "$CONTROLLER_PID" ] && kill "$CONTROLLER_PID" 2>/dev/null && wait "$CONTROLLER_PID" 2>/dev/null; stop_sim; rm -rf "$W"; }
trap cleanup EXIT
k() { HOME=$W "$KUBECTL" --kubeconfig "$SIM_KUBECONFIG" "$@"; }
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@ferry.dev GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@ferry.dev

python3 - "$W" "$APPS" <<'PY'
import os, sys
root, apps = sys.argv[1], int(sys.argv[2])
def objects(n, ns):
    return [
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {n}\n  namespace: {ns}\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: {n}\n  template:\n    metadata:\n      labels:\n        app: {n}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n",
        f"apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {n}\n  namespace: {ns}\n",
        f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {n}\n  namespace: {ns}\nspec:\n  selector:\n    app: {n}\n  ports:\n  - port: 80\n",
        f"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {n}\n  namespace: {ns}\nspec:\n  rules:\n  - host: {n}.example.com\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend:\n          service:\n            name: {n}\n            port:\n              number: 80\n",
    ]
os.makedirs(f"{root}/repo/apps")
os.makedirs(f"{root}/kubectl")
with open(f"{root}/applications.yaml", "w") as apps_file:
    for i in range(apps):
        n = f"app-{i:05d}"
        os.makedirs(f"{root}/repo/apps/{n}")
        for j, doc in enumerate(objects(n, "default")):
            open(f"{root}/repo/apps/{n}/{j}.yaml", "w").write(doc)
        open(f"{root}/kubectl/{n}.yaml", "w").write("---\n".join(objects("k-" + n, "kubectl")))
        apps_file.write(f"---\napiVersion: ferry.dev/v1alpha1\nkind: Application\nmetadata:\n  name: {n}\n  namespace: ferry\n"
                        f"spec:\n  source:\n    repoURL: file://{root}/repo.git\n    targetRevision: main\n    path: apps/{n}\n"
                        f"  destination:\n    server: https://kubernetes.default.svc\n    namespace: default\n"
                        f"  syncPolicy:\n    automated:\n      prune: true\n")
PY
git init -q -b main "$W/repo" && git -C "$W/repo" add -A && git -C "$W/repo" commit -qm apps
git clone -q --bare "$W/repo" "$W/repo.git"
k apply -f - > /dev/null <<'YAML'
apiVersion: v1
kind: Namespace
metadata: {name: ferry}
---
apiVersion: v1
kind: Namespace
metadata: {name: kubectl}
YAML

# Peer: kubectl applies the same 4 x N objects (in their own namespace).
start=$(date +%s.%N)
k apply --server-side -f "$W/kubectl" > /dev/null
kubectl_seconds=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')

start=$(date +%s.%N)
start_controller "$RESYNC"
k apply -f "$W/applications.yaml" > /dev/null
cold=$(wait_apps '^Synced/Healthy$' "$start")
peak_mib=$(peak_rss_mib "$CONTROLLER_PID")

# Steady state: two refresh cycles with nothing changed.
k create --raw /sim/stats/reset -f - <<< '{}' > /dev/null
t0=$(cpu_ticks "$CONTROLLER_PID"); s0=$(date +%s.%N)
sleep $((2 * RESYNC))
t1=$(cpu_ticks "$CONTROLLER_PID"); s1=$(date +%s.%N)
requests=$(api_requests)
cpu=$(cpu_percent "$t0" "$t1" "$s0" "$s1")

# Restart: every app has status again (it kept it on the CR; the new process must re-check).
restart_controller "$RESYNC"

printf 'ROW\tcontroller: %s apps x 4 objects, cold sync to Synced+Healthy\t%s\tkubectl apply --server-side of the same objects\t%s\ts\tlower\n' "$APPS" "$cold" "$kubectl_seconds"
printf 'ROW\tcontroller: peak RSS during that cold sync\t%s\tgoal (Flux measured 175 MiB)\t80\tMiB\tlower\n' "$peak_mib"
printf 'ROW\tcontroller: API requests over 2 idle refresh cycles (%s apps)\t%s\tgoal\t0\trequests\tlower\n' "$APPS" "$requests"
printf 'ROW\tcontroller: CPU over 2 idle refresh cycles (%s apps)\t%s\tgoal (%% of one core)\t10\t%%\tlower\n' "$APPS" "$cpu"
printf 'ROW\tcontroller: restart until every app has status (%s apps)\t%s\tcold sync\t%s\ts\tlower\n' "$APPS" "$RESTART" "$cold"
