"""Small text helpers the detectors share: sentences, clauses, and compiled word lists."""
from __future__ import annotations

import re

_SENT_END = re.compile(r"(?<=[.!?…])\s+|\n+")


def sentence_bounds(t: str, pos: int) -> tuple[int, int]:
    """The sentence around `pos` as (start, end) offsets."""
    start = 0
    for m in _SENT_END.finditer(t, 0, pos):
        start = m.end()
    m = _SENT_END.search(t, pos)
    return start, (m.start() if m else len(t))


def sentence_of(t: str, pos: int) -> str:
    s, e = sentence_bounds(t, pos)
    return t[s:e]


def near_before(t: str, pos: int, width: int = 60) -> str:
    return t[max(0, pos - width):pos]


def words_regex(words: list[str] | tuple[str, ...], flags: int = re.I) -> re.Pattern:
    """One alternation of whole words or phrases (longest first), matched on word boundaries."""
    alts = "|".join(sorted((w.strip() for w in words if w.strip()), key=len, reverse=True))
    return re.compile(rf"(?<![\w]){'(?:' + alts + ')'}(?![\w])", flags)


def clause_span(t: str, pos: int, end: int, limit: int = 90) -> tuple[int, int]:
    """Grow [pos, end) to the surrounding clause (between commas, dashes, colons or sentence ends)."""
    s, e = sentence_bounds(t, pos)
    left = max(t.rfind(c, s, pos) for c in (",", "—", ":", ";", "(", " – "))
    if left >= s and pos - left < limit:
        start = left + 1
    elif pos - s <= limit:
        start = s
    else:  # a long sentence: start at a word boundary shortly before the match
        space = t.find(" ", pos - limit // 2, pos)
        start = space + 1 if space >= 0 else pos
    rights = [i for i in (t.find(c, end, e) for c in (",", "—", ";", ")", " – ")) if i >= 0]
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
