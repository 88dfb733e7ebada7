#!/usr/bin/env python3
"""Instructions per query from two callgrind runs of the pipeline (bench/callgrind.bench.sh).

usage: callgrind_report.py OUT_DIR LARGE SMALL COMMAND

OUT_DIR holds one callgrind file per process and run, named RUN.NAME.PID (RUN is `large` or `small`). Every
figure is (count in the large run − count in the small run) / (LARGE − SMALL): start-up and shutdown cancel out.
Prints a Markdown section.
"""
import glob
import os
import re
import subprocess
import sys

out_dir, large, small, command = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
queries = large - small
STAGES = [("layer0", "tierflow-layer0 (ingest + Layer 0)"), ("router", "tierflow-router"),
          ("worker-edge", "tierflow-worker (edge)"), ("evaluator", "tierflow-evaluator")]
LINE = re.compile(r"\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(?:\S*?:)?(\S+)\s+\[(.*)\]$")


def profile(run, name):
    files = glob.glob(os.path.join(out_dir, f"{run}.{name}.*"))
    if len(files) != 1:
        sys.exit(f"callgrind_report.py: expected one {run} profile of {name} in {out_dir}, found {len(files)}")
    return files[0]


def total(path):
    for line in open(path, encoding="utf-8", errors="replace"):
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    sys.exit(f"callgrind_report.py: no totals in {path}")


def functions(path, inclusive):
    """Instructions by (function, object file), self or inclusive."""
    args = ["callgrind_annotate", "--threshold=100"] + (["--inclusive=yes"] if inclusive else []) + [path]
    counts = {}
    for line in subprocess.run(args, capture_output=True, text=True, check=True).stdout.splitlines():
        match = LINE.match(line)
        if match:
            key = (match.group(2), os.path.basename(match.group(3)))
            counts[key] = counts.get(key, 0) + int(match.group(1).replace(",", ""))
    return counts


def per_query(name, inclusive):
    a = functions(profile("large", name), inclusive)
    b = functions(profile("small", name), inclusive)
    return {key: (a.get(key, 0) - b.get(key, 0)) / queries for key in set(a) | set(b)}


def demangle(names, simplified):
    flags = ["--simplified", "--compact"] if simplified else ["--compact"]
    result = subprocess.run(["swift", "demangle"] + flags, input="\n".join(names), capture_output=True, text=True)
    lines = result.stdout.splitlines()
    return dict(zip(names, lines)) if result.returncode == 0 and len(lines) == len(names) else {n: n for n in names}


def short(text, width=90):
    return text if len(text) <= width else text[: width - 1] + "…"


rows, self_costs, trees = [], {}, []
for name, label in STAGES:
    per = (total(profile("large", name)) - total(profile("small", name))) / queries
    rows.append((label, per))
    for key, value in per_query(name, False).items():
        self_costs[key] = self_costs.get(key, 0) + value
    inclusive = per_query(name, True)
    trees.extend((value, label, key) for key, value in inclusive.items() if "Tierflow" in key[0] and "'" not in key[0])
stages_total = sum(per for _, per in rows)

top_self = sorted(((v, k) for k, v in self_costs.items()), reverse=True)[:15]
names = [k[0] for _, k in top_self] + [k[0] for _, _, k in trees]
simple, full = demangle(names, True), demangle(names, False)
# Inclusive counts are kept for synchronous Tierflow functions only: callgrind charges an async function's
# resumptions (everything the executor runs after it) to it, which makes its inclusive count meaningless.
sync_trees = sorted(
    ((v, label, simple[k[0]]) for v, label, k in trees
     if " async" not in full[k[0]] and "partial function" not in full[k[0]] and "closure" not in full[k[0]]
     and "thunk" not in full[k[0]] and not simple[k[0]].startswith(("PostgresThread", "HopLogWriter", "StageRunner.run"))),
    reverse=True)
seen, top_trees = set(), []
for value, label, text in sync_trees:
    if (label, text) not in seen and len(top_trees) < 12:
        seen.add((label, text))
        top_trees.append((value, label, text))

out = ["## Instructions per query (callgrind)\n",
       f"Every stage under `valgrind --tool=callgrind`, the pipeline run with {large:,} and then {small:,} queries; each "
       f"figure is the difference between the two runs divided by the {queries:,} queries between them (start-up and "
       "shutdown cancel out). Instructions executed in user space, not time: system calls count only their user-space "
       "side, and under callgrind a process runs one thread at a time, about 50 times slower, so group commits and "
       "acknowledgements are batched differently than at full speed.\n",
       "| process | instructions per query |", "|---|---|"]
out += [f"| {label} | {per:,.0f} |" for label, per in rows]
out.append(f"| **the four stages** | **{stages_total:,.0f}** |\n")
out.append("Largest self costs, the four stages together (instructions per query):\n")
out.append("| function | library | per query | share |\n|---|---|---|---|")
for value, key in top_self:
    out.append(f"| `{short(simple[key[0]])}` | {key[1]} | {value:,.0f} | {100 * value / stages_total:.1f}% |")
out.append("\nLargest synchronous Tierflow functions, callees included (instructions per query):\n")
out.append("| function | process | per query | share of the process |\n|---|---|---|---|")
per_stage = dict(rows)
for value, label, text in top_trees:
    out.append(f"| `{short(text)}` | {label} | {value:,.0f} | {100 * value / per_stage[label]:.0f}% |")
out.append(f"\nCommand: `{command}` (release build).")
print("\n".join(out))
