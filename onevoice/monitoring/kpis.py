"""The KPIs of 4. Monitoring and evaluation, computed from stored data for one period.

Every definition here is written out in docs/kpis.md, and the headline figures also in
definitions.yaml (what the dashboard and the report say of them); keep the three in step. All times are UTC;
a period is half-open [start, end). Counts of a post are those of its most recent sample taken
no later than `as_of` (collection stops `collect.DEFAULT_DAYS` days after publication, so the
figure settles to a 30-day total).
"""
from __future__ import annotations

import re
import statistics
from bisect import bisect_right
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from onevoice.errors import InvalidInput
from onevoice.store.models import (AuditEvent, Campaign, Channel, ChannelMetricSample, Comment, Draft, Incident,
                                   LinkClick, PostMetricSample, Review, TrackedLink, utcnow)

PUBLISHED = ("published", "retracted")
NEEDS_RESPONSE = ("question", "complaint", "misinformation", "crisis")
MIN_AMPLIFICATION_SAMPLES = 5

# ---------------------------------------------------------------------------- periods

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True)
class Period:
    label: str
    start: datetime  # inclusive, UTC
    end: datetime    # exclusive, UTC
    kind: str        # month | quarter | year

    def contains(self, when: datetime | None) -> bool:
        return when is not None and self.start <= when < self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days


def _utc(y: int, m: int) -> datetime:
    return datetime(y, m, 1, tzinfo=timezone.utc)


def _add_months(y: int, m: int, n: int) -> tuple[int, int]:
    k = y * 12 + (m - 1) + n
    return k // 12, k % 12 + 1


def parse_period(text: str) -> Period:
    """'2026-Q3' (quarter), '2026-07' (month) or '2026' (year), in UTC."""
    raw = (text or "").strip()
    if m := _QUARTER.match(raw):
        y, q = int(m[1]), int(m[2])
        start_m = 3 * (q - 1) + 1
        return _period(f"{y}-Q{q}", y, start_m, 3, "quarter")
    if m := _MONTH.match(raw):
        y, mo = int(m[1]), int(m[2])
        if not 1 <= mo <= 12:
            raise InvalidInput(f"{raw!r}: there is no month {mo:02d}; use a period like 2026-07 or 2026-Q3")
        return _period(f"{y}-{mo:02d}", y, mo, 1, "month")
    if m := _YEAR.match(raw):
        return _period(raw, int(raw), 1, 12, "year")
    raise InvalidInput(f"{raw!r} is not a period; use a quarter like 2026-Q3, a month like 2026-07 or a year like 2026")


def _period(label: str, y: int, m: int, months: int, kind: str) -> Period:
    if not 2000 <= y <= 2999:
        raise InvalidInput(f"{label!r}: the year must be between 2000 and 2999")
    return Period(label, _utc(y, m), _utc(*_add_months(y, m, months)), kind)


def last_complete(kind: str, now: datetime | None = None) -> Period:
    """The most recent month or quarter that has fully ended."""
    now = now or utcnow()
    if kind == "month":
        y, m = _add_months(now.year, now.month, -1)
        return parse_period(f"{y}-{m:02d}")
    if kind == "quarter":
        q = (now.month - 1) // 3  # the current quarter is q+1; the last complete one is q (or Q4 of last year)
        return parse_period(f"{now.year}-Q{q}" if q else f"{now.year - 1}-Q4")
    raise ValueError(kind)


def previous(period: Period) -> Period:
    """The period of the same kind just before: 2026-Q2 for 2026-Q3, 2026-06 for 2026-07, 2025 for 2026."""
    if period.kind == "quarter":
        q = (period.start.month - 1) // 3 + 1
        return parse_period(f"{period.start.year}-Q{q - 1}" if q > 1 else f"{period.start.year - 1}-Q4")
    if period.kind == "month":
        y, m = _add_months(period.start.year, period.start.month, -1)
        return parse_period(f"{y}-{m:02d}")
    if period.kind == "year":
        return parse_period(str(period.start.year - 1))
    raise ValueError(period.kind)


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def long_label(period: Period) -> str:
    """"November 2026", "Q3 2026", "2026": a period in a sentence."""
    if period.kind == "month":
        return f"{MONTHS[period.start.month - 1]} {period.start.year}"
    if period.kind == "quarter":
        return f"{period.label.split('-', 1)[1]} {period.start.year}"
    return period.label


