"""Incidents (3.): opened by triage or a spike, owned, acknowledged, worked through a playbook
checklist, answered through the normal approval workflow, and resolved.

    open -> acknowledged -> responding -> resolved   (open or acknowledged -> resolved: no action needed)

Crisis mode on an incident pauses the scheduled posts of its channel until it is turned off.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from onevoice import audit
from onevoice.errors import Conflict, Forbidden, InvalidInput, NotFound
from onevoice.governance.permissions import Action, Actor, allowed, require
from onevoice.publishing import workflow
from onevoice.store.models import Channel, Comment, Incident, IncidentEvent, OutboxEntry, utcnow

from . import playbooks
from .escalation import ack_deadline, escalate

TRANSITIONS = {
    ("open", "acknowledge"): "acknowledged",
    ("acknowledged", "respond"): "responding",
    ("open", "respond"): "responding",
    ("open", "resolve"): "resolved",
    ("acknowledged", "resolve"): "resolved",
    ("responding", "resolve"): "resolved",
    ("resolved", "reopen"): "open",
}


def incident_state(i: Incident) -> dict:
    return {"id": i.id, "state": i.state, "severity": i.severity, "type": i.type, "owner_id": i.owner_id,
            "crisis_mode": i.crisis_mode, "escalation_level": i.escalation_level,
            "checklist_done": sum(1 for c in i.checklist or [] if c.get("done"))}


def _event(session: Session, incident: Incident, actor: str, kind: str, text: str = "") -> None:
    session.add(IncidentEvent(incident_id=incident.id, actor=actor, kind=kind, text=text))


def _move(session: Session, actor: Actor, incident: Incident, event: str, note: str = "") -> None:
    target = TRANSITIONS.get((incident.state, event))
    if target is None:
        raise Conflict(f"cannot {event} an incident that is {incident.state}")
    before = incident_state(incident)
    incident.state = target
    now = utcnow()
    if event == "acknowledge":
        incident.acknowledged_at = now
    if event == "resolve":
        incident.resolved_at = now
    if event == "reopen":
        incident.resolved_at = None
    _event(session, incident, actor.label, event, note)
    session.flush()
    audit.record(session, actor.label, f"incident.{event}", "incident", incident.id, before, incident_state(incident),
                 {"note": note} if note else None)


def get_incident(session: Session, incident_id: int, *, for_update: bool = False) -> Incident:
    q = select(Incident).where(Incident.id == incident_id)
    if for_update:
        q = q.with_for_update()
    incident = session.scalar(q)
    if incident is None:
        raise NotFound(f"no incident {incident_id}")
    return incident


def open_incident(session: Session, actor: Actor, *, type: str, severity: int, title: str,
                  channel_id: int | None, comment_ids: list[int] = (), settings=None,
                  now: datetime | None = None) -> Incident:
    """Open an incident, attach its playbook's checklist, and escalate to the chair at once."""
    if type not in playbooks.INCIDENT_TYPES:
        raise InvalidInput(f"incident type must be one of {', '.join(playbooks.INCIDENT_TYPES)}")
    if severity not in (1, 2, 3):
        raise InvalidInput("severity must be 1, 2 or 3")
    now = now or utcnow()
    spec = playbooks.active(session, incident_type=type)
    incident = Incident(title=title[:300], type=type, severity=severity, state="open", channel_id=channel_id,
                        opened_at=now, ack_deadline=ack_deadline(severity, now), escalation_level=0,
                        crisis_mode=False, playbook=spec.name if spec else None,
                        checklist=[{"step": s, "done": False, "by": None, "at": None} for s in (spec.steps if spec else ())])
    session.add(incident)
    session.flush()
    if comment_ids:
        session.execute(update(Comment).where(Comment.id.in_(list(comment_ids))).values(incident_id=incident.id))
    _event(session, incident, actor.label, "open", title)
    audit.record(session, actor.label, "incident.open", "incident", incident.id, None, incident_state(incident))
    escalate(session, incident, 0, settings, now)
    return incident


def acknowledge(session: Session, actor: Actor, incident_id: int) -> Incident:
    require(actor, Action.INCIDENT_MANAGE)
    incident = get_incident(session, incident_id, for_update=True)
    _move(session, actor, incident, "acknowledge")
    if incident.owner_id is None:
        incident.owner_id = actor.member_id
    return incident


def respond(session: Session, actor: Actor, incident_id: int, note: str = "") -> Incident:
    require(actor, Action.INCIDENT_MANAGE)
    incident = get_incident(session, incident_id, for_update=True)
    if incident.acknowledged_at is None:
        incident.acknowledged_at = utcnow()
    _move(session, actor, incident, "respond", note)
    return incident


