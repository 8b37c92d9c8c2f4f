"""The training corpus written for this project (see ``corpus/README.md``).

``corpus/drafts/*.jsonl`` and ``corpus/comments/*.jsonl`` follow the labelling guide of the
validation sets. Loading checks every item; an item that breaks the guide's rules (a span that
is not in the text, 2.f on an official draft, a category that contradicts its escalation) stops
the training with the file and id, so a typo never becomes a label.
"""
from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path

from onevoice.screening.model import DRAFT_KINDS

CLAUSES = ("2.a", "2.b", "2.c", "2.d", "2.e", "2.f", "2.g")
LANGS = ("en", "es", "fr", "de", "pt", "it")
CATEGORIES = ("complaint", "abuse", "misinformation", "crisis", "question", "praise", "neutral", "spam")
ESCALATED = frozenset(CATEGORIES[:4])


class CorpusError(ValueError):
    pass


def corpus_dir() -> Path:
    return Path(str(resources.files("onevoice.training").joinpath("corpus")))


def _read(folder: Path) -> list[tuple[str, dict]]:
    out = []
    for path in sorted(folder.glob("*.jsonl")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                out.append((f"{path.name}:{n}", json.loads(line)))
            except json.JSONDecodeError as exc:
                raise CorpusError(f"{path.name}:{n}: not JSON ({exc.msg})") from None
    return out


def check_draft(where: str, d: dict) -> None:
    if not isinstance(d.get("text"), str) or not d["text"].strip():
        raise CorpusError(f"{where}: no text")
    if d.get("kind") not in DRAFT_KINDS:
        raise CorpusError(f"{where}: kind {d.get('kind')!r}")
    labels = d.get("labels")
    if not isinstance(labels, list) or any(c not in CLAUSES for c in labels):
        raise CorpusError(f"{where}: labels {labels!r}")
    if "2.f" in labels and d["kind"] != "personal":
        raise CorpusError(f"{where}: 2.f on a {d['kind']} draft")
    for s in d.get("spans") or []:
        if s.get("clause") not in labels:
            raise CorpusError(f"{where}: span of {s.get('clause')!r}, which is not a label")
        if not s.get("text") or s["text"] not in d["text"]:
            raise CorpusError(f"{where}: span {s.get('text')!r} is not in the text")
    if not isinstance(d.get("attachments", []), list):
        raise CorpusError(f"{where}: attachments must be a list")


def check_comment(where: str, c: dict) -> None:
    if not isinstance(c.get("text"), str) or not c["text"].strip():
        raise CorpusError(f"{where}: no text")
    if c.get("category") not in CATEGORIES:
        raise CorpusError(f"{where}: category {c.get('category')!r}")
    if bool(c.get("escalate")) != (c["category"] in ESCALATED):
        raise CorpusError(f"{where}: escalate does not match category {c['category']}")
    sev = c.get("severity")
    if sev not in (0, 1, 2, 3) or (sev == 0) == bool(c["escalate"]):
        raise CorpusError(f"{where}: severity {sev!r} with escalate={c['escalate']}")


def _load(kind: str, check) -> list[dict]:
    items, seen_ids, seen_texts = [], set(), set()
    for where, item in _read(corpus_dir() / kind):
        check(where, item)
        if item.get("id") in seen_ids:
            raise CorpusError(f"{where}: id {item.get('id')!r} used twice")
        seen_ids.add(item["id"])
        key = " ".join(item["text"].split()).lower()
        if key in seen_texts:  # the same text twice would sit in two folds and flatter the CV
            continue
        seen_texts.add(key)
        items.append(item)
    return items


def load_drafts() -> list[dict]:
    return _load("drafts", check_draft)


def load_comments() -> list[dict]:
    return _load("comments", check_comment)


def digest(items: list[dict]) -> str:
    h = hashlib.sha256()
    for item in items:
        h.update(json.dumps(item, sort_keys=True, ensure_ascii=False).encode())
    return h.hexdigest()[:16]
