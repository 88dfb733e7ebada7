#!/usr/bin/env python3
"""Builds the batch re-diagnosis samples in examples/batch/ from ../shared/data/industrial.

  - tep-alarms.csv: the first 300 alarm lines of the Tennessee-Eastman process alarm log
    (Antonizitron/tep_alarms_text, text_alarms_original_1.csv; CC0-1.0), columns as exported.
  - work-orders.csv: 200 chiller work orders from IBM AssetOpsBench (Apache-2.0), with the failure code
    description they were closed with (the previous diagnosis).
Deterministic. Run: python3 scripts/make_batch_examples.py [SHARED_DATA_DIR]
"""
import csv
import sys
from pathlib import Path

repo = Path(__file__).resolve().parent.parent
data = Path(sys.argv[1]) if len(sys.argv) > 1 else repo.parent / "shared" / "data" / "industrial"
out = repo / "examples" / "batch"
out.mkdir(parents=True, exist_ok=True)

with open(data / "tep-alarms/text_alarms_original_1.csv", encoding="utf-8", newline="") as f:
    rows = list(csv.reader(f))
with open(out / "tep-alarms.csv", "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["row", "timestamp", "tag", "type", "description"])
    for row in rows[1:301]:
        w.writerow(row)

with open(data / "assetopsbench/all_wo_with_code_component_events.csv", encoding="utf-8-sig", newline="") as f:
    orders = [r for r in csv.DictReader(f) if r["preventive"].upper() == "FALSE"]
orders = sorted(orders, key=lambda r: r["wo_id"])[:200]
columns = ["wo_id", "wo_description", "collection", "primary_code", "primary_code_description", "equipment_id",
           "equipment_name", "work_priority", "actual_finish"]
with open(out / "work-orders.csv", "w", encoding="utf-8", newline="") as f:
    w = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in orders:
        w.writerow(r)
print(f"wrote {out}/tep-alarms.csv (300 lines) and {out}/work-orders.csv ({len(orders)} lines)")
