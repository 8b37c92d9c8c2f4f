"""Small text helpers the detectors share: sentences, clauses, and compiled word lists."""
from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

_SENT_END = re.compile(r"(?<=[.!?…])\s+|\n+")


@lru_cache(maxsize=16)
def _sentence_ends(t: str) -> tuple[list[int], list[int]]:
    """Starts and ends of the sentence breaks of `t`, found once per text: detectors ask for the
    sentence of every match, and a scan from the start each time made a long draft quadratic."""
    starts, ends = [], []
    for m in _SENT_END.finditer(t):
        starts.append(m.start())
        ends.append(m.end())
    return starts, ends


def sentence_bounds(t: str, pos: int) -> tuple[int, int]:
    """The sentence around `pos` as (start, end) offsets."""
    starts, ends = _sentence_ends(t)
    i = bisect_left(starts, pos)  # breaks [0, i) begin before pos
    start, end = 0, len(t)
    if i:
        start = min(ends[i - 1], pos)
        if ends[i - 1] > pos:  # pos inside a break: the sentence ends at its next line break
            newline = t.find("\n", pos, ends[i - 1])
            if newline >= 0:
                return start, newline
    if i < len(starts):
        end = starts[i]
    return start, end


def sentence_of(t: str, pos: int) -> str:
    s, e = sentence_bounds(t, pos)
    return t[s:e]


def words_regex(words: list[str] | tuple[str, ...], flags: int = re.I) -> re.Pattern[str]:
    """One alternation of whole words or phrases (longest first), matched on word boundaries."""
    alts = "|".join(sorted((w.strip() for w in words if w.strip()), key=len, reverse=True))
    return re.compile(rf"(?<![\w]){'(?:' + alts + ')'}(?![\w])", flags)


MAX_PATTERN_CHARS = 200   # a word-list entry a policy pack gives as a regex fragment ...
MAX_PATTERN_WIDTH = 100   # ... matches at most this many characters ...
MAX_PATTERN_WAYS = 1024   # ... and can be read in at most this many ways (optional parts, choices, ranges)


def pattern_problem(fragment: str) -> str | None:
    """Why a word-list entry from a policy pack cannot be used as a regex fragment, or None.

    Committee members edit packs, and a fragment such as "(a+)+" or ".*x" would make screening
    time explode (ReDoS). A fragment is accepted when its matches are bounded in length (no *, +
    or {n,}: say {1,20}), a repeated group holds no choice or repeat of its own (the text could be
    split among them in too many ways), and it has no back-references."""
    import re._constants as sre
    import re._parser as sre_parse

    if len(fragment) > MAX_PATTERN_CHARS:
        return f"is longer than {MAX_PATTERN_CHARS} characters"
    try:
        words_regex([fragment])
        parsed = sre_parse.parse(fragment)
    except re.error as exc:
        return f"is not a valid regular expression ({exc.msg})"
    repeats = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)
    ways = 1

    def walk(items: Iterable[tuple[Any, Any]], repeated: bool) -> str | None:
        nonlocal ways
        for op, av in items:
            if op in repeats:
                low, high, body = av
                if repeated or (high > 1 and any(o in repeats or o is sre.BRANCH for o, _ in _flatten(body))):
                    return "nests a repeat or a choice inside a repeat, like (a+)+"
                if high >= sre.MAXREPEAT:
                    return "repeats without a bound (use {m,n} instead of *, + or {m,})"
                ways *= high - low + 1
                problem = walk(body, high > 1)
            elif op is sre.BRANCH:
                ways *= len(av[1])
                problem = next((p for p in (walk(b, repeated) for b in av[1]) if p), None)
            elif op is sre.SUBPATTERN:
                problem = walk(av[3], repeated)
            elif op in (sre.ASSERT, sre.ASSERT_NOT):
                problem = walk(av[1], repeated) or (
                    "looks around without a bound" if av[1].getwidth()[1] > MAX_PATTERN_WIDTH else None)
            elif op is sre.ATOMIC_GROUP:
                problem = walk(av, repeated)
            elif op in (sre.GROUPREF, sre.GROUPREF_EXISTS):
                problem = "refers back to a group"
            else:
                problem = None
            if problem:
                return problem
        return None

    problem = walk(parsed, False)
    if problem:
        return problem
    if parsed.getwidth()[1] > MAX_PATTERN_WIDTH:
        return f"can match more than {MAX_PATTERN_WIDTH} characters"
    if ways > MAX_PATTERN_WAYS:
        return f"has too many optional or alternative parts (more than {MAX_PATTERN_WAYS} ways to read it)"
    return None


def _flatten(items: Iterable[tuple[Any, Any]]) -> Iterator[tuple[Any, Any]]:
    """Every (op, av) inside a parsed regex, groups and choices opened."""
    import re._constants as sre

    for op, av in items:
        yield op, av
        if op is sre.SUBPATTERN:
            yield from _flatten(av[3])
        elif op is sre.BRANCH:
            for branch in av[1]:
                yield from _flatten(branch)
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            yield from _flatten(av[2])
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            yield from _flatten(av[1])
        elif op is sre.ATOMIC_GROUP:
            yield from _flatten(av)


def clause_span(t: str, pos: int, end: int, limit: int = 90) -> tuple[int, int]:
    """Grow [pos, end) to the surrounding clause (between commas, dashes, colons or sentence ends)."""
    s, e = sentence_bounds(t, pos)
    # only the nearest separator within `limit` counts: look no further (long sentences, many matches)
    near = max(s, pos - limit)
    left = max(t.rfind(c, near, pos) for c in (",", "—", ":", ";", "(", " – "))
    if left >= s and pos - left < limit:
        start = left + 1
    elif pos - s <= limit:
        start = s
    else:  # a long sentence: start at a word boundary shortly before the match
        space = t.find(" ", pos - limit // 2, pos)
        start = space + 1 if space >= 0 else pos
    far = min(e, end + limit + 2)  # a " – " starting before end + limit still fits
    rights = [i for i in (t.find(c, end, far) for c in (",", "—", ";", ")", " – ")) if i >= 0]
    stop = min(rights) if rights else e
    stop = min(stop, end + limit)
    while start < pos and t[start] in " \t":
        start += 1
    while stop > end and t[stop - 1] in " \t":
        stop -= 1
    return start, stop


_LEXICON_DIR = __import__("pathlib").Path(__file__).resolve().parent / "lexicons"


def load_lexicon(name: str) -> dict[str, list[str]]:
    """Sections of a lexicon file under screening/lexicons/: `[section]` headers, one entry a line,
    `#` comments. Entries are regex fragments; a space stands for any run of whitespace."""
    sections: dict[str, list[str]] = {}
    current = None
    for raw in (_LEXICON_DIR / name).read_text(encoding="utf-8").splitlines():
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1].strip(), [])
        elif current is not None:
            current.append(line.replace(" ", r"\s+"))
    return sections


def alternation(entries: list[str] | tuple[str, ...]) -> str:
    """A non-capturing alternation of regex fragments, longest first (so phrases win over words)."""
    return "(?:" + "|".join(sorted(set(entries), key=len, reverse=True)) + ")"
