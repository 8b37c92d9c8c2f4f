"""Triage of inbound comments and mentions (3. Crisis management).

Each comment gets a category, whether it must reach the Communications & Technical Standing
Committee chair, a severity, scores and the cues that decided it, so the committee's inbox can
say why. Pure and fast, like the screening engine: text in, a Triage out, no I/O.

    complaint, abuse, misinformation, crisis  -> escalate (severity 1-3)
    question, praise, neutral, spam           -> not escalated (severity 0)

Modules: sentiment.py (VADER plus a small learned layer), categories.py (the cue lexicons in
lexicons/cues.py and the decision order), severity.py (levels and the large-audience bump).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .categories import decide
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


def triage(text: str, author_followers: int | None = None) -> Triage:
    d = decide(text or "")
    level, bump = severity(d.category, d.level, author_followers)
    reasons = tuple(d.reasons) + ((bump,) if bump else ())
    return Triage(d.category, d.category in ESCALATE, level, d.scores, reasons)


def triage_batch(items) -> list[Triage]:
    """Many comments: dicts with "text" and optionally "author_followers"."""
    return [triage(i.get("text") or "", i.get("author_followers")) for i in items]


__all__ = ["CATEGORIES", "ESCALATE", "LARGE_AUDIENCE", "Triage", "triage", "triage_batch"]
