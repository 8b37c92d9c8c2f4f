"""Patterns as data: the `pattern` detector, whose rule gives its regex patterns in the pack,
and the core the other recognizers share (matches of compiled patterns on a view of the text,
turned into hits with offsets into the original).

Like Presidio's PatternRecognizer, a pack adds a recognizer with no code:

    - id: 2.g-rota
      detector: pattern
      clause: "2.g"
      severity: review
      applies_to: [personal]
      params:
        patterns: ["rota", "night shifts? list"]   # regex fragments, matched as whole words
        context: ["our ward", "my unit"]           # optional: one of them must be near a match
        context_window: 80                         # optional: how near, in characters (at most 200)
        view: words                                # optional: base (default), words or digits
        explanation: The ward's rota is internal information.
        fix: Leave staffing out of personal posts.

The pattern detector serves the clause its rule names (``RULE_CLAUSE``). Its patterns and context
words are checked like every other regex fragment a pack gives (``text_patterns.pattern_problem``:
bounded length and width, no nested repeats, no back-references).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .model import Draft, Hit, Organization
from .normalize import ScreenText, View
from .registry import RULE_CLAUSE, Detector, detector
from .text_patterns import words_regex

Keep = Callable[[str, "re.Match[str]"], bool]
Grow = Callable[[str, "re.Match[str]"], tuple[int, int]]


def find_spans(t: str, patterns: Iterable[re.Pattern[str] | None], keep: Keep | None = None,
               grow: Grow | None = None) -> Iterator[tuple[int, int]]:
    """(start, end) in `t` of every match of `patterns` (None entries skipped), in pattern order:
    only the matches `keep(t, match)` accepts, grown by `grow(t, match)` (to a clause, say)."""
    for pattern in patterns:
        if pattern is None:
            continue
        for m in pattern.finditer(t):
            if keep is not None and not keep(t, m):
                continue
            yield grow(t, m) if grow is not None else m.span()


def hits(view: View, spans: Iterable[tuple[int, int]], explanation: str, fix: str) -> Iterator[Hit]:
    """A hit per span of the view, with its offsets mapped back to the original text."""
    for a, b in spans:
        s, e = view.to_original(a, b)
        yield Hit(s, e, explanation, fix)


def pattern_hits(view: View, patterns: Iterable[re.Pattern[str] | None], explanation: str, fix: str,
                 keep: Keep | None = None, grow: Grow | None = None) -> Iterator[Hit]:
    """The pattern detector's core: a hit per (kept, grown) match of `patterns` on `view`."""
    return hits(view, find_spans(view.text, patterns, keep, grow), explanation, fix)


# ---- the `pattern` detector ---------------------------------------------------------------------

VIEWS = ("base", "words", "digits")  # the ScreenText views a rule may read (normalize.py)
DEFAULT_CONTEXT_WINDOW = 80
MAX_CONTEXT_WINDOW = 200
PARAMS = ("patterns", "context", "context_window", "view", "explanation", "fix")
DEFAULT_EXPLANATION = "This matches what a rule of the policy rules out."
DEFAULT_FIX = "Remove it, or write the post without it."


def params_problem(params: dict[str, Any]) -> str | None:
    """What is wrong with a pattern rule's parameters (beyond the pack's checks of every rule's
    regex fragments and texts), or None."""
    unknown = sorted(k for k in params if k not in PARAMS)
    if unknown:
        return f"unknown parameters {unknown} (a pattern rule takes {', '.join(PARAMS)})"
    if not params.get("patterns"):
        return "a pattern rule needs params.patterns, a list of regex fragments"
    window = params.get("context_window", DEFAULT_CONTEXT_WINDOW)
    if isinstance(window, bool) or not isinstance(window, int) or not 1 <= window <= MAX_CONTEXT_WINDOW:
        return f"params.context_window must be a whole number from 1 to {MAX_CONTEXT_WINDOW}"
    if params.get("view", "base") not in VIEWS:
        return f"params.view must be one of {', '.join(VIEWS)}"
    for key in ("explanation", "fix"):
        if not isinstance(params.get(key, ""), str):
            return f"params.{key} must be a text"
    return None


def _near(context: re.Pattern[str], window: int) -> Keep:
    """Keep a match with a context word within `window` characters (widened to whole words)."""
    def keep(t: str, m: re.Match[str]) -> bool:
        start, end = max(0, m.start() - window), min(len(t), m.end() + window)
        while start > 0 and (t[start - 1].isalnum() or t[start - 1] == "_"):
            start -= 1
        while end < len(t) and (t[end].isalnum() or t[end] == "_"):
            end += 1
        return context.search(t, start, end) is not None
    return keep


@detector("pattern", clause=RULE_CLAUSE, patterns=("patterns", "context"), check=params_problem)
def pattern(params: dict[str, Any], org: Organization) -> Detector:
    """The rule's own regex patterns, for any clause, optionally only near context words."""
    problem = params_problem(params)
    if problem:
        raise ValueError(problem)
    regex = words_regex(params["patterns"])
    context = words_regex(params["context"]) if params.get("context") else None
    keep = None if context is None else _near(context, int(params.get("context_window", DEFAULT_CONTEXT_WINDOW)))
    view_name = str(params.get("view", "base"))
    explanation = str(params.get("explanation") or DEFAULT_EXPLANATION)
    fix = str(params.get("fix") or DEFAULT_FIX)

    def detect(text: ScreenText, draft: Draft) -> Iterator[Hit]:
        view: View = getattr(text, view_name)
        return pattern_hits(view, (regex,), explanation, fix, keep)
    return detect
