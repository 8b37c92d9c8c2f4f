"""Drafts through the committee (1.): create, edit, submit (screened at once), review with a
quorum, chair override of block findings, scheduling and retraction.

Every function takes the caller's transaction, checks permissions first, and records each state
change in the audit log; the adapters (web, CLI, API) only call these.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from onevoice import audit
from onevoice.errors import Conflict, Forbidden, InvalidInput, NotFound, TooLarge
from onevoice.governance import authorizations
from onevoice.governance.channels import get_channel
from onevoice.governance.members import actor_for
from onevoice.governance.permissions import Action, Actor, allowed, require
from onevoice.policy import acknowledgements
from onevoice.screening import Draft as ScreenDraft, Engine, Report
from onevoice.store.models import (AuditEvent, Channel, Draft, MediaFile, Member, OutboxEntry, ResponseApproval, Review,
                                   utcnow)
from onevoice.urls import http_url

from .limits import fit_problems, limit_problems
from .states import EDITABLE, STATES, next_state

MAX_TEXT = 20_000  # the ceiling; ONEVOICE_MAX_DRAFT_CHARS may set a lower limit in the adapters
ATTACHMENT_TYPES = ("image", "video", "gif", "link", "audio", "document")
MIN_REASON = 10


class BlockNotConfirmed(Conflict):
    """Submitting a draft that screening blocks, without the author saying they know: the committee
    cannot approve it until the chair overrides the block (1.), which the author should know before
    sending it. `report` is the screening that blocked it, for the page to show its findings."""

    def __init__(self, report: dict[str, Any]) -> None:
        clauses = "; ".join(sorted({f"{f['clause']} {f['clause_title']}" for f in report["findings"]
                                    if f["severity"] == "block"}))
        super().__init__(f"screening blocks this draft ({clauses}): this will need the chair's override "
                         "before the committee can approve it; confirm to submit it anyway, or fix it first")
        self.report = report


def draft_state(d: Draft) -> dict[str, Any]:
    """What the audit log digests about a draft."""
    return {"id": d.id, "state": d.state, "revision": d.revision, "channel_id": d.channel_id, "kind": d.kind,
            "text": d.text, "attachments": d.attachments, "scheduled_at": d.scheduled_at,
            "override_revision": d.override_revision}


def draft_view(d: Draft) -> dict[str, Any]:
    """A draft as the author and the committee see it (CLI and API share this shape)."""
    report = d.screening or {}
    return {"id": d.id, "state": d.state, "revision": d.revision, "channel_id": d.channel_id, "kind": d.kind,
            "author_id": d.author_id, "text": d.text, "attachments": d.attachments, "reply_to": d.reply_to,
            "screening": {"decision": report.get("decision"), "policy": report.get("policy"),
                          "revision": d.screened_revision, "findings": report.get("findings", [])},
            "approvals": len(approvals(d)),
            "reviews": [{"verdict": r.verdict, "revision": r.revision, "comment": r.comment,
                         "reviewer_id": r.reviewer_id, "at": r.created_at.isoformat()} for r in d.reviews],
            "override": ({"reason": d.override_reason, "by": d.override_by, "revision": d.override_revision}
                         if d.override_reason else None),
            "scheduled_at": d.scheduled_at.isoformat() if d.scheduled_at else None,
            "published": d.published_ref, "published_at": d.published_at.isoformat() if d.published_at else None,
            "error": d.error}


def _move(session: Session, actor: Actor, draft: Draft, event: str, detail: dict[str, Any] | None = None) -> None:
    before = draft_state(draft)
    draft.state = next_state(draft.state, event)
    session.flush()
    audit.record(session, actor.label, f"draft.{event}", "draft", draft.id, before, draft_state(draft), detail)


def get_draft(session: Session, draft_id: int, *, for_update: bool = False) -> Draft:
    q = select(Draft).where(Draft.id == draft_id)
    if for_update:
        q = q.with_for_update()
    draft = session.scalar(q)
    if draft is None:
        raise NotFound(f"no draft {draft_id}")
    return draft


def can_view(actor: Actor, draft: Draft) -> bool:
    return draft.author_id == actor.member_id or allowed(actor, Action.DRAFT_VIEW_ALL) or actor.is_system


def view_draft(session: Session, actor: Actor, draft_id: int) -> Draft:
    draft = get_draft(session, draft_id)
    if not can_view(actor, draft):
        raise NotFound(f"no draft {draft_id}")  # not 403: do not reveal that it exists
    return draft


def _clean_attachments(session: Session | None, attachments: list[Any] | None) -> list[dict[str, Any]]:
    if attachments is None:
        return []
    if not isinstance(attachments, list) or len(attachments) > 10:
        raise InvalidInput("attachments must be a list of at most 10 items")
    clean = []
    for i, a in enumerate(attachments, 1):
        if not isinstance(a, dict) or a.get("type") not in ATTACHMENT_TYPES:
            raise InvalidInput(f"attachment {i}: type must be one of {', '.join(ATTACHMENT_TYPES)}")
        media_id = a.get("media_id")
        if media_id is not None and session is not None and session.get(MediaFile, media_id) is None:
            raise InvalidInput(f"attachment {i}: no uploaded media {media_id}")
        url = http_url(a.get("url"))
        if a.get("url") and url is None:  # a javascript: address would run script when clicked
            raise InvalidInput(f"attachment {i}: the address must be an http:// or https:// URL")
        clean.append({"type": a["type"], "alt": str(a.get("alt") or "")[:1500],
                      "credit": (str(a["credit"])[:500] if a.get("credit") else None),
                      "url": url, "media_id": media_id})
    return clean


def _clean_text(text: str) -> str:
    if not isinstance(text, str):
        raise InvalidInput("text must be a string")
    if len(text) > MAX_TEXT:
        raise TooLarge(f"text is {len(text)} characters; the most a draft may hold is {MAX_TEXT}")
    if "\x00" in text:
        raise InvalidInput("text contains a NUL character")
    # a browser's form sends line breaks as CRLF, its text box counts them as one: keep one
    # form, so the counters, the platforms and the findings' offsets agree
    return text.replace("\r\n", "\n")


def _check_fits(channel: Channel, text: str, attachments: list[dict[str, Any]]) -> None:
    """An empty post, or more than the platform takes, is refused before anything is stored."""
    problems = fit_problems(channel.platform, text, attachments)
    if problems:
        raise InvalidInput("; ".join(problems))


def screen_text(engine: Engine, text: str, kind: str, attachments: list[dict[str, Any]]) -> Report:
    """The one screening call for a draft's text, whether stored (save, submit, edit) or shown
    live as it is typed: the same text, kind and attachments get the same findings everywhere."""
    return engine.screen(ScreenDraft.from_dict({"text": text, "kind": kind, "attachments": attachments}))


def check(engine: Engine, platform: str, text: str, *, kind: str = "official",
          attachments: list[Any] | None = None) -> dict[str, Any]:
    """What saving or submitting this text would find, stored nowhere: the screening, and what
    keeps it from fitting the platform (the composer's live check)."""
    if kind not in ("official", "reply"):
        raise InvalidInput("kind must be official or reply")
    text = _clean_text(text)
    clean = _clean_attachments(None, attachments)
    return {"text": text, "screening": screen_text(engine, text, kind, clean).to_dict(),
            "problems": limit_problems(platform, text, clean)}


def apply_fix(text: str, finding: dict[str, Any]) -> str:
    """The text with one finding's span replaced by its redaction: the one-click fix. Refused when
    the finding has none (its fix needs the author's own words) or no longer matches the text."""
    start, end, redaction = finding.get("start", 0), finding.get("end", 0), finding.get("redaction")
    if not redaction or end <= start:
        raise InvalidInput("this finding has no automatic fix: rewrite the text as its suggestion says")
    if text[start:end] != finding.get("text"):
        raise Conflict("the text changed since it was checked: check it again, then apply the fix")
    return text[:start] + str(redaction) + text[end:]


def _record_screening(draft: Draft, engine: Engine) -> Report:
    """The current revision's screening, kept on the draft while it is still the author's, so its
    page shows what was found (not a bare "No findings") before it is submitted."""
    report = screen_text(engine, draft.text, draft.kind, draft.attachments)
    draft.screening = report.to_dict()
    draft.screened_revision = draft.revision
    return report


def create_draft(session: Session, actor: Actor, channel_ref: int | str, text: str, *, kind: str = "official",
                 attachments: list[Any] | None = None, reply_to: dict[str, Any] | None = None,
                 incident_id: int | None = None, engine: Engine | None = None) -> Draft:
    """A new draft, refused when empty or longer than the channel's platform takes. With `engine`
    it is screened at once (the composer's Save), so its page shows its findings."""
    require(actor, Action.DRAFT_CREATE)
    if actor.member_id is None:
        raise InvalidInput("a draft needs a member as its author")
    if kind not in ("official", "reply"):
        raise InvalidInput("kind must be official or reply (personal posts are checked with screening only)")
    if kind == "reply" and not (reply_to and reply_to.get("id")):
        raise InvalidInput("a reply needs reply_to: the platform id of the post it answers")
    channel = get_channel(session, channel_ref)
    if not channel.active:
        raise Conflict(f"channel {channel.handle} is not active")
    text, attachments = _clean_text(text), _clean_attachments(session, attachments)
    _check_fits(channel, text, attachments)
    draft = Draft(author_id=actor.member_id, channel_id=channel.id, kind=kind, text=text,
                  attachments=attachments, reply_to=reply_to, state="draft", revision=1, incident_id=incident_id)
    report = _record_screening(draft, engine) if engine is not None else None
    session.add(draft)
    session.flush()
    audit.record(session, actor.label, "draft.create", "draft", draft.id, None, draft_state(draft),
                 {"decision": report.decision.value, "labels": report.labels} if report else None)
    return draft


def _screen(session: Session, actor: Actor, draft: Draft, engine: Engine) -> None:
    report = _record_screening(draft, engine)
    _move(session, actor, draft, "screen", {"decision": report.decision.value, "labels": report.labels,
                                            "policy": report.policy})


def submit(session: Session, actor: Actor, draft_id: int, engine: Engine, *, block_confirmed: bool = True) -> Draft:
    """Send a draft to the committee: screened automatically first, then in review.
    `block_confirmed=False` (the web pages, until the author ticks the box) refuses a draft that
    screening blocks with BlockNotConfirmed; the caller's transaction then stores nothing."""
    draft = get_draft(session, draft_id, for_update=True)
    if draft.author_id != actor.member_id:
        raise Forbidden("only the author submits a draft")
    require(actor, Action.DRAFT_SUBMIT, channel_id=draft.channel_id)
    may_submit(session, actor, draft.channel_id)
    _move(session, actor, draft, "submit")
    draft.error = None
    _screen(session, actor, draft, engine)
    screening = draft.screening or {}
    if not block_confirmed and screening.get("decision") == "block":
        raise BlockNotConfirmed(screening)
    _move(session, actor, draft, "open_review")
    return draft


def may_submit(session: Session, actor: Actor, channel_id: int) -> None:
    """1.: an authorized member submits to a channel only while their authorization has not ended
    and once they have acknowledged the active policy version (typed errors saying why). Only
    submission asks: a draft approved before either changed is still scheduled and published."""
    authorizations.check_current(session, actor, channel_id)
    acknowledgements.require_acknowledged(session, actor)


def edit(session: Session, actor: Actor, draft_id: int, engine: Engine, *, text: str | None = None,
         attachments: list[Any] | None = None) -> Draft:
    """Change a draft. Under review, approved or scheduled, the change resets the approvals,
    cancels a pending publication and sends the draft through screening again."""
    draft = get_draft(session, draft_id, for_update=True)
    if draft.author_id != actor.member_id:
        raise Forbidden("only the author edits a draft; reviewers request changes")
    if draft.state not in EDITABLE:
        raise Conflict(f"a draft that is {draft.state.replace('_', ' ')} cannot be edited")
    if text is None and attachments is None:
        raise InvalidInput("nothing to change: give text or attachments")
    new_text = draft.text if text is None else _clean_text(text)
    new_attachments = draft.attachments if attachments is None else _clean_attachments(session, attachments)
    _check_fits(session.get_one(Channel, draft.channel_id), new_text, new_attachments)
    draft.text, draft.attachments = new_text, new_attachments
    was = draft.state
    draft.revision += 1
    draft.override_reason = draft.override_by = draft.override_revision = None
    _cancel_pending(session, draft)
    draft.scheduled_at = None
    detail: dict[str, Any] = {"revision": draft.revision, "approvals_reset": was in ("in_review", "approved", "scheduled")}
    if next_state(was, "edit") != "submitted":  # still the author's: screened now, submitted later
        report = _record_screening(draft, engine)
        detail |= {"decision": report.decision.value, "labels": report.labels}
    _move(session, actor, draft, "edit", detail)
    if draft.state == "submitted":
        _screen(session, actor, draft, engine)
        _move(session, actor, draft, "open_review")
    return draft


def approvals(draft: Draft) -> list[Review]:
    return [r for r in draft.reviews if r.verdict == "approve" and r.revision == draft.revision]


def _blocked(draft: Draft) -> list[str]:
    report = draft.screening or {}
    if report.get("decision") != "block" or draft.override_revision == draft.revision:
        return []
    return sorted({f"{f['clause']} {f['clause_title']}" for f in report.get("findings", []) if f["severity"] == "block"})


def review(session: Session, actor: Actor, draft_id: int, verdict: str, comment: str = "") -> Draft:
    """A committee member's verdict: approve, request_changes or reject."""
    require(actor, Action.DRAFT_REVIEW)
    if verdict not in ("approve", "request_changes", "reject"):
        raise InvalidInput("verdict must be approve, request_changes or reject")
    draft = get_draft(session, draft_id, for_update=True)
    if draft.author_id == actor.member_id:
        raise Forbidden("nobody reviews their own draft")
    if draft.state != "in_review":
        raise Conflict(f"the draft is {draft.state.replace('_', ' ')}, not in review")
    comment = (comment or "").strip()
    if verdict != "approve" and not comment:
        raise InvalidInput("say what needs to change (a comment is required)")
    channel = session.get_one(Channel, draft.channel_id)
    if verdict == "approve":
        blocked = _blocked(draft)
        if blocked:
            raise Conflict("screening blocked this draft (" + "; ".join(blocked) + "): fix it, or the committee "
                           "chair may override with a written reason")
        problems = limit_problems(channel.platform, draft.text, draft.attachments)
        if problems:
            raise Conflict(f"does not fit {channel.platform}: " + "; ".join(problems))
        if any(r.reviewer_id == actor.member_id for r in approvals(draft)):
            raise Conflict("you have already approved this revision")
    session.add(Review(draft_id=draft.id, reviewer_id=actor.member_id, revision=draft.revision, verdict=verdict,
                       comment=comment))
    session.flush()
    session.refresh(draft, ["reviews"])
    audit.record(session, actor.label, f"draft.review.{verdict}", "draft", draft.id,
                 detail={"revision": draft.revision, "comment": comment})
    if verdict == "approve":
        if len(approvals(draft)) >= channel.quorum:
            _move(session, actor, draft, "approve", {"approvals": len(approvals(draft)), "quorum": channel.quorum})
    else:
        _move(session, actor, draft, verdict)
    return draft


def fast_track_approve(session: Session, actor: Actor, draft: Draft, engine: Engine, *, approved_text: str,
                       reason: str) -> Draft:
    """The chair's fast track for a pre-approved crisis response (3.): the committee approved
    `approved_text` in advance, on this channel and with its quorum, so the chair's approval alone
    completes a draft of exactly that text; screening still runs, and a block finding or a
    platform limit still stops it. The chair must be an authorized member of the channel (1.)."""
    require(actor, Action.INCIDENT_FAST_TRACK)
    require(actor, Action.DRAFT_SUBMIT, channel_id=draft.channel_id)
    if draft.author_id != actor.member_id:
        raise Forbidden("the fast track approves only the chair's own response draft")
    may_submit(session, actor, draft.channel_id)
    if draft.text != approved_text or draft.attachments:
        raise Conflict("only the committee's pre-approved text, unchanged and without attachments, is fast-tracked")
    _move(session, actor, draft, "submit", {"fast_track": True})
    _screen(session, actor, draft, engine)
    _move(session, actor, draft, "open_review")
    blocked = _blocked(draft)
    if blocked:
        raise Conflict("screening blocked the response (" + "; ".join(blocked) + "); edit it and use normal review")
    problems = limit_problems(session.get_one(Channel, draft.channel_id).platform, draft.text, draft.attachments)
    if problems:
        raise Conflict("; ".join(problems))
    session.add(Review(draft_id=draft.id, reviewer_id=actor.member_id, revision=draft.revision, verdict="approve",
                       comment=reason))
    session.flush()
    session.refresh(draft, ["reviews"])
    _move(session, actor, draft, "approve", {"fast_track": True, "reason": reason})
    return draft


def override_block(session: Session, actor: Actor, draft_id: int, reason: str) -> Draft:
    """The chair sets aside this revision's block findings, with a written reason. Approval by
    the committee is still needed afterwards."""
    require(actor, Action.DRAFT_OVERRIDE_BLOCK)
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise InvalidInput(f"an override needs a written reason of at least {MIN_REASON} characters")
    draft = get_draft(session, draft_id, for_update=True)
    if draft.author_id == actor.member_id:
        raise Forbidden("nobody overrides a block on their own draft: an override is a second person's "
                        "judgement; fix the finding instead")
    if draft.state != "in_review":
        raise Conflict(f"the draft is {draft.state.replace('_', ' ')}, not in review")
    if (draft.screening or {}).get("decision") != "block":
        raise Conflict("screening did not block this draft: there is nothing to override")
    before = draft_state(draft)
    draft.override_reason, draft.override_by, draft.override_revision = reason, actor.member_id, draft.revision
    session.add(Review(draft_id=draft.id, reviewer_id=actor.member_id, revision=draft.revision, verdict="override",
                       comment=reason))
    session.flush()
    audit.record(session, actor.label, "draft.override", "draft", draft.id, before, draft_state(draft),
                 {"reason": reason, "findings": _blocked_clauses(draft)})
    return draft


def _blocked_clauses(draft: Draft) -> list[str]:
    return sorted({f["clause"] for f in (draft.screening or {}).get("findings", []) if f["severity"] == "block"})


def parse_when(when: str | datetime | None, tz: str) -> datetime | None:
    """'2026-12-01 09:00' in the given time zone (or an aware datetime) -> aware UTC."""
    if when is None or when == "":
        return None
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown time zone {tz!r}") from None
    if isinstance(when, str):
        try:
            when = datetime.fromisoformat(when.strip().replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput(f"{when!r} is not a date and time like 2026-12-01 09:00") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=zone)
    return when.astimezone(timezone.utc)


def idempotency_key(draft: Draft, action: str = "publish") -> str:
    return f"onevoice-{action}-d{draft.id}-r{draft.revision}"


def schedule(session: Session, actor: Actor, draft_id: int, at: datetime | None = None) -> Draft:
    """Put an approved draft in the outbox for `at` (aware; None: as soon as possible)."""
    draft = get_draft(session, draft_id, for_update=True)
    if draft.author_id != actor.member_id and not allowed(actor, Action.DRAFT_REVIEW):
        raise Forbidden("the author or a committee member schedules an approved draft")
    if session.scalar(select(ResponseApproval.id).where(ResponseApproval.draft_id == draft.id)) is not None:
        raise Conflict("this draft is the committee's pre-approval of a playbook response: it is not posted "
                       "itself; the chair fast-tracks its text in an incident")
    if not author_authorized(session, draft):
        raise Forbidden(_unauthorized_author(session, draft))
    now = utcnow()
    if at is not None and at.tzinfo is None:
        raise InvalidInput("the time must carry its time zone")
    if at is not None and at < now - timedelta(minutes=1):
        raise InvalidInput("that time is in the past")
    draft.scheduled_at = at or now
    _move(session, actor, draft, "schedule", {"at": draft.scheduled_at.isoformat()})
    session.add(OutboxEntry(draft_id=draft.id, channel_id=draft.channel_id, action="publish",
                            idempotency_key=idempotency_key(draft), status="pending", due_at=draft.scheduled_at,
                            attempts=0))
    return draft


def author_authorized(session: Session, draft: Draft) -> bool:
    """1.: only authorized members use a channel. Approval does not outlive that: a draft is
    scheduled and published only while its author is still an active, authorized member of it."""
    author = session.get(Member, draft.author_id)
    return author is not None and allowed(actor_for(author), Action.DRAFT_SUBMIT, channel_id=draft.channel_id)


def _unauthorized_author(session: Session, draft: Draft) -> str:
    handle = session.get_one(Channel, draft.channel_id).handle
    return f"the author of draft {draft.id} is no longer an authorized member of {handle}, so it is not published"


def publish_refusal(session: Session, entry: OutboxEntry, draft: Draft) -> str | None:
    """Asked by the publisher right before each platform call: why this post may not go out (its
    author has lost the channel since it was approved), or None. The publisher then records the
    entry as failed with this reason, for the author and the committee to see."""
    if entry.action != "publish" or author_authorized(session, draft):
        return None
    return _unauthorized_author(session, draft)


def _cancel_pending(session: Session, draft: Draft) -> None:
    session.execute(update(OutboxEntry).where(OutboxEntry.draft_id == draft.id, OutboxEntry.status == "pending",
                                              OutboxEntry.action == "publish").values(status="cancelled"))


def retract(session: Session, actor: Actor, draft_id: int, reason: str) -> Draft:
    """Take a published post down: the deletion goes through the outbox like any platform call."""
    draft = get_draft(session, draft_id, for_update=True)
    if draft.author_id != actor.member_id:
        require(actor, Action.DRAFT_RETRACT)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("say why the post is retracted")
    if draft.state != "published":
        raise Conflict(f"only a published post can be retracted; this draft is {draft.state.replace('_', ' ')}")
    key = idempotency_key(draft, "delete")
    if session.scalar(select(OutboxEntry.id).where(OutboxEntry.idempotency_key == key)):
        raise Conflict("a retraction is already under way")
    session.add(OutboxEntry(draft_id=draft.id, channel_id=draft.channel_id, action="delete", idempotency_key=key,
                            status="pending", due_at=utcnow(), attempts=0))
    session.flush()
    audit.record(session, actor.label, "draft.retract_requested", "draft", draft.id, detail={"reason": reason})
    return draft


def drafts_query(actor: Actor, state: str | None = None, mine: bool = False) -> Select[Any]:
    """The drafts `actor` may see (their own, or all for the committee), newest first."""
    if state and state not in STATES:
        raise InvalidInput(f"unknown state {state!r}: one of {', '.join(STATES)}")
    q = select(Draft).order_by(Draft.id.desc())
    if mine or not allowed(actor, Action.DRAFT_VIEW_ALL):
        q = q.where(Draft.author_id == actor.member_id)
    if state:
        q = q.where(Draft.state == state)
    return q


def list_drafts(session: Session, actor: Actor, state: str | None = None, mine: bool = False) -> list[Draft]:
    return list(session.scalars(drafts_query(actor, state, mine).limit(500)))


def review_queue(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """The drafts waiting for the committee (1.), the one waiting longest first: each with its
    author, channel, findings and since when it waits (its latest entry into review)."""
    require(actor, Action.DRAFT_REVIEW)
    drafts = list(session.scalars(select(Draft).where(Draft.state == "in_review")))
    if not drafts:
        return []
    ids = [str(d.id) for d in drafts]
    since = dict(session.execute(
        select(AuditEvent.object_id, func.max(AuditEvent.at))
        .where(AuditEvent.action == "draft.open_review", AuditEvent.object_type == "draft",
               AuditEvent.object_id.in_(ids)).group_by(AuditEvent.object_id)).all())
    authors = {m.id: m.name for m in session.scalars(select(Member).where(
        Member.id.in_({d.author_id for d in drafts})))}
    channels = {c.id: c for c in session.scalars(select(Channel).where(Channel.id.in_({d.channel_id for d in drafts})))}
    rows = []
    for d in drafts:
        findings = (d.screening or {}).get("findings", [])
        rows.append({"id": d.id, "text": d.text, "kind": d.kind, "revision": d.revision,
                     "author": authors.get(d.author_id, "?"), "mine": d.author_id == actor.member_id,
                     "channel": channels[d.channel_id].handle, "platform": channels[d.channel_id].platform,
                     "waiting_since": since.get(str(d.id)) or d.updated_at,
                     "decision": (d.screening or {}).get("decision"), "findings": len(findings),
                     "blocks": sum(f["severity"] == "block" for f in findings),
                     "approvals": len(approvals(d)), "quorum": channels[d.channel_id].quorum,
                     "overridden": d.override_revision == d.revision})
    return sorted(rows, key=lambda r: (_utc(r["waiting_since"]), r["id"]))


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)
