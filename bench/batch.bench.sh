#!/usr/bin/env bash
# Batch re-diagnosis (issue 6): a 1M-line alarm export streams through the batch lane while live events
# keep arriving. Measures live end-to-end p99 with the pipeline idle and while the batch runs, the peak RSS
# (VmHWM) of every process, and the batch's own rate. Simulated backend with no latency.
# bench/run.sh calls it with the release bin directory; on its own:  bash bench/batch.bench.sh [BIN_DIR]
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
bin="${1:-$(swift build -c release --show-bin-path)}"
lines="${TIERFLOW_BENCH_BATCH_LINES:-1000000}"
units="${TIERFLOW_BENCH_BATCH_UNITS:-1400}"
rate="${TIERFLOW_BENCH_BATCH_LIVE_RATE:-50}"
batch_prefetch="${TIERFLOW_BENCH_BATCH_PREFETCH:-8}"
out="$repo/.local/bench"
mkdir -p "$out"
file="$out/batch-$lines.csv"

if [ ! -s "$file" ]; then
    echo "[bench] batch: generating $file ($lines lines from the Tennessee-Eastman alarm texts)" >&2
    python3 - "$file" "$lines" "$units" <<'PY'
import csv, sys
path, n, units = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
alarms = list(csv.DictReader(open("examples/batch/tep-alarms.csv", encoding="utf-8")))
texts = sorted({(a["tag"], a["type"], a["description"]) for a in alarms})
with open(path, "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["id", "timestamp", "tag", "type", "description", "unit"])
    for i in range(n):
        tag, kind, text = texts[i % len(texts)]
        unit = f"U{(i // len(texts)) % units:03d}"
        w.writerow([f"ev{i}", f"2024-05-{1 + i // 86400 % 28:02d} {i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}", tag, kind, text, unit])
PY
fi
echo "[bench] batch: live ${rate}/s idle vs during a $lines-line batch" >&2
result="$("$bin/tierflow-bench" batch --bin "$bin" --file "$file" --rate "$rate" --duration 15 --batch-prefetch "$batch_prefetch" | tee /dev/stderr | grep '^RESULT ' | tail -1)"
[ -n "$result" ] || { echo "[bench] batch: no result" >&2; exit 1; }
cores="$(nproc)"
load="$(cut -d' ' -f1-3 /proc/loadavg)"
when="$(date -u +%Y-%m-%d)"
section="$(python3 - "${result#RESULT }" "$lines" "$cores" "$load" "$when" "$units" <<'PY'
import json, sys
r, lines, cores, load, when, units = json.loads(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
rss = r["peak_rss_mb"]
ratio = r["busy_p99_ms"] / r["idle_p99_ms"] if r["idle_p99_ms"] else float("nan")
print("## Batch re-diagnosis\n")
print(f"A {lines:,}-line alarm export (`bench/batch.bench.sh`: Tennessee-Eastman alarm texts × {units} units, "
      f"{r['batch_queries']:,} distinct alarms — identical lines are one query) run with `tierflow batch run` through the "
      "batch lane while live SCADA events arrive at a fixed rate; every stage a separate process, simulated backend with no "
      f"latency, every hop logged, `queues.batch_prefetch` {r['batch_prefetch']}. Live latency is publish → result, the first second of each run skipped.\n")
print("| measure | value |\n|---|---|")
print(f"| live p99 ({r['live_rate']:.0f} events/s), pipeline idle | {r['idle_p99_ms']:.1f} ms (p50 {r['idle_p50_ms']:.1f} ms, {r['idle_received']}/{r['idle_sent']} answered) |")
print(f"| live p99 while the batch runs | {r['busy_p99_ms']:.1f} ms (p50 {r['busy_p50_ms']:.1f} ms, {r['busy_received']}/{r['busy_sent']} answered) — **{ratio:.2f}×** idle (target ≤ 2×) |")
print(f"| batch progress during that window | {r['batch_read_at_busy_end']:,} lines read, {r['batch_done_at_busy_end']:,} queries answered |")
print(f"| batch | {r['batch_lines']:,} lines read, {r['batch_done']:,} answered, state `{r['batch_state']}`, {r['batch_seconds']:.0f} s ({r['batch_lines'] / r['batch_seconds']:,.0f} lines/s){'' if r['batch_finished'] else ' — NOT finished within the time limit'} |")
print("| peak RSS per process (VmHWM) | " + ", ".join(f"{k} {v} MB" for k, v in sorted(rss.items())) + f" — max {max(rss.values()) if rss else 0} MB (target < 200 MB) |")
print(f"\nMeasured {when} on {cores} cores shared with other work (load average {load} after the run); release build. "
      "Command: `bash bench/batch.bench.sh` (`tierflow-bench batch --bin BIN --file FILE --rate 50 --duration 15`).")
PY
)"
if [ -t 1 ] || [ "${TIERFLOW_BENCH_MARKDOWN:-0}" = 1 ]; then
    printf '%s\n' "$section"
else
    printf 'SECTION %s\n' "$(printf '%s' "$section" | sed ':a;N;$!ba;s/\n/\\n/g')"
fi
