"""Evaluation reports: files, a valid PDF, CSV contents, the scheduled job and e-mail."""
from __future__ import annotations

import csv
import io
from html import unescape
import shutil
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import select

from onevoice.governance import members
from onevoice.governance.permissions import SYSTEM
from onevoice.monitoring import kpis, report
from onevoice.monitoring.collect import record_followers, record_post_sample
from onevoice.publishing.connectors import PostCounts
from onevoice.store.models import EvaluationReport, Notification

from .helpers import published, setup, utc

AS_OF = utc(2026, 10, 15)


def _data(system):
    author, (cid,) = setup(system)
    ids = []
    for day in range(1, 90, 9):
        d = published(system, author, cid, utc(2026, 7, 1) + timedelta(days=day), f"p{day}",
                      text=f"=cmd|' /C calc'!A0 post {day} 🎉 ünïcødé")
        ids.append(d)
        with system.db.transaction() as s:
            record_post_sample(s, d, cid, utc(2026, 7, 1) + timedelta(days=day + 1), PostCounts(likes=day, reposts=1))
    with system.db.transaction() as s:
        record_followers(s, cid, utc(2026, 7, 1), 500)
        record_followers(s, cid, utc(2026, 9, 30), 540)
    return ids


def _pages(pdf: bytes) -> int:
    return pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") + pdf.count(b"/Type /Page>")


def test_report_files_pdf_and_csv(sqlite_system, tmp_path):
    ids = _data(sqlite_system)
    built = report.build(sqlite_system.db, kpis.parse_period("2026-Q3"), tmp_path / "out", AS_OF)
    names = sorted(f.name for f in built.files)
    assert "onevoice-report-2026-Q3.html" in names and "onevoice-report-2026-Q3.pdf" in names
    assert {f"onevoice-report-2026-Q3-{t}.csv" for t in report.CSV_TABLES} <= set(names)
    assert all(report.FILE_NAME.match(n) for n in names)
    pdf = built.pdf.read_bytes()
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF") and _pages(pdf) >= 2
    html = built.html.read_text()
    assert html.count("<svg") == 4 and "estimated potential reach" in html and "DEMO DATA" not in html
    assert "<script" not in html
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "onevoice-report-2026-Q3-posts.csv").read_text())))
    assert [int(r["draft_id"]) for r in rows] == ids
    first = rows[0]
    assert (first["likes"], first["reposts"], first["engagement"], first["reach_kind"]) == ("1", "1", "2", "estimate")
    assert first["followers_at_publication"] == "500" and first["impressions"] == ""
    samples = (tmp_path / "out" / "onevoice-report-2026-Q3-samples.csv").read_text().splitlines()
    assert samples[0].startswith("draft_id,channel_id,slot") and len(samples) == len(ids) + 1
    channels = list(csv.DictReader(io.StringIO((tmp_path / "out" / "onevoice-report-2026-Q3-channels.csv").read_text())))
    assert channels[0]["posts"] == str(len(ids)) and channels[0]["follower_change"] == "40"
    if shutil.which("pdftoppm"):  # render the first page, as a reader would
        subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(built.pdf), str(tmp_path / "page")],
                       check=True)
        assert list(tmp_path.glob("page*.png"))


def test_csv_cells_cannot_become_formulas():
    assert report._csv_bytes(["a"], [["=1+1"], ["-2"], ["ok"]]) == b"a\n'=1+1\n'-2\nok\n"


def test_empty_period_still_makes_a_report(sqlite_system, tmp_path):
    built = report.build(sqlite_system.db, kpis.parse_period("2026-01"), tmp_path, AS_OF)
    assert built.pdf.read_bytes().startswith(b"%PDF") and "No posts published" in built.html.read_text()


