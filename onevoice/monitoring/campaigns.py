"""Campaigns and tracked links: the "impact" measure of 4.

A campaign has dates and one goal (link clicks, engagement or number of posts). Its tracked
links are short links /r/<code> (/api/v1/r/<code> too, for older posts): a request is counted and redirected to the target
URL with utm_source/utm_medium/utm_campaign added, so the website's own analytics can follow
the visit too. Only the time of a click is stored (no IP address, no user agent); requests
whose user agent looks like a bot or a link-preview fetcher are kept apart and not counted.
"""
from __future__ import annotations

import re
import secrets
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from onevoice import audit
from onevoice.errors import Conflict, InvalidInput, NotFound
from onevoice.governance.permissions import Action, Actor, require
from onevoice.store import Database
from onevoice.store.models import Campaign, LinkClick, TrackedLink, utcnow

GOALS = ("clicks", "engagement", "posts")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,98}[a-z0-9]$")
CODE = re.compile(r"^[A-Za-z0-9_-]{4,32}$")
BOT = re.compile(r"bot|crawl|spider|preview|facebookexternalhit|slurp|embed|fetch|curl|wget|python-|httpx|"
                 r"mastodon|akkoma|pleroma|misskey|bluesky|cardyb|whatsapp|telegram|discord|skype|headless",
                 re.IGNORECASE)


def campaign_view(c: Campaign, links: list[TrackedLink] = (), base_url: str = "") -> dict:
    return {"id": c.id, "slug": c.slug, "name": c.name, "description": c.description,
            "starts_at": c.starts_at.isoformat(), "ends_at": c.ends_at.isoformat(), "goal_metric": c.goal_metric,
            "goal_target": c.goal_target, "links": [link_view(link, base_url) for link in links]}


def link_view(link: TrackedLink, base_url: str = "") -> dict:
    return {"id": link.id, "code": link.code, "short_url": short_url(link.code, base_url), "target_url": link.target_url,
            "label": link.label}


def short_url(code: str, base_url: str = "") -> str:
    return f"{(base_url or '').rstrip('/')}/r/{code}"


def tagged(url: str, slug: str, source: str = "onevoice") -> str:
    """The target URL with utm_source, utm_medium=social and utm_campaign added (kept if present)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.setdefault("utm_source", source)
    query.setdefault("utm_medium", "social")
    query["utm_campaign"] = slug
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def create_campaign(session: Session, actor: Actor, slug: str, name: str, starts_at: datetime, ends_at: datetime,
                    goal_metric: str, goal_target: int, description: str = "") -> Campaign:
    require(actor, Action.REPORT_RUN)
    slug = (slug or "").strip().lower()
    if not SLUG.match(slug):
        raise InvalidInput("a campaign slug is 3-100 lower-case letters, digits and dashes (it becomes utm_campaign)")
    if not (name or "").strip():
        raise InvalidInput("a campaign needs a name")
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise InvalidInput("campaign dates must carry a time zone")
    if ends_at <= starts_at:
        raise InvalidInput("a campaign must end after it starts")
    if goal_metric not in GOALS:
        raise InvalidInput(f"the goal must be one of {', '.join(GOALS)}")
    if not isinstance(goal_target, int) or not 1 <= goal_target <= 10**9:
        raise InvalidInput("the goal target must be a whole number from 1")
    if session.scalar(select(Campaign.id).where(Campaign.slug == slug)):
        raise Conflict(f"campaign {slug} already exists")
    c = Campaign(slug=slug, name=name.strip()[:200], description=(description or "")[:5000], starts_at=starts_at,
                 ends_at=ends_at, goal_metric=goal_metric, goal_target=goal_target, created_by=actor.label)
    session.add(c)
    session.flush()
    audit.record(session, actor.label, "campaign.create", "campaign", c.id, None,
                 {"slug": slug, "goal": [goal_metric, goal_target], "starts_at": starts_at, "ends_at": ends_at})
    return c


def get_campaign(session: Session, ref: int | str) -> Campaign:
    if isinstance(ref, int) or str(ref).isdigit():
        c = session.get(Campaign, int(ref))
    else:
        c = session.scalar(select(Campaign).where(Campaign.slug == str(ref).strip().lower()))
    if c is None:
        raise NotFound(f"no campaign {ref!r}")
    return c


def add_link(session: Session, actor: Actor, campaign_ref: int | str, target_url: str, label: str = "",
             code: str | None = None) -> TrackedLink:
    require(actor, Action.REPORT_RUN)
    campaign = get_campaign(session, campaign_ref)
    target_url = (target_url or "").strip()
    if not re.match(r"^https?://[^\s/]+", target_url) or len(target_url) > 1800:
        raise InvalidInput("the target must be an http(s) URL")
    code = code or secrets.token_urlsafe(6).replace("-", "x").replace("_", "y")
    if not CODE.match(code):
        raise InvalidInput("a link code is 4-32 letters, digits, - or _")
    if session.scalar(select(TrackedLink.id).where(TrackedLink.code == code)):
        raise Conflict(f"link code {code} is taken")
    link = TrackedLink(code=code, campaign_id=campaign.id, target_url=tagged(target_url, campaign.slug),
                       label=(label or "")[:200])
    session.add(link)
    session.flush()
    audit.record(session, actor.label, "campaign.link", "campaign", campaign.id, None,
                 {"code": code, "target_url": link.target_url})
    return link


def is_bot(user_agent: str | None) -> bool:
    return not user_agent or bool(BOT.search(user_agent))


def record_click(db: Database, code: str, user_agent: str | None, at: datetime | None = None) -> str:
    """Count one request to a tracked link and return where to redirect."""
    if not CODE.match(code or ""):
        raise NotFound("no such link")
    with db.transaction() as s:
        link = s.scalar(select(TrackedLink).where(TrackedLink.code == code))
        if link is None:
            raise NotFound("no such link")
        s.add(LinkClick(link_id=link.id, at=at or utcnow(), bot=is_bot(user_agent)))
        return link.target_url
