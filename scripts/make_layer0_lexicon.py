#!/usr/bin/env python3
"""Builds Layer 0's built-in domain lexicon (assets, components, failure modes, sensors, acronyms).

Layer 0 refuses a cache or knowledge-base hit when the query and the entry disagree on any of these terms
(e.g. "bearing wear" vs "misalignment", "pump" vs "fan"). The terms come from public data:
  - IBM FailureSensorIQ (CC BY 4.0): the asset names and the answer options (failure modes and sensors);
  - IBM AssetOpsBench (Apache-2.0): failure-code descriptions, failure modes / degradation mechanisms, components;
  - a short hand-written list of assets and plant acronyms.
Deterministic. Run: python3 scripts/make_layer0_lexicon.py [SHARED_DATA_DIR] [--tsv OUT] [--only-split dev]
  default output: Sources/TierflowPipeline/Layer0/DomainLexicon+Terms.swift
  --tsv OUT writes the same terms as `kind<TAB>phrase` lines (for `tierflow kb eval --lexicon`);
  --only-split dev takes FailureSensorIQ options from the dev split only (see make_kb_eval.py), to measure
  how the matcher does on failure modes and sensors it has never seen.
"""
import csv
import hashlib
import json
import re
import sys
from pathlib import Path

repo = Path(__file__).resolve().parent.parent
args = [a for a in sys.argv[1:]]
tsv = None
only_split = None
if "--tsv" in args:
    i = args.index("--tsv"); tsv = args[i + 1]; del args[i:i + 2]
if "--only-split" in args:
    i = args.index("--only-split"); only_split = args[i + 1]; del args[i:i + 2]
data = Path(args[0]) if args else repo.parent / "shared" / "data" / "industrial"


def split_of(qid):
    """The same split as scripts/make_kb_eval.py."""
    return "dev" if int(hashlib.sha1(f"split:{qid}".encode()).hexdigest(), 16) % 2 == 0 else "test"


def asks_for_sensor(question):
    q = question.lower()
    return bool(re.search(r"(which|what)( \w+)?( \w+)? sensor", q)) or "sensor out of" in q or "sensor from" in q


terms = {}  # phrase (lower) -> kind; the first kind wins
# Words too general to make a term on their own ("Sensor Failure", "Control Failure", "Human Error").
GENERAL = set("""sensor sensors control electrical electric system systems equipment component components unit software
large small amount human error operation operations procedure test check analysis management level impact replacement
failure failures fault faults issue issues problem problems malfunction condition""".split())


def add(kind, phrase, general_ok=True):
    phrase = " ".join(phrase.strip().split())
    if not general_ok and all(w in GENERAL for w in phrase.lower().replace("-", " ").split()):
        return
    if phrase and phrase.lower() not in terms:
        terms[phrase.lower()] = kind


# Hand-written: common plant assets and acronyms (matched case-insensitively).
for asset in ["pump", "fan", "motor", "compressor", "chiller", "boiler", "turbine", "transformer", "generator",
              "valve", "conveyor", "heat exchanger", "cooling tower", "air handling unit", "blower", "gearbox",
              "centrifugal pump", "positive displacement pump", "internal combustion engine", "engine"]:
    add("asset", asset)
for acronym in ["PLC", "VFD", "VSD", "HMI", "SCADA", "DCS", "RTD", "PID", "UPS", "MCC", "ESD", "AHU", "HVAC", "BMS",
                "CMMS", "OEM", "SIS", "RPM"]:
    add("acronym", acronym)

# FailureSensorIQ: asset names and answer options.
fsiq = data / "failuresensoriq" / "fmsr_filtered_data_all.jsonl"
for line in open(fsiq, encoding="utf-8"):
    row = json.loads(line)
    add("asset", row["asset_name"])
    if only_split and split_of(row["id"]) != only_split:
        continue
    kind = "sensor" if asks_for_sensor(row["question"]) else "failure"
    for option in row["options"]:
        add(kind, option)

# AssetOpsBench: equipment, components, failure modes, failure-code descriptions (short ones only).
def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))

aob = data / "assetopsbench"
components = []
for row in read_csv(aob / "failure_mode.csv"):
    add("asset", row["Equipment"])
    for part in row["Failure Mode"].split(":"):
        if len(part.split()) <= 3:
            components.append(part)
    if len(row["Degradation Mechanism"].split()) <= 3:
        add("failure", row["Degradation Mechanism"], general_ok=False)
for row in read_csv(aob / "component.csv"):
    add("asset", row["equipment"])
    components.append(row["component"])


def singular(word):
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


# A component named by two other terms ("fan bearings", "compressor motor") would hide them: left out.
known_words = {singular(p) for p in terms if " " not in p}
for component in components:
    words = [singular(w) for w in component.lower().split()]
    if len(words) == 1 or not any(w in known_words for w in words):
        add("component", component, general_ok=False)
for row in read_csv(aob / "failure_codes.csv"):
    for text in (row["primary_code_description"], row["secondary_code_description"]):
        if len(text.split()) <= 3 and "(" not in text:
            add("failure", text, general_ok=False)

lines = [f"{kind}\t{phrase}" for phrase, kind in sorted(terms.items(), key=lambda kv: (kv[1], kv[0]))]
if tsv:
    Path(tsv).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} terms to {tsv}")
else:
    out = repo / "Sources/TierflowPipeline/Layer0/DomainLexicon+Terms.swift"
    body = "\n".join(lines).replace("\\", "\\\\")
    out.write_text(
        "// Generated by scripts/make_layer0_lexicon.py from IBM FailureSensorIQ (CC BY 4.0) and IBM AssetOpsBench\n"
        "// (Apache-2.0); see examples/licenses/. Do not edit by hand: change the script and run it again.\n\n"
        "extension DomainLexicon {\n"
        "    /// The built-in terms, one `kind<TAB>phrase` per line.\n"
        "    static let builtInTermLines = \"\"\"\n"
        + "\n".join("        " + l for l in body.split("\n")) + "\n"
        "        \"\"\"\n"
        "}\n",
        encoding="utf-8")
    print(f"wrote {len(lines)} terms to {out.relative_to(repo)}")