def test_scheduled_reports_once_each_and_emailed(sqlite_system, tmp_path):
    s_ = sqlite_system
    _data(s_)
    with s_.db.transaction() as s:
        members.add_member(s, SYSTEM, "chair@example.org", "Chair", roles=("chair",))
        members.add_member(s, SYSTEM, "c1@example.org", "C1", roles=("committee",))
        members.add_member(s, SYSTEM, "x@demo.example", "Demo", roles=("committee",))
        members.add_member(s, SYSTEM, "plain@example.org", "Plain")
    now = kpis.utcnow() + timedelta(days=400)  # the periods must end after the installation began
    done = report.scheduled(s_.db, s_.settings, now=now)
    assert len(done) == 2 and all("e-mailed to 2" in line for line in done), done
    assert report.scheduled(s_.db, s_.settings, now=now + timedelta(hours=2)) == []  # once per period
    with s_.db.reader() as s:
        rows = list(s.scalars(select(EvaluationReport)))
        mails = list(s.scalars(select(Notification)))
    assert all(r.status == "done" and r.emailed and r.trigger == "schedule" for r in rows) and len(rows) == 2
    assert sorted({m.target for m in mails}) == ["c1@example.org", "chair@example.org"]
    assert all("/api/v1/reports/files/onevoice-report-" in m.body for m in mails)
    assert (report.reports_dir(s_.settings) / f"onevoice-report-{rows[0].period}.pdf").exists()


def test_scheduled_skips_periods_before_installation(sqlite_system):
    assert report.scheduled(sqlite_system.db, sqlite_system.settings, now=kpis.utcnow()) == []


def test_failed_report_is_recorded_and_retried(sqlite_system, monkeypatch):
    now = kpis.utcnow() + timedelta(days=400)
    monkeypatch.setattr(report, "render_pdf", lambda *a: (_ for _ in ()).throw(RuntimeError("disk full")))
    done = report.scheduled(sqlite_system.db, sqlite_system.settings, now=now)
    assert all("failed: disk full" in line for line in done)
    monkeypatch.undo()
    with sqlite_system.db.reader() as s:
        assert {r.status for r in s.scalars(select(EvaluationReport))} == {"failed"}
    assert len(report.scheduled(sqlite_system.db, sqlite_system.settings, now=now)) == 2


# ---------------------------------------------------------------------------- what the report says


def test_the_report_has_a_written_summary_changes_and_the_definitions(sqlite_system, tmp_path):
    _data(sqlite_system)
    built = report.build(sqlite_system.db, kpis.parse_period("2026-Q3"), tmp_path, AS_OF,
                         base_url="https://onevoice.ipala.example/")
    html = built.html.read_text()
    written = built.evaluation.written_summary()
    assert written[0].startswith("In Q3 2026, the association published 10 posts on 1 channel")
    assert written[-1] == "There is no earlier data to compare with Q2."
    assert all(f"<p>{sentence}</p>" in unescape(html) for sentence in written)
    assert "Key figures, compared with Q2" in html and html.count("no earlier data</span>") == 14
    assert 'href="#def-answered_share"' in html and 'id="def-answered_share"' in html  # figure -> its definition
    assert 'href="https://onevoice.ipala.example/drafts/' in html  # a top post -> its draft, from a downloaded file too
    assert 'href="https://x/p' in html  # and the post as published
    assert "<script" not in html


def test_the_changes_in_the_report_are_against_the_previous_period(sqlite_system, tmp_path):
    author, (cid,) = setup(sqlite_system)
    for month, likes in ((7, 10), (8, 15)):
        d = published(sqlite_system, author, cid, utc(2026, month, 5), f"m{month}")
        with sqlite_system.db.transaction() as s:
            record_post_sample(s, d, cid, utc(2026, month, 6), PostCounts(likes=likes))
    built = report.build(sqlite_system.db, kpis.parse_period("2026-08"), tmp_path, AS_OF)
    html = built.html.read_text()
    assert '<span aria-hidden="true">▲</span> <span class="sr-only">up </span>50% vs July (better)' in html
    assert "likes, reposts, replies and quotes (up 50% on July)" in html
    assert built.pdf.read_bytes().startswith(b"%PDF")


# ---------------------------------------------------------------------------- a report asked for by hand


def _committee(system):
    from onevoice.governance.members import actor_for

    with system.db.transaction() as s:
        m, _ = members.add_member(s, SYSTEM, "cm@example.org", "Committee", roles=("committee",))
        plain, _ = members.add_member(s, SYSTEM, "plain@example.org", "Plain")
        return actor_for(m), actor_for(plain)