def resolve(session: Session, actor: Actor, incident_id: int, resolution: str) -> Incident:
    require(actor, Action.INCIDENT_MANAGE)
    resolution = (resolution or "").strip()
    if not resolution:
        raise InvalidInput("say how the incident was resolved")
    incident = get_incident(session, incident_id, for_update=True)
    if incident.crisis_mode:
        set_crisis_mode(session, actor, incident_id, False)
    incident.resolution = resolution
    _move(session, actor, incident, "resolve", resolution)
    for comment in session.scalars(select(Comment).where(Comment.incident_id == incident.id)):
        comment.handled = True
    return incident


def reopen(session: Session, actor: Actor, incident_id: int, note: str) -> Incident:
    require(actor, Action.INCIDENT_MANAGE)
    incident = get_incident(session, incident_id, for_update=True)
    _move(session, actor, incident, "reopen", note)
    return incident


def assign(session: Session, actor: Actor, incident_id: int, owner_id: int) -> Incident:
    require(actor, Action.INCIDENT_MANAGE)
    from onevoice.governance.members import actor_for, get_member

    owner = get_member(session, owner_id)
    if not allowed(actor_for(owner), Action.INCIDENT_MANAGE):
        raise InvalidInput("the owner of an incident must be on the committee")
    incident = get_incident(session, incident_id, for_update=True)
    before = incident_state(incident)
    incident.owner_id = owner.id
    _event(session, incident, actor.label, "assign", owner.email)
    audit.record(session, actor.label, "incident.assign", "incident", incident.id, before, incident_state(incident))
    return incident


def note(session: Session, actor: Actor, incident_id: int, text: str) -> Incident:
    require(actor, Action.INCIDENT_MANAGE)
    text = (text or "").strip()
    if not text:
        raise InvalidInput("a note needs text")
    incident = get_incident(session, incident_id)
    _event(session, incident, actor.label, "note", text[:5000])
    audit.record(session, actor.label, "incident.note", "incident", incident.id)
    return incident


def check_step(session: Session, actor: Actor, incident_id: int, step: int, done: bool = True) -> Incident:
    """Tick (or untick) step `step` (1-based) of the incident's playbook checklist."""
    require(actor, Action.INCIDENT_MANAGE)
    incident = get_incident(session, incident_id, for_update=True)
    items = [dict(c) for c in incident.checklist or []]
    if not 1 <= step <= len(items):
        raise InvalidInput(f"the checklist has steps 1 to {len(items)}")
    before = incident_state(incident)
    items[step - 1].update(done=done, by=actor.label if done else None, at=utcnow().isoformat() if done else None)
    incident.checklist = items
    _event(session, incident, actor.label, "checklist", f"{'done' if done else 'undone'}: {items[step - 1]['step']}")
    session.flush()
    audit.record(session, actor.label, "incident.checklist", "incident", incident.id, before, incident_state(incident),
                 {"step": step, "done": done})
    return incident


def set_crisis_mode(session: Session, actor: Actor, incident_id: int, on: bool) -> Incident:
    """Pause (or resume) the scheduled posts of the incident's channel."""
    require(actor, Action.INCIDENT_MANAGE)
    incident = get_incident(session, incident_id, for_update=True)
    if incident.channel_id is None:
        raise InvalidInput("this incident is not tied to a channel")
    channel = session.get(Channel, incident.channel_id)
    before = incident_state(incident)
    incident.crisis_mode = on
    others = session.scalar(select(Incident.id).where(Incident.channel_id == channel.id, Incident.crisis_mode.is_(True),
                                                      Incident.id != incident.id).limit(1))
    channel.crisis_mode = on or others is not None  # another crisis may still hold the channel
    _event(session, incident, actor.label, "crisis_mode", "on: scheduled posts paused" if on else "off")
    session.flush()
    audit.record(session, actor.label, "incident.crisis_mode", "incident", incident.id, before, incident_state(incident),
                 {"channel_id": channel.id, "on": on})
    return incident


def draft_response(session: Session, actor: Actor, incident_id: int, text: str, engine,
                   comment_id: int | None = None) -> int:
    """A response to an incident: a reply draft (to the comment, when given) in the normal workflow."""
    require(actor, Action.INCIDENT_MANAGE)
    incident = get_incident(session, incident_id)
    if incident.channel_id is None:
        raise InvalidInput("this incident is not tied to a channel")
    reply_to = None
    if comment_id is not None:
        comment = session.get(Comment, comment_id)
        if comment is None or comment.incident_id != incident.id:
            raise NotFound(f"no comment {comment_id} in this incident")
        reply_to = {"id": comment.platform_id, "url": comment.url}
    draft = workflow.create_draft(session, actor, incident.channel_id, text, kind="reply" if reply_to else "official",
                                  reply_to=reply_to, incident_id=incident.id)
    _event(session, incident, actor.label, "response_draft", f"draft {draft.id}")
    return draft.id


