#!/usr/bin/env bash
# Learned router (issue 4): routing quality on the dev splits of ../shared/data/routing beside random and
# prompt-length routing, and featurise + score latency on one thread.
# bench/run.sh calls it with the release bin directory and puts the section it prints (one `SECTION` line)
# into BENCHMARKS.md. On its own:  bash bench/router.bench.sh [BIN_DIR]  (prints the Markdown section).
# Models are trained on the train splits only (about a minute in all) into .local/bench/router/.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
bin="${1:-$(swift build -c release --show-bin-path)}"
tf="$bin/tierflow"
data="${TIERFLOW_ROUTING_DATA:-../shared/data/routing}"
work="$repo/.local/bench/router"
mkdir -p "$work"
pair="mixtral-8x7b-instruct-v0.1,gpt-4-1106-preview"
tiers="Meta-Llama-3_1-8B-Instruct,Meta-Llama-3_1-70B-Instruct,gpt4o"
prices="Meta-Llama-3_1-8B-Instruct=0.05/0.08,Meta-Llama-3_1-70B-Instruct=0.59/0.79,gpt4o=2.5/10"
# Hyperparameters chosen by 5-fold cross-validation over train+dev (tierflow router train --cross-validate 5).
# MMLU: character 3-5-grams at weight 0.5 raise cv.apgr from 0.670 to 0.675 and lower the log loss (0.488 → 0.484).
mmlu_flags="--l2 2e-4 --char-weight 0.5"
gsm8k_flags="--l2 1e-3 --no-idf --structure-weight 0"
pro_flags="--l2 2e-4"

echo "[bench] router: training on the train splits" >&2
train() { local name="$1"; shift; "$tf" router train --held-back 0 --name "$name" --out "$work/$name.json" "$@" >"$work/$name.train.txt" 2>&1; }
train mmlu --data "$data/routellm-mmlu.train.jsonl" --models "$pair" $mmlu_flags
train gsm8k --data "$data/routellm-gsm8k.train.jsonl" --models "$pair" $gsm8k_flags
train mmlu-pro --data "$data/mmlu-pro.train.jsonl" --models "$tiers" $pro_flags
seconds() { grep -o 'in [0-9.]* s' "$work/$1.train.txt" | head -1 | cut -d' ' -f2; }

echo "[bench] router: evaluating on the dev splits" >&2
mmlu="$("$tf" router eval --model "$work/mmlu.json" --data "$data/routellm-mmlu.dev.jsonl")"
gsm8k="$("$tf" router eval --model "$work/gsm8k.json" --data "$data/routellm-gsm8k.dev.jsonl")"
pro="$("$tf" router eval --model "$work/mmlu-pro.json" --data "$data/mmlu-pro.dev.jsonl" --prices "$prices")"
default_mmlu="$("$tf" router eval --model models/router-default.json --data "$data/routellm-mmlu.dev.jsonl" --models "$pair" | grep -E '^  router ')"
default_gsm8k="$("$tf" router eval --model models/router-default.json --data "$data/routellm-gsm8k.dev.jsonl" --models "$pair" | grep -E '^  router ')"
default_pro="$("$tf" router eval --model models/router-default.json --data "$data/mmlu-pro.dev.jsonl" --prices "$prices" | grep -A1 'cheapest way' | tail -1)"

echo "[bench] router: latency" >&2
latency="$("$tf" router bench --model models/router-default.json --data "$data/routellm-mmlu.dev.jsonl" \
    --data "$data/routellm-gsm8k.dev.jsonl" --data "$data/mmlu-pro.dev.jsonl" --queries 100000 --markdown)"
latency_big="$("$tf" router bench --model "$work/mmlu-pro.json" --data "$data/routellm-mmlu.dev.jsonl" \
    --data "$data/routellm-gsm8k.dev.jsonl" --data "$data/mmlu-pro.dev.jsonl" --queries 100000 --markdown)"
apgr() { printf '%s\n' "$1" | grep -E '^  router ' | awk '{print $2}'; }
lengthapgr() { printf '%s\n' "$1" | grep -E '^  prompt length ' | awk '{print $3}'; }
cost() { printf '%s\n' "$1" | grep -A4 'cheapest way' | grep -E "^    $2" | grep -o '\$[0-9.]*' | head -1; }
cores="$(nproc)"
load="$(cut -d' ' -f1 /proc/loadavg)"
when="$(date -u +%Y-%m-%d)"
cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"

section="$(cat <<MD
## Router

