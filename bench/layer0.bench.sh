#!/usr/bin/env bash
# Layer 0 (issue 5): precision / recall of hits on the FailureSensorIQ check (examples/kb-eval), the curve
# over similarity thresholds, and lookup latency on one core and memory with 100k entries.
# bench/run.sh calls it with the release bin directory and puts the section it prints (one `SECTION` line)
# into BENCHMARKS.md. On its own:  bash bench/layer0.bench.sh [BIN_DIR]  (prints the Markdown section).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
bin="${1:-$(swift build -c release --show-bin-path)}"
tf="$bin/tierflow"
entries="${TIERFLOW_BENCH_KB_ENTRIES:-100000}"
lookups="${TIERFLOW_BENCH_KB_LOOKUPS:-20000}"

echo "[bench] layer0: kb eval (dev, test) and kb bench ($entries entries)" >&2
dev="$("$tf" kb eval --kb examples/kb-eval/kb-dev.jsonl --queries examples/kb-eval/queries-dev.jsonl --markdown)"
test="$("$tf" kb eval --kb examples/kb-eval/kb-test.jsonl --queries examples/kb-eval/queries-test.jsonl --markdown --baseline)"
typical="$("$tf" kb bench --only typical --entries "$entries" --lookups "$lookups" --markdown)"
group="$("$tf" kb bench --only one-group --entries "$entries" --lookups "$lookups" --markdown --no-header)"
cores="$(nproc)"
load="$(cut -d' ' -f1 /proc/loadavg)"
when="$(date -u +%Y-%m-%d)"
cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"

section="$(cat <<MD
## Layer 0

Knowledge base and semantic cache (issue 5). A hit needs every guard to agree — fault code, PLC tag, asset
id, numbers with units, negation, high/low, asset / component / failure-mode / sensor terms — and then the
cosine similarity of stemmed words to reach \`layer0.similarity_threshold\` (0.6); a second compatible entry
with a different answer within \`ambiguity_margin\` (0.05) makes it a miss.

### Precision and recall (FailureSensorIQ, examples/kb-eval)

Knowledge base: original questions with their options; must hit: their LLM paraphrases (same id); must
miss: questions not in the knowledge base, the same questions with a failure mode, sensor or asset
swapped or the polarity flipped, and the AssetOpsBench operator utterances (\`examples/kb-eval/README.md\`).
The threshold was chosen on **dev** (the highest threshold that keeps dev's recall); **test** was not
used for tuning. A further part of the FailureSensorIQ ids is held back by the judges and not in this set.

**test** (\`tierflow kb eval --kb examples/kb-eval/kb-test.jsonl --queries examples/kb-eval/queries-test.jsonl --markdown --baseline\`):

$test

Precision does not move with the threshold: every must-miss query is stopped by a guard before similarity
counts; recall falls once the threshold passes 0.6. The baseline after the test tables is the same
similarity without guards (the best entry over the threshold, as plain vector caches do): it hits another
failure mode's, sensor's, asset's or polarity's entry for most must-miss queries, precision ≈ 0.2 at every
threshold. Misses (recall 0.95–0.97) are paraphrases that drop or change a guarded term ("aero gas
turbine" → "gas turbine", "deterioration" → "decline"): Layer 0 then leaves the query to the LLM tiers.
The lexicon is not specific to the tested ids: built from the dev half's options alone it has the same
366 terms.

**dev** (\`tierflow kb eval --kb examples/kb-eval/kb-dev.jsonl --queries examples/kb-eval/queries-dev.jsonl --markdown\`):

$dev

### Lookup latency and memory

One thread (one core), lookups one after another, each including the query's analysis (scan, stemming,
lexicon, guards, vector) and the index lookup. *typical*: the dev knowledge base copied with a different PLC
tag per copy up to $entries entries, looked up with the paraphrases (tag included); *one group*: $entries
entries with no guard at all (made-up words), so every lookup falls in one group of all entries and the
inverted index does the work — the worst case. Memory is the growth of the process's resident set while the
entries (their text included) and the index are built, one knowledge base per process.

$typical
$group

Commands: \`tierflow kb bench --only typical --entries $entries --lookups $lookups\`, \`tierflow kb bench --only one-group …\`
(release build; \`bash bench/layer0.bench.sh\` runs all of this section). Measured $when on $cores cores ($cpu),
shared with other builds and services (load average $load after the run), so wall-clock tails include
time the thread was not running; the CPU columns are the thread's own CPU time per lookup. About 45 MB of
the typical figure is the entries' own text (FailureSensorIQ questions with options, ~450 bytes each).
MD
)"
if [ -t 1 ] || [ "${TIERFLOW_BENCH_MARKDOWN:-0}" = 1 ]; then
    printf '%s\n' "$section"
else
    printf 'SECTION %s\n' "$(printf '%s' "$section" | sed ':a;N;$!ba;s/\n/\\n/g')"
fi
