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
    assert {"2.a", "2.b", "2.c", "2.d", "2.e", "2.f", "2.g"} <= {r.clause for r in pack.rules}
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
