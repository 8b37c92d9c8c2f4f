"""The composer and the review queue in a real Chromium, over the demo organization: a member
types a draft and watches the counter (the server's own count, per platform) and the preview,
sees the findings above Submit on a phone, applies a suggested fix, is asked to confirm the block
finding that is left, and submits; a committee member finds it in the review queue (author,
channel, age, findings) and rejects it, confirming on a second step. The same without script:
the server asks for the confirmation. WCAG 2.1 AA as axe-core measures it on each page."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from onevoice.errors import NotFound
from onevoice.governance import members
from onevoice.governance.permissions import SYSTEM
from onevoice.publishing import limits
from onevoice.store.models import Channel, Draft

from .conftest import PASSWORD
from .test_accessibility import axe_violations
from .test_browser import shot

pytestmark = pytest.mark.slow
RUI = "rui@example.org"
# a patient's case (2.d) and a private phone number (2.a): both block, both with a redaction
TEXT = "Met a 6-year-old today with a rare airway case.\nCall me on 555-0143 for the details: https://ipala.org/airway"


def setup(system) -> dict:
    """Rui on the committee (whatever the other tests made of the demo), and the demo's channels."""
    with system.db.transaction() as s:
        try:
            members.get_member(s, RUI)
        except NotFound:
            members.add_member(s, SYSTEM, RUI, "Rui Reviewer", PASSWORD, ("committee",))
        chans = list(s.scalars(select(Channel).order_by(Channel.id)))
        return {c.platform: (c.id, c.handle) for c in reversed(chans)}  # the first channel of each platform


def counter_agrees(page, platform: str) -> None:
    """The script's counter says what limits.measure says of the text box's text."""
    value = page.locator("#text").input_value()
    m = limits.measure(platform, value)
    page.wait_for_function("want => document.querySelector('#counter .count').textContent === want",
                           arg=f"{m['length']} of {m['max']} {m['unit']}")


