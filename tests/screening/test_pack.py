"""Policy packs: the IPALA pack loads, bad packs are refused with the place named, employer
packs load beside the main one, and an organization can write its own pack."""
from __future__ import annotations

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
])
def test_bad_packs_are_refused_with_the_place(text, needle):
    with pytest.raises(PolicyPackError, match=needle.replace("(", r"\(").replace("[", r"\[")):
        parse_pack(text, source="acme.yaml")


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
