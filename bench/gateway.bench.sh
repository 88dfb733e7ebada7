#!/usr/bin/env bash
# tierflow-gateway against LiteLLM's proxy, same machine, same mock backend, same load generator, same run.
#   bash bench/gateway.bench.sh BIN_DIR      (bench/run.sh passes the release bin dir)
# Every tier of the pipeline, and LiteLLM's one model, point at nginx returning a fixed chat completion on
# loopback. wrk (one thread, a fixed number of connections) posts OpenAI chat requests with a different
# question each time (so no cache can answer) through each gateway, at each connection count; LiteLLM is
# measured at each worker setting too, and each gateway's best setting is compared. Bounded in time (about
# 6-10 minutes: each measurement first waits up to 45 s for the load average to settle), loopback only, stops by itself.
# Prints RESULT lines and a final `SECTION …` line that bench/render.py appends to BENCHMARKS.md.
# Environment: GW_BENCH_SECONDS (20), GW_BENCH_CONNECTIONS ("32 128"), GW_BENCH_LITELLM_WORKERS ("1 2").
set -euo pipefail
bin="$(cd "${1:?usage: gateway.bench.sh BIN_DIR}" && pwd)"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
seconds="${GW_BENCH_SECONDS:-20}"
connection_counts="${GW_BENCH_CONNECTIONS:-32 128}"
litellm_workers="${GW_BENCH_LITELLM_WORKERS-1 2}"
mock_port=18431 gateway_port=18432 litellm_port=18433
work="$(mktemp -d /tmp/tierflow-gwbench.XXXXXX)"
chmod 755 "$work"
pids=()    # every process this script starts leads its own process group (setsid), so its children go with it
log() { echo "[gateway-bench] $*" >&2; }
stop_group() {  # pid: TERM its process group, then KILL what is left
    kill -TERM -- "-$1" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 -- "-$1" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL -- "-$1" 2>/dev/null || true
}
cleanup() {  # a failed run keeps its work directory (configuration, logs); the logs that explain a skip are printed
    local status=$?
    for pid in "${pids[@]}"; do stop_group "$pid"; done
    if [ "$status" -eq 0 ]; then rm -rf "$work"; else log "kept $work"; fi
}
trap cleanup EXIT
skip() {  # reason: report why the benchmark could not run, without failing bench/run.sh
    log "$1"
    echo "SECTION ## OpenAI-compatible gateway against LiteLLM's proxy\\n\\nNot measured in this run: $1"
    exit 0
}
port_free() {  # port: refuse to measure whatever else may already listen there
    if ss -ltn "sport = :$1" | grep -q LISTEN; then
        skip "port $1 was already in use on this machine; stop what listens there and run it again."
    fi
}
for port in $mock_port $gateway_port $litellm_port; do port_free "$port"; done

