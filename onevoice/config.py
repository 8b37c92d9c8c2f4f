"""Settings from the environment, with defaults that make `make run` work on a fresh clone.

ONEVOICE_HOME          folder for the SQLite database and the generated secret key (./var)
ONEVOICE_DATABASE_URL  SQLAlchemy URL; default sqlite in ONEVOICE_HOME; PostgreSQL at scale:
                       postgresql+psycopg://user@host/dbname
ONEVOICE_SECRET_KEY    key for encrypting channel credentials and signing sessions; when unset
                       a random key is generated once into ONEVOICE_HOME/secret.key (mode 0600)
ONEVOICE_POLICY_PACK   policy pack name or path (ipala)
ONEVOICE_BASE_URL      the address people open the web app at, used in notification links
ONEVOICE_RETENTION_DAYS  delete finished drafts and old comments after this many days (0: never)
ONEVOICE_INTAKE        inline (default: pushed comments are triaged before the request returns) or
                       queued (stored as a batch, 202 Accepted, triaged by the workers)
ONEVOICE_BROKER_URL    Celery broker (redis://… or amqp://…); when set, work the API hands off is
                       sent to the Celery workers at once instead of waiting for the next round
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from onevoice.errors import InvalidInput


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    secret_key: str
    policy_pack: str = "ipala"
    login_max_failures: int = 5
    login_lockout_seconds: int = 900
    session_hours: int = 12
    base_url: str = "http://127.0.0.1:8000"
    retention_days: int = 0  # 0: keep everything
    smtp: dict = field(default_factory=dict)
    intake: str = "inline"  # inline | queued
    broker_url: str = ""

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)
        home = Path(env.get("ONEVOICE_HOME", "var")).resolve()
        url = env.get("ONEVOICE_DATABASE_URL") or f"sqlite:///{home / 'onevoice.db'}"
        key = env.get("ONEVOICE_SECRET_KEY") or _stored_secret(home)
        return cls(home=home, database_url=url, secret_key=key,
                   policy_pack=env.get("ONEVOICE_POLICY_PACK", "ipala"),
                   base_url=env.get("ONEVOICE_BASE_URL", "http://127.0.0.1:8000"),
                   retention_days=int(env.get("ONEVOICE_RETENTION_DAYS", 0)),
                   login_max_failures=int(env.get("ONEVOICE_LOGIN_MAX_FAILURES", 5)),
                   login_lockout_seconds=int(env.get("ONEVOICE_LOGIN_LOCKOUT_SECONDS", 900)),
                   smtp={k[len("ONEVOICE_SMTP_"):].lower(): v for k, v in env.items()
                         if k.startswith("ONEVOICE_SMTP_")},
                   intake=_choice(env, "ONEVOICE_INTAKE", ("inline", "queued")),
                   broker_url=env.get("ONEVOICE_BROKER_URL", ""))


def _choice(env: dict, name: str, options: tuple[str, ...]) -> str:
    value = env.get(name) or options[0]
    if value not in options:
        raise InvalidInput(f"{name} must be one of {', '.join(options)}, not {value!r}")
    return value


def _stored_secret(home: Path) -> str:
    path = home / "secret.key"
    if path.exists():
        return path.read_text().strip()
    home.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
