"""Per-clause precision/recall and false blocks on the labelled policy drafts.

Item level: a clause counts as found when the report has a finding for it. Span level: a gold
span counts as found when a finding of its clause overlaps it in the original text.
Run alone: python -m bench.policy_cases [path] [--errors CLAUSE]
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from onevoice.screening import default_engine
from onevoice.training import validate

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "policy-cases" / "drafts.dev.jsonl"
CLAUSES = validate.CLAUSES


def load(path: Path = DATA) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluate(items: list[dict], engine=None) -> dict:
    """The figures `onevoice model train` gates on, for any engine (the shipped one by default)."""
    return validate.screening(items, engine or default_engine())


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
