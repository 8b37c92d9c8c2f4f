"""4. Monitoring and evaluation: KPIs, metric time series, reports, campaigns and tracked links."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path as PathParam, Query, Request, Response
from fastapi.responses import FileResponse, RedirectResponse
from pydantic import Field
from sqlalchemy import select

from onevoice import jobs
from onevoice.errors import NotFound
from onevoice.governance.permissions import Action, require
from onevoice.monitoring import campaigns as campaign_service
from onevoice.monitoring import evaluation, kpis, report as report_service
from onevoice.store.models import Campaign, ChannelMetricSample, Draft, PostMetricSample, TrackedLink
from onevoice.system import System

from ..deps import Caller, caller, get_system
from .schemas import Id, Strict

router = APIRouter(tags=["monitoring and evaluation"])
PERIOD = Query(..., description="a quarter (2026-Q3), a month (2026-07) or a year (2026)", max_length=20)
MEDIA = {".html": "text/html; charset=utf-8", ".pdf": "application/pdf", ".csv": "text/csv; charset=utf-8"}


@router.get("/metrics/summary", summary="The KPIs of a period, each against the previous period")
def summary(period: str = PERIOD, who: Caller = Depends(caller), system: System = Depends(get_system)) -> dict:
    """What the dashboard shows: the period's KPIs, each headline figure in words with its change
    against the previous period (`figures`), and the report's written summary."""
    require(who.actor, Action.METRICS_VIEW)
    p = kpis.parse_period(period)
    with system.db.reader() as s:
        return evaluation.evaluate(s, p).as_dict()


@router.get("/metrics/posts", summary="Every post published in a period, with its latest counts")
def posts(period: str = PERIOD, who: Caller = Depends(caller), system: System = Depends(get_system)) -> list[dict]:
    require(who.actor, Action.METRICS_VIEW)
    p = kpis.parse_period(period)
    with system.db.reader() as s:
        return kpis.plain(kpis.post_kpis(s, p))


@router.get("/metrics/posts/{draft_id}/samples", summary="A post's counts over time")
def post_samples(draft_id: Id, who: Caller = Depends(caller), system: System = Depends(get_system)) -> list[dict]:
    require(who.actor, Action.METRICS_VIEW)
    with system.db.reader() as s:
        if s.get(Draft, draft_id) is None:
            raise NotFound(f"no draft {draft_id}")
        rows = s.scalars(select(PostMetricSample).where(PostMetricSample.draft_id == draft_id)
                         .order_by(PostMetricSample.slot))
        return [{"slot": r.slot.isoformat(), "likes": r.likes, "reposts": r.reposts, "replies": r.replies,
                 "quotes": r.quotes, "impressions": r.impressions} for r in rows]


@router.get("/metrics/channels/{channel_id}/followers", summary="A channel's followers over time")
def followers(channel_id: Id, since: datetime | None = None, who: Caller = Depends(caller),
              system: System = Depends(get_system)) -> list[dict]:
    require(who.actor, Action.METRICS_VIEW)
    with system.db.reader() as s:
        q = select(ChannelMetricSample).where(ChannelMetricSample.channel_id == channel_id)
        if since is not None and since.tzinfo is not None:
            q = q.where(ChannelMetricSample.slot >= since)
        return [{"slot": r.slot.isoformat(), "followers": r.followers}
                for r in s.scalars(q.order_by(ChannelMetricSample.slot).limit(20000))]


def _report_view(r: report_service.ReportStatus) -> dict:
    return {"period": r.period, "status": r.state, "progress": r.progress, "trigger": r.trigger, "emailed": r.emailed,
            "generated_at": r.at.isoformat() if r.at else None, "error": r.error,
            "url": f"/api/v1/reports/{r.period}", "files": [f"/api/v1/reports/files/{f}" for f in r.files]}


@router.get("/reports", summary="Evaluation reports: made, being made (with progress) or failed")
def list_reports(who: Caller = Depends(caller), system: System = Depends(get_system)) -> list[dict]:
    require(who.actor, Action.METRICS_VIEW)
    with system.db.reader() as s:
        return [_report_view(r) for r in report_service.listing(s)]


class ReportRequest(Strict):
    period: str = Field(max_length=20)
    email: bool = False


