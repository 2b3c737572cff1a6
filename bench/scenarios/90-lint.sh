#!/usr/bin/env bash
# Issue 10 benchmark: the policy gates' cost per 1,000 rendered objects against the render of
# the same app (goal: lint under 5% of the render). The app is a 1,000-object directory app
# (400 Deployments, 200 Services, 400 ConfigMaps; some Deployments break rules); the render is
# the cheapest Ferry does — ref check, private checkout, YAML parse, no Helm — so the ratio is a
# worst case. Every check runs (`strict`). Medians; BENCH_QUICK=1 runs fewer rounds.
set -euo pipefail
cd "$(dirname "$0")/../.."
FERRY_BIN=${FERRY_BIN:-$PWD/build/ferry}
BENCH=${FERRY_POLICY_BENCH:-$(dirname "$FERRY_BIN")/bench/ferry_policy_bench}
[ -x "$BENCH" ] || ninja -C "$(dirname "$FERRY_BIN")" ferry_policy_bench >/dev/null
if [ "${BENCH_QUICK:-0}" = 1 ]; then ROUNDS=3; else ROUNDS=11; fi

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@ferry.dev GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@ferry.dev
git init -q -b main "$W/repo"
mkdir -p "$W/repo/apps/big"
python3 - "$W/repo/apps/big" <<'PY'
import sys
root = sys.argv[1]
digest = "sha256:" + "0123456789abcdef" * 4
for f in range(50):
    docs = []
    for i in range(20):
        n = f * 20 + i
        if n % 5 < 2:  # 400 Deployments; every 10th with :latest, every 7th without probes
            image = "nginx:latest" if n % 10 == 0 else f"ghcr.io/example/web:1.{n}.0@{digest}"
            probes = "" if n % 7 == 0 else """
        readinessProbe: {httpGet: {path: /ready, port: 8080}}
        livenessProbe: {httpGet: {path: /healthz, port: 8080}}"""
            docs.append(f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-{n}
  labels: {{app: web-{n}, tier: frontend}}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: web-{n}}}
  template:
    metadata:
      labels: {{app: web-{n}}}
    spec:
      automountServiceAccountToken: false
      securityContext: {{runAsNonRoot: true, runAsUser: 10001}}
      containers:
      - name: web
        image: {image}
        ports: [{{containerPort: 8080}}]
        env:
        - {{name: LOG_LEVEL, value: info}}
        - {{name: DB_PASSWORD, valueFrom: {{secretKeyRef: {{name: db, key: password}}}}}}{probes}
        resources: {{requests: {{cpu: 100m, memory: 64Mi}}, limits: {{cpu: "1", memory: 128Mi}}}}
""")
        elif n % 5 == 2:  # 200 Services
            docs.append(f"""apiVersion: v1
kind: Service
metadata:
  name: web-{n}
spec:
  selector: {{app: web-{n}}}
  ports: [{{port: 80, targetPort: 8080}}]
""")
        elif n % 5 == 3:  # 400 ConfigMaps in two shapes
            docs.append(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg-{n}\ndata:\n" +
                        "".join(f"  key{k}: value-{k}-{n}\n" for k in range(10)))
        else:
            docs.append(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra-{n}\ndata:\n  API_URL: https://api.example.com\n")
    open(f"{root}/file{f:02d}.yaml", "w").write("---\n".join(docs))
PY
git -C "$W/repo" add -A && git -C "$W/repo" commit -q -m init

read -r _ objects _ findings _ render_ms _ lint_ms < <("$BENCH" --data-dir "$W/data" --repo "file://$W/repo" \
  --path apps/big --rounds "$ROUNDS" --policy strict)
[ "$objects" = 1000 ] || { echo "90-lint: expected 1000 objects, got $objects" >&2; exit 1; }
[ "$findings" -gt 0 ] || { echo "90-lint: expected findings on the rule-breaking objects" >&2; exit 1; }
per_1000=$(awk -v l="$lint_ms" -v n="$objects" 'BEGIN { printf "%.3f", l * 1000 / n }')
goal=$(awk -v r="$render_ms" -v n="$objects" 'BEGIN { printf "%.3f", 0.05 * r * 1000 / n }')
render=$(awk -v r="$render_ms" 'BEGIN { printf "%.2f", r }')
printf 'ROW\tlint: policy gates per 1,000 rendered objects (strict, %s findings)\t%s\tgoal (5%% of render)\t%s\tms\tlower\n' \
  "$findings" "$per_1000" "$goal"
printf 'ROW\tlint: policy gates vs uncached render of the same 1,000-object app\t%s\trender (ref check+checkout+parse)\t%s\tms\tlower\n' \
  "$(awk -v l="$lint_ms" 'BEGIN { printf "%.3f", l }')" "$render"
