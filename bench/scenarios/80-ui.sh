#!/usr/bin/env bash
# The web UI (ui-static/) in Debian's Chromium with 1,000 apps: time until the list is
# interactive, time from a stream event to the badge changing, bytes of the first load — each
# beside a plain static HTML table / minimal live page measured in the same run (bench/ui/bench.mjs).
# Needs chromium and playwright-core (scripts/setup). APPS=N overrides the app count (BENCH_QUICK=1: 200).
set -euo pipefail
cd "$(dirname "$0")/../.."
exec node bench/ui/bench.mjs
