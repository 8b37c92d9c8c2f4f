"""Policy packs: the IPALA pack loads, bad packs are refused with the place named, employer
packs load beside the main one, and an organization can write its own pack."""
from __future__ import annotations

import re

import pytest

from onevoice.policy import PolicyPackError, load_pack, parse_pack
from onevoice.screening import Draft, Engine

MINIMAL = """
format: 1
pack: acme
version: "1"
clauses:
  - {id: "2.e", title: Be professional}
rules:
  - id: acme-profanity
    detector: conduct.profanity
    clause: "2.e"
    severity: block
"""


def test_ipala_pack_cites_every_clause_of_section_2():
    pack = load_pack()
    assert pack.name == "ipala"
    titles = {c.id: c.title for c in pack.clauses}
    assert titles["2.d"] == "Protect patient privacy"
    section_2 = {"2.a", "2.b", "2.c", "2.d", "2.e", "2.f", "2.g"}
    assert {lc.clause for lc in pack.learned} == section_2  # every clause has its learned head
    assert all(lc.fix for lc in pack.learned)
    assert {lc.clause: lc.applies_to for lc in pack.learned}["2.f"] == ("personal",)
    assert all(r.clause in titles for r in pack.rules)


@pytest.mark.parametrize("text,needle", [
    ("pack: [", "not valid YAML"),
    ("- a list", "YAML mapping"),
    ("format: 2\npack: x\nversion: 1", "format 2"),
    ("pack: x", "missing 'version'"),
    (MINIMAL.replace("conduct.profanity", "nope.nothing"), "unknown detector 'nope.nothing'"),
    (MINIMAL.replace("severity: block", "severity: fatal"), "severity must be"),
    (MINIMAL.replace('clause: "2.e"\n    severity', 'clause: "9.z"\n    severity'), "clause '9.z' is not defined"),
    (MINIMAL + "  - id: acme-profanity\n    detector: conduct.profanity\n    clause: '2.e'\n    severity: block\n",
     "duplicate rule id"),
    (MINIMAL + "learned:\n  '9.z': {}\n", "clause '9.z' is not defined"),
    (MINIMAL + "learned:\n  '2.e': {review: 1.5}\n", "'review' must be a probability"),
    (MINIMAL + "learned:\n  '2.e': {review: 0.6, block: 0.4}\n", "block must not be below review"),
    (MINIMAL + "learned:\n  '2.e': {applies_to: [tweet]}\n", "unknown kinds"),
    (MINIMAL + "learned: [2.e]\n", "learned must be a mapping"),
    (MINIMAL.replace('title: Be professional}', 'title: Be professional}\n  - {id: "2.a", title: Privacy}')
     .replace('clause: "2.e"\n    severity', 'clause: "2.a"\n    severity'),
     "rule acme-profanity: detector 'conduct.profanity' is for clause '2.e', not '2.a'"),
])
def test_bad_packs_are_refused_with_the_place(text, needle):
    with pytest.raises(PolicyPackError, match=needle.replace("(", r"\(").replace("[", r"\[")):
        parse_pack(text, source="acme.yaml")


def _with_words(*words: str) -> str:
    return MINIMAL + "    params:\n      extra_words: [" + ", ".join(f"'{w}'" for w in words) + "]\n"


def _rules(n: int) -> str:
    return MINIMAL.split("rules:")[0] + "rules:\n" + "".join(
        f"  - {{id: r{i}, detector: conduct.profanity, clause: '2.e', severity: block}}\n" for i in range(n))


