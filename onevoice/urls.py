"""Addresses that may be stored and shown as links: http and https, nothing else.

A platform's answer, a pushed comment or a member's form can carry any string as a "URL".
`javascript:`, `data:` and `vbscript:` addresses run script when clicked, so every address that
came from outside passes `http_url` before it is stored, and again before it becomes a link
(rows stored before this check existed are not trusted either).
"""
from __future__ import annotations

from urllib.parse import urlsplit

MAX_LENGTH = 2_000
SCHEMES = ("http", "https")


def http_url(value: object) -> str | None:
    """The address if it is an absolute http(s) URL with a host, else None."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    # Browsers drop tabs and newlines inside a URL ("java\tscript:" is "javascript:"); refusing
    # every control character and space means what is checked is what the browser would open.
    if not url or len(url) > MAX_LENGTH or any(c <= " " or c == "\x7f" for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return None
    if parts.scheme.lower() not in SCHEMES or not parts.hostname:
        return None
    return url
