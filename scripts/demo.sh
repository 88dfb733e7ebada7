#!/usr/bin/env bash
# The main job in one command, on a fresh Debian machine or a developer's:
#   installs and starts RabbitMQ and PostgreSQL (project-local, loopback), builds Tierflow, migrates the
#   database, declares the broker topology, imports the demo knowledge base, starts every worker (one
#   replica per tier), publishes the sample of SCADA fault events and operator questions in
#   examples/demo-events.jsonl, waits for every result and prints them with a summary; then stops the
#   workers (SIGTERM: they drain and exit). The services keep running: scripts/services.sh stop.
#
# Each tier uses the simulated backend unless its endpoint is set, e.g.
#   TIERFLOW_EDGE_ENDPOINT=http://127.0.0.1:11434 TIERFLOW_EDGE_MODEL=qwen2.5:0.5b scripts/demo.sh   (Ollama)
#   TIERFLOW_CLOUD_ENDPOINT=https://api.anthropic.com ANTHROPIC_API_KEY=... scripts/demo.sh
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
config="${TIERFLOW_CONFIG:-pipeline.yaml}"

scripts/services.sh start
eval "$(scripts/services.sh env)"

echo "[demo] building (first build takes a few minutes)" >&2
swift build 2>&1 | grep -E "error|warning:|Compiling|Build complete" | grep -v Compiling >&2 || true
bin="$(swift build --show-bin-path)"
[ -x "$bin/tierflow" ] || { echo "[demo] build failed" >&2; exit 1; }

"$bin/tierflow" config check "$config" >&2
"$bin/tierflow" migrate --config "$config" >&2
"$bin/tierflow" setup --config "$config" >&2
"$bin/tierflow" kb import --config "$config" examples/knowledge-base.jsonl >&2

logs="${TIERFLOW_STATE_DIR:-$repo/.local}/logs"
mkdir -p "$logs"
pids=()
stop_workers() {
    [ ${#pids[@]} -eq 0 ] && return
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
    pids=()
}
trap stop_workers EXIT
start() {
    local name="$1"; shift
    "$@" --config "$config" >"$logs/$name.log" 2>&1 &
    pids+=("$!")
}
start layer0 "$bin/tierflow-layer0"
start router "$bin/tierflow-router"
start evaluator "$bin/tierflow-evaluator"
for tier in $("$bin/tierflow" config tiers "$config"); do
    start "worker-$tier" "$bin/tierflow-worker" --tier "$tier"
done
echo "[demo] workers started (logs in $logs)" >&2

"$bin/tierflow" demo --config "$config" --events "${TIERFLOW_DEMO_EVENTS:-examples/demo-events.jsonl}"
