#!/usr/bin/env bash
# The whole test suite, on a fresh Debian machine or a developer's:
#   installs and starts the project-local RabbitMQ and PostgreSQL (scripts/services.sh), migrates the
#   database, builds every target (our targets treat warnings as errors) and runs every test, including
#   the live suites against the real broker and database; then the shortened fault-injection suite
#   (scripts/faults.sh --quick, on a broker and database of its own; docs/faults.md), which fails the run if
#   any query is lost, duplicated or unexpected, or any of its checks fails.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

scripts/services.sh start
eval "$(scripts/services.sh env)"
# From here on a crashed test or worker process leaves a core file; its backtraces are printed at the end.
source scripts/core_dumps.sh
core_dumps_enable
trap core_dumps_report EXIT
export TIERFLOW_LIVE_TESTS=1

swift build --build-tests
export TIERFLOW_BIN_DIR="$(swift build --show-bin-path)"
.build/debug/tierflow migrate --config pipeline.yaml
# Deployment files (compose, Kubernetes, Prometheus) against their schemas; installs Prometheus for the ops tests.
scripts/validate_ops.sh
swift test --skip-build "$@"
scripts/faults.sh --quick
