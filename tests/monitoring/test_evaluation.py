"""The KPI definitions as data, each KPI's change against the previous period, the written
summary made from the figures, and the dashboard's HTML bars."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from onevoice.monitoring import bars, definitions, evaluation, kpis
from onevoice.monitoring.collect import record_followers, record_post_sample
from onevoice.publishing.connectors import PostCounts
from onevoice.store.models import Comment, Incident

from .helpers import published, setup, utc

AS_OF = utc(2026, 10, 15)


# ---------------------------------------------------------------------------- definitions as data


def test_every_headline_figure_has_one_definition_in_words():
    d = definitions.load()
    empty = kpis.Summary(kpis.parse_period("2026-07"), AS_OF, [], [], [], [], [], kpis.response_kpi([]),
                         kpis.IncidentKPI(0, {}, {}, 0, 0, 0, 0, kpis.Stats.of([]), kpis.Stats.of([])),
                         kpis.ComplianceKPI(0, {}, {}, {}, {}, 0, kpis.Stats.of([]), 0, 0, 0))
    figures = set(empty.headline()) - {"period", "as_of"}
    assert {k.key for k in d.kpis} == figures
    for k in d.kpis:
        assert k.label and k.definition.endswith(".") and k.data.endswith(".") and "{value}" in k.sentence
    assert [g.key for g in d.groups] == ["engagement", "responsiveness", "incidents", "compliance", "impact"]


def test_the_definitions_file_is_package_data():
    """Read through importlib.resources, so a wheel must carry it: pyproject lists it."""
    text = open("pyproject.toml", encoding="utf-8").read()
    assert '"monitoring/*.yaml"' in text and '"monitoring/templates/*.html"' in text


@pytest.mark.parametrize("bad,why", [
    ("format: fraction", "format 'fraction'"), ("good: sideways", "good 'sideways'"),
    ("group: nowhere", "group 'nowhere'"), ('sentence: "Posts"', "a sentence without {value}"),
])
def test_a_mistake_in_the_definitions_is_named(bad, why):
    key = bad.split(":")[0]
    good = {"format": "format: count", "good": "good: up", "group": "group: g", "sentence": 'sentence: "{value} posts"'}
    fields = {**good, key: bad}
    text = ("groups: [{key: g, title: G}]\nkpis:\n  - key: posts\n    label: Posts\n    change: relative\n"
            "    definition: d.\n    data: d.\n" + "".join(f"    {v}\n" for v in fields.values()))
    with pytest.raises(ValueError, match="KPI definition 'posts'") as e:
        definitions.parse(text)
    assert why in str(e.value)


def test_figures_are_written_as_people_read_them():
    d = definitions.load()
    assert d["answered_share"].say(0.82) == "Replied to 82% of comments needing a response"
    assert d["median_ack_hours"].say(34 / 60) == "Median time to acknowledge: 34 min"
    assert d["reach_estimated"].say(12400) == "Estimated potential reach: 12,400 feeds"
    assert d["posts"].say(1) == "Published 1 post" and d["posts"].say(0) == "Published 0 posts"
    assert d["impressions_measured"].say(0) == "No impressions reported by the platforms"
    assert d["median_ack_hours"].say(None) == "No incident was acknowledged"
    assert [definitions.duration(h) for h in (0.001, 0.5, 5.25, 75)] == ["under 1 min", "30 min", "5.2 h", "3.1 days"]
    assert (definitions.count(1234567), definitions.percent(0.0123, 2), definitions.number(2.5)) == ("1,234,567", "1.23%", "2.5")


# ---------------------------------------------------------------------------- changes


def _change(key, value, before, earlier=True):
    return evaluation.change(definitions.load()[key], value, before, "Q2", earlier)


@pytest.mark.parametrize("key,value,before,arrow,text,verdict,words", [
    ("engagement", 1120, 1000, "▲", "12% vs Q2", "better", "up 12% on Q2"),
    ("engagement", 900, 1000, "▼", "10% vs Q2", "worse", "down 10% on Q2"),
    ("median_ack_hours", 0.25, 0.5, "▼", "50% vs Q2", "better", "down 50% on Q2"),   # faster is better
    ("incidents", 4, 3, "▲", "33% vs Q2", "worse", "up 33% on Q2"),
    ("posts", 12, 10, "▲", "20% vs Q2", None, "up 20% on Q2"),                         # no good direction
    ("answered_share", 0.82, 0.77, "▲", "5 pts vs Q2", "better", "up 5 percentage points on Q2"),
    ("answered_share", 0.78, 0.77, "▲", "1 pt vs Q2", "better", "up 1 percentage point on Q2"),
    ("engagement", 1003, 1000, "▲", "<1% vs Q2", "better", "up less than 1% on Q2"),
    ("overrides", 2, 0, "▲", "from 0 vs Q2", "worse", "up from 0 on Q2"),
    ("engagement", 1000, 1000, "=", "no change vs Q2", None, "the same as in Q2"),
    ("engagement", 0, 0, "=", "no change vs Q2", None, "the same as in Q2"),
    ("median_ack_hours", 0.5, None, "", "no earlier data", None, ""),
    ("median_ack_hours", None, 0.5, "", "was 30 min in Q2", None, ""),
])
def test_a_kpi_against_the_previous_period(key, value, before, arrow, text, verdict, words):
    c = _change(key, value, before)
    assert (c.arrow, c.text, c.verdict, c.words) == (arrow, text, verdict, words)
    assert c.direction_word == {"▲": "up", "▼": "down"}.get(arrow, "")  # what a screen reader hears


def test_an_empty_previous_period_is_no_earlier_data_whatever_its_zeros():
    c = _change("engagement", 500, 0, earlier=False)
    assert (c.direction, c.text, c.words) == ("none", "no earlier data", "")


def test_previous_periods_and_their_short_names():
    q3, jan, year = kpis.parse_period("2026-Q3"), kpis.parse_period("2026-01"), kpis.parse_period("2026")
    assert [kpis.previous(p).label for p in (q3, kpis.parse_period("2026-Q1"), jan, year)] == [
        "2026-Q2", "2025-Q4", "2025-12", "2025"]
    assert kpis.short_label(kpis.previous(q3), q3) == "Q2"
    assert kpis.short_label(kpis.previous(jan), jan) == "December 2025"
    assert kpis.short_label(kpis.parse_period("2026-06"), kpis.parse_period("2026-07")) == "June"
    assert [kpis.long_label(p) for p in (q3, jan, year)] == ["Q3 2026", "January 2026", "2026"]


# ---------------------------------------------------------------------------- a period against the one before


def _two_quarters(system):
    """Q2 2026: 2 posts (10 interactions), 1 complaint answered in 4 h. Q3: 3 posts (30
    interactions), 2 complaints, one answered in 1 h, and an incident acknowledged in 30 min."""
    author, (cid,) = setup(system)
    with system.db.transaction() as s:
        record_followers(s, cid, utc(2026, 4, 1), 1000)
        record_followers(s, cid, utc(2026, 9, 1), 1500)
    for when, likes, ref in ((utc(2026, 4, 10), 4, "a"), (utc(2026, 5, 10), 6, "b"), (utc(2026, 7, 3), 5, "c"),
                             (utc(2026, 8, 3), 10, "d"), (utc(2026, 9, 3), 15, "e")):
        d = published(system, author, cid, when, ref, text=f"Post {ref}: join our airway webinar " + "word " * 30)
        with system.db.transaction() as s:
            record_post_sample(s, d, cid, when + timedelta(days=1), PostCounts(likes=likes))
    with system.db.transaction() as s:
        inc = Incident(title="t", type="complaint", severity=2, state="acknowledged", channel_id=cid,
                       opened_at=utc(2026, 7, 5, 10), acknowledged_at=utc(2026, 7, 5, 10, 30), checklist=[])
        s.add(inc)
        s.add_all([Comment(channel_id=cid, platform_id="k1", text="Bad", source="import", category="complaint",
                           received_at=utc(2026, 5, 1, 8)),
                   Comment(channel_id=cid, platform_id="k2", text="Worse", source="import", category="complaint",
                           received_at=utc(2026, 7, 10, 8)),
                   Comment(channel_id=cid, platform_id="k3", text="Again", source="import", category="complaint",
                           received_at=utc(2026, 7, 11, 8))])
    published(system, author, cid, utc(2026, 5, 1, 12), "r1", kind="reply", reply_to={"id": "k1"})
    published(system, author, cid, utc(2026, 7, 10, 9), "r2", kind="reply", reply_to={"id": "k2"})
    return cid


def test_the_dashboard_figures_with_their_changes_and_the_written_summary(sqlite_system):
    _two_quarters(sqlite_system)
    with sqlite_system.db.reader() as s:
        e = evaluation.evaluate(s, kpis.parse_period("2026-Q3"), AS_OF)
    assert (e.previous.period.label, e.versus) == ("2026-Q2", "Q2")
    f = e.figures
    assert f["posts"].sentence == "Published 4 posts"  # 3 posts and a reply
    assert (f["posts"].change.text, f["posts"].change.verdict) == ("33% vs Q2", None)
    assert f["engagement"].sentence == "30 likes, reposts, replies and quotes"
    assert (f["engagement"].change.arrow, f["engagement"].change.text) == ("▲", "200% vs Q2")
    assert f["answered_share"].sentence == "Replied to 50% of comments needing a response"
    assert (f["answered_share"].change.text, f["answered_share"].change.verdict) == ("50 pts vs Q2", "worse")
    assert f["median_response_hours"].change.words == "down 75% on Q2"
    assert f["median_ack_hours"].sentence == "Median time to acknowledge: 30 min"
    assert f["median_ack_hours"].change.text == "no earlier data"  # no incident in Q2
    assert [g.title for g in e.groups][0] == "Engagement and reach"

    text = e.written_summary()
    assert text[0] == ("In Q3 2026, the association published 4 posts on 1 channel, which drew 30 likes, reposts, "
                       "replies and quotes (up 200% on Q2).")
    assert text[1].startswith("The most engaging post was #") and "with 15 interactions" in text[1]
    assert "…" in text[1] and len(text[1]) < 200  # the post's text, shortened
    assert text[2] == ("Of 2 comments needing a response, 1 got one, 50% of them (down 50 percentage points on Q2); "
                       "the median response took 1.0 h (down 75% on Q2).")
    assert text[3] == ("1 incident was opened; the median time to acknowledge was 30 min, and none missed the "
                       "acknowledgement deadline.")
    assert text[-2] == "Compared with Q2, the largest improvement was in engagement (up 200%)."
    assert text[-1] == "The largest change for the worse was in comments answered (down 50 percentage points)."
    with sqlite_system.db.reader() as s:
        again = evaluation.evaluate(s, kpis.parse_period("2026-Q3"), AS_OF)
    assert again.written_summary() == text  # the same figures, the same words


def test_a_period_with_nothing_before_it_says_so(sqlite_system):
    _two_quarters(sqlite_system)
    with sqlite_system.db.reader() as s:
        e = evaluation.evaluate(s, kpis.parse_period("2026-Q2"), AS_OF)
        nothing = evaluation.evaluate(s, kpis.parse_period("2026-01"), AS_OF)
    assert e.previous.is_empty and not e.summary.is_empty
    assert {f.change.text for f in e.figures.values()} == {"no earlier data"}
    assert e.written_summary()[-1] == "There is no earlier data to compare with Q1."
    assert nothing.written_summary()[:2] == ["In January 2026, the association published no posts.",
                                             "No incident was opened."]


# ---------------------------------------------------------------------------- the HTML bars


def test_bars_are_scaled_to_the_longest_and_say_their_figures(sqlite_system):
    _two_quarters(sqlite_system)
    with sqlite_system.db.reader() as s:
        summary = kpis.summarize(s, kpis.parse_period("2026-Q3"), AS_OF)
    weeks = bars.engagement_by_week(summary)
    longest = max(weeks.bars, key=lambda b: b.total)
    assert longest.parts[0].width == bars.SCALE and longest.text == "15 interactions on 1 post"
    assert all(b.label.startswith("Week of ") for b in weeks.bars)
    assert [b.parts for b in weeks.bars if b.total == 0][0] == ()  # an empty week draws nothing
    top = bars.top_posts(summary)
    assert [t.post.engagement for t in top] == [15, 10, 5, 0]
    assert top[0].bar.parts[0].width == bars.SCALE and top[1].bar.parts[0].width == 667
    assert top[0].bar.text == "15 likes · 0 reposts · 0 replies · 0 quotes" and top[0].engagement_words == "15 interactions"
    incidents = bars.incidents_by_type(summary)
    assert [(b.label, b.text) for b in incidents.bars] == [("Complaint", "1 incident (1 of severity 2)")]
    assert bars.compliance_by_clause(summary).bars == ()  # nothing screened: the chart says so instead


# ---------------------------------------------------------------------------- speed


def test_campaigns_cost_the_same_few_queries_however_many_there_are(sqlite_system):
    """The dashboard counts two periods on every view: campaign KPIs must not grow a query per
    campaign, link or post (they did: 200 queries at the demo organization's size)."""
    from onevoice.governance.permissions import SYSTEM
    from onevoice.monitoring import campaigns

    author, (cid,) = setup(sqlite_system)
    period = kpis.parse_period("2026-07")

    def queries() -> int:
        n = [0]

        def count(*_):
            n[0] += 1

        event.listen(sqlite_system.db.engine, "before_cursor_execute", count)
        try:
            with sqlite_system.db.reader() as s:
                kpis.campaign_kpis(s, period, AS_OF)
        finally:
            event.remove(sqlite_system.db.engine, "before_cursor_execute", count)
        return n[0]

    def add(i: int) -> None:
        with sqlite_system.db.transaction() as s:
            campaigns.create_campaign(s, SYSTEM, f"camp-{i}", f"C{i}", utc(2026, 7, 1), utc(2026, 7, 20), "clicks", 10)
            link = campaigns.add_link(s, SYSTEM, f"camp-{i}", f"https://ipala.org/{i}", code=f"code{i}")
        published(sqlite_system, author, cid, utc(2026, 7, 2 + i), f"p{i}", text=f"See https://x/r/{link.code}")
        campaigns.record_click(sqlite_system.db, f"code{i}", "Mozilla/5.0 Firefox/128.0", at=utc(2026, 7, 3 + i))

    add(0)
    one = queries()
    for i in range(1, 6):
        add(i)
    assert queries() == one
    with sqlite_system.db.reader() as s:
        got = kpis.campaign_kpis(s, period, AS_OF)
    assert [(k.clicks_total, k.posts) for k in got] == [(1, 1)] * 6