def test_write_fix_confirm_submit_then_the_committee_rejects(demo_org, open_as):
    live, _, _ = demo_org
    chans = setup(live.system)
    masto_id, masto_handle = chans["mastodon"]
    # 1. the desktop composer: counter and preview as she types
    ana = open_as(live, "ana@example.org", 1280, 900)
    ana.get_by_role("link", name="New draft", exact=True).click()
    ana.get_by_label("Channel").select_option(str(masto_id))
    ana.get_by_label("Text", exact=True).press_sequentially("Met a 6-year-old today")
    counter_agrees(ana, "mastodon")
    ana.get_by_label("Text", exact=True).fill(TEXT)
    counter_agrees(ana, "mastodon")  # the link counts as 23
    assert "(Mastodon: every link counts as 23)" in ana.locator("#counter").inner_text()
    link = ana.locator("#live-screening .post .preview a")
    assert link.get_attribute("href") == "https://ipala.org/airway"
    assert ana.locator("#live-screening .preview").inner_text().count("\n") >= 1, "the line break is kept"
    assert ana.locator("#live-screening .post-handle").inner_text() == f"@{masto_handle}"
    ana.locator("#live-screening mark.sev-block").first.wait_for(timeout=15_000)
    assert ana.locator("#live-screening ol.findings > li").count() == 2
    assert ana.locator("ol.findings").count() == 1, "the findings are shown once"
    # Bluesky counts graphemes: an emoji with its modifiers is one, as the server counts it
    if "bluesky" in chans:
        ana.get_by_label("Channel").select_option(str(chans["bluesky"][0]))
        ana.get_by_label("Text", exact=True).press_sequentially(" 👩🏽‍⚕️")
        counter_agrees(ana, "bluesky")
        assert "graphemes" in ana.locator("#counter").inner_text()
        ana.get_by_label("Channel").select_option(str(masto_id))
        ana.get_by_label("Text", exact=True).fill(TEXT)
    ana.get_by_label("Text", exact=True).fill(TEXT + " " + "x" * 450)
    counter_agrees(ana, "mastodon")
    assert "over the limit" in ana.locator("#counter").inner_text()
    assert ana.locator("#counter.over").count() == 1
    ana.get_by_label("Text", exact=True).fill(TEXT)
    ana.locator("#live-screening mark.sev-block").first.wait_for(timeout=15_000)
    assert axe_violations(ana) == []
    shot(ana, "composer", full_page=False)

    # 2. on a phone: the findings above Submit, a one-click fix, the block confirmation, submit
    phone = open_as(live, "ana@example.org", 390, 844)
    phone.goto(f"{live.url}/drafts/new")
    phone.get_by_label("Channel").select_option(str(masto_id))
    phone.get_by_label("Text", exact=True).fill(TEXT)
    phone.locator("#live-screening ol.findings > li").nth(1).wait_for(timeout=15_000)
    findings = phone.locator("#live-screening ol.findings").bounding_box()
    submit = phone.get_by_role("button", name="Submit for review").bounding_box()
    assert findings["y"] + findings["height"] <= submit["y"], "the findings come above Submit"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scrolling"
    assert axe_violations(phone) == []
    phone.locator("#live-screening ol.findings").scroll_into_view_if_needed()
    shot(phone, "phone-composer")
    phone.get_by_role("button", name=re.compile("Apply suggested fix: replace “555-0143”")).click()
    assert phone.locator("#text").input_value() == TEXT.replace("555-0143", "[2.a removed]")
    assert phone.evaluate("document.activeElement.id") == "text", "focus goes back to the text"
    phone.wait_for_function("() => document.querySelectorAll('#live-screening ol.findings > li').length === 1")
    assert "2.d" in phone.locator("#live-screening ol.findings").inner_text()
    phone.get_by_role("button", name="Submit for review").click()
    confirm = phone.get_by_label("I understand: submit it for the chair's override")
    assert "This will need the chair's override" in phone.locator(".block-confirm").inner_text()
    assert phone.url.endswith("/drafts/new"), "not submitted before it is confirmed"
    assert phone.evaluate("document.activeElement.name") == "confirm_block"
    confirm.check()
    phone.get_by_role("button", name="Submit for review").click()
    phone.wait_for_url(re.compile(r"/drafts/\d+\?flash="))
    draft_id = int(re.search(r"/drafts/(\d+)", phone.url).group(1))
    assert "Submitted" in phone.get_by_role("status").first.inner_text()
    with live.system.db.reader() as s:
        d = s.get(Draft, draft_id)
        assert (d.state, d.screening["decision"]) == ("in_review", "block")
        assert d.text == TEXT.replace("555-0143", "[2.a removed]")
    assert phone.locator("section[aria-labelledby=text-h] ol.findings > li").count() == 1

    # 3. without script the server asks for the same confirmation
    plain = open_as(live, "ana@example.org", 1280, 900, script=False)
    plain.goto(f"{live.url}/drafts/new")
    plain.get_by_label("Channel").select_option(str(masto_id))
    plain.get_by_label("Text", exact=True).fill("Call me on 555-0143 about the renewals.")
    plain.get_by_role("button", name="Submit for review").click()
    plain.wait_for_load_state()
    assert "This will need the chair's override" in plain.locator("main").inner_text()
    plain.get_by_label("I understand: submit it for the chair's override").check()
    plain.get_by_role("button", name="Submit for review").click()
    plain.wait_for_url(re.compile(r"/drafts/\d+\?flash="))

    # 4. the committee's review queue: author, channel, age, findings, the longest waiting first
    rui = open_as(live, RUI, 1280, 900)
    rui.get_by_role("link", name="Review queue").click()
    rui.wait_for_url(f"{live.url}/review")
    row = rui.locator("tr", has=rui.locator(f'a[href="/drafts/{draft_id}"]'))
    cells = row.locator("td").all_inner_texts()
    assert "Ana Author" in cells[1] and masto_handle in cells[2]
    assert re.fullmatch(r"under a minute|\d+ min", cells[3].strip()), cells[3]
    assert re.fullmatch(r"1 finding\s+1 block", cells[4].strip()), cells[4]
    since = rui.locator("tbody time").evaluate_all("ts => ts.map(t => t.getAttribute('datetime'))")
    assert since == sorted(since), "oldest first"
    assert axe_violations(rui) == []
    shot(rui, "review-queue", full_page=False)
    row.get_by_role("link", name=str(draft_id), exact=True).click()
    rui.get_by_label(re.compile("^Comment")).fill("A patient's case cannot be posted, even without a name (2.d).")
    rui.get_by_role("button", name=re.compile("^Reject")).click()
    rui.wait_for_load_state()
    assert rui.locator("h1").inner_text() == f"Reject draft {draft_id}?"
    with live.system.db.reader() as s:
        assert s.get(Draft, draft_id).state == "in_review", "the first step changes nothing"
    assert axe_violations(rui) == []
    rui.get_by_role("button", name=f"Yes, reject draft {draft_id}").click()
    rui.wait_for_url(re.compile(rf"/drafts/{draft_id}\?flash="))
    assert "rejected" in rui.locator("h1 .state").inner_text()
    history = rui.locator("ol.history").inner_text()
    assert "Ana Author submitted revision 1 for review" in history
    assert "Rui Reviewer rejected revision 1" in history
