"""Normalization against evasion, keeping a map back to the original text.

A detector never sees only the raw draft: people write "f*ck", "sh1t", "five five five 0143",
"photos [at] ipala [dot] org" or hide a zero-width space inside a word. Each view below undoes
one family of tricks, and every character of a view remembers the span of the original text it
came from, so a finding found in a view is reported at the author's own characters.

Views:
- ``base``: NFKC, zero-width and soft-hyphen characters removed, confusable letters folded to
  Latin. Case is kept (names and addresses need it).
- ``words``: ``base`` lower-cased, with leetspeak inside words undone and letters split by dots,
  spaces or dashes joined ("f.u.c.k", "s h i t"). For lexicon matching.
- ``digits``: ``base`` with spelled and spaced digits joined ("five five five" -> "555") and
  "at"/"dot" e-mail spellings rewritten ("info [at] ipala [dot] org" -> "info@ipala.org").
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property

ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u2061\u2062\u2063\u2064")

# Letters that look like Latin ones; NFKC does not fold across scripts.
CONFUSABLES = {
    # Cyrillic
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j",
    "ѕ": "s", "ԁ": "d", "һ": "h", "ӏ": "l", "к": "k", "м": "m", "т": "t", "в": "b", "н": "h",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "У": "Y", "Х": "X", "І": "I", "Ј": "J", "Ѕ": "S",
    # Greek
    "α": "a", "ο": "o", "ρ": "p", "ν": "v", "τ": "t", "ι": "i", "κ": "k", "υ": "u", "ε": "e",
    "Α": "A", "Β": "B", "Ε": "E", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "Ζ": "Z",
}

LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g",
        "@": "a", "$": "s", "!": "i", "|": "l", "€": "e", "+": "t"}

SPELLED_DIGITS = {
    "zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
    # the languages of the members' posts
    "cero": "0", "uno": "1", "dos": "2", "tres": "3", "cuatro": "4", "cinco": "5", "seis": "6",
    "siete": "7", "ocho": "8", "nueve": "9",
    "null": "0", "eins": "1", "zwei": "2", "drei": "3", "vier": "4", "fünf": "5", "sechs": "6",
    "sieben": "7", "acht": "8", "neun": "9",
    "zéro": "0", "un": "1", "deux": "2", "trois": "3", "quatre": "4", "cinq": "5", "sept": "7",
    "huit": "8", "neuf": "9",
}
# Words that are digits only among other digits ("o" and "un" are ordinary words otherwise).
WEAK_DIGIT_WORDS = frozenset({"o", "oh", "un", "null", "uno", "dos", "sept", "six", "one"})


@dataclass(slots=True)
class View:
    """A normalized text and, per character, the original span it stands for."""

    text: str
    starts: list[int] | None  # None: identity map (nothing changed)
    ends: list[int] | None

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        starts, ends = self.starts, self.ends
        if starts is None or ends is None:  # both or neither
            return start, end
        if end <= start:
            pos = starts[start] if start < len(starts) else (ends[-1] if ends else 0)
            return pos, pos
        return starts[start], ends[end - 1]


class _Builder:
    __slots__ = ("chars", "starts", "ends")

    def __init__(self) -> None:
        self.chars: list[str] = []
        self.starts: list[int] = []
        self.ends: list[int] = []

    def emit(self, out: str, start: int, end: int) -> None:
        for ch in out:
            self.chars.append(ch)
            self.starts.append(start)
            self.ends.append(end)

    def copy(self, text: str, start: int, end: int) -> None:
        """Characters start..end of `text`, unchanged."""
        if end > start:
            self.chars.append(text[start:end])
            self.starts.extend(range(start, end))
            self.ends.extend(range(start + 1, end + 1))

    def view(self) -> View:
        return View("".join(self.chars), self.starts, self.ends)


def _compose(outer: View, inner: View) -> View:
    """`outer` was built over `inner.text`; return it mapped to the original."""
    if inner.starts is None or inner.ends is None:  # both or neither
        return outer
    if outer.starts is None or outer.ends is None:  # same characters, one for one: the inner map holds
        return View(outer.text, inner.starts, inner.ends)
    inner_starts, inner_ends = inner.starts, inner.ends
    starts = [inner_starts[s] for s in outer.starts]
    ends = [inner_ends[e - 1] if e > 0 else 0 for e in outer.ends]
    return View(outer.text, starts, ends)


_SPECIAL = re.compile(r"[^\x00-\x7f]")


def _base(original: str) -> View:
    # Most characters are unchanged: find the few that change and copy the runs between them.
    changes = []
    for m in _SPECIAL.finditer(original):
        ch = m.group()
        if ch in ZERO_WIDTH:
            changes.append((m.start(), ""))
        elif ch in CONFUSABLES:
            changes.append((m.start(), CONFUSABLES[ch]))
        else:
            folded = unicodedata.normalize("NFKC", ch)
            if folded != ch:
                changes.append((m.start(), folded))
    if not changes:
        return View(original, None, None)
    b = _Builder()
    pos = 0
    for i, out in changes:
        b.copy(original, pos, i)
        b.emit(out, i, i + 1)
        pos = i + 1
    b.copy(original, pos, len(original))
    return b.view()


# Whole tokens, then a look for a leet character inside: one pattern that demanded the character
# would rescan a long token from each of its positions (quadratic on "xxxx…").
_TOKEN = re.compile(r"\S+")
_LEET_CHARS = re.compile(r"[0134578 9@$!|€+]".replace(" ", ""))
_SPLIT_LETTERS = re.compile(r"(?<![\w])(?:[a-z][.\-_ *]){2,}[a-z](?![\w])")


def _words(base: View) -> View:
    lower = base.text.lower()
    if len(lower) != len(base.text):  # a few letters lower-case to two characters: map them one by one
        b = _Builder()
        for i, ch in enumerate(base.text):
            b.emit(ch.lower(), i, i + 1)
        view, lower = b.view(), b.view().text
    else:
        view = View(lower, None, None)
    chars = None
    # leetspeak is undone one character for one, so offsets do not move
    for m in _TOKEN.finditer(lower):
        token = m.group()
        if not _LEET_CHARS.search(token):
            continue
        stripped = token.strip(".,;:!?\"'()[]{}")
        if not stripped or not any(c.isalpha() for c in stripped) or stripped.isdigit() \
                or re.fullmatch(r"[@#]\w+", stripped) or "://" in stripped or "@" in stripped[1:-1]:
            continue
        lead = m.start() + token.find(stripped)
        for k in _LEET_CHARS.finditer(stripped):
            if chars is None:
                chars = list(lower)
            chars[lead + k.start()] = LEET[k.group()]
    if chars is not None:
        view = View("".join(chars), view.starts, view.ends)
    # "f.u.c.k" / "s h i t": join letters split one by one
    if _SPLIT_LETTERS.search(view.text):
        j = _Builder()
        pos = 0
        t = view.text
        for m in _SPLIT_LETTERS.finditer(t):
            j.copy(t, pos, m.start())
            for i in range(m.start(), m.end()):
                if t[i].isalpha():
                    j.emit(t[i], i, i + 1)
            pos = m.end()
        j.copy(t, pos, len(t))
        view = _compose(j.view(), view)
    return view


_DIGIT_WORD = "|".join(sorted(map(re.escape, SPELLED_DIGITS), key=len, reverse=True))
_SPELLED_RUN = re.compile(
    rf"(?<![\w])(?:(?:{_DIGIT_WORD}|\d+)(?:[\s\-.,/]{{1,3}}|(?=$)|(?=[^\w]))){{3,}}", re.IGNORECASE
)
# Linear on purpose: the local part starts where its run of characters starts (a later start in
# the same run reaches the same "at"), and whitespace around "at"/"dot" has one way to be read
# ("\s*" next to "\s+dot\s+" made a long run of spaces cubic).
_AT = r"(?:\s*(?:\[at\]|\(at\)|\{at\})\s*|\s+at\s+)"
_SPELLED_DOT = r"(?:(?<!\s)\s*(?:\[dot\]|\(dot\)|\{dot\})\s*|(?<!\s)\s+dot\s+)"
_DOMAIN_DOT = r"(?:\s*(?:\[dot\]|\(dot\)|\{dot\}|\.)\s*|\s+dot\s+)"
_AT_DOT = re.compile(
    rf"(?<![\w.+-])(?P<local>[\w.+-]+){_AT}(?P<domain>[\w-]+(?:{_DOMAIN_DOT}[\w-]+)+)",
    re.IGNORECASE,
)
_DIGIT_WORDS = frozenset(SPELLED_DIGITS)
_LETTERS = re.compile(r"[^\W\d_]+")
_SPACED_RUN_HINT = re.compile(r"\d[\s\-.,/]{1,3}\d[\s\-.,/]{1,3}\d")
_AT_GATE = re.compile(r"[\[({]at[\])}]|\bdot\b", re.IGNORECASE)  # "[at]" or "… dot …": worth the full pattern
_DOT = re.compile(_SPELLED_DOT, re.IGNORECASE)  # read in the domain of an _AT_DOT match, where no two touch


def _digits(base: View) -> View:
    text = base.text
    # the full pattern is slow; look first for a spelled digit word or spaced digits
    spelled = (_SPACED_RUN_HINT.search(text) or not _DIGIT_WORDS.isdisjoint(_LETTERS.findall(text.lower()))) \
        and _SPELLED_RUN.search(text)
    at_dot = _AT_GATE.search(text)
    if not (spelled or at_dot):
        return base
    b = _Builder()
    pos = 0
    events: list[tuple[int, int, list[tuple[str, int, int]]]] = []
    for m in (_SPELLED_RUN.finditer(text) if spelled else ()):
        tokens = list(re.finditer(rf"{_DIGIT_WORD}|\d+", m.group(), re.IGNORECASE))
        words = [t for t in tokens if not t.group().isdigit()]
        strong = [t for t in words if t.group().lower() not in WEAK_DIGIT_WORDS]
        if not words or (len(strong) < 2 and len(tokens) - len(words) < 2):
            continue  # "one of two" in prose is not a number
        pieces = [(SPELLED_DIGITS.get(t.group().lower(), t.group()), m.start() + t.start(), m.start() + t.end())
                  for t in tokens]
        end = m.start() + tokens[-1].end()
        events.append((m.start(), end, pieces))
    for m in (_AT_DOT.finditer(text) if at_dot else ()):
        if not (re.search(r"\[at\]|\(at\)|\{at\}", m.group(), re.IGNORECASE) or _DOT.search(m.group("domain"))):
            continue  # "meet at 10.30" or "at ipala.org" prose
        local, domain = m.group("local"), m.group("domain")
        pieces = [(local, m.start("local"), m.end("local"))]
        at_start = m.end("local")
        pieces.append(("@", at_start, m.start("domain")))
        parts = _DOT.split(domain) if _DOT.search(domain) else [domain]
        cursor = m.start("domain")
        for k, part in enumerate(parts):
            idx = text.index(part, cursor)
            if k:
                pieces.append((".", cursor, idx))
            pieces.append((part, idx, idx + len(part)))
            cursor = idx + len(part)
        events.append((m.start(), m.end(), pieces))
    if not events:
        return base
    events.sort()
    for start, end, pieces in events:
        if start < pos:
            continue
        for i in range(pos, start):
            b.emit(text[i], i, i + 1)
        for out, s, e in pieces:
            if len(out) == e - s and out == text[s:e]:
                for k, ch in enumerate(out):
                    b.emit(ch, s + k, s + k + 1)
            else:
                b.emit(out, s, e)
        pos = end
    for i in range(pos, len(text)):
        b.emit(text[i], i, i + 1)
    return _compose(b.view(), base)


class ScreenText:
    """The draft's text with its normalized views, each built once and only when asked for."""

    __slots__ = ("original", "__dict__")

    def __init__(self, original: str) -> None:
        self.original = original

    @cached_property
    def base(self) -> View:
        return _base(self.original)

    @cached_property
    def words(self) -> View:
        return _compose(_words(self.base), self.base)

    @cached_property
    def digits(self) -> View:
        return _digits(self.base)
