#!/usr/bin/env bash
# Issue #4 benchmarks: a render-cache hit for a 200-object app (goal < 1 ms), and `ferry render`
# of a Helm chart end to end (mirror check, private checkout, helm, parse, print) against
# `helm template` alone on the same chart (goal: overhead <= 10%). Medians; BENCH_QUICK=1 runs
# fewer rounds.
set -euo pipefail
cd "$(dirname "$0")/../.."
FERRY_BIN=${FERRY_BIN:-$PWD/build/ferry}
BENCH=${FERRY_SOURCE_BENCH:-$(dirname "$FERRY_BIN")/bench/ferry_source_bench}
[ -x "$BENCH" ] || ninja -C "$(dirname "$FERRY_BIN")" ferry_source_bench >/dev/null
FLOOR=$(dirname "$BENCH")/ferry_libgit2_floor
[ -x "$FLOOR" ] || ninja -C "$(dirname "$FERRY_BIN")" ferry_libgit2_floor >/dev/null
HELM=${FERRY_HELM:-}
for candidate in "$HELM" /opt/ferry/tools/helm /opt/ferry-tools/helm "$(command -v helm || true)"; do
  [ -n "$candidate" ] && [ -x "$candidate" ] && { HELM=$candidate; break; }
done
export FERRY_HELM=$HELM
if [ "${BENCH_QUICK:-0}" = 1 ]; then ROUNDS=5 HITS=500; else ROUNDS=15 HITS=5000; fi

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@ferry.dev GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@ferry.dev
git init -q -b main "$W/repo"

# A 200-object directory app: 20 files of 10 Deployments and ConfigMaps each.
mkdir -p "$W/repo/apps/big"
python3 - "$W/repo/apps/big" <<'PY'
import sys
root = sys.argv[1]
n = 0
for f in range(20):
    docs = []
    for i in range(10):
        n += 1
        if n % 2:
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
      containers:
      - name: web
        image: nginx:1.27
        ports: [{{containerPort: 80}}]
        resources: {{requests: {{cpu: 100m, memory: 64Mi}}, limits: {{memory: 128Mi}}}}
""")
        else:
            docs.append(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg-{n}\ndata:\n" +
                        "".join(f"  key{k}: value-{k}-{n}\n" for k in range(10)))
    open(f"{root}/file{f:02d}.yaml", "w").write("---\n".join(docs))
PY
mkdir -p "$W/repo/charts" && "$HELM" create "$W/repo/charts/web" >/dev/null
git -C "$W/repo" add -A && git -C "$W/repo" commit -q -m init

read -r _ objects _ miss_us _ hit_us < <("$BENCH" cache-hit --data-dir "$W/data" --repo "file://$W/repo" \
  --path apps/big --rounds "$HITS")
[ "$objects" = 200 ] || { echo "30-source-render: expected 200 objects, got $objects" >&2; exit 1; }
printf 'ROW\tsource: render-cache hit, 200-object app\t%s\tgoal (1 ms)\t1000\tus\tlower\n' "$hit_us"
printf 'ROW\tsource: render-cache miss vs hit, 200-object app\t%s\tcache hit\t%s\tus\tlower\n' "$miss_us" "$hit_us"

# Times come from bash's $EPOCHREALTIME: a `date` process per reading would add its own start to
# every interval.
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) * 1000 }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
"$FERRY_BIN" render --repo "file://$W/repo" --path charts/web --release-name web --data-dir "$W/data" > "$W/ferry.yaml"
"$HELM" template web "$W/repo/charts/web" --include-crds > "$W/helm.yaml"
ferry_t=() helm_t=() floor_t=()
for _ in $(seq 1 "$ROUNDS"); do
  t0=$EPOCHREALTIME; "$FLOOR"; t1=$EPOCHREALTIME
  floor_t+=("$(ms "$t0" "$t1")")
  t0=$EPOCHREALTIME
  "$FERRY_BIN" render --repo "file://$W/repo" --path charts/web --release-name web --data-dir "$W/data" >/dev/null
  t1=$EPOCHREALTIME
  ferry_t+=("$(ms "$t0" "$t1")")
  t0=$EPOCHREALTIME; HOME=$W "$HELM" template web "$W/repo/charts/web" --include-crds >/dev/null; t1=$EPOCHREALTIME
  helm_t+=("$(ms "$t0" "$t1")")
done
f=$(printf '%s\n' "${ferry_t[@]}" | median); h=$(printf '%s\n' "${helm_t[@]}" | median)
floor=$(printf '%s\n' "${floor_t[@]}" | median)
printf 'ROW\tsource: ferry render CLI of a Helm chart (helm create)\t%s\thelm template\t%s\tms\tlower\n' "$f" "$h"
# The floor under any process that reads git through libgit2 (a program that only loads and
# initialises it), against the same helm run: the 10% budget is gone before Ferry's own work.
printf 'ROW\tsource: floor, a process that only loads and inits libgit2\t%s\thelm template\t%s\tms\tlower\n' "$floor" "$h"
# The same render inside one long-lived process (the controller's path): no process start,
# no libgit2 initialisation (which parses the CA bundle, ~8 ms), per render.
read -r _ _ _ inproc < <("$BENCH" render-loop --data-dir "$W/data" --repo "file://$W/repo" --path charts/web \
  --release-name web --rounds "$ROUNDS")
printf 'ROW\tsource: Helm render in-process (ref check+checkout+helm+parse)\t%s\thelm template\t%s\tms\tlower\n' "$inproc" "$h"
