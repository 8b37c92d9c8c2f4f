"""An authorized member reads the comments (and, were they let in, the incidents) of the channels
they are authorized on, never another channel's (1., 3.); the committee reads every channel.
The rule lives in `permissions.visible_channels`; here it is checked on the service, the pages
and the CLI. The API's lists are checked in test_permission_matrix.py."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from onevoice.crisis import inbox, incidents, intake
from onevoice.errors import NotFound
from onevoice.governance import auth, channels, members
from onevoice.governance.permissions import SYSTEM, Action, Actor, PermissionDenied, Role, visible_channels
from onevoice.web.app import create_app
from onevoice.web.deps import SESSION_COOKIE

OURS = "Why was my registration refused again? Ours-channel complaint."
THEIRS = "Your post showed a patient's name and X-ray. Theirs-channel privacy breach."


@pytest.fixture
def two_channels(system):
    """Two channels, each with an escalated comment and its incident; Ana is authorized on the first."""
    with system.db.transaction() as s:
        ours = channels.add_channel(s, SYSTEM, system.box, "mastodon", "ours", base_url="http://127.0.0.1:9")
        theirs = channels.add_channel(s, SYSTEM, system.box, "bluesky", "theirs.test")
        members.add_member(s, SYSTEM, "ana@example.org", "Ana", "a long password")
        members.grant_role(s, SYSTEM, "ana@example.org", "authorized", ours)
        members.add_member(s, SYSTEM, "cm@example.org", "Committee", "a long password", ("committee",))
        ids = {"ours": ours.id, "theirs": theirs.id}
    for name, text in (("ours", OURS), ("theirs", THEIRS)):
        result = intake.ingest(system.db, ids[name], [{"id": f"{name}-1", "text": text, "author_followers": 20000}],
                               "import", system.settings)
        ids[f"{name}_incident"] = result.incidents[0]
    return ids


def actor(system, email: str) -> Actor:
    with system.db.reader() as s:
        return members.actor_for(members.get_member(s, email))


def test_the_rule_scopes_authorized_members_and_not_the_committee():
    ana = Actor(1, "ana", frozenset({Role.MEMBER, Role.AUTHORIZED}), frozenset({7}))
    assert visible_channels(ana, Action.COMMENT_VIEW) == {7}
    for role in (Role.COMMITTEE, Role.VICE_CHAIR, Role.CHAIR):
        both = Actor(2, "c", frozenset({Role.MEMBER, Role.AUTHORIZED, role, Role.COMMITTEE}), frozenset({7}))
        assert visible_channels(both, Action.COMMENT_VIEW) is None
    assert visible_channels(SYSTEM, Action.COMMENT_VIEW) is None
    with pytest.raises(PermissionDenied):  # a view the member may not have at all stays refused
        visible_channels(ana, Action.INCIDENT_MANAGE)


def test_the_inbox_service_shows_a_member_their_channels_only(system, two_channels):
    ana, committee = actor(system, "ana@example.org"), actor(system, "cm@example.org")
    with system.db.reader() as s:
        assert {c.channel_id for c in inbox.list_comments(s, ana)} == {two_channels["ours"]}
        assert inbox.list_comments(s, ana, channel_id=two_channels["theirs"]) == []
        every = {c.channel_id for c in inbox.list_comments(s, committee)}
        assert every == {two_channels["ours"], two_channels["theirs"]}


def test_incident_views_follow_the_same_rule(system, two_channels):
    committee = actor(system, "cm@example.org")
    # a committee member who is also authorized on one channel still sees every channel's incidents
    scoped_by_mistake = Actor(committee.member_id, committee.label, committee.roles | {Role.AUTHORIZED},
                              frozenset({two_channels["ours"]}))
    with system.db.reader() as s:
        assert len(incidents.list_incidents(s, scoped_by_mistake)) == 2
        theirs = two_channels["theirs_incident"]
        assert incidents.view_incident(s, committee, theirs).id == theirs
        with pytest.raises(PermissionDenied):
            incidents.list_incidents(s, actor(system, "ana@example.org"))


def test_view_incident_hides_another_channels_incident(system, two_channels, monkeypatch):
    """Were authorized members let into incidents, they would get their own channel's only."""
    from onevoice.governance import permissions

    table = dict(permissions.PERMISSIONS)
    table[Action.INCIDENT_MANAGE] = permissions.Permission(frozenset({Role.COMMITTEE, Role.AUTHORIZED}), permissions.Scope.REVIEW)
    monkeypatch.setattr(permissions, "PERMISSIONS", table)
    ana = actor(system, "ana@example.org")
    with system.db.reader() as s:
        assert [i.id for i in incidents.list_incidents(s, ana)] == [two_channels["ours_incident"]]
        assert incidents.view_incident(s, ana, two_channels["ours_incident"]).channel_id == two_channels["ours"]
        with pytest.raises(NotFound):
            incidents.view_incident(s, ana, two_channels["theirs_incident"])


