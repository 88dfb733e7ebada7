#!/usr/bin/env bash
# The fault-injection suite (docs/faults.md) on a RabbitMQ and PostgreSQL of its own.
#
#   scripts/faults.sh [--quick] [--scenario NAME ...] [--report FILE]
#
# Its scenarios stop, block and restart the broker and the database, so it never uses the shared instance
# of scripts/services.sh: it starts a second one under .local/faults (node tierflow-faults@localhost, AMQP
# 5698, distribution 25698, management 15698, PostgreSQL 5498; override with the TIERFLOW_FAULTS_* variables),
# with passwords made up for this run (the secret scan looks for them), migrates it, builds, runs the suite,
# writes the report (RELIABILITY.md by default; --quick writes .local/faults/RELIABILITY-quick.md unless
# --report is given) and stops the instance. Exits non-zero if any lost/duplicated/unexpected count is not
# 0 or any check fails.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

quick=0
report=""
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1; args+=("--quick") ;;
        --report) report="$2"; shift ;;
        *) args+=("$1") ;;
    esac
    shift
done
if [ -z "$report" ]; then
    if [ "$quick" -eq 1 ]; then report=".local/faults/RELIABILITY-quick.md"; else report="RELIABILITY.md"; fi
fi

export TIERFLOW_STATE_DIR="${TIERFLOW_FAULTS_STATE_DIR:-$repo/.local/faults}"
export TIERFLOW_AMQP_PORT="${TIERFLOW_FAULTS_AMQP_PORT:-5698}"
export TIERFLOW_AMQP_DIST_PORT="${TIERFLOW_FAULTS_AMQP_DIST_PORT:-25698}"
export TIERFLOW_AMQP_MGMT_PORT="${TIERFLOW_FAULTS_AMQP_MGMT_PORT:-15698}"
export TIERFLOW_PG_PORT="${TIERFLOW_FAULTS_PG_PORT:-5498}"
export TIERFLOW_RABBIT_NODE="${TIERFLOW_FAULTS_RABBIT_NODE:-tierflow-faults@localhost}"
# Recognisable passwords for this run: the suite's secret scan looks for them in every log and the hop log.
canary="$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export TIERFLOW_AMQP_ADMIN_PASSWORD="faults-amqp-admin-canary-$canary"
export TIERFLOW_AMQP_WORKER_PASSWORD="faults-amqp-worker-canary-$canary"
export TIERFLOW_PG_OWNER_PASSWORD="faults-pg-owner-canary-$canary"
export TIERFLOW_PG_WORKER_PASSWORD="faults-pg-worker-canary-$canary"
mkdir -p "$TIERFLOW_STATE_DIR"

stop_instance() { scripts/services.sh stop >/dev/null 2>&1 || true; }
trap stop_instance EXIT

scripts/services.sh start
eval "$(scripts/services.sh env)"
# Whatever the caller had, the suite's variables are the instance's.
unset TIERFLOW_FAULT_CRASH

swift build
bin="$(swift build --show-bin-path)"
"$bin/tierflow" migrate --config pipeline.yaml

logs="$TIERFLOW_STATE_DIR/logs"
rm -rf "$logs"
mkdir -p "$logs" "$(dirname "$report")"
set +e
"$bin/tierflow" faults run --config pipeline.yaml --log-level notice --bin-dir "$bin" --logs "$logs" \
    --report "$report" ${args[@]+"${args[@]}"} 2> >(tee "$logs/suite.log" >&2)
status=$?
set -e
echo "[faults] report: $report (worker logs: $logs)"
exit $status
