"""Platform limits, checked before a committee member may approve a draft.

Mastodon counts characters with every link as 23; Bluesky counts graphemes (an emoji with
modifiers is one) up to 300. Every image needs alt text: our own rule, for accessibility.
"""
from __future__ import annotations

import re

import regex

from .connectors.base import PlatformLimits

LIMITS = {
    "mastodon": PlatformLimits(max_chars=500, url_length=23, max_media=4),
    "bluesky": PlatformLimits(max_chars=300, count_graphemes=True, max_media=4),
}
URL = re.compile(r"https?://\S+")
_GRAPHEME = regex.compile(r"\X")


def text_length(text: str, limits: PlatformLimits) -> int:
    if limits.count_graphemes:
        return len(_GRAPHEME.findall(text))
    if limits.url_length is not None:
        text = URL.sub("x" * limits.url_length, text)
    return len(text)


def limit_problems(platform: str, text: str, attachments: list[dict]) -> list[str]:
    """What keeps this draft from fitting the platform; empty when it fits."""
    limits = LIMITS.get(platform)
    if limits is None:
        return [f"no limits known for platform {platform!r}"]
    problems = []
    if not text.strip() and not attachments:
        problems.append("the post is empty")
    length = text_length(text, limits)
    if length > limits.max_chars:
        unit = "graphemes" if limits.count_graphemes else "characters"
        problems.append(f"{length} {unit}: {platform} allows {limits.max_chars}")
    media = [a for a in attachments if a.get("type") in ("image", "video", "gif")]
    if len(media) > limits.max_media:
        problems.append(f"{len(media)} media: {platform} allows {limits.max_media}")
    if limits.alt_required:
        missing = [i + 1 for i, a in enumerate(media) if a.get("type") == "image" and not (a.get("alt") or "").strip()]
        if missing:
            problems.append(f"image {', '.join(map(str, missing))} has no alt text: describe it for people who cannot see it")
    return problems
