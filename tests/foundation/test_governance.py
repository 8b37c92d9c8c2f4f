"""Members, roles, channels and the permission table, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from onevoice.errors import Conflict, InvalidInput, NotFound
from onevoice.governance import channels, members
from onevoice.governance.permissions import (
    PERMISSIONS, SYSTEM, Action, PermissionDenied, Role, allowed, permission_table_markdown, require,
)
from onevoice.store.models import Channel, Member


def add(system, email, *roles):
    with system.db.transaction() as s:
        m, _ = members.add_member(s, SYSTEM, email, email.split("@")[0].title(), roles=roles)
        return m.id


def actor(system, ref):
    with system.db.reader() as s:
        return members.actor_for(members.get_member(s, ref))


def test_roles_and_channel_scoped_authorization(system):
    with system.db.transaction() as s:
        ch = channels.add_channel(s, SYSTEM, system.box, "bluesky", "ipala.test", credentials={"password": "pw"})
        other = channels.add_channel(s, SYSTEM, system.box, "mastodon", "ipala@social.test")
        ch_id, other_id = ch.id, other.id
    add(system, "ana@example.org")
    with system.db.transaction() as s:
        members.grant_role(s, SYSTEM, "ana@example.org", "authorized", s.get(Channel, ch_id))
    ana = actor(system, "ana@example.org")
    assert allowed(ana, Action.DRAFT_SUBMIT, ch_id)
    assert not allowed(ana, Action.DRAFT_SUBMIT, other_id)
    assert not allowed(ana, Action.DRAFT_REVIEW)
    with pytest.raises(PermissionDenied, match="authorized member of a channel"):
        require(ana, Action.DRAFT_SUBMIT, other_id)


def test_chair_is_on_the_committee_and_only_chair_overrides(system):
    add(system, "chair@example.org", "chair")
    add(system, "cm@example.org", "committee")
    chair, cm = actor(system, "chair@example.org"), actor(system, "cm@example.org")
    assert allowed(chair, Action.DRAFT_REVIEW) and allowed(cm, Action.DRAFT_REVIEW)
    assert allowed(chair, Action.DRAFT_OVERRIDE_BLOCK)
    assert not allowed(cm, Action.DRAFT_OVERRIDE_BLOCK)


def test_member_cannot_administer(system):
    add(system, "m@example.org")
    m = actor(system, "m@example.org")
    with system.db.transaction() as s, pytest.raises(PermissionDenied):
        members.add_member(s, m, "x@example.org", "X")
    with system.db.reader() as s:
        assert s.scalar(select(Member).where(Member.email == "x@example.org")) is None


def test_bad_input_is_refused_and_nothing_is_written(system):
    with pytest.raises(InvalidInput, match="not an e-mail"):
        with system.db.transaction() as s:
            members.add_member(s, SYSTEM, "not-an-email", "X")
    add(system, "dup@example.org")
    with pytest.raises(Conflict):
        with system.db.transaction() as s:
            members.add_member(s, SYSTEM, "DUP@example.org", "Y")
    with pytest.raises(InvalidInput, match="unknown role"):
        with system.db.transaction() as s:
            members.grant_role(s, SYSTEM, "dup@example.org", "overlord")
    with pytest.raises(InvalidInput, match="needs a channel"):
        with system.db.transaction() as s:
            members.grant_role(s, SYSTEM, "dup@example.org", "authorized")
    with pytest.raises(NotFound):
        with system.db.transaction() as s:
            members.revoke_role(s, SYSTEM, "dup@example.org", "chair")
    # a failure half-way rolls back the member added earlier in the same transaction
    with pytest.raises(InvalidInput):
        with system.db.transaction() as s:
            members.add_member(s, SYSTEM, "half@example.org", "Half")
            channels.add_channel(s, SYSTEM, system.box, "myspace", "x")
    with system.db.reader() as s:
        assert s.scalar(select(Member).where(Member.email == "half@example.org")) is None


def test_channel_credentials_are_encrypted_at_rest(system):
    with system.db.transaction() as s:
        ch = channels.add_channel(s, SYSTEM, system.box, "bluesky", "enc.test",
                                  credentials={"identifier": "enc.test", "password": "s3cret-app-password"})
        cid = ch.id
    with system.db.reader() as s:
        raw = s.get(Channel, cid).credentials
    assert b"s3cret" not in raw
    assert system.box.open(raw)["password"] == "s3cret-app-password"
    from onevoice.governance.channels import CredentialBox
    with pytest.raises(InvalidInput, match="cannot be decrypted"):
        CredentialBox("another-key").open(raw)


def test_revoke_role(system):
    add(system, "r@example.org", "committee")
    with system.db.transaction() as s:
        members.revoke_role(s, SYSTEM, "r@example.org", "committee")
    assert Role.COMMITTEE not in actor(system, "r@example.org").roles


def test_permission_doc_matches_the_table():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "permissions.md").read_text()
    assert permission_table_markdown() in doc, "docs/permissions.md is stale: regenerate it from the table"
    assert set(PERMISSIONS) == set(Action)