def fast_track(session: Session, actor: Actor, incident_id: int, response_name: str, engine,
               comment_id: int | None = None) -> int:
    """The chair sends a playbook response at once that the committee pre-approved on the incident's
    channel (1.: the chair must be an authorized member of it). Only the frozen approved text is
    sent; it is still screened, and a block finding still stops it, but it needs no further
    approval (3.)."""
    require(actor, Action.INCIDENT_FAST_TRACK)
    incident = get_incident(session, incident_id)
    if incident.channel_id is None:
        raise InvalidInput("this incident is not tied to a channel")
    if not allowed(actor, Action.DRAFT_SUBMIT, channel_id=incident.channel_id):
        raise Forbidden("only an authorized member of the incident's channel sends a response on it (1.); "
                        "the fast track does not change who may use a channel")
    if not incident.playbook:
        raise Conflict("this incident has no playbook")
    approval = playbooks.pre_approval(session, incident.playbook, response_name, incident.channel_id)
    draft_id = draft_response(session, actor, incident_id, approval.text, engine, comment_id)
    draft = workflow.get_draft(session, draft_id)
    workflow.fast_track_approve(session, actor, draft, engine, approved_text=approval.text,
                                reason=f"pre-approved response {incident.playbook}/{response_name} "
                                       f"(draft {approval.draft_id}, revision {approval.revision})")
    workflow.schedule(session, actor, draft_id, None)
    session.flush()
    # Crisis mode pauses the channel's scheduled posts, but not this one: the committee approved its
    # text in advance and screening passed it, and it is the answer the crisis is waiting for.
    entry = session.scalar(select(OutboxEntry).where(OutboxEntry.draft_id == draft_id, OutboxEntry.action == "publish",
                                                     OutboxEntry.status == "pending"))
    entry.fast_track = True
    _event(session, incident, actor.label, "fast_track", f"draft {draft_id}: {response_name}")
    return draft_id


def incident_view(i: Incident) -> dict:
    return {"id": i.id, "title": i.title, "type": i.type, "severity": i.severity, "state": i.state,
            "channel_id": i.channel_id, "owner_id": i.owner_id, "opened_at": i.opened_at.isoformat(),
            "ack_deadline": i.ack_deadline.isoformat() if i.ack_deadline else None,
            "acknowledged_at": i.acknowledged_at.isoformat() if i.acknowledged_at else None,
            "resolved_at": i.resolved_at.isoformat() if i.resolved_at else None,
            "escalation_level": i.escalation_level, "crisis_mode": i.crisis_mode, "playbook": i.playbook,
            "checklist": i.checklist, "resolution": i.resolution,
            "timeline": [{"at": e.at.isoformat(), "actor": e.actor, "kind": e.kind, "text": e.text} for e in i.timeline]}


def list_incidents(session: Session, actor: Actor, state: str | None = None) -> list[Incident]:
    from onevoice.governance.permissions import visible_channels

    scope = visible_channels(actor, Action.INCIDENT_MANAGE)
    q = select(Incident).order_by(Incident.id.desc()).limit(500)
    if scope is not None:
        q = q.where(Incident.channel_id.in_(sorted(scope)))
    if state:
        q = q.where(Incident.state == state)
    return list(session.scalars(q))


def view_incident(session: Session, actor: Actor, incident_id: int) -> Incident:
    """One incident, for someone allowed to see its channel (404 otherwise: not even that it exists)."""
    from onevoice.governance.permissions import visible_channels

    scope = visible_channels(actor, Action.INCIDENT_MANAGE)
    incident = get_incident(session, incident_id)
    if scope is not None and incident.channel_id not in scope:
        raise NotFound(f"no incident {incident_id}")
    return incident


# -- what the incident page tells the committee -------------------------------------------------


def committee_members(session: Session) -> list:
    """The members who may own an incident (3.: the committee handles it), by name."""
    from onevoice.governance.members import holders
    from onevoice.governance.permissions import Role

    seen: dict[int, object] = {}
    for role in (Role.CHAIR, Role.VICE_CHAIR, Role.COMMITTEE):
        for m in holders(session, role):
            seen.setdefault(m.id, m)
    return sorted(seen.values(), key=lambda m: m.name.lower())


