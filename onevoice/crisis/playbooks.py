"""The committee's playbooks (3.): a checklist and pre-approved responses per incident type.

Playbooks are YAML, one document per playbook; the packaged ones are loaded at `init`, and the
committee edits them as new versions (the old ones stay for the incidents that used them).
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session

from onevoice import audit, safe_yaml
from onevoice.errors import InvalidInput, NotFound
from onevoice.governance.permissions import Action, Actor, require
from onevoice.store.models import Playbook

INCIDENT_TYPES = ("complaint", "abuse", "misinformation", "crisis", "spike")


@dataclass(frozen=True)
class Response:
    name: str
    text: str
    pre_approved: bool = False


@dataclass(frozen=True)
class PlaybookSpec:
    name: str
    incident_type: str
    title: str
    steps: tuple[str, ...]
    responses: tuple[Response, ...]


def parse(source: str, where: str = "playbook") -> list[PlaybookSpec]:
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
        responses = []
        for r in d.get("responses") or []:
            if not isinstance(r, dict) or not isinstance(r.get("name"), str) or not isinstance(r.get("text"), str):
                raise InvalidInput(f"{at}: each response needs a name and a text")
            responses.append(Response(r["name"], r["text"].strip(), bool(r.get("pre_approved", False))))
        specs.append(PlaybookSpec(str(d["name"]), d["incident_type"], str(d["title"]),
                                  tuple(s.strip() for s in steps), tuple(responses)))
    return specs


def packaged_sources() -> dict[str, str]:
    folder = resources.files("onevoice.crisis") / "playbooks"
    return {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir() if p.name.endswith(".yaml")}


def load_packaged(session: Session) -> int:
    """Store the packaged playbooks that the database does not have yet (at `init`)."""
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
            "responses": [{"name": r.name, "text": r.text, "pre_approved": r.pre_approved} for r in spec.responses]}


def active(session: Session, name: str | None = None, incident_type: str | None = None) -> PlaybookSpec | None:
    q = select(Playbook).where(Playbook.active.is_(True)).order_by(Playbook.id.desc())
    if name:
        q = q.where(Playbook.name == name)
    if incident_type:
        q = q.where(Playbook.incident_type == incident_type)
    row = session.scalars(q).first()
    return parse(row.source, row.name)[0] if row else None


def all_active(session: Session) -> list[PlaybookSpec]:
    rows = session.scalars(select(Playbook).where(Playbook.active.is_(True)).order_by(Playbook.name))
    return [parse(r.source, r.name)[0] for r in rows]


def save(session: Session, actor: Actor, source: str) -> PlaybookSpec:
    """A committee member writes or edits a playbook: the new version becomes the active one."""
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
    return spec


def response(session: Session, playbook_name: str, response_name: str) -> Response:
    spec = active(session, name=playbook_name)
    if spec is None:
        raise NotFound(f"no playbook {playbook_name!r}")
    for r in spec.responses:
        if r.name == response_name:
            return r
    raise NotFound(f"playbook {playbook_name!r} has no response {response_name!r}")
