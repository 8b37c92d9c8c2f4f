"""Evaluation reports (4.): HTML (SVG charts), PDF (fpdf2, PNG charts) and CSV exports of the
tables behind them, for one period, each KPI with its change against the previous period and a
written summary (evaluation.py); the scheduled job that makes the monthly and quarterly report
once each and e-mails the committee a link; and a report asked for by hand (`start`, then `run`
away from the request, see jobs.make_report).

A period's report has one row: `running` while it is being made, then `done` or `failed`, each
step in its own transaction, so the reports page can show progress while the files are written.
Files are written to a temporary name and renamed into place, so a crash never leaves half a
report behind, and running the same period again replaces the files.
"""
from __future__ import annotations

import csv
import io
import logging
import os
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from onevoice import __version__, audit
from onevoice.errors import Conflict, NotFound
from onevoice.governance.permissions import Action, Actor, require
from onevoice.store import Database
from onevoice.store.models import AuditEvent, Channel, EvaluationReport, PostMetricSample, utcnow

from . import charts, definitions as defs
from .evaluation import Evaluation, evaluate
from .kpis import Period, Summary, last_complete, parse_period

log = logging.getLogger("onevoice.monitoring")
TEMPLATES = Path(__file__).resolve().parent / "templates"
FILE_NAME = re.compile(r"^onevoice-report-\d{4}(-Q[1-4]|-\d{2})?(-[a-z]+)?\.(html|pdf|csv)$")
DEMO_PREFIX = "DEMO "
CSV_TABLES = ("posts", "samples", "channels", "comments", "incidents", "findings", "approvals", "campaigns")


def file_stem(period: Period) -> str:
    return f"onevoice-report-{period.label}"


_pct, _hours, _num = defs.percent, defs.duration, defs.number


def _write(path: Path, data: bytes) -> None:
    # A name of its own per writer: the scheduled job and a report asked for by hand may write
    # the same period at once, and neither may rename the other's half-written file into place.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
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


def render_html(e: Evaluation, demo: bool, csv_names: list[str], base_url: str = "") -> str:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]))
    summary = e.summary
    svgs = {name: _strip_xml_header(charts.render(name, summary, "svg").decode("utf-8")) for name in charts.CHARTS}
    return env.get_template("report.html").render(
        s=summary, e=e, written=e.written_summary(), charts=svgs, demo=demo, csvs=csv_names, version=__version__,
        one_day=timedelta(days=1), pct=_pct, hours=_hours, num=_num, base=base_url.rstrip("/"))


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


def render_pdf(e: Evaluation, demo: bool) -> bytes:
    from fpdf import FPDF

    summary = e.summary
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
    for sentence in e.written_summary():
        para(sentence)
        pdf.ln(0.8)
    pdf.ln(1.5)
    rows = [["measure", "value", f"change vs {e.versus}"]]
    for g in e.groups:
        for f in g.figures:
            c = f.change
            rows.append([f.kpi.label, f.written, " ".join(x for x in (c.arrow, c.text) if x)
                         + (f" ({c.verdict})" if c.verdict else "")])
    table(rows, [3, 1.4, 2])

    heading("Engagement", need=95)
    chart("engagement")
    rows = [["channel", "posts", "engagement", "median/post", "rate", "followers", "impressions", "reach (estimate)"]]
    for c in summary.channels:
        rows.append([f"{c.channel} ({c.platform})", _num(c.posts), _num(c.engagement_total),
                     _num(c.engagement_per_post.median), _pct(c.engagement_rate_mean, 2),
                     f"{_num(c.followers_start)} → {_num(c.followers_end)}",
                     _num(c.impressions_total) if c.measured_posts else "not reported",
                     _num(c.reach_estimate_total) if c.estimated_posts else "–"])
    table(rows, [3, 1, 1.3, 1.3, 1, 2, 1.6, 1.6])

    heading("Top posts", need=95)
    chart("top_posts")
    rows = [["post", "published", "text", "likes", "reposts", "replies", "quotes", "clicks"]]
    for p in summary.top_posts(10):
        rows.append([f"#{p.draft_id}", f"{p.published_at:%Y-%m-%d}", p.excerpt, _num(p.likes), _num(p.reposts),
                     _num(p.replies), _num(p.quotes), _num(p.link_clicks)])
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
    heading("What each figure means")
    for g in e.definitions.groups:
        for k in g.kpis:
            pdf.set_font("DejaVu", "B", 9)
            pdf.multi_cell(width, 4.6, _text(k.label), new_x="LMARGIN", new_y="NEXT")
            para(f"{k.definition} From: {k.data} {k.better_when}", 8)
            pdf.ln(1)
    para("The CSV files next to this report hold the underlying tables; docs/kpis.md has the long form.", 8)
    return bytes(pdf.output())


