"""The draft lifecycle as one explicit state machine.

    draft -> submitted -> screened -> in_review -> approved | changes_requested | rejected
    approved -> scheduled -> publishing -> published | failed;  published -> retracted
    scheduled -> approved (unscheduled before publishing starts)

Submitting screens the draft at once (submitted -> screened -> in_review in one transaction);
editing a draft under review, approved or scheduled sends it back through screening and resets
its approvals. Every transition goes through `advance`, which refuses any other move.
"""
from __future__ import annotations

from onevoice.errors import Conflict

STATES = ("draft", "submitted", "screened", "in_review", "approved", "changes_requested", "rejected",
          "scheduled", "publishing", "published", "failed", "retracted")

TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "submit"): "submitted",
    ("changes_requested", "submit"): "submitted",
    ("failed", "submit"): "submitted",
    ("submitted", "screen"): "screened",
    ("screened", "open_review"): "in_review",
    ("in_review", "approve"): "approved",
    ("in_review", "request_changes"): "changes_requested",
    ("in_review", "reject"): "rejected",
    ("draft", "edit"): "draft",
    ("changes_requested", "edit"): "changes_requested",
    ("failed", "edit"): "failed",
    ("in_review", "edit"): "submitted",
    ("approved", "edit"): "submitted",
    ("scheduled", "edit"): "submitted",
    # taken off the calendar before publishing starts: still approved, waiting for a new time
    ("scheduled", "unschedule"): "approved",
    ("approved", "schedule"): "scheduled",
    ("scheduled", "start_publishing"): "publishing",
    ("publishing", "published"): "published",
    ("publishing", "retry_later"): "scheduled",
    ("publishing", "fail"): "failed",
    ("published", "retract"): "retracted",
}

EDITABLE = frozenset(s for (s, e) in TRANSITIONS if e == "edit")


def next_state(state: str, event: str) -> str:
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        allowed = sorted(e for (s, e) in TRANSITIONS if s == state)
        hint = f"; possible now: {', '.join(allowed)}" if allowed else ""
        raise Conflict(f"cannot {event.replace('_', ' ')} a draft that is {state.replace('_', ' ')}{hint}") from None
