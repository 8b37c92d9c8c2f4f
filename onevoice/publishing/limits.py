"""Platform limits: the length (and an empty post) is checked when a draft is saved, all of them
again before a committee member may approve it.

Mastodon counts characters with every link as 23; Bluesky counts graphemes (an emoji with
modifiers is one) up to 300. Every image needs alt text: our own rule, for accessibility.
The figures are data, in the one table `limits.yaml` (read through importlib.resources), which the
connectors read too.
"""
from __future__ import annotations

import dataclasses
import re
from importlib import resources
from typing import Any

import regex

from onevoice import safe_yaml

from .connectors.base import PlatformLimits

TABLE = "limits.yaml"


def load_limits() -> dict[str, PlatformLimits]:
    """The platform limits of limits.yaml, by platform; a field it does not know is an error."""
    text = (resources.files("onevoice.publishing") / TABLE).read_text(encoding="utf-8")
    table = safe_yaml.load(text)
    fields = {f.name for f in dataclasses.fields(PlatformLimits)}
    if not isinstance(table, dict):
        raise ValueError(f"onevoice/publishing/{TABLE}: a mapping of platform to its limits")
    limits = {}
    for platform, values in table.items():
        if not isinstance(values, dict) or not set(values) <= fields:
            raise ValueError(f"onevoice/publishing/{TABLE}: {platform}: limits are some of {sorted(fields)}")
        limits[str(platform)] = PlatformLimits(**values)
    return limits


LIMITS = load_limits()
URL = re.compile(r"https?://\S+")
_GRAPHEME = regex.compile(r"\X")


def text_length(text: str, limits: PlatformLimits) -> int:
    if limits.count_graphemes:
        return len(_GRAPHEME.findall(text))
    if limits.url_length is not None:
        text = URL.sub("x" * limits.url_length, text)
    return len(text)


def unit(limits: PlatformLimits) -> str:
    return "graphemes" if limits.count_graphemes else "characters"


def measure(platform: str, text: str) -> dict[str, Any] | None:
    """How long the text is as the platform counts it, against its limit (the composer's counter
    before its script takes over, and without the script)."""
    limits = LIMITS.get(platform)
    if limits is None:
        return None
    length = text_length(text, limits)
    return {"length": length, "max": limits.max_chars, "unit": unit(limits), "over": max(0, length - limits.max_chars)}


def fit_problems(platform: str, text: str, attachments: list[dict[str, Any]]) -> list[str]:
    """What keeps a draft from being saved at all: an empty post, or more text than the platform
    takes. The rest of `limit_problems` (media, alt text) may be fixed later, before approval."""
    limits = LIMITS.get(platform)
    if limits is None:
        return [f"no limits known for platform {platform!r}"]
    problems = []
    if not text.strip() and not attachments:
        problems.append("the post is empty: write its text (or add an image)")
    length = text_length(text, limits)
    if length > limits.max_chars:
        links = f" (every link counts as {limits.url_length})" if limits.url_length else ""
        problems.append(f"the text is {length} {unit(limits)}{links}: {platform} allows {limits.max_chars}, "
                        f"so shorten it by {length - limits.max_chars}")
    return problems


def limit_problems(platform: str, text: str, attachments: list[dict[str, Any]]) -> list[str]:
    """What keeps this draft from fitting the platform; empty when it fits."""
    limits = LIMITS.get(platform)
    if limits is None:
        return [f"no limits known for platform {platform!r}"]
    problems = []
    if not text.strip() and not attachments:
        problems.append("the post is empty")
    length = text_length(text, limits)
    if length > limits.max_chars:
        problems.append(f"{length} {unit(limits)}: {platform} allows {limits.max_chars}")
    media = [a for a in attachments if a.get("type") in ("image", "video", "gif")]
    if len(media) > limits.max_media:
        problems.append(f"{len(media)} media: {platform} allows {limits.max_media}")
    if limits.alt_required:
        missing = [i + 1 for i, a in enumerate(media) if a.get("type") == "image" and not (a.get("alt") or "").strip()]
        if missing:
            problems.append(f"image {', '.join(map(str, missing))} has no alt text: describe it for people who cannot see it")
    return problems
