"""The committee's metrics dashboard and the evaluation reports (4.)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from markupsafe import Markup
from sqlalchemy import select

from onevoice.errors import InvalidInput
from onevoice.governance.permissions import Action, require
from onevoice.monitoring import charts, kpis
from onevoice.store.models import EvaluationReport
from onevoice.system import System

from ..deps import Caller, get_system
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
    with system.db.reader() as s:
        rows = list(s.scalars(select(EvaluationReport).order_by(EvaluationReport.period.desc())))
    return page(request, "reports.html", who=who, reports=rows)