def _row(system, label):
    with system.db.reader() as s:
        return report.status(s, label)


def test_a_report_is_claimed_running_then_made_done_each_step_its_own_transaction(sqlite_system, tmp_path, monkeypatch):
    from onevoice.audit import verify
    from onevoice.errors import Conflict
    from onevoice.governance.permissions import PermissionDenied
    from onevoice.store.models import AuditEvent

    _data(sqlite_system)
    committee, plain = _committee(sqlite_system)
    period = kpis.parse_period("2026-Q3")
    with pytest.raises(PermissionDenied):
        report.start(sqlite_system.db, plain, period)
    started = report.start(sqlite_system.db, committee, period, trigger="web")
    assert (started.state, started.progress, started.files, started.in_progress) == ("running", 0, [], True)
    with pytest.raises(Conflict, match="already being made"):
        report.start(sqlite_system.db, committee, period)
    seen = []
    real = report._progress
    monkeypatch.setattr(report, "_progress", lambda db, label, pct: (seen.append((_row(sqlite_system, label).state, pct)),
                                                                      real(db, label, pct)))
    built = report.run(sqlite_system.db, sqlite_system.settings, "2026-Q3", actor="cm@example.org", out_dir=tmp_path,
                       as_of=AS_OF)
    assert [pct for _, pct in seen] == [20, 30, 55, 95] and {state for state, _ in seen} == {"running"}
    done = _row(sqlite_system, "2026-Q3")
    assert (done.state, done.progress, done.trigger, done.error) == ("done", 100, "web", None)
    assert done.files == [f.name for f in built.files]
    with sqlite_system.db.reader() as s:
        actions = [a for (a,) in s.execute(select(AuditEvent.action).where(AuditEvent.object_type == "report"))]
        assert actions == ["report.start", "report.generate"] and verify(s).ok
    assert report.start(sqlite_system.db, committee, period).state == "running"  # a done report can be made again


def test_a_failed_report_says_why_and_can_be_made_again(sqlite_system, tmp_path, monkeypatch):
    committee, _ = _committee(sqlite_system)
    period = kpis.parse_period("2026-07")
    report.start(sqlite_system.db, committee, period)
    monkeypatch.setattr(report, "render_pdf", lambda *a: (_ for _ in ()).throw(RuntimeError("disk full")))
    assert report.run(sqlite_system.db, sqlite_system.settings, "2026-07", out_dir=tmp_path) is None
    failed = _row(sqlite_system, "2026-07")
    assert (failed.state, failed.error, failed.in_progress) == ("failed", "disk full", False)
    monkeypatch.undo()
    report.start(sqlite_system.db, committee, period)
    assert report.run(sqlite_system.db, sqlite_system.settings, "2026-07", out_dir=tmp_path) is not None
    assert _row(sqlite_system, "2026-07").state == "done"


def test_a_report_left_running_by_a_stopped_process_stalls_and_can_be_started_again(sqlite_system):
    committee, _ = _committee(sqlite_system)
    period = kpis.parse_period("2026-07")
    long_ago = kpis.utcnow() - report.STALE - timedelta(minutes=1)
    report.start(sqlite_system.db, committee, period, now=long_ago)
    assert _row(sqlite_system, "2026-07").state == "stalled"
    assert report.start(sqlite_system.db, committee, period).state == "running"
    # and the scheduled job leaves a report someone is making alone
    assert report._claim(sqlite_system.db, "2026-07", kpis.utcnow()) is False


def test_the_committee_email_carries_the_written_summary(sqlite_system, tmp_path):
    _data(sqlite_system)
    with sqlite_system.db.transaction() as s:
        members.add_member(s, SYSTEM, "chair@example.org", "Chair", roles=("chair",))
    built, sent = report.generate(sqlite_system.db, sqlite_system.settings, kpis.parse_period("2026-Q3"), tmp_path,
                                  email=True, as_of=AS_OF)
    with sqlite_system.db.reader() as s:
        (mail,) = s.scalars(select(Notification))
    assert sent == 1 and built.evaluation.written_summary()[0] in mail.body
    assert "- Published 10 posts" in mail.body and "/api/v1/reports/files/onevoice-report-2026-Q3.pdf" in mail.body
