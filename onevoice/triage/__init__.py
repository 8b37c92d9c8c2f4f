"""Triage of inbound comments and mentions (3. Crisis management).

Each comment gets a category, whether it must reach the committee chair, a severity, scores
and the cues that decided it, so the committee's inbox can say why. Pure and fast, like the
screening engine: text in, a Triage out.

    complaint, abuse, misinformation, crisis  -> escalate (severity 1-3)
    question, praise, neutral, spam           -> no escalation (severity 0)

Severity: 1 minor negative feedback; 2 a serious complaint, abuse, misinformation or a
possible incident; 3 a crisis (data leak, patient-harm or privacy allegation, legal or media
threat, security incident, threats of violence). A large audience (many followers) raises a
negative comment's severity by one.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .classify import classify

ESCALATE = ("complaint", "abuse", "misinformation", "crisis")
CATEGORIES = ESCALATE + ("question", "praise", "neutral", "spam")
LARGE_AUDIENCE = 10_000


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
        return {"id": item_id, "escalate": self.escalate, "category": self.category, "severity": self.severity,
                "scores": self.scores}


def triage(text: str, author_followers: int | None = None) -> Triage:
    category, severity, scores, reasons = classify(text or "")
    escalate = category in ESCALATE
    if not escalate:
        severity = 0
    else:
        severity = max(1, severity)
        if author_followers and author_followers >= LARGE_AUDIENCE and severity < 3:
            severity += 1
            reasons = reasons + (f"large audience ({author_followers} followers)",)
    return Triage(category, escalate, severity, scores, reasons)


def triage_batch(items) -> list[Triage]:
    return [triage(i.get("text", ""), i.get("author_followers")) for i in items]


__all__ = ["CATEGORIES", "ESCALATE", "Triage", "triage", "triage_batch"]