# --- Tools: nginx and wrk from Debian, LiteLLM's proxy from PyPI in .venv-litellm --------------------------
need_apt=()
command -v nginx >/dev/null || need_apt+=(nginx-light)
command -v wrk >/dev/null || need_apt+=(wrk)
if [ ${#need_apt[@]} -gt 0 ]; then
    log "installing ${need_apt[*]}"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"; } >&2 ||
        skip "could not install ${need_apt[*]} from Debian's packages."
fi
venv="$repo/.venv-litellm"
if ! "$venv/bin/python" -c "import litellm.proxy.proxy_server" 2>/dev/null; then
    log "installing litellm[proxy] into $venv"
    { python3 -m venv "$venv" && "$venv/bin/pip" install --quiet --disable-pip-version-check 'litellm[proxy]'; } >&2 ||
        skip "could not install litellm[proxy] from PyPI into .venv-litellm."
fi
litellm_version="$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("litellm"))')"

wait_http() {  # url, seconds
    for _ in $(seq 1 $(($2 * 10))); do
        curl -s -o /dev/null -m 1 "$1" && return 0
        sleep 0.1
    done
    return 1
}

# --- The mock backend: nginx answering every request with one fixed chat completion -----------------------
completion='{"id":"chatcmpl-mock","object":"chat.completion","created":1700000000,"model":"mock-model","choices":[{"index":0,"message":{"role":"assistant","content":"Check the suction strainer and the NPSH margin: cavitation starts when the inlet pressure falls below the vapour pressure."},"logprobs":{"content":[{"token":"Check","logprob":-0.01,"bytes":[67,104,101,99,107],"top_logprobs":[]},{"token":" the","logprob":-0.02,"bytes":[32,116,104,101],"top_logprobs":[]},{"token":" suction","logprob":-0.05,"bytes":[32,115,117,99,116,105,111,110],"top_logprobs":[]}]},"finish_reason":"stop"}],"usage":{"prompt_tokens":24,"completion_tokens":26,"total_tokens":50}}'
mkdir -p "$work/nginx"
cat >"$work/nginx.conf" <<EOF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    server {
        listen 127.0.0.1:$mock_port;
        location / { default_type application/json; return 200 '$completion'; }
    }
}
EOF
setsid nginx -c "$work/nginx.conf" -p "$work/nginx" -g 'daemon off;' 2>>"$work/nginx/error.log" &
pids+=($!)
wait_http "http://127.0.0.1:$mock_port/v1/chat/completions" 10 || { cat "$work/nginx/error.log" >&2; skip "nginx (the mock backend) did not start."; }
[ "$(curl -s -X POST "http://127.0.0.1:$mock_port/v1/chat/completions" -d '{}')" = "$completion" ] || skip "the mock backend answered something else than the fixed completion."

# --- The load: wrk posting a new question each time, printing one JSON line ---------------------------------
cat >"$work/load.lua" <<'EOF'
local counter = 0
local key = os.getenv("BENCH_KEY")
local model = os.getenv("BENCH_MODEL")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. key
request = function()
    counter = counter + 1
    local body = '{"model":"' .. model .. '","messages":[{"role":"user","content":"Pump P-' .. counter ..
        ' on line 2 shows a falling discharge pressure and a rattling noise. What should the operator check first?"}]}'
    return wrk.format(nil, "/v1/chat/completions", nil, body)
end
done = function(summary, latency, requests)
    local e = summary.errors
    io.write(string.format('WRK {"requests":%d,"duration_us":%d,"socket_errors":%d,"non2xx":%d,' ..
        '"p50_us":%d,"p90_us":%d,"p99_us":%d,"mean_us":%.1f}\n', summary.requests, summary.duration,
        e.connect + e.read + e.write + e.timeout, e.status, latency:percentile(50), latency:percentile(90),
        latency:percentile(99), latency.mean))
end
EOF
cpu_ticks() {  # [--infra] PGID...: CPU ticks used so far by those process groups (and RabbitMQ and PostgreSQL)
    python3 - "$@" <<'PY'
import os, sys
args = sys.argv[1:]
infra = "--infra" in args
groups = {a for a in args if a != "--infra"}
total = 0
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        text = open(f"/proc/{pid}/stat").read()
    except OSError:
        continue
    comm, rest = text[text.index("(") + 1:text.rindex(")")], text[text.rindex(")") + 2:].split()
    if rest[2] in groups or (infra and comm in ("beam.smp", "postgres")):
        total += int(rest[11]) + int(rest[12])
print(total)
PY
}
settle() {  # wait (at most 45 s) for the 1-minute load average to fall below 2, so every setting starts alike
    for _ in $(seq 1 45); do
        awk '{ exit !($1 < 2.0) }' /proc/loadavg && return 0
        sleep 1
    done
}
measure() {  # name, connections, port, key, model, cpu_ticks args -> prints the WRK json with load and CPU used
    local name="$1" connections="$2" port="$3" load before after
    settle
    BENCH_KEY="$4" BENCH_MODEL="$5" wrk -t1 -c"$connections" -d3s -s "$work/load.lua" "http://127.0.0.1:$port" >/dev/null 2>&1 || true
    load="$(cut -d' ' -f1 /proc/loadavg)"
    before="$(cpu_ticks "${@:6}")"
    BENCH_KEY="$4" BENCH_MODEL="$5" wrk -t1 -c"$connections" -d"${seconds}s" --timeout 10s -s "$work/load.lua" \
        "http://127.0.0.1:$port" >"$work/$name-$connections.wrk" 2>&1 || true
    after="$(cpu_ticks "${@:6}")"
    grep '^WRK ' "$work/$name-$connections.wrk" |
        sed "s/^WRK {/{\"connections\":$connections,\"load_before\":$load,\"cpu_ticks\":$((after - before)),\"ticks_per_s\":$(getconf CLK_TCK),/"
}

# --- Tierflow: the whole pipeline (5 hops, every hop logged to PostgreSQL) behind tierflow-gateway ----------
scripts/services.sh start >&2
eval "$(scripts/services.sh env)"
# The schema (api_keys, migration 003) must be in place: bench/run.sh runs `tierflow migrate` first.
namespace="tierflow.gwbench"
tier() {
    echo "  - {name: $1, backend: openai, endpoint: \"http://127.0.0.1:$mock_port\", model: $2, price: {input: $3, output: $4}, max_concurrency: 64, confidence_threshold: $5, timeout_seconds: 10}"
}
cat >"$work/pipeline.yaml" <<EOF
namespace: $namespace
broker: {url: "$TIERFLOW_AMQP_URL", admin_url: "$TIERFLOW_AMQP_ADMIN_URL"}
database: {url: "$TIERFLOW_DATABASE_URL", owner_url: "$TIERFLOW_DATABASE_OWNER_URL"}
queues: {prefetch: 128}
layer0: {enabled: false}
gateway: {host: 127.0.0.1, port: $gateway_port, rate_limit_per_minute: 0, request_timeout_seconds: 30}
tiers:
$(tier edge qwen2.5-0.5b 0 0 0.7)
$(tier gpu llama-3.1-70b 0.6 0.8 0.65)
$(tier cloud frontier 15 75 0.0)
EOF
"$bin/tierflow" setup --config "$work/pipeline.yaml" >&2
key="$("$bin/tierflow" gateway key create --config "$work/pipeline.yaml" --name "bench-$$" --rate-limit-per-minute 0 \
    --daily-budget-usd 0 2>/dev/null | awk '/^key:/{print $2}')"
key_id="$("$bin/tierflow" gateway key list --config "$work/pipeline.yaml" 2>/dev/null | awk -v n="bench-$$" '$2 == n {print $1}')"
start() {  # executable [args] -> background process, log in $work
    setsid "$bin/tierflow-$1" --config "$work/pipeline.yaml" --log-level warning "${@:2}" >"$work/$1${2:+-$3}.log" 2>&1 &
    pids+=($!)
}
start layer0; start router; start evaluator
start worker --tier edge; start worker --tier gpu; start worker --tier cloud
start gateway
wait_http "http://127.0.0.1:$gateway_port/health" 30 || { cat "$work"/gateway.log >&2; skip "tierflow-gateway did not start (its log is above in the bench output)."; }
sleep 1
tierflow_results=()
for connections in $connection_counts; do
    log "tierflow-gateway: ${seconds}s, $connections connections"
    json="$(measure tierflow "$connections" "$gateway_port" "$key" tierflow --infra "${pids[@]:1}")"
    [ -n "$json" ] && tierflow_results+=("tierflow $json")
done
answered="$(curl -s -H "Authorization: Bearer $key" "http://127.0.0.1:$gateway_port/v1/chat/completions" \
    -d '{"model":"tierflow","messages":[{"role":"user","content":"Check one answer"}]}')"
for ((i = ${#pids[@]} - 1; i >= 1; i--)); do stop_group "${pids[$i]}"; done
pids=("${pids[0]}")
sleep 2
psql "$TIERFLOW_DATABASE_OWNER_URL" -qc "DELETE FROM api_key_spend WHERE key_id = '$key_id'; DELETE FROM api_keys WHERE id = '$key_id'" >&2 || true

# --- LiteLLM's proxy: one model on the same mock, master key, no database, each worker setting --------------
cat >"$work/litellm.yaml" <<EOF
model_list:
  - model_name: mock
    litellm_params:
      model: openai/mock-model
      api_base: http://127.0.0.1:$mock_port/v1
      api_key: sk-mock
general_settings:
  master_key: sk-bench-master
litellm_settings:
  telemetry: false
EOF
litellm_results=()
for workers in $litellm_workers; do
    port_free "$litellm_port"
    LITELLM_LOCAL_MODEL_COST_MAP=True LITELLM_LOG=ERROR setsid "$venv/bin/litellm" --config "$work/litellm.yaml" \
        --host 127.0.0.1 --port "$litellm_port" --num_workers "$workers" >"$work/litellm-$workers.log" 2>&1 &
    pids+=($!)
    if ! wait_http "http://127.0.0.1:$litellm_port/health/liveliness" 180; then
        log "LiteLLM's proxy did not start with $workers worker(s)"; tail -20 "$work/litellm-$workers.log" >&2
        stop_group "${pids[-1]}"
        unset 'pids[-1]'
        continue
    fi
    for connections in $connection_counts; do
        log "litellm proxy ($workers workers): ${seconds}s, $connections connections"
        json="$(measure "litellm-$workers" "$connections" "$litellm_port" sk-bench-master mock "${pids[-1]}")"
        [ -n "$json" ] && litellm_results+=("litellm:$workers $json")
    done
    stop_group "${pids[-1]}"
    unset 'pids[-1]'
    sleep 3
done

# --- Report ---------------------------------------------------------------------------------------------
python3 - "$answered" "$litellm_version" "$seconds" "${tierflow_results[@]}" "${litellm_results[@]}" <<'EOF'
import json, sys
answered, version, seconds = sys.argv[1], sys.argv[2], sys.argv[3]
runs = []  # (gateway, workers, wrk json)
for item in sys.argv[4:]:
    who, text = item.split(" ", 1)
    gateway, _, workers = who.partition(":")
    runs.append((gateway, int(workers or 0), json.loads(text)))
def rate(r): return r["requests"] / (r["duration_us"] / 1e6)
def errors(r): return r["non2xx"] + r["socket_errors"]
def cpu_ms(r): return 1000 * r["cpu_ticks"] / r["ticks_per_s"] / max(1, r["requests"])
def label(gateway, workers):
    return "tierflow-gateway (full pipeline)" if gateway == "tierflow" else f"LiteLLM proxy, {workers} worker{'s' if workers > 1 else ''}"
counts = sorted({r["connections"] for _, _, r in runs})
lines = ["## OpenAI-compatible gateway against LiteLLM's proxy\n",
         f"`POST /v1/chat/completions` through each gateway; every tier of the pipeline and LiteLLM's one model point at "
         f"the same static mock backend (nginx, one worker, returning a fixed chat completion on loopback). Load: wrk, one "
         f"thread, {' and '.join(map(str, counts))} connections, {seconds} s each after a 3 s warm-up, a different question "
         f"each request (no cache can answer). Tierflow runs the whole pipeline — tierflow-gateway, Layer 0 (knowledge base "
         f"off, so every request reaches a model), router, tier worker, evaluator: five queue hops, each committed to "
         f"PostgreSQL — with API-key authentication on. LiteLLM {version} runs its proxy with a master key and no database, "
         f"at each worker setting. Each gateway's best setting (workers and connections) is compared. Same machine, same run.\n",
         "| gateway | connections | requests/s | p50 | p90 | p99 | errors | CPU per request | load average before |",
         "|---|---|---|---|---|---|---|---|---|"]
result = {"bench": "gateway", "seconds": int(seconds), "runs": [{"gateway": g, "workers": w, **r} for g, w, r in runs]}
for gateway, workers, r in runs:
    lines.append(f"| {label(gateway, workers)} | {r['connections']} | {rate(r):,.0f} | {r['p50_us']/1000:.1f} ms | "
                 f"{r['p90_us']/1000:.1f} ms | {r['p99_us']/1000:.1f} ms | {errors(r)} | {cpu_ms(r):.2f} ms | {r['load_before']:.2f} |")
# A setting that answers errors is not being measured: it takes no part in the comparison.
valid = [(g, w, r) for g, w, r in runs if errors(r) <= 0.01 * max(1, r["requests"])]
failed = [f"{label(g, w)} at {r['connections']} connections" for g, w, r in runs if errors(r) > 0.01 * max(1, r["requests"])]
if failed:
    lines.append("")
    lines.append(f"Left out of the comparison, more than 1% of requests failed: {'; '.join(failed)} (logs in the work directory).")
tierflow = [x for x in valid if x[0] == "tierflow"]
litellm = [x for x in valid if x[0] == "litellm"]
if tierflow and litellm:
    _, _, best_t = max(tierflow, key=lambda x: rate(x[2]))
    _, best_w, best_l = max(litellm, key=lambda x: rate(x[2]))
    ratio = rate(best_t) / rate(best_l)
    lines.append("")
    lines.append(f"Best against best: tierflow-gateway serves **{ratio:.1f}×** the throughput of LiteLLM's best setting "
                 f"({rate(best_t):,.0f} req/s at {best_t['connections']} connections against {rate(best_l):,.0f} req/s with "
                 f"{best_w} worker{'s' if best_w > 1 else ''} at {best_l['connections']} connections), at p99 "
                 f"{best_t['p99_us']/1000:.1f} ms against {best_l['p99_us']/1000:.1f} ms.")
    for count in counts:
        t = [r for _, _, r in tierflow if r["connections"] == count]
        l = [r for _, _, r in litellm if r["connections"] == count]
        if t and l:
            lb = max(l, key=rate)
            lines.append(f"At {count} connections alone: {rate(t[0]) / rate(lb):.1f}× (p99 {t[0]['p99_us']/1000:.1f} ms against "
                         f"{lb['p99_us']/1000:.1f} ms).")
    result["ratio"] = ratio
    lines.append(f"\nPer request, Tierflow used {cpu_ms(best_t):.2f} ms of CPU (its seven processes, RabbitMQ and PostgreSQL "
                 f"together) and LiteLLM {cpu_ms(best_l):.2f} ms (its processes): {cpu_ms(best_l) / cpu_ms(best_t):.1f}× less "
                 "CPU per request, a figure other load on the machine disturbs less than throughput.")
elif not litellm:
    lines.append("\nNo LiteLLM figure from this run (it did not start, or every setting failed); see the bench log.")
try:
    sample = json.loads(answered)
    lines.append(f"\nA sample answer: model `{sample['model']}`, layer {sample['tierflow']['layer']}, "
                 f"confidence {sample['tierflow']['confidence']:.2f}, simulated: {str(sample['tierflow']['simulated']).lower()}.")
except Exception:
    pass
lines.append("\nThe 1-minute load average before each measurement tells whether something else shared the two cores "
             "(every figure is CPU-bound here). Command: `bash bench/gateway.bench.sh <release bin dir>` (run by `bench/run.sh`).")
print("RESULT " + json.dumps(result))
print("SECTION " + "\n".join(lines).replace("\n", "\\n"))
EOF
