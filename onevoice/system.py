"""The running installation: settings, database, credential box and the active policy.

Adapters (web, CLI, workers) build one System and call the services through it; the services
themselves only ever receive a database session and an Actor.
"""
from __future__ import annotations

from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import select

from onevoice import audit
from onevoice.config import Settings, stored_secret, make_home
from onevoice.errors import InvalidInput, NotFound
from onevoice.governance.auth import LoginPolicy
from onevoice.governance.authorizations import AUTHORIZATION_MONTHS
from onevoice.governance.channels import CredentialBox
from onevoice.governance.members import add_member
from onevoice.governance.permissions import SYSTEM, Role
from onevoice.policy import PolicyPack, load_pack, pack_path, parse_pack
from onevoice.publishing.connectors.addresses import ALLOW_PRIVATE
from onevoice.screening import Engine
from onevoice.store import Database
from onevoice.store.db import create_sqlite_file
from onevoice.store.migrate import upgrade
from onevoice.store.models import Member, PolicyPackVersion, RoleGrant


class System:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = _with_audit_key(settings or Settings.from_env())
        self.db = Database(self.settings.database_url,
                           info={audit.KEY: self.settings.audit_key,
                                 ALLOW_PRIVATE: self.settings.allow_private_urls,
                                 AUTHORIZATION_MONTHS: self.settings.authorization_months})
        self.box = CredentialBox(self.settings.secret_key)
        self._engines: dict[str, Engine] = {}
        self._hand_off: Callable[..., None] | None = None

    def install_kick(self, hand_off: Callable[..., None] | None) -> None:
        """Set what `kick` hands work to: `hand_off(task, *args)`. The Celery side
        (onevoice.scale.install) installs its own when a broker is configured; None removes it."""
        self._hand_off = hand_off

    @property
    def has_workers(self) -> bool:
        """Whether `kick` reaches workers (a broker is configured and its hook installed)."""
        return self._hand_off is not None

    def kick(self, task: str, *args: Any) -> bool:
        """Hand a task (\"job\" with a job's name, or \"report\" with a report's arguments) to the
        workers. Without a broker nothing is installed and this does nothing and returns False: the
        in-process scheduler runs the jobs. Raises what the hook raises (the broker being down)."""
        if self._hand_off is None:
            return False
        self._hand_off(task, *args)
        return True

    def migrate(self) -> None:
        upgrade(self.settings.database_url)

    def initialize(self, admin_email: str = "admin@localhost.localdomain") -> str | None:
        """Migrate, store the policy pack if none is active, and create a first admin if there
        is none. Returns the admin's one-time password when one was created. Idempotent."""
        if self.settings.database_url.startswith("sqlite"):
            make_home(self.settings.home)
            create_sqlite_file(self.settings.database_url)  # before Alembic's engine makes it 0644
        self.migrate()
        with self.db.transaction() as s:
            audit.seal(s)
            active = s.scalar(select(PolicyPackVersion).where(PolicyPackVersion.active.is_(True)))
            path = _pack_file(self.settings.policy_pack)
            source = path.read_text(encoding="utf-8")
            # A pack the committee never edited follows the packaged file; an edited one is theirs.
            if active is None or (active.created_by is None and active.source != source):
                pack = parse_pack(source, source=path.name)
                if active is not None:
                    active.active = False
                    s.flush()
                row = PolicyPackVersion(name=pack.name, version=pack.version, source=source, active=True)
                s.add(row)
                s.flush()
                audit.record(s, SYSTEM.label, "policy.load", "policy_pack", row.id, None,
                             {"name": pack.name, "version": pack.version})
            from onevoice.crisis import playbooks

            playbooks.load_packaged(s)
            has_admin = s.scalar(select(RoleGrant.id).where(RoleGrant.role == Role.ADMIN.value).limit(1))
            if has_admin is None and s.scalar(select(Member.id).where(Member.email == admin_email)) is None:
                _, one_time = add_member(s, SYSTEM, admin_email, "Administrator", roles=("admin",))
                return one_time
        return None

    @cached_property
    def policy(self) -> PolicyPack:
        """The active policy pack from the database, or the configured file before `init`."""
        try:
            with self.db.reader() as s:
                row = s.scalar(select(PolicyPackVersion).where(PolicyPackVersion.active.is_(True)))
        except Exception:  # no tables yet: fall back to the packaged pack
            row = None
        if row is None:
            return load_pack(self.settings.policy_pack)
        return parse_pack(row.source, source=f"{row.name}@{row.version}")

    @cached_property
    def screening(self) -> Engine:
        return Engine(self.policy)

    @property
    def login_policy(self) -> LoginPolicy:
        return LoginPolicy(self.settings.login_max_failures, self.settings.login_lockout_seconds,
                           passwords=self.settings.password_signin, break_glass=self.settings.break_glass_admin)

    def engine_with_employer(self, employer: str) -> Engine:
        """The active policy plus a packaged employer pack (2.g), by name."""
        if not employer.replace("-", "").replace("_", "").isalnum():
            raise InvalidInput("an employer pack is named by letters, digits, - and _")
        key = f"employer:{employer}"
        if key not in self._engines:
            emp_path = pack_path(f"employers/{employer}")
            if not emp_path.exists():
                raise NotFound(f"no employer pack {employer!r}")
            self._engines[key] = Engine(self.policy.with_employer(parse_pack(emp_path.read_text("utf-8"), emp_path.name)))
        return self._engines[key]

    def connector_for(self, channel):
        """The platform connector of a channel, with its credentials decrypted for this call only."""
        from onevoice.publishing.connectors import ConnectorConfig, build_connector

        return build_connector(ConnectorConfig(platform=channel.platform, handle=channel.handle,
                                               base_url=channel.base_url, credentials=self.box.open(channel.credentials),
                                               allow_private_urls=self.settings.allow_private_urls))

    def reload_policy(self) -> None:
        self._engines.clear()
        self.__dict__.pop("policy", None)
        self.__dict__.pop("screening", None)


def _with_audit_key(settings: Settings) -> Settings:
    """Settings built in code may leave the audit key empty: the installation's own key file in
    ONEVOICE_HOME is used then (made once, 0600), the same one Settings.from_env reads, so the
    CLI and the workers of the same home agree with it. An empty key is never used."""
    if settings.audit_key:
        return settings
    return replace(settings, audit_key=stored_secret(settings.home, "audit.key"))


def _pack_file(name_or_path: str) -> Path:
    p = Path(name_or_path)
    return p if p.suffix else pack_path(name_or_path)
