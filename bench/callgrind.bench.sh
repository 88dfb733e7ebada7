#!/usr/bin/env bash
# Instructions per query of each pipeline stage, counted by valgrind's callgrind (issue 8's profiling).
# Instruction counts do not depend on what else the machine is doing, so a change to a stage can be compared
# run against run where throughput on this shared 2-core machine moves ±10%.
#
# Runs the pipeline benchmark twice with every stage under callgrind, --messages LARGE and then SMALL queries,
# and divides the difference of each process's instruction count by the difference of the query counts: what
# start-up, loading the knowledge base and the router model, and shutdown cost cancels out.
# bench/run.sh calls it with the release bin directory and puts the section it prints (one `SECTION` line)
# into BENCHMARKS.md. On its own:  bash bench/callgrind.bench.sh [BIN_DIR]  (prints the Markdown section).
#
# Two things valgrind 3.19 (Debian 12) needs here, both set up in .local/bench/callgrind/ and nothing else touched:
# - the executables are copied with their debug information stripped (valgrind 3.19 cannot read the DWARF 5
#   that Swift 6.3 writes; the symbol table stays, so functions keep their names);
# - a small preloaded library copies the signal mask libdispatch hands to sigsuspend: libdispatch passes a
#   constant in read-only memory, and valgrind 3.19 writes into that mask, which crashes valgrind itself.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
bin="${1:-$(swift build -c release --show-bin-path)}"
large="${TIERFLOW_CALLGRIND_LARGE:-5500}"
small="${TIERFLOW_CALLGRIND_SMALL:-500}"
need_apt=()
command -v valgrind >/dev/null || need_apt+=(valgrind)
command -v gcc >/dev/null || need_apt+=(gcc)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "[bench] callgrind: installing ${need_apt[*]}" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"; } >&2 ||
        { echo "callgrind.bench.sh: could not install ${need_apt[*]} from Debian's packages" >&2; exit 1; }
fi

work="$repo/.local/bench/callgrind"
rm -rf "$work"
mkdir -p "$work/bin" "$work/stripped" "$work/out"
cat >"$work/sigsuspend_copy.c" <<'C'
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>
/* valgrind 3.19 writes into the mask passed to rt_sigsuspend; libdispatch passes a read-only constant. */
int sigsuspend(const sigset_t *mask) {
    sigset_t copy = *mask;
    return (int)syscall(SYS_rt_sigsuspend, &copy, _NSIG / 8);
}
C
gcc -O2 -shared -fPIC "$work/sigsuspend_copy.c" -o "$work/sigsuspend_copy.so"
for stage in layer0 router worker evaluator; do
    strip --strip-debug -o "$work/stripped/tierflow-$stage" "$bin/tierflow-$stage"
    cat >"$work/bin/tierflow-$stage" <<SH
#!/bin/sh
# tierflow-$stage under callgrind; the output file names the run, the process (and the tier) and the pid.
name=$stage
for argument in "\$@"; do case "\$argument" in edge|gpu|cloud) name="$stage-\$argument" ;; esac; done
exec env LD_PRELOAD="$work/sigsuspend_copy.so" valgrind --tool=callgrind \\
    --callgrind-out-file="$work/out/\${TIERFLOW_CALLGRIND_RUN}.\$name.%p" "$work/stripped/tierflow-$stage" "\$@"
SH
    chmod +x "$work/bin/tierflow-$stage"
done

eval "$(scripts/services.sh env)"
for run in large small; do
    count=$large
    [ $run = small ] && count=$small
    echo "[bench] callgrind: pipeline with $count queries, every stage under callgrind" >&2
    TIERFLOW_CALLGRIND_RUN=$run "$bin/tierflow-bench" pipeline --bin "$work/bin" --messages "$count" --rates "" \
        >"$work/$run.txt" 2>&1
    grep -q "$count answered" "$work/$run.txt" || { echo "callgrind.bench.sh: the $run run did not answer every query" >&2; cat "$work/$run.txt" >&2; exit 1; }
done

section="$(python3 bench/callgrind_report.py "$work/out" "$large" "$small" \
    "bash bench/callgrind.bench.sh (TIERFLOW_CALLGRIND_LARGE=$large, TIERFLOW_CALLGRIND_SMALL=$small)")"
if [ -t 1 ] || [ "${TIERFLOW_BENCH_MARKDOWN:-0}" = 1 ]; then
    printf '%s\n' "$section"
else
    printf 'SECTION %s\n' "$(printf '%s' "$section" | sed ':a;N;$!ba;s/\n/\\n/g')"
fi