# Committee members edit packs, and every rule runs on every draft: a pack cannot make screening slow.
@pytest.mark.parametrize("text,needle", [
    (_with_words("(a+)+b"), "extra_words[0] '(a+)+b' nests a repeat or a choice inside a repeat"),
    (_with_words("ok", "(?:x|xy){1,20}"), "extra_words[1] '(?:x|xy){1,20}' nests a repeat or a choice"),
    (_with_words(".*secret"), "repeats without a bound"),
    (_with_words("idiots?", "morons{2,}"), "extra_words[1] 'morons{2,}' repeats without a bound"),
    (_with_words("x{1,90}y{1,90}"), "can match more than 100 characters"),
    (_with_words("a?" * 11), "too many optional or alternative parts"),
    (_with_words("(a)\\1"), "refers back to a group"),
    (_with_words("(unclosed"), "is not a valid regular expression"),
    (_with_words("x" * 201), "longer than 200 characters"),
    (MINIMAL + "    params:\n      extra_words: [" + ", ".join(["w"] * 501) + "]\n", "extra_words: more than 500 entries"),
    (MINIMAL + "    params:\n      extra_words: bad\n", "extra_words: must be a list of strings"),
    (MINIMAL + "    allow: [" + ", ".join(["a"] * 501) + "]\n", "allow: more than 500 entries"),
    (MINIMAL.replace("id: acme-profanity", "id: " + "r" * 65), "longer than 64 characters"),
    (MINIMAL.replace("title: Be professional}", "title: Be professional, text: " + "t" * 5001 + "}"),
     "clauses[0]: text: longer than 5000 characters"),
    (_rules(201), "rules: more than 200 entries"),
    (MINIMAL + "    params:\n      label: {nested: map}\n", "params.label: must be a text, a number or a list"),
])
def test_packs_that_could_slow_screening_are_refused(text, needle):
    with pytest.raises(PolicyPackError, match=re.escape(needle)):
        parse_pack(text, source="acme.yaml")


def test_an_employer_pack_rule_must_use_its_detectors_clause():
    """An employer pack names no clauses of its own; its detectors' clauses are still checked."""
    text = "format: 1\npack: emp\nversion: 1\nrules:\n  - {id: e1, detector: employer.conflict, clause: '2.e', severity: block}\n"
    with pytest.raises(PolicyPackError, match=re.escape("emp.yaml: rule e1: detector 'employer.conflict' is for clause '2.g', not '2.e'")):
        parse_pack(text, source="emp.yaml")
    assert parse_pack(text.replace("'2.e'", "'2.g'")).rules[0].clause == "2.g"


def test_a_pack_word_list_may_use_bounded_patterns():
    pack = parse_pack(_with_words("gosh ?darn(?:ed)?", "blimey{1,3}"))
    assert pack.rules[0].params["extra_words"] == ["gosh ?darn(?:ed)?", "blimey{1,3}"]
    report = Engine(pack, learned=False).screen(Draft(text="Well, goshdarned if it isn't blimeyyy."))
    assert [f.text for f in report.findings] == ["goshdarned", "blimeyyy"]
    assert len(parse_pack(_rules(200)).rules) == 200  # the most a pack may hold


def test_an_organization_writes_its_own_pack(tmp_path):
    path = tmp_path / "acme.yaml"
    path.write_text(MINIMAL)
    pack = load_pack(path)
    report = Engine(pack).screen(Draft(text="What a load of sh1t."))
    assert report.decision.value == "block"
    assert report.findings[0].citation == "2.e Be professional"
    assert report.policy == "acme@1"


def test_missing_pack_file_is_a_clear_error(tmp_path):
    with pytest.raises(PolicyPackError, match="cannot read policy pack"):
        load_pack(tmp_path / "nope.yaml")


def test_pack_thresholds_override_the_trained_ones():
    """An organization trades recall for fewer reviews: a higher review threshold finds less."""
    text = "Honestly the parents in clinic today were clueless, some people should not have kids."
    strict = Engine(load_pack()).screen(Draft(text=text))
    lenient_pack = parse_pack(MINIMAL + "learned:\n  '2.e': {review: 0.999, block: 0.9995}\n")
    eager_pack = parse_pack(MINIMAL.replace("    severity: block", "    severity: block\n    enabled: false")
                            + "learned:\n  '2.e': {review: 0.01, block: 0.99}\n")
    assert Engine(lenient_pack).screen(Draft(text=text)).labels == []
    eager = Engine(eager_pack).screen(Draft(text=text))
    assert eager.labels == ["2.e"] and eager.findings[0].rule == "2.e-learned"
    assert "2.e" in strict.labels
    assert Engine(eager_pack, learned=False).screen(Draft(text=text)).labels == []  # recognizers alone
