#!/usr/bin/env bash
# Creates (once) the Python venv the gateway's client tests use: .venv-openai with the official `openai`
# package from PyPI. Idempotent: an existing venv that imports openai is reused. Prints the venv's python.
#   scripts/gateway_client_venv.sh            -> .venv-openai/bin/python
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${TIERFLOW_OPENAI_VENV:-$repo/.venv-openai}"
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import openai" 2>/dev/null; then
    echo "$venv/bin/python"
    exit 0
fi
python3 -m venv "$venv" >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "openai>=1.40,<3" >&2
"$venv/bin/python" -c "import openai; print('openai', openai.__version__)" >&2
echo "$venv/bin/python"
