from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates

from onevoice.urls import http_url

from . import alerts, dates, preview

templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "templates"))


# the post as it will look, findings marked: the composer, the draft page and the self-check
templates.env.filters["post_preview"] = preview.post_preview
# Platform and stored addresses become links only when http(s): older rows were stored unchecked.
templates.env.filters["http_url"] = http_url
dates.install(templates.env)


def page(request: Request, name: str, status: int = 200, **context):
    who = context.get("who")
    if who is not None and "alerts" not in context:
        context["alerts"] = alerts.for_viewer(request.app.state.system, who)
    return templates.TemplateResponse(request, name, context, status_code=status)
