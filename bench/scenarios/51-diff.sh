#!/usr/bin/env bash
# Issue #5: diff throughput on one core — 10,000 unchanged Deployments (desired vs their
# server-defaulted live copies with managedFields), against the same objects merely parsed
# from JSON text (the floor any comparison pays to see them at all), measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN_DIR=$(dirname "$FERRY_BIN")
[ -x "$BIN_DIR/bench/ferry_diff_bench" ] || ninja -C "$BIN_DIR" ferry_diff_bench >/dev/null
out=$("$BIN_DIR/bench/ferry_diff_bench")
diff=$(awk '/^diff_objects_per_second/ { print $2 }' <<< "$out")
parse=$(awk '/^parse_objects_per_second/ { print $2 }' <<< "$out")
printf 'ROW\tdiff: unchanged Deployments compared per second (one core)\t%s\tparsing the same live objects from JSON\t%s\tobjects/s\thigher\n' "$diff" "${parse:-0}"
