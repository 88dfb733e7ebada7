#!/usr/bin/env python3
"""Builds Layer 0's precision/recall check (examples/kb-eval/) from IBM FailureSensorIQ (CC BY 4.0).

Knowledge base: original questions (with their answer options) and their correct option as the answer.
Queries that must hit: the LLM paraphrase of a knowledge-base question (same `id`) -> that entry.
Queries that must miss:
  unknown-original / unknown-paraphrase  questions whose id is not in the knowledge base (other failure
                                         modes, sensors, assets or option sets);
  swap-failure-mode / swap-sensor        a knowledge-base question with its failure mode / sensor replaced by
                                         another one of the same asset (one word or phrase changed);
  swap-asset / swap-asset-paraphrase     the question (or its paraphrase) about another asset;
  flip-polarity                          "most relevant" <-> "least relevant", "not relevant" -> "relevant", ...;
  unrelated                              the 141 AssetOpsBench operator utterances (Apache-2.0).
Ids are split in two halves by a hash of the id: tune on dev, report on test. Within a split 80% of the ids
are in the knowledge base. Deterministic.

Run: python3 scripts/make_kb_eval.py [--data SHARED_DATA_DIR] [--out examples/kb-eval] [--split dev|test|all]
Then: tierflow kb eval --kb examples/kb-eval/kb-dev.jsonl --queries examples/kb-eval/queries-dev.jsonl
"""
import argparse
import hashlib
import json
import re
from pathlib import Path

repo = Path(__file__).resolve().parent.parent
parser = argparse.ArgumentParser()
parser.add_argument("--data", default=str(repo.parent / "shared" / "data" / "industrial"))
parser.add_argument("--out", default=str(repo / "examples" / "kb-eval"))
parser.add_argument("--split", choices=["dev", "test", "all", "both"], default="both")
args = parser.parse_args()
data = Path(args.data)
out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)


def h(text):
    return int(hashlib.sha1(text.encode()).hexdigest(), 16)


def split_of(qid):
    return "dev" if h(f"split:{qid}") % 2 == 0 else "test"


def in_kb(qid):
    return h(f"known:{qid}") % 5 != 0


def asks_for_sensor(question):
    q = question.lower()
    return bool(re.search(r"(which|what)( \w+)?( \w+)? sensor", q)) or "sensor out of" in q or "sensor from" in q


def with_options(question, options):
    return question + "\nOptions: " + "; ".join(options)


def answer(row):
    return [o for o, c in zip(row["options"], row["correct"]) if c][0]


fsiq = data / "failuresensoriq"
originals = [json.loads(l) for l in open(fsiq / "fmsr_filtered_data_all.jsonl", encoding="utf-8")]
paraphrases = {r["id"]: r for r in map(json.loads, open(fsiq / "fmsr_filtered_perturbed_data_all_llama.jsonl", encoding="utf-8"))}
utterances = [json.loads(l)["text"] for l in open(data / "assetopsbench" / "all_utterance.jsonl", encoding="utf-8")]

# Vocabulary per asset, from the answer options of the whole file.
failure_modes, sensors = {}, {}
for row in originals:
    target = sensors if asks_for_sensor(row["question"]) else failure_modes
    target.setdefault(row["asset_name"], set()).update(o for o in row["options"])
assets = sorted({r["asset_name"] for r in originals})
# (asset, option set) -> questions, to avoid swaps that recreate another real question.
by_options = {}
for row in originals:
    by_options.setdefault((row["asset_name"], frozenset(row["options"])), []).append(row["question"].lower())

FLIPS = [
    ("least likely to be relevant", "most likely to be relevant"), ("is not relevant", "is relevant"),
    ("not relevant", "relevant"), ("non-relevant", "relevant"), ("irrelevant", "relevant"),
    ("unimportant", "important"), ("insignificant", "significant"), ("not effective", "effective"),
    ("not applicable", "applicable"), ("should not be", "should be"), ("does not indicate", "indicates"),
    ("does not contribute significantly", "contributes significantly"), ("least useful", "most useful"),
    ("should be excluded", "should be considered"), ("should be disregarded", "should be prioritized"),
    ("most relevant", "least relevant"), ("most critical", "least critical"),
    ("strongest indication", "weakest indication"), ("should be prioritized", "should be disregarded"),
    ("highest relevance", "lowest relevance"), ("is pertinent", "is not pertinent"),
    ("most applicable", "least applicable"), ("best correlates", "least correlates"),
    ("should be considered", "should be excluded"), ("should be the sensor", "should not be the sensor"),
]


