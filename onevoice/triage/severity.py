"""Severity (0-3) from a category decision and the author's reach.

0 no action (exactly the categories that are not escalated); 1 minor negative feedback;
2 a serious complaint, abuse, misinformation or a possible incident; 3 a crisis: data leak,
patient-harm or privacy allegation, legal or media threat, security incident, threats of
violence. A large audience (LARGE_AUDIENCE followers or more: a journalist, a big account)
raises the severity of an escalated comment by one level, capped at 3.
"""
from __future__ import annotations

ESCALATE = ("complaint", "abuse", "misinformation", "crisis")
LARGE_AUDIENCE = 10_000


def severity(category: str, level: int, author_followers: int | None = None) -> tuple[int, str | None]:
    """(severity, reason for a bump or None)."""
    if category not in ESCALATE:
        return 0, None
    level = min(3, max(1, level))
    if author_followers is not None and author_followers >= LARGE_AUDIENCE and level < 3:
        return level + 1, f"large audience ({author_followers:,} followers)"
    return level, None
