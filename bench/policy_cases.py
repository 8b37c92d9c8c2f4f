"""Per-clause precision/recall and false blocks on the labelled policy drafts.

Item level: a clause counts as found when the report has a finding for it. Span level: a gold
span counts as found when a finding of its clause overlaps it in the original text.
Run alone: python -m bench.policy_cases [path] [--errors CLAUSE]
"""
from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

from onevoice.screening import Draft, default_engine

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "policy-cases" / "drafts.dev.jsonl"
CLAUSES = ("2.a", "2.b", "2.c", "2.d", "2.e", "2.f", "2.g")


def load(path: Path = DATA) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluate(items: list[dict], engine=None) -> dict:
    engine = engine or default_engine()
    tp, fp, fn = defaultdict(int), defaultdict(int), defaultdict(int)
    span_found, span_total = defaultdict(int), defaultdict(int)
    compliant = compliant_blocked = 0
    errors: list[dict] = []
    for item in items:
        report = engine.screen(Draft.from_dict(item))
        got, want = set(report.labels), set(item["labels"])
        for c in CLAUSES:
            if c in got and c in want:
                tp[c] += 1
            elif c in got:
                fp[c] += 1
            elif c in want:
                fn[c] += 1
        if not want:
            compliant += 1
            compliant_blocked += report.decision.value == "block"
        for span in item.get("spans", []):
            s = item["text"].find(span["text"])
            e = s + len(span["text"])
            span_total[span["clause"]] += 1
            span_found[span["clause"]] += any(
                f.clause == span["clause"] and f.start < e and f.end > s for f in report.findings)
        if got != want:
            errors.append({"id": item["id"], "kind": item["kind"], "want": sorted(want), "got": sorted(got),
                           "text": item["text"], "note": item.get("note"),
                           "findings": [(f.rule, f.text) for f in report.findings]})
    per_clause = {}
    for c in CLAUSES:
        p = tp[c] / (tp[c] + fp[c]) if tp[c] + fp[c] else 0.0
        r = tp[c] / (tp[c] + fn[c]) if tp[c] + fn[c] else 0.0
        per_clause[c] = {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0,
                         "tp": tp[c], "fp": fp[c], "fn": fn[c],
                         "span_recall": span_found[c] / span_total[c] if span_total[c] else None}
    return {"items": len(items), "per_clause": per_clause,
            "false_block_rate": compliant_blocked / compliant if compliant else 0.0,
            "compliant": compliant, "compliant_blocked": compliant_blocked, "errors": errors}


def main(argv: list[str]) -> None:
    path = Path(argv[0]) if argv and not argv[0].startswith("--") else DATA
    result = evaluate(load(path))
    for c, m in result["per_clause"].items():
        sr = "-" if m["span_recall"] is None else f"{m['span_recall']:.2f}"
        print(f"{c}: P={m['precision']:.2f} R={m['recall']:.2f} F1={m['f1']:.2f} "
              f"(tp={m['tp']} fp={m['fp']} fn={m['fn']}) span-recall={sr}")
    print(f"false blocks on compliant drafts: {result['compliant_blocked']}/{result['compliant']}"
          f" = {result['false_block_rate']:.1%}")
    if "--errors" in argv:
        clause = argv[argv.index("--errors") + 1] if len(argv) > argv.index("--errors") + 1 else None
        for e in result["errors"]:
            if clause is None or clause in e["want"] or clause in e["got"]:
                print(json.dumps(e, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
