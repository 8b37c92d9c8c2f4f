"""Metric collection (4.): read counts of recent published posts and each channel's followers
from the platforms, and keep them as a time series.

One sample per post (and per channel) per collection slot (an hour, by default): a unique
constraint on (post, slot) makes collecting twice in a slot an upsert, so a restarted or
repeated job never duplicates a sample. Platform calls happen outside any transaction; each
channel's samples are then written in one short transaction, so a crash loses at most the
channel being written, and the next run fills it in. A failing platform only skips its own
channel (or post): the others are still collected.

Works against any `Connector` (publishing/connectors/base.py): `counts(ref)` and `followers()`.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from onevoice.publishing.connectors import PostRef
from onevoice.store import Database
from onevoice.store.models import Channel, ChannelMetricSample, Draft, PostMetricSample, utcnow

log = logging.getLogger("onevoice.monitoring")
DEFAULT_DAYS = 30
SLOT_SECONDS = 3600
COLLECTED_STATES = ("published",)  # retracted posts no longer exist on the platform


@dataclass
class CollectResult:
    slot: datetime
    posts: int = 0
    channels: int = 0
    errors: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"slot {self.slot.isoformat()}: {self.posts} post samples, {self.channels} follower samples"]
        return out + [f"error: {e}" for e in self.errors]


def slot_of(when: datetime, seconds: int = SLOT_SECONDS) -> datetime:
    """The start of the collection slot `when` falls in (aware UTC)."""
    ts = int(when.astimezone(timezone.utc).timestamp())
    return datetime.fromtimestamp(ts - ts % seconds, tz=timezone.utc)


def upsert(session: Session, model, keys: dict, values: dict) -> None:
    """Insert a row, or update it when a row with the same unique `keys` exists (one statement,
    safe against a concurrent collector on SQLite and PostgreSQL alike)."""
    dialect = session.bind.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - only the two supported databases
        raise RuntimeError(f"unsupported database {dialect}")
    stmt = insert(model).values(**keys, **values)
    session.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=values))


def record_post_sample(session: Session, draft_id: int, channel_id: int, slot: datetime, counts,
                       collected_at: datetime | None = None) -> None:
    upsert(session, PostMetricSample, {"draft_id": draft_id, "slot": slot},
           {"channel_id": channel_id, "collected_at": collected_at or utcnow(), "likes": counts.likes,
            "reposts": counts.reposts, "replies": counts.replies, "quotes": counts.quotes,
            "impressions": counts.impressions})


def record_followers(session: Session, channel_id: int, slot: datetime, followers: int,
                     collected_at: datetime | None = None) -> None:
    upsert(session, ChannelMetricSample, {"channel_id": channel_id, "slot": slot},
           {"collected_at": collected_at or utcnow(), "followers": int(followers)})


def collect(db: Database, connector_for: Callable, now: datetime | None = None, days: int = DEFAULT_DAYS,
            slot_seconds: int = SLOT_SECONDS, channel_ids: list[int] | None = None) -> CollectResult:
    """Collect one slot: counts for every post published in the last `days` days, and the
    followers of every channel with credentials. Returns what was stored and what failed."""
    now = now or utcnow()
    slot = slot_of(now, slot_seconds)
    result = CollectResult(slot=slot)
    since = now - timedelta(days=days)
    with db.reader() as s:
        q = select(Channel).where(Channel.credentials.is_not(None)).order_by(Channel.id)
        if channel_ids:
            q = q.where(Channel.id.in_(channel_ids))
        channels = list(s.scalars(q))
        posts: dict[int, list[tuple[int, dict]]] = {}
        for d in s.execute(select(Draft.id, Draft.channel_id, Draft.published_ref)
                           .where(Draft.state.in_(COLLECTED_STATES), Draft.published_at >= since)
                           .order_by(Draft.id)):
            if not (d.published_ref or {}).get("id"):
                continue
            posts.setdefault(d.channel_id, []).append((d.id, d.published_ref))
    for channel in channels:
        where = f"{channel.platform}:{channel.handle}"
        try:
            connector = connector_for(channel)
        except Exception as exc:  # noqa: BLE001 - one broken channel must not stop the others
            log.warning("metrics: no connector for %s: %s", where, exc)
            result.errors.append(f"{where}: {_why(exc)}")
            continue
        followers = None
        try:
            followers = connector.followers()
        except Exception as exc:  # noqa: BLE001
            log.warning("metrics: followers of %s failed: %s", where, exc)
            result.errors.append(f"{where}: followers: {_why(exc)}")
        samples = []
        for draft_id, ref in posts.get(channel.id, []):
            try:
                counts = connector.counts(PostRef(id=ref["id"], url=ref.get("url"), cid=ref.get("cid")))
            except Exception as exc:  # noqa: BLE001 - one deleted post must not stop the rest
                log.warning("metrics: counts of draft %s on %s failed: %s", draft_id, where, exc)
                result.errors.append(f"{where}: draft {draft_id}: {_why(exc)}")
                continue
            samples.append((draft_id, counts))
        with db.transaction() as s:
            for draft_id, counts in samples:
                record_post_sample(s, draft_id, channel.id, slot, counts, now)
            if followers is not None:
                record_followers(s, channel.id, slot, followers, now)
        result.posts += len(samples)
        result.channels += followers is not None
    return result


def _why(exc: Exception) -> str:
    return (getattr(exc, "message", None) or str(exc) or type(exc).__name__).splitlines()[0][:300]
