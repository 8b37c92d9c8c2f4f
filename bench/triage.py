"""Comment triage: onevoice's classifier and vaderSentiment side by side, in one process.

1. policy-cases/comments.dev.jsonl (150): escalation precision/recall/F1, category and severity
   accuracy. VADER's row escalates when compound <= -0.05. Triage is learned from the corpus
   written for this project; these comments were never trained on.
2. vader-icwsm2014 (tweets, movie reviews, amazon reviews, NYT editorials): gold negative = mean
   human rating < 0 (ratings run -4..+4). VADER says negative when compound <= -0.05, as its
   authors recommend; onevoice when its `negative` score (P(negative) from sentiment.py) >= 0.5.
   onevoice's learned layer was fitted on the FIT half of each subset (bench/triage_build.py,
   fixed md5 split); "held-out" rows are the other half, never used for fitting; "full" mixes
   both halves and so flatters onevoice.
3. Throughput: texts per second, batched, one core, the same texts for both.

    .venv/bin/python -m bench.triage
"""
from __future__ import annotations

import json
import time

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from bench.triage_build import DATA, SUBSETS, gold_negative, is_fit, load_subset
from onevoice.triage import triage, triage_batch
from onevoice.triage.sentiment import NEGATIVE_AT

VADER_NEGATIVE = -0.05


def prf(gold: list[bool], pred: list[bool]) -> dict:
    tp = sum(g and p for g, p in zip(gold, pred))
    fp = sum(p and not g for g, p in zip(gold, pred))
    fn = sum(g and not p for g, p in zip(gold, pred))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "n": len(gold)}


def _rate(fn, texts: list, repeat_to: int = 6000) -> float:
    batch = (texts * (repeat_to // len(texts) + 1))[:repeat_to]
    start = time.perf_counter()
    fn(batch)
    return len(batch) / (time.perf_counter() - start)


def run() -> dict:
    vader = SentimentIntensityAnalyzer()
    comments = [json.loads(line) for line in (DATA / "policy-cases" / "comments.dev.jsonl").read_text(encoding="utf-8").splitlines()
                if line.strip()]
    results = triage_batch(comments)
    gold_esc = [c["escalate"] for c in comments]
    dev = prf(gold_esc, [r.escalate for r in results])
    dev["category_accuracy"] = sum(c["category"] == r.category for c, r in zip(comments, results)) / len(comments)
    dev["severity_accuracy"] = sum(c["severity"] == r.severity for c, r in zip(comments, results)) / len(comments)
    vader_dev = prf(gold_esc, [vader.polarity_scores(c["text"])["compound"] <= VADER_NEGATIVE for c in comments])

    subsets = {}
    for name in SUBSETS:
        rows = load_subset(name)
        gold = [gold_negative(rating) for _, _, rating in rows]
        ours = [triage(text).scores["negative"] >= NEGATIVE_AT for _, text, _ in rows]
        theirs = [vader.polarity_scores(text)["compound"] <= VADER_NEGATIVE for _, text, _ in rows]
        held = [not is_fit(name, row_id) for row_id, _, _ in rows]
        pick = lambda xs, held=held: [x for x, h in zip(xs, held) if h]  # noqa: E731
        subsets[name] = {"held-out": {"onevoice": prf(pick(gold), pick(ours)), "vader": prf(pick(gold), pick(theirs))},
                         "full": {"onevoice": prf(gold, ours), "vader": prf(gold, theirs)}}

    comment_texts = [{"text": c["text"], "author_followers": c.get("author_followers")} for c in comments]
    tweets = [{"text": text} for _, text, _ in load_subset("tweets")]
    speed = {
        "comments": {"onevoice": _rate(triage_batch, comment_texts),
                     "vader": _rate(lambda b: [vader.polarity_scores(i["text"]) for i in b], comment_texts)},
        "tweets": {"onevoice": _rate(triage_batch, tweets),
                   "vader": _rate(lambda b: [vader.polarity_scores(i["text"]) for i in b], tweets)},
    }
    return {"dev": dev, "vader_dev": vader_dev, "subsets": subsets, "texts_per_s": speed}


def table(r: dict) -> str:
    d, v = r["dev"], r["vader_dev"]
    f = lambda m: f"{m['precision']:.2f} / {m['recall']:.2f} / {m['f1']:.3f}"  # noqa: E731
    lines = [(__doc__ or "").strip().split("\n\n    ")[0], "",
             "| comments.dev (150) | escalation P / R / F1 | category accuracy | severity accuracy |", "|---|---|---|---|",
             f"| onevoice | {f(d)} | {d['category_accuracy']:.3f} | {d['severity_accuracy']:.3f} |",
             f"| vaderSentiment (negative = escalate) | {f(v)} | - | - |", "",
             "| vader-icwsm2014, negative class | rows | n | onevoice P / R / F1 | VADER P / R / F1 |", "|---|---|---|---|---|"]
    for part in ("held-out", "full"):
        for name, s in r["subsets"].items():
            o, w = s[part]["onevoice"], s[part]["vader"]
            lines.append(f"| {name} | {part} | {o['n']} | {f(o)} | {f(w)} |")
    lines += ["", "| texts/s, batched, one core | onevoice (full triage) | VADER (sentiment only) |", "|---|---|---|"]
    for name, s in r["texts_per_s"].items():
        lines.append(f"| {name} | {s['onevoice']:,.0f} | {s['vader']:,.0f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run()))
