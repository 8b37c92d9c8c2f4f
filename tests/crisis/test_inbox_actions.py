"""The inbox service (3.): filters and paging over the comments one may see, and what the
committee does with a comment -- reply (through the review queue, 1.), assign, snooze, mark
handled, reopen -- each permission-checked, audited, and refused with a clear reason. On both
databases; screening is the real engine and notifications go to the real outbox."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from onevoice.crisis import inbox
from onevoice.errors import Conflict, Forbidden, InvalidInput, NotFound
from onevoice.governance import channels, members
from onevoice.governance.permissions import SYSTEM, PermissionDenied
from onevoice.store.models import AuditEvent, Comment, Draft, Incident, IncidentEvent, Notification, utcnow
from tests.policy_helpers import acknowledge_in

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def org(system):
    """Two channels; Rita is on the committee and authorized on "ours", Cleo is on the committee
    only, Ana is authorized on "ours" only, Max is a plain member, Ivy a former committee member."""
    with system.db.transaction() as s:
        ours = channels.add_channel(s, SYSTEM, system.box, "mastodon", "ours", base_url="http://127.0.0.1:9")
        theirs = channels.add_channel(s, SYSTEM, system.box, "bluesky", "theirs.test")
        members.add_member(s, SYSTEM, "rita@example.org", "Rita Responder", roles=("committee",))
        members.add_member(s, SYSTEM, "cleo@example.org", "Cleo Committee", roles=("committee",))
        members.add_member(s, SYSTEM, "chair@example.org", "Carla Chair", roles=("chair",))
        members.add_member(s, SYSTEM, "ana@example.org", "Ana Author")
        members.add_member(s, SYSTEM, "max@example.org", "Max Member")
        members.add_member(s, SYSTEM, "ivy@example.org", "Ivy Former", roles=("committee",))
        members.grant_role(s, SYSTEM, "rita@example.org", "authorized", ours)
        members.grant_role(s, SYSTEM, "ana@example.org", "authorized", ours)
        acknowledge_in(s)  # the members have read the policy in force (1.)
        members.deactivate_member(s, SYSTEM, "ivy@example.org")
        ids = {"ours": ours.id, "theirs": theirs.id}
    with system.db.reader() as s:
        for email in ("rita", "cleo", "chair", "ana", "max", "ivy"):
            m = members.get_member(s, f"{email}@example.org")
            ids[email] = m.id
            ids[f"{email}_actor"] = members.actor_for(m)
    return ids


def add_comment(system, channel_id: int, n: int, *, category="question", severity=0, escalate=False,
                text=None, incident_id=None, received=None) -> int:
    with system.db.transaction() as s:
        c = Comment(channel_id=channel_id, platform_id=f"p-{channel_id}-{n}", kind="reply", author=f"@person{n}",
                    author_followers=10 * n, text=text or f"Comment number {n}: when is the next webinar?",
                    url=f"https://example.social/@person{n}/{n}", received_at=received or T0 + timedelta(minutes=n),
                    source="import", category=category, severity=severity, escalate=escalate, handled=False,
                    incident_id=incident_id)
        s.add(c)
        s.flush()
        return c.id


def audit_actions(system, comment_id: int) -> list[str]:
    with system.db.reader() as s:
        return list(s.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "comment",
                                                              AuditEvent.object_id == str(comment_id))
                              .order_by(AuditEvent.seq)))


def page(system, actor, filters=None, number=1, now=None):
    with system.db.reader() as s:
        found = inbox.find(s, actor, filters or inbox.Filters(), number, 50, now=now)
        return found, [c.id for c in found.comments]


# --- filters and paging ----------------------------------------------------------------------


def test_pages_of_fifty_newest_first_and_each_filter(system, org):
    ids = [add_comment(system, org["ours"] if n % 3 else org["theirs"], n,
                       category=("complaint" if n % 5 == 0 else "question"), severity=(n % 4)) for n in range(1, 121)]
    newest_first = list(reversed(ids))
    rita = org["rita_actor"]
    first, rows = page(system, rita)
    assert first.total == 120 and rows == newest_first[:50]
    third, rows = page(system, rita, number=3)
    assert third.number == 3 and rows == newest_first[100:]
    beyond, rows = page(system, rita, number=99)
    assert beyond.number == 3, "a page past the end shows the last one"

    ours, rows = page(system, rita, inbox.Filters(channel_id=org["ours"]))
    assert ours.total == 80
    with system.db.reader() as s:
        assert {s.get(Comment, i).channel_id for i in rows} == {org["ours"]}
    complaints, rows = page(system, rita, inbox.Filters(category="complaint"))
    assert complaints.total == 24
    serious, rows = page(system, rita, inbox.Filters(min_severity=2))
    assert serious.total == 60  # severities 2 and 3 of 0..3
    both, _ = page(system, rita, inbox.Filters(channel_id=org["theirs"], category="complaint", min_severity=3))
    assert both.total == len([n for n in range(1, 121) if n % 3 == 0 and n % 5 == 0 and n % 4 == 3])


def test_the_states_open_mine_snoozed_handled_escalated(system, org):
    a, b, c, d = (add_comment(system, org["ours"], n) for n in range(1, 5))
    e = add_comment(system, org["ours"], 5, category="crisis", severity=3, escalate=True)
    rita, cleo = org["rita_actor"], org["cleo_actor"]
    with system.db.transaction() as s:
        inbox.assign(s, cleo, a, org["rita"])
        inbox.snooze(s, cleo, b, utcnow() + timedelta(hours=1))
        inbox.set_handled(s, cleo, c, True)
    _, open_ = page(system, rita, inbox.Filters(state="open"))
    assert open_ == [e, d, a], "snoozed and handled comments leave the open list"
    assert page(system, rita, inbox.Filters(state="mine"))[1] == [a]
    assert page(system, cleo, inbox.Filters(state="mine"))[1] == []
    assert page(system, rita, inbox.Filters(state="snoozed"))[1] == [b]
    assert page(system, rita, inbox.Filters(state="handled"))[1] == [c]
    assert page(system, rita, inbox.Filters(state="escalated"))[1] == [e]
    assert page(system, rita, inbox.Filters(state="all"))[1] == [e, d, c, b, a]
    # once the snooze is over, the comment is open again, without anyone waking it
    later = utcnow() + timedelta(hours=2)
    assert page(system, rita, inbox.Filters(state="open"), now=later)[1] == [e, d, b, a]
    assert page(system, rita, inbox.Filters(state="snoozed"), now=later)[1] == []


def test_an_authorized_member_sees_their_channels_only(system, org):
    mine = add_comment(system, org["ours"], 1)
    add_comment(system, org["theirs"], 2)
    ana = org["ana_actor"]
    assert page(system, ana)[1] == [mine]
    assert page(system, ana, inbox.Filters(channel_id=org["theirs"]))[1] == []
    with system.db.reader() as s:
        assert [ch.handle for ch in inbox.viewer_channels(s, ana)] == ["ours"]
        assert len(inbox.viewer_channels(s, org["rita_actor"])) == 2
    with pytest.raises(PermissionDenied):
        page(system, org["max_actor"])


def test_the_count_and_the_pages_are_bounded(system, org, monkeypatch):
    for n in range(1, 41):
        add_comment(system, org["ours"], n)
    monkeypatch.setattr(inbox, "MAX_ROWS", 30)
    found, rows = page(system, org["rita_actor"], number=5)
    assert found.total == 31 and found.more_than_counted
    assert found.number == 1 and len(rows) == 30, "one page of 50 shows the 30 counted rows, no more"
    with system.db.reader() as s:
        small = inbox.find(s, org["rita_actor"], inbox.Filters(), 9, 10)
    assert small.number == 3 and len(small.comments) == 10, "pages stop at MAX_ROWS"


def test_filters_from_a_query_are_checked():
    assert inbox.Filters.parse("", "", "", "") == inbox.Filters()
    f = inbox.Filters.parse("handled", "3", "complaint", "2")
    assert f == inbox.Filters("handled", 3, "complaint", 2)
    assert inbox.Filters.parse(*f.as_query().values()) == f
    for bad, message in ((("later",), "must be one of: open"), ((None, "x"), "channel must be a number"),
                         ((None, None, "rant"), "category must be"), ((None, None, None, "7"), "severity must be")):
        with pytest.raises(InvalidInput, match=message):
            inbox.Filters.parse(*bad)


# --- assign ------------------------------------------------------------------------------------


def test_assign_to_a_committee_member_is_audited_and_told(system, org):
    cid = add_comment(system, org["theirs"], 1, text="Who do I write to about my certificate? mail me at a@b.org")
    with system.db.transaction() as s:
        inbox.assign(s, org["cleo_actor"], cid, org["rita"], system.settings)
    with system.db.reader() as s:
        assert s.get(Comment, cid).assigned_to == org["rita"]
        [note] = s.scalars(select(Notification).where(Notification.target == "rita@example.org"))
        assert "yours to answer" in note.subject and "/inbox?state=mine" in note.body
        assert "a@b.org" not in note.body, "the e-mail carries the comment with personal details masked"
        assert (note.related_type, note.related_id) == ("comment", str(cid))
    assert audit_actions(system, cid) == ["comment.assign"]
    with system.db.transaction() as s:  # to oneself: no e-mail; to nobody: unassigned
        inbox.assign(s, org["cleo_actor"], cid, org["cleo"], system.settings)
        inbox.assign(s, org["cleo_actor"], cid, None, system.settings)
    with system.db.reader() as s:
        assert s.get(Comment, cid).assigned_to is None
        assert s.scalar(select(func.count(Notification.id)).where(Notification.target == "cleo@example.org")) == 0
    assert audit_actions(system, cid) == ["comment.assign"] * 3


def test_assign_refusals(system, org):
    cid = add_comment(system, org["ours"], 1)
    cases = [
        (org["ana_actor"], cid, org["rita"], PermissionDenied, "incident.manage"),   # authorized, not committee
        (org["max_actor"], cid, org["rita"], PermissionDenied, "incident.manage"),   # a plain member
        (org["cleo_actor"], 999_999, org["rita"], NotFound, "no comment 999999"),
        (org["cleo_actor"], cid, 999_999, NotFound, "no member 999999"),
        (org["cleo_actor"], cid, org["ana"], InvalidInput, "Ana Author is not on the committee"),
        (org["cleo_actor"], cid, org["ivy"], InvalidInput, "Ivy Former is not on the committee"),  # deactivated
        (org["cleo_actor"], cid, None, Conflict, "assigned to nobody already"),
    ]
    for actor, comment_id, member_id, error, message in cases:
        with pytest.raises(error, match=message):
            with system.db.transaction() as s:
                inbox.assign(s, actor, comment_id, member_id, system.settings)
    assert audit_actions(system, cid) == []
    with system.db.reader() as s:
        assert s.scalar(select(func.count(Notification.id))) == 0


def test_assignable_members_are_the_active_committee(system, org):
    with system.db.reader() as s:
        assert [m.name for m in inbox.committee_members(s)] == ["Carla Chair", "Cleo Committee", "Rita Responder"]


# --- snooze ------------------------------------------------------------------------------------


def test_snooze_and_wake(system, org):
    cid = add_comment(system, org["ours"], 1)
    until = utcnow() + timedelta(hours=4)
    with system.db.transaction() as s:
        inbox.snooze(s, org["cleo_actor"], cid, until)
    with system.db.reader() as s:
        assert s.get(Comment, cid).snoozed_until == until
    with system.db.transaction() as s:
        inbox.snooze(s, org["cleo_actor"], cid, None)
    with system.db.reader() as s:
        assert s.get(Comment, cid).snoozed_until is None
    assert audit_actions(system, cid) == ["comment.snooze", "comment.wake"]


def test_snooze_refusals(system, org):
    cid = add_comment(system, org["ours"], 1)
    done = add_comment(system, org["ours"], 2)
    with system.db.transaction() as s:
        inbox.set_handled(s, org["cleo_actor"], done, True)
    now = utcnow()
    cases = [
        (org["cleo_actor"], cid, now - timedelta(minutes=1), InvalidInput, "must end in the future"),
        (org["cleo_actor"], cid, now + timedelta(days=31), InvalidInput, "30 days at most"),
        (org["cleo_actor"], cid, None, Conflict, "not snoozed"),
        (org["cleo_actor"], done, now + timedelta(hours=1), Conflict, "reopen it before snoozing"),
        (org["ana_actor"], cid, now + timedelta(hours=1), PermissionDenied, "incident.manage"),
        (org["cleo_actor"], 424242, now + timedelta(hours=1), NotFound, "no comment 424242"),
    ]
    for actor, comment_id, until, error, message in cases:
        with pytest.raises(error, match=message):
            with system.db.transaction() as s:
                inbox.snooze(s, actor, comment_id, until, now=now)
    assert audit_actions(system, cid) == []


def test_snooze_choices_end_in_the_viewers_own_morning():
    now = datetime(2026, 12, 3, 22, 30, tzinfo=timezone.utc)
    assert inbox.snooze_until("1h", None, now) == now + timedelta(hours=1)
    assert inbox.snooze_until("4h", "Europe/Lisbon", now) == now + timedelta(hours=4)
    # 22:30 UTC is 22:30 in Lisbon (winter): tomorrow 09:00 there is 09:00 UTC on the 4th
    assert inbox.snooze_until("tomorrow", "Europe/Lisbon", now) == datetime(2026, 12, 4, 9, 0, tzinfo=timezone.utc)
    # but 07:30 on the 4th in Tokyo: its "tomorrow" is the 5th, 09:00 JST = 00:00 UTC on the 5th
    assert inbox.snooze_until("tomorrow", "Asia/Tokyo", now) == datetime(2026, 12, 5, 0, 0, tzinfo=timezone.utc)
    assert inbox.snooze_until("tomorrow", "Not/AZone", now) == datetime(2026, 12, 4, 9, 0, tzinfo=timezone.utc)
    with pytest.raises(InvalidInput, match="snooze for 1 hour"):
        inbox.snooze_until("forever", None, now)


# --- handled, reopen -----------------------------------------------------------------------------


def test_mark_handled_and_reopen(system, org):
    cid = add_comment(system, org["ours"], 1)
    with system.db.transaction() as s:
        inbox.snooze(s, org["cleo_actor"], cid, utcnow() + timedelta(hours=1))
        inbox.set_handled(s, org["cleo_actor"], cid, True)
    with system.db.reader() as s:
        c = s.get(Comment, cid)
        assert c.handled and c.snoozed_until is None, "a handled comment is not snoozed any more"
    for handled, message in ((True, "handled already"),):
        with pytest.raises(Conflict, match=message), system.db.transaction() as s:
            inbox.set_handled(s, org["cleo_actor"], cid, handled)
    with system.db.transaction() as s:
        inbox.set_handled(s, org["rita_actor"], cid, False)
    with pytest.raises(Conflict, match="open already"), system.db.transaction() as s:
        inbox.set_handled(s, org["cleo_actor"], cid, False)
    with pytest.raises(PermissionDenied), system.db.transaction() as s:
        inbox.set_handled(s, org["ana_actor"], cid, True)
    with pytest.raises(NotFound), system.db.transaction() as s:
        inbox.set_handled(s, org["cleo_actor"], cid + 1000, True)
    assert audit_actions(system, cid) == ["comment.snooze", "comment.handled", "comment.reopen"]


# --- reply -------------------------------------------------------------------------------------


def test_a_reply_goes_to_the_review_queue_as_a_reply_to_the_comment(system, org):
    with system.db.transaction() as s:
        incident = Incident(title="complaint", type="complaint", severity=2, state="open", channel_id=org["ours"],
                            opened_at=T0, escalation_level=0, crisis_mode=False, checklist=[])
        s.add(incident)
        s.flush()
        iid = incident.id
    cid = add_comment(system, org["ours"], 1, category="complaint", severity=2, escalate=True, incident_id=iid)
    with system.db.transaction() as s:
        draft_id = inbox.draft_reply(s, org["rita_actor"], cid, "  Thank you: our office will write to you today.  ",
                                     system.screening)
    with system.db.reader() as s:
        d = s.get(Draft, draft_id)
        assert (d.kind, d.state, d.author_id) == ("reply", "in_review", org["rita"])
        assert d.reply_to == {"id": f"p-{org['ours']}-1", "url": "https://example.social/@person1/1"}
        assert d.channel_id == org["ours"] and d.incident_id == iid and d.screening is not None
        assert d.text == "Thank you: our office will write to you today."
        assert s.scalar(select(IncidentEvent.text).where(IncidentEvent.incident_id == iid,
                                                         IncidentEvent.kind == "response_draft")) == f"draft {draft_id}"
        assert s.get(Comment, cid).handled is False, "a reply waiting for approval leaves the comment open"
    assert audit_actions(system, cid) == ["comment.reply"]


def test_reply_refusals(system, org):
    ours = add_comment(system, org["ours"], 1)
    theirs = add_comment(system, org["theirs"], 2)
    cases = [
        (org["cleo_actor"], ours, "Thanks!", Forbidden, "only an authorized member of ours replies on it"),
        (org["rita_actor"], theirs, "Thanks!", Forbidden, "only an authorized member of theirs.test"),
        (org["ana_actor"], theirs, "Thanks!", NotFound, f"no comment {theirs}"),  # another channel: not even seen
        (org["max_actor"], ours, "Thanks!", PermissionDenied, "comment.view"),
        (org["rita_actor"], ours, "   ", InvalidInput, "write the reply first"),
        (org["rita_actor"], 777_777, "Thanks!", NotFound, "no comment 777777"),
    ]
    for actor, comment_id, text, error, message in cases:
        with pytest.raises(error, match=message):
            with system.db.transaction() as s:
                inbox.draft_reply(s, actor, comment_id, text, system.screening)
    with system.db.reader() as s:
        assert s.scalar(select(func.count(Draft.id))) == 0
    # an authorized member who is not on the committee may reply on their own channel
    with system.db.transaction() as s:
        assert inbox.draft_reply(s, org["ana_actor"], ours, "Thanks, see ipala.org/events.", system.screening)


def test_the_cli_does_the_same(system, org, monkeypatch):
    from typer.testing import CliRunner

    from onevoice.cli import app, base

    monkeypatch.setattr(base, "_system", system)
    cid = add_comment(system, org["ours"], 1)
    run = CliRunner().invoke
    out = run(app, ["comments", "assign", str(cid), "rita@example.org", "--as", "cleo@example.org"])
    assert out.exit_code == 0 and f"comment {cid}: open, assigned to member {org['rita']}" in out.output
    out = run(app, ["comments", "snooze", str(cid), "--for", "tomorrow", "--as", "cleo@example.org"])
    assert out.exit_code == 0 and "snoozed until" in out.output and "09:00 UTC" in out.output
    assert str(cid) in run(app, ["comments", "list", "--state", "snoozed", "--as", "rita@example.org"]).output
    assert str(cid) not in run(app, ["comments", "list", "--state", "open", "--as", "rita@example.org"]).output
    out = run(app, ["comments", "handled", str(cid), "--as", "cleo@example.org"])
    assert out.exit_code == 0 and f"comment {cid}: handled" in out.output
    out = run(app, ["comments", "reply", str(cid), "Thanks!", "--as", "cleo@example.org"])
    assert out.exit_code != 0 and "only an authorized member of ours" in out.output
    out = run(app, ["comments", "reply", str(cid), "Thanks, see ipala.org/events.", "--as", "rita@example.org"])
    assert out.exit_code == 0 and "in the review queue" in out.output
    out = run(app, ["comments", "handled", str(cid), "--as", "ana@example.org"])
    assert out.exit_code != 0 and "error:" in out.output
