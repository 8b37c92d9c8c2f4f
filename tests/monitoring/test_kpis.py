"""KPI arithmetic on hand-made data, on SQLite and PostgreSQL (the `system` fixture)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from onevoice.errors import InvalidInput
from onevoice.monitoring import campaigns, kpis
from onevoice.monitoring.collect import record_followers, record_post_sample
from onevoice.governance.permissions import SYSTEM
from onevoice.publishing import workflow
from onevoice.publishing.connectors import PostCounts
from onevoice.store.models import Comment, Draft, Incident, Review

from .helpers import published, setup, utc

JULY = kpis.parse_period("2026-07")
AS_OF = utc(2026, 8, 15)


@pytest.mark.parametrize("text,label,start,end", [
    ("2026-Q3", "2026-Q3", utc(2026, 7, 1), utc(2026, 10, 1)),
    ("2026-q4", "2026-Q4", utc(2026, 10, 1), utc(2027, 1, 1)),
    ("2026-07", "2026-07", utc(2026, 7, 1), utc(2026, 8, 1)),
    ("2026-12", "2026-12", utc(2026, 12, 1), utc(2027, 1, 1)),
    (" 2026 ", "2026", utc(2026, 1, 1), utc(2027, 1, 1)),
])
def test_periods(text, label, start, end):
    p = kpis.parse_period(text)
    assert (p.label, p.start, p.end) == (label, start, end)


@pytest.mark.parametrize("bad", ["2026-Q5", "2026-13", "2026-00", "Q3-2026", "2026/07", "", "1999-01", "2026-07-01"])
def test_bad_periods_are_one_clear_error(bad):
    with pytest.raises(InvalidInput) as e:
        kpis.parse_period(bad)
    assert "\n" not in e.value.detail and "2026-Q3" in e.value.detail or "between" in e.value.detail


def test_last_complete_periods():
    assert kpis.last_complete("month", utc(2026, 1, 5)).label == "2025-12"
    assert kpis.last_complete("quarter", utc(2026, 1, 5)).label == "2025-Q4"
    assert kpis.last_complete("quarter", utc(2026, 8, 5)).label == "2026-Q2"
    assert kpis.last_complete("month", utc(2026, 8, 1)).label == "2026-07"


def test_stats_quantiles():
    s = kpis.Stats.of([1, 2, 3, 4, 10])
    assert (s.count, s.median, s.p90, s.mean) == (5, 3, 7.6, 4)
    assert kpis.Stats.of([]).median is None


def test_engagement_rate_and_reach(system):
    author, (cid,) = setup(system)
    a = published(system, author, cid, utc(2026, 7, 3, 12), "a")
    b = published(system, author, cid, utc(2026, 7, 20, 9), "b")
    published(system, author, cid, utc(2026, 8, 2), "outside")          # not in July
    published(system, author, cid, utc(2026, 7, 5), "gone", state="retracted")  # counted, no samples
    with system.db.transaction() as s:
        record_followers(s, cid, utc(2026, 7, 1), 200)
        record_followers(s, cid, utc(2026, 7, 31), 260)
        record_post_sample(s, a, cid, utc(2026, 7, 3, 13), PostCounts(likes=1))
        record_post_sample(s, a, cid, utc(2026, 7, 10), PostCounts(likes=10, reposts=2, replies=3, quotes=1))
        record_post_sample(s, a, cid, utc(2026, 9, 1), PostCounts(likes=99))  # after as_of: ignored
        record_post_sample(s, b, cid, utc(2026, 7, 21), PostCounts(likes=4, impressions=1000))
        for i, f in enumerate((100, 200, 300, 400, 500)):
            s.add(Comment(channel_id=cid, platform_id=f"c{i}", text="hi", source="import", author_followers=f,
                          received_at=utc(2026, 6, 1)))
    with system.db.reader() as s:
        posts = {p.draft_id: p for p in kpis.post_kpis(s, JULY, AS_OF)}
        channels = kpis.channel_kpis(s, JULY, list(posts.values()), AS_OF)
    assert len(posts) == 3
    pa, pb = posts[a], posts[b]
    assert (pa.likes, pa.reposts, pa.replies, pa.quotes, pa.engagement) == (10, 2, 3, 1, 16)
    assert pa.followers_at_publication == 200 and pa.engagement_rate == 0.08
    assert (pa.reach, pa.reach_kind) == (200 + 2 * 300, "estimate")  # followers + reposts x median commenter
    assert (pb.engagement, pb.engagement_rate, pb.reach, pb.reach_kind) == (4, 0.02, 1000, "measured")
    (ch,) = channels
    assert (ch.posts, ch.posts_with_counts, ch.engagement_total) == (3, 2, 20)
    assert ch.engagement_rate_mean == 0.05 and ch.engagement_per_post.median == 10
    assert (ch.followers_start, ch.followers_end, ch.follower_change) == (200, 260, 60)
    assert (ch.impressions_total, ch.measured_posts) == (1000, 1)
    assert (ch.reach_estimate_total, ch.estimated_posts, ch.amplification) == (800 + 200, 2, 300)
    weeks = kpis.engagement_by_week(list(posts.values()), JULY)
    assert sum(n for _, n, _ in weeks) == 3 and sum(e for _, _, e in weeks) == 20


def test_response_times_and_incidents(system):
    author, (cid,) = setup(system)
    with system.db.transaction() as s:
        inc = Incident(title="t", type="complaint", severity=2, state="resolved", channel_id=cid,
                       opened_at=utc(2026, 7, 2, 10), ack_deadline=utc(2026, 7, 2, 10, 15),
                       acknowledged_at=utc(2026, 7, 2, 10, 30), resolved_at=utc(2026, 7, 2, 14), checklist=[])
        inc2 = Incident(title="u", type="crisis", severity=3, state="open", channel_id=cid,
                        opened_at=utc(2026, 7, 9), ack_deadline=utc(2026, 7, 9, 1), checklist=[])
        s.add_all([inc, inc2])
        s.flush()
        s.add_all([
            Comment(channel_id=cid, platform_id="q1", text="When?", source="import", category="question",
                    received_at=utc(2026, 7, 1, 10)),
            Comment(channel_id=cid, platform_id="k1", text="Bad", source="import", category="complaint",
                    received_at=utc(2026, 7, 2, 9, 55), incident_id=inc.id),
            Comment(channel_id=cid, platform_id="k2", text="Worse", source="import", category="complaint",
                    received_at=utc(2026, 7, 3)),
            Comment(channel_id=cid, platform_id="p1", text="Nice", source="import", category="praise",
                    received_at=utc(2026, 7, 4)),
        ])
        iid = inc.id
    published(system, author, cid, utc(2026, 7, 1, 12, 30), "r1", kind="reply", reply_to={"id": "q1"})
    published(system, author, cid, utc(2026, 7, 2, 11, 55), "r2", incident_id=iid)
    with system.db.reader() as s:
        rows = {r.comment_id: r for r in kpis.comment_responses(s, JULY, AS_OF)}
        r = kpis.response_kpi(list(rows.values()))
        i = kpis.incident_kpi(s, JULY, AS_OF)
    by_platform = {x.response_hours: x.via for x in rows.values() if x.responded_at}
    assert by_platform == {2.5: "reply", 2.0: "incident"}
    assert (r.comments, r.needing_response, r.answered, r.unanswered) == (4, 3, 2, 1)
    assert r.answered_share == round(2 / 3, 4) and r.within_24h_share == round(2 / 3, 4)
    assert r.response_hours.median == 2.25 and r.by_category == {"complaint": 2, "praise": 1, "question": 1}
    assert (i.opened, i.acknowledged, i.resolved, i.still_open) == (2, 1, 1, 1)
    assert i.ack_hours.median == 0.5 and i.resolve_hours.median == 4.0
    assert i.missed_ack_deadline == 2  # one acknowledged late, one never acknowledged and past its deadline
    assert i.by_type == {"complaint": 1, "crisis": 1} and i.by_severity == {"2": 1, "3": 1}


def test_compliance_findings_overrides_and_turnaround(system):
    author, (cid,) = setup(system)
    report = {"decision": "block", "findings": [
        {"clause": "2.a", "clause_title": "Respect privacy", "severity": "block", "rule": "2.a-phone"},
        {"clause": "2.a", "clause_title": "Respect privacy", "severity": "block", "rule": "2.a-email"},
        {"clause": "2.b", "clause_title": "Share approved information", "severity": "review", "rule": "2.b-x"}]}
    with system.db.transaction() as s:
        for n, (rep, when) in enumerate([(report, utc(2026, 7, 5)), ({"decision": "pass", "findings": []}, utc(2026, 7, 6)),
                                         (report, utc(2026, 6, 30))]):
            d = Draft(author_id=author, channel_id=cid, text="x", attachments=[], state="in_review", revision=1,
                      screening=rep, created_at=when)
            s.add(d)
            s.flush()
            s.add(Review(draft_id=d.id, reviewer_id=author, revision=1, verdict="override" if n == 0 else "reject",
                         comment="because", created_at=when + timedelta(hours=1)))
    with system.db.reader() as s:
        c = kpis.compliance_kpi(s, JULY, AS_OF)
    assert c.drafts_screened == 2 and c.decisions == {"block": 1, "pass": 1}
    assert c.findings_by_clause == {"2.a": {"block": 2}, "2.b": {"review": 1}}
    assert c.drafts_by_clause == {"2.a": 1, "2.b": 1}
    assert (c.overrides, c.rejected, c.changes_requested) == (1, 1, 0)
    assert c.approvals == 0  # the audit log has no approval in July 2026


def test_approval_turnaround_from_the_audit_log(system):
    from tests.publishing.workflow_helpers import cast

    c = cast(system)
    with system.db.transaction() as s:
        d = workflow.create_draft(s, c.author, c.channel_id, "Join our webinar on 3 May!").id
        workflow.submit(s, c.author, d, system.screening)
        workflow.review(s, c.reviewer, d, "approve")
    now = kpis.utcnow()
    period = kpis.Period("now", now - timedelta(hours=1), now + timedelta(hours=1), "test")
    with system.db.reader() as s:
        k = kpis.compliance_kpi(s, period, now + timedelta(minutes=5))
    assert k.approvals == 1 and k.approval_rows[0]["draft_id"] == d
    assert 0 <= k.approval_hours.median < 0.1


def test_campaign_goal_progress_and_clicks(system):
    author, (cid,) = setup(system)
    with system.db.transaction() as s:
        campaigns.create_campaign(s, SYSTEM, "airway-week", "Airway week", utc(2026, 7, 1), utc(2026, 7, 15), "clicks", 4)
        link = campaigns.add_link(s, SYSTEM, "airway-week", "https://ipala.org/week?x=1", code="aw2026")
        assert link.target_url == "https://ipala.org/week?x=1&utm_source=onevoice&utm_medium=social&utm_campaign=airway-week"
    post = published(system, author, cid, utc(2026, 7, 2), "p1", text="Airway week! https://ov.example/api/v1/r/aw2026")
    published(system, author, cid, utc(2026, 7, 3), "p2", text="Unrelated")
    with system.db.transaction() as s:
        record_post_sample(s, post, cid, utc(2026, 7, 4), PostCounts(likes=5, reposts=1))
    browser = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"
    for when, ua in [(utc(2026, 7, 2, 1), browser), (utc(2026, 7, 3), browser), (utc(2026, 7, 3), "Mastodon/4.2 (http.rb)"),
                     (utc(2026, 7, 20), browser), (utc(2026, 7, 2, 5), None)]:
        assert campaigns.record_click(system.db, "aw2026", ua, at=when).endswith("utm_campaign=airway-week")
    with pytest.raises(Exception):  # noqa: B017
        campaigns.record_click(system.db, "nope1", browser)
    with system.db.reader() as s:
        (k,) = kpis.campaign_kpis(s, JULY, AS_OF)
        posts = {p.draft_id: p for p in kpis.post_kpis(s, JULY, AS_OF)}
    assert (k.clicks_total, k.bot_requests, k.clicks_in_period) == (2, 2, 3)  # 20 July is after the campaign
    assert (k.posts, k.engagement, k.achieved, k.progress) == (1, 6, 2, 0.5)
    assert posts[post].link_clicks == 3
