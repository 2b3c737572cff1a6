#!/usr/bin/env bash
# Issue #4 benchmarks: fetching one new commit into a mirror of a 5,000-commit / 20 MB repo
# (Ferry's libgit2 mirror vs `git fetch` into a mirror copy), and the remote-ref check (Ferry vs
# `git ls-remote`). Both over `git daemon` on 127.0.0.1; wall time per process, median of rounds.
# BENCH_QUICK=1: 500 commits / 2 MB, 3 rounds.
set -euo pipefail
cd "$(dirname "$0")/../.."
FERRY_BIN=${FERRY_BIN:-$PWD/build/ferry}
BENCH=${FERRY_SOURCE_BENCH:-$(dirname "$FERRY_BIN")/bench/ferry_source_bench}
[ -x "$BENCH" ] || ninja -C "$(dirname "$FERRY_BIN")" ferry_source_bench >/dev/null
if [ "${BENCH_QUICK:-0}" = 1 ]; then COMMITS=500 SIZE_MB=2 ROUNDS=3; else COMMITS=5000 SIZE_MB=20 ROUNDS=7; fi

W=$(mktemp -d)
cleanup() {
  [ -f "$W/daemon.pid" ] && kill "$(cat "$W/daemon.pid")" 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@ferry.dev GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@ferry.dev

# An upstream with COMMITS commits, each adding one file of incompressible-ish text.
mkdir -p "$W/srv"
git init -q --bare -b main "$W/srv/repo.git"
python3 - "$COMMITS" "$SIZE_MB" <<'PY' | git -C "$W/srv/repo.git" fast-import --quiet
import base64, os, sys
commits, size_mb = int(sys.argv[1]), int(sys.argv[2])
per = size_mb * 1024 * 1024 // commits
out = sys.stdout.buffer
for i in range(1, commits + 1):
    body = base64.b64encode(os.urandom(per * 3 // 4))[:per] + b"\n"
    msg = b"commit %d\n" % i
    out.write(b"commit refs/heads/main\nmark :%d\ncommitter bench <bench@ferry.dev> %d +0000\n" % (i, 1700000000 + i))
    out.write(b"data %d\n%s" % (len(msg), msg))
    if i > 1:
        out.write(b"from :%d\n" % (i - 1))
    out.write(b"M 100644 inline d%02d/f%05d.txt\ndata %d\n%s\n" % (i % 100, i, len(body), body))
PY
git -C "$W/srv/repo.git" gc -q

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
git daemon --reuseaddr --export-all --detach --pid-file="$W/daemon.pid" --listen=127.0.0.1 --port="$PORT" \
  --base-path="$W/srv" "$W/srv"
URL=git://127.0.0.1:$PORT/repo.git
for _ in $(seq 1 100); do git ls-remote "$URL" >/dev/null 2>&1 && break; sleep 0.05; done

# Prime both mirrors with the whole history.
"$BENCH" fetch --data-dir "$W/ferry" --repo "$URL" >/dev/null
git clone -q --mirror "$URL" "$W/copy.git"
git clone -q "$W/srv/repo.git" "$W/work"

ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e6 }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

ferry_fetch=() git_fetch=()
for i in $(seq 1 "$ROUNDS"); do
  echo "round $i $(date +%s%N)" > "$W/work/round-$i.txt"
  git -C "$W/work" add -A && git -C "$W/work" commit -q -m "round $i" && git -C "$W/work" push -q origin main
  t0=$(date +%s%N); "$BENCH" fetch --data-dir "$W/ferry" --repo "$URL" > "$W/out"; t1=$(date +%s%N)
  grep -q '^fetched 1' "$W/out" || { echo "30-source-fetch: ferry did not fetch: $(cat "$W/out")" >&2; exit 1; }
  ferry_fetch+=("$(ms "$t0" "$t1")")
  t0=$(date +%s%N); git -C "$W/copy.git" fetch -q origin; t1=$(date +%s%N)
  git_fetch+=("$(ms "$t0" "$t1")")
done
ferry_ls=() git_ls=()
for _ in $(seq 1 "$ROUNDS"); do
  t0=$(date +%s%N); "$BENCH" ls-remote --repo "$URL" --rounds 1 >/dev/null; t1=$(date +%s%N)
  ferry_ls+=("$(ms "$t0" "$t1")")
  t0=$(date +%s%N); git ls-remote "$URL" >/dev/null; t1=$(date +%s%N)
  git_ls+=("$(ms "$t0" "$t1")")
done

f=$(printf '%s\n' "${ferry_fetch[@]}" | median); g=$(printf '%s\n' "${git_fetch[@]}" | median)
printf 'ROW\tsource: fetch 1 new commit (%s commits, %s MB)\t%s\tgit fetch\t%s\tms\tlower\n' "$COMMITS" "$SIZE_MB" "$f" "$g"
f=$(printf '%s\n' "${ferry_ls[@]}" | median); g=$(printf '%s\n' "${git_ls[@]}" | median)
printf 'ROW\tsource: remote-ref check\t%s\tgit ls-remote\t%s\tms\tlower\n' "$f" "$g"
