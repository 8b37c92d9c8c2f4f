"""The inbox page (3.) through a TestClient signed in with the form: paged, filtered with a
button, each comment with its facts in words, and the actions -- reply, assign, snooze, mark
handled, reopen -- done from the page, refused on it with the service's own words."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from onevoice.governance import channels, members
from onevoice.governance.permissions import SYSTEM
from onevoice.store.models import Comment, Draft, Incident
from onevoice.web.app import create_app
from tests.policy_helpers import acknowledge_in

from .signin import csrf, signed_in_client

PASSWORD = "a long password 1"
HTML = {"accept": "text/html"}
NOW = datetime.now(timezone.utc)


@pytest.fixture
def org(sqlite_system):
    system = sqlite_system
    with system.db.transaction() as s:
        ours = channels.add_channel(s, SYSTEM, system.box, "mastodon", "ours", base_url="http://127.0.0.1:9")
        theirs = channels.add_channel(s, SYSTEM, system.box, "bluesky", "theirs.test")
        members.add_member(s, SYSTEM, "rita@example.org", "Rita Responder", PASSWORD, ("committee",))
        members.add_member(s, SYSTEM, "cleo@example.org", "Cleo Committee", PASSWORD, ("committee",))
        members.add_member(s, SYSTEM, "ana@example.org", "Ana Author", PASSWORD)
        members.grant_role(s, SYSTEM, "rita@example.org", "authorized", ours)
        members.grant_role(s, SYSTEM, "ana@example.org", "authorized", ours)
        acknowledge_in(s)  # the members have read the policy in force (1.)
        incident = Incident(title="complaint: registration refused", type="complaint", severity=2, state="open",
                            channel_id=ours.id, opened_at=NOW, escalation_level=0, crisis_mode=False, checklist=[])
        s.add(incident)
        s.flush()
        ids = {"ours": ours.id, "theirs": theirs.id, "incident": incident.id,
               "rita": members.get_member(s, "rita@example.org").id}
    return system, ids


def add(system, channel_id, n, **kw) -> int:
    fields = dict(channel_id=channel_id, platform_id=f"p{channel_id}-{n}", kind="reply", author=f"@person{n}.example",
                  author_followers=1234 * n, text=f"Comment {n}: when does registration open?",
                  received_at=NOW - timedelta(hours=200 - n), source="import", category="question", severity=0,
                  escalate=False, handled=False)
    fields.update(kw)
    with system.db.transaction() as s:
        c = Comment(**fields)
        s.add(c)
        s.flush()
        return c.id






def items(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<li class="inbox-item[^"]*" id="comment-(\d+)"', html)]


def act(c: TestClient, comment_id: int, back="/inbox", **fields):
    token = csrf(c.get("/inbox", headers=HTML).text)
    return c.post(f"/inbox/{comment_id}", data={"csrf_token": token, "back": back, **fields}, headers=HTML,
                  follow_redirects=False)


def test_fifty_a_page_newest_first_with_the_filters_kept(org):
    system, ids = org
    made = [add(system, ids["ours"] if n % 2 else ids["theirs"], n,
                category="complaint" if n % 3 == 0 else "question") for n in range(1, 71)]
    rita = signed_in_client(system, "rita@example.org")
    first = rita.get("/inbox", headers=HTML)
    assert first.status_code == 200
    assert items(first.text) == list(reversed(made))[:50]
    assert "70 comments match, newest first." in first.text
    assert 'href="/inbox?state=open&amp;page=2" rel="next"' in first.text
    assert items(rita.get("/inbox?page=2", headers=HTML).text) == list(reversed(made))[50:]

    url = f"/inbox?state=all&channel={ids['ours']}&category=complaint&severity="
    filtered = rita.get(url, headers=HTML).text
    expected = [i for n, i in zip(range(1, 71), made) if n % 2 and n % 3 == 0]
    assert items(filtered) == list(reversed(expected))
    # the form shows the filters chosen, and is sent with its button (WCAG 3.2.2: nothing on change)
    assert f'<option value="{ids["ours"]}" selected>' in filtered and '<option value="complaint" selected>' in filtered
    assert "onchange" not in filtered and '<button type="submit">Filter</button>' in filtered

    many = [add(system, ids["ours"], 100 + n, category="spam") for n in range(60)]
    spam = rita.get("/inbox?category=spam", headers=HTML).text
    assert len(items(spam)) == 50 and 'href="/inbox?state=open&amp;category=spam&amp;page=2"' in spam
    assert items(rita.get("/inbox?category=spam&page=2", headers=HTML).text) == list(reversed(many))[50:]


def test_each_comment_shows_its_facts_in_words(org):
    system, ids = org
    cid = add(system, ids["ours"], 7, category="complaint", severity=2, escalate=True, incident_id=ids["incident"],
              assigned_to=ids["rita"], url="https://example.social/@person7/7",
              text="My registration was refused again <script>alert(1)</script>")
    html = signed_in_client(system, "cleo@example.org").get("/inbox", headers=HTML).text
    card = html[html.index(f'id="comment-{cid}"'):]
    assert "@person7.example" in card and "8,638 followers" in card
    assert "Category: complaint" in card and "Severity 2 of 3: serious" in card and "Escalated" in card
    assert "&lt;script&gt;" in card and "<script>alert" not in card
    assert re.search(r"<time datetime=\"[^\"]+\">\w{3} \d{1,2} \w{3}( \d{4})?, \d\d:\d\d \(UTC\)</time>", card)
    assert "193 h ago" in card or "8 days ago" in card
    link = f'<a href="/incidents/{ids["incident"]}">#{ids["incident"]} complaint: registration refused</a> (open)'
    assert link in card
    assert "Assigned to: <strong>Rita Responder</strong>" in card
    assert 'href="https://example.social/@person7/7"' in card


def test_assign_snooze_handle_and_reopen_from_the_page(org):
    system, ids = org
    cid = add(system, ids["ours"], 1)
    cleo = signed_in_client(system, "cleo@example.org")
    page = cleo.get("/inbox", headers=HTML).text
    assert '<option value="%d">Rita Responder</option>' % ids["rita"] in page

    back = f"/inbox?state=open&channel={ids['ours']}"
    r = act(cleo, cid, back, action="assign", member_id=str(ids["rita"]))
    assert r.status_code == 303 and r.headers["location"].startswith(back + "&flash=")
    shown = cleo.get(r.headers["location"], headers=HTML).text
    assert f"Comment {cid}: Assigned." in shown and "Assigned to: <strong>Rita Responder</strong>" in shown
    assert items(signed_in_client(system, "rita@example.org").get("/inbox?state=mine", headers=HTML).text) == [cid]

    r = act(cleo, cid, until="4h")
    assert r.status_code == 303 and "for%204%20hours" in r.headers["location"]
    assert items(cleo.get("/inbox", headers=HTML).text) == []
    snoozed = cleo.get("/inbox?state=snoozed", headers=HTML).text
    assert items(snoozed) == [cid] and "Snoozed until" in snoozed and "Wake now" in snoozed

    assert act(cleo, cid, action="wake").status_code == 303
    assert items(cleo.get("/inbox", headers=HTML).text) == [cid]
    assert act(cleo, cid, until="tomorrow").status_code == 303
    with system.db.reader() as s:
        until = s.get(Comment, cid).snoozed_until
    assert (until.hour, until.minute) == (9, 0) and until.date() == (NOW + timedelta(days=1)).date()  # UTC viewer

    assert act(cleo, cid, action="handled").status_code == 303
    handled = cleo.get("/inbox?state=handled", headers=HTML).text
    assert items(handled) == [cid] and ">Reopen</button>" in handled and "Snooze for" not in handled
    assert act(cleo, cid, action="reopen").status_code == 303
    assert items(cleo.get("/inbox", headers=HTML).text) == [cid]


def test_reply_from_the_inbox_lands_in_the_review_queue(org):
    system, ids = org
    cid = add(system, ids["ours"], 3, incident_id=ids["incident"])
    rita = signed_in_client(system, "rita@example.org")
    r = act(rita, cid, action="reply", text="Registration opens on Monday: see ipala.org/join.")
    assert r.status_code == 303
    draft_id = int(re.match(r"/drafts/(\d+)\?flash=", r.headers["location"]).group(1))
    with system.db.reader() as s:
        d = s.get(Draft, draft_id)
        assert (d.kind, d.state, d.reply_to["id"], d.incident_id) == ("reply", "in_review", f"p{ids['ours']}-3",
                                                                     ids["incident"])
    assert f"/drafts/{draft_id}" in signed_in_client(system, "cleo@example.org").get("/review", headers=HTML).text


def test_refusals_are_shown_on_the_page(org):
    system, ids = org
    ours, theirs = add(system, ids["ours"], 1), add(system, ids["theirs"], 2)
    cleo, ana = signed_in_client(system, "cleo@example.org"), signed_in_client(system, "ana@example.org")
    # Cleo is on the committee but not authorized on the channel: no reply box, a reason instead
    page = cleo.get("/inbox", headers=HTML).text
    assert f'id="reply-{ours}"' not in page and "Only an authorized member of ours may reply on it" in page
    r = act(cleo, ours, action="reply", text="Thanks!")
    assert r.status_code == 422
    assert f"Comment {ours}: only an authorized member of ours replies on it" in unescape(r.text)
    assert act(cleo, ours, until="1h").status_code == 303
    r = act(cleo, ours, until="soon")
    assert r.status_code == 422 and "snooze for 1 hour, for 4 hours, until tomorrow 09:00" in r.text
    r = act(cleo, 987654, action="handled")
    assert r.status_code == 422 and "no comment 987654" in r.text
    r = act(cleo, ours, action="assign", member_id="x")
    assert r.status_code == 422 and "choose a committee member" in r.text

    # Ana, authorized on "ours", sees only its comments, may reply there, may not assign
    page = ana.get("/inbox?state=all", headers=HTML).text
    assert items(page) == [ours] and f'id="reply-{ours}"' in page and 'name="member_id"' not in page
    assert "The committee assigns, snoozes and marks comments handled." in page
    assert 'href="/incidents/' not in page
    r = act(ana, ours, action="handled")
    assert r.status_code == 422 and "Only a committee member may do this (3.: the committee handles complaints and crises)" in r.text
    r = act(ana, theirs, action="reply", text="Thanks!")
    assert r.status_code == 422 and f"no comment {theirs}" in r.text
    with system.db.reader() as s:
        assert s.scalar(select(Draft.id)) is None and s.get(Comment, ours).handled is False


def test_forms_need_the_token_and_return_only_to_the_inbox(org):
    system, ids = org
    cid = add(system, ids["ours"], 1)
    cleo = signed_in_client(system, "cleo@example.org")
    r = cleo.post(f"/inbox/{cid}", data={"action": "handled"}, headers=HTML, follow_redirects=False)
    assert r.status_code == 403
    for back in ("https://evil.example/inbox", "//evil.example/inbox", "/drafts"):
        r = act(cleo, cid, back, action="handled" if back == "/drafts" else "reopen")
        assert r.status_code in (303, 422)
        if r.status_code == 303:
            assert r.headers["location"].startswith("/inbox?flash=")


def test_a_bad_filter_says_so_and_shows_the_open_list(org):
    system, ids = org
    cid = add(system, ids["ours"], 1)
    r = signed_in_client(system, "cleo@example.org").get("/inbox?state=later&severity=9", headers=HTML)
    assert r.status_code == 200 and "must be one of: open" in r.text and items(r.text) == [cid]
    assert signed_in_client(system, "cleo@example.org").get("/inbox?escalated=1", headers=HTML).status_code == 200


def test_the_api_does_the_same(org):
    system, ids = org
    cid = add(system, ids["ours"], 1)
    api = TestClient(create_app(system, scheduler=False))
    token = {"Authorization": "Bearer " + api.post("/api/v1/tokens", json={"email": "cleo@example.org",
                                                                           "password": PASSWORD}).json()["token"]}
    rita = {"Authorization": "Bearer " + api.post("/api/v1/tokens", json={"email": "rita@example.org",
                                                                          "password": PASSWORD}).json()["token"]}
    r = api.post(f"/api/v1/comments/{cid}/assign", json={"member_id": ids["rita"]}, headers=token)
    assert r.status_code == 200 and r.json()["assigned_to"] == ids["rita"]
    until = (NOW + timedelta(hours=2)).isoformat()
    assert api.post(f"/api/v1/comments/{cid}/snooze", json={"until": until}, headers=token).json()["snoozed_until"]
    r = api.post(f"/api/v1/comments/{cid}/snooze", json={"until": "2020-01-01T00:00:00Z"}, headers=token)
    assert r.status_code == 422 and "future" in r.json()["detail"]
    assert [c["id"] for c in api.get("/api/v1/comments?state=snoozed", headers=token).json()] == [cid]
    assert api.get("/api/v1/comments?state=open", headers=token).json() == []
    assert api.post(f"/api/v1/comments/{cid}/handled", json={"handled": True}, headers=token).json()["handled"]
    r = api.post(f"/api/v1/comments/{cid}/replies", json={"text": "Thanks!"}, headers=token)
    assert r.status_code == 403 and "authorized member of ours" in r.json()["detail"]
    r = api.post(f"/api/v1/comments/{cid}/replies", json={"text": "Thanks, see ipala.org."}, headers=rita)
    assert r.status_code == 201
    assert api.get(f"/api/v1/drafts/{r.json()['draft_id']}", headers=rita).json()["kind"] == "reply"
    assert api.post("/api/v1/comments/999999/handled", json={"handled": True}, headers=token).status_code == 404


def test_the_api_filters_and_pages_the_same_way(org):
    system, ids = org
    made = [add(system, ids["ours"], n, category="complaint" if n % 2 else "question", severity=n % 4)
            for n in range(1, 11)]
    api = TestClient(create_app(system, scheduler=False))
    token = {"Authorization": "Bearer " + api.post("/api/v1/tokens", json={"email": "cleo@example.org",
                                                                           "password": PASSWORD}).json()["token"]}
    def listed(query):
        r = api.get("/api/v1/comments?" + query, headers=token)
        assert r.status_code == 200, r.text
        return [c["id"] for c in r.json()]

    newest = list(reversed(made))
    assert listed("") == newest and listed("limit=4&page=2") == newest[4:8]
    assert listed("category=complaint") == [i for n, i in zip(range(1, 11), made) if n % 2][::-1]
    assert listed("min_severity=3") == [i for n, i in zip(range(1, 11), made) if n % 4 == 3][::-1]
    assert listed("state=handled") == []
    r = api.get("/api/v1/comments?state=later", headers=token)
    assert r.status_code == 422 and "must be one of: open" in r.json()["detail"]
    r = api.get("/api/v1/comments?limit=500&page=21", headers=token)
    assert r.status_code == 422 and "narrow the filters" in r.json()["detail"]
