# Shared by bench scenarios: start `ferry sim` (plain HTTP, fixed token) on a free port.
# Sets SIM_PID, SIM_URL, SIM_TOKEN, SIM_KUBECONFIG; call stop_sim at exit.
start_sim() {
  SIM_DIR=$(mktemp -d)
  SIM_TOKEN=bench-token
  SIM_KUBECONFIG=$SIM_DIR/kubeconfig
  "$FERRY_BIN" sim --listen 127.0.0.1:0 --token "$SIM_TOKEN" --kubeconfig-out "$SIM_KUBECONFIG" \
    --ready-delay-ms "${1:-100}" "${@:2}" > "$SIM_DIR/log" 2>&1 &
  SIM_PID=$!
  for _ in $(seq 1 200); do grep -q ready "$SIM_DIR/log" 2>/dev/null && break; sleep 0.05; done
  SIM_URL=$(grep -o 'http[s]*://127.0.0.1:[0-9]*' "$SIM_DIR/log" | head -1)
  [ -n "$SIM_URL" ] || { echo "bench: ferry sim did not start: $(cat "$SIM_DIR/log")" >&2; return 1; }
}
stop_sim() {
  [ -n "${SIM_PID:-}" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
  rm -rf "${SIM_DIR:-/nonexistent}"
}
