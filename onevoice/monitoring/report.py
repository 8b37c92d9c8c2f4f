"""Evaluation reports (4.): HTML (SVG charts), PDF (fpdf2, PNG charts) and CSV exports of the
tables behind them, for one period; and the scheduled job that makes the monthly and quarterly
report once each and e-mails the committee a link.

Files are written to a temporary name and renamed into place, so a crash never leaves half a
report behind, and running the same period again replaces the files.
"""
from __future__ import annotations

import csv
import io
import logging
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from onevoice import __version__, audit
from onevoice.store import Database
from onevoice.store.models import AuditEvent, Channel, EvaluationReport, PostMetricSample, utcnow

from . import charts
from .kpis import Period, Summary, last_complete, summarize

log = logging.getLogger("onevoice.monitoring")
TEMPLATES = Path(__file__).resolve().parent / "templates"
FILE_NAME = re.compile(r"^onevoice-report-\d{4}(-Q[1-4]|-\d{2})?(-[a-z]+)?\.(html|pdf|csv)$")
DEMO_PREFIX = "DEMO "
CSV_TABLES = ("posts", "samples", "channels", "comments", "incidents", "findings", "approvals", "campaigns")


def file_stem(period: Period) -> str:
    return f"onevoice-report-{period.label}"


def _pct(value, digits: int = 0) -> str:
    return "n/a" if value is None else f"{value * 100:.{digits}f}%"


def _hours(value) -> str:
    return charts._h(value)


def _num(value) -> str:
    return "n/a" if value is None else (f"{value:g}" if isinstance(value, float) else str(value))


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------- CSV


def csv_tables(summary: Summary, session) -> dict[str, tuple[list[str], list[list]]]:
    """The tables behind the report, as (header, rows)."""
    posts = [[k.draft_id, k.channel_id, k.channel, k.published_at, k.url or "", k.likes, k.reposts, k.replies, k.quotes,
              k.engagement, _blank(k.impressions), _blank(k.followers_at_publication), _blank(k.engagement_rate),
              _blank(k.reach), k.reach_kind, k.link_clicks, _blank(k.sampled_at)] for k in summary.posts]
    ids = [k.draft_id for k in summary.posts]
    samples = []
    for i in range(0, len(ids), 500):
        q = (select(PostMetricSample).where(PostMetricSample.draft_id.in_(ids[i:i + 500]),
                                            PostMetricSample.slot <= summary.as_of)
             .order_by(PostMetricSample.draft_id, PostMetricSample.slot))
        samples += [[s.draft_id, s.channel_id, s.slot, s.likes, s.reposts, s.replies, s.quotes, _blank(s.impressions)]
                    for s in session.scalars(q)]
    channels = [[c.channel_id, c.channel, c.platform, c.posts, c.engagement_total, _blank(c.engagement_per_post.median),
                 _blank(c.engagement_rate_mean), _blank(c.followers_start), _blank(c.followers_end),
                 _blank(c.follower_change), c.impressions_total, c.measured_posts, c.reach_estimate_total,
                 c.estimated_posts, _blank(c.amplification)] for c in summary.channels]
    comments = [[r.comment_id, r.channel_id, r.received_at, r.category or "", r.severity, r.needs_response,
                 _blank(r.incident_id), _blank(r.responded_at), _blank(r.response_hours), r.via or ""]
                for r in summary.responses]
    incidents = [[r["incident_id"], r["type"], r["severity"], r["state"], r["opened_at"], _blank(r["acknowledged_at"]),
                  _blank(r["resolved_at"]), _blank(r["ack_hours"]), _blank(r["resolve_hours"]), r["missed_ack_deadline"]]
                 for r in summary.incidents.rows]
    findings = [[f["draft_id"], f["channel_id"], f["created_at"], f["clause"], f["severity"], f["rule"]]
                for f in summary.compliance.findings]
    approvals = [[r["draft_id"], r["submitted_at"], r["approved_at"], r["hours"]] for r in summary.compliance.approval_rows]
    campaigns = [[c.campaign_id, c.slug, c.name, c.starts_at, c.ends_at, c.goal_metric, c.goal_target, c.achieved,
                  _blank(c.progress), c.clicks_in_period, c.clicks_total, c.bot_requests, c.posts, c.engagement]
                 for c in summary.campaigns]
    return {
        "posts": (["draft_id", "channel_id", "channel", "published_at", "url", "likes", "reposts", "replies", "quotes",
                   "engagement", "impressions", "followers_at_publication", "engagement_rate", "reach", "reach_kind",
                   "link_clicks", "counts_sampled_at"], posts),
        "samples": (["draft_id", "channel_id", "slot", "likes", "reposts", "replies", "quotes", "impressions"], samples),
        "channels": (["channel_id", "channel", "platform", "posts", "engagement", "median_engagement_per_post",
                      "mean_engagement_rate", "followers_start", "followers_end", "follower_change",
                      "impressions_measured", "posts_measured", "reach_estimate", "posts_estimated",
                      "reach_followers_per_repost"], channels),
        "comments": (["comment_id", "channel_id", "received_at", "category", "severity", "needs_response",
                      "incident_id", "responded_at", "response_hours", "responded_via"], comments),
        "incidents": (["incident_id", "type", "severity", "state", "opened_at", "acknowledged_at", "resolved_at",
                       "ack_hours", "resolve_hours", "missed_ack_deadline"], incidents),
        "findings": (["draft_id", "channel_id", "draft_created_at", "clause", "severity", "rule"], findings),
        "approvals": (["draft_id", "submitted_at", "approved_at", "hours"], approvals),
        "campaigns": (["campaign_id", "slug", "name", "starts_at", "ends_at", "goal_metric", "goal_target", "achieved",
                       "progress", "clicks_in_period", "clicks_total", "bot_requests", "posts", "engagement"], campaigns),
    }


