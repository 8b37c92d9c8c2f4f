"""Escalation messages carry no more personal data than needed."""
from __future__ import annotations

from datetime import datetime, timezone

from onevoice import notify

COMMENT = ("@angry.parent.bsky.social your post showed my son at the clinic!!! call me on 07700 900461, "
           "or +1 (415) 555-0132, or zero seven seven zero zero nine zero zero four six one, "
           "or mail jo.bloggs@example.com - cc @friend@mastodon.social")
PERSONAL = ["angry.parent", "07700", "900461", "415", "555-0132", "zero seven", "jo.bloggs", "example.com",
            "friend", "mastodon.social"]


def escalation(**extra):
    return notify.compose_escalation(
        incident_id=4, category="complaint", severity=2, channel="bluesky:ipala.bsky.social",
        link="https://onevoice.ipala.org/incidents/4", excerpt=COMMENT, **extra)


def test_escalation_has_what_the_chair_needs():
    subject, body = escalation(level="chair", deadline=datetime(2026, 5, 1, 9, 30, tzinfo=timezone.utc))
    assert subject == "[onevoice] serious complaint on bluesky:ipala.bsky.social: incident #4"
    assert "Incident #4 needs the committee (chair)." in body
    assert "severity 2 of 3" in body and "https://onevoice.ipala.org/incidents/4" in body
    assert "your post showed my son at the clinic" in body
    assert "2026-05-01 09:30 UTC" in body


def test_no_contact_details_and_no_author_by_default():
    subject, body = escalation()
    for text in PERSONAL:
        assert text not in body and text not in subject, text
    assert "[…]" in body and "Author" not in body


def test_author_only_when_asked():
    _, body = escalation(author="@angry.parent.bsky.social")
    assert "Author: @angry.parent.bsky.social" in body


def test_excerpt_is_short():
    _, body = notify.compose_escalation(incident_id=1, category="spam", severity=1, channel="mastodon:@ipala",
                                        link="http://x/incidents/1", excerpt="word " * 500)
    line = next(line for line in body.splitlines() if line.startswith("Comment"))
    assert len(line) < 260 and line.endswith('…"')


def test_masking_keeps_ordinary_text():
    assert notify.mask_personal_data("Poster 12 at the 2024-05-01 session was great") == \
        "Poster 12 at the 2024-05-01 session was great"
    assert notify.mask_personal_data("write to a.b@c.org") == "write to […]"


def test_the_sent_email_carries_no_personal_data(db, smtp, config):
    subject, body = escalation()
    with db.transaction() as s:
        notify.enqueue(s, "email", "chair@ipala.test", subject, body, related=("incident", 4))
    notify.deliver_due(db, config)
    [msg] = smtp.messages()
    raw = msg.as_string()
    for text in PERSONAL:
        assert text not in raw, text
