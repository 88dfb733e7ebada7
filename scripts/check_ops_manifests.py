"""Cross-checks of docker/ and k8s/ that no schema expresses. Run by scripts/validate_ops.sh with the
venv's Python (jsonschema and ruamel.yaml come with check-jsonschema).

- KEDA ScaledObjects and TriggerAuthentications against k8s/schemas/keda.schema.json (a subset of KEDA's CRDs);
- every ScaledObject targets a Deployment, scales it on the queue that Deployment consumes, and every
  Deployment has a ScaledObject (except the gateway, which consumes no queue) and a PodDisruptionBudget whose
  selector matches its pods; every pod runs its executable, is probed on /ready and /health on the metrics port;
- tier workers' terminationGracePeriodSeconds covers the query deadline the drain may wait for, the gateway's
  its preStop sleep and gateway.request_timeout_seconds (in compose too: stop_grace_period);
- the gateway listens on 0.0.0.0 in containers, and the Service tierflow-gateway selects its pods (only) and
  sends gateway.port to the container port gateway.port;
- the ConfigMap's pipeline.yaml is the repository's pipeline.yaml;
- compose has one service per worker kind and tier and the gateway, each with a replica count, and Prometheus
  scrapes them all on the metrics port;
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


def declared_port(container, port):
    """The container port a probe or Service port names (by name or number), if the container declares it."""
    ports = container.get("ports", [])
    if isinstance(port, str) and not port.isdigit():
        return next((p["containerPort"] for p in ports if p.get("name") == port), None)
    return int(port) if int(port) in [p["containerPort"] for p in ports] else None


def pre_stop_seconds(container):
    """How long a container's preStop hook sleeps (exec `sleep N` or the sleep action), 0 without one."""
    pre_stop = container.get("lifecycle", {}).get("preStop", {})
    command = pre_stop.get("exec", {}).get("command", [])
    if command[:1] == ["sleep"]:
        return float(command[1])
    return float(pre_stop.get("sleep", {}).get("seconds", 0))


def duration_seconds(text):
    """A compose duration (`75s`, `1m30s`, `2m`) in seconds; None if it is not one."""
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001, "us": 0.000001}
    parts = re.findall(r"(\d+(?:\.\d+)?)(h|ms|us|m|s)", str(text))
    if not parts or "".join(n + u for n, u in parts) != str(text):
        return None
    return sum(float(n) * units[u] for n, u in parts)


def published_target(port):
    """The container port of a compose `ports` entry (short `[ip:]host:container[/proto]` or long syntax)."""
    if isinstance(port, dict):
        return int(port["target"])
    return int(str(port).split("/")[0].rsplit(":", 1)[-1])


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
kinds = set(queue_of) | {"gateway"}   # the gateway consumes no shared queue (only its own reply queue)
gateway = pipeline.get("gateway", {})
request_timeout = float(gateway.get("request_timeout_seconds", 60))
gateway_port = int(gateway.get("port", 8080))
metrics_port = 9464   # TIERFLOW_METRICS_PORT in every container (docker/Dockerfile, compose, k8s)

deployments = {d["metadata"]["name"]: d for d in by_kind.get("Deployment", [])}
scaled = {s["spec"]["scaleTargetRef"]["name"]: s for s in by_kind.get("ScaledObject", [])}
pdbs = by_kind.get("PodDisruptionBudget", [])
check(
    set(deployments) == {f"tierflow-{k}" for k in kinds},
    f"one Deployment per kind and tier, and the gateway: {sorted(deployments)}")