def _blank(value):
    return "" if value is None else value


def _csv_bytes(header: list[str], rows: list[list]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow([v.isoformat() if isinstance(v, datetime) else _safe_cell(v) for v in row])
    return buf.getvalue().encode("utf-8")


def _safe_cell(v):
    """Spreadsheet formula injection: a text cell starting with = + - @ is prefixed with '."""
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + v
    return v


# ---------------------------------------------------------------------------- HTML


def render_html(summary: Summary, demo: bool, csv_names: list[str]) -> str:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]))
    svgs = {name: _strip_xml_header(charts.render(name, summary, "svg").decode("utf-8")) for name in charts.CHARTS}
    return env.get_template("report.html").render(
        s=summary, h=summary.headline(), charts=svgs, demo=demo, csvs=csv_names, version=__version__,
        one_day=timedelta(days=1), pct=_pct, hours=_hours, num=_num)


def _strip_xml_header(svg: str) -> str:
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


# ---------------------------------------------------------------------------- PDF


def _font_paths() -> tuple[str, str]:
    import matplotlib

    base = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return str(base / "DejaVuSans.ttf"), str(base / "DejaVuSans-Bold.ttf")


def _text(value) -> str:
    """DejaVu has no glyphs beyond the Basic Multilingual Plane (emoji): those become '?'."""
    return "".join(ch if ord(ch) <= 0xFFFF else "?" for ch in str(value))


