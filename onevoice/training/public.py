"""The public real-tweet sets in ../shared/data, each with a fixed held-out part.

They teach the conduct head (2.e) what offensive language looks like in real posts, in the
members' languages. The held-out part is never trained on; the figures reported for these sets
come from it. OLID comes split (train / val): its val split is the held-out part. The others
come as one file: an id hash sends a fifth of it to the held-out part.
"""
from __future__ import annotations

import csv
import json
import zlib
from pathlib import Path

HELD_OUT_SHARE = 5  # one in five


def _held_out(source: str, item_id: str) -> bool:
    return zlib.crc32(f"{source}:{item_id}".encode()) % HELD_OUT_SHARE == 0


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def offensive(data_dir: Path) -> list[dict]:
    """Real tweets labelled offensive (1) or not (0): {"id", "text", "label", "lang", "source", "held_out"}."""
    out: list[dict] = []

    def add(source, item_id, text, label, lang, held_out=None):
        out.append({"id": f"{source}:{item_id}", "text": text, "label": int(label), "lang": lang,
                    "source": source, "held_out": _held_out(source, str(item_id)) if held_out is None else held_out})

    for r in _jsonl(data_dir / "olid-offensive-en" / "olid-offensive-en.jsonl"):
        add("olid", r["id"], r["text"], r["label"], "en", held_out=r["split"] != "train")
    for r in _jsonl(data_dir / "germeval2018-offensive-de" / "germeval2018-offensive-de.jsonl"):
        add("germeval", r["id"], r["text"], r["label"], "de")
    for r in _jsonl(data_dir / "toldbr-toxic-pt" / "toldbr-toxic-pt.jsonl"):
        add("toldbr", r["id"], r["text"], r["label"], "pt")
    for r in _jsonl(data_dir / "mlma-hate-fr" / "mlma-hate-fr.jsonl"):
        add("mlma", r["id"], r["text"], r["label"], "fr")
    with (data_dir / "davidson-hate-offensive" / "labeled_data.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            add("davidson", r[""], r["tweet"], r["class"] in ("0", "1"), "en")
    return out


def sarcasm(data_dir: Path) -> list[dict]:
    return [{"id": f"isarcasm:{r['id']}", "text": r["text"], "label": int(r["label"]), "lang": "en",
             "source": "isarcasm", "held_out": _held_out("isarcasm", r["id"])}
            for r in _jsonl(data_dir / "isarcasmeval-en" / "isarcasmeval-en.jsonl")]


def vader_tweets(data_dir: Path) -> list[dict]:
    """VADER's human-rated tweets: rating -4..4."""
    out = []
    for line in (data_dir / "vader-icwsm2014" / "tweets_GroundTruth.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 3:
            out.append({"id": f"vader:{parts[0]}", "text": parts[2], "rating": float(parts[1]), "lang": "en",
                        "source": "vader", "held_out": _held_out("vader", parts[0])})
    return out
