#!/usr/bin/env bash
# Core dumps of crashed processes during a test run, and their backtraces.
#
#   source scripts/core_dumps.sh; core_dumps_enable     # this shell and what it starts dump core into their
#                                                       # working directory (when the kernel writes plain files)
#   core_dumps_report                                   # for every core file left in the repository: print the
#                                                       # backtrace of every thread (gdb), keep it under .local/cores
#
# A worker that aborts (a glibc heap check, a Swift runtime trap) prints the Swift backtracer's report, but that
# report stops at glibc's abort(), which has no frame pointers; gdb unwinds through it from the core file.
# CI keeps only its log, so the report prints the backtraces there.

core_dumps_enable() {
    local pattern
    pattern="$(cat /proc/sys/kernel/core_pattern 2>/dev/null || true)"
    if [[ "$pattern" == \|* ]]; then
        echo "core dumps: the kernel pipes them to ${pattern#|} (core_pattern); no backtraces in this log" >&2
        return 0
    fi
    ulimit -c unlimited 2>/dev/null || ulimit -c "$(ulimit -Hc)" 2>/dev/null || true
}

core_dumps_report() {
    local repo core executable kept
    repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    kept="$repo/.local/cores"
    while IFS= read -r -d '' core; do
        mkdir -p "$kept"
        echo "=== core dump: $core" >&2
        # file(1) names the executable as the process was started (execfn); a relative one is resolved from
        # the core's directory, the crashed process's working directory.
        executable=""
        if command -v file >/dev/null; then
            executable="$(file -b "$core" | sed -n "s/.*execfn: '\([^']*\)'.*/\1/p")" || true
            [[ -z "$executable" || "$executable" == /* ]] || executable="$(dirname "$core")/$executable"
        fi
        if command -v gdb >/dev/null && [[ -n "$executable" && -x "$executable" ]]; then
            gdb -batch -ex "info threads" -ex "thread apply all bt" "$executable" "$core" 2>&1 \
                | grep -v -e '^warning: ' -e '^\[New LWP' -e '^\[Thread debugging' -e '^Using host libthread_db' >&2 || true
        else
            echo "(no gdb or file(1), or the crashed executable '$executable' is gone: the core file is kept)" >&2
        fi
        mv "$core" "$kept/$(basename "$core").$(date +%Y%m%d-%H%M%S).$$"
        echo "=== kept as $kept/" >&2
    done < <(find "$repo" -maxdepth 1 -type f \( -name core -o -name 'core.[0-9]*' \) -print0)
}