def render_pdf(summary: Summary, demo: bool) -> bytes:
    from fpdf import FPDF

    regular, bold = _font_paths()
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_creation_date(summary.as_of)
    pdf.set_title(f"onevoice evaluation report {summary.period.label}")
    pdf.set_author("onevoice")
    pdf.add_font("DejaVu", "", regular)
    pdf.add_font("DejaVu", "B", bold)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    width = pdf.epw
    h = summary.headline()

    def heading(text: str, size: int = 13, need: float = 30) -> None:
        if pdf.get_y() + need > pdf.page_break_trigger:
            pdf.add_page()
        pdf.ln(2)
        pdf.set_font("DejaVu", "B", size)
        pdf.multi_cell(width, 7, _text(text), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 9)

    def para(text: str, size: int = 9) -> None:
        pdf.set_font("DejaVu", "", size)
        pdf.multi_cell(width, 4.6, _text(text), new_x="LMARGIN", new_y="NEXT")

    def table(rows: list[list], widths: list[float] | None = None, header: bool = True) -> None:
        pdf.set_font("DejaVu", "", 8)
        with pdf.table(col_widths=widths, text_align="LEFT", first_row_as_headings=header, line_height=4.6,
                       headings_style=None if not header else _bold_style()) as t:
            for row in rows:
                r = t.row()
                for cell in row:
                    r.cell(_text(cell))
        pdf.ln(1)

    def chart(name: str) -> None:
        png = charts.render(name, summary, "png")
        pdf.image(io.BytesIO(png), w=width)

    heading(f"Social media evaluation report — {summary.period.label}", 16)
    para(f"IPALA Communications & Technical Standing Committee · policy section 4 · period "
         f"{summary.period.start.date()} to {(summary.period.end - timedelta(days=1)).date()} (UTC) · counts as of "
         f"{summary.as_of:%Y-%m-%d %H:%M} UTC · onevoice {__version__}")
    if demo:
        pdf.set_text_color(140, 90, 0)
        para("DEMO DATA: this installation contains the generated demo organization (channels named 'DEMO …', "
             "members @demo.example). Its figures are invented for illustration.")
        pdf.set_text_color(0, 0, 0)
    heading("Summary")
    table([["measure", "value"],
           ["posts published", h["posts"]], ["engagement (likes + reposts + replies + quotes)", h["engagement"]],
           ["impressions, measured by the platforms", h["impressions_measured"]],
           ["reach, ESTIMATED (followers + reposts × typical follower count; not measured)", h["reach_estimated"]],
           ["comments needing a response that got one", _pct(h["answered_share"])],
           ["median response time to comments", _hours(h["median_response_hours"])],
           ["incidents opened", h["incidents"]], ["median time to acknowledge", _hours(h["median_ack_hours"])],
           ["median time to resolve", _hours(h["median_resolve_hours"])],
           ["drafts screened", h["drafts_screened"]], ["median approval turnaround", _hours(h["median_approval_hours"])],
           ["chair overrides", h["overrides"]], ["campaign link clicks", h["link_clicks"]]], [3, 1])

    heading("Engagement", need=95)
    chart("engagement")
    rows = [["channel", "posts", "engagement", "median/post", "rate", "followers", "impressions", "reach (estimate)"]]
    for c in summary.channels:
        rows.append([f"{c.channel} ({c.platform})", c.posts, c.engagement_total, _num(c.engagement_per_post.median),
                     _pct(c.engagement_rate_mean, 2), f"{_num(c.followers_start)} → {_num(c.followers_end)}",
                     c.impressions_total if c.measured_posts else "not reported",
                     c.reach_estimate_total if c.estimated_posts else "–"])
    table(rows, [3, 1, 1.3, 1.3, 1, 2, 1.6, 1.6])

    heading("Top posts", need=95)
    chart("top_posts")
    rows = [["post", "published", "text", "likes", "reposts", "replies", "quotes", "clicks"]]
    for p in summary.top_posts(10):
        rows.append([f"#{p.draft_id}", f"{p.published_at:%Y-%m-%d}", p.excerpt, p.likes, p.reposts, p.replies,
                     p.quotes, p.link_clicks])
    table(rows, [1, 1.8, 6, 1, 1.2, 1.1, 1.1, 1])

    heading("Impact: campaigns")
    rows = [["campaign", "dates", "goal", "achieved", "progress", "clicks in period", "posts"]]
    for c in summary.campaigns:
        rows.append([f"{c.name} (utm_campaign={c.slug})", f"{c.starts_at:%Y-%m-%d} – {c.ends_at:%Y-%m-%d}",
                     f"{c.goal_target} {c.goal_metric}", c.achieved, _pct(c.progress), c.clicks_in_period, c.posts])
    if len(rows) == 1:
        para("No campaign ran in this period.")
    else:
        table(rows, [4, 3, 2, 1.4, 1.4, 1.4, 1])

    heading("Responsiveness to comments")
    r = summary.response
    table([["measure", "value"], ["comments received", r.comments],
           ["by category", " · ".join(f"{k} {v}" for k, v in r.by_category.items()) or "–"],
           ["needing a response", r.needing_response], ["answered / unanswered", f"{r.answered} / {r.unanswered}"],
           ["answered within 24 hours", _pct(r.within_24h_share)],
           ["response time median / 90th percentile",
            f"{_hours(r.response_hours.median)} / {_hours(r.response_hours.p90)}"]], [3, 2])

    heading("Incidents", need=95)
    chart("incidents")
    i = summary.incidents
    table([["measure", "value"], ["opened", i.opened], ["still open", i.still_open],
           ["time to acknowledge median / p90", f"{_hours(i.ack_hours.median)} / {_hours(i.ack_hours.p90)}"],
           ["time to resolve median / p90", f"{_hours(i.resolve_hours.median)} / {_hours(i.resolve_hours.p90)}"],
           ["acknowledge deadline missed", i.missed_ack_deadline]], [3, 2])

    heading("Compliance with the policy", need=95)
    chart("compliance")
    cmp = summary.compliance
    rows = [["clause", "drafts with findings", "findings by severity"]]
    for clause, sev in cmp.findings_by_clause.items():
        rows.append([f"{clause} {cmp.clause_titles.get(clause, '')}", cmp.drafts_by_clause.get(clause, 0),
                     " · ".join(f"{k} {v}" for k, v in sev.items())])
    if len(rows) > 1:
        table(rows, [4, 1.5, 3])
    table([["measure", "value"], ["drafts screened", cmp.drafts_screened],
           ["decisions", " · ".join(f"{k} {v}" for k, v in cmp.decisions.items()) or "–"],
           ["approvals; turnaround median / p90",
            f"{cmp.approvals}; {_hours(cmp.approval_hours.median)} / {_hours(cmp.approval_hours.p90)}"],
           ["changes requested / rejected", f"{cmp.changes_requested} / {cmp.rejected}"],
           ["chair overrides of block findings", cmp.overrides]], [3, 2])
    para("Definitions of every figure: docs/kpis.md. The CSV files next to this report hold the underlying tables.", 8)
    return bytes(pdf.output())