def _bold_style():
    from fpdf.fonts import FontFace

    return FontFace(family="DejaVu", emphasis="BOLD", fill_color=(235, 235, 235))


# ---------------------------------------------------------------------------- building

RUNNING, DONE, FAILED = "running", "done", "failed"
# A report claimed by a version before reports were made in the background was "pending": the
# same state under its old name (the rows keep it; no migration is needed for a word).
MAKING = (RUNNING, "pending")
STALE = timedelta(hours=1)  # a report still running after this was left behind by a process that stopped
Progress = Callable[[int], None]  # hears the percentage done after each step


@dataclass
class Built:
    period: Period
    files: list[Path]
    evaluation: Evaluation

    @property
    def summary(self) -> Summary:
        return self.evaluation.summary

    @property
    def html(self) -> Path:
        return next(f for f in self.files if f.suffix == ".html")

    @property
    def pdf(self) -> Path:
        return next(f for f in self.files if f.suffix == ".pdf")


def has_demo_data(session) -> bool:
    return session.scalar(select(Channel.id).where(Channel.name.like(f"{DEMO_PREFIX}%")).limit(1)) is not None


def build(db: Database, period: Period, out_dir: Path, as_of: datetime | None = None, *, base_url: str = "",
          progress: Progress | None = None) -> Built:
    """Write the HTML, PDF and CSV files of one period into `out_dir`. `base_url` makes the
    report's links to drafts absolute, so they work from a downloaded file too."""
    as_of = as_of or utcnow()
    step = progress or (lambda pct: None)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with db.reader() as s:
        e = evaluate(s, period, as_of)
        demo = has_demo_data(s)
        tables = csv_tables(e.summary, s)
    step(20)
    stem = file_stem(period)
    files = []
    csv_names = []
    for name in CSV_TABLES:
        header, rows = tables[name]
        path = out_dir / f"{stem}-{name}.csv"
        _write(path, _csv_bytes(header, rows))
        files.append(path)
        csv_names.append(path.name)
    step(30)
    html = out_dir / f"{stem}.html"
    _write(html, render_html(e, demo, csv_names, base_url).encode("utf-8"))
    step(55)
    pdf = out_dir / f"{stem}.pdf"
    _write(pdf, render_pdf(e, demo))
    step(95)
    return Built(period, [html, pdf, *files], e)


