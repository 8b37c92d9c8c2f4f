"""The report's charts, drawn with matplotlib (Agg, no display): SVG text for the HTML report and
PNG bytes for the PDF. Output is deterministic for the same data (fixed SVG hash salt, no dates
in the metadata), so two runs over the same period give the same files."""
from __future__ import annotations

import io
import threading
from typing import Callable

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .definitions import duration as _h
from .kpis import Summary

BLUE, ORANGE, RED, GREY, GREEN = "#1f5f99", "#e08a1e", "#b83232", "#8a8a8a", "#3c8d4f"
SEVERITY_COLOURS = {"block": RED, "review": ORANGE, "advise": GREY}
matplotlib.rcParams.update({"svg.hashsalt": "onevoice", "font.size": 9, "axes.spines.top": False,
                     "axes.spines.right": False, "figure.dpi": 100})


def _empty(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color=GREY)
    ax.set_xticks([])
    ax.set_yticks([])


def engagement_over_time(summary: Summary, fig) -> None:
    ax = fig.add_subplot()
    weeks = summary.weeks
    if not weeks or not any(n for _, n, _ in weeks):
        _empty(ax, "no posts published in this period")
    else:
        labels = [w.strftime("%d %b") for w, _, _ in weeks]
        ax.bar(range(len(weeks)), [e for _, _, e in weeks], color=BLUE, label="engagement of posts published that week")
        ax.set_ylabel("engagement (likes + reposts + replies + quotes)")
        step = max(1, len(weeks) // 13)
        ax.set_xticks(range(0, len(weeks), step), labels[::step], rotation=45, ha="right")
        ax2 = ax.twinx()
        ax2.plot(range(len(weeks)), [n for _, n, _ in weeks], color=ORANGE, marker="o", ms=3, label="posts")
        ax2.set_ylabel("posts")
        ax.set_ylim(0, max(1, max(e for _, _, e in weeks)) * 1.3)
        ax2.set_ylim(0, max(1, max(n for _, n, _ in weeks)) * 1.3)
        ax2.spines["top"].set_visible(False)
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, loc="upper left", frameon=False)
    ax.set_title(f"Engagement by week of publication, {summary.period.label}")


def top_posts(summary: Summary, fig) -> None:
    ax = fig.add_subplot()
    top = summary.top_posts(10)
    if not top:
        _empty(ax, "no posts published in this period")
    else:
        top = list(reversed(top))
        labels = [f"#{p.draft_id} · {p.published_at:%d %b} · {p.channel.removeprefix('DEMO ')[:22]}" for p in top]
        y = range(len(top))
        left = [0] * len(top)
        for part, colour in (("likes", BLUE), ("reposts", GREEN), ("replies", ORANGE), ("quotes", GREY)):
            values = [getattr(p, part) for p in top]
            ax.barh(y, values, left=left, color=colour, label=part)
            left = [a + b for a, b in zip(left, values)]
        ax.set_yticks(list(y), labels)
        ax.set_xlabel("engagement")
        ax.legend(loc="lower right", frameon=False)
    ax.set_title("Top posts by engagement")


def compliance_by_clause(summary: Summary, fig) -> None:
    ax = fig.add_subplot()
    by_clause = summary.compliance.findings_by_clause
    if not by_clause:
        _empty(ax, "no screening findings on drafts written in this period")
    else:
        clauses = sorted(by_clause)
        severities = sorted({s for v in by_clause.values() for s in v}, key=lambda s: ("block", "review", "advise").index(s)
                            if s in ("block", "review", "advise") else 9)
        bottom = [0] * len(clauses)
        for sev in severities:
            values = [by_clause[c].get(sev, 0) for c in clauses]
            ax.bar(range(len(clauses)), values, bottom=bottom, color=SEVERITY_COLOURS.get(sev, BLUE), label=sev)
            bottom = [a + b for a, b in zip(bottom, values)]
        titles = summary.compliance.clause_titles
        ax.set_xticks(range(len(clauses)), [f"{c}\n{titles.get(c, '')[:22]}" for c in clauses], fontsize=7)
        ax.set_ylabel("findings")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(frameon=False)
    ax.set_title(f"Screening findings by policy clause ({summary.compliance.drafts_screened} drafts screened)")


def incidents(summary: Summary, fig) -> None:
    ax = fig.add_subplot()
    inc = summary.incidents
    if not inc.opened:
        _empty(ax, "no incidents opened in this period")
    else:
        types = list(inc.by_type)
        sev_colours = {1: ORANGE, 2: RED, 3: "#6b0f0f"}
        bottom = [0] * len(types)
        for sev in (1, 2, 3):
            values = [sum(1 for r in inc.rows if r["type"] == t and r["severity"] == sev) for t in types]
            if any(values):
                ax.bar(range(len(types)), values, bottom=bottom, color=sev_colours[sev], label=f"severity {sev}")
                bottom = [a + b for a, b in zip(bottom, values)]
        ax.set_xticks(range(len(types)), types)
        ax.set_ylim(0, max(bottom) * 1.4)
        ax.set_ylabel("incidents opened")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(frameon=False)
        med_a, med_r = inc.ack_hours.median, inc.resolve_hours.median
        ax.text(1.0, 1.0, f"median to acknowledge: {_h(med_a)}\nmedian to resolve: {_h(med_r)}\n"
                f"missed acknowledge deadline: {inc.missed_ack_deadline}", ha="right", va="top",
                transform=ax.transAxes, fontsize=8)
    ax.set_title("Incidents by type and severity")


CHARTS: dict[str, tuple[str, Callable]] = {
    "engagement": ("Engagement over time", engagement_over_time),
    "top_posts": ("Top posts", top_posts),
    "compliance": ("Compliance by clause", compliance_by_clause),
    "incidents": ("Incidents", incidents),
}


# One chart at a time in a process: a Figure without pyplot keeps no global state of its own, but
# matplotlib's font and text caches are shared, and the scheduled reports and the reports asked
# for from the web are made on different threads.
_drawing = threading.Lock()


def render(name: str, summary: Summary, fmt: str) -> bytes:
    """One chart as 'svg' or 'png' bytes."""
    draw = CHARTS[name][1]
    with _drawing:
        fig = Figure(figsize=(8, 3.6 if name != "top_posts" else 4.2))
        draw(summary, fig)
        fig.tight_layout()
        buf = io.BytesIO()
        metadata = {"Date": None} if fmt == "svg" else {"Software": None}
        fig.savefig(buf, format=fmt, metadata=metadata, dpi=150 if fmt == "png" else "figure")
    return buf.getvalue()
