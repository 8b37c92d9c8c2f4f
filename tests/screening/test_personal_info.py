"""2.a recognizers, each called alone (personal_info.py): what each finds, with its exact span, and
near misses that must stay silent. The same texts through the pack and the learned heads are in
test_clauses.py."""
from __future__ import annotations

import pytest

from onevoice.screening import personal_info

from .spans import spans


@pytest.mark.parametrize("text, expected", [
    ("Call me on 555-0143 tonight", ["555-0143"]),
    ("My mobile is 07700 900123.", ["07700 900123"]),
    ("Ring +44 20 7946 0018 any time", ["+44 20 7946 0018"]),
    ("Text me at five five five, zero one four three", ["five five five, zero one four three"]),
    # near misses: identifiers, dates and room numbers are not phone numbers
    ("DOI 10.1000/182 and ISBN 978-1-9999555-0-1", []),
    ("Meeting ID: 845 2210 6637", []),
    ("The congress runs 12.05.2026-14.05.2026", []),
    ("Room 1204, poster 3381", []),
])
def test_phone_numbers(text, expected):
    assert spans(personal_info.phone_numbers, text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Write to anna.m@gmail.com please", ["anna.m@gmail.com"]),
    ("mail me: bob [at] example [dot] com", ["bob [at] example [dot] com"]),
    # near misses: the organization's own domains are public; a handle is not an address
    ("Contact info@ipala.org or press@eu.ipala.org", []),
    ("Follow @ipala on social", []),
])
def test_email_addresses(text, expected):
    assert spans(personal_info.email_addresses, text) == expected


def test_email_public_domains_from_the_rule():
    assert spans(personal_info.email_addresses, "Ask jo@partner.org", {"public_domains": ["partner.org"]}) == []


@pytest.mark.parametrize("text, expected", [
    ("Born on 12/03/1985 in Leeds", ["Born on 12/03/1985"]),
    ("DOB: 1990-04-02", ["DOB: 1990-04-02"]),
    ("fecha de nacimiento: 3 mar 1977", ["fecha de nacimiento: 3 mar 1977"]),
    # near misses: a birthday without a date, a date that is not a birth
    ("Born to lead! Happy birthday Sam", []),
    ("Founded on 12/03/1985", []),
])
def test_birth_dates(text, expected):
    assert spans(personal_info.birth_dates, text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Pay with 4111 1111 1111 1111 today", ["4111 1111 1111 1111"]),
    ("IBAN GB82 WEST 1234 5698 7654 32 for the gift", ["GB82 WEST 1234 5698 7654 32"]),
    # near misses: the checksums fail, or the digits are a book's
    ("Order 4111 1111 1111 1112", []),
    ("IBAN GB82 WEST 1234 5698 7654 33", []),
    ("ISBN 978-1-9999555-0-1", []),
])
def test_card_and_account_numbers(text, expected):
    assert spans(personal_info.id_numbers, text) == expected


@pytest.mark.parametrize("text, expected", [
    ("She is back from sick leave on Monday.", ["She is back from sick leave on Monday."]),
    ("Wishing my colleague a quick recovery from knee surgery", ["Wishing my colleague a quick recovery from knee surgery"]),
    # near misses: a group, history, or no one identifiable
    ("Children with asthma need a plan.", []),
    ("In 1921 insulin was discovered.", []),
    ("Knee surgery rates fell by 10% last year.", []),
])
def test_medical_history_of_an_identifiable_person(text, expected):
    assert spans(personal_info.medical_history, text) == expected