def response_status(session: Session, incident: Incident) -> list[dict]:
    """Each response drafted in the incident and what became of it, for the page:
    {"draft_id", "state", "status": sent | sending | waiting | paused | failed | cancelled | draft,
     "reply_to" (the comment's author or None), "at" (when sent), "error", "fast_track"}."""
    from onevoice.store.models import Draft

    channel = session.get(Channel, incident.channel_id) if incident.channel_id else None
    out = []
    for d in session.scalars(select(Draft).where(Draft.incident_id == incident.id).order_by(Draft.id)):
        entry = session.scalar(select(OutboxEntry).where(OutboxEntry.draft_id == d.id, OutboxEntry.action == "publish")
                               .order_by(OutboxEntry.id.desc()).limit(1))
        reply_to = None
        if d.reply_to:
            comment = session.scalar(select(Comment).where(Comment.channel_id == d.channel_id,
                                                           Comment.platform_id == str(d.reply_to.get("id"))))
            reply_to = (comment.author if comment and comment.author else None) or "the comment"
        if entry is None:
            status = "draft"
        elif entry.status == "pending" and channel is not None and channel.crisis_mode and not entry.fast_track:
            status = "paused"
        else:
            status = {"pending": "waiting", "sending": "sending", "sent": "sent", "failed": "failed",
                      "cancelled": "cancelled"}.get(entry.status, entry.status)
        out.append({"draft_id": d.id, "state": d.state, "text": d.text, "status": status, "reply_to": reply_to,
                    "at": entry.sent_at if entry is not None else None,
                    "url": (d.published_ref or {}).get("url"),
                    "error": (d.error or (entry.last_error if entry is not None else None)) if status == "failed" else None,
                    "retry_error": entry.last_error if entry is not None and status == "waiting" else None,
                    "fast_track": bool(entry is not None and entry.fast_track)})
    return out


def timeline_sentences(incident: Incident, names: dict[str, str], channel_handle: str | None = None) -> list[dict]:
    """The incident's history as sentences: [{"at", "text"}], oldest first. `names` maps a member's
    e-mail (the actor label) to their name."""
    def who(label: str) -> str:
        base = label.split(" (via ")[0]
        return names.get(base) or ("onevoice" if base in ("system", "escalation") or ":" in base else base)

    handle = f"@{channel_handle.lstrip('@')}" if channel_handle else "the channel"
    out = []
    for e in incident.timeline:
        actor, text = who(e.actor), e.text or ""
        if e.kind == "open":
            sentence = f"{actor} opened the incident" + (f": {text}" if text else "")
        elif e.kind == "escalate":
            level, _, people = text.partition(": ")
            rank = level.partition("(")[2].rstrip(")") or "chair"
            if people in ("", "nobody holds the role"):
                sentence = f"Nobody was notified: no active member is {rank if rank != 'whole committee' else 'on the committee'}"
            else:
                told = ", ".join(names.get(p.strip(), p.strip()) for p in people.split(","))
                # who it went to; whether it was delivered is the notification outbox's to say
                sentence = (f"Escalated to the chair: {told}" if level.startswith("level 0")
                            else f"Escalated to the {rank}: {told}")
        elif e.kind == "acknowledge":
            sentence = f"{actor} acknowledged the incident"
        elif e.kind == "respond":
            sentence = f"{actor} started responding" + (f": {text}" if text else "")
        elif e.kind == "resolve":
            sentence = f"{actor} resolved the incident: {text}"
        elif e.kind == "reopen":
            sentence = f"{actor} reopened the incident" + (f": {text}" if text else "")
        elif e.kind == "assign":
            sentence = f"{actor} made {names.get(text, text)} the owner"
        elif e.kind == "note":
            sentence = f"{actor} added a note: {text}"
        elif e.kind == "checklist":
            done, _, step = text.partition(": ")
            sentence = f"{actor} {'ticked off' if done == 'done' else 'unticked'} “{step}”"
        elif e.kind == "crisis_mode":
            sentence = (f"{actor} turned crisis mode on for {handle}: its scheduled posts are paused"
                        if text.startswith("on") else f"{actor} turned crisis mode off for {handle}")
        elif e.kind == "response_draft":
            sentence = f"{actor} drafted a response ({text})"
        elif e.kind == "fast_track":
            ref, _, response_name = text.partition(": ")
            sentence = f"{actor} fast-tracked the pre-approved response “{response_name}” ({ref})"
        else:
            sentence = f"{actor}: {e.kind.replace('_', ' ')} {text}".strip()
        out.append({"at": e.at, "text": sentence, "kind": e.kind})
    return out
