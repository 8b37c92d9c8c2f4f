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
ONEVOICE_SCHEDULER     on (default: the periodic jobs run in the web process) or off (workers run them)
ONEVOICE_AUTHORIZATION_MONTHS  how long a new per-channel authorization lasts (12; 0: no end date);
                       renewed by an administrator on /committee/authorizations
ONEVOICE_BROKER_URL    Celery broker (redis://… or amqp://…); when set, work the API hands off is
                       sent to the Celery workers at once instead of waiting for the next round

Security (docs/security.md):
ONEVOICE_MAX_DRAFT_CHARS   longest draft or screened text accepted (20000, also the most it may be); longer gets 413
ONEVOICE_SCREEN_PER_MINUTE screening requests per member per minute (60); more gets 429
ONEVOICE_SECURE_COOKIES    1: session cookies are `Secure` and `__Host-` prefixed (behind a TLS proxy)
ONEVOICE_TRUSTED_PROXIES   comma-separated proxy addresses whose X-Forwarded-For/-Proto are believed
ONEVOICE_AUDIT_KEY         key of the audit chain's HMAC; when unset one is generated once into
                           ONEVOICE_HOME/audit.key (0600), outside the database on purpose
ONEVOICE_AUDIT_ANCHOR_HOURS how often the audit head is sent to the committee as an anchor (24; 0: never)
ONEVOICE_ALLOW_PRIVATE_URLS 1: channel base URLs may point at loopback/private addresses (tests only)
ONEVOICE_LOGIN_MAX_FAILURES wrong passwords in a row before sign-in slows down (5): then each attempt
                           must wait 1 s, 2 s, 4 s, ... after the last one (refused, uncounted, meanwhile)
ONEVOICE_LOGIN_LOCKOUT_SECONDS the longest such wait (900); wrong two-factor codes count and wait alike
ONEVOICE_TOKEN_DAYS        how long a new API token works when its maker names no expiry (90; 0: until revoked)

Single sign-on with OpenID Connect (docs/sso.md):
ONEVOICE_OIDC_ISSUER        the provider's issuer URL (its /.well-known/openid-configuration); unset: no SSO
ONEVOICE_OIDC_CLIENT_ID     onevoice's client id at the provider
ONEVOICE_OIDC_CLIENT_SECRET its client secret
ONEVOICE_OIDC_NAME          the provider's name on the sign-in button ("Sign in with <name>"; default: its host)
ONEVOICE_OIDC_ALLOWED_DOMAIN only e-mails of this domain may sign in by SSO (default: any)
ONEVOICE_PASSWORD_SIGNIN    on (default) or off: password sign-in refused for everyone but the break-glass admin
ONEVOICE_BREAK_GLASS_ADMIN  the e-mail of the one admin whose password still works when password sign-in is off

Notifications (NOTIFY_VARIABLES; their meaning is in onevoice/notify/config.py, which parses them):
ONEVOICE_SMTP_*, ONEVOICE_CHAT_WEBHOOKS, ONEVOICE_WEBHOOK_SECRET, ONEVOICE_MATRIX_*, ONEVOICE_NOTIFY_*

This module is the one place an ONEVOICE_* variable is read from the environment; every one of them
is in the README's configuration table (tests/foundation/test_settings_documented.py checks both).
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from onevoice.errors import InvalidInput

# the notification variables, read by `notify_env` and parsed by onevoice.notify.config.NotifyConfig
SMTP_PREFIX = "ONEVOICE_SMTP_"
NOTIFY_VARIABLES = (
    "ONEVOICE_SMTP_HOST", "ONEVOICE_SMTP_PORT", "ONEVOICE_SMTP_FROM", "ONEVOICE_SMTP_USER",
    "ONEVOICE_SMTP_PASSWORD", "ONEVOICE_SMTP_STARTTLS", "ONEVOICE_SMTP_SSL",
    "ONEVOICE_CHAT_WEBHOOKS", "ONEVOICE_WEBHOOK_SECRET",
    "ONEVOICE_MATRIX_HOMESERVER", "ONEVOICE_MATRIX_TOKEN", "ONEVOICE_MATRIX_ROOM",
    "ONEVOICE_NOTIFY_MAX_ATTEMPTS", "ONEVOICE_NOTIFY_TIMEOUT",
)


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
    scheduler: bool = True
    max_draft_chars: int = 20_000
    screen_per_minute: int = 60
    secure_cookies: bool = False
    trusted_proxies: tuple[str, ...] = ()
    audit_key: str = ""
    audit_anchor_hours: int = 24
    allow_private_urls: bool = False
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_name: str = ""
    oidc_allowed_domain: str = ""
    password_signin: bool = True
    break_glass_admin: str = ""
    authorization_months: int = 12  # 0: authorizations on a channel have no end date
    token_days: int = 90  # a new API token's default life in days (0: until revoked)

    @property
    def sso(self) -> bool:
        """Whether single sign-on is configured (issuer, client id and secret)."""
        return bool(self.oidc_issuer and self.oidc_client_id and self.oidc_client_secret)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)
        home = Path(env.get("ONEVOICE_HOME", "var")).resolve()
        url = env.get("ONEVOICE_DATABASE_URL") or f"sqlite:///{home / 'onevoice.db'}"
        key = env.get("ONEVOICE_SECRET_KEY") or stored_secret(home)
        return cls(home=home, database_url=url, secret_key=key,
                   policy_pack=env.get("ONEVOICE_POLICY_PACK", "ipala"),
                   base_url=env.get("ONEVOICE_BASE_URL", "http://127.0.0.1:8000"),
                   retention_days=int(env.get("ONEVOICE_RETENTION_DAYS", 0)),
                   login_max_failures=int(env.get("ONEVOICE_LOGIN_MAX_FAILURES", 5)),
                   login_lockout_seconds=int(env.get("ONEVOICE_LOGIN_LOCKOUT_SECONDS", 900)),
                   smtp={k[len(SMTP_PREFIX):].lower(): v for k, v in env.items()
                         if k.startswith(SMTP_PREFIX)},
                   intake=_choice(env, "ONEVOICE_INTAKE", ("inline", "queued")),
                   broker_url=env.get("ONEVOICE_BROKER_URL", ""),
                   scheduler=_choice(env, "ONEVOICE_SCHEDULER", ("on", "off")) == "on",
                   max_draft_chars=min(_positive(env, "ONEVOICE_MAX_DRAFT_CHARS", 20_000), 20_000),
                   screen_per_minute=_positive(env, "ONEVOICE_SCREEN_PER_MINUTE", 60),
                   secure_cookies=_flag(env, "ONEVOICE_SECURE_COOKIES"),
                   trusted_proxies=tuple(p.strip() for p in env.get("ONEVOICE_TRUSTED_PROXIES", "").split(",")
                                         if p.strip()),
                   audit_key=env.get("ONEVOICE_AUDIT_KEY") or stored_secret(home, "audit.key"),
                   audit_anchor_hours=_positive(env, "ONEVOICE_AUDIT_ANCHOR_HOURS", 24, zero=True),
                   allow_private_urls=_flag(env, "ONEVOICE_ALLOW_PRIVATE_URLS"),
                   oidc_issuer=env.get("ONEVOICE_OIDC_ISSUER", "").strip(),
                   oidc_client_id=env.get("ONEVOICE_OIDC_CLIENT_ID", "").strip(),
                   oidc_client_secret=env.get("ONEVOICE_OIDC_CLIENT_SECRET", ""),
                   oidc_name=env.get("ONEVOICE_OIDC_NAME", "").strip(),
                   oidc_allowed_domain=env.get("ONEVOICE_OIDC_ALLOWED_DOMAIN", "").strip().lower().lstrip("@"),
                   password_signin=_choice(env, "ONEVOICE_PASSWORD_SIGNIN", ("on", "off")) == "on",
                   break_glass_admin=env.get("ONEVOICE_BREAK_GLASS_ADMIN", "").strip().lower(),
                   token_days=min(_positive(env, "ONEVOICE_TOKEN_DAYS", 90, zero=True), 3650),
                   authorization_months=_positive(env, "ONEVOICE_AUTHORIZATION_MONTHS", 12, zero=True))