@router.post("/reports", status_code=202, summary="Start making (or remaking) the report of a period")
def make_report(body: ReportRequest, response: Response, who: Caller = Depends(caller),
                system: System = Depends(get_system)) -> dict:
    """The report is made in the background, as from the reports page: the answer comes at once
    with status `running`; GET its `url` until the status is `done` (with its files) or `failed`.
    409 while the period's report is already being made."""
    p = kpis.parse_period(body.period)
    jobs.make_report(system, who.actor, p, email=body.email, trigger="api")
    response.headers["Location"] = f"/api/v1/reports/{p.label}"
    with system.db.reader() as s:
        return _report_view(report_service.status(s, p.label))


@router.get("/reports/{period}", summary="One period's report: its status, progress and files")
def report_status(period: Annotated[str, PathParam(max_length=20)], who: Caller = Depends(caller),
                  system: System = Depends(get_system)) -> dict:
    require(who.actor, Action.METRICS_VIEW)
    p = kpis.parse_period(period)
    with system.db.reader() as s:
        return _report_view(report_service.status(s, p.label))


@router.get("/reports/files/{name}", summary="A report file (HTML, PDF or CSV)", response_model=None)
def report_file(name: Annotated[str, PathParam(max_length=100)], who: Caller = Depends(caller), system: System = Depends(get_system)) -> FileResponse:
    require(who.actor, Action.METRICS_VIEW)
    if not report_service.FILE_NAME.match(name):
        raise NotFound(f"no report file {name!r}")
    path = report_service.reports_dir(system.settings) / name
    if not path.is_file():
        raise NotFound(f"no report file {name!r}")
    suffix = path.suffix
    headers = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
               "X-Content-Type-Options": "nosniff"}
    disposition = "inline" if suffix in (".html", ".pdf") else "attachment"
    return FileResponse(path, media_type=MEDIA[suffix], headers=headers, content_disposition_type=disposition,
                        filename=name)


class CampaignIn(Strict):
    slug: str = Field(max_length=100)
    name: str = Field(max_length=200)
    starts_at: datetime
    ends_at: datetime
    goal_metric: str = Field(max_length=20)
    goal_target: int = Field(ge=1, le=10**9)
    description: str = Field("", max_length=5000)


class LinkIn(Strict):
    target_url: str = Field(max_length=1800)
    label: str = Field("", max_length=200)


@router.get("/campaigns", summary="Campaigns and their tracked links")
def list_campaigns(who: Caller = Depends(caller), system: System = Depends(get_system)) -> list[dict]:
    require(who.actor, Action.METRICS_VIEW)
    with system.db.reader() as s:
        out = []
        for c in s.scalars(select(Campaign).order_by(Campaign.starts_at.desc())):
            links = list(s.scalars(select(TrackedLink).where(TrackedLink.campaign_id == c.id).order_by(TrackedLink.id)))
            out.append(campaign_service.campaign_view(c, links, system.settings.base_url))
        return out


@router.post("/campaigns", status_code=201, summary="Add a campaign with a goal")
def add_campaign(body: CampaignIn, who: Caller = Depends(caller), system: System = Depends(get_system)) -> dict:
    with system.db.transaction() as s:
        c = campaign_service.create_campaign(s, who.actor, body.slug, body.name, body.starts_at, body.ends_at,
                                             body.goal_metric, body.goal_target, body.description)
        return campaign_service.campaign_view(c, [], system.settings.base_url)


@router.post("/campaigns/{campaign_id}/links", status_code=201, summary="Make a tracked link for a campaign")
def add_link(campaign_id: Id, body: LinkIn, who: Caller = Depends(caller), system: System = Depends(get_system)) -> dict:
    with system.db.transaction() as s:
        link = campaign_service.add_link(s, who.actor, campaign_id, body.target_url, body.label)
        return campaign_service.link_view(link, system.settings.base_url)


def follow(code: Annotated[str, PathParam(max_length=32)], request: Request,
           system: System = Depends(get_system)) -> RedirectResponse:
    """A tracked link: counts the click and redirects. Served at /r/<code>, the short form posts
    carry; /api/v1/r/<code> stays for the links published before the short form existed."""
    target = campaign_service.record_click(system.db, code, request.headers.get("user-agent"))
    return RedirectResponse(target, status_code=302, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


router.add_api_route("/r/{code}", follow, methods=["GET"], response_class=RedirectResponse, status_code=302,
                     include_in_schema=False)
links = APIRouter(tags=["monitoring and evaluation"])
links.add_api_route("/r/{code}", follow, methods=["GET"], response_class=RedirectResponse, status_code=302,
                    summary="A tracked link: counts the click and redirects")
