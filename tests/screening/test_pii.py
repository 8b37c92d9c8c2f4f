"""The broad personal-data recognizers (used for redaction and the Presidio comparison)."""
from __future__ import annotations

from onevoice.screening.pii import find_pii


def kinds(text):
    return {(text[s.start:s.end], s.entity) for s in find_pii(text)}


def test_contacts_cards_and_accounts():
    found = kinds("Call me on +44 7700 900123 or mail jo.bloggs@example.com; card 4111 1111 1111 1111, "
                  "IBAN GB82 WEST 1234 5698 7654 32, server 10.0.0.12.")
    assert ("+44 7700 900123", "PHONE_NUMBER") in found
    assert ("jo.bloggs@example.com", "EMAIL_ADDRESS") in found
    assert ("4111 1111 1111 1111", "CREDIT_CARD") in found
    assert ("GB82 WEST 1234 5698 7654 32", "IBAN_CODE") in found
    assert ("10.0.0.12", "IP_ADDRESS") in found


def test_invalid_checksums_are_not_cards_or_ibans():
    found = kinds("Order 4111 1111 1111 1112 and GB00 WEST 1234 5698 7654 32")
    assert not any(e in ("CREDIT_CARD", "IBAN_CODE") for _, e in found)


def test_names_places_and_addresses_without_a_model():
    found = kinds("Hi Marta, please send it to Dr. Ivo Kranjc at 14 Harbour Road, Apt. 3, Galway.")
    assert ("Marta", "PERSON") in found
    assert any("Ivo Kranjc" in t for t, _ in found)
    assert any("14 Harbour Road" in t and e == "STREET_ADDRESS" for t, e in found)


def test_plain_sentence_has_no_names():
    assert kinds("The weather was lovely and we all went home early.") == set()