def short_label(period: Period, beside: Period) -> str:
    """How a period is named next to another one: "Q2" or "June" within the same year, else in full."""
    same_year = period.start.year == beside.start.year
    if period.kind == "quarter" and same_year:
        return period.label.split("-", 1)[1]
    if period.kind == "month":
        name = MONTHS[period.start.month - 1]
        return name if same_year else f"{name} {period.start.year}"
    return period.label


# ---------------------------------------------------------------------------- small statistics


@dataclass(frozen=True)
class Stats:
    count: int
    median: float | None
    p90: float | None
    mean: float | None

    @classmethod
    def of(cls, values: list[float]) -> "Stats":
        if not values:
            return cls(0, None, None, None)
        v = sorted(values)
        return cls(len(v), round(statistics.median(v), 2), round(_quantile(v, 0.9), 2), round(statistics.fmean(v), 2))


def _quantile(sorted_values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if len(sorted_values) == 1:
        return sorted_values[0]
    pos = (len(sorted_values) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def _hours(a: datetime, b: datetime) -> float:
    return max(0.0, (b - a).total_seconds() / 3600)


# ---------------------------------------------------------------------------- engagement and reach


@dataclass
class PostKPI:
    draft_id: int
    channel_id: int
    channel: str
    published_at: datetime
    excerpt: str
    url: str | None
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    quotes: int = 0
    engagement: int = 0
    sampled_at: datetime | None = None        # the sample the counts come from; None: never collected
    impressions: int | None = None            # measured by the platform
    followers_at_publication: int | None = None
    engagement_rate: float | None = None      # engagement / followers at publication
    reach: int | None = None
    reach_kind: str = "none"                  # measured | estimate | none
    link_clicks: int = 0


@dataclass
class ChannelKPI:
    channel_id: int
    channel: str
    platform: str
    posts: int = 0
    posts_with_counts: int = 0
    engagement_total: int = 0
    engagement_per_post: Stats = field(default_factory=lambda: Stats.of([]))
    engagement_rate_mean: float | None = None  # mean over posts of engagement / followers
    followers_start: int | None = None
    followers_end: int | None = None
    follower_change: int | None = None
    impressions_total: int = 0                 # posts with measured impressions only
    measured_posts: int = 0
    reach_estimate_total: int = 0              # posts without impressions only (an estimate)
    estimated_posts: int = 0
    amplification: int | None = None           # followers assumed per repost in the estimate


def _latest_samples(session: Session, draft_ids: list[int], as_of: datetime) -> dict[int, PostMetricSample]:
    if not draft_ids:
        return {}
    latest = (select(PostMetricSample.draft_id, func.max(PostMetricSample.slot).label("slot"))
              .where(PostMetricSample.slot <= as_of).group_by(PostMetricSample.draft_id).subquery())
    out: dict[int, PostMetricSample] = {}
    for chunk in _chunks(draft_ids):
        q = (select(PostMetricSample).join(latest, (latest.c.draft_id == PostMetricSample.draft_id)
                                           & (latest.c.slot == PostMetricSample.slot))
             .where(PostMetricSample.draft_id.in_(chunk)))
        out.update({s.draft_id: s for s in session.scalars(q)})
    return out


def _chunks(ids: list[int], size: int = 500):
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


class FollowerSeries:
    """A channel's follower samples, for 'followers at time t'."""

    def __init__(self, session: Session, channel_ids: list[int], as_of: datetime) -> None:
        self.series: dict[int, tuple[list[datetime], list[int]]] = {}
        q = (select(ChannelMetricSample.channel_id, ChannelMetricSample.slot, ChannelMetricSample.followers)
             .where(ChannelMetricSample.channel_id.in_(channel_ids or [-1]), ChannelMetricSample.slot <= as_of)
             .order_by(ChannelMetricSample.channel_id, ChannelMetricSample.slot))
        for cid, slot, followers in session.execute(q):
            times, values = self.series.setdefault(cid, ([], []))
            times.append(slot)
            values.append(followers)

    def at(self, channel_id: int, when: datetime) -> int | None:
        """The latest sample at or before `when`; before the first sample, the first one."""
        times, values = self.series.get(channel_id, ([], []))
        if not times:
            return None
        i = bisect_right(times, when)
        return values[i - 1] if i else values[0]

    def within(self, channel_id: int, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
        times, values = self.series.get(channel_id, ([], []))
        return [(t, v) for t, v in zip(times, values) if start <= t < end]


def _amplification(session: Session, channel_ids: list[int], as_of: datetime) -> dict[int, int | None]:
    """Median follower count of accounts that commented on a channel (the reach-estimate factor)."""
    known: dict[int, list[int]] = {cid: [] for cid in channel_ids}
    q = (select(Comment.channel_id, Comment.author_followers)
         .where(Comment.channel_id.in_(channel_ids or [-1]), Comment.author_followers.is_not(None),
                Comment.received_at <= as_of))
    for cid, followers in session.execute(q):
        known[cid].append(followers)
    return {cid: (int(statistics.median(v)) if len(v) >= MIN_AMPLIFICATION_SAMPLES else None) for cid, v in known.items()}


def _link_codes(text: str) -> list[str]:
    return re.findall(r"/r/([A-Za-z0-9_-]{4,32})", text or "")


def _clicks_by_code(session: Session, start: datetime | None, end: datetime) -> dict[str, int]:
    q = (select(TrackedLink.code, func.count(LinkClick.id)).join(LinkClick, LinkClick.link_id == TrackedLink.id)
         .where(LinkClick.bot.is_(False), LinkClick.at < end).group_by(TrackedLink.code))
    if start is not None:
        q = q.where(LinkClick.at >= start)
    return {code: n for code, n in session.execute(q)}


def post_kpis(session: Session, period: Period, as_of: datetime | None = None,
              channel_ids: list[int] | None = None) -> list[PostKPI]:
    """Every post published in the period (official posts and replies), with its latest counts."""
    as_of = as_of or utcnow()
    q = (select(Draft, Channel.name).join(Channel, Channel.id == Draft.channel_id)
         .where(Draft.state.in_(PUBLISHED), Draft.published_at >= period.start, Draft.published_at < period.end)
         .order_by(Draft.published_at, Draft.id))
    if channel_ids:
        q = q.where(Draft.channel_id.in_(channel_ids))
    rows = list(session.execute(q))
    drafts = [d for d, _ in rows]
    samples = _latest_samples(session, [d.id for d in drafts], as_of)
    cids = sorted({d.channel_id for d in drafts})
    followers = FollowerSeries(session, cids, as_of)
    amp = _amplification(session, cids, as_of)
    clicks = _clicks_by_code(session, None, as_of)
    out = []
    for d, channel_name in rows:
        ref = d.published_ref or {}
        k = PostKPI(d.id, d.channel_id, channel_name, d.published_at, _excerpt(d.text), ref.get("url"))
        s = samples.get(d.id)
        if s is not None:
            k.likes, k.reposts, k.replies, k.quotes = s.likes, s.reposts, s.replies, s.quotes
            k.engagement = s.likes + s.reposts + s.replies + s.quotes
            k.sampled_at, k.impressions = s.slot, s.impressions
        k.followers_at_publication = followers.at(d.channel_id, d.published_at)
        if k.followers_at_publication and s is not None:
            k.engagement_rate = round(k.engagement / k.followers_at_publication, 6)
        if k.impressions is not None:
            k.reach, k.reach_kind = k.impressions, "measured"
        elif k.followers_at_publication is not None:
            k.reach = k.followers_at_publication + k.reposts * (amp.get(d.channel_id) or 0)
            k.reach_kind = "estimate"
        k.link_clicks = sum(clicks.get(code, 0) for code in set(_link_codes(d.text)))
        out.append(k)
    return out


def _excerpt(text: str, n: int = 90) -> str:
    """The text on one line, shortened at a word where it can be, so no word is cut in half."""
    one = " ".join((text or "").split())
    if len(one) <= n:
        return one
    cut = one[: n - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut[n // 2:] else cut).rstrip(" ,.;:") + "…"


def channel_kpis(session: Session, period: Period, posts: list[PostKPI], as_of: datetime | None = None) -> list[ChannelKPI]:
    as_of = as_of or utcnow()
    channels = list(session.scalars(select(Channel).order_by(Channel.id)))
    cids = [c.id for c in channels]
    followers = FollowerSeries(session, cids, min(as_of, period.end))
    amp = _amplification(session, cids, as_of)
    out = []
    for c in channels:
        mine = [p for p in posts if p.channel_id == c.id]
        series = followers.within(c.id, period.start, period.end)
        if not mine and not series:
            continue
        k = ChannelKPI(c.id, c.name, c.platform, posts=len(mine))
        counted = [p for p in mine if p.sampled_at is not None]
        k.posts_with_counts = len(counted)
        k.engagement_total = sum(p.engagement for p in counted)
        k.engagement_per_post = Stats.of([p.engagement for p in counted])
        rates = [p.engagement_rate for p in counted if p.engagement_rate is not None]
        k.engagement_rate_mean = round(statistics.fmean(rates), 6) if rates else None
        if series:
            k.followers_start, k.followers_end = series[0][1], series[-1][1]
            k.follower_change = k.followers_end - k.followers_start
        k.impressions_total = sum(p.impressions for p in mine if p.reach_kind == "measured")
        k.measured_posts = sum(1 for p in mine if p.reach_kind == "measured")
        k.reach_estimate_total = sum(p.reach for p in mine if p.reach_kind == "estimate")
        k.estimated_posts = sum(1 for p in mine if p.reach_kind == "estimate")
        k.amplification = amp.get(c.id)
        out.append(k)
    return out


def engagement_by_week(posts: list[PostKPI], period: Period) -> list[tuple[date, int, int]]:
    """(week starting Monday, posts published, their engagement) for every week of the period."""
    start = period.start.date() - timedelta(days=period.start.weekday())
    weeks: dict[date, list[int]] = {}
    d = start
    while d < period.end.date():
        weeks[d] = [0, 0]
        d += timedelta(days=7)
    for p in posts:
        day = p.published_at.date()
        w = day - timedelta(days=day.weekday())
        weeks.setdefault(w, [0, 0])
        weeks[w][0] += 1
        weeks[w][1] += p.engagement
    return [(w, n, e) for w, (n, e) in sorted(weeks.items())]


# ---------------------------------------------------------------------------- impact


@dataclass
class CampaignKPI:
    campaign_id: int
    slug: str
    name: str
    starts_at: datetime
    ends_at: datetime
    goal_metric: str
    goal_target: int
    links: int = 0
    clicks_in_period: int = 0
    clicks_total: int = 0          # within the campaign's own dates, up to as_of
    bot_requests: int = 0          # not counted as clicks
    posts: int = 0
    engagement: int = 0
    achieved: int = 0              # the goal metric's value
    progress: float | None = None  # achieved / target


def campaign_kpis(session: Session, period: Period, as_of: datetime | None = None) -> list[CampaignKPI]:
    """Campaigns running at any time in the period, with progress towards their goal.

    The same few queries however many campaigns and links there are (the dashboard computes this
    for two periods on every view): the links, their clicks counted in SQL, one list of the posts
    over all the campaigns' dates and those posts' texts."""
    as_of = as_of or utcnow()
    campaigns = list(session.scalars(select(Campaign).where(Campaign.starts_at < period.end,
                                                            Campaign.ends_at > period.start).order_by(Campaign.starts_at)))
    if not campaigns:
        return []
    links: dict[int, list[TrackedLink]] = {c.id: [] for c in campaigns}
    for link in session.scalars(select(TrackedLink).where(TrackedLink.campaign_id.in_(list(links)))
                                .order_by(TrackedLink.id)):
        links[link.campaign_id].append(link)
    counted: dict[int, tuple[int, int, int]] = {}  # campaign -> clicks total, clicks in period, bot requests
    in_campaign = (LinkClick.at >= Campaign.starts_at) & (LinkClick.at < Campaign.ends_at) & (LinkClick.at < as_of)
    human = LinkClick.bot.is_(False)
    q = (select(TrackedLink.campaign_id,
                func.sum(case((human & in_campaign, 1), else_=0)),
                func.sum(case((human & (LinkClick.at >= period.start) & (LinkClick.at < min(period.end, as_of)), 1),
                              else_=0)),
                func.sum(case((LinkClick.bot.is_(True) & in_campaign, 1), else_=0)))
         .join(LinkClick, LinkClick.link_id == TrackedLink.id).join(Campaign, Campaign.id == TrackedLink.campaign_id)
         .where(TrackedLink.campaign_id.in_(list(links))).group_by(TrackedLink.campaign_id))
    for campaign_id, total, in_period, bots in session.execute(q):
        counted[campaign_id] = (int(total or 0), int(in_period or 0), int(bots or 0))
    window = Period("campaigns", min(c.starts_at for c in campaigns), max(c.ends_at for c in campaigns), "campaign")
    posts = post_kpis(session, window, as_of)
    texts = _texts(session, [p.draft_id for p in posts])
    out = []
    for c in campaigns:
        codes = {link.code for link in links[c.id]}
        k = CampaignKPI(c.id, c.slug, c.name, c.starts_at, c.ends_at, c.goal_metric, c.goal_target, links=len(links[c.id]))
        k.clicks_total, k.clicks_in_period, k.bot_requests = counted.get(c.id, (0, 0, 0))
        mine = [p for p in posts if c.starts_at <= p.published_at < c.ends_at
                and _in_campaign(texts.get(p.draft_id, ""), codes, c.slug)]
        k.posts = len(mine)
        k.engagement = sum(p.engagement for p in mine)
        k.achieved = {"clicks": k.clicks_total, "engagement": k.engagement, "posts": k.posts}.get(c.goal_metric, 0)
        k.progress = round(k.achieved / c.goal_target, 4) if c.goal_target else None
        out.append(k)
    return out


def _texts(session: Session, draft_ids: list[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for chunk in _chunks(draft_ids):
        out.update(session.execute(select(Draft.id, Draft.text).where(Draft.id.in_(chunk))).all())
    return out


def _in_campaign(text: str, codes: set[str], slug: str) -> bool:
    return bool(codes & set(_link_codes(text))) or f"utm_campaign={slug}" in text


# ---------------------------------------------------------------------------- responsiveness (3. and 4.)


@dataclass
class CommentResponse:
    comment_id: int
    channel_id: int
    received_at: datetime
    category: str | None
    severity: int
    needs_response: bool
    incident_id: int | None
    responded_at: datetime | None
    response_hours: float | None
    via: str | None  # reply | incident


def comment_responses(session: Session, period: Period, as_of: datetime | None = None) -> list[CommentResponse]:
    """Comments received in the period and the first published response to each: a reply draft
    to that comment, or a response draft of the incident it belongs to."""
    as_of = as_of or utcnow()
    comments = list(session.scalars(select(Comment).where(Comment.received_at >= period.start,
                                                          Comment.received_at < period.end).order_by(Comment.id)))
    replies: dict[tuple[int, str], datetime] = {}
    by_incident: dict[int, datetime] = {}
    q = (select(Draft.channel_id, Draft.reply_to, Draft.incident_id, Draft.published_at)
         .where(Draft.state.in_(PUBLISHED), Draft.published_at.is_not(None), Draft.published_at <= as_of,
                Draft.published_at >= period.start))
    for channel_id, reply_to, incident_id, published_at in session.execute(q):
        if reply_to and reply_to.get("id"):
            key = (channel_id, str(reply_to["id"]))
            replies[key] = min(published_at, replies.get(key, published_at))
        if incident_id:
            by_incident[incident_id] = min(published_at, by_incident.get(incident_id, published_at))
    out = []
    for c in comments:
        candidates = []
        if (c.channel_id, c.platform_id) in replies:
            candidates.append((replies[(c.channel_id, c.platform_id)], "reply"))
        if c.incident_id and c.incident_id in by_incident:
            candidates.append((by_incident[c.incident_id], "incident"))
        candidates = [x for x in candidates if x[0] >= c.received_at - timedelta(minutes=5)]
        at, via = min(candidates) if candidates else (None, None)
        needs = c.category in NEEDS_RESPONSE or c.incident_id is not None
        out.append(CommentResponse(c.id, c.channel_id, c.received_at, c.category, c.severity, needs, c.incident_id,
                                   at, round(_hours(c.received_at, at), 3) if at else None, via))
    return out


@dataclass
class ResponseKPI:
    comments: int
    by_category: dict[str, int]
    needing_response: int
    answered: int                  # of those needing a response
    unanswered: int
    answered_share: float | None
    within_24h_share: float | None  # of those needing a response
    response_hours: Stats           # every comment that got a response


def response_kpi(rows: list[CommentResponse]) -> ResponseKPI:
    cats: dict[str, int] = {}
    for r in rows:
        cats[r.category or "untriaged"] = cats.get(r.category or "untriaged", 0) + 1
    needing = [r for r in rows if r.needs_response]
    answered = [r for r in needing if r.responded_at]
    fast = [r for r in needing if r.response_hours is not None and r.response_hours <= 24]
    return ResponseKPI(len(rows), dict(sorted(cats.items())), len(needing), len(answered), len(needing) - len(answered),
                       round(len(answered) / len(needing), 4) if needing else None,
                       round(len(fast) / len(needing), 4) if needing else None,
                       Stats.of([r.response_hours for r in rows if r.response_hours is not None]))


@dataclass
class IncidentKPI:
    opened: int
    by_type: dict[str, int]
    by_severity: dict[str, int]
    still_open: int
    acknowledged: int
    resolved: int
    missed_ack_deadline: int
    ack_hours: Stats
    resolve_hours: Stats
    rows: list[dict] = field(default_factory=list)


def incident_kpi(session: Session, period: Period, as_of: datetime | None = None) -> IncidentKPI:
    """Incidents opened in the period: time to acknowledge and to resolve, missed deadlines."""
    as_of = as_of or utcnow()
    incidents = list(session.scalars(select(Incident).where(Incident.opened_at >= period.start,
                                                            Incident.opened_at < period.end).order_by(Incident.id)))
    by_type: dict[str, int] = {}
    by_sev: dict[str, int] = {}
    ack, res, rows = [], [], []
    missed = 0
    for i in incidents:
        by_type[i.type] = by_type.get(i.type, 0) + 1
        by_sev[str(i.severity)] = by_sev.get(str(i.severity), 0) + 1
        acked = i.acknowledged_at if i.acknowledged_at and i.acknowledged_at <= as_of else None
        resolved = i.resolved_at if i.resolved_at and i.resolved_at <= as_of else None
        if acked:
            ack.append(_hours(i.opened_at, acked))
        if resolved:
            res.append(_hours(i.opened_at, resolved))
        late = bool(i.ack_deadline and (acked or as_of) > i.ack_deadline)
        missed += late
        rows.append({"incident_id": i.id, "type": i.type, "severity": i.severity, "state": i.state,
                     "opened_at": i.opened_at, "acknowledged_at": acked, "resolved_at": resolved,
                     "ack_hours": round(_hours(i.opened_at, acked), 3) if acked else None,
                     "resolve_hours": round(_hours(i.opened_at, resolved), 3) if resolved else None,
                     "missed_ack_deadline": late})
    return IncidentKPI(len(incidents), dict(sorted(by_type.items())), dict(sorted(by_sev.items())),
                       sum(1 for r in rows if r["resolved_at"] is None), len(ack), len(res), missed,
                       Stats.of(ack), Stats.of(res), rows)


# ---------------------------------------------------------------------------- compliance (2.)


@dataclass
class ComplianceKPI:
    drafts_screened: int
    decisions: dict[str, int]                   # pass | warn | block ... per draft (latest screening)
    findings_by_clause: dict[str, dict[str, int]]  # clause -> severity -> findings
    drafts_by_clause: dict[str, int]            # clause -> drafts with at least one finding
    clause_titles: dict[str, str]
    approvals: int
    approval_hours: Stats                       # submit -> approve, from the audit log
    overrides: int                              # chair overrides of block findings
    changes_requested: int
    rejected: int
    findings: list[dict] = field(default_factory=list)
    approval_rows: list[dict] = field(default_factory=list)


def compliance_kpi(session: Session, period: Period, as_of: datetime | None = None) -> ComplianceKPI:
    """Screening findings per clause on drafts written in the period (each draft's latest
    screening), approval turnaround from the audit log, and review outcomes in the period."""
    as_of = as_of or utcnow()
    end = min(period.end, as_of)
    drafts = list(session.scalars(select(Draft).where(Draft.created_at >= period.start, Draft.created_at < end,
                                                      Draft.screening.is_not(None)).order_by(Draft.id)))
    decisions: dict[str, int] = {}
    by_clause: dict[str, dict[str, int]] = {}
    drafts_by_clause: dict[str, int] = {}
    titles: dict[str, str] = {}
    findings = []
    screened = 0
    for d in drafts:
        report = d.screening or {}
        if not report.get("decision"):
            continue
        screened += 1
        decisions[report["decision"]] = decisions.get(report["decision"], 0) + 1
        seen = set()
        for f in report.get("findings", []):
            clause, sev = f.get("clause", "?"), f.get("severity", "?")
            by_clause.setdefault(clause, {})
            by_clause[clause][sev] = by_clause[clause].get(sev, 0) + 1
            titles.setdefault(clause, f.get("clause_title", ""))
            seen.add(clause)
            findings.append({"draft_id": d.id, "channel_id": d.channel_id, "created_at": d.created_at,
                             "clause": clause, "severity": sev, "rule": f.get("rule", "")})
        for clause in seen:
            drafts_by_clause[clause] = drafts_by_clause.get(clause, 0) + 1
    verdicts = dict(session.execute(select(Review.verdict, func.count(Review.id))
                                    .where(Review.created_at >= period.start, Review.created_at < end)
                                    .group_by(Review.verdict)).all())
    approval_rows = _approval_turnaround(session, period.start, end)
    return ComplianceKPI(screened, dict(sorted(decisions.items())),
                         {k: dict(sorted(v.items())) for k, v in sorted(by_clause.items())},
                         dict(sorted(drafts_by_clause.items())), titles, len(approval_rows),
                         Stats.of([r["hours"] for r in approval_rows]), verdicts.get("override", 0),
                         verdicts.get("request_changes", 0), verdicts.get("reject", 0), findings, approval_rows)


def _approval_turnaround(session: Session, start: datetime, end: datetime) -> list[dict]:
    """For each 'draft.approve' event in [start, end): hours since the latest 'draft.submit'
    of the same draft before it (an edit after approval means a new submit and a new approval)."""
    approves = list(session.execute(select(AuditEvent.object_id, AuditEvent.at, AuditEvent.seq)
                                    .where(AuditEvent.action == "draft.approve", AuditEvent.at >= start,
                                           AuditEvent.at < end).order_by(AuditEvent.seq)))
    if not approves:
        return []
    ids = sorted({a.object_id for a in approves})
    submits: dict[str, list[tuple[int, datetime]]] = {}
    for chunk in [ids[i:i + 500] for i in range(0, len(ids), 500)]:
        for oid, at, seq in session.execute(select(AuditEvent.object_id, AuditEvent.at, AuditEvent.seq)
                                            .where(AuditEvent.action == "draft.submit",
                                                   AuditEvent.object_type == "draft",
                                                   AuditEvent.object_id.in_(chunk)).order_by(AuditEvent.seq)):
            submits.setdefault(oid, []).append((seq, at))
    rows = []
    for oid, at, seq in approves:
        before = [s for s in submits.get(oid, []) if s[0] < seq]
        if not before:
            continue
        submitted = before[-1][1]
        rows.append({"draft_id": int(oid), "submitted_at": submitted, "approved_at": at,
                     "hours": round(_hours(submitted, at), 4)})
    return rows


# ---------------------------------------------------------------------------- everything for a report


@dataclass
class Summary:
    period: Period
    as_of: datetime
    posts: list[PostKPI]
    channels: list[ChannelKPI]
    weeks: list[tuple[date, int, int]]
    campaigns: list[CampaignKPI]
    responses: list[CommentResponse]
    response: ResponseKPI
    incidents: IncidentKPI
    compliance: ComplianceKPI

    @property
    def is_empty(self) -> bool:
        """Nothing was recorded in the period: no post, comment, incident, screened draft, click or
        follower sample (a period before the installation, or a future one)."""
        return not (self.posts or self.responses or self.incidents.opened or self.compliance.drafts_screened
                    or self.compliance.approvals or any(c.clicks_in_period for c in self.campaigns)
                    or any(c.followers_end is not None for c in self.channels))

    @property
    def engagement_total(self) -> int:
        return sum(p.engagement for p in self.posts)

    def top_posts(self, n: int = 10) -> list[PostKPI]:
        return sorted(self.posts, key=lambda p: (-p.engagement, p.draft_id))[:n]

    def headline(self) -> dict:
        return {"period": self.period.label, "as_of": self.as_of.isoformat(), "posts": len(self.posts),
                "engagement": self.engagement_total,
                "impressions_measured": sum(c.impressions_total for c in self.channels),
                "reach_estimated": sum(c.reach_estimate_total for c in self.channels),
                "comments": self.response.comments, "answered_share": self.response.answered_share,
                "median_response_hours": self.response.response_hours.median,
                "incidents": self.incidents.opened, "median_ack_hours": self.incidents.ack_hours.median,
                "median_resolve_hours": self.incidents.resolve_hours.median,
                "drafts_screened": self.compliance.drafts_screened,
                "median_approval_hours": self.compliance.approval_hours.median,
                "overrides": self.compliance.overrides,
                "link_clicks": sum(c.clicks_in_period for c in self.campaigns)}

    def as_dict(self) -> dict:
        return _plain({"period": {"label": self.period.label, "start": self.period.start, "end": self.period.end},
                       "as_of": self.as_of, "headline": self.headline(), "channels": self.channels,
                       "weeks": [{"week": w, "posts": n, "engagement": e} for w, n, e in self.weeks],
                       "top_posts": self.top_posts(), "campaigns": self.campaigns, "responses": self.response,
                       "incidents": {k: v for k, v in asdict(self.incidents).items() if k != "rows"},
                       "compliance": {k: v for k, v in asdict(self.compliance).items()
                                      if k not in ("findings", "approval_rows")}})


def summarize(session: Session, period: Period, as_of: datetime | None = None) -> Summary:
    as_of = as_of or utcnow()
    posts = post_kpis(session, period, as_of)
    responses = comment_responses(session, period, as_of)
    return Summary(period, as_of, posts, channel_kpis(session, period, posts, as_of), engagement_by_week(posts, period),
                   campaign_kpis(session, period, as_of), responses, response_kpi(responses),
                   incident_kpi(session, period, as_of), compliance_kpi(session, period, as_of))


def _plain(value):
    """Dataclasses, datetimes and dates -> JSON-ready values."""
    if hasattr(value, "__dataclass_fields__"):
        return _plain(asdict(value))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


plain = _plain
