"""Screening of drafts against the policy's responsible-use clauses (2.a-2.g).

    >>> from onevoice.screening import screen
    >>> screen({"text": "Call me on 555-0143", "kind": "official"}).decision.value
    'block'
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from .engine import Engine
from .model import Attachment, Decision, Draft, Finding, Hit, Report, Severity, check_length

__all__ = ["Attachment", "Decision", "Draft", "Engine", "Finding", "Hit", "Report", "Severity",
           "check_length", "default_engine", "screen"]


@lru_cache(maxsize=1)
def default_engine() -> Engine:
    from onevoice.policy import load_pack

    return Engine(load_pack())


def screen(draft: Draft | dict[str, Any] | str, engine: Engine | None = None) -> Report:
    """Screen one draft (a Draft, a dict in the batch shape, or plain text for an official post)."""
    if isinstance(draft, str):
        draft = Draft(text=draft)
    elif isinstance(draft, dict):
        draft = Draft.from_dict(draft)
    return (engine or default_engine()).screen(draft)
