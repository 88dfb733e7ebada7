#!/usr/bin/env bash
# Runs every benchmark and rewrites BENCHMARKS.md with the figures, the commands, the machine and the date.
# Each benchmark is bounded in time and stops by itself; the whole run takes about 25 minutes (about 3 of them
# for bench/callgrind.bench.sh, which runs the stages under valgrind).
#   bench/run.sh            everything
#   bench/run.sh --quick    smaller counts (a smoke run; figures are noisier)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
quick=0
[ "${1:-}" = "--quick" ] && quick=1

scripts/services.sh start >&2
eval "$(scripts/services.sh env)"
echo "[bench] building release binaries" >&2
swift build -c release >&2
bin="$(swift build -c release --show-bin-path)"
"$bin/tierflow" migrate --config pipeline.yaml >&2

out="$repo/.local/bench"
mkdir -p "$out"
: >"$out/results.log"
run() {
    echo "[bench] $*" >&2
    echo "COMMAND $*" >>"$out/results.log"
    "$@" 2>&1 | tee -a "$out/results.log" >&2
}

if [ $quick = 1 ]; then n=5000; d=5; rows=5000; else n=30000; d=15; rows=50000; fi
bench="$bin/tierflow-bench"
# The raw chain and the pipeline hold the same number of deliveries per consumer (the default queues.prefetch).
prefetch=256
# Alternated (raw, pipeline, raw, pipeline, raw): the ratio is of the means, so a slow spell on this shared
# machine weighs on both sides.
for _ in 1 2; do
    run "$bench" raw-chain --messages "$n" --prefetch "$prefetch"
    run "$bench" pipeline --bin "$bin" --messages "$n" --rates "" --prefetch "$prefetch"
done
run "$bench" raw-chain --messages "$n" --prefetch "$prefetch"
run "$bench" pipeline --bin "$bin" --messages 0 --rates 100,300,1000 --duration "$d" --prefetch "$prefetch"
run "$bench" hoplog --rows "$rows"
# Scaling: one tier with realistic latency (200 ms per call, 16 concurrent calls per worker), 1-3 workers.
for replicas in 1 2 3; do
    run "$bench" pipeline --bin "$bin" --messages $((n / 10)) --rates "" --replicas "$replicas" --latency 200 --concurrency 16 --prefetch 32
done
for extra in bench/*.bench.sh; do
    [ -e "$extra" ] || continue
    run bash "$extra" "$bin"
done

python3 bench/render.py "$out/results.log" BENCHMARKS.md >"$out/BENCHMARKS.md"
mv "$out/BENCHMARKS.md" BENCHMARKS.md
echo "[bench] wrote BENCHMARKS.md" >&2