def _bold_style():
    from fpdf.fonts import FontFace

    return FontFace(family="DejaVu", emphasis="BOLD", fill_color=(235, 235, 235))


# ---------------------------------------------------------------------------- building


@dataclass
class Built:
    period: Period
    files: list[Path]
    summary: Summary

    @property
    def html(self) -> Path:
        return next(f for f in self.files if f.suffix == ".html")

    @property
    def pdf(self) -> Path:
        return next(f for f in self.files if f.suffix == ".pdf")


def has_demo_data(session) -> bool:
    return session.scalar(select(Channel.id).where(Channel.name.like(f"{DEMO_PREFIX}%")).limit(1)) is not None


def build(db: Database, period: Period, out_dir: Path, as_of: datetime | None = None) -> Built:
    """Write the HTML, PDF and CSV files of one period into `out_dir`."""
    as_of = as_of or utcnow()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with db.reader() as s:
        summary = summarize(s, period, as_of)
        demo = has_demo_data(s)
        tables = csv_tables(summary, s)
    stem = file_stem(period)
    files = []
    csv_names = []
    for name in CSV_TABLES:
        header, rows = tables[name]
        path = out_dir / f"{stem}-{name}.csv"
        _write(path, _csv_bytes(header, rows))
        files.append(path)
        csv_names.append(path.name)
    html = out_dir / f"{stem}.html"
    _write(html, render_html(summary, demo, csv_names).encode("utf-8"))
    pdf = out_dir / f"{stem}.pdf"
    _write(pdf, render_pdf(summary, demo))
    return Built(period, [html, pdf, *files], summary)


def record_run(db: Database, built: Built, trigger: str, actor: str) -> None:
    """Remember the report (one row per period) and note it in the audit log."""
    with db.transaction() as s:
        row = s.scalar(select(EvaluationReport).where(EvaluationReport.period == built.period.label))
        if row is None:
            row = EvaluationReport(period=built.period.label, trigger=trigger, emailed=False)
            s.add(row)
        row.status, row.error = "done", None
        row.files = [f.name for f in built.files]
        row.generated_at = utcnow()
        s.flush()
        audit.record(s, actor, "report.generate", "report", built.period.label,
                     detail={"files": row.files, "trigger": trigger})


