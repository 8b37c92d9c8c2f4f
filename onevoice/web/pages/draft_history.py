"""A draft's history as sentences ("Ana Author submitted revision 2 for review"), from its audit
events, oldest first. One table, action -> sentence, so every page and every new event says it
the same way; an action missing from the table still shows, as "who: action"."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .dates import when

# labels that are onevoice itself: the publisher, the scheduler, the installation
MACHINE = {"publisher", "system", "cli", "scheduler", "escalation"}


@dataclass(frozen=True)
class Event:
    """What a sentence is made from: who (a name), the revision the draft was at, the event's
    detail, and the viewer's time zone for the times it names."""

    who: str
    revision: int
    detail: dict
    zone: str | None

    def at(self, key: str) -> str:
        return when(self.detail.get(key), self.zone) if self.detail.get(key) else "a time to be set"

    def quoted(self, key: str) -> str:
        text = (self.detail.get(key) or "").strip()
        return f": “{text}”" if text else ""


def _screened(e: Event) -> str:
    decision = e.detail.get("decision")
    clauses = ", ".join(e.detail.get("labels") or [])
    found = f" ({clauses})" if clauses else ""
    return {"block": f"Screening blocked revision {e.revision}{found}: it needs a fix or the chair's override",
            "review": f"Screening asked the committee to look closely at revision {e.revision}{found}",
            "pass": f"Screening found nothing in revision {e.revision}"}.get(decision, f"Revision {e.revision} was screened")


FOUND = {"block": "a block finding", "review": "something for the committee to weigh", "pass": "nothing"}


def _saved(e: Event, first: bool) -> str:
    made = f"{e.who} wrote the draft" if first else f"{e.who} saved revision {e.revision}"
    reset = "; the approvals given before were reset" if e.detail.get("approvals_reset") else ""
    clauses = ", ".join(e.detail.get("labels") or [])
    found = (f"; screening found {FOUND[e.detail['decision']]}" + (f" ({clauses})" if clauses else "")
             if e.detail.get("decision") in FOUND else "")
    return made + reset + found


def _approved(e: Event) -> str:
    if e.detail.get("fast_track"):
        return f"{e.who} approved revision {e.revision} on the fast track for a pre-approved response"
    count = e.detail.get("approvals")
    quorum = f" ({count} of {e.detail.get('quorum')} approvals)" if count else ""
    return f"Revision {e.revision} has the committee's approval{quorum}: it may be scheduled"


SENTENCES: dict[str, Callable[[Event], str | None]] = {
    "draft.create": lambda e: _saved(e, first=True),
    "draft.edit": lambda e: _saved(e, first=False),
    "draft.submit": lambda e: (f"{e.who} submitted revision {e.revision} on the fast track"
                               if e.detail.get("fast_track") else f"{e.who} submitted revision {e.revision} for review"),
    "draft.screen": _screened,
    "draft.open_review": lambda e: f"Revision {e.revision} went to the committee's review queue",
    "draft.review.approve": lambda e: f"{e.who} approved revision {e.revision}{e.quoted('comment')}",
    "draft.review.request_changes": lambda e: f"{e.who} asked for changes to revision {e.revision}{e.quoted('comment')}",
    "draft.review.reject": lambda e: f"{e.who} rejected revision {e.revision}{e.quoted('comment')}",
    "draft.approve": _approved,
    # the state moves that follow a verdict: the verdict's own sentence says it already
    "draft.request_changes": lambda e: None,
    "draft.reject": lambda e: None,
    "draft.override": lambda e: f"{e.who} overrode the block findings of revision {e.revision}{e.quoted('reason')}",
    "draft.schedule": lambda e: f"{e.who} scheduled revision {e.revision} for {e.at('at')}",
    "draft.reschedule": lambda e: f"{e.who} moved the post to {e.at('to')}",
    "draft.unschedule": lambda e: f"{e.who} took the post off the calendar; it stays approved",
    "draft.start_publishing": lambda e: f"Publishing revision {e.revision} started (attempt {e.detail.get('attempt', 1)})",
    "draft.published": lambda e: f"Revision {e.revision} was published",
    "outbox.retry": lambda e: f"The platform could not take the post yet ({e.detail.get('error', 'no reason given')}); "
                              f"onevoice tries again",
    "outbox.failed": lambda e: f"Publishing failed: {e.detail.get('error', 'no reason given')}",
    "draft.retract_requested": lambda e: f"{e.who} asked for the post to be taken down{e.quoted('reason')}",
    "draft.retracted": lambda e: "The post was taken down from the platform",
}


def _name(label: str, names: dict[str, str]) -> str:
    base = label.split(" (via ")[0]  # the CLI adds who ran it
    if base in MACHINE:
        return "onevoice"
    return names.get(base, base)


def sentences(events, names: dict[str, str], zone: str | None) -> list[dict]:
    """[{"at", "text", "action"}] for a draft's audit events (oldest first). `names` maps an
    actor's label (their e-mail) to their name."""
    out, revision = [], 1
    for ev in events:
        detail = ev.detail or {}
        if ev.action == "draft.edit" and detail.get("revision"):
            revision = detail["revision"]
        event = Event(_name(ev.actor, names), detail.get("revision", revision) if ev.action.startswith(
            "draft.review.") else revision, detail, zone)
        make = SENTENCES.get(ev.action)
        text = make(event) if make else f"{event.who}: {ev.action.removeprefix('draft.').replace('_', ' ')}"
        if text:
            out.append({"at": ev.at, "text": text, "action": ev.action})
    return out
