"""RFC 9457 problem details: every API error is `application/problem+json` with a readable
`detail`, whatever raised it (a service, validation, a permission check, the body limit)."""
from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from onevoice.errors import OnevoiceError
from onevoice.governance.permissions import PermissionDenied
from onevoice.policy import PolicyPackError

PROBLEM = "application/problem+json"


def problem(status: int, title: str, detail: str, **extra) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


NOT_THERE = "There is nothing at this address: the link may be old, or the item was removed."
# What a person on a page reads instead of an HTTP title.
PAGE_TITLES = {400: "That did not work", 403: "Not for you, or not now", 404: "Not found",
               409: "That cannot be done now", 413: "Too long", 422: "Please check what you entered",
               429: "Please wait a moment"}


def _for(request: Request, status: int, title: str, detail: str, words: str | None = None, **extra):
    """API callers get problem+json; people on a page get a page in words (`words`, when the
    error has words for people), with the navigation when they are signed in."""
    if request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", ""):
        return problem(status, title, detail, **extra)
    from .deps import page_caller
    from .pages.render import page

    text = words or detail
    return page(request, "error.html", status=status, title=PAGE_TITLES.get(status, title),
                detail=text[:1].upper() + text[1:], who=page_caller(request))


def install(app: FastAPI) -> None:
    @app.exception_handler(OnevoiceError)
    async def _service_error(request: Request, exc: OnevoiceError):
        extra = getattr(exc, "extra", {})  # what a client needs to put it right (a link, an id)
        response = _for(request, exc.status, exc.title, exc.detail, getattr(exc, "words", None),
                        type=getattr(exc, "type", "about:blank"), **extra)
        if getattr(exc, "retry_after", None):  # a rate limit says when to come back
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(PermissionDenied)
    async def _denied(request: Request, exc: PermissionDenied):
        if exc.missing_scope is not None:  # the token, not the member, lacks it
            return _for(request, 403, "Token scope missing", exc.reason, exc.words, type="/problems/token-scope",
                        missing_scope=exc.missing_scope.value)
        return _for(request, 403, "Forbidden", exc.reason, exc.words)

    @app.exception_handler(PolicyPackError)
    async def _pack(request: Request, exc: PolicyPackError):
        return problem(422, "Invalid policy pack", str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        errors = [{"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")}
                  for e in exc.errors()]
        detail = "; ".join(f"{e['where']}: {e['problem']}" for e in errors[:5]) or "the request is not valid"
        if exc.errors() and all(e.get("loc", ("",))[0] == "path" for e in exc.errors()):
            # /drafts/abc: for a person, an address that names no item is simply not there
            return _for(request, 404, "Invalid input", detail, NOT_THERE, errors=errors[:20]) \
                if not request.url.path.startswith("/api/") else problem(422, "Invalid input", detail, errors=errors[:20])
        return problem(422, "Invalid input", detail, errors=errors[:20])

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        titles = {404: "Not found", 405: "Method not allowed", 413: "Request too large", 415: "Unsupported media type"}
        return _for(request, exc.status_code, titles.get(exc.status_code, "Error"), str(exc.detail),
                    NOT_THERE if exc.status_code == 404 else None)
