"""Evaluation reports: files, a valid PDF, CSV contents, the scheduled job and e-mail."""
from __future__ import annotations

import csv
import io
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
