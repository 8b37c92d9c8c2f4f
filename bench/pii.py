"""onevoice's personal-data recognizers and presidio-analyzer side by side, in one process.

Data: ../shared/data/presidio-synth-pii (1,500 template-generated sentences, 2,863 labelled
spans) and ../shared/data/asq-phi (1,051 clinician queries, 2,973 PHI values, 219 hard negatives).

Presidio runs with its default recognizers and `NoOpNlpEngine` (no NER model), so neither system
uses a statistical model. Matching is the same for both, entity-agnostic span overlap:
- a predicted span is correct when it overlaps a gold span;
- a gold span is found when any predicted span overlaps it;
- precision = correct predictions / predictions, recall = found gold spans / gold spans.
"any-PII" counts every labelled span. "personal" counts only the labels that are personal
information in the sense of 2.a (PERSON, STREET_ADDRESS, ZIP_CODE, PHONE_NUMBER, EMAIL_ADDRESS,
CREDIT_CARD, IBAN_CODE, US_SSN, US_DRIVER_LICENSE, IP_ADDRESS, DATE_TIME, AGE): it leaves out
places (GPE), organisations, job titles, nationalities and domain names.
Per-group figures are recall of the gold spans of that group, plus precision of the predictions
of the matching type(s) where both systems type their predictions that way.
Held out: no recognizer was fitted to this data; the figures on the records with an odd
template_id are reported beside the full set as a check on template leakage.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from onevoice.screening.pii import find_pii

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
PERSONAL = {"PERSON", "STREET_ADDRESS", "ZIP_CODE", "PHONE_NUMBER", "EMAIL_ADDRESS", "CREDIT_CARD", "IBAN_CODE",
            "US_SSN", "US_DRIVER_LICENSE", "IP_ADDRESS", "DATE_TIME", "AGE"}
GROUPS = {
    "person": {"PERSON"}, "address": {"STREET_ADDRESS", "ZIP_CODE"}, "phone": {"PHONE_NUMBER"},
    "email": {"EMAIL_ADDRESS"}, "card/bank/id": {"CREDIT_CARD", "IBAN_CODE", "US_SSN", "US_DRIVER_LICENSE"},
    "ip": {"IP_ADDRESS"}, "date/age": {"DATE_TIME", "AGE"}, "place/org/other": {"GPE", "ORGANIZATION", "TITLE", "NRP",
                                                                               "DOMAIN_NAME"},
}
PRED_GROUPS = {  # prediction types of each system counted for a group's precision
    "phone": {"PHONE_NUMBER"}, "email": {"EMAIL_ADDRESS"},
    "card/bank/id": {"CREDIT_CARD", "IBAN_CODE", "US_SSN", "US_DRIVER_LICENSE", "ID", "US_PASSPORT", "US_BANK_NUMBER",
                     "US_ITIN"},
    "ip": {"IP_ADDRESS"},
}


def load_synth() -> list[dict]:
    return json.loads((DATA / "presidio-synth-pii" / "synth_dataset_v2.json").read_text(encoding="utf-8"))


def load_asq() -> list[dict]:
    text = (DATA / "asq-phi" / "synthetic_clinical_queries.txt").read_text(encoding="utf-8")
    items = []
    for block in text.split("===QUERY===")[1:]:
        query, _, tags = block.partition("===PHI_TAGS===")
        query = query.strip()
        spans = []
        for line in tags.strip().splitlines():
            if line.strip():
                tag = json.loads(line)
                i = query.find(tag["value"])
                if i < 0:
                    i = query.lower().find(tag["value"].lower())
                if i >= 0:
                    spans.append({"entity_type": tag["identifier_type"], "start_position": i,
                                  "end_position": i + len(tag["value"])})
        items.append({"full_text": query, "spans": spans})
    return items


def presidio_engine():
    import logging

    logging.getLogger("tldextract").setLevel(logging.CRITICAL)  # it tries the network for a suffix list
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NoOpNlpEngine

    engine = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
    engine.load()
    return AnalyzerEngine(nlp_engine=engine, supported_languages=["en"])


def ours(text: str) -> list[tuple[int, int, str]]:
    return [(s.start, s.end, s.entity) for s in find_pii(text)]


def make_presidio():
    analyzer = presidio_engine()

    def run(text: str) -> list[tuple[int, int, str]]:
        return [(r.start, r.end, r.entity_type) for r in analyzer.analyze(text=text, language="en")]
    return run


def _overlap(a: tuple, b: tuple) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def score(items: list[dict], predictions: list[list[tuple]], labels: set[str] | None = None) -> dict:
    tp_pred = n_pred = found = n_gold = 0
    group_found = {g: 0 for g in GROUPS}
    group_total = {g: 0 for g in GROUPS}
    group_pred = {g: [0, 0] for g in PRED_GROUPS}
    for item, preds in zip(items, predictions):
        gold = [(s["start_position"], s["end_position"], s["entity_type"]) for s in item["spans"]
                if labels is None or s["entity_type"] in labels]
        all_gold = [(s["start_position"], s["end_position"], s["entity_type"]) for s in item["spans"]]
        # predictions overlapping a gold span outside the counted labels are neither right nor wrong
        counted = [p for p in preds if labels is None or not any(_overlap(p, g) for g in all_gold if g not in gold)]
        n_pred += len(counted)
        tp_pred += sum(1 for p in counted if any(_overlap(p, g) for g in gold))
        for g in gold:
            hit = any(_overlap(p, g) for p in preds)
            n_gold += 1
            found += hit
            for name, types in GROUPS.items():
                if g[2] in types:
                    group_total[name] += 1
                    group_found[name] += hit
        for name, types in PRED_GROUPS.items():
            for p in preds:
                if p[2] in types:
                    group_pred[name][1] += 1
                    group_pred[name][0] += any(_overlap(p, g) for g in all_gold if g[2] in GROUPS[name])
    p = tp_pred / n_pred if n_pred else 0.0
    r = found / n_gold if n_gold else 0.0
    groups = {}
    for name in GROUPS:
        rec = group_found[name] / group_total[name] if group_total[name] else None
        entry = {"recall": rec, "gold": group_total[name]}
        if name in group_pred and group_pred[name][1]:
            prec = group_pred[name][0] / group_pred[name][1]
            entry["precision"] = prec
            entry["f1"] = 2 * prec * rec / (prec + rec) if rec and prec + rec else 0.0
        groups[name] = entry
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "groups": groups}


def timed(fn, texts: list[str]) -> tuple[list, dict]:
    for t in texts[:20]:
        fn(t)
    out, lat = [], []
    start = time.perf_counter()
    for t in texts:
        t0 = time.perf_counter_ns()
        out.append(fn(t))
        lat.append(time.perf_counter_ns() - t0)
    elapsed = time.perf_counter() - start
    lat.sort()
    return out, {"texts_per_s": len(texts) / elapsed, "p50_ms": lat[len(lat) // 2] / 1e6,
                 "p99_ms": lat[int(len(lat) * 0.99) - 1] / 1e6}


def run() -> dict:
    synth, asq = load_synth(), load_asq()
    systems = {"onevoice": ours, "presidio (no NER)": make_presidio()}
    result = {"synth": {}, "asq": {}}
    odd = [i for i, x in enumerate(synth) if x["template_id"] % 2 == 1]
    for name, fn in systems.items():
        preds, speed = timed(fn, [x["full_text"] for x in synth])
        odd_items, odd_preds = [synth[i] for i in odd], [preds[i] for i in odd]
        result["synth"][name] = {
            "speed": speed,
            "any_pii": score(synth, preds),
            "personal": score(synth, preds, PERSONAL),
            "any_pii_odd_templates": score(odd_items, odd_preds),
            "personal_odd_templates": score(odd_items, odd_preds, PERSONAL),
        }
        apreds, aspeed = timed(fn, [x["full_text"] for x in asq])
        negatives = [p for x, p in zip(asq, apreds) if not x["spans"]]
        result["asq"][name] = {
            "speed": aspeed, "any_phi": score(asq, apreds),
            "hard_negatives_flagged": sum(1 for p in negatives if p) / len(negatives) if negatives else 0.0,
        }
    a, b = (result["synth"][n]["speed"]["texts_per_s"] for n in systems)
    result["throughput_ratio"] = a / b
    return result


def table(result: dict) -> str:
    lines = ["| system | any-PII P | R | F1 | personal P | R | F1 | odd templates any-PII F1 | personal F1 | texts/s | p50 ms | p99 ms |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in result["synth"].items():
        a, p, ao, po, s = r["any_pii"], r["personal"], r["any_pii_odd_templates"], r["personal_odd_templates"], r["speed"]
        lines.append(f"| {name} | {a['precision']:.2f} | {a['recall']:.2f} | {a['f1']:.2f} | {p['precision']:.2f} | "
                     f"{p['recall']:.2f} | {p['f1']:.2f} | {ao['f1']:.2f} | {po['f1']:.2f} | {s['texts_per_s']:.0f} | "
                     f"{s['p50_ms']:.3f} | {s['p99_ms']:.3f} |")
    lines += ["", "| group (recall; precision/F1 where typed) | " + " | ".join(result["synth"]) + " |",
              "|---|" + "---|" * len(result["synth"])]
    for g in GROUPS:
        cells = []
        for r in result["synth"].values():
            e = r["any_pii"]["groups"][g]
            cell = f"R {e['recall']:.2f}" if e["recall"] is not None else "-"
            if "f1" in e:
                cell += f", P {e['precision']:.2f}, F1 {e['f1']:.2f}"
            cells.append(cell)
        lines.append(f"| {g} ({r['any_pii']['groups'][g]['gold']}) | " + " | ".join(cells) + " |")
    lines += ["", "| ASQ-PHI | PHI P | R | F1 | hard negatives with any span | texts/s |", "|---|---|---|---|---|---|"]
    for name, r in result["asq"].items():
        a = r["any_phi"]
        lines.append(f"| {name} | {a['precision']:.2f} | {a['recall']:.2f} | {a['f1']:.2f} | "
                     f"{r['hard_negatives_flagged']:.0%} | {r['speed']['texts_per_s']:.0f} |")
    lines.append(f"\nThroughput ratio onevoice / presidio (synth, same run): {result['throughput_ratio']:.1f}x")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run()))
