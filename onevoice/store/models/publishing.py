"""Drafts, their reviews, uploaded media and the publishing outbox (1. and 2.)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow


class Draft(Base):
    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="official")  # official | reply
    text: Mapped[str] = mapped_column(Text)
    attachments: Mapped[list] = mapped_column(JSON, default=list)
    reply_to: Mapped[dict | None] = mapped_column(JSON)  # PostRef of the post answered
    state: Mapped[str] = mapped_column(String(30), index=True, default="draft")
    revision: Mapped[int] = mapped_column(Integer, default=1)
    screening: Mapped[dict | None] = mapped_column(JSON)  # the last Report, for this revision
    screened_revision: Mapped[int | None] = mapped_column(Integer)
    override_reason: Mapped[str | None] = mapped_column(Text)
    override_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    override_revision: Mapped[int | None] = mapped_column(Integer)
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    published_ref: Mapped[dict | None] = mapped_column(JSON)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    incident_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    reviews: Mapped[list["Review"]] = relationship(back_populates="draft", order_by="Review.id",
                                                   cascade="all, delete-orphan", lazy="selectin")


class Review(Base):
    """One committee member's verdict on one revision of a draft. Approvals count only for the
    revision they were given on: an edit makes them history."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    revision: Mapped[int] = mapped_column(Integer)
    verdict: Mapped[str] = mapped_column(String(20))  # approve | request_changes | reject | override
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    draft: Mapped[Draft] = relationship(back_populates="reviews")


class MediaFile(Base):
    __tablename__ = "media_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    mime_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxEntry(Base):
    """One platform call to make (publish or delete), made exactly once.

    The idempotency key is fixed when the entry is written; every retry sends the same key, so
    a platform that honours it turns a repeated call into the same post. `lease_until` marks an
    entry a worker is sending: if that worker dies, the lease runs out and another worker takes it,
    looking first for the post the dead one may have made (`outcome_unknown_since`)."""

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))  # publish | delete
    idempotency_key: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), index=True, default="pending")  # pending|sending|sent|failed|cancelled
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # a pre-approved response the chair fast-tracked in a crisis: crisis mode does not pause it (3.)
    fast_track: Mapped[bool] = mapped_column(Boolean, default=False)
    # When the first attempt whose outcome is still unknown started (None: every attempt so far
    # is known to have made nothing). Set in the claim's transaction, committed before the platform
    # call; the next attempt then asks the platform for the post (find_published) before sending.
    outcome_unknown_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
