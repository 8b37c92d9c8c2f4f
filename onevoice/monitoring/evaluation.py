"""Evaluating a period against the one before (4.: "monitor and evaluate ... on a regular basis"):
each KPI with its change, and the written summary of the period, made from the figures with the
sentence templates of definitions.yaml (no language model: the same figures always give the same
words). The dashboard and the report both read a period through `evaluate`."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from sqlalchemy.orm import Session

from . import definitions as defs
from .definitions import Definition, Definitions, plural
from .kpis import Period, Summary, long_label, previous, short_label, summarize, utcnow

ARROWS = {"up": "▲", "down": "▼", "same": "=", "none": ""}


@dataclass(frozen=True)
class Change:
    """A KPI against the previous period. `direction` is up, down, same, or none (nothing to
    compare with); `verdict` is better or worse, or None when the definition names no good
    direction. The arrow is decoration: `words` says the same for screen readers and sentences."""

    direction: str
    amount: str   # "12%", "5 pts", "from 0", "" (same or none)
    versus: str   # "Q2", "June", "2025"
    verdict: str | None = None
    was: str = ""  # the previous figure, written out, when this period has none

    @property
    def arrow(self) -> str:
        return ARROWS[self.direction]

    @property
    def text(self) -> str:
        """What the page shows after the arrow: "12% vs Q2", "no change vs Q2", "no earlier data"."""
        if self.direction == "none":
            return f"was {self.was} in {self.versus}" if self.was else "no earlier data"
        if self.direction == "same":
            return f"no change vs {self.versus}"
        return f"{self.amount} vs {self.versus}"

    @property
    def direction_word(self) -> str:
        return {"up": "up", "down": "down"}.get(self.direction, "")

    @property
    def words(self) -> str:
        """In a sentence: "up 12% on Q2", "the same as in Q2", "" without earlier data."""
        if self.direction == "none":
            return ""
        if self.direction == "same":
            return f"the same as in {self.versus}"
        return f"{self.size} on {self.versus}"

    @property
    def size(self) -> str:
        """"up 12%", "down 5 percentage points": the change without what it is against."""
        number, _, unit = self.amount.partition(" ")
        amount = {"pts": f"{number} percentage points", "pt": f"{number} percentage point"}.get(unit, self.amount)
        return f"{self.direction} {amount.replace('<1', 'less than 1')}" if self.direction_word else ""


def change(kpi: Definition, value, before, versus: str, earlier: bool = True) -> Change:
    """`value` against `before`; `earlier` is False when the previous period holds no data at all."""
    if not earlier or before is None:
        return Change("none", "", versus)
    if value is None:
        return Change("none", "", versus, was=kpi.write(before))
    if kpi.change == "points":
        delta = round((value - before) * 100, 6)
        amount = _amount(abs(delta), "pts")
    elif before == 0:
        delta, amount = value, "from 0"
    else:
        delta = (value - before) / abs(before) * 100
        amount = _amount(abs(delta), "%")
    if delta == 0 or amount in ("0%", "0 pts"):
        return Change("same", "", versus)
    direction = "up" if delta > 0 else "down"
    verdict = None if kpi.good == "neither" else ("better" if direction == kpi.good else "worse")
    return Change(direction, amount, versus, verdict)


def _amount(size: float, unit: str) -> str:
    if size < 1:
        return "<1%" if unit == "%" else "<1 pt"
    n = round(size)
    if unit == "%":
        return f"{n:,}%"
    return f"{n} pt" if n == 1 else f"{n:,} pts"


@dataclass(frozen=True)
class Figure:
    kpi: Definition
    value: object
    before: object
    change: Change

    @property
    def sentence(self) -> str:
        return self.kpi.say(self.value)

    @property
    def written(self) -> str:
        return self.kpi.write(self.value)


@dataclass(frozen=True)
class FigureGroup:
    key: str
    title: str
    figures: tuple[Figure, ...]


@dataclass
class Evaluation:
    """One period read against the previous one: what the dashboard and the report show."""

    summary: Summary
    previous: Summary
    definitions: Definitions

    @property
    def period(self) -> Period:
        return self.summary.period

    @property
    def versus(self) -> str:
        return short_label(self.previous.period, self.summary.period)

    @cached_property
    def groups(self) -> list[FigureGroup]:
        now, before = self.summary.headline(), self.previous.headline()
        earlier = not self.previous.is_empty
        return [FigureGroup(g.key, g.title, tuple(
                    Figure(k, now[k.key], before[k.key], change(k, now[k.key], before[k.key], self.versus, earlier))
                    for k in g.kpis)) for g in self.definitions.groups]

    @cached_property
    def figures(self) -> dict[str, Figure]:
        return {f.kpi.key: f for g in self.groups for f in g.figures}

    def written_summary(self) -> list[str]:
        return written_summary(self)

    def as_dict(self) -> dict:
        """The summary as the API gives it, with what the dashboard adds: each headline figure
        against the previous period, in the same words, and the written summary."""
        out = self.summary.as_dict()
        out["compared_with"] = {"period": self.previous.period.label, "name": self.versus,
                                "empty": self.previous.is_empty}
        out["figures"] = [{"key": f.kpi.key, "label": f.kpi.label, "sentence": f.sentence, "value": f.value,
                           "before": f.before, "change": {"direction": f.change.direction, "amount": f.change.amount,
                                                          "verdict": f.change.verdict, "text": f.change.text,
                                                          "words": f.change.words}}
                          for f in self.figures.values()]
        out["written_summary"] = self.written_summary()
        return out


def evaluate(session: Session, period: Period, as_of: datetime | None = None) -> Evaluation:
    """The period and the one before it, counted as of the same moment."""
    as_of = as_of or utcnow()
    return Evaluation(summarize(session, period, as_of), summarize(session, previous(period), as_of), defs.load())


# ---------------------------------------------------------------------------- the written summary


def written_summary(e: Evaluation) -> list[str]:
    """The period in a few sentences, filled in from the figures (templates: definitions.yaml)."""
    t = e.definitions.summary
    s, figures = e.summary, e.figures
    h = s.headline()

    def value(key: str) -> str:
        return figures[key].written

    def changed(key: str) -> str:
        words = figures[key].change.words
        return f" ({words})" if words else ""

    out = []
    channels = len({p.channel_id for p in s.posts})
    if s.posts:
        out.append(t["activity"].format(period=long_label(s.period), posts=plural(h["posts"], "post"),
                                        channels=plural(channels, "channel"),
                                        engagement=figures["engagement"].sentence, engagement_change=changed("engagement")))
        top = s.top_posts(1)[0]
        if top.engagement:
            out.append(t["top_post"].format(draft_id=top.draft_id, channel=top.channel, excerpt=top.excerpt,
                                            post_engagement=plural(top.engagement, "interaction")))
    else:
        out.append(t["activity_none"].format(period=long_label(s.period)))
    r = s.response
    if r.needing_response:
        out.append(t["responses"].format(needing=plural(r.needing_response, "comment"), answered=defs.count(r.answered),
                                         answered_share=value("answered_share"),
                                         answered_share_change=changed("answered_share"),
                                         median_response_hours=value("median_response_hours"),
                                         median_response_hours_change=changed("median_response_hours")))
    elif r.comments:
        out.append(t["responses_none"].format(comments=plural(r.comments, "comment")))
    i = s.incidents
    if i.opened:
        out.append(t["incidents"].format(incidents=plural(i.opened, "incident"), were="was" if i.opened == 1 else "were",
                                         median_ack_hours=value("median_ack_hours"),
                                         median_ack_hours_change=changed("median_ack_hours"),
                                         missed=defs.count(i.missed_ack_deadline) if i.missed_ack_deadline else "none"))
    else:
        out.append(t["incidents_none"])
    c = s.compliance
    if c.drafts_screened:
        were = "was" if c.drafts_screened == 1 else "were"
        if c.drafts_by_clause:
            clause, n = max(sorted(c.drafts_by_clause.items()), key=lambda kv: kv[1])
            out.append(t["compliance"].format(drafts_screened=plural(c.drafts_screened, "draft"), were=were,
                                              clause=f"{clause} {c.clause_titles.get(clause, '')}".strip(),
                                              clause_drafts=plural(n, "draft")))
        else:
            out.append(t["compliance_clean"].format(drafts_screened=plural(c.drafts_screened, "draft"), were=were))
    if c.overrides:
        out.append(t["overrides"].format(overrides=plural(c.overrides, "block finding")))
    if s.campaigns:
        out.append(t["campaigns"].format(link_clicks=plural(h["link_clicks"], "time"),
                                         link_clicks_change=changed("link_clicks")))
    out += _largest_changes(e, t)
    return out


def _largest_changes(e: Evaluation, t: dict[str, str]) -> list[str]:
    """The biggest relative move each way among the KPIs that have a good direction."""
    if e.previous.is_empty:
        return [t["no_earlier"].format(previous=e.versus)]
    moves = []
    for f in e.figures.values():
        ch = f.change
        if ch.verdict is None or f.before in (None, 0) or f.value is None:
            continue
        size = abs(f.value - f.before) / abs(f.before) if f.kpi.change == "relative" else abs(f.value - f.before)
        moves.append((ch.verdict, size, f))
    def largest(verdict: str) -> Figure | None:
        mine = sorted((m for m in moves if m[0] == verdict), key=lambda m: (-m[1], m[2].kpi.key))
        return mine[0][2] if mine else None

    better, worse = largest("better"), largest("worse")
    out = []
    if better:
        out.append(t["better"].format(previous=e.versus, kpi=better.kpi.label.lower(), change=better.change.size))
    if worse:  # alone, the sentence must say what it compares with
        out.append(t["worse" if better else "worse_alone"].format(previous=e.versus, kpi=worse.kpi.label.lower(),
                                                                  change=worse.change.size))
    return out
