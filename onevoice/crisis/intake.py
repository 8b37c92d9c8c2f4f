"""Comments and mentions in (3.): from the channel connectors, a signed webhook, or a CSV/JSONL
import. Each is stored once (deduplicated by the platform's id), triaged, and the ones that must
reach the chair open or join an incident.

A batch and the polling cursor commit together: if the process dies mid-batch, nothing of the
batch is stored and the next poll fetches it again from the old cursor; duplicates are skipped.
"""
from __future__ import annotations

import csv
import io
import json
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterable

from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onevoice import audit
from onevoice.errors import InvalidInput
from onevoice.governance.permissions import SYSTEM
from onevoice.store import Database
from onevoice.store.models import Channel, Comment, Draft, InboundCursor, Incident, utcnow
from onevoice.urls import http_url

from . import spikes
from .incidents import open_incident

GROUP_WINDOW = timedelta(hours=24)
MAX_TEXT = 10_000
MAX_ID = 500  # platform ids: the width of their columns
MAX_AUTHOR = 300
MAX_FOLLOWERS = 2**31 - 1  # the follower column is a 32-bit integer on PostgreSQL


@dataclass
class IntakeResult:
    received: int = 0
    new: int = 0
    duplicates: int = 0
    escalated: int = 0
    incidents: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


class _Triage:
    """The default triage, which also triages a whole batch at once (one encoder call)."""

    def __call__(self, text: str, followers: int | None = None):
        from onevoice.triage import triage

        return triage(text, followers)

    def many(self, texts: list[str], followers: list[int | None]):
        from onevoice.triage import triage_many

        return triage_many(texts, followers)


def _default_triage():
    return _Triage()


def _triage_all(triage: Callable, items: list[dict]) -> list:
    texts, followers = [i["text"] for i in items], [i["author_followers"] for i in items]
    many = getattr(triage, "many", None)
    return many(texts, followers) if many else [triage(t, f) for t, f in zip(texts, followers)]


def normalize_item(raw: object, where: str = "item") -> dict:
    """Check one inbound item on its own; raises InvalidInput naming the item and the problem.

    Every field is checked for its type and bounded, so what passes here can be stored: an item
    that would fail in the database instead (a follower count past its integer column) would
    take the good items of its batch down with it."""
    if not isinstance(raw, dict):
        raise InvalidInput(f"{where}: must be an object")
    pid = _platform_id(raw.get("id", raw.get("platform_id")), where, "id")
    if pid is None:
        raise InvalidInput(f"{where}: 'id' (the platform's id) is required")
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput(f"{where}: 'text' must be a non-empty string")
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"{where}: 'text' is longer than {MAX_TEXT} characters")
    _storable(text, where, "text")
    author = raw.get("author")
    if author is not None and not isinstance(author, str):
        raise InvalidInput(f"{where}: 'author' must be a string")
    _storable(author or "", where, "author")
    url = http_url(raw.get("url"))  # a non-http(s) link is dropped, the comment kept
    kind = raw.get("kind") or "reply"
    if kind not in ("reply", "mention"):
        raise InvalidInput(f"{where}: 'kind' must be reply or mention")
    return {"platform_id": pid, "text": text,
            "author": (author or "")[:MAX_AUTHOR],  # a display name: cut, rather than lose the comment
            "author_followers": _followers(raw.get("author_followers"), where),
            "posted_at": _posted_at(raw.get("created_at") or raw.get("posted_at"), where), "kind": kind,
            "in_reply_to": _platform_id(raw.get("in_reply_to"), where, "in_reply_to"),
            "url": url if url and _is_storable(url) else None}


