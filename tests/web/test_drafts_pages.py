"""The draft pages through a TestClient signed in with the form: the composer (counter, preview,
screening, one-click fix, the confirmation a block finding needs, empty and over-length drafts
refused), a draft's page (its saved screening, which the live check agrees with, its history in
sentences), the review queue (oldest first, with author, channel, age and findings; reject and
override in two steps) and the paged list of drafts."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from onevoice.governance import channels, members
from onevoice.governance.permissions import SYSTEM
from onevoice.publishing import limits, workflow
from onevoice.store.models import AuditEvent, Draft
from onevoice.web.app import create_app
from tests.policy_helpers import acknowledge_in

from .signin import csrf, signed_in_client

PASSWORD = "a long password 1"
HTML = {"accept": "text/html"}
PHONE = "Questions about renewals? Call our office at 555-0143."
CLEAN = "Our spring webinar on airway care is on 3 May: sign up at https://ipala.org/webinar"


@pytest.fixture
def org(sqlite_system):
    system = sqlite_system
    with system.db.transaction() as s:
        masto = channels.add_channel(s, SYSTEM, system.box, "mastodon", "ipala", base_url="http://127.0.0.1:9")
        sky = channels.add_channel(s, SYSTEM, system.box, "bluesky", "ipala.test")
        members.add_member(s, SYSTEM, "ana@example.org", "Ana Author", PASSWORD)
        members.add_member(s, SYSTEM, "rui@example.org", "Rui Reviewer", PASSWORD, ("committee",))
        members.add_member(s, SYSTEM, "chair@example.org", "Carla Chair", PASSWORD, ("chair", "committee"))
        for ch in (masto, sky):
            members.grant_role(s, SYSTEM, "ana@example.org", "authorized", ch)
            acknowledge_in(s)  # the members have read the policy in force (1.)
        ids = {"masto": masto.id, "sky": sky.id}
    return system, ids






def compose(c: TestClient, **fields):
    token = csrf(c.get("/drafts/new", headers=HTML).text)
    return c.post("/drafts/new", data={"csrf_token": token, **fields}, headers=HTML, follow_redirects=False)


def post(c: TestClient, path: str, **fields):
    token = csrf(c.get("/drafts/new", headers=HTML).text)
    return c.post(path, data={"csrf_token": token, **fields}, headers=HTML, follow_redirects=False)


def count_drafts(system) -> int:
    with system.db.reader() as s:
        return s.scalar(select(func.count()).select_from(Draft))


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def panel(html: str) -> str:
    """The screening panel of a page (or the fragment itself)."""
    m = re.search(r'<div class="screening-panel".*?(?=\n</div>\n|\Z)', html, re.S)
    return m.group(0) if m else ""


# --- the composer -------------------------------------------------------------------------------

def test_the_composer_carries_each_channels_limits_from_the_server(org):
    system, ids = org
    page = signed_in_client(system, "ana@example.org").get("/drafts/new", headers=HTML).text
    for cid, platform in ((ids["masto"], "mastodon"), (ids["sky"], "bluesky")):
        rules = limits.LIMITS[platform]
        option = re.search(rf'<option value="{cid}"[^>]*>', page, re.S).group(0)
        assert f'data-platform="{platform}"' in option and f'data-max-chars="{rules.max_chars}"' in option
        assert f'data-url-length="{rules.url_length or ""}"' in option
        assert f'data-graphemes="{"yes" if rules.count_graphemes else ""}"' in option
    assert f'data-url-pattern="{limits.URL.pattern}"' in page
    assert "0 of 500 characters" in text_of(page)  # the first channel's counter, before the script
    assert '<script src="/static/screen.js" defer></script>' in page
    # the findings come before the buttons in the page, so a phone shows them above Submit
    assert page.index('id="live-screening"') < page.index('value="submit"')


def test_check_without_script_counts_previews_and_screens(org):
    system, ids = org
    ana = signed_in_client(system, "ana@example.org")
    r = compose(ana, channel=str(ids["masto"]), text=PHONE + "\r\nMore: https://ipala.org/renewals",
                image1_url="https://ipala.org/poster.png", image1_alt="", action="check")
    assert r.status_code == 200
    words = text_of(r.text)
    assert "84 of 500 characters" in words  # the link counts as 23
    assert '<mark class="sev-block"' in r.text and ">555-0143</mark>" in r.text
    assert '<a href="https://ipala.org/renewals"' in r.text  # links as links in the preview
    assert "no alt text" in words and "Image 1 has no alt text" in words
    assert count_drafts(system) == 0, "a check stores nothing"
    assert len(re.findall(r'<li id="finding-\d+"', r.text)) == 1, "each finding once"


def test_the_bluesky_counter_counts_graphemes(org):
    system, ids = org
    text = "👩🏽‍⚕️ " * 3 + "webinar"
    r = compose(signed_in_client(system, "ana@example.org"), channel=str(ids["sky"]), text=text, action="check")
    assert f"{3 * 2 + 7} of 300 graphemes" in text_of(r.text)


@pytest.mark.parametrize("text, words", [
    ("", "The post is empty"),
    ("   \r\n  ", "The post is empty"),
    ("x" * 501, "501 characters"),
])
def test_empty_and_over_length_drafts_are_refused_and_nothing_is_stored(org, text, words):
    system, ids = org
    ana = signed_in_client(system, "ana@example.org")
    for action in ("save", "submit"):
        r = compose(ana, channel=str(ids["masto"]), text=text, action=action)
        assert r.status_code == 422, r.text
        assert words in text_of(re.search(r'<p class="error" role="alert">.*?</p>', r.text, re.S).group(0))
    assert count_drafts(system) == 0


def test_over_length_on_bluesky_says_by_how_much(org):
    system, ids = org
    r = compose(signed_in_client(system, "ana@example.org"), channel=str(ids["sky"]), text="A" * 310, action="save")
    assert r.status_code == 422
    assert "The text is 310 graphemes: bluesky allows 300, so shorten it by 10." in text_of(r.text)
    assert "310 of 300 graphemes" in text_of(r.text) and 'class="counter over"' in r.text


def test_the_service_refuses_them_too_so_the_api_answers_problem_json(org):
    system, ids = org
    c = TestClient(create_app(system, scheduler=False))
    r = c.post("/api/v1/tokens", json={"email": "ana@example.org", "password": PASSWORD})
    h = {"authorization": f"Bearer {r.json()['token']}"}
    for text in ("", "A" * 301):
        r = c.post("/api/v1/drafts", json={"channel": ids["sky"], "text": text}, headers=h)
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", r.text
    d = c.post("/api/v1/drafts", json={"channel": ids["sky"], "text": "Webinar on Friday."}, headers=h).json()
    r = c.patch(f"/api/v1/drafts/{d['id']}", json={"text": "A" * 301}, headers=h)
    assert r.status_code == 422 and "shorten it by 1" in r.json()["detail"]
    assert count_drafts(system) == 1


def test_a_block_finding_asks_for_confirmation_before_submitting(org):
    system, ids = org
    ana = signed_in_client(system, "ana@example.org")
    r = compose(ana, channel=str(ids["masto"]), text=PHONE, action="submit")
    assert r.status_code == 200
    assert "This will need the chair's override" in text_of(r.text)
    assert 'name="confirm_block"' in r.text and count_drafts(system) == 0, "nothing is stored before it is confirmed"
    r = compose(ana, channel=str(ids["masto"]), text=PHONE, action="submit", confirm_block="yes")
    assert r.status_code == 303
    draft_id = int(re.search(r"/drafts/(\d+)", r.headers["location"]).group(1))
    with system.db.reader() as s:
        d = s.get(Draft, draft_id)
        assert (d.state, d.screening["decision"]) == ("in_review", "block")
    # a clean draft needs no confirmation
    assert compose(ana, channel=str(ids["masto"]), text=CLEAN, action="submit").status_code == 303


def test_apply_the_suggested_fix_without_script(org):
    system, ids = org
    ana = signed_in_client(system, "ana@example.org")
    checked = compose(ana, channel=str(ids["masto"]), text=PHONE, action="check").text
    button = re.search(r'<button type="submit" class="secondary fix-button"[^>]*value="(\d+:\d+)"', checked, re.S)
    assert button, "a redaction is offered as a one-click fix"
    assert 'data-redaction="[2.a removed]"' in checked
    r = compose(ana, channel=str(ids["masto"]), text=PHONE, fix=button.group(1))
    assert r.status_code == 200
    textarea = re.search(r'<textarea id="text"[^>]*>(.*?)</textarea>', r.text, re.S).group(1)
    assert unescape(textarea) == PHONE.replace("555-0143", "[2.a removed]")
    assert "No findings." in text_of(r.text) and "The fix is applied" in text_of(r.text)
    assert count_drafts(system) == 0
    # the fix of a text that changed since its check is refused, not applied somewhere else
    r = compose(ana, channel=str(ids["masto"]), text="Hello. " + PHONE, fix=button.group(1))
    assert r.status_code == 422 and "changed since it was checked" in text_of(r.text)


def test_a_saved_draft_shows_its_screening_and_the_live_check_agrees(org):
    system, ids = org
    ana = signed_in_client(system, "ana@example.org")
    text = PHONE + " Photo below."
    fields = {"channel": str(ids["masto"]), "text": text, "image1_url": "https://ipala.org/p.png",
              "image1_alt": "Our stand at the congress"}
    r = compose(ana, action="save", **fields)
    assert r.status_code == 303
    page = ana.get(r.headers["location"], headers=HTML).text
    saved = panel(page)
    assert "No findings." not in saved and "sev-block" in saved
    draft_id = int(re.search(r"/drafts/(\d+)", r.headers["location"]).group(1))
    live = post(ana, "/drafts/check", draft=str(draft_id), text=text)
    assert live.status_code == 200
    # the same findings, in the same panel: the live check and the saved draft use one screening call
    def findings(html):
        return re.findall(r'<li id="finding-\d+" class="finding[^"]*">.*?</li>', html, re.S)

    assert findings(live.text) == findings(saved) and findings(saved)
    # the composer's live check of the same text and image agrees as well (its fixes apply in its own form)
    composer = post(ana, "/drafts/check", **fields)
    assert [f.replace('form="draft-form"', 'form="edit-form"') for f in findings(composer.text)] == findings(saved)


def test_a_draft_never_screened_does_not_say_no_findings(org):
    system, ids = org
    with system.db.transaction() as s:
        ana = members.actor_for(members.get_member(s, "ana@example.org"))
        d = workflow.create_draft(s, ana, ids["masto"], PHONE)  # as the API and the CLI make them
        draft_id = d.id
    page = signed_in_client(system, "ana@example.org").get(f"/drafts/{draft_id}", headers=HTML).text
    assert "No findings." not in page and "Not screened yet" in text_of(page)


def test_findings_show_once_on_a_draft_the_author_edits(org):
    system, ids = org
    ana = signed_in_client(system, "ana@example.org")
    r = compose(ana, channel=str(ids["masto"]), text=PHONE, action="save")
    page = ana.get(r.headers["location"], headers=HTML).text
    assert page.count('<ol class="findings"') == 1 and page.count('id="live-screening"') == 1
    # the fix buttons belong to the edit form, so they apply to the text being edited
    assert 'form="edit-form" name="fix"' in page
    # above the edit form and the Submit button
    assert page.index('id="live-screening"') < page.index('id="edit-form"') < page.index("Submit for review")


def test_the_draft_page_fix_applies_to_the_edited_text_without_saving(org):
    system, ids = org
    ana = signed_in_client(system, "ana@example.org")
    r = compose(ana, channel=str(ids["masto"]), text=PHONE, action="save")
    draft_id = int(re.search(r"/drafts/(\d+)", r.headers["location"]).group(1))
    page = ana.get(f"/drafts/{draft_id}", headers=HTML).text
    span = re.search(r'name="fix" value="(\d+:\d+)"', page).group(1)
    r = post(ana, f"/drafts/{draft_id}/edit", text=PHONE, fix=span)
    assert r.status_code == 200 and "not saved yet" in text_of(r.text)
    assert "[2.a removed]" in re.search(r'<textarea id="edit-text"[^>]*>(.*?)</textarea>', r.text, re.S).group(1)
    with system.db.reader() as s:
        assert s.get(Draft, draft_id).text == PHONE and s.get(Draft, draft_id).revision == 1


def test_submitting_a_saved_blocked_draft_asks_for_confirmation(org):
    system, ids = org
    ana = signed_in_client(system, "ana@example.org")
    r = compose(ana, channel=str(ids["masto"]), text=PHONE, action="save")
    draft_id = int(re.search(r"/drafts/(\d+)", r.headers["location"]).group(1))
    page = ana.get(f"/drafts/{draft_id}", headers=HTML).text
    assert "This will need the chair's override" in text_of(page)
    r = post(ana, f"/drafts/{draft_id}/submit")
    assert r.status_code == 200 and "this will need the chair's override" in text_of(r.text)
    with system.db.reader() as s:
        assert s.get(Draft, draft_id).state == "draft", "refused whole: still the author's draft"
    assert post(ana, f"/drafts/{draft_id}/submit", confirm_block="yes").status_code == 303
    with system.db.reader() as s:
        assert s.get(Draft, draft_id).state == "in_review"


def test_the_live_check_is_rate_limited_and_bounded(org):
    system, ids = org
    import dataclasses

    system.settings = dataclasses.replace(system.settings, screen_per_minute=2, max_draft_chars=100)
    ana = signed_in_client(system, "ana@example.org")
    assert post(ana, "/drafts/check", channel=str(ids["masto"]), text="a" * 101).status_code == 413
    statuses = [post(ana, "/drafts/check", channel=str(ids["masto"]), text="Hello").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    r = post(ana, "/drafts/check", channel=str(ids["masto"]), text="Hello")
    assert "Live checking is paused" in text_of(r.text)


# --- history ------------------------------------------------------------------------------------

def test_history_is_told_in_sentences_in_the_viewers_time_zone(org):
    system, ids = org
    with system.db.transaction() as s:
        ana = members.actor_for(members.get_member(s, "ana@example.org"))
        carla = members.actor_for(members.get_member(s, "chair@example.org"))
        d = workflow.create_draft(s, ana, ids["masto"], CLEAN, engine=system.screening)
        workflow.edit(s, ana, d.id, system.screening, text=CLEAN + " Free for members.")
        workflow.submit(s, ana, d.id, system.screening)
        workflow.review(s, carla, d.id, "approve")
        draft_id = d.id
    with system.db.transaction() as s:
        m = members.get_member(s, "ana@example.org")
        m.timezone = "America/New_York"
    page = text_of(signed_in_client(system, "ana@example.org").get(f"/drafts/{draft_id}", headers=HTML).text)
    history = page[page.index("History"):]
    for sentence in ("Ana Author wrote the draft; screening found nothing",
                     "Ana Author saved revision 2; screening found nothing",
                     "Ana Author submitted revision 2 for review",
                     "Screening found nothing in revision 2",
                     "Revision 2 went to the committee's review queue",
                     "Carla Chair approved revision 2",
                     "Revision 2 has the committee's approval (1 of 1 approvals): it may be scheduled"):
        assert sentence in history, (sentence, history)
    assert "(America/New_York)" in history and "ana@example.org" not in history
    assert "draft.submit" not in history


def test_every_draft_action_has_a_sentence():
    from onevoice.web.pages import draft_history

    events = ["draft.create", "draft.edit", "draft.submit", "draft.screen", "draft.open_review", "draft.approve",
              "draft.override", "draft.schedule", "draft.reschedule", "draft.unschedule", "draft.start_publishing",
              "draft.published", "outbox.retry", "outbox.failed", "draft.retract_requested", "draft.retracted"]
    events += [f"draft.review.{v}" for v in ("approve", "request_changes", "reject")]
    assert set(events) <= set(draft_history.SENTENCES)


# --- the review queue ---------------------------------------------------------------------------

def _in_review(system, ids, texts_and_ages):
    made = []
    with system.db.transaction() as s:
        ana = members.actor_for(members.get_member(s, "ana@example.org"))
        for text, age in texts_and_ages:
            d = workflow.create_draft(s, ana, ids["masto"], text)
            workflow.submit(s, ana, d.id, system.screening)
            made.append((d.id, age))
    with system.db.transaction() as s:  # as if they had been waiting that long
        for draft_id, age in made:
            s.execute(update(AuditEvent).where(AuditEvent.object_id == str(draft_id),
                                               AuditEvent.action == "draft.open_review")
                      .values(at=datetime.now(timezone.utc) - age))
    return [d for d, _ in made]


def test_the_review_queue_shows_author_channel_age_and_findings_oldest_first(org):
    system, ids = org
    fresh, old, older = _in_review(system, ids, [(CLEAN, timedelta(minutes=5)), (PHONE, timedelta(hours=3, minutes=10)),
                                                 ("Webinar on Friday.", timedelta(days=2, hours=1))])
    r = signed_in_client(system, "rui@example.org").get("/review", headers=HTML)
    assert r.status_code == 200
    rows = re.findall(r"<tr>\s*<td><a href=\"/drafts/(\d+)\">.*?</tr>", r.text, re.S)
    assert [int(i) for i in rows] == [older, old, fresh], "oldest first"
    row = text_of(re.search(rf'<tr>\s*<td><a href="/drafts/{old}">.*?</tr>', r.text, re.S).group(0))
    assert "Ana Author" in row and "ipala" in row and "3 h" in row and "1 finding 1 block" in row
    older_row = text_of(re.search(rf'<tr>\s*<td><a href="/drafts/{older}">.*?</tr>', r.text, re.S).group(0))
    assert "2 days" in older_row and "5 min" in text_of(r.text)
    for header in ("Author", "Channel", "Waiting", "Findings"):
        assert f'<th scope="col">{header}</th>' in r.text


def test_the_review_queue_is_the_committees(org):
    system, _ = org
    r = signed_in_client(system, "ana@example.org").get("/review", headers=HTML)
    assert r.status_code == 403 and "committee" in text_of(r.text).lower()


def test_reject_asks_for_confirmation_first(org):
    system, ids = org
    [draft_id] = _in_review(system, ids, [(CLEAN, timedelta(hours=1))])
    rui = signed_in_client(system, "rui@example.org")
    r = post(rui, f"/drafts/{draft_id}/reject", comment="Off-topic for the channel.")
    assert r.status_code == 200 and "Reject draft" in r.text and "cannot edit or resubmit" in text_of(r.text)
    assert 'name="confirmed" value="yes"' in r.text and "Off-topic for the channel." in r.text
    with system.db.reader() as s:
        assert s.get(Draft, draft_id).state == "in_review", "the first step changes nothing"
    r = post(rui, f"/drafts/{draft_id}/reject", comment="Off-topic for the channel.", confirmed="yes")
    assert r.status_code == 303
    with system.db.reader() as s:
        assert s.get(Draft, draft_id).state == "rejected"


def test_a_confirmed_reject_without_a_reason_comes_back_to_the_second_step(org):
    system, ids = org
    [draft_id] = _in_review(system, ids, [(CLEAN, timedelta(hours=1))])
    r = post(signed_in_client(system, "rui@example.org"), f"/drafts/{draft_id}/reject", comment="", confirmed="yes")
    assert r.status_code == 422 and "comment is required" in text_of(r.text) and "Reject draft" in r.text


def test_override_asks_for_confirmation_first(org):
    system, ids = org
    [draft_id] = _in_review(system, ids, [(PHONE, timedelta(hours=1))])
    chair = signed_in_client(system, "chair@example.org")
    page = chair.get(f"/drafts/{draft_id}", headers=HTML).text
    assert "Override block findings" in page
    reason = "The officer asked us to publish this number; consent on file."
    r = post(chair, f"/drafts/{draft_id}/override", reason=reason)
    assert r.status_code == 200 and "2.a Respect privacy and confidentiality" in text_of(r.text)
    with system.db.reader() as s:
        assert s.get(Draft, draft_id).override_reason is None
    assert post(chair, f"/drafts/{draft_id}/override", reason=reason, confirmed="yes").status_code == 303
    with system.db.reader() as s:
        assert s.get(Draft, draft_id).override_reason == reason


# --- the list of drafts -------------------------------------------------------------------------

def test_the_drafts_list_is_paged_and_keeps_its_filter(org):
    system, ids = org
    with system.db.transaction() as s:
        ana = members.actor_for(members.get_member(s, "ana@example.org"))
        made = [workflow.create_draft(s, ana, ids["masto"], f"Webinar number {n}.").id for n in range(120)]
    rui = signed_in_client(system, "rui@example.org")
    first = rui.get("/drafts", headers=HTML).text
    rows = [int(i) for i in re.findall(r'<tr>\s*<td><a href="/drafts/(\d+)">', first)]
    assert rows == sorted(made, reverse=True)[:50], "newest first, 50 a page"
    assert "1–50 of 120" in text_of(first) and 'href="/drafts?page=2"' in first
    last = rui.get("/drafts?state=draft&page=3", headers=HTML).text
    assert len(re.findall(r'<tr>\s*<td><a href="/drafts/', last)) == 20
    assert 'href="/drafts?state=draft&amp;page=2"' in last, "the filter is kept in the page links"
    bad = rui.get("/drafts?state=nonsense", headers=HTML)
    assert bad.status_code == 200 and "unknown state" in text_of(bad.text)


# --- the pages' policy --------------------------------------------------------------------------

def test_no_draft_page_has_inline_script_or_style(org):
    """The pages' Content-Security-Policy runs no inline script and applies no inline style."""
    from tests.security.test_headers import InlineCode

    system, ids = org
    [draft_id] = _in_review(system, ids, [(PHONE, timedelta(hours=1))])
    ana, chair = signed_in_client(system, "ana@example.org"), signed_in_client(system, "chair@example.org")
    pages = {"/drafts/new": ana.get("/drafts/new", headers=HTML), "/drafts": ana.get("/drafts", headers=HTML),
             "draft (author)": ana.get(f"/drafts/{draft_id}", headers=HTML),
             "draft (chair)": chair.get(f"/drafts/{draft_id}", headers=HTML),
             "/review": chair.get("/review", headers=HTML),
             "checked": compose(ana, channel=str(ids["masto"]), text=PHONE, action="check"),
             "confirm": post(chair, f"/drafts/{draft_id}/reject", comment="No."),
             "fragment": post(ana, "/drafts/check", channel=str(ids["masto"]), text=PHONE)}
    for name, r in pages.items():
        parser = InlineCode()
        parser.feed(r.text)
        assert r.status_code == 200 and parser.found == [], (name, r.status_code, parser.found[:5])
        assert "script-src 'self'" in r.headers["content-security-policy"], name
