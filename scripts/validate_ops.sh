#!/usr/bin/env bash
# Validates the deployment files without a Docker engine or a cluster:
#   - docker/prometheus/prometheus.yml and its rules with promtool (Debian's prometheus package);
#   - docker/compose.yaml against the compose-spec JSON schema (vendored in check-jsonschema);
#   - k8s/*.yaml core resources with kubernetes-validate --strict (Kubernetes' own schemas); KEDA's CRDs have
#     no schema there, so they are checked against k8s/schemas/keda.schema.json (a hand-written subset);
#   - cross-checks (scripts/check_ops_manifests.py): queues, PDBs, probes, grace periods, the gateway and its
#     Service, ConfigMap, Prometheus targets, dashboard metrics.
# Each validator is also run once on a deliberately broken copy, which must fail.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
bin="$(scripts/ops_tools.sh)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
fail() { echo "validate-ops: $*" >&2; exit 1; }
passed=0

promtool check config docker/prometheus/prometheus.yml >/dev/null || fail "promtool check config"
passed=$((passed + 1))
cp docker/prometheus/prometheus.yml "$scratch/prometheus.yml"
sed 's/scrape_interval: 5s/scrape_interval: five/' docker/prometheus/prometheus.yml >"$scratch/prometheus.yml"
cp docker/prometheus/rules.yml "$scratch/rules.yml"
! promtool check config "$scratch/prometheus.yml" >/dev/null 2>&1 || fail "promtool accepted a broken config"

"$bin/check-jsonschema" --builtin-schema vendor.compose-spec docker/compose.yaml >/dev/null || fail "compose-spec schema"
passed=$((passed + 1))
sed 's/^    stop_grace_period: 150s/    stop_grace_periods: 150s/' docker/compose.yaml >"$scratch/compose.yaml"
! "$bin/check-jsonschema" --builtin-schema vendor.compose-spec "$scratch/compose.yaml" >/dev/null 2>&1 \
    || fail "the compose-spec schema accepted an unknown key"

core=(k8s/namespace.yaml k8s/config.yaml k8s/secrets.example.yaml k8s/migrate-job.yaml k8s/workers.yaml k8s/gateway.yaml
      k8s/pdb.yaml)
"$bin/kubernetes-validate" --strict --quiet "${core[@]}" || fail "kubernetes-validate"
passed=$((passed + 1))
sed 's/terminationGracePeriodSeconds:/terminationGracePeriod:/' k8s/workers.yaml >"$scratch/workers.yaml"
! "$bin/kubernetes-validate" --strict --quiet "$scratch/workers.yaml" >/dev/null 2>&1 \
    || fail "kubernetes-validate accepted an unknown field"

"$bin/python" scripts/check_ops_manifests.py || fail "cross-checks"
passed=$((passed + 1))

echo "validate-ops: $passed passed, 0 failed"
