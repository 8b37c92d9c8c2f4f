"""2.c Attribute sources: uncredited media, copied material and quotes without authors (own examples)."""
import pytest

from onevoice.screening import Attachment, Draft, screen


def _report(text, attachments=()):
    return screen(Draft(text=text, attachments=tuple(attachments)))


def test_uncredited_third_party_chart_goes_to_review_with_evidence():
    att = Attachment(type="image", alt="Bar chart of asthma prevalence from a journal article")
    report = _report("Great chart on asthma prevalence worldwide", [att])
    f = next(f for f in report.findings if f.clause == "2.c")
    assert (f.start, f.end) == (0, 0) and "chart" in f.evidence and report.decision.value == "review"


@pytest.mark.parametrize("text, credit", [
    ("Great chart on asthma prevalence. Source: WHO", None),
    ("Great chart on asthma prevalence 📷 by @datadoc", None),
    ("Great chart on asthma prevalence", "Global Asthma Network"),
])
def test_credit_in_text_or_field_counts(text, credit):
    att = Attachment(type="image", credit=credit, alt="Bar chart of asthma prevalence from a journal article")
    assert "2.c" not in _report(text, [att]).labels


def test_removed_watermark_blocks():
    att = Attachment(type="image", alt="ERS croup chart with the ERS logo cropped out")
    report = _report("Cleaner version of the croup chart!", [att])
    assert "2.c" in report.labels and report.decision.value == "block"


@pytest.mark.parametrize("text, phrase", [
    ("Here's the whole Cochrane review copied below so you don't need a subscription 👇", "copied below"),
    ("Found this on Google Images, perfect for our flyer!", "Found this on Google Images"),
    ("Download the textbook as a free PDF here!", "free PDF"),
])
def test_copied_material_span(text, phrase):
    f = next(f for f in _report(text).findings if f.clause == "2.c")
    assert phrase in text[f.start:f.end]


def test_advice_against_piracy_passes():
    assert "2.c" not in _report("Never share pirated textbooks — your library can get you legal access!").labels


def test_quote_without_author_is_flagged_and_with_author_passes():
    quote = '"The greatest medicine of all is to teach people how not to need it."'
    assert "2.c" in _report(quote + " Happy Monday!").labels
    assert "2.c" not in _report(quote + " — Hippocrates (attributed)").labels
    assert "2.c" not in _report("Prof. Lind reminded us at the plenary: " + quote).labels


def test_quoted_talk_title_is_not_a_quotation():
    assert "2.c" not in _report('New webinar: "Stridor in infants: when to worry and when to wait." Register now!').labels


def test_own_material_passes():
    att = Attachment(type="image", credit="IPALA Education Committee", alt="Infographic on safe sleep")
    assert "2.c" not in _report("Infographic by our Education Committee", [att]).labels
    att = Attachment(type="image", alt="IPALA booth with volunteers")
    assert "2.c" not in _report("Come and say hello at our booth!", [att]).labels
