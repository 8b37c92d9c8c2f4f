"""2.g recognizer, called alone (employer.py): the generic rule, and the same detector with the
parameters of the shipped employer pack, with exact spans and near misses."""
from __future__ import annotations

import pytest

from onevoice.policy import load_pack
from onevoice.screening import employer

from .spans import spans

HOSPITAL = load_pack("ipala", employers=("hospital-generic",))
HOSPITAL_PARAMS = next(r.params for r in HOSPITAL.rules if r.id == "2.g-hospital-internal")


@pytest.mark.parametrize("text, expected", [
    ("Our hospital is closing the ward, internal memo says.", ["internal memo says."]),
    ("Internal email: my trust will cut 20 beds.", ["Internal email: my trust will cut 20 beds."]),
    ("Between us, the board is cutting the unit.", ["Between us"]),
    ("On behalf of our hospital, welcome!", ["On behalf of our hospital, welcome"]),
    # near misses: good news, the word "internal" in a specialty, no workplace at all
    ("Our hospital won an award today!", []),
    ("Internal medicine is fascinating.", []),
    ("Staffing levels matter everywhere.", []),
])
def test_generic_employer_rule(text, expected):
    assert spans(employer.employer_conflict, text, kind="personal") == expected


@pytest.mark.parametrize("text, expected", [
    ("Our hospital's staffing levels are dire.", ["staffing levels"]),
    ("The hospital board papers say 40 beds go.", ["board papers"]),
    # near misses: the forbidden topic without the workplace, and the workplace without it
    ("Staffing levels matter everywhere.", []),
    ("Our hospital won an award today!", []),
])
def test_employer_pack_topics(text, expected):
    assert spans(employer.employer_conflict, text, HOSPITAL_PARAMS, kind="personal") == expected
    if expected:
        assert spans(employer.employer_conflict, text, kind="personal") == []  # the pack's own topics
