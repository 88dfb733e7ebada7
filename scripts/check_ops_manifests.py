"""Cross-checks of docker/ and k8s/ that no schema expresses. Run by scripts/validate_ops.sh with the
venv's Python (jsonschema and ruamel.yaml come with check-jsonschema).

- KEDA ScaledObjects and TriggerAuthentications against k8s/schemas/keda.schema.json (a subset of KEDA's CRDs);
- every ScaledObject targets a Deployment, scales it on the queue that Deployment consumes, and every
  Deployment has a ScaledObject and a PodDisruptionBudget whose selector matches its pods;
- tier workers' terminationGracePeriodSeconds covers the query deadline the drain may wait for;
- the ConfigMap's pipeline.yaml is the repository's pipeline.yaml;
- compose has one service per worker kind and tier, each with a replica count, and Prometheus scrapes them all;
- every tierflow_* metric the dashboard and the alert rules use is one the code defines.
Prints one line per check; exits 1 on the first failure list."""
import json
import pathlib
import re
import sys

import jsonschema
from ruamel.yaml import YAML

root = pathlib.Path(__file__).resolve().parent.parent
yaml = YAML(typ="safe")
failures = []
checks = 0


def check(condition, message):
    global checks
    checks += 1
    if not condition:
        failures.append(message)


def documents(path):
    return [d for d in yaml.load_all(path.read_text()) if d]


k8s = root / "k8s"
resources = [d for path in sorted(k8s.glob("*.yaml")) for d in documents(path)]
by_kind = {}
for r in resources:
    by_kind.setdefault(r["kind"], []).append(r)

schema = json.loads((k8s / "schemas" / "keda.schema.json").read_text())
for r in by_kind.get("ScaledObject", []) + by_kind.get("TriggerAuthentication", []):
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(r), key=str)
    check(not errors, f"{r['kind']}/{r['metadata']['name']}: " + "; ".join(e.message for e in errors[:3]))

pipeline = yaml.load((root / "pipeline.yaml").read_text())
namespace = pipeline.get("namespace", "tierflow")
deadline = float(pipeline.get("ingest", {}).get("default_deadline_seconds", 120))
tiers = [t["name"] for t in pipeline["tiers"]]
queue_of = {"layer0": f"{namespace}.ingest", "router": f"{namespace}.router", "evaluator": f"{namespace}.evaluator"}
queue_of.update({f"worker-{t}": f"{namespace}.tier.{t}" for t in tiers})

deployments = {d["metadata"]["name"]: d for d in by_kind.get("Deployment", [])}
scaled = {s["spec"]["scaleTargetRef"]["name"]: s for s in by_kind.get("ScaledObject", [])}
pdbs = by_kind.get("PodDisruptionBudget", [])
check(set(deployments) == {f"tierflow-{k}" for k in queue_of}, f"one Deployment per kind and tier: {sorted(deployments)}")
for name, d in deployments.items():
    kind = name.removeprefix("tierflow-")
    pod = d["spec"]["template"]
    labels = pod["metadata"]["labels"]
    check(d["spec"]["selector"]["matchLabels"].items() <= labels.items(), f"{name}: selector matches its pods")
    so = scaled.get(name)
    check(so is not None, f"{name}: has a KEDA ScaledObject")
    if so:
        queues = [t["metadata"].get("queueName") for t in so["spec"]["triggers"] if t["type"] == "rabbitmq"]
        batch = queue_of[kind].replace(f"{namespace}.", f"{namespace}.batch.", 1)
        check(queues == [queue_of[kind], batch], f"{name}: scales on {queue_of[kind]} and {batch}, not {queues}")
    check(
        any(p["spec"]["selector"]["matchLabels"].items() <= labels.items() for p in pdbs),
        f"{name}: a PodDisruptionBudget covers it")
    grace = pod["spec"].get("terminationGracePeriodSeconds", 30)
    if kind.startswith("worker-"):
        check(grace >= deadline + 10, f"{name}: grace {grace}s covers the drain (deadline {deadline}s + commit/publish)")
    command = pod["spec"]["containers"][0]["command"] + pod["spec"]["containers"][0].get("args", [])
    expected = ["tierflow-worker"] if kind.startswith("worker-") else [f"tierflow-{kind}"]
    check(command[0] == expected[0], f"{name}: runs {expected[0]}")
    if kind.startswith("worker-"):
        check(command[command.index("--tier") + 1] == kind.removeprefix("worker-"), f"{name}: serves its tier")
    probes = pod["spec"]["containers"][0]
    check(probes["readinessProbe"]["httpGet"]["path"] == "/ready", f"{name}: readiness on /ready")
    check(probes["livenessProbe"]["httpGet"]["path"] == "/health", f"{name}: liveness on /health")

config_maps = [c for c in by_kind.get("ConfigMap", []) if c["metadata"]["name"] == "tierflow-config"]
check(
    config_maps and config_maps[0]["data"]["pipeline.yaml"] == (root / "pipeline.yaml").read_text(),
    "k8s/config.yaml holds the repository's pipeline.yaml (regenerate it)")

compose = yaml.load((root / "docker" / "compose.yaml").read_text())
services = compose["services"]
for kind in queue_of:
    service = services.get(kind)
    check(service is not None, f"compose: service {kind}")
    if service:
        check("replicas" in service.get("deploy", {}), f"compose: {kind} has a replica count")
for job in ("migrate", "setup"):
    check(services.get(job, {}).get("restart") == "no", f"compose: {job} is one-shot")
prometheus = yaml.load((root / "docker" / "prometheus" / "prometheus.yml").read_text())
scraped = {n for job in prometheus["scrape_configs"] for sd in job.get("dns_sd_configs", []) for n in sd["names"]}
check(scraped == set(queue_of), f"Prometheus scrapes every worker service: {sorted(scraped)}")

catalog = (root / "Sources" / "TierflowMetrics" / "MetricCatalog.swift").read_text()
defined = set(re.findall(r'"(tierflow_[a-z0-9_]+)"', catalog))
used_text = (root / "docker" / "grafana" / "dashboards" / "tierflow.json").read_text()
used_text += (root / "docker" / "prometheus" / "rules.yml").read_text()
json.loads((root / "docker" / "grafana" / "dashboards" / "tierflow.json").read_text())
used = {re.sub(r"_(bucket|count|sum)$", "", m) for m in re.findall(r"\b(tierflow_[a-z0-9_]+)", used_text)}
check(used, "the dashboard uses Tierflow metrics")
for metric in sorted(used - defined):
    check(False, f"dashboard/rules use {metric}, which no code defines")

for message in failures:
    print(f"FAIL {message}")
print(f"ops manifests: {checks - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
