from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates

templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "templates"))


def page(request: Request, name: str, status: int = 200, **context):
    return templates.TemplateResponse(request, name, context, status_code=status)
