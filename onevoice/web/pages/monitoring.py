"""The committee's metrics dashboard, what its figures mean, and the evaluation reports (4.)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from onevoice import jobs
from onevoice.errors import InvalidInput, OnevoiceError
from onevoice.governance.permissions import Action, allowed, require
from onevoice.monitoring import bars, definitions, evaluation, kpis, report as report_service
from onevoice.system import System

from ..deps import Caller, get_system
from .forms import redirect
from .guard import member
from .render import page

router = APIRouter()


@router.get("/metrics")
def dashboard(request: Request, period: str = "", who: Caller = Depends(member), system: System = Depends(get_system)):
    require(who.actor, Action.METRICS_VIEW)
    label = period or kpis.last_complete("month").label
    try:
        p = kpis.parse_period(label)
    except InvalidInput as exc:
        return page(request, "metrics.html", status=422, who=who, error=exc.detail, period=label, e=None)
    with system.db.reader() as s:
        e = evaluation.evaluate(s, p)
        demo = report_service.has_demo_data(s)
    return page(request, "metrics.html", who=who, period=label, period_words=kpis.long_label(p), e=e, demo=demo,
                top=bars.top_posts(e.summary), post_legend=bars.POST_LEGEND, charts=bars.dashboard(e.summary))


@router.get("/metrics/definitions")
def kpi_definitions(request: Request, who: Caller = Depends(member)):
    require(who.actor, Action.METRICS_VIEW)
    return page(request, "metrics_definitions.html", who=who, definitions=definitions.load())


@router.get("/reports")
def reports(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    require(who.actor, Action.METRICS_VIEW)
    return _reports_page(request, who, system, flash=request.query_params.get("flash"))


@router.post("/reports")
def make_report(request: Request, period: str = Form("", max_length=20), email: bool = Form(False),
                who: Caller = Depends(member), system: System = Depends(get_system)):
    try:
        p = kpis.parse_period(period.strip())
        jobs.make_report(system, who.actor, p, email=email, trigger="web")
    except OnevoiceError as exc:
        return _reports_page(request, who, system, status=exc.status, error=exc.detail, period=period)
    return redirect("/reports", f"Report {p.label} is being made.")


def _reports_page(request, who, system, status=200, **context):
    with system.db.reader() as s:
        rows = report_service.listing(s)
    context.setdefault("period", kpis.last_complete("month").label)
    return page(request, "reports.html", status=status, who=who, reports=rows, making=any(r.in_progress for r in rows),
                can_make=allowed(who.actor, Action.REPORT_RUN), **context)