def signed_in(system, email: str) -> TestClient:
    client = TestClient(create_app(system, scheduler=False), raise_server_exceptions=False)
    with system.db.transaction() as s:
        secret, _ = auth.start_session(s, members.get_member(s, email), 8)
    client.cookies.set(SESSION_COOKIE, secret)
    return client


def test_the_inbox_page_shows_a_member_their_channels_only(system, two_channels):
    page = signed_in(system, "ana@example.org").get("/inbox", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "Ours-channel complaint" in page.text and "Theirs-channel" not in page.text
    page = signed_in(system, "ana@example.org").get("/inbox?escalated=1", headers={"accept": "text/html"})
    assert "Ours-channel complaint" in page.text and "Theirs-channel" not in page.text
    page = signed_in(system, "cm@example.org").get("/inbox", headers={"accept": "text/html"})
    assert "Ours-channel complaint" in page.text and "Theirs-channel" in page.text


def test_the_incident_pages_stay_with_the_committee(system, two_channels):
    ana, committee = signed_in(system, "ana@example.org"), signed_in(system, "cm@example.org")
    html = {"accept": "text/html"}
    assert ana.get("/incidents", headers=html).status_code == 403
    assert ana.get(f"/incidents/{two_channels['theirs_incident']}", headers=html).status_code == 403
    board = committee.get("/incidents", headers=html).text
    assert f"#{two_channels['ours_incident']}" in board and f"#{two_channels['theirs_incident']}" in board
    assert "Theirs-channel" in committee.get(f"/incidents/{two_channels['theirs_incident']}", headers=html).text


def test_the_cli_lists_follow_the_member(system, two_channels, monkeypatch):
    from onevoice.cli import app, base

    monkeypatch.setattr(base, "_system", system)
    runner = CliRunner()
    mine = runner.invoke(app, ["comments", "list", "--as", "ana@example.org"])
    assert mine.exit_code == 0, mine.output
    assert "Ours-channel" in mine.output and "Theirs-channel" not in mine.output
    everything = runner.invoke(app, ["comments", "list", "--as", "cm@example.org"])
    assert "Ours-channel" in everything.output and "Theirs-channel" in everything.output
    refused = runner.invoke(app, ["incident", "show", str(two_channels["theirs_incident"]), "--as", "ana@example.org"])
    assert refused.exit_code != 0 and "error:" in refused.output  # it printed any incident to anyone before
    shown = runner.invoke(app, ["incident", "show", str(two_channels["theirs_incident"]), "--as", "cm@example.org"])
    assert shown.exit_code == 0 and f'"id": {two_channels["theirs_incident"]}' in shown.output
    listed = runner.invoke(app, ["incident", "list", "--as", "cm@example.org"])
    assert listed.exit_code == 0 and listed.output.count("\n") >= 2
