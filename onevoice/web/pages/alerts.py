"""What every page tells the people who must act on it, above the page's own content: for the
admin and the chair, escalations that could not be delivered (3.: the chair must hear of a crisis;
when no e-mail server is configured or it refuses, the server log alone told nobody).
`for_viewer` is called by render.page for every signed-in page."""
from __future__ import annotations

from onevoice import notify
from onevoice.crisis.escalation import sees_failures
from onevoice.governance.permissions import Action, allowed


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def for_viewer(system, who) -> list[dict]:
    """[{"text": ..., "href": ..., "link": ...}] for this viewer; one grouped query over the few
    notifications not sent (the status column is indexed), and none for other members."""
    if who is None or not sees_failures(who.actor):
        return []
    with system.db.reader() as s:
        summary = notify.undelivered(s)
    if summary is None:
        return []
    what = (_plural(summary.total, "escalation", "escalations") if summary.escalations == summary.total
            else _plural(summary.total, "notification", "notifications"))
    verb = ("could not be delivered" if summary.retrying == 0
            else f"{'is' if summary.total == 1 else 'are'} not getting through (still retrying)" if summary.failed == 0
            else "could not be delivered or are still failing")
    text = f"{what} {verb}: {summary.reason[:200]}"
    # the admin alone does not see incidents (3.: they are the committee's): the list, with Retry
    if (len(summary.incident_ids) == 1 and summary.escalations == summary.total
            and allowed(who.actor, Action.INCIDENT_MANAGE)):
        iid = summary.incident_ids[0]
        return [{"text": text, "href": f"/incidents/{iid}", "link": f"Open incident #{iid}"}]
    return [{"text": text, "href": "/notifications", "link": "See what failed and retry"}]
