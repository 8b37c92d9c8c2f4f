from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from onevoice.urls import http_url

from . import alerts, dates

templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "templates"))


def highlight(text: str, findings: list[dict]) -> Markup:
    """The draft with each finding's span marked; overlapping spans are merged into the first."""
    spans = sorted((f for f in findings if f.get("end", 0) > f.get("start", 0)), key=lambda f: (f["start"], -f["end"]))
    out, pos = [], 0
    for n, f in enumerate(spans, 1):
        if f["start"] < pos:
            continue
        out.append(escape(text[pos:f["start"]]))
        label = f"{f['clause']} {f.get('clause_title', '')}: {f.get('explanation', '')}"
        out.append(Markup('<mark class="sev-{sev}" title="{label}" aria-describedby="finding-{n}">{t}</mark>').format(
            sev=f["severity"], label=label, n=n, t=text[f["start"]:f["end"]]))
        pos = f["end"]
    out.append(escape(text[pos:]))
    return Markup("").join(out)


templates.env.filters["highlight"] = highlight
# Platform and stored addresses become links only when http(s): older rows were stored unchecked.
templates.env.filters["http_url"] = http_url
dates.install(templates.env)


def page(request: Request, name: str, status: int = 200, **context):
    who = context.get("who")
    if who is not None and "alerts" not in context:
        context["alerts"] = alerts.for_viewer(request.app.state.system, who)
    return templates.TemplateResponse(request, name, context, status_code=status)
