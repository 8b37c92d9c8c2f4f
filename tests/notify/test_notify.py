"""End to end through the environment: ONEVOICE_MATRIX_* configure the chat target that every
escalation also goes to, and deliver_due(db) with no config reads them."""
from __future__ import annotations

import pytest

from onevoice import notify


@pytest.mark.slow
def test_matrix_message_reaches_the_committee_room(db, matrix, monkeypatch):
    monkeypatch.setenv("ONEVOICE_MATRIX_HOMESERVER", matrix.url)
    monkeypatch.setenv("ONEVOICE_MATRIX_TOKEN", matrix.users["onevoice"].token)
    monkeypatch.setenv("ONEVOICE_MATRIX_ROOM", matrix.room)
    monkeypatch.delenv("ONEVOICE_CHAT_WEBHOOKS", raising=False)
    assert [t.channel for t in notify.chat_targets()] == ["matrix"]
    with db.transaction() as s:
        for t in notify.chat_targets():
            notify.enqueue(s, t.channel, t.target, "[onevoice] CRISIS on bluesky: incident #3", "Please acknowledge.")
    assert notify.deliver_due(db)["sent"] == 1
    bodies = [e["content"]["body"] for e in matrix.messages(matrix.room, matrix.users["chair"])]
    assert bodies == ["[onevoice] CRISIS on bluesky: incident #3\nPlease acknowledge."]
