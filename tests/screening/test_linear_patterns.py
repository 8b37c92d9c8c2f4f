"""The patterns rewritten to run in linear time (issue 15, item 2) find what the slow ones found.

Each rewrite is compared, on generated texts short enough for the old form to be quick, with the
old form: the old regex, or for a rewritten helper its old implementation, kept here as the
reference. The time side is in tests/security/test_screening_limits.py.
"""
from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings, strategies as st

from onevoice.learned import text as learned_text
from onevoice.screening import confidential, employer, normalize, patient, voice
from onevoice.screening.text_patterns import clause_span, sentence_bounds

CHECK = settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))


def texts(*pieces: str, size: int = 30):
    return st.lists(st.sampled_from(pieces), max_size=size).map("".join)


def spans(pattern: re.Pattern, t: str) -> list:
    return [(m.span(), m.groupdict()) for m in pattern.finditer(t)]


# --- sentences and clauses -------------------------------------------------------------------

_SENT_END = re.compile(r"(?<=[.!?…])\s+|\n+")


def old_sentence_bounds(t: str, pos: int) -> tuple[int, int]:
    start = 0
    for m in _SENT_END.finditer(t, 0, pos):
        start = m.end()
    m = _SENT_END.search(t, pos)
    return start, (m.start() if m else len(t))


def old_clause_span(t: str, pos: int, end: int, limit: int = 90) -> tuple[int, int]:
    s, e = old_sentence_bounds(t, pos)
    left = max(t.rfind(c, s, pos) for c in (",", "—", ":", ";", "(", " – "))
    if left >= s and pos - left < limit:
        start = left + 1
    elif pos - s <= limit:
        start = s
    else:
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


PROSE = texts("a", "word", " ", "  ", ".", "!", "?", "…", "\n", "\n\n", " \n ", ",", ";", ":", "(", ")", "—", " – ",
              "\t", "x" * 12, size=40)


@CHECK
@given(PROSE, st.integers(2, 30))
def test_sentence_and_clause_bounds_are_the_old_ones(t, limit):
    for pos in range(len(t) + 2):
        assert sentence_bounds(t, pos) == old_sentence_bounds(t, pos), pos
    for pos in range(len(t)):
        for end in (pos, min(len(t), pos + 3)):
            assert clause_span(t, pos, end, limit) == old_clause_span(t, pos, end, limit), (pos, end)


_OLD_BOUNDARY = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+|\n+|\s+(?=\d{1,2}/\d{1,2}\b)")


@CHECK
@given(texts("Hello there", "1/4", " 2/3", "12/31", " ", "   ", "\n", " \n ", ".", "!", "\"", ")", "\r\n", "\t", "ok",
             "a long enough sentence", size=25))
def test_the_learned_sentences_are_the_old_ones(t):
    new = learned_text.sentences(t)
    boundary, learned_text._BOUNDARY = learned_text._BOUNDARY, _OLD_BOUNDARY
    try:
        old = learned_text.sentences(t)
    finally:
        learned_text._BOUNDARY = boundary
    assert new == old


# --- normalization --------------------------------------------------------------------------

_OLD_AT_DOT = re.compile(
    r"(?P<local>[\w.+-]+)\s*(?:\[at\]|\(at\)|\{at\}|\s+at\s+)\s*(?P<domain>[\w-]+(?:\s*(?:\[dot\]|\(dot\)|\{dot\}|"
    r"\s+dot\s+|\.)\s*[\w-]+)+)", re.IGNORECASE)
_OLD_DOT = re.compile(r"\s*(?:\[dot\]|\(dot\)|\{dot\}|\s+dot\s+)\s*", re.IGNORECASE)
MAIL = texts("info", "a", "b1", ".", "-", "+", " ", "  ", "[at]", "(AT)", " at ", "at", "[dot]", "{dot}", " dot ", "dot",
             " . ", "org", "\n", ",", size=25)


