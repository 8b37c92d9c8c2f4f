"""The publishing worker: sends due outbox entries to the platforms, exactly once.

Each entry goes through three short transactions and one platform call between them:
1. claim: pending and due (or `sending` with an expired lease, i.e. its worker died) ->
   `sending` with a lease; the draft becomes `publishing`; and `outcome_unknown_since` is set to
   the attempt's start unless an earlier unknown attempt set it already. Committed before the
   call: from here until step 3 commits, nobody knows whether the post exists. One entry at a
   time, right before its call, so only the post in flight waits out a lease after a crash.
2. the platform call. When the claim found `outcome_unknown_since` already set (an earlier
   attempt's answer was lost, timed out, was a 5xx, or its worker died before step 3), the
   connector first looks for the post that attempt may have made (`find_published`) and, if it
   is there, that post is recorded instead of sending a second one. Otherwise the post is sent,
   with the entry's fixed idempotency key (which mastodon.social honours for an hour).
3. record: `sent` and the draft `published` with the platform's reference; or, on a retryable
   error (429/5xx/timeout), back to `pending` with backoff; or `failed` with the platform's
   message for the author. `outcome_unknown_since` is cleared when the outcome is known (sent, or
   an error that certainly made nothing) and kept when it is not.
Exactly once therefore holds on platforms that ignore Idempotency-Key (snac2, other servers of the
Mastodon API) and after the key expired: a retry never sends again without looking first. What it
cannot see is a post the platform makes only after the look-up: a request still being worked on
past the first retry's backoff (at least BACKOFF_BASE) or past the lease after a crash.
Channels in crisis mode (3.) are skipped: their scheduled posts wait. Two kinds of entry still go
out: deletions (taking a post down is often the point of the crisis), and the pre-approved
response the chair fast-tracked in the incident (`fast_track`): the committee approved its text in
advance and screening passed it, so pausing it would silence the one answer the crisis needs.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, NamedTuple

from sqlalchemy import and_, or_, select

from onevoice import audit
from onevoice.store import Database
from onevoice.store.models import Channel, Draft, OutboxEntry, utcnow
from onevoice.urls import http_url

from .connectors.base import Connector, ConnectorError, Media, PostRef, PublishRequest
from .states import next_state

WORKER = "publisher"
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
BACKOFF_BASE = 30.0   # seconds, doubled per attempt
BACKOFF_CAP = 3600.0


@dataclass(frozen=True)
class Outcome:
    entry_id: int
    draft_id: int
    action: str
    status: str        # sent | retry | failed | skipped
    detail: str = ""


ConnectorFor = Callable[[Channel], Connector]


def backoff(attempts: int, retry_after: float | None) -> float:
    delay = min(BACKOFF_CAP, BACKOFF_BASE * 2.0 ** max(0, attempts - 1))
    return max(delay, retry_after or 0.0)


class Claim(NamedTuple):
    entry_id: int
    # when an earlier attempt whose outcome is unknown started; None when there is none
    outcome_unknown_since: datetime | None


def _claim(db: Database, now: datetime) -> Claim | None:
    """The next due entry, leased to this worker; None when nothing is due."""
    with db.transaction() as s:
        q = (select(OutboxEntry).join(Channel, Channel.id == OutboxEntry.channel_id)
             .where(or_(and_(OutboxEntry.status == "pending", OutboxEntry.due_at <= now),
                        and_(OutboxEntry.status == "sending", OutboxEntry.lease_until <= now)))
             .where(or_(Channel.crisis_mode.is_(False), OutboxEntry.action == "delete",
                        OutboxEntry.fast_track.is_(True)))
             .order_by(OutboxEntry.due_at, OutboxEntry.id).limit(1))
        if s.get_bind().dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True, of=OutboxEntry)
        entry = s.scalar(q)
        if entry is None:
            return None
        entry.status, entry.lease_until = "sending", now + LEASE
        entry.attempts += 1
        earlier_unknown = entry.outcome_unknown_since
        # This attempt's outcome is unknown until step 3 commits. The real clock, not `now` (which
        # tests and the scheduler may move): find_published compares it with the platform's clock.
        entry.outcome_unknown_since = earlier_unknown or utcnow()
        draft = s.get_one(Draft, entry.draft_id)
        if entry.action == "publish" and draft.state == "scheduled":
            before = draft.state
            draft.state = next_state(draft.state, "start_publishing")
            audit.record(s, WORKER, "draft.start_publishing", "draft", draft.id, {"state": before},
                         {"state": draft.state}, {"attempt": entry.attempts})
        return Claim(entry.id, earlier_unknown)


def _request(db: Database, entry: OutboxEntry, draft: Draft) -> PublishRequest:
    from onevoice.store.models import MediaFile

    media = []
    with db.reader() as s:
        for a in draft.attachments or []:
            if a.get("media_id"):
                f = s.get_one(MediaFile, a["media_id"])
                media.append(Media(data=f.data, mime_type=f.mime_type, alt=a.get("alt") or ""))
    reply_to = PostRef(**draft.reply_to) if draft.reply_to else None
    return PublishRequest(text=draft.text, idempotency_key=entry.idempotency_key, reply_to=reply_to,
                          media=tuple(media))


def send_one(db: Database, entry_id: int, connector_for: ConnectorFor, now: datetime | None = None,
             outcome_unknown_since: datetime | None = None) -> Outcome:
    """Make the claimed entry's platform call. `outcome_unknown_since` (from the claim): an earlier
    attempt may have made the post; it is looked for first."""
    from .workflow import publish_refusal

    with db.reader() as s:
        entry = s.get_one(OutboxEntry, entry_id)
        draft = s.get_one(Draft, entry.draft_id)
        channel = s.get_one(Channel, entry.channel_id)
        refusal = publish_refusal(s, entry, draft)  # 1.: its author must still be authorized on the channel
    # Whether, should this attempt fail, a post may exist that the outbox does not know of: so far
    # only if an earlier attempt left it unknown (nothing of this attempt has reached the platform)
    unknown = outcome_unknown_since is not None
    found = False
    look_first = unknown and entry.action == "publish"
    try:
        if refusal and not look_first:
            raise ConnectorError(refusal, retryable=False)  # recorded as a permanent failure, with the reason
        connector = connector_for(channel)
        if entry.action == "publish":
            request = _request(db, entry, draft)
            # even when the post may no longer go out (refusal), an earlier attempt may have made it:
            # then it is out, and the draft must say so (and link to it, to retract it if need be)
            ref = (connector.find_published(request, outcome_unknown_since)
                   if look_first and outcome_unknown_since is not None else None)
            found = ref is not None
            if ref is None:
                unknown = False  # the look-up (if any) found nothing: no earlier attempt made the post
                if refusal:
                    raise ConnectorError(refusal, retryable=False)
                unknown = True  # from here on, this attempt may make it, whatever we hear back
                try:
                    ref = connector.publish(request)
                except ConnectorError as exc:
                    unknown = exc.outcome_unknown
                    raise
            # the platform's URL becomes a link on the draft page: only http(s) is kept
            result: dict[str, Any] = {"id": ref.id, "url": http_url(ref.url), "cid": ref.cid}
        else:
            # no look-up for a deletion: sending it again is harmless (a post already gone counts as deleted)
            connector.delete(PostRef(**(draft.published_ref or {})))
            result = {"deleted": True}
    except ConnectorError as exc:
        return _record_failure(db, entry_id, exc, now or utcnow(), outcome_unknown=unknown)
    return _record_success(db, entry_id, result, now or utcnow(), found=found)


def _record_success(db: Database, entry_id: int, result: dict[str, Any], now: datetime, found: bool = False) -> Outcome:
    """`found`: the post was not sent now but found on the platform, made by an earlier attempt."""
    with db.transaction() as s:
        entry = s.get_one(OutboxEntry, entry_id)
        draft = s.get_one(Draft, entry.draft_id)
        entry.status, entry.result, entry.sent_at, entry.lease_until, entry.last_error = "sent", result, now, None, None
        entry.outcome_unknown_since = None
        before = {"state": draft.state}
        if entry.action == "publish":
            draft.state = next_state(draft.state, "published")
            draft.published_ref, draft.published_at, draft.error = result, now, None
            audit.record(s, WORKER, "draft.published", "draft", draft.id, before, {"state": draft.state, **result},
                         {"found_on_platform": True, "attempt": entry.attempts} if found else None)
        else:
            draft.state = next_state(draft.state, "retract")
            audit.record(s, WORKER, "draft.retracted", "draft", draft.id, before, {"state": draft.state})
        return Outcome(entry.id, draft.id, entry.action, "sent", result.get("url") or result.get("id") or "")


def _record_failure(db: Database, entry_id: int, exc: ConnectorError, now: datetime,
                    outcome_unknown: bool = True) -> Outcome:
    """`outcome_unknown`: a post may exist from this attempt or an earlier one; the next attempt
    then looks for it first. False only when every attempt so far is known to have made nothing."""
    with db.transaction() as s:
        entry = s.get_one(OutboxEntry, entry_id)
        draft = s.get_one(Draft, entry.draft_id)
        entry.last_error, entry.lease_until = exc.message, None
        if not outcome_unknown:
            entry.outcome_unknown_since = None
        before = {"state": draft.state}
        if exc.retryable and entry.attempts < MAX_ATTEMPTS:
            delay = backoff(entry.attempts, exc.retry_after)
            entry.status, entry.due_at = "pending", now + timedelta(seconds=delay)
            if entry.action == "publish" and draft.state == "publishing":
                draft.state = next_state(draft.state, "retry_later")
            audit.record(s, WORKER, "outbox.retry", "draft", draft.id, before, {"state": draft.state},
                         {"error": exc.message, "attempt": entry.attempts, "retry_in_s": delay,
                          "outcome_unknown": outcome_unknown})
            return Outcome(entry.id, draft.id, entry.action, "retry", exc.message)
        entry.status = "failed"
        if entry.action == "publish" and draft.state == "publishing":
            draft.state = next_state(draft.state, "fail")
            draft.error = f"{'gave up after ' + str(entry.attempts) + ' attempts: ' if exc.retryable else ''}{exc.message}"
            if exc.retryable and outcome_unknown and entry.action == "publish":
                # the last attempt got no answer: the author should look before posting it again by hand
                draft.error += " (the platform did not say whether the last attempt went through: check the account)"
        audit.record(s, WORKER, "outbox.failed", "draft", draft.id, before, {"state": draft.state},
                     {"error": exc.message, "attempts": entry.attempts, "action": entry.action})
        return Outcome(entry.id, draft.id, entry.action, "failed", exc.message)


def publish_due(db: Database, connector_for: ConnectorFor, now: datetime | None = None, limit: int = 50) -> list[Outcome]:
    """Send up to `limit` due entries once each; returns what happened to each. Each entry is
    claimed right before its platform call, so a lease only ever covers the post in flight: when
    the worker dies, the rest are still pending, for the next worker at once."""
    now = now or utcnow()
    outcomes: list[Outcome] = []
    while len(outcomes) < limit:
        claim = _claim(db, now)
        if claim is None:
            break
        outcomes.append(send_one(db, claim.entry_id, connector_for, now, claim.outcome_unknown_since))
    return outcomes