def record_run(db: Database, built: Built, trigger: str | None, actor: str) -> None:
    """Remember the report as done (one row per period) and note it in the audit log. Without a
    `trigger`, the one the row was claimed with stays."""
    with db.transaction() as s:
        row = s.scalar(select(EvaluationReport).where(EvaluationReport.period == built.period.label))
        if row is None:
            row = EvaluationReport(period=built.period.label, trigger=trigger or "cli", emailed=False)
            s.add(row)
        row.status, row.error, row.progress = DONE, None, 100
        row.files = [f.name for f in built.files]
        row.generated_at = utcnow()
        s.flush()
        audit.record(s, actor, "report.generate", "report", built.period.label,
                     detail={"files": row.files, "trigger": trigger or row.trigger})


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
    figures = "\n".join(f"- {f.sentence}" + (f" ({f.change.words})" if f.change.words else "")
                        for g in built.evaluation.groups for f in g.figures)
    body = (f"The evaluation report for {built.period.label} is ready (policy section 4).\n\n"
            + "\n".join(built.evaluation.written_summary()) + f"\n\n{figures}\n\n"
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
    """Build, record and optionally e-mail one period's report, while the caller waits."""
    out_dir = Path(out_dir) if out_dir else reports_dir(settings)
    built = build(db, period, out_dir, as_of, base_url=settings.base_url)
    record_run(db, built, trigger, actor)
    sent = email_committee(db, settings, built, actor) if email else 0
    return built, sent


def reports_dir(settings) -> Path:
    return Path(settings.home) / "reports"


# ---------------------------------------------------------------------------- a report asked for by hand


@dataclass(frozen=True)
class ReportStatus:
    """A period's report as the reports page and the API show it."""

    period: str
    state: str         # running | stalled (left running by a process that stopped) | done | failed
    progress: int      # percent, while running
    files: list[str]
    trigger: str
    emailed: bool
    at: datetime | None  # when it started (running, stalled) or was made (done)
    error: str | None

    @property
    def in_progress(self) -> bool:
        return self.state == RUNNING


def status_of(row: EvaluationReport, now: datetime | None = None) -> ReportStatus:
    state = RUNNING if row.status in MAKING else row.status
    if state == RUNNING and _stalled(row, now or utcnow()):
        state = "stalled"
    return ReportStatus(row.period, state, row.progress or 0, list(row.files or []), row.trigger, bool(row.emailed),
                        row.generated_at, row.error)


def listing(session, now: datetime | None = None) -> list[ReportStatus]:
    rows = session.scalars(select(EvaluationReport).order_by(EvaluationReport.period.desc()))
    return [status_of(r, now) for r in rows]


def status(session, label: str, now: datetime | None = None) -> ReportStatus:
    row = session.scalar(select(EvaluationReport).where(EvaluationReport.period == label))
    if row is None:
        raise NotFound(f"no report of {label} has been made or asked for")
    return status_of(row, now)


def _stalled(row: EvaluationReport, now: datetime) -> bool:
    return row.generated_at is None or now - row.generated_at > STALE


def start(db: Database, actor: Actor, period: Period, *, trigger: str = "web", email: bool = False,
          now: datetime | None = None) -> ReportStatus:
    """Claim a period's report for making, in one audited transaction: its row goes to `running`
    at 0%. Refused while the period's report is already being made, unless that run stalled."""
    require(actor, Action.REPORT_RUN)
    now = now or utcnow()
    busy = Conflict(f"the report {period.label} is already being made; wait for it to finish")
    try:
        with db.transaction() as s:
            row = s.scalar(select(EvaluationReport).where(EvaluationReport.period == period.label))
            if row is None:
                row = EvaluationReport(period=period.label, files=[], emailed=False)
                s.add(row)
            elif row.status in MAKING and not _stalled(row, now):
                raise busy
            row.status, row.progress, row.error, row.trigger, row.generated_at = RUNNING, 0, None, trigger, now
            s.flush()
            audit.record(s, actor.label, "report.start", "report", period.label,
                         detail={"trigger": trigger, "email": email})
            return status_of(row, now)
    except IntegrityError:  # another request inserted the period's row first
        raise busy from None


def run(db: Database, settings, label: str, *, actor: str = "system", email: bool = False,
        as_of: datetime | None = None, out_dir: Path | None = None) -> Built | None:
    """Make a report that `start` claimed: the files (the row's progress after each step), then
    the row `done`, or `failed` with the reason, each in its own transaction. Nobody waits on
    this call, so a failure is recorded on the row rather than raised."""
    try:
        built = build(db, parse_period(label), Path(out_dir) if out_dir else reports_dir(settings), as_of,
                      base_url=settings.base_url, progress=lambda pct: _progress(db, label, pct))
        record_run(db, built, None, actor)
    except Exception as exc:  # noqa: BLE001 - recorded on the row for the page to show
        log.exception("report %s failed", label)
        _finish(db, label, FAILED, str(exc) or type(exc).__name__)
        return None
    if email:
        try:
            email_committee(db, settings, built, actor)
        except Exception as exc:  # noqa: BLE001 - the report itself is made
            log.exception("report %s: e-mail not queued", label)
            _finish(db, label, DONE, f"made, but the e-mail to the committee could not be queued: {exc}")
    return built


def _progress(db: Database, label: str, pct: int) -> None:
    with db.transaction() as s:
        row = s.scalar(select(EvaluationReport).where(EvaluationReport.period == label))
        if row is not None and row.status in MAKING:
            row.progress = pct


def _finish(db: Database, label: str, state: str, error: str) -> None:
    try:
        with db.transaction() as s:
            row = s.scalar(select(EvaluationReport).where(EvaluationReport.period == label))
            if row is not None:
                row.status, row.error = state, error[:2000]
    except Exception:  # noqa: BLE001 - the database itself is gone; the row stalls and can be made again
        log.exception("report %s: could not record %s", label, state)


# ---------------------------------------------------------------------------- the scheduled reports


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
            _finish(db, period.label, FAILED, str(exc))
            done.append(f"{period.label}: failed: {exc}")
    return done


def _claim(db: Database, label: str, now: datetime) -> bool:
    try:
        with db.transaction() as s:
            row = s.scalar(select(EvaluationReport).where(EvaluationReport.period == label))
            if row is None:
                s.add(EvaluationReport(period=label, status=RUNNING, trigger="schedule", generated_at=now,
                                       emailed=False, files=[]))
                return True
            if row.status == DONE and row.emailed:
                return False
            if row.status == DONE and not row.emailed and row.trigger != "schedule":
                return False  # made by hand: the operator decided whether to e-mail it
            if row.status in MAKING and not _stalled(row, now):
                return False  # another worker, or a committee member, is on it
            row.status, row.generated_at, row.progress, row.error = RUNNING, now, 0, None
            return True
    except IntegrityError:
        return False