def email_committee(db: Database, settings, built: Built, actor: str = "system") -> int:
    """Queue an e-mail with links to the report to every active committee member, the chair and
    the vice-chair (demo members excluded). Returns how many were queued; 0 when the notification
    outbox is not installed."""
    try:
        from onevoice.notify import enqueue
    except ImportError:  # pragma: no cover - the notify package is part of the installation
        log.warning("onevoice.notify is not available; report %s not e-mailed", built.period.label)
        return 0
    from onevoice.governance.members import holders
    from onevoice.governance.permissions import Role

    base = (getattr(settings, "base_url", "") or "").rstrip("/")
    links = "\n".join(f"  {base}/api/v1/reports/files/{f.name}" for f in built.files if f.suffix in (".html", ".pdf"))
    h = built.summary.headline()
    body = (f"The evaluation report for {built.period.label} is ready (policy section 4).\n\n"
            f"Posts published: {h['posts']}\nEngagement: {h['engagement']}\n"
            f"Impressions (measured): {h['impressions_measured']}\nReach (estimated): {h['reach_estimated']}\n"
            f"Comments answered: {_pct(h['answered_share'])}, median response {_hours(h['median_response_hours'])}\n"
            f"Incidents: {h['incidents']}, median time to acknowledge {_hours(h['median_ack_hours'])}\n"
            f"Median approval turnaround: {_hours(h['median_approval_hours'])}; chair overrides: {h['overrides']}\n\n"
            f"Report (sign in to open):\n{links}\n")
    subject = f"[onevoice] Evaluation report {built.period.label}"
    with db.transaction() as s:
        people = {}
        for role in (Role.CHAIR, Role.VICE_CHAIR, Role.COMMITTEE):
            for m in holders(s, role):
                if not m.email.endswith("@demo.example"):
                    people[m.email] = m
        for email in sorted(people):
            enqueue(s, "email", email, subject, body, related=("report", built.period.label))
        row = s.scalar(select(EvaluationReport).where(EvaluationReport.period == built.period.label))
        if row is not None:
            row.emailed = True
        return len(people)


def generate(db: Database, settings, period: Period, out_dir: Path | None = None, *, trigger: str = "cli",
             actor: str = "system", email: bool = False, as_of: datetime | None = None) -> tuple[Built, int]:
    """Build, record and optionally e-mail one period's report."""
    out_dir = Path(out_dir) if out_dir else reports_dir(settings)
    built = build(db, period, out_dir, as_of)
    record_run(db, built, trigger, actor)
    sent = email_committee(db, settings, built, actor) if email else 0
    return built, sent


def reports_dir(settings) -> Path:
    return Path(settings.home) / "reports"


def _installed_at(db: Database) -> datetime | None:
    with db.reader() as s:
        return s.scalar(select(AuditEvent.at).order_by(AuditEvent.seq).limit(1))


def scheduled(db: Database, settings, now: datetime | None = None) -> list[str]:
    """The scheduled job: make the last complete month's and quarter's report once each, and
    e-mail the committee. A period that ended before the installation existed is skipped. The
    period's row is claimed first (unique per period), so two workers never both make it; a
    report that failed is tried again on the next run."""
    now = now or utcnow()
    installed = _installed_at(db)
    done = []
    for kind in ("month", "quarter"):
        period = last_complete(kind, now)
        if installed is None or period.end <= installed:
            continue
        if not _claim(db, period.label, now):
            continue
        try:
            built, sent = generate(db, settings, period, trigger="schedule", actor="scheduler", email=True, as_of=now)
            done.append(f"{period.label}: {len(built.files)} files, e-mailed to {sent}")
        except Exception as exc:  # noqa: BLE001 - recorded, retried next run
            log.exception("report %s failed", period.label)
            with db.transaction() as s:
                row = s.scalar(select(EvaluationReport).where(EvaluationReport.period == period.label))
                row.status, row.error = "failed", str(exc)[:2000]
            done.append(f"{period.label}: failed: {exc}")
    return done


STALE = timedelta(hours=1)


def _claim(db: Database, label: str, now: datetime) -> bool:
    try:
        with db.transaction() as s:
            row = s.scalar(select(EvaluationReport).where(EvaluationReport.period == label))
            if row is None:
                s.add(EvaluationReport(period=label, status="pending", trigger="schedule", generated_at=now,
                                       emailed=False, files=[]))
                return True
            if row.status == "done" and row.emailed:
                return False
            if row.status == "done" and not row.emailed and row.trigger != "schedule":
                return False  # made by hand: the operator decided whether to e-mail it
            if row.status == "pending" and row.generated_at and now - row.generated_at < STALE:
                return False  # another worker is on it
            row.status, row.generated_at = "pending", now
            return True
    except IntegrityError:
        return False