def pick(choices, seed):
    choices = sorted(choices)
    return choices[h(seed) % len(choices)] if choices else None


def swap_phrase(row, vocabulary, label):
    """The question with one vocabulary phrase replaced by another of the same asset, or None."""
    question = row["question"]
    low = question.lower()
    present = sorted((p for p in vocabulary if re.search(r"\b" + re.escape(p.lower()) + r"\b", low)), key=len, reverse=True)
    if not present:
        return None
    old = present[0]
    options = [p for p in vocabulary if p.lower() not in old.lower() and old.lower() not in p.lower()]
    new = pick(options, f"{label}:{row['id']}")
    if new is None:
        return None
    swapped = re.sub(r"\b" + re.escape(old) + r"\b", new, question, count=1, flags=re.IGNORECASE)
    if clashes(row["asset_name"], row["options"], question):
        return None
    return swapped


def clashes(asset, options, source):
    """Whether another real question has this asset and option set: a generated negative could then be
    that question in other words, and a hit on it would be right, not false."""
    return any(q != source.lower() for q in by_options.get((asset, frozenset(options)), []))


def swap_asset(text, row, seed):
    asset = row["asset_name"]
    if asset.lower() not in text.lower():
        return None
    other = pick([a for a in assets if a != asset and asset not in a and a not in asset], seed)
    if clashes(other, row["options"], ""):
        return None
    return re.sub(re.escape(asset), other, text, flags=re.IGNORECASE)


def flip(question):
    low = question.lower()
    for old, new in FLIPS:
        if old in low:
            return re.sub(re.escape(old), new, question, count=1, flags=re.IGNORECASE)
    return None


def build(split):
    rows = [r for r in originals if split == "all" or split_of(r["id"]) == split]
    kb, queries = [], []

    def query(qid, text, expect, kind):
        queries.append({"id": qid, "text": text, "expect": expect, "kind": kind})

    for row in rows:
        qid, asset, para = row["id"], row["asset_name"], paraphrases[row["id"]]
        key = f"fsiq-{qid}"
        if in_kb(qid):
            kb.append({"key": key, "asset_class": asset, "question": with_options(row["question"], row["options"]),
                       "answer": answer(row), "source": f"IBM FailureSensorIQ #{qid} (CC BY 4.0)"})
            query(f"p{qid}", with_options(para["question"], para["options"]), key, "paraphrase")
            vocabulary = sensors if not asks_for_sensor(row["question"]) else failure_modes
            swapped = swap_phrase(row, vocabulary.get(asset, set()), "swap")
            if swapped:
                kind = "swap-sensor" if not asks_for_sensor(row["question"]) else "swap-failure-mode"
                query(f"s{qid}", with_options(swapped, row["options"]), None, kind)
            other = swap_asset(row["question"], row, f"asset:{qid}")
            if other:
                query(f"a{qid}", with_options(other, row["options"]), None, "swap-asset")
            other = swap_asset(para["question"], row, f"asset-p:{qid}")
            if other:
                query(f"ap{qid}", with_options(other, para["options"]), None, "swap-asset-paraphrase")
            flipped = flip(row["question"])
            if flipped and not clashes(asset, row["options"], row["question"]):
                query(f"f{qid}", with_options(flipped, row["options"]), None, "flip-polarity")
        else:
            query(f"u{qid}", with_options(row["question"], row["options"]), None, "unknown-original")
            query(f"up{qid}", with_options(para["question"], para["options"]), None, "unknown-paraphrase")
    for index, text in enumerate(utterances):
        query(f"aob{index + 1}", text, None, "unrelated")
    name = split
    with open(out / f"kb-{name}.jsonl", "w", encoding="utf-8") as f:
        for entry in kb:
            f.write(json.dumps(entry, ensure_ascii=False) + "\n")
    with open(out / f"queries-{name}.jsonl", "w", encoding="utf-8") as f:
        for q in queries:
            f.write(json.dumps(q, ensure_ascii=False) + "\n")
    kinds = {}
    for q in queries:
        kinds[q["kind"]] = kinds.get(q["kind"], 0) + 1
    print(f"{name}: {len(kb)} entries, {len(queries)} queries {kinds}")


for split in (["dev", "test"] if args.split == "both" else [args.split]):
    build(split)
