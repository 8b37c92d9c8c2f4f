"""The training corpus written for this project: large and broad enough, consistent with the
labelling guide, and not made from the validation sets."""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from onevoice.training import corpus
from onevoice.training.corpus import CorpusError, check_comment, check_draft

DEV = Path(__file__).resolve().parents[3] / "shared" / "data" / "policy-cases"


@pytest.fixture(scope="module")
def drafts():
    return corpus.load_drafts()


@pytest.fixture(scope="module")
def comments():
    return corpus.load_comments()


def test_drafts_cover_every_clause_kind_and_language(drafts):
    assert len(drafts) >= 3000
    labels = Counter(c for d in drafts for c in d["labels"])
    assert all(labels[c] >= 150 for c in corpus.CLAUSES), labels
    assert sum(not d["labels"] for d in drafts) >= 0.4 * len(drafts)
    kinds = Counter(d["kind"] for d in drafts)
    assert all(kinds[k] >= 300 for k in ("official", "reply", "personal")), kinds
    langs = Counter(d["lang"] for d in drafts)
    assert all(langs[lang] >= 200 for lang in corpus.LANGS), langs
    assert len({d["genre"] for d in drafts}) >= 50


def test_comments_cover_every_category_and_language(comments):
    assert len(comments) >= 1500
    cats = Counter(c["category"] for c in comments)
    assert all(cats[c] >= 50 for c in corpus.CATEGORIES), cats
    langs = Counter(c["lang"] for c in comments)
    assert all(langs[lang] >= 100 for lang in corpus.LANGS), langs


@pytest.mark.parametrize("item,message", [
    ({"text": "x", "kind": "official", "labels": ["2.f"]}, "2.f on a official"),
    ({"text": "x", "kind": "tweet", "labels": []}, "kind"),
    ({"text": "hello", "kind": "official", "labels": ["2.a"], "spans": [{"clause": "2.a", "text": "bye"}]}, "not in the text"),
    ({"text": "hello", "kind": "official", "labels": [], "spans": [{"clause": "2.a", "text": "hello"}]}, "not a label"),
])
def test_a_draft_against_the_guide_is_refused(item, message):
    with pytest.raises(CorpusError, match=message):
        check_draft("f.jsonl:1", item)


def test_a_comment_against_the_guide_is_refused():
    with pytest.raises(CorpusError, match="escalate does not match"):
        check_comment("c:1", {"text": "x", "category": "praise", "escalate": True, "severity": 1})
    with pytest.raises(CorpusError, match="severity"):
        check_comment("c:1", {"text": "x", "category": "complaint", "escalate": True, "severity": 0})


def _grams(text: str) -> set[str]:
    t = re.sub(r"\W+", " ", text.lower()).strip()
    return {t[i:i + 5] for i in range(max(0, len(t) - 4))}


@pytest.mark.skipif(not DEV.exists(), reason="the validation sets are not beside the checkout")
@pytest.mark.parametrize("name,loader", [("drafts.dev.jsonl", "load_drafts"), ("comments.dev.jsonl", "load_comments")])
def test_no_training_item_is_a_copy_or_close_paraphrase_of_a_validation_item(name, loader):
    dev = [json.loads(line) for line in (DEV / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    dev_grams = [(d["text"], _grams(d["text"])) for d in dev]
    close = []
    for item in getattr(corpus, loader)():
        g = _grams(item["text"])
        if len(g) < 20:
            continue
        for text, dg in dev_grams:
            if len(dg) >= 20 and len(g & dg) / len(g | dg) > 0.5:
                close.append((item["id"], text[:60]))
    assert not close, close
