"""Members, their roles, the official channels (1. Authorized use) and their credentials."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow


class Member(Base):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    employer_pack: Mapped[str | None] = mapped_column(String(200))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    timezone: Mapped[str | None] = mapped_column(String(64))  # IANA zone the member reads dates in
    # single sign-on (governance/sso.py): the provider and its subject id, set at the first SSO sign-in
    sso_issuer: Mapped[str | None] = mapped_column(String(500))
    sso_subject: Mapped[str | None] = mapped_column(String(255))
    # two-factor sign-in (governance/two_factor.py): the TOTP secret sealed with the credential box,
    # active once confirmed with a first code; the last time step used, so no code is used twice
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("sso_issuer", "sso_subject", name="uq_members_sso"),)

    roles: Mapped[list["RoleGrant"]] = relationship(back_populates="member", cascade="all, delete-orphan",
                                                    lazy="selectin", foreign_keys="RoleGrant.member_id")


class Channel(Base):
    __tablename__ = "channels"
    __table_args__ = (UniqueConstraint("platform", "handle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(40))
    handle: Mapped[str] = mapped_column(String(300))
    name: Mapped[str] = mapped_column(String(200))
    base_url: Mapped[str | None] = mapped_column(String(500))
    credentials: Mapped[bytes | None] = mapped_column(LargeBinary)  # Fernet token, never plaintext
    quorum: Mapped[int] = mapped_column(Integer, default=1)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    crisis_mode: Mapped[bool] = mapped_column(Boolean, default=False)
    # the last "test connection" or platform call with the stored credentials
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    account: Mapped[str | None] = mapped_column(String(300))  # the account the credentials reached
    credentials_failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    credentials_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RoleGrant(Base):
    """A role held by a member; `channel_id` is set only for the channel-scoped role
    `authorized` (an authorized member of that channel)."""

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("member_id", "role", "channel_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    # an authorization on a channel may end (governance/authorizations.py): no submission after it
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the reminder for this end date

    member: Mapped[Member] = relationship(back_populates="roles", foreign_keys=[member_id])


class ApiToken(Base):
    """An API token. Only a SHA-256 of the secret is stored: the token is high-entropy, so a
    fast hash is safe, and look-up by hash stays one indexed query."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scopes: Mapped[str] = mapped_column(String(100), default="read", server_default="read")  # space-separated (permissions.Scope)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: never


class RecoveryCode(Base):
    """A one-time recovery code of two-factor sign-in, hashed like a password; used once."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OrgSetting(Base):
    """A setting of the organization changed from the admin pages (not the environment), such as
    whether two-factor sign-in is required for the committee, chair and admin roles."""

    __tablename__ = "org_settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))


class WebSession(Base):
    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MemberLink(Base):
    """A one-time link sent by e-mail: an invitation to set a first password, or a password
    reset. Only a SHA-256 of the link's secret is stored; it works once, before `expires_at`."""

    __tablename__ = "member_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # invite | reset
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SsoUse(Base):
    """A state or an id_token of a single sign-on, once it was used: never accepted again."""

    __tablename__ = "sso_uses"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of "<kind>:<value>"
    kind: Mapped[str] = mapped_column(String(20))  # state | id_token
    used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class PolicyPackVersion(Base):
    """Every version of the policy pack the organization has used; one is active."""

    __tablename__ = "policy_pack_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))


class PolicyAcknowledgement(Base):
    """A member has read a policy version and will follow it (1.); asked again for each new version."""

    __tablename__ = "policy_acknowledgements"
    __table_args__ = (UniqueConstraint("member_id", "policy_version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    policy_version_id: Mapped[int] = mapped_column(ForeignKey("policy_pack_versions.id", ondelete="CASCADE"),
                                                   index=True)
    acknowledged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
