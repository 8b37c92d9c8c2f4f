"""Metrics over time, campaigns with tracked links, and generated evaluation reports (4.)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class PostMetricSample(Base):
    """A published post's counts as read from the platform in one collection slot (an hour).
    One row per post per slot: collecting twice in the same slot updates that row."""

    __tablename__ = "post_metric_samples"
    __table_args__ = (UniqueConstraint("draft_id", "slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"), index=True)
    slot: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    likes: Mapped[int] = mapped_column(Integer, default=0)
    reposts: Mapped[int] = mapped_column(Integer, default=0)
    replies: Mapped[int] = mapped_column(Integer, default=0)
    quotes: Mapped[int] = mapped_column(Integer, default=0)
    impressions: Mapped[int | None] = mapped_column(Integer)  # only where the platform reports it


class ChannelMetricSample(Base):
    """A channel's follower count in one collection slot."""

    __tablename__ = "channel_metric_samples"
    __table_args__ = (UniqueConstraint("channel_id", "slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"), index=True)
    slot: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    followers: Mapped[int] = mapped_column(Integer)


class Campaign(Base):
    """An effort with a goal the committee measures impact against (4. "impact")."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)  # the utm_campaign value
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    goal_metric: Mapped[str] = mapped_column(String(20))  # clicks | engagement | posts
    goal_target: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(320), default="")


class TrackedLink(Base):
    """A short link /r/<code> that counts a click and redirects to the campaign-tagged target."""

    __tablename__ = "tracked_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    target_url: Mapped[str] = mapped_column(String(2000))  # with utm_* parameters added
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LinkClick(Base):
    """One request to a tracked link. No IP address or user agent is kept: only when, and whether
    the user agent looked like a bot or link-preview fetcher (those are not counted as clicks)."""

    __tablename__ = "link_clicks"

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("tracked_links.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    bot: Mapped[bool] = mapped_column(Boolean, default=False)


class EvaluationReport(Base):
    """A generated evaluation report for one period; the scheduled job makes each period once."""

    __tablename__ = "evaluation_reports"
    __table_args__ = (UniqueConstraint("period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(20))  # 2026-Q3 | 2026-07
    status: Mapped[str] = mapped_column(String(20), default="running")  # running (older rows: pending) | done | failed
    files: Mapped[list] = mapped_column(JSON, default=list)
    generated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    trigger: Mapped[str] = mapped_column(String(20), default="cli")  # cli | web | api | schedule
    error: Mapped[str | None] = mapped_column(Text)
    emailed: Mapped[bool] = mapped_column(Boolean, default=False)
    progress: Mapped[int] = mapped_column(Integer, default=0)  # percent done, while running
