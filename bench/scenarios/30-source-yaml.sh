#!/usr/bin/env bash
# Issue #4 benchmark: YAML stream -> JSON objects throughput on a 20 MB multi-document stream of
# Deployments, ConfigMaps and Services. Ferry: the document codec in-process (parse, List
# flattening, JSON dump). Peer: kubectl converting the same stream offline
# (`kubectl annotate --local -o json -f F`), wall time. BENCH_QUICK=1: 2 MB.
set -euo pipefail
cd "$(dirname "$0")/../.."
FERRY_BIN=${FERRY_BIN:-$PWD/build/ferry}
BENCH=${FERRY_SOURCE_BENCH:-$(dirname "$FERRY_BIN")/bench/ferry_source_bench}
[ -x "$BENCH" ] || ninja -C "$(dirname "$FERRY_BIN")" ferry_source_bench >/dev/null
KUBECTL=${FERRY_KUBECTL:-}
for candidate in "$KUBECTL" /opt/ferry/tools/kubectl /opt/ferry-tools/kubectl "$(command -v kubectl || true)"; do
  [ -n "$candidate" ] && [ -x "$candidate" ] && { KUBECTL=$candidate; break; }
done
if [ "${BENCH_QUICK:-0}" = 1 ]; then SIZE_MB=2; else SIZE_MB=20; fi

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
python3 - "$W/stream.yaml" "$SIZE_MB" <<'PY'
import sys
path, size = sys.argv[1], int(sys.argv[2]) * 1024 * 1024
out, n, total = [], 0, 0
while total < size:
    n += 1
    if n % 3 == 0:
        doc = f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-{n}
  namespace: team-{n % 17}
  labels: {{app: web-{n}, tier: "frontend", release: "2024.{n % 12}"}}
  annotations:
    note: "replicas: yes, but quoted"
spec:
  replicas: {n % 5 + 1}
  selector:
    matchLabels: {{app: web-{n}}}
  template:
    metadata:
      labels: {{app: web-{n}}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        args: ["--port=8080", "--verbose"]
        env:
        - {{name: ENABLED, value: "true"}}
        - {{name: RATIO, value: "0.75"}}
        ports: [{{containerPort: 8080, protocol: TCP}}]
        resources: {{requests: {{cpu: 100m, memory: 64Mi}}, limits: {{memory: 128Mi}}}}
"""
    elif n % 3 == 1:
        doc = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg-{n}\n  namespace: team-{n % 17}\ndata:\n" + \
              "".join(f"  key{k}: \"value {k} of {n}\"\n" for k in range(12)) + \
              "  script: |\n    #!/bin/sh\n    echo hello\n    exit 0\n"
    else:
        doc = f"""apiVersion: v1
kind: Service
metadata:
  name: svc-{n}
  namespace: team-{n % 17}
spec:
  selector: {{app: web-{n}}}
  ports:
  - {{name: http, port: 80, targetPort: 8080}}
  type: ClusterIP
"""
    out.append(doc)
    total += len(doc) + 4
open(path, "w").write("---\n".join(out))
PY

read -r _ bytes _ _ _ _ _ _ _ ferry_mbps < <("$BENCH" yaml2json "$W/stream.yaml")
t0=$(date +%s%N)
"$KUBECTL" annotate --local -f "$W/stream.yaml" ferry-bench=1 -o json > "$W/kubectl.json"
t1=$(date +%s%N)
kubectl_mbps=$(awk -v b="$bytes" -v a="$t0" -v c="$t1" 'BEGIN { printf "%.2f", b / 1e6 / ((c - a) / 1e9) }')
printf 'ROW\tsource: YAML -> JSON, %s MB stream\t%s\tkubectl annotate --local -o json\t%s\tMB/s\thigher\n' \
  "$SIZE_MB" "$ferry_mbps" "$kubectl_mbps"
