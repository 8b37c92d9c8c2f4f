"""A bound on how deeply a request body's JSON nests, checked before anything parses it.

Why: the JSON parser recurses once per level, so `[[[...]]]` 100,000 levels deep ends in a
RecursionError (a server error, or FastAPI's bare 400) instead of an answer. No onevoice body
nests beyond a few levels, so anything deeper than MAX_DEPTH is refused with 422 on every route
at once, whichever way the route reads its body. The check is linear in the body's length.
"""
from __future__ import annotations

import numpy as np
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import problems

MAX_DEPTH = 32
FORMS = (b"application/x-www-form-urlencoded", b"multipart/form-data")  # pages' forms: no JSON in them
WITHOUT_BODY = {"GET", "HEAD", "OPTIONS"}

_STEP = np.zeros(256, dtype=np.int8)  # by byte: how much the depth changes
_STEP[list(b"[{")], _STEP[list(b"]}")] = 1, -1


def nested_deeper_than(body: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether the JSON text's arrays and objects nest more than `limit` levels (brackets inside
    strings do not count). Unclosed brackets count as nesting, as the parser would recurse."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    # Escaped backslashes, then escaped quotes, go first (as the parser reads them, left to
    # right); every quote left opens or closes a string. Whole-buffer operations only: even a
    # regular expression over the strings takes 0.2 s for a megabyte of short ones, time any
    # caller could make the server spend on each request.
    text = np.frombuffer(body.replace(b"\\\\", b"").replace(b'\\"', b""), dtype=np.uint8)
    step = np.take(_STEP, text)
    step[np.bitwise_xor.accumulate(text == ord('"'))] = 0  # inside a string (or on its opening quote)
    return bool(text.size) and int(np.cumsum(step, dtype=np.int32).max()) > limit


class NestingLimit:
    """ASGI middleware: reads the body (the outer BodyLimit bounds its size), checks its nesting,
    and hands the same bytes on to the app."""

    def __init__(self, app: ASGIApp, limit: int = MAX_DEPTH) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in WITHOUT_BODY or _is_form(scope):
            return await self.app(scope, receive, send)
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before sending its body
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if nested_deeper_than(body, self.limit):
            response = problems.problem(422, "Invalid input", f"the JSON body nests deeper than {self.limit} levels")
            return await response(scope, receive, send)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _is_form(scope: Scope) -> bool:
    content_type = dict(scope.get("headers") or []).get(b"content-type", b"")
    return content_type.lower().startswith(FORMS)
