"""Triage on comments written for these tests (not taken from the dev data)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from onevoice.triage import triage

BIN = os.path.join(os.path.dirname(sys.executable), "onevoice")


@pytest.mark.parametrize("text,category,severity", [
    ("Wonderful job breaking the app again 👏 can't even download my certificate", "complaint", None),
    ("This review kills the myth that croup needs antibiotics. Great read!", "praise", 0),
    ("That keynote was sick, best talk of the week 🔥", "praise", 0),
    ("When does early registration close?", "question", 0),
    ("Someone posted my son's hospital photo on your page without asking me. Remove it now.", "crisis", 3),
    ("Got a message from 'IPALA Helpdesk' asking for my password, are you hacked?", "crisis", 3),
    ("My lawyer will be in touch about the defamatory post.", "crisis", 3),
    ("You are all clowns 🤡 and frauds", "abuse", 2),
    ("IPALA is secretly funded by tobacco companies, look it up", "misinformation", 2),
    ("WIN A FREE iPhone!!! link in bio 🎁", "spam", 0),
    ("Good morning everyone", "neutral", 0),
    ("Mi certificado no funciona y nadie responde. Vergonzoso.", "complaint", None),
    ("🤬🤬", "complaint", 1),
])
def test_categories(text, category, severity):
    t = triage(text)
    assert t.category == category, t
    assert t.escalate == (category in ("complaint", "abuse", "misinformation", "crisis"))
    if severity is not None:
        assert t.severity == severity
    assert (t.severity == 0) == (not t.escalate)


def test_large_audience_raises_severity():
    assert triage("The livestream sound was awful today.", 50).severity == 1
    big = triage("The livestream sound was awful today.", 250_000)
    assert big.severity == 2 and any("audience" in r for r in big.reasons)


def test_batch_contract(tmp_path):
    lines = [{"id": "a", "text": "Thanks for the slides!", "author_followers": 10},
             {"id": "b", "text": "Your post leaked members' phone numbers", "author_followers": 300}]
    src = "\n".join(json.dumps(x) for x in lines) + "\n{broken\n"
    r = subprocess.run([BIN, "triage", "--jsonl"], input=src, capture_output=True, text=True,
                       env={**os.environ, "ONEVOICE_HOME": str(tmp_path)}, timeout=120)
    assert r.returncode == 1 and "line 3" in r.stderr
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", "b"]
    assert set(out[0]) == {"id", "escalate", "category", "severity", "scores"}
    assert out[0]["escalate"] is False and out[1]["escalate"] is True and out[1]["severity"] == 3
