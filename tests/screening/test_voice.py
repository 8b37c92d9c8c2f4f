"""2.f recognizer, called alone (voice.py): a personal post that speaks in the organization's voice,
with exact spans, and the member's own voice that must pass."""
from __future__ import annotations

import pytest

from onevoice.screening import voice

from .spans import spans


@pytest.mark.parametrize("text, expected", [
    ("As IPALA we believe the new rule is wrong.", ["As IPALA we believe the new rule is wrong"]),
    ("We at IPALA oppose the cuts.", ["We at IPALA oppose the cuts"]),
    ("Speaking on behalf of IPALA: no.", ["Speaking on behalf of IPALA"]),
    ("IPALA says: vaccinate!", ["IPALA says: vaccinate"]),
    # near misses: membership, the member's own view beside the published position, no organization
    ("I am an IPALA member and I think this is wrong.", []),
    ("IPALA's position paper is published; my own view: I think we should recommend it.", []),
    ("I love the IPALA congress", []),
    ("Trust me, the ban is coming.", []),
])
def test_speaks_for_the_organization(text, expected):
    assert spans(voice.speaks_for_org, text, kind="personal") == expected


def test_the_organization_names_from_the_rule():
    text = "We at Acme Society oppose the cuts."
    assert spans(voice.speaks_for_org, text, {"names": ["Acme Society"]}, kind="personal") == [
        "We at Acme Society oppose the cuts"]
    assert spans(voice.speaks_for_org, text, kind="personal") == []
