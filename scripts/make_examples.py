#!/usr/bin/env python3
"""Builds the demo's knowledge base and event sample in examples/ from ../shared/data/industrial.

Sources (licences in examples/licenses/):
  - IBM AssetOpsBench (Apache-2.0): failure codes, alert-rule to failure-code mapping, operator utterances.
  - Tennessee-Eastman process alarm logs, Antonizitron/tep_alarms_text (CC0-1.0): PLC tags and alarm texts.
Deterministic: the same inputs give the same files. Run: python3 scripts/make_examples.py [SHARED_DATA_DIR]
"""
import csv
import json
import random
import sys
from pathlib import Path

repo = Path(__file__).resolve().parent.parent
data = Path(sys.argv[1]) if len(sys.argv) > 1 else repo.parent / "shared" / "data" / "industrial"
out = repo / "examples"
rng = random.Random(20261123)

def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))

primary = {r["primary_code"]: r for r in read_csv(data / "assetopsbench/primary_failure_codes.csv")}
secondary = read_csv(data / "assetopsbench/failure_codes.csv")
rules = read_csv(data / "assetopsbench/alert_rule_failure_code_mapping.csv")
alarms = read_csv(data / "tep-alarms/unique_alarm_messages.csv")
utterances = [json.loads(line) for line in open(data / "assetopsbench/all_utterance.jsonl", encoding="utf-8")]

# ---- knowledge base: one entry per chiller failure code that an alert rule maps to --------------------
forms_by_code = {}
for row in secondary:
    forms_by_code.setdefault(row["primary_code"], []).append(row["secondary_code_description"])
rules_by_code = {}
for row in rules:
    rules_by_code.setdefault(row["primary_code"], []).append(row["rule_name"].replace("Chiller - ", ""))

kb_codes = sorted(rules_by_code)
with open(out / "knowledge-base.jsonl", "w", encoding="utf-8") as f:
    for code in kb_codes:
        p = primary[code]
        forms = "; ".join(forms_by_code.get(code, [])) or "none listed"
        alerts = "; ".join(sorted(set(rules_by_code[code])))
        answer = (
            f"Known fault {code} ({p['primary_code_description']}, category {p['category']}) on a chiller. "
            f"Specific forms on record: {forms}. Alert rules that point to it: {alerts}. "
            f"Follow the site's work procedure for {code}: confirm the reading against a second sensor, "
            f"then inspect the component named by the specific form before returning the unit to service."
        )
        f.write(json.dumps({
            "fault_code": code, "asset_class": "chiller", "question": p["primary_code_description"],
            "answer": answer, "source": "AssetOpsBench failure codes (Apache-2.0)",
        }) + "\n")
    # Failure modes per equipment and component, answerable to operators' chat questions (Layer 0's
    # semantic path: every guard - equipment, component, failure mode - must agree with the question).
    for row in read_csv(data / "assetopsbench/failure_mode.csv"):
        equipment = row["Equipment"].strip()
        component = row["Failure Mode"].strip()
        mechanism = row["Degradation Mechanism"].strip()
        factors = row["Influencing Factors"].strip()
        noun = equipment if equipment.isupper() else equipment.lower()
        answer = (
            f"On record for the {component} of a {noun}: {mechanism.lower()}"
            + (f", usually influenced by {factors.lower()}." if factors else ".")
            + " Inspect it at the next maintenance window and log what you find against the asset."
        )
        f.write(json.dumps({
            "asset_class": equipment.lower(), "question": f"What is the typical failure mode of the {component} of a {noun}?",
            "answer": answer, "source": "AssetOpsBench failure modes (Apache-2.0)",
        }) + "\n")

# ---- events -----------------------------------------------------------------------------------------
sites = ["plant-a", "plant-b"]
chillers = ["CH-1", "CH-2", "CH-3", "CH-4"]
tep_assets = {"FIR": "cooling-water-loop", "LIR": "stripper", "PIR": "reactor", "TIR": "reactor", "AIR": "analyser"}
severity_for = {"H": "high", "L": "medium", "HH": "critical", "LL": "critical"}
events = []
t0 = 1795000000  # 2026-11-18, fixed for reproducibility

def stamp(offset):
    from datetime import datetime, timezone
    return datetime.fromtimestamp(t0 + offset, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

n = 0
def add(event):
    global n
    n += 1
    event["event_id"] = f"demo-{n:04d}"
    events.append({"type": "fault_event", "body": event})

# Chiller alarms with fault codes: most have a knowledge-base entry, some codes do not.
other_codes = [c for c in primary if c not in rules_by_code]
for i in range(24):
    code = rng.choice(kb_codes) if i % 4 != 3 else rng.choice(other_codes)
    rule = rng.choice(rules_by_code.get(code, ["Equipment alarm"]))
    add({"site": rng.choice(sites), "line": "utilities", "asset": rng.choice(chillers), "asset_class": "chiller",
         "tag": f"CHL{rng.randint(100, 199)}", "alarm_type": "DEV", "fault_code": code,
         "severity": rng.choice(["medium", "medium", "high", "low"]),
         "message": f"{rule}: {primary[code]['primary_code_description']}",
         "values": {"supply_temp_c": round(rng.uniform(5, 12), 1), "load_pct": round(rng.uniform(20, 95), 0)},
         "timestamp": stamp(i * 97)})
# Process alarms (no fault code) from the Tennessee-Eastman logs: tag + alarm type + text.
raised = [a for a in alarms if "NR" not in a["type"]]
for i, a in enumerate(rng.sample(raised, 24)):
    prefix = a["tag"][:3]
    add({"site": rng.choice(sites), "line": "TE-process", "asset": f"{tep_assets.get(prefix, 'process')}-1",
         "asset_class": tep_assets.get(prefix, "process"), "tag": a["tag"], "alarm_type": a["type"],
         "severity": severity_for.get(a["type"], "medium") if i % 8 else "critical",
         "message": a["description"], "timestamp": stamp(3000 + i * 61)})
# An alarm flood: the same fault on the same asset eight times within a minute.
for k in range(8):
    add({"site": "plant-a", "line": "utilities", "asset": "CH-2", "asset_class": "chiller", "tag": "CHL142",
         "alarm_type": "DEV", "fault_code": "M010", "severity": "high",
         "message": "Surging: Compressor Failure", "values": {"amps": 212 + k}, "timestamp": stamp(6060 + k * 5)})
# The same event published twice (a SCADA gateway retry).
events.append(json.loads(json.dumps(events[0])))

# Operator questions from AssetOpsBench, as chat.
for u in rng.sample(utterances, 16):
    events.append({"type": "chat", "message_id": f"demo-chat-{u['id']}",
                   "body": {"messages": [{"role": "user", "content": u["text"]}], "model": "tierflow"}})

with open(out / "demo-events.jsonl", "w", encoding="utf-8") as f:
    for e in events:
        f.write(json.dumps(e) + "\n")
print(f"wrote {len(kb_codes)} fault-code knowledge-base entries (and the failure modes) and {len(events)} demo messages to {out}")
