"""Every API endpoint x every role, each with a valid request: a role the permission table forbids
gets 403 (404 where the API hides that a thing exists), a role it allows is never turned away,
and nobody gets a server error. The expected answer comes from `permissions.allowed`, so the
table and the API cannot drift apart; a new endpoint missing from ROUTES fails the first test."""
from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from onevoice.crisis import intake
from onevoice.governance import auth, channels, members
from onevoice.governance.permissions import SYSTEM, Action as A, allowed
from onevoice.monitoring import campaigns, kpis, report
from onevoice.publishing import workflow
from onevoice.store.models import Comment
from onevoice.web.app import create_app
from tests.policy_helpers import acknowledge_in

PASSWORD = "a long password"
ROLES = {"member": (), "authorized": (), "committee": ("committee",), "vice_chair": ("vice_chair",),
         "chair": ("chair",), "admin": ("admin",)}
PUBLIC = "public"        # no sign-in: the signed webhook, sign-in itself, tracked links, health
SIGNED_IN = "signed in"  # any member
PLAYBOOK = (Path(__file__).resolve().parents[2] / "onevoice" / "crisis" / "playbooks" / "complaint.yaml").read_text()


def own_draft(then: A | None = None):
    """The draft's author (the authorized member), or whoever `then` allows."""
    return lambda role, actor: role == "authorized" or (then is not None and allowed(actor, then))