def notify_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The notification variables set in `env` (default: the process environment), as given:
    every ONEVOICE_SMTP_* one and the others of NOTIFY_VARIABLES. NotifyConfig parses them."""
    env = os.environ if env is None else env
    return {k: v for k, v in env.items() if k.startswith(SMTP_PREFIX) or k in NOTIFY_VARIABLES}


def _flag(env: dict, name: str) -> bool:
    value = env.get(name, "").strip().lower()
    if value not in ("", "0", "1", "true", "false", "yes", "no"):
        raise InvalidInput(f"{name} must be 1 or 0, not {value!r}")
    return value in ("1", "true", "yes")


def _positive(env: dict, name: str, default: int, zero: bool = False) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number, not {raw!r}") from None
    if value < (0 if zero else 1):
        raise InvalidInput(f"{name} must be {'0 or more' if zero else 'at least 1'}, not {value}")
    return value


def _choice(env: dict, name: str, options: tuple[str, ...]) -> str:
    value = env.get(name) or options[0]
    if value not in options:
        raise InvalidInput(f"{name} must be one of {', '.join(options)}, not {value!r}")
    return value


def make_home(home: Path) -> None:
    """ONEVOICE_HOME holds the database and the keys: only its owner may read it (0700)."""
    if not home.exists():
        home.mkdir(parents=True, mode=0o700)
        os.chmod(home, 0o700)  # mkdir's mode is filtered by the umask


def stored_secret(home: Path, name: str = "secret.key") -> str:
    path = home / name
    if path.exists():
        return path.read_text().strip()
    make_home(home)
    key = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