def _platform_id(value: object, where: str, name: str) -> str | None:
    """A platform's id, as text. Never cut: two ids that differ past the cut would be one comment."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidInput(f"{where}: '{name}' must be a string or a whole number")
    text = str(value).strip()
    if len(text) > MAX_ID:
        raise InvalidInput(f"{where}: '{name}' is longer than {MAX_ID} characters")
    _storable(text, where, name)
    return text or None


def _is_storable(text: str) -> bool:
    """Whether both databases store the string: PostgreSQL refuses NUL, and neither takes what
    is not UTF-8 (JSON's "\\ud800" is a lone surrogate, valid JSON but no character)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _storable(text: str, where: str, name: str) -> None:
    if not _is_storable(text):
        raise InvalidInput(f"{where}: '{name}' holds a NUL or an unpaired surrogate, which cannot be stored")


def _followers(value: object, where: str) -> int | None:
    """A follower count: a whole number from 0 to MAX_FOLLOWERS (JSON's 12.0 and a CSV's "12" too)."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        digits = value.strip().lstrip("0") or "0"
        value = int(digits) if len(digits) <= 19 else MAX_FOLLOWERS + 1  # longer is past the bound too
    elif isinstance(value, float) and value.is_integer():  # never inf or nan: those are not integers
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{where}: 'author_followers' must be a whole number")
    if not 0 <= value <= MAX_FOLLOWERS:
        raise InvalidInput(f"{where}: 'author_followers' must be between 0 and {MAX_FOLLOWERS}")
    return value


def _posted_at(value: object, where: str) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):  # from a connector, which reads the platform's UTC times
        posted = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    elif isinstance(value, str) and len(value) <= 64:
        try:
            posted = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput(f"{where}: 'created_at' is not an ISO date-time") from None
    else:
        raise InvalidInput(f"{where}: 'created_at' must be an ISO date-time")
    if posted.tzinfo is None:
        raise InvalidInput(f"{where}: 'created_at' needs a time zone (e.g. Z)")
    try:
        return posted.astimezone(timezone.utc)  # as the database stores it
    except OverflowError:  # 9999-12-31T23:00-05:00 is past the last day there is
        raise InvalidInput(f"{where}: 'created_at' is out of range") from None


def store_batch(session: Session, channel_id: int, items: list[dict], source: str, triage: Callable,
                settings, now: datetime, result: IntakeResult) -> None:
    """Store, triage and route checked items inside the caller's transaction.

    Incidents are looked up once per category before the insert, so a batch is one INSERT with
    each comment already linked, and an incident is escalated at most once per batch."""
    ids = [i["platform_id"] for i in items]
    seen = set(session.scalars(select(Comment.platform_id).where(Comment.channel_id == channel_id,
                                                                 Comment.platform_id.in_(ids))))
    fresh: list[dict] = []
    for item in items:
        if item["platform_id"] in seen:
            result.duplicates += 1
            continue
        seen.add(item["platform_id"])
        fresh.append(item)
    rows: list[dict] = []
    for item, t in zip(fresh, _triage_all(triage, fresh) if fresh else ()):
        rows.append({**item, "channel_id": channel_id, "source": source, "received_at": now, "category": t.category,
                     "severity": t.severity, "escalate": t.escalate, "triage": t.to_dict(),
                     "handled": not t.escalate, "incident_id": None})
    if not rows:
        return
    by_kind: dict[str, list[dict]] = {}
    for row in rows:
        if row["escalate"]:
            by_kind.setdefault(row["category"], []).append(row)
    found = {kind: _open_of_kind(session, channel_id, kind, now) for kind in by_kind}
    missing = sorted(kind for kind, incident in found.items() if incident is None)
    for kind in missing:  # about to open these: wait for anyone opening the same, then look again
        _lock_incident_kind(session, channel_id, kind)
    for kind in missing:
        found[kind] = _open_of_kind(session, channel_id, kind, now)
    for kind, incident in found.items():
        if incident is not None:
            for row in by_kind[kind]:
                row["incident_id"] = incident.id
    # a Core insert: the ORM would split the rows into one statement per pattern of NULLs
    comments = Comment.__table__
    new_ids = dict(session.execute(insert(comments).returning(comments.c.platform_id, comments.c.id), rows).all())
    for row in rows:
        row["id"] = new_ids[row["platform_id"]]
    result.new += len(rows)
    result.escalated += sum(map(len, by_kind.values()))
    for incident_id in _route(session, channel_id, by_kind, found, settings, now):
        if incident_id not in result.incidents:
            result.incidents.append(incident_id)
    spike = spikes.check_channel(session, channel_id, now, settings)
    if spike is not None and spike not in result.incidents:
        result.incidents.append(spike)


def _open_of_kind(session: Session, channel_id: int, kind: str, now: datetime) -> Incident | None:
    """The open incident of this channel and type from the last day, to group comments into."""
    return session.scalar(
        select(Incident).where(Incident.channel_id == channel_id, Incident.type == kind,
                               Incident.state != "resolved", Incident.opened_at >= now - GROUP_WINDOW)
        .order_by(Incident.id.desc()).limit(1))


def _route(session: Session, channel_id: int, by_kind: dict[str, list[dict]], found: dict[str, Incident | None],
           settings, now: datetime) -> list[int]:
    """Open an incident for each kind that has none, with its stored comments; raise the severity
    of the found ones that the batch makes worse. Returns the incidents, kind by kind.

    Every incident row is changed before anything is escalated or opened, in kind order: the
    audit chain's head is the last lock a batch takes, so its holder never waits for an incident
    another batch holds."""
    from .escalation import ack_deadline, escalate

    worst = {kind: max(rows, key=lambda r: r["severity"]) for kind, rows in by_kind.items()}  # first of the most severe
    raised = []
    for kind in sorted(by_kind):
        incident, severity = found[kind], worst[kind]["severity"]
        if incident is not None and severity > incident.severity:
            incident.severity = severity
            if incident.state == "open":
                incident.ack_deadline = min(incident.ack_deadline or now, ack_deadline(severity, now))
                raised.append(incident)
    session.flush()
    for incident in raised:
        escalate(session, incident, incident.escalation_level, settings, now)
    ids = []
    for kind in sorted(by_kind):
        incident = found[kind]
        if incident is None:
            reason = (worst[kind]["triage"] or {}).get("reasons") or []
            title = f"{kind.capitalize()} on {worst[kind]['kind']}" + (f": {reason[0]}" if reason else "")
            incident = open_incident(session, SYSTEM, type=kind, severity=max(1, worst[kind]["severity"]),
                                     title=title, channel_id=channel_id, comment_ids=[r["id"] for r in by_kind[kind]],
                                     settings=settings, now=now)
        ids.append(incident.id)
    return ids


def _lock_incident_kind(session: Session, channel_id: int, category: str) -> None:
    """Two workers storing complaints for one channel at once must not both open an incident: on
    PostgreSQL they queue on a lock per (channel, type) until the first commits. (SQLite writers
    are serialized by BEGIN IMMEDIATE already.) Taken before the batch writes anything, in one
    order, so a worker waiting here holds nothing another one waits for: no deadlock."""
    if session.bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:channel, :kind)"),
                        {"channel": channel_id, "kind": zlib.crc32(category.encode()) & 0x7FFFFFFF})


def ingest(db: Database, channel_id: int, raw_items: Iterable[dict], source: str, settings=None,
           triage: Callable | None = None, now: datetime | None = None, cursor: str | None = None) -> IntakeResult:
    """Store, triage and route a batch in one transaction (with the polling cursor, if given)."""
    triage = triage or _default_triage()
    result = IntakeResult()
    items = []
    for n, raw in enumerate(raw_items, 1):
        result.received += 1
        try:
            items.append(normalize_item(raw, f"item {n}"))
        except InvalidInput as exc:
            result.errors.append(exc.detail)
    now = now or utcnow()
    for attempt in (1, 2):
        try:
            with db.transaction() as s:
                if s.get(Channel, channel_id) is None:
                    raise InvalidInput(f"no channel {channel_id}")
                partial = IntakeResult(received=result.received, errors=result.errors)
                if items:
                    store_batch(s, channel_id, items, source, triage, settings, now, partial)
                if cursor is not None:
                    row = s.get(InboundCursor, channel_id) or InboundCursor(channel_id=channel_id)
                    row.since_id, row.polled_at = cursor, now
                    s.add(row)
                if partial.new:
                    audit.record(s, f"intake:{source}", "comments.ingest", "channel", channel_id,
                                 detail={"new": partial.new, "escalated": partial.escalated})
            return partial
        except IntegrityError:
            if attempt == 2:  # another process stored the same comments at the same moment
                raise
    return result


def poll(db: Database, channel: Channel, connector, settings=None, triage: Callable | None = None,
         now: datetime | None = None) -> IntakeResult:
    """Pull new mentions and the replies to recent posts of one channel."""
    now = now or utcnow()
    with db.reader() as s:
        cur = s.get(InboundCursor, channel.id)
        since = cur.since_id if cur else None
        recent = [d.published_ref for d in s.scalars(
            select(Draft).where(Draft.channel_id == channel.id, Draft.state == "published",
                                Draft.published_at >= now - timedelta(days=3)))]
    from onevoice.publishing.connectors.base import PostRef

    remote = list(connector.fetch_mentions(since))
    for ref in recent:
        remote.extend(connector.fetch_replies(PostRef(**ref)))
    newest = max((r.cursor or r.id for r in remote if r.kind == "mention"), key=_id_order, default=since)
    items = [{"id": r.id, "text": r.text, "author": r.author, "author_followers": r.author_followers,
              "kind": r.kind, "in_reply_to": r.in_reply_to, "url": r.url, "created_at": r.created_at} for r in remote]
    return ingest(db, channel.id, items, "poll", settings, triage, now, cursor=newest)


def _id_order(platform_id: str):
    return (0, int(platform_id)) if platform_id.isdigit() else (1, platform_id)


def parse_import(data: bytes, fmt: str) -> tuple[list[dict], list[str]]:
    """Items from a CSV (header: id,text,author,author_followers,kind,created_at,url) or JSONL
    file; returns the good items and one error per bad line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"the file is not valid UTF-8 (byte {exc.start})") from None
    items, errors = [], []
    if fmt == "jsonl":
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                items.append(normalize_item(json.loads(line), f"line {n}"))
            except json.JSONDecodeError as exc:
                errors.append(f"line {n}: not JSON ({exc.msg})")
            except InvalidInput as exc:
                errors.append(exc.detail)
    elif fmt == "csv":
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or "id" not in reader.fieldnames or "text" not in reader.fieldnames:
            raise InvalidInput("the CSV needs a header row with at least the columns id and text")
        for n, row in enumerate(reader, 2):
            try:
                items.append(normalize_item(row, f"line {n}"))
            except InvalidInput as exc:
                errors.append(exc.detail)
    else:
        raise InvalidInput("format must be csv or jsonl")
    return items, errors
