"""The committee's metrics dashboard and the evaluation reports (4.)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from markupsafe import Markup
from sqlalchemy import select

from onevoice.errors import InvalidInput
from onevoice.governance.permissions import Action, allowed, require
from onevoice.monitoring import charts, kpis, report as report_service
from onevoice.store.models import EvaluationReport
from onevoice.system import System

from ..deps import Caller, get_system
from .forms import attempt, redirect
from .guard import member
from .render import page

router = APIRouter()


@router.get("/metrics")
def dashboard(request: Request, period: str = "", who: Caller = Depends(member), system: System = Depends(get_system)):
    require(who.actor, Action.METRICS_VIEW)
    label = period or kpis.last_complete("month").label
    try:
        p = kpis.parse_period(label)
    except (InvalidInput, ValueError) as exc:
        return page(request, "metrics.html", status=422, who=who, error=str(getattr(exc, "detail", exc)),
                    period=label, headline=None, svgs=[])
    with system.db.reader() as s:
        summary = kpis.summarize(s, p)
    svgs = [Markup(charts.render(name, summary, "svg").decode("utf-8")) for name in charts.CHARTS]
    return page(request, "metrics.html", who=who, period=label, headline=summary.headline(), svgs=svgs)


@router.get("/reports")
def reports(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    require(who.actor, Action.METRICS_VIEW)
    return _reports_page(request, who, system, flash=request.query_params.get("flash"))


@router.post("/reports")
def make_report(request: Request, period: str = Form("", max_length=20), email: bool = Form(False),
                who: Caller = Depends(member), system: System = Depends(get_system)):
    require(who.actor, Action.REPORT_RUN)

    def go():
        p = kpis.parse_period(period.strip())
        return p, report_service.generate(system.db, system.settings, p, trigger="web", actor=who.actor.label,
                                          email=email)

    done, error = attempt(go)
    if error:
        return _reports_page(request, who, system, status=422, error=error, period=period)
    p, (_, sent) = done
    return redirect("/reports", f"Report {p.label} made" + (f", e-mailed to {sent} committee members" if sent else ""))


def _reports_page(request, who, system, status=200, **context):
    with system.db.reader() as s:
        rows = list(s.scalars(select(EvaluationReport).order_by(EvaluationReport.period.desc())))
    context.setdefault("period", kpis.last_complete("month").label)
    return page(request, "reports.html", status=status, who=who, reports=rows,
                can_make=allowed(who.actor, Action.REPORT_RUN), **context)
