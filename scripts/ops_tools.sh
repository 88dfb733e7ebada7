#!/usr/bin/env bash
# Installs what the ops validation needs, idempotently, on a fresh Debian machine or a developer's:
#   - Prometheus and promtool (Debian's `prometheus` package; its service is not started)
#   - a venv under .local/venv-ops with kubernetes-validate (Kubernetes schemas) and check-jsonschema
#     (which ships the compose-spec JSON schema as `vendor.compose-spec`)
# Prints the venv's bin directory.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo/.local/venv-ops"

if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null; then
    echo "[ops-tools] installing prometheus (Debian package)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends prometheus >&2 || { apt-get update >&2 && apt-get install -y --no-install-recommends prometheus >&2; }
    # Debian's policy may start the packaged service: the tests run their own instance on their own port.
    if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then systemctl stop prometheus || true; fi
fi

if [ ! -x "$venv/bin/kubernetes-validate" ] || [ ! -x "$venv/bin/check-jsonschema" ]; then
    echo "[ops-tools] creating $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==1.37.0" "check-jsonschema==0.39.0" >&2
fi
echo "$venv/bin"