@CHECK
@given(MAIL)
def test_spelled_out_addresses_are_read_as_before(t):
    assert spans(normalize._AT_DOT, t) == spans(_OLD_AT_DOT, t)
    for m in normalize._AT_DOT.finditer(t):  # the spelled dots are looked for in the domain
        domain = m.group("domain")
        assert spans(normalize._DOT, domain) == spans(_OLD_DOT, domain)
        assert normalize._DOT.split(domain) == _OLD_DOT.split(domain)


_OLD_LEET_TOKEN = re.compile(r"[^\s]*[0-9@$!|€+][^\s]*")


@CHECK
@given(texts("sh1t", "a", "b", "@", "$", "!", "|", "€", "+", "7", " ", "\n", ".", "x", size=25))
def test_leetspeak_tokens_are_the_old_ones(t):
    new = [m.span() for m in normalize._TOKEN.finditer(t) if normalize._LEET_CHARS.search(m.group())]
    assert new == [m.span() for m in _OLD_LEET_TOKEN.finditer(t)]


# --- recognizers ------------------------------------------------------------------------------

def without_possessives(pattern: re.Pattern, **bounds: str) -> re.Pattern:
    """The pattern as it was before its whitespace was taken whole ("*+" -> "*")."""
    source = pattern.pattern.replace("*+", "*")
    for new, old in bounds.items():
        source = source.replace(new, old)
    return re.compile(source, pattern.flags)


SECRETS = texts("password", "pass", "login", "pin", "wifi", "network", "code", "key", " for ", " the door", " is ",
                " es ", ":", "=", "-", " / ", "/", " ", "   ", "\t", "Pa55word!", "admin", "abcd", "x1", ",", ".",
                "\n", size=20)


@CHECK
@given(SECRETS)
def test_secret_patterns_match_as_before(t):
    for name in ("_SECRET", "_SECRET_FOR", "_WIFI"):
        pattern = getattr(confidential, name)
        assert spans(pattern, t) == spans(without_possessives(pattern), t), name
    old_login = without_possessives(confidential._LOGIN_PAIR, **{"{3,100}": "{3,}"})
    assert spans(confidential._LOGIN_PAIR, t) == spans(old_login, t)


_OLD_BARE_PERSON = re.compile(
    rf"(?:^|[:;•\n]|[—–]\s|\.\s)\s*(?:{patient._words('adjective')}\s+)?{patient._PERSON_WORD}\s+"
    r"(?:with|w/|con|avec|mit|com|who|que|qui|der|die)\b", re.I)


@CHECK
@given(texts("child", "little", "boy", "with", "who", " ", "  ", "\n", "\n\n", ":", ";", "•", ". ", "— ", "x", ",",
             "\t", size=25))
def test_bare_person_notes_are_found_as_before(t):
    old = [(m.start() + len(m.group()) - len(m.group().lstrip(":;•\n—–. \t")), m.end())
           for m in _OLD_BARE_PERSON.finditer(t)]
    assert [(m.start("who"), m.end()) for m in patient._BARE_PERSON.finditer(t)] == old


_OLD_PUBLISHED_LINK = re.compile(r"\b(?:position paper|published|statement|guideline)\b.*\b(?:my own|i think|personally)\b",
                                 re.I)


@CHECK
@given(texts("published", "statement", "my own", "I think", "personally", "recommend", " ", "\n", "x", ".", size=20))
def test_a_published_position_beside_an_own_view_is_read_as_before(t):
    old = bool(_OLD_PUBLISHED_LINK.search(t)) and "recommend" in t.lower()
    assert voice._own_view_beside_published(t) == old


@CHECK
@given(texts("St", "Mary's", "O'", "General", "Hospital", "Trust", "our", "hospital", "A", "b", " ", "\n", ".", "'",
             size=20))
def test_a_named_workplace_is_recognized_as_before(t):
    old = re.compile(employer._WORKPLACE.replace("{1,40}", "+"), re.I)
    assert bool(employer._WORKPLACE_RE.search(t)) == bool(old.search(t))
