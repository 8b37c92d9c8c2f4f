"""The dashboard's charts as data for plain HTML bars: one row per week, clause, incident type or
post, with its full label and its figures written out, and the bar's parts as lengths on a
0..SCALE axis. A page draws each bar as a small SVG stretched to the width it has, so the labels
stay text at the page's own size on any screen (a matplotlib SVG shrinks as a whole on a phone),
and the figures are in words, so colour is never the only way to tell the parts apart."""
from __future__ import annotations

from dataclasses import dataclass

from .definitions import count, plural
from .kpis import PostKPI, Summary

SCALE = 1000
MIN_WIDTH = 6  # a part that is not zero stays visible however small against the longest bar
SEVERITIES = ("block", "review", "advise")
POST_PARTS = (("likes", "like"), ("reposts", "repost"), ("replies", "reply"), ("quotes", "quote"))


@dataclass(frozen=True)
class Part:
    part: str   # names the colour (a class in the stylesheet) and the legend entry
    value: int
    x: int
    width: int


@dataclass(frozen=True)
class Bar:
    label: str
    total: int
    text: str  # the figures in words: "340 interactions on 12 posts"
    parts: tuple[Part, ...]


@dataclass(frozen=True)
class BarChart:
    key: str
    title: str
    note: str
    legend: tuple[tuple[str, str], ...]  # (part, what it is); empty for one-part bars
    bars: tuple[Bar, ...]
    empty: str  # said instead of the bars when there are none


def _bars(rows: list[tuple[str, str, list[tuple[str, int]]]]) -> tuple[Bar, ...]:
    """(label, text, [(part, value)]) -> bars scaled to the longest one."""
    longest = max((sum(v for _, v in parts) for _, _, parts in rows), default=0) or 1
    out = []
    for label, text, parts in rows:
        x, drawn = 0, []
        for part, value in parts:
            if value <= 0:
                continue
            width = max(MIN_WIDTH, round(SCALE * value / longest))
            drawn.append(Part(part, value, x, width))
            x += width
        out.append(Bar(label, sum(v for _, v in parts), text, tuple(drawn)))
    return tuple(out)


def engagement_by_week(summary: Summary) -> BarChart:
    rows = [(f"Week of {week.day} {week:%b}", f"{plural(e, 'interaction')} on {plural(n, 'post')}", [("engagement", e)])
            for week, n, e in summary.weeks]
    return BarChart("engagement", "Engagement by week of publication",
                    "Likes, reposts, replies and quotes of the posts published each week (weeks start on Monday).",
                    (), _bars(rows) if any(n for _, n, _ in summary.weeks) else (),
                    "No posts were published in this period.")


@dataclass(frozen=True)
class TopPost:
    post: PostKPI
    bar: Bar

    @property
    def engagement_words(self) -> str:
        return plural(self.post.engagement, "interaction")


def top_posts(summary: Summary, n: int = 10) -> list[TopPost]:
    """The most engaging posts, each with its likes, reposts, replies and quotes as one bar,
    scaled against the first."""
    top = summary.top_posts(n)
    rows = [("", " · ".join(plural(getattr(p, part), one, part) for part, one in POST_PARTS),
             [(part, getattr(p, part)) for part, _ in POST_PARTS]) for p in top]
    return [TopPost(p, bar) for p, bar in zip(top, _bars(rows))]


POST_LEGEND = tuple((part, part) for part, _ in POST_PARTS)


def compliance_by_clause(summary: Summary) -> BarChart:
    c = summary.compliance
    rows = []
    for clause, by_severity in c.findings_by_clause.items():
        total = sum(by_severity.values())
        parts = [(sev, by_severity.get(sev, 0)) for sev in SEVERITIES]
        said = ", ".join(f"{count(v)} {sev}" for sev, v in parts if v)
        rows.append((f"{clause} {c.clause_titles.get(clause, '')}".strip(),
                     f"{plural(total, 'finding')} ({said}) in {plural(c.drafts_by_clause.get(clause, 0), 'draft')}",
                     parts))
    return BarChart("compliance", "Screening findings by policy clause",
                    f"Findings on the {plural(c.drafts_screened, 'draft')} written and screened in this period, "
                    "by the clause of the policy they concern.",
                    (("block", "block: stops publication"), ("review", "review: a reviewer must look"),
                     ("advise", "advise: a suggestion")),
                    _bars(rows), "No screening findings on drafts written in this period.")


def incidents_by_type(summary: Summary) -> BarChart:
    inc = summary.incidents
    rows = []
    for kind in inc.by_type:
        parts = [(f"severity{sev}", sum(1 for r in inc.rows if r["type"] == kind and r["severity"] == sev))
                 for sev in (3, 2, 1)]
        said = ", ".join(f"{count(v)} of severity {p[-1]}" for p, v in parts if v)
        rows.append((kind.capitalize(), f"{plural(inc.by_type[kind], 'incident')} ({said})", parts))
    return BarChart("incidents", "Incidents by type and severity",
                    "Incidents opened in this period; severity 3 is the most serious.",
                    (("severity3", "severity 3"), ("severity2", "severity 2"), ("severity1", "severity 1")),
                    _bars(rows), "No incidents were opened in this period.")


def dashboard(summary: Summary) -> list[BarChart]:
    return [engagement_by_week(summary), compliance_by_clause(summary), incidents_by_type(summary)]
