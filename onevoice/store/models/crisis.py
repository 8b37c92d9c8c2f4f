"""Inbound comments, incidents and the committee's playbooks (3. Crisis management)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow


class Comment(Base):
    """A reply or mention received on an official channel, deduplicated by the platform's id."""

    __tablename__ = "comments"
    # The unique (channel, platform id) index also serves look-ups by channel alone; the
    # (channel, received) one serves the spike window and the inbox, without a table scan.
    __table_args__ = (UniqueConstraint("channel_id", "platform_id"),
                      Index("ix_comments_channel_received", "channel_id", "received_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    platform_id: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(20), default="reply")  # reply | mention
    author: Mapped[str] = mapped_column(String(300), default="")
    author_followers: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    in_reply_to: Mapped[str | None] = mapped_column(String(500))
    url: Mapped[str | None] = mapped_column(String(2000))
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    source: Mapped[str] = mapped_column(String(20))  # poll | webhook | import
    category: Mapped[str | None] = mapped_column(String(30), index=True)
    severity: Mapped[int] = mapped_column(Integer, default=0)
    escalate: Mapped[bool] = mapped_column(Boolean, default=False)
    triage: Mapped[dict | None] = mapped_column(JSON)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    handled: Mapped[bool] = mapped_column(Boolean, default=False)
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class InboundBatch(Base):
    """A checked batch of inbound comments waiting for a worker (queued intake, at scale).

    The API stores the batch in one insert and answers at once; a worker triages and routes it
    and deletes the row in the same transaction, so a batch is either waiting here or stored as
    comments, never both and never neither."""

    __tablename__ = "inbound_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"), index=True)
    source: Mapped[str] = mapped_column(String(20))  # webhook | import
    items: Mapped[list] = mapped_column(JSON)  # normalized items, dates as ISO strings
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class Incident(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    type: Mapped[str] = mapped_column(String(30))  # complaint | abuse | misinformation | crisis | spike
    severity: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), index=True, default="open")
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ack_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    crisis_mode: Mapped[bool] = mapped_column(Boolean, default=False)
    playbook: Mapped[str | None] = mapped_column(String(100))
    checklist: Mapped[list] = mapped_column(JSON, default=list)  # [{"step": str, "done": bool, "by": str|None, "at": iso|None}]
    resolution: Mapped[str | None] = mapped_column(Text)

    timeline: Mapped[list["IncidentEvent"]] = relationship(order_by="IncidentEvent.id", lazy="selectin",
                                                          cascade="all, delete-orphan")


class IncidentEvent(Base):
    __tablename__ = "incident_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(320))
    kind: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text, default="")


class Playbook(Base):
    """A committee-authored procedure for one type of incident (3.), versioned: editing adds a row."""

    __tablename__ = "playbooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    incident_type: Mapped[str] = mapped_column(String(30), index=True)
    source: Mapped[str] = mapped_column(Text)  # YAML
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))


class ResponseApproval(Base):
    """The committee's pre-approval of one playbook response on one channel (1., 3.).

    Proposing a response puts its exact text in a draft on the channel, which goes through
    screening and the channel's quorum like any post. This row freezes that draft, its revision and
    its text: the chair's fast track sends only this text, and only while the draft is still
    approved at this revision and the playbook still says it. Editing the response withdraws it."""

    __tablename__ = "response_approvals"
    __table_args__ = (Index("ix_response_approvals_key", "playbook", "response", "channel_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    playbook: Mapped[str] = mapped_column(String(100))
    response: Mapped[str] = mapped_column(String(100))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    # SET NULL: retention may purge a rejected proposal's draft; the row then stays as history.
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("drafts.id", ondelete="SET NULL"), unique=True)
    revision: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    proposed_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)


class InboundCursor(Base):
    """Where polling a channel's mentions got to, so a restart neither misses nor repeats."""

    __tablename__ = "inbound_cursors"

    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"), primary_key=True)
    since_id: Mapped[str | None] = mapped_column(String(500))
    polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
