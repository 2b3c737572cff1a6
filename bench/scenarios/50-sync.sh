#!/usr/bin/env bash
# Issue #5: one sync of a 1,000-object app of mixed kinds (ConfigMaps, Secrets, Services,
# ServiceAccounts, Deployments) through Ferry's engine (compare, plan, server-side apply; one wave,
# so no health gate: as in Argo CD, the last wave's rollout is the app's health to report)
# against `kubectl apply --server-side -f DIR` of the same files to the same simulator
# (goal: >= 3x faster). The API requests a refresh of an unchanged app sends (goal: 0) are
# counted where refreshes read the watch cache, the controller: 60-controller.sh's idle rows.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib/sim.sh
BIN_DIR=$(dirname "$FERRY_BIN")
[ -x "$BIN_DIR/bench/ferry_sync_bench" ] || ninja -C "$BIN_DIR" ferry_sync_bench >/dev/null
KUBECTL=${FERRY_KUBECTL:-/opt/ferry/tools/kubectl}
COUNT=${BENCH_QUICK:+200}; COUNT=${COUNT:-1000}
W=$(mktemp -d)
start_sim 0 --tls
trap 'stop_sim; rm -rf "$W"' EXIT

python3 - "$W" "$COUNT" <<'PY'
import os, sys
root, count = sys.argv[1], int(sys.argv[2])
kinds = ["cm", "secret", "svc", "sa", "deploy"]
for prefix in ("ferry", "kubectl"):
    os.makedirs(f"{root}/{prefix}")
    docs = []
    for i in range(count):
        k, n = kinds[i % 5], f"{prefix}-{i}"
        if k == "cm":
            docs.append(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {n}\ndata:\n  k: v{i}\n")
        elif k == "secret":
            docs.append(f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {n}\nstringData:\n  password: p{i}\n")
        elif k == "svc":
            docs.append(f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {n}\nspec:\n  selector:\n    app: {n}\n"
                        f"  ports:\n  - port: 80\n    targetPort: 8080\n")
        elif k == "sa":
            docs.append(f"apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {n}\n")
        else:
            docs.append(f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {n}\nspec:\n  replicas: 1\n"
                        f"  selector:\n    matchLabels:\n      app: {n}\n  template:\n    metadata:\n      labels:\n"
                        f"        app: {n}\n    spec:\n      containers:\n      - name: c\n        image: nginx:1.27\n"
                        f"        resources:\n          requests:\n            cpu: 100m\n            memory: 64Mi\n")
    for f in range(0, count, 100):
        with open(f"{root}/{prefix}/part-{f:05d}.yaml", "w") as out:
            out.write("---\n".join(docs[f:f + 100]))
PY

ferry=$("$BIN_DIR/bench/ferry_sync_bench" --kubeconfig "$SIM_KUBECONFIG" --dir "$W/ferry" --app bench |
  awk '/sync_seconds/ { printf "%.2f", $2 }')
start=$(date +%s.%N)
HOME=$W "$KUBECTL" --kubeconfig "$SIM_KUBECONFIG" apply --server-side -f "$W/kubectl" > /dev/null
end=$(date +%s.%N)
kubectl_seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
printf 'ROW\tsync: one %s-object app (compare, plan, SSA)\t%s\tkubectl apply --server-side -f DIR\t%s\ts\tlower\n' "$COUNT" "$ferry" "$kubectl_seconds"
