"""The pattern detector (pattern.py): a pack's rule gives the regex patterns in YAML, with no code;
its patterns are checked like every regex fragment of a pack; and its core finds what the
recognizers built on it find."""
from __future__ import annotations

import re

import pytest

from onevoice.policy import PolicyPackError, parse_pack
from onevoice.screening import Draft, Engine, pattern
from onevoice.screening.normalize import ScreenText

from .spans import ORG, spans

EMPLOYER_PACK = """
format: 1
pack: st-elsewhere
version: "1"
rules:
  - id: 2.g-rota
    detector: pattern
    clause: "2.g"
    severity: review
    applies_to: [personal]
    params:
      patterns: ["rota", "night shifts? list"]
      context: ["our ward", "my unit"]
      context_window: 40
      explanation: The ward's rota is internal information.
      fix: Leave staffing out of personal posts.
"""

BASE = """
format: 1
pack: acme
version: "1"
clauses:
  - {id: "2.b", title: Share approved information}
  - {id: "2.g", title: Consistent with employer's policies}
rules:
  - id: acme-pattern
    detector: pattern
    clause: "2.b"
    severity: block
"""


def _pack(params: str) -> str:
    return BASE + "    params:\n" + "".join(f"      {line}\n" for line in params.strip().splitlines())


def test_an_employer_pack_adds_a_pattern_rule_in_yaml():
    pack = parse_pack(EMPLOYER_PACK, source="st-elsewhere.yaml")
    merged = parse_pack(BASE.split("rules:")[0]).with_employer(pack)
    engine = Engine(merged, learned=False)
    text = "Posting the rota for our ward here so nobody misses it."
    report = engine.screen(Draft(text, "personal"))
    f = next(f for f in report.findings if f.rule == "2.g-rota")
    assert (f.text, f.clause, f.severity.value) == ("rota", "2.g", "review")
    assert f.explanation == "The ward's rota is internal information."
    assert f.fix == "Leave staffing out of personal posts."
    assert report.decision.value == "review"
    # the context words must be near; the rule applies to personal posts only
    assert engine.screen(Draft("Posting the rota. " + "x " * 40 + "Love our ward!", "personal")).findings == ()
    assert engine.screen(Draft(text, "official")).findings == ()


@pytest.mark.parametrize("text, expected", [
    ("Here is the night shift list, my unit, sorry", ["night shift list"]),
    ("my unit's night shifts list", ["night shifts list"]),
    ("The rota for my unit", ["rota"]),
    # near misses: a longer word, no context word near, the context word alone
    ("my unit: rotation starts Monday", []),
    ("The rota is out." + " and more" * 10 + " for my unit", []),
    ("my unit is great", []),
])
def test_patterns_match_whole_words_near_their_context(text, expected):
    params = {"patterns": ["rota", "night shifts? list"], "context": ["my unit"], "context_window": 40}
    assert spans(pattern.pattern, text, params) == expected


def test_the_view_undoes_evasion_and_offsets_stay_original():
    params = {"patterns": ["secret plan"], "view": "words"}
    text = "The s3cr3t plan is out"
    assert spans(pattern.pattern, text, params) == ["s3cr3t plan"]
    assert spans(pattern.pattern, text, {"patterns": ["secret plan"]}) == []  # the base view keeps the digits


def test_defaults_explain_and_fix():
    detect = pattern.pattern({"patterns": ["codeword"]}, ORG)
    (hit,) = detect(ScreenText("the codeword"), Draft("the codeword"))
    assert (hit.start, hit.end) == (4, 12)
    assert hit.explanation == pattern.DEFAULT_EXPLANATION and hit.fix == pattern.DEFAULT_FIX


def test_a_pattern_rule_serves_the_clause_its_rule_names():
    pack = parse_pack(_pack('patterns: ["project falcon"]'))
    report = Engine(pack, learned=False).screen(Draft("Project Falcon launches Monday"))
    assert [(f.clause, f.text) for f in report.findings] == [("2.b", "Project Falcon")]
    other = parse_pack(_pack('patterns: ["project falcon"]').replace('clause: "2.b"', 'clause: "2.g"'))
    assert other.rules[0].clause == "2.g"


@pytest.mark.parametrize("params, needle", [
    ("", "a pattern rule needs params.patterns"),
    ("patterns: []", "a pattern rule needs params.patterns"),
    ('patterns: ["ok"]\nwords: ["x"]', "unknown parameters ['words']"),
    ('patterns: ["ok"]\ncontext_window: 1000', "params.context_window must be a whole number from 1 to 200"),
    ('patterns: ["ok"]\ncontext_window: 2.5', "params.context_window must be a whole number"),
    ('patterns: ["ok"]\nview: html', "params.view must be one of base, words, digits"),
    ('patterns: ["ok"]\nfix: [a, b]', "params.fix must be a text"),
    # the patterns and the context words are regex fragments: checked like every other of a pack
    ('patterns: ["(a+)+b"]', "params.patterns[0] '(a+)+b' nests a repeat or a choice inside a repeat"),
    ('patterns: [".*secret"]', "params.patterns[0] '.*secret' repeats without a bound"),
    ('patterns: ["(unclosed"]', "params.patterns[0] '(unclosed' is not a valid regular expression"),
    ('patterns: ["x{1,90}y{1,90}"]', "params.patterns[0] 'x{1,90}y{1,90}' can match more than 100 characters"),
    ('patterns: ["ok"]\ncontext: ["(a)\\\\1"]', "params.context[0] '(a)\\\\1' refers back to a group"),
    ("patterns: bad", "params.patterns: must be a list of strings"),
])
def test_bad_pattern_rules_are_refused_with_the_place(params, needle):
    with pytest.raises(PolicyPackError, match=re.escape(f"acme.yaml: rule acme-pattern: {needle}")):
        parse_pack(_pack(params) if params else BASE, source="acme.yaml")


def test_the_core_finds_what_a_loop_over_matches_finds():
    words = re.compile(r"\b(?:alpha|beta)\b")
    t = "alpha, gamma, beta, alpha"
    assert list(pattern.find_spans(t, (words, None))) == [m.span() for m in words.finditer(t)]
    kept = pattern.find_spans(t, (words,), keep=lambda t, m: m.group() != "beta", grow=lambda t, m: (m.start(), m.end() + 1))
    assert list(kept) == [(0, 6), (20, 26)]
    view = ScreenText("zero\u200bwidth alpha").base  # the view drops the zero-width space
    (hit,) = pattern.pattern_hits(view, (words,), "why", "fix")
    assert (hit.start, hit.end, hit.explanation, hit.fix) == (11, 16, "why", "fix")