for name, d in deployments.items():
    kind = name.removeprefix("tierflow-")
    pod = d["spec"]["template"]
    labels = pod["metadata"]["labels"]
    container = pod["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in container.get("env", [])}
    check(d["spec"]["selector"]["matchLabels"].items() <= labels.items(), f"{name}: selector matches its pods")
    so = scaled.get(name)
    if kind not in queue_of:
        check(so is None, f"{name}: no KEDA ScaledObject (it consumes no queue)")
    else:
        check(so is not None, f"{name}: has a KEDA ScaledObject")
    if so and kind in queue_of:
        queues = [t["metadata"].get("queueName") for t in so["spec"]["triggers"] if t["type"] == "rabbitmq"]
        batch = queue_of[kind].replace(f"{namespace}.", f"{namespace}.batch.", 1)
        check(queues == [queue_of[kind], batch], f"{name}: scales on {queue_of[kind]} and {batch}, not {queues}")
    check(
        any(p["spec"]["selector"]["matchLabels"].items() <= labels.items() for p in pdbs),
        f"{name}: a PodDisruptionBudget covers it")
    grace = pod["spec"].get("terminationGracePeriodSeconds", 30)
    if kind.startswith("worker-"):
        check(grace >= deadline + 10, f"{name}: grace {grace}s covers the drain (deadline {deadline}s + commit/publish)")
    if kind == "gateway":
        sleep = pre_stop_seconds(container)
        check(
            grace >= sleep + request_timeout + 10,
            f"{name}: grace {grace}s covers preStop {sleep}s + request timeout {request_timeout}s + spend write")
        check(env.get("TIERFLOW_GATEWAY_HOST") == "0.0.0.0", f"{name}: TIERFLOW_GATEWAY_HOST is 0.0.0.0")
        check(declared_port(container, gateway_port) == gateway_port, f"{name}: declares port {gateway_port}")
    command = container["command"] + container.get("args", [])
    expected = ["tierflow-worker"] if kind.startswith("worker-") else [f"tierflow-{kind}"]
    check(command[0] == expected[0], f"{name}: runs {expected[0]}")
    if kind.startswith("worker-"):
        check(command[command.index("--tier") + 1] == kind.removeprefix("worker-"), f"{name}: serves its tier")
    check(
        "--config" in command and command[command.index("--config") + 1:][:1] == ["/etc/tierflow/pipeline.yaml"],
        f"{name}: reads the mounted /etc/tierflow/pipeline.yaml")
    check(
        any(s.get("secretRef", {}).get("name") == "tierflow-secrets" for s in container.get("envFrom", [])),
        f"{name}: environment from the tierflow-secrets Secret")
    for probe, path in (("readinessProbe", "/ready"), ("livenessProbe", "/health")):
        get = container.get(probe, {}).get("httpGet", {})
        check(get.get("path") == path, f"{name}: {probe} on {path}")
        check(
            declared_port(container, get.get("port", 0)) == metrics_port,
            f"{name}: {probe} on the metrics port {metrics_port}")
    check(env.get("TIERFLOW_METRICS_PORT") == str(metrics_port), f"{name}: TIERFLOW_METRICS_PORT is {metrics_port}")
    check(
        pod["metadata"].get("annotations", {}).get("prometheus.io/port") == str(metrics_port),
        f"{name}: prometheus.io/port is {metrics_port}")

pod_labels = {name: d["spec"]["template"]["metadata"]["labels"] for name, d in deployments.items()}
k8s_services = {s["metadata"]["name"]: s for s in by_kind.get("Service", [])}
for name, service in k8s_services.items():
    selector = service["spec"].get("selector") or {}
    selected = sorted(n for n, labels in pod_labels.items() if selector and selector.items() <= labels.items())
    check(selected == [name], f"Service/{name} selects the pods of Deployment {name} only, not {selected}")
service = k8s_services.get("tierflow-gateway")
check(service is not None, "Service tierflow-gateway")
if service and "tierflow-gateway" in deployments:
    container = deployments["tierflow-gateway"]["spec"]["template"]["spec"]["containers"][0]
    check(service["spec"].get("type", "ClusterIP") == "ClusterIP", "Service/tierflow-gateway is a ClusterIP")
    check(
        any(
            p["port"] == gateway_port and declared_port(container, p.get("targetPort", p["port"])) == gateway_port
            for p in service["spec"]["ports"]),
        f"Service/tierflow-gateway: port {gateway_port} to the gateway's container port {gateway_port}")

config_maps = [c for c in by_kind.get("ConfigMap", []) if c["metadata"]["name"] == "tierflow-config"]
check(
    config_maps and config_maps[0]["data"]["pipeline.yaml"] == (root / "pipeline.yaml").read_text(),
    "k8s/config.yaml holds the repository's pipeline.yaml (regenerate it)")

compose = yaml.load((root / "docker" / "compose.yaml").read_text())
services = compose["services"]
shared_environment = compose["x-tierflow"]["environment"]
for kind in sorted(kinds):
    service = services.get(kind)
    check(service is not None, f"compose: service {kind}")
    if service:
        check("replicas" in service.get("deploy", {}), f"compose: {kind} has a replica count")
        expected = "tierflow-worker" if kind.startswith("worker-") else f"tierflow-{kind}"
        check(service.get("command", [None])[0] == expected, f"compose: {kind} runs {expected}")
        check(
            shared_environment.items() <= service.get("environment", {}).items(),
            f"compose: {kind} has the shared x-tierflow environment")
        grace = duration_seconds(service.get("stop_grace_period", "10s"))
        if kind.startswith("worker-"):
            check(grace is not None and grace >= deadline + 10, f"compose: {kind} stop_grace_period covers the deadline")
        if kind == "gateway":
            check(
                grace is not None and grace >= request_timeout + 10,
                f"compose: gateway stop_grace_period {service.get('stop_grace_period')} covers the request timeout")
            check(
                service.get("environment", {}).get("TIERFLOW_GATEWAY_HOST") == "0.0.0.0",
                "compose: gateway has TIERFLOW_GATEWAY_HOST=0.0.0.0")
            check(
                gateway_port in [published_target(p) for p in service.get("ports", [])],
                f"compose: gateway publishes port {gateway_port}")
for job in ("migrate", "setup"):
    check(services.get(job, {}).get("restart") == "no", f"compose: {job} is one-shot")
prometheus = yaml.load((root / "docker" / "prometheus" / "prometheus.yml").read_text())
scraped = {
    n for job in prometheus["scrape_configs"] for sd in job.get("dns_sd_configs", []) for n in sd["names"]
    if sd.get("port") == metrics_port}
check(scraped == kinds, f"Prometheus scrapes every worker service and the gateway on {metrics_port}: {sorted(scraped)}")

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
