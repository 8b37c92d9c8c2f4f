"""Comment triage: onevoice's classifier and vaderSentiment side by side, in one process.

1. policy-cases/comments.dev.jsonl: escalation precision/recall/F1, category and severity
   accuracy. These 150 comments are the development set the cues were written against, so
   the figures are an upper bound; unseen comments will score lower.
2. vader-icwsm2014 (tweets, movie, amazon, NYT snippets; human ratings from -4 to +4): the
   negative class is a mean rating below -0.5. VADER says negative when compound <= -0.05, as
   its authors recommend; onevoice says negative when its negative score (VADER's compound
   corrected for positive-context idioms, sarcasm and a hand-written critique lexicon) is at least
   0.05, i.e. the same threshold.
   Nothing was fitted to this data, so every figure here is held out.
3. Throughput: comments per second, batched, one core.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from onevoice.triage import triage, triage_batch

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SUBSETS = {"tweets": "tweets_GroundTruth.txt", "movie reviews": "movieReviewSnippets_GroundTruth.txt",
           "amazon reviews": "amazonReviewSnippets_GroundTruth.txt", "NYT editorials": "nytEditorialSnippets_GroundTruth.txt"}
NEGATIVE_BELOW = -0.5


def load_subset(name: str) -> list[tuple[str, float]]:
    rows = []
    for line in (DATA / "vader-icwsm2014" / SUBSETS[name]).read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split("\t")
        if len(parts) >= 3:
            rows.append((parts[2], float(parts[1])))
    return rows


def prf(gold: list[bool], pred: list[bool]) -> dict:
    tp = sum(g and p for g, p in zip(gold, pred))
    fp = sum(p and not g for g, p in zip(gold, pred))
    fn = sum(g and not p for g, p in zip(gold, pred))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def run() -> dict:
    comments = [json.loads(l) for l in (DATA / "policy-cases" / "comments.dev.jsonl").read_text().splitlines() if l.strip()]
    results = [triage(c["text"], c.get("author_followers")) for c in comments]
    dev = prf([c["escalate"] for c in comments], [r.escalate for r in results])
    dev["category_accuracy"] = sum(c["category"] == r.category for c, r in zip(comments, results)) / len(comments)
    dev["severity_accuracy"] = sum(c["severity"] == r.severity for c, r in zip(comments, results)) / len(comments)
    vader = SentimentIntensityAnalyzer()
    vader_dev = prf([c["escalate"] for c in comments], [vader.polarity_scores(c["text"])["compound"] <= -0.05 for c in comments])
    subsets = {}
    for name in SUBSETS:
        rows = load_subset(name)
        gold = [score < NEGATIVE_BELOW for _, score in rows]
        ours = [triage(text).scores["negative"] >= 0.05 for text, _ in rows]
        theirs = [vader.polarity_scores(text)["compound"] <= -0.05 for text, _ in rows]
        subsets[name] = {"onevoice": prf(gold, ours), "vader": prf(gold, theirs), "n": len(rows)}
    texts = [{"text": t, "author_followers": 100} for t, _ in load_subset("tweets")]
    start = time.perf_counter()
    triage_batch(texts)
    ours_rate = len(texts) / (time.perf_counter() - start)
    start = time.perf_counter()
    for t in texts:
        vader.polarity_scores(t["text"])
    vader_rate = len(texts) / (time.perf_counter() - start)
    return {"dev": dev, "vader_dev": vader_dev, "subsets": subsets, "texts_per_s": ours_rate, "vader_texts_per_s": vader_rate}


def table(r: dict) -> str:
    d, v = r["dev"], r["vader_dev"]
    lines = [(__doc__ or "").strip(), "",
             "| comments.dev (150) | escalation P | R | F1 | category accuracy | severity accuracy |",
             "|---|---|---|---|---|---|",
             f"| onevoice | {d['precision']:.2f} | {d['recall']:.2f} | {d['f1']:.2f} | {d['category_accuracy']:.2f} | {d['severity_accuracy']:.2f} |",
             f"| vaderSentiment (negative = escalate) | {v['precision']:.2f} | {v['recall']:.2f} | {v['f1']:.2f} | - | - |",
             "", "| negative class | n | onevoice P / R / F1 | VADER P / R / F1 |", "|---|---|---|---|"]
    for name, s in r["subsets"].items():
        o, w = s["onevoice"], s["vader"]
        lines.append(f"| {name} | {s['n']} | {o['precision']:.2f} / {o['recall']:.2f} / {o['f1']:.2f} | "
                     f"{w['precision']:.2f} / {w['recall']:.2f} / {w['f1']:.2f} |")
    lines.append(f"\nThroughput (tweets, batched, one core): onevoice {r['texts_per_s']:.0f} comments/s, "
                 f"VADER alone {r['vader_texts_per_s']:.0f} texts/s.")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run()))
