"""The engine's contract: offsets into the original text, decisions, redaction, batch shape."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from hypothesis import given, settings, strategies as st

from onevoice.screening import Draft, screen

BIN = os.path.join(os.path.dirname(sys.executable), "onevoice")


def test_findings_point_into_the_original_text():
    text = "Reach our officer on her mobile: 555\u200b-0143 or f\u200bu\u200bck it"
    report = screen(text)
    assert report.findings, report
    for f in report.findings:
        assert text[f.start:f.end] == f.text
    assert report.decision.value == "block"


def test_decision_and_redaction():
    report = screen({"text": "Her home number is 555-0143, call her.", "kind": "official"})
    assert report.decision.value == "block"
    assert "555-0143" not in report.redacted and "2.a" in report.redacted
    clean = screen("Join us for the airway webinar on 12 March: https://ipala.org/webinars")
    assert clean.decision.value == "pass" and clean.findings == () and clean.redacted == clean.redacted


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_screens_without_error_and_spans_are_valid(text):
    report = screen(Draft(text=text, kind="personal"))
    for f in report.findings:
        assert 0 <= f.start <= f.end <= len(text)
        assert text[f.start:f.end] == f.text


def test_batch_contract_and_bad_lines(tmp_path):
    lines = [
        {"id": "a", "kind": "official", "text": "Her private mobile is 555-0143", "attachments": []},
        {"id": "b", "kind": "personal", "text": "Lovely day at the congress!",
         "attachments": [{"type": "image", "credit": "me", "alt": "the venue"}]},
    ]
    src = "\n".join(json.dumps(x) for x in lines) + "\nnot json\n"
    r = subprocess.run([BIN, "screen", "--jsonl"], input=src, capture_output=True, text=True,
                       env={**os.environ, "ONEVOICE_HOME": str(tmp_path)}, timeout=120)
    assert r.returncode == 1 and "line 3" in r.stderr
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", "b"]
    assert set(out[0]) == {"id", "decision", "labels", "findings"}
    assert out[0]["labels"] == ["2.a"] and out[0]["decision"] == "block"
    f = out[0]["findings"][0]
    assert set(f) == {"clause", "rule", "severity", "start", "end", "text"}
    assert lines[0]["text"][f["start"]:f["end"]] == f["text"] == "555-0143"
    assert out[1]["decision"] == "pass"


def test_cli_text_mode_exit_codes(tmp_path):
    env = {**os.environ, "ONEVOICE_HOME": str(tmp_path)}
    ok = subprocess.run([BIN, "screen", "-"], input="Registration for the spring webinar series is open on our website.", capture_output=True, text=True, env=env)
    assert ok.returncode == 0 and "PASS" in ok.stdout
    bad = subprocess.run([BIN, "screen", "-", "--format", "json"], input="call 555-0143", capture_output=True,
                         text=True, env=env)
    assert json.loads(bad.stdout)["decision"] == "block"
    empty = subprocess.run([BIN, "screen", "-"], input="  ", capture_output=True, text=True, env=env)
    assert empty.returncode == 2 and empty.stderr.strip() == "error: the draft is empty"
