"""The validation sets (policy-cases ``drafts.dev.jsonl``, ``comments.dev.jsonl``): never trained
on, never used to pick a threshold; they only measure, and gate a new head set.

The same functions produce the figures of ``make bench``.
"""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from onevoice.screening.model import Draft

CLAUSES = ("2.a", "2.b", "2.c", "2.d", "2.e", "2.f", "2.g")
GATE_MARGIN = 0.02  # a new head set may not lose more than this on a validation figure


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def drafts_path(data_dir: Path) -> Path:
    return data_dir / "policy-cases" / "drafts.dev.jsonl"


def comments_path(data_dir: Path) -> Path:
    return data_dir / "policy-cases" / "comments.dev.jsonl"


def prf(tp: int, fp: int, fn: int) -> dict:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "tp": tp, "fp": fp, "fn": fn}


def screening(items: list[dict], engine) -> dict:
    """Item level: a clause counts as found when the report has a finding for it. Span level: a
    gold span counts as found when a finding of its clause overlaps it in the original text."""
    tp, fp, fn = defaultdict(int), defaultdict(int), defaultdict(int)
    span_found, span_total = defaultdict(int), defaultdict(int)
    by_lang: dict[str, list] = defaultdict(list)
    compliant = compliant_blocked = 0
    errors: list[dict] = []
    reports = engine.screen_many([Draft.from_dict(i) for i in items])
    for item, report in zip(items, reports):
        got, want = set(report.labels), set(item["labels"])
        by_lang[item.get("lang") or "en"].append((got, want))
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
                           "text": item["text"], "findings": [(f.rule, f.text) for f in report.findings]})
    per_clause = {}
    for c in CLAUSES:
        per_clause[c] = {**prf(tp[c], fp[c], fn[c]),
                         "span_recall": span_found[c] / span_total[c] if span_total[c] else None}
    return {"items": len(items), "per_clause": per_clause, "languages": _by_language(by_lang),
            "macro_f1_2a_2f": sum(per_clause[c]["f1"] for c in CLAUSES[:6]) / 6,
            "false_block_rate": compliant_blocked / compliant if compliant else 0.0,
            "compliant": compliant, "compliant_blocked": compliant_blocked, "errors": errors}


def _by_language(by_lang: dict[str, list]) -> dict:
    """Per language: clause F1 pooled over 2.a-2.f (a language has too few drafts for a macro
    average per clause) and the share of drafts whose clauses are exactly right."""
    out = {}
    for lang, pairs in sorted(by_lang.items()):
        tp = sum(len((g & w) & set(CLAUSES[:6])) for g, w in pairs)
        fp = sum(len((g - w) & set(CLAUSES[:6])) for g, w in pairs)
        fn = sum(len((w - g) & set(CLAUSES[:6])) for g, w in pairs)
        out[lang] = {"items": len(pairs), "pooled_f1_2a_2f": prf(tp, fp, fn)["f1"],
                     "exact": sum(g == w for g, w in pairs) / len(pairs)}
    return out


def triage(items: list[dict], triage_many) -> dict:
    results = triage_many([i["text"] for i in items], [i.get("author_followers") for i in items])
    tp = fp = fn = 0
    right = 0
    sev_right = 0
    by_lang: dict[str, list] = defaultdict(list)
    for item, t in zip(items, results):
        want = bool(item["escalate"])
        by_lang[item.get("lang") or "en"].append((t.escalate, want, t.category == item["category"]))
        tp += t.escalate and want
        fp += t.escalate and not want
        fn += want and not t.escalate
        right += t.category == item["category"]
        sev_right += t.severity == item["severity"]
    languages = {lang: {"items": len(rows),
                        "escalate_f1": prf(sum(p and w for p, w, _ in rows), sum(p and not w for p, w, _ in rows),
                                           sum(w and not p for p, w, _ in rows))["f1"],
                        "category_accuracy": sum(ok for _, _, ok in rows) / len(rows)}
                 for lang, rows in sorted(by_lang.items())}
    return {"items": len(items), "escalate": prf(tp, fp, fn), "category_accuracy": right / len(items),
            "severity_accuracy": sev_right / len(items), "languages": languages}


def gate(new: dict, old: dict | None) -> list[str]:
    """The validation figures on which `new` is worse than `old` by more than the margin."""
    if not old:
        return []
    worse = []
    for key, a, b in (("screening macro-F1 2.a-2.f", new.get("screening"), old.get("screening")),
                      ("triage escalation F1", new.get("triage"), old.get("triage"))):
        if a is not None and b is not None and a < b - GATE_MARGIN:
            worse.append(f"{key}: {a:.3f} < {b:.3f}")
    return worse
