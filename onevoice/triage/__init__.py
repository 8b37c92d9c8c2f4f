"""Triage of inbound comments and mentions (3. Crisis management).

Each comment gets a category, whether it must reach the Communications & Technical Standing
Committee chair, a severity, scores and the reasons behind them, so the committee's inbox can
say why. Pure and fast, like the screening engine: text in, a Triage out, no I/O.

    complaint, abuse, misinformation, crisis  -> escalate (severity 1-3)
    question, praise, neutral, spam           -> not escalated (severity 0)

The decision is learned (``learned.py``: heads over the multilingual encoder, fitted on the
comments written for this project): the escalate head decides whether the comment goes to the
chair, the category head names the best category on that side of the line, the severity head
grades an escalated comment, and ``severity.py`` raises it for a large audience.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable

from .severity import ESCALATE, LARGE_AUDIENCE, severity

CATEGORIES = ESCALATE + ("question", "praise", "neutral", "spam")


@dataclass(frozen=True)
class Triage:
    category: str
    escalate: bool
    severity: int
    scores: dict = field(default_factory=dict)
    reasons: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"category": self.category, "escalate": self.escalate, "severity": self.severity,
                "scores": self.scores, "reasons": list(self.reasons)}

    def to_batch_line(self, item_id) -> dict:
        return {"id": item_id, "escalate": self.escalate, "category": self.category,
                "severity": self.severity, "scores": self.scores}


class HeadsMissing(RuntimeError):
    """The package was installed without its triage heads."""


@lru_cache(maxsize=1)
def shipped_model():
    from onevoice.learned.encoder import get_encoder
    from onevoice.learned.heads import load

    from .learned import LearnedTriage

    heads = load("triage")
    if heads is None:
        raise HeadsMissing("the triage heads (onevoice/learned/heads/triage.*) are missing: "
                           "reinstall onevoice or run `onevoice model train`")
    return LearnedTriage(heads, get_encoder(heads.encoder))


NOTHING = Triage("neutral", False, 0, {}, ("no text",))


def _decide(s, threshold: float, followers: int | None) -> Triage:
    escalate = s.escalate >= threshold
    side = [c for c in CATEGORIES if (c in ESCALATE) == escalate]
    category = max(side, key=lambda c: s.category.get(c, 0.0))
    graded = max((1, 2, 3), key=lambda k: s.severity.get(k, 0.0)) if escalate else 0
    level, bump = severity(category, graded, followers)
    scores = {c: round(s.category.get(c, 0.0), 3) for c in CATEGORIES}
    scores["escalate"] = round(s.escalate, 3)
    scores["negative"] = round(s.negative, 3)
    reasons = [f"escalate {s.escalate:.2f} ({'at or above' if escalate else 'below'} {threshold:.2f})",
               f"{category} {s.category.get(category, 0.0):.2f}"]
    if escalate:
        reasons.append(f"severity {graded} {s.severity.get(graded, 0.0):.2f}")
    if bump:
        reasons.append(bump)
    return Triage(category, escalate, level, scores, tuple(reasons))


def triage_many(texts: list[str], followers: list[int | None], model=None) -> list[Triage]:
    """Many comments at once: the encoder reads them in one batch. `model`: a LearnedTriage
    (the shipped heads by default)."""
    model = model or shipped_model()
    said = [i for i, t in enumerate(texts) if t and t.strip()]  # an empty comment says nothing to escalate
    scores = dict(zip(said, model.score([texts[i] for i in said])))
    return [_decide(scores[i], model.threshold, followers[i]) if i in scores else NOTHING
            for i in range(len(texts))]


def triage(text: str, author_followers: int | None = None) -> Triage:
    return triage_many([text or ""], [author_followers])[0]


def triage_batch(items: Iterable[dict]) -> list[Triage]:
    """Many comments: dicts with "text" and optionally "author_followers"."""
    items = list(items)
    return triage_many([i.get("text") or "" for i in items], [i.get("author_followers") for i in items])


__all__ = ["CATEGORIES", "ESCALATE", "LARGE_AUDIENCE", "Triage", "triage", "triage_batch", "triage_many"]
