"""The committee's playbooks (3.): a checklist and prepared responses per incident type.

Playbooks are YAML, one document per playbook; the packaged ones are loaded at `init`, and the
committee edits them as new versions (the old ones stay for the incidents that used them).

A prepared response is not pre-approved because its YAML says so: pre-approval is a committee
decision (1.). Proposing a response for a channel puts its exact text in a draft on that channel,
which goes through screening and the channel's quorum like any post; once approved, that draft's
revision and text are frozen as the response's pre-approval on the channel, and the chair's fast
track sends that text only. Changing the response's text in the playbook withdraws it.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session

from onevoice import audit, safe_yaml
from onevoice.errors import Conflict, InvalidInput, NotFound
from onevoice.governance.channels import get_channel
from onevoice.governance.permissions import Action, Actor, require
from onevoice.publishing import workflow
from onevoice.screening import Engine
from onevoice.store.models import Channel, Draft, Playbook, ResponseApproval, utcnow

INCIDENT_TYPES = ("complaint", "abuse", "misinformation", "crisis", "spike")

# Playbooks are written by people and shown on every incident: bounded so that one cannot fill
# pages or the database. Names are stored in 100-character columns.
MAX_NAME = 100
MAX_TITLE = 300
MAX_STEPS = 50
MAX_STEP_CHARS = 1_000
MAX_RESPONSES = 20
MAX_RESPONSE_CHARS = 5_000

PRE_APPROVED = "pre-approved"


@dataclass(frozen=True)
class Response:
    name: str
    text: str


@dataclass(frozen=True)
class PlaybookSpec:
    name: str
    incident_type: str
    title: str
    steps: tuple[str, ...]
    responses: tuple[Response, ...]


def _text(value: object, at: str, field: str, limit: int, *, one_line: bool = False) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{at}: {field} must be non-empty text")
    value = value.strip()
    if len(value) > limit:
        raise InvalidInput(f"{at}: {field} is {len(value)} characters; at most {limit} are allowed")
    if one_line and ("\n" in value or "\r" in value):
        raise InvalidInput(f"{at}: {field} must be one line")
    return value


def _responses(raw: object, at: str, stored: bool) -> tuple[Response, ...]:
    raw = raw or []
    if not isinstance(raw, list):
        raise InvalidInput(f"{at}: responses must be a list")
    if len(raw) > MAX_RESPONSES:
        raise InvalidInput(f"{at}: {len(raw)} responses; at most {MAX_RESPONSES} are allowed")
    responses: list[Response] = []
    for i, r in enumerate(raw, 1):
        if not isinstance(r, dict) or not isinstance(r.get("name"), str) or not isinstance(r.get("text"), str):
            raise InvalidInput(f"{at}: each response needs a name and a text")
        name = _text(r["name"], at, f"response {i}'s name", MAX_NAME, one_line=True)
        if "pre_approved" in r and not stored:
            raise InvalidInput(f"{at}: response {name!r}: pre_approved cannot be set in a playbook; pre-approval "
                               "is a committee decision (propose the response: `onevoice playbook propose`)")
        if any(x.name == name for x in responses):
            raise InvalidInput(f"{at}: two responses are named {name!r}")
        responses.append(Response(name, _text(r["text"], at, f"response {name!r}'s text", MAX_RESPONSE_CHARS)))
    return tuple(responses)


def parse(source: str, where: str = "playbook", *, stored: bool = False) -> list[PlaybookSpec]:
    """Read playbooks from YAML. `stored`: a version saved before pre-approval became a committee
    decision may still say `pre_approved`; it is read and ignored there, and refused anywhere else."""
    try:
        docs = [d for d in safe_yaml.load_all(source) if d is not None]
    except safe_yaml.UnsafeYaml as exc:
        raise InvalidInput(f"{where}: {exc}") from None
    specs = []
    for i, d in enumerate(docs):
        at = f"{where} #{i + 1}"
        if not isinstance(d, dict):
            raise InvalidInput(f"{at}: a playbook is a mapping")
        for key in ("name", "incident_type", "title", "steps"):
            if key not in d:
                raise InvalidInput(f"{at}: missing {key!r}")
        if d["incident_type"] not in INCIDENT_TYPES:
            raise InvalidInput(f"{at}: incident_type must be one of {', '.join(INCIDENT_TYPES)}")
        steps = d["steps"]
        if not isinstance(steps, list) or not steps or not all(isinstance(s, str) and s.strip() for s in steps):
            raise InvalidInput(f"{at}: steps must be a non-empty list of text")
        if len(steps) > MAX_STEPS:
            raise InvalidInput(f"{at}: {len(steps)} steps; at most {MAX_STEPS} are allowed")
        specs.append(PlaybookSpec(_text(d["name"], at, "name", MAX_NAME, one_line=True), d["incident_type"],
                                  _text(d["title"], at, "title", MAX_TITLE, one_line=True),
                                  tuple(_text(s, at, f"step {n}", MAX_STEP_CHARS) for n, s in enumerate(steps, 1)),
                                  _responses(d.get("responses"), at, stored)))
    return specs


def packaged_sources() -> dict[str, str]:
    folder = resources.files("onevoice.crisis") / "playbooks"
    return {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir() if p.name.endswith(".yaml")}


def load_packaged(session: Session) -> int:
    """Store the packaged playbooks that the database does not have yet (at `init`). Their
    responses start without pre-approval: the committee proposes and approves them per channel."""
    have = set(session.scalars(select(Playbook.name)))
    added = 0
    for fname, source in sorted(packaged_sources().items()):
        for spec in parse(source, fname):
            if spec.name not in have:
                session.add(Playbook(name=spec.name, incident_type=spec.incident_type,
                                     source=safe_yaml.dump(as_dict(spec)),
                                     active=True))
                added += 1
    return added


def as_dict(spec: PlaybookSpec) -> dict:
    return {"name": spec.name, "incident_type": spec.incident_type, "title": spec.title, "steps": list(spec.steps),
            "responses": [{"name": r.name, "text": r.text} for r in spec.responses]}


def active(session: Session, name: str | None = None, incident_type: str | None = None) -> PlaybookSpec | None:
    q = select(Playbook).where(Playbook.active.is_(True)).order_by(Playbook.id.desc())
    if name:
        q = q.where(Playbook.name == name)
    if incident_type:
        q = q.where(Playbook.incident_type == incident_type)
    row = session.scalars(q).first()
    return parse(row.source, row.name, stored=True)[0] if row else None


def all_active(session: Session) -> list[PlaybookSpec]:
    rows = session.scalars(select(Playbook).where(Playbook.active.is_(True)).order_by(Playbook.name))
    return [parse(r.source, r.name, stored=True)[0] for r in rows]


def save(session: Session, actor: Actor, source: str) -> PlaybookSpec:
    """A committee member writes or edits a playbook: the new version becomes the active one, and
    the pre-approval of every response whose text it changes (or drops) is withdrawn."""
    require(actor, Action.PLAYBOOK_EDIT)
    specs = parse(source)
    if len(specs) != 1:
        raise InvalidInput("save one playbook at a time")
    spec = specs[0]
    for old in session.scalars(select(Playbook).where(Playbook.name == spec.name, Playbook.active.is_(True))):
        old.active = False
    row = Playbook(name=spec.name, incident_type=spec.incident_type, source=source, active=True,
                   created_by=actor.member_id)
    session.add(row)
    session.flush()
    audit.record(session, actor.label, "playbook.save", "playbook", row.id, None, as_dict(spec))
    texts = {r.name: r.text for r in spec.responses}
    for approval in _standing(session, spec.name):
        if texts.get(approval.response) != approval.text:
            _withdraw(session, actor, approval, f"playbook version {row.id} changed or dropped the response's text")
    return spec


def response(session: Session, playbook_name: str, response_name: str) -> Response:
    spec = active(session, name=playbook_name)
    if spec is None:
        raise NotFound(f"no playbook {playbook_name!r}")
    for r in spec.responses:
        if r.name == response_name:
            return r
    raise NotFound(f"playbook {playbook_name!r} has no response {response_name!r}")


# Pre-approval: a committee decision per response and channel.

def approval_state(a: ResponseApproval) -> dict:
    """What the audit log digests about a pre-approval."""
    return {"id": a.id, "playbook": a.playbook, "response": a.response, "channel_id": a.channel_id,
            "draft_id": a.draft_id, "revision": a.revision, "text": a.text,
            "withdrawn": a.withdrawn_at.isoformat() if a.withdrawn_at else None}


def approval_status(session: Session, a: ResponseApproval) -> str:
    """Where a proposal stands: in review, changes requested, rejected, pre-approved, or why it no
    longer counts (withdrawn, or lapsed: its draft was edited, purged, or no longer meets the quorum)."""
    if a.withdrawn_at is not None:
        return "withdrawn"
    draft = session.get(Draft, a.draft_id) if a.draft_id is not None else None
    if draft is None or draft.revision != a.revision or draft.text != a.text:
        return "lapsed"
    if draft.state == "approved":
        quorum = session.get(Channel, a.channel_id).quorum
        return PRE_APPROVED if len(workflow.approvals(draft)) >= quorum else "lapsed"
    return {"rejected": "rejected", "changes_requested": "changes requested"}.get(draft.state, "in review")


def approval_view(session: Session, a: ResponseApproval) -> dict:
    return {"id": a.id, "playbook": a.playbook, "response": a.response, "channel_id": a.channel_id,
            "draft_id": a.draft_id, "revision": a.revision, "text": a.text, "status": approval_status(session, a),
            "proposed_by": a.proposed_by, "proposed_at": a.proposed_at.isoformat(),
            "withdrawn_at": a.withdrawn_at.isoformat() if a.withdrawn_at else None,
            "withdrawn_reason": a.withdrawn_reason}


def proposals(session: Session, playbook_name: str | None = None) -> list[ResponseApproval]:
    """The proposals not withdrawn, newest first (of one playbook, when named)."""
    q = _standing_query().order_by(ResponseApproval.id.desc()).limit(500)
    if playbook_name is not None:
        q = q.where(ResponseApproval.playbook == playbook_name)
    return list(session.scalars(q))


def _standing_query():
    return select(ResponseApproval).where(ResponseApproval.withdrawn_at.is_(None))


def _standing(session: Session, playbook_name: str, response_name: str | None = None,
              channel_id: int | None = None) -> list[ResponseApproval]:
    q = _standing_query().where(ResponseApproval.playbook == playbook_name).order_by(ResponseApproval.id.desc())
    if response_name is not None:
        q = q.where(ResponseApproval.response == response_name)
    if channel_id is not None:
        q = q.where(ResponseApproval.channel_id == channel_id)
    return list(session.scalars(q.with_for_update()))


def _withdraw(session: Session, actor: Actor, a: ResponseApproval, reason: str) -> None:
    before = approval_state(a)
    a.withdrawn_at, a.withdrawn_reason = utcnow(), reason
    session.flush()
    audit.record(session, actor.label, "playbook.pre_approval_withdrawn", "response_approval", a.id, before,
                 approval_state(a), {"reason": reason})


def propose(session: Session, actor: Actor, playbook_name: str, response_name: str, channel_ref: int | str,
            engine: Engine) -> ResponseApproval:
    """Ask the committee to pre-approve a response on a channel: its exact text becomes a draft by
    the proposer, submitted at once, so it is screened and needs the channel's quorum of other
    committee members, as any post does (1.)."""
    require(actor, Action.PLAYBOOK_EDIT)
    template = response(session, playbook_name, response_name)
    channel = get_channel(session, channel_ref)
    for earlier in _standing(session, playbook_name, response_name, channel.id):
        status = approval_status(session, earlier)
        if status in ("in review", "changes requested", PRE_APPROVED):
            raise Conflict(f"response {response_name!r} is already {status} on {channel.handle} (draft {earlier.draft_id})")
        _withdraw(session, actor, earlier, f"superseded by a new proposal ({status})")
    draft = workflow.create_draft(session, actor, channel.id, template.text)
    workflow.submit(session, actor, draft.id, engine)
    a = ResponseApproval(playbook=playbook_name, response=response_name, channel_id=channel.id, draft_id=draft.id,
                         revision=draft.revision, text=draft.text, proposed_by=actor.member_id)
    session.add(a)
    session.flush()
    audit.record(session, actor.label, "playbook.propose_pre_approval", "response_approval", a.id, None,
                 approval_state(a))
    return a


def pre_approval(session: Session, playbook_name: str, response_name: str, channel_id: int) -> ResponseApproval:
    """The committee's standing pre-approval of this response on this channel, or Conflict."""
    template = response(session, playbook_name, response_name)
    for a in _standing(session, playbook_name, response_name, channel_id):
        if a.text == template.text and approval_status(session, a) == PRE_APPROVED:
            return a
    raise Conflict(f"response {response_name!r} of playbook {playbook_name!r} is not pre-approved on this channel: "
                   "propose it for pre-approval, or draft a response for normal review")


def pre_approved_responses(session: Session, playbook_name: str, channel_id: int) -> list[Response]:
    """The responses of a playbook the chair may fast-track on a channel now (for the incident page)."""
    spec = active(session, name=playbook_name)
    if spec is None:
        return []
    ready = {a.response for a in proposals(session, playbook_name)
             if a.channel_id == channel_id and approval_status(session, a) == PRE_APPROVED}
    return [r for r in spec.responses if r.name in ready]