# (method, path): (who may, body, the answer a forbidden role gets)
ROUTES = {
    ("post", "/api/v1/screen"): (A.SCREEN_TEXT, {"text": "Join our webinar on Friday.", "kind": "official"}, 403),
    ("post", "/api/v1/drafts"): (A.DRAFT_CREATE, {"channel": 1, "text": "Join our webinar on Friday."}, 403),
    ("get", "/api/v1/drafts"): (SIGNED_IN, None, 403),
    ("get", "/api/v1/drafts/{draft_id}"): (own_draft(A.DRAFT_VIEW_ALL), None, 404),
    ("patch", "/api/v1/drafts/{draft_id}"): (own_draft(), {"text": "Join our webinar on Monday."}, 403),
    ("post", "/api/v1/drafts/{draft_id}/submit"): (own_draft(), None, 403),
    ("post", "/api/v1/drafts/{draft_id}/reviews"): (A.DRAFT_REVIEW, {"verdict": "approve"}, 403),
    ("post", "/api/v1/drafts/{draft_id}/override"): (A.DRAFT_OVERRIDE_BLOCK, {"reason": "the number is our office's"}, 403),
    ("post", "/api/v1/drafts/{draft_id}/schedule"): (own_draft(A.DRAFT_REVIEW), {}, 403),
    ("post", "/api/v1/drafts/{draft_id}/retract"): (own_draft(A.DRAFT_RETRACT), {"reason": "posted twice"}, 403),
    ("post", "/api/v1/publish/due"): (A.PUBLISH_RUN, None, 403),
    ("post", "/api/v1/channels/{channel_id}/inbound"): (PUBLIC, None, 401),
    ("post", "/api/v1/channels/{channel_id}/comments"): (A.COMMENT_IMPORT, [{"id": "m-{role}", "text": "Thanks!"}], 403),
    ("get", "/api/v1/comments"): (A.COMMENT_VIEW, None, 403),
    ("post", "/api/v1/comments/{comment_id}/assign"): (A.INCIDENT_MANAGE, {"member_id": 3}, 403),
    ("post", "/api/v1/comments/{comment_id}/snooze"): (A.INCIDENT_MANAGE, {"until": None}, 403),
    ("post", "/api/v1/comments/{comment_id}/handled"): (A.INCIDENT_MANAGE, {"handled": True}, 403),
    ("post", "/api/v1/comments/{comment_id}/replies"): (
        lambda role, actor: allowed(actor, A.DRAFT_SUBMIT, channel_id=1), {"text": "Thanks: see ipala.org/events."}, 403),
    ("get", "/api/v1/inbound/failed"): (A.CHANNEL_MANAGE, None, 403),
    ("post", "/api/v1/inbound/failed/{batch_id}/retry"): (A.CHANNEL_MANAGE, None, 403),
    ("delete", "/api/v1/inbound/failed/{batch_id}"): (A.CHANNEL_MANAGE, None, 403),
    ("get", "/api/v1/incidents"): (A.INCIDENT_MANAGE, None, 403),
    ("get", "/api/v1/incidents/{incident_id}"): (A.INCIDENT_MANAGE, None, 403),
    ("post", "/api/v1/incidents/{incident_id}/acknowledge"): (A.INCIDENT_MANAGE, None, 403),
    ("post", "/api/v1/incidents/{incident_id}/respond"): (A.INCIDENT_MANAGE, {"text": "on it"}, 403),
    ("post", "/api/v1/incidents/{incident_id}/resolve"): (A.INCIDENT_MANAGE, {"text": "answered"}, 403),
    ("post", "/api/v1/incidents/{incident_id}/notes"): (A.INCIDENT_MANAGE, {"text": "a note"}, 403),
    ("post", "/api/v1/incidents/{incident_id}/checklist/{step}"): (A.INCIDENT_MANAGE, {"done": True}, 403),
    ("post", "/api/v1/incidents/{incident_id}/crisis-mode"): (A.INCIDENT_MANAGE, {"on": False}, 403),
    ("post", "/api/v1/incidents/{incident_id}/responses"): (A.INCIDENT_MANAGE, {"text": "We are looking into it."}, 403),
    # The fast track and a pre-approval proposal post on the channel: the role, and authorized on it (1.).
    ("post", "/api/v1/incidents/{incident_id}/fast-track"): (
        lambda role, actor: allowed(actor, A.INCIDENT_FAST_TRACK) and allowed(actor, A.DRAFT_SUBMIT, channel_id=1),
        {"response": "acknowledge-and-route"}, 403),
    ("get", "/api/v1/playbooks"): (A.INCIDENT_MANAGE, None, 403),
    ("put", "/api/v1/playbooks"): (A.PLAYBOOK_EDIT, {"source": PLAYBOOK}, 403),
    ("post", "/api/v1/playbooks/{playbook}/responses/{response}/pre-approvals"): (
        lambda role, actor: allowed(actor, A.PLAYBOOK_EDIT) and allowed(actor, A.DRAFT_SUBMIT, channel_id=1),
        {"channel": 1}, 403),
    ("post", "/api/v1/tokens"): (PUBLIC, {"email": "{role}@example.org", "password": PASSWORD}, 401),
    ("post", "/api/v1/me/tokens"): (A.TOKEN_MANAGE_OWN, {"name": "second"}, 403),
    ("get", "/api/v1/me/tokens"): (A.TOKEN_MANAGE_OWN, None, 403),
    ("delete", "/api/v1/me/tokens/{token_id}"): (A.TOKEN_MANAGE_OWN, None, 403),
    ("get", "/api/v1/me"): (SIGNED_IN, None, 403),
    ("post", "/api/v1/me/password"): (A.PASSWORD_CHANGE_OWN, {"current_password": PASSWORD,
                                                              "new_password": "a new long password"}, 403),
    ("get", "/api/v1/members"): (A.MEMBER_LIST, None, 403),
    ("post", "/api/v1/members"): (A.MEMBER_ADD, {"email": "new-{role}@example.org", "name": "New"}, 403),
    ("post", "/api/v1/members/{member_id}/roles"): (A.ROLE_GRANT, {"role": "committee"}, 403),
    ("delete", "/api/v1/members/{member_id}/roles/{role}"): (A.ROLE_REVOKE, None, 403),
    ("post", "/api/v1/members/{member_id}/password-reset"): (A.MEMBER_PASSWORD_RESET, None, 403),
    ("post", "/api/v1/members/{member_id}/deactivate"): (A.MEMBER_DEACTIVATE, None, 403),
    ("post", "/api/v1/members/{member_id}/reactivate"): (A.MEMBER_DEACTIVATE, None, 403),
    ("get", "/api/v1/channels"): (A.CHANNEL_LIST, None, 403),
    ("post", "/api/v1/channels"): (A.CHANNEL_MANAGE, {"platform": "bluesky", "handle": "h-{role}.test"}, 403),
    ("get", "/api/v1/audit"): (A.AUDIT_VIEW, None, 403),
    ("get", "/api/v1/audit/verify"): (A.AUDIT_VIEW, None, 403),
    ("get", "/api/v1/metrics/summary?period=2026-07"): (A.METRICS_VIEW, None, 403),
    ("get", "/api/v1/metrics/posts?period=2026-07"): (A.METRICS_VIEW, None, 403),
    ("get", "/api/v1/metrics/posts/{draft_id}/samples"): (A.METRICS_VIEW, None, 403),
    ("get", "/api/v1/metrics/channels/{channel_id}/followers"): (A.METRICS_VIEW, None, 403),
    ("get", "/api/v1/reports"): (A.METRICS_VIEW, None, 403),
    ("post", "/api/v1/reports"): (A.REPORT_RUN, {"period": "2026-07"}, 403),
    ("get", "/api/v1/reports/{period}"): (A.METRICS_VIEW, None, 403),
    ("get", "/api/v1/reports/files/{name}"): (A.METRICS_VIEW, None, 403),
    ("get", "/api/v1/campaigns"): (A.METRICS_VIEW, None, 403),
    ("post", "/api/v1/campaigns"): (A.REPORT_RUN, {"slug": "c-{role}", "name": "C", "starts_at": "2026-01-01T00:00:00Z",
                                                   "ends_at": "2026-12-31T00:00:00Z", "goal_metric": "clicks",
                                                   "goal_target": 10}, 403),
    ("post", "/api/v1/campaigns/{campaign_id}/links"): (A.REPORT_RUN, {"target_url": "https://ipala.org/"}, 403),
    ("get", "/api/v1/policy/acknowledgements"): (A.MEMBER_LIST, None, 403),
    # every member may acknowledge; the version named is not the active one, so each gets a 409 and nobody a 403
    ("post", "/api/v1/policy/acknowledgements"): (A.POLICY_ACKNOWLEDGE, {"version_id": 999999, "confirm": True}, 403),
    ("get", "/r/{code}"): (PUBLIC, None, 404),
    ("get", "/healthz"): (PUBLIC, None, 404),
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from tests.conftest import make_system

    home = tmp_path_factory.mktemp("matrix")
    system = make_system(f"sqlite:///{home / 'db.sqlite'}", home)
    with system.db.transaction() as s:
        ch = channels.add_channel(s, SYSTEM, system.box, "mastodon", "ipala", base_url="http://127.0.0.1:9",
                                  credentials={"webhook_secret": "hook"})
        for role, grants in ROLES.items():
            members.add_member(s, SYSTEM, f"{role}@example.org", role, PASSWORD, grants)
        members.grant_role(s, SYSTEM, "authorized@example.org", "authorized", ch)
        acknowledge_in(s)  # the members have read the policy in force (1.)
        spare, _ = members.add_member(s, SYSTEM, "spare@example.org", "Spare", PASSWORD, ("committee",))
        _, token = auth.create_token(s, members.actor_for(spare), "spare")
        campaign = campaigns.create_campaign(s, SYSTEM, "spring", "Spring", kpis.parse_period("2026").start,
                                             kpis.parse_period("2026").end, "clicks", 10)
        link = campaigns.add_link(s, SYSTEM, campaign.id, "https://ipala.org/", "home")
        ids = {"channel_id": ch.id, "member_id": spare.id, "token_id": token.id, "campaign_id": campaign.id,
               "code": link.code, "role": "committee", "step": 1,
               "playbook": "complaint", "response": "acknowledge-and-route", "period": "2026-07"}
    built, _ = report.generate(system.db, system.settings, kpis.parse_period("2026-07"), trigger="test")
    ids["name"] = built.files[0].name
    result = intake.ingest(system.db, ids["channel_id"], [{"id": "x1", "text": "Your post showed a patient's name "
                                                          "and X-ray. This is a serious privacy breach.",
                                                           "author_followers": 20000}], "import", system.settings)
    ids["incident_id"] = result.incidents[0]
    with system.db.reader() as s:
        ids["comment_id"] = s.scalar(select(Comment.id).where(Comment.platform_id == "x1"))
    ids.update(other_channel(system))
    client = TestClient(create_app(system, scheduler=False), raise_server_exceptions=False)
    tokens = {role: {"Authorization": "Bearer " + client.post("/api/v1/tokens", json={
        "email": f"{role}@example.org", "password": PASSWORD}).json()["token"]} for role in ROLES}
    with system.db.reader() as s:
        actors = {role: members.actor_for(members.get_member(s, f"{role}@example.org")) for role in ROLES}
    return system, client, tokens, actors, ids


def fresh_draft(system) -> int:
    """A draft of the authorized member for each route, so one route's steps do not decide another's."""
    with system.db.transaction() as s:
        author = members.actor_for(members.get_member(s, "authorized@example.org"))
        return workflow.create_draft(s, author, 1, "Join our webinar on Friday. Call 555-0143.").id


def expected_allowed(rule, role: str, actor) -> bool:
    if rule in (PUBLIC, SIGNED_IN):
        return True
    if callable(rule):
        return rule(role, actor)
    return allowed(actor, rule, channel_id=1)


def test_every_endpoint_is_in_the_matrix(world):
    _, client, _, _, _ = world
    spec = client.get("/openapi.json").json()
    served = {(m, p) for p, ops in spec["paths"].items() for m in ops}
    listed = {(m, p.split("?")[0]) for m, p in ROUTES}
    assert served - listed == set(), "endpoints the matrix does not check"
    assert listed - served == set(), "the matrix names endpoints that are gone"


@pytest.mark.parametrize("route", list(ROUTES), ids=[f"{m} {p}" for m, p in ROUTES])
def test_each_role_gets_what_the_permission_table_says(world, route):
    system, client, tokens, actors, ids = world
    method, template = route
    rule, body, denied = ROUTES[route]
    path = template.format(**{**ids, "draft_id": fresh_draft(system)})
    callers = sorted(ROLES, key=lambda r: expected_allowed(rule, r, actors[r]))  # the refused first: nothing changed yet
    for role in callers:
        data = _fill(body, role)
        r = client.request(method.upper(), path, headers=tokens[role], json=data)
        assert r.status_code < 500, (role, r.status_code, r.text[:300])
        if rule == PUBLIC:
            continue
        if expected_allowed(rule, role, actors[role]):
            assert r.status_code not in (401, 403, denied), (role, "was turned away", r.status_code, r.text[:300])
        else:
            assert r.status_code == denied, (role, "was let in", r.status_code, r.text[:300])
    anonymous = client.request(method.upper(), path, json=_fill(body, "anonymous"))
    assert anonymous.status_code < 500
    if rule != PUBLIC:
        assert anonymous.status_code == 401, anonymous.text[:200]


def _fill(body, role):
    if isinstance(body, dict):
        return {k: _fill(v, role) for k, v in body.items()}
    if isinstance(body, list):
        return [_fill(v, role) for v in body]
    return body.replace("{role}", role) if isinstance(body, str) else body


BREACH = "Your post showed a patient's name and X-ray. This is a serious privacy breach."


def other_channel(system) -> dict:
    """A second channel the authorized member is not authorized on, with a comment, the incident
    it opened and a draft of its own member there; and a queued batch that failed every attempt."""
    from onevoice.crisis import queue

    with system.db.transaction() as s:
        other = channels.add_channel(s, SYSTEM, system.box, "bluesky", "other.test")
        author, _ = members.add_member(s, SYSTEM, "other-authorized@example.org", "Other", PASSWORD)
        members.grant_role(s, SYSTEM, author.email, "authorized", other)
        acknowledge_in(s)  # the members have read the policy in force (1.)
        draft = workflow.create_draft(s, members.actor_for(author), other.id, "Our AGM is on Friday.")
        ids = {"other_channel_id": other.id, "other_draft_id": draft.id}
    result = intake.ingest(system.db, other.id, [{"id": "o1", "text": BREACH}], "import", system.settings)
    ids["other_incident_id"] = result.incidents[0]
    ids["batch_id"] = queue.accept(system.db, other.id, [{"id": "q1", "text": "Thanks!"}], "webhook")["batch"]

    def fails(text, followers=None):
        raise RuntimeError("triage is down")

    for _ in range(queue.MAX_ATTEMPTS):
        queue.drain(system.db, system.settings, triage=fails)
    return ids


def _channels_in(answer) -> set[int]:
    """The channels of every row in a JSON answer, however deep the rows sit in it."""
    if isinstance(answer, list):
        return set().union(*map(_channels_in, answer))
    if isinstance(answer, dict):
        own = {answer["channel_id"]} if isinstance(answer.get("channel_id"), int) else set()
        return own.union(*map(_channels_in, answer.values()))
    return set()


def _list_paths(ids) -> list[str]:
    """Every GET endpoint without a path parameter, and the inbox asked for the other channel by name."""
    paths = [p for m, p in ROUTES if m == "get" and "{" not in p]
    return paths + [f"/api/v1/comments?channel_id={ids['other_channel_id']}", "/api/v1/comments?escalated=true",
                    "/api/v1/incidents?state=open", "/api/v1/drafts?mine=false"]


def test_no_list_shows_a_member_rows_of_a_channel_they_are_not_authorized_on(world):
    system, client, tokens, actors, ids = world
    other = ids["other_channel_id"]
    for role in ("member", "authorized"):
        for path in _list_paths(ids):
            r = client.get(path, headers=tokens[role])
            assert r.status_code < 500, (role, path, r.status_code)
            if r.status_code == 200:
                assert other not in _channels_in(r.json()), (role, path, "shows rows of another channel")
    own = client.get("/api/v1/comments", headers=tokens["authorized"]).json()
    assert own and _channels_in(own) == {ids["channel_id"]}, "the member still reads their own channel"


def test_the_committee_reads_every_channel(world):
    """The other channel's rows are there to leak: the committee, which sees everything, gets them."""
    system, client, tokens, actors, ids = world
    for path in ("/api/v1/comments", "/api/v1/incidents", "/api/v1/drafts"):
        answer = client.get(path, headers=tokens["committee"]).json()
        assert {ids["channel_id"], ids["other_channel_id"]} <= _channels_in(answer), path


def test_a_single_row_of_another_channel_is_not_found(world):
    system, client, tokens, actors, ids = world
    r = client.get(f"/api/v1/drafts/{ids['other_draft_id']}", headers=tokens["authorized"])
    assert r.status_code == 404, r.text
    r = client.get(f"/api/v1/incidents/{ids['other_incident_id']}", headers=tokens["authorized"])
    assert r.status_code in (403, 404), r.text
    assert client.get(f"/api/v1/incidents/{ids['other_incident_id']}", headers=tokens["committee"]).status_code == 200