The learned router (issue 4): per-model logistic success heads over hashed word unigrams and bigrams
(TF-IDF weighted, sublinear counts) plus structural features, trained by L-BFGS in Swift, scored in-process
(no network, no Python). Models are trained on the **train** splits of \`../shared/data/routing\` and measured on
the **dev** splits (hyperparameters per dataset by 5-fold cross-validation over train+dev; a held-out test split,
not available here, judges the project). APGR is the exact area under PGR against the share of strong calls;
APGR(deciles) is RouteLLM's evaluate.py (11 decile thresholds, trapezoids); CPT(x%) the share of strong calls
that recovers x% of the gap. The router's score is P(strong acceptable) − P(weak acceptable).

| dev split | measure | target | router | prompt length | random | RouteLLM best (published) |
|---|---|---|---|---|---|---|
| routellm-mmlu | APGR | ≥ 0.68 | $(apgr "$mmlu") | $(lengthapgr "$mmlu") | 0.50 | 0.60 |
| routellm-gsm8k | APGR | ≥ 0.63 | $(apgr "$gsm8k") | $(lengthapgr "$gsm8k") | 0.50 | 0.62 |
| mmlu-pro | USD per 1k queries to reach 95% of GPT-4o | below every single model and random | $(cost "$pro" router) | $(cost "$pro" "prompt length") | $(cost "$pro" "random routing") | — (GPT-4o alone $(cost "$pro" "best single")) |

Training commands (train splits only; \`--held-back 0\` trains on the whole split):
\`tierflow router train --data $data/routellm-mmlu.train.jsonl --models $pair $mmlu_flags --held-back 0 --out mmlu.json\`;
\`tierflow router train --data $data/routellm-gsm8k.train.jsonl --models $pair $gsm8k_flags --held-back 0 --out gsm8k.json\`;
\`tierflow router train --data $data/mmlu-pro.train.jsonl --models $tiers $pro_flags --held-back 0 --out mmlu-pro.json\`
(other options at their defaults: 2^18 hash positions, word unigrams and bigrams, TF-IDF, structure block 0.3, seed 1).

### RouteLLM MMLU (dev), GPT-4-1106 vs Mixtral-8x7B — RouteLLM's best published APGR 0.60

\`\`\`
$mmlu
\`\`\`

### RouteLLM GSM8K (dev) — RouteLLM's best published APGR 0.62

\`\`\`
$gsm8k
\`\`\`

### MMLU-Pro (dev), three tiers: Llama-3.1-8B-Instruct → Llama-3.1-70B-Instruct → GPT-4o

Prices (USD per 1M tokens, input/output, our choice): 8B 0.05/0.08, 70B 0.59/0.79, GPT-4o 2.50/10.00;
prompt tokens ≈ UTF-8 bytes / 4, 250 output tokens per answer. The router's policies send each query to
argmax p − λ·cost over a sweep of λ; random routing can reach any mixture of single models (their convex
hull); the length baseline sends the shortest prompts to the cheapest model, on a 5% grid of shares.

\`\`\`
$pro
\`\`\`

### The shipped default model (\`models/router-default.json\`) on the same dev splits

One file trained on all three train splits (2^15 hash positions, int8 weights), routing the three tiers and
keeping RouteLLM's pair as extra heads:

| dev set | result |
|---|---|
| routellm-mmlu | \`$default_mmlu\` |
| routellm-gsm8k | \`$default_gsm8k\` |
| mmlu-pro (95% of GPT-4o) | \`$default_pro\` |

### Featurise + score latency (one thread; the live router's path, \`LearnedScorer.estimates\`)

The live router scores with the shipped default model (2^15 positions, 0.5 MB of interleaved idf and weights,
which stays in the core's L2 cache); the second row is the dedicated MMLU-Pro model (2^18 positions, 4 MB).

| model | prompts | features (median) | wall p50 µs | wall p99 µs | CPU p50 µs | CPU p99 µs | wall p99.9 µs |
|---|---|---|---|---|---|---|---|
$latency
$latency_big

Training time on one core: MMLU $(seconds mmlu) s, GSM8K $(seconds gsm8k) s, MMLU-Pro $(seconds mmlu-pro) s.
Commands: \`tierflow router train --data FILE --models M1,M2[,M3] --out MODEL\` (per-dataset flags at the top of this section), \`tierflow router eval
--model MODEL --data FILE [--prices …]\`, \`tierflow router bench --model MODEL --data FILE --queries 100000\` (release
build; \`bash bench/router.bench.sh\` runs all of this section). Measured $when on $cores cores ($cpu), shared with
other builds and services (load average $load after the run), so wall-clock tails include time the thread was not running.
MD
)"
if [ -t 1 ] || [ "${TIERFLOW_BENCH_MARKDOWN:-0}" = 1 ]; then
    printf '%s\n' "$section"
else
    printf 'SECTION %s\n' "$(printf '%s' "$section" | sed ':a;N;$!ba;s/\n/\\n/g')"
fi
