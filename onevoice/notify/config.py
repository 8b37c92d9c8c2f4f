"""Where notifications go and how hard delivery tries: one small, immutable config.

Read from the environment through onevoice.config (`Settings.smtp` for the SMTP part, so the
application's settings stay the one source, and `config.notify_env` for the rest). Every variable
is optional; a notification on a channel without its settings is marked failed at once, with the setting to add in `last_error` (the chair and the
admin see it in the app and `onevoice doctor` lists it); Retry puts it back once it is set.

E-mail (SMTP, via smtplib)
  ONEVOICE_SMTP_HOST       server name; unset: e-mail is not configured
  ONEVOICE_SMTP_PORT       25 (587 with STARTTLS, 465 with SSL are the usual others)
  ONEVOICE_SMTP_FROM       sender address (onevoice@localhost)
  ONEVOICE_SMTP_USER       login name, when the server wants one
  ONEVOICE_SMTP_PASSWORD   its password
  ONEVOICE_SMTP_STARTTLS   1: upgrade the connection with STARTTLS before logging in
  ONEVOICE_SMTP_SSL        1: TLS from the first byte (SMTPS, port 465)

Chat webhooks (JSON POST via httpx). A target is a URL, optionally prefixed with its format:
  "https://hooks.slack.com/..."  or  "slack:https://..."   Slack-style {"text": ...}
  "teams:https://..."                                       Microsoft Teams Adaptive Card message
  ONEVOICE_CHAT_WEBHOOKS   comma-separated targets that every escalation also goes to
  ONEVOICE_WEBHOOK_SECRET  when set, each body is signed: X-Onevoice-Signature: sha256=<hex HMAC-SHA256>

Matrix (client-server API via httpx). A target is a room id (!abc:server) or alias (#room:server).
  ONEVOICE_MATRIX_HOMESERVER  base URL, e.g. https://matrix.example.org
  ONEVOICE_MATRIX_TOKEN       the bot account's access token (the bot must have joined the room)
  ONEVOICE_MATRIX_ROOM        the room every escalation also goes to

Delivery
  ONEVOICE_NOTIFY_MAX_ATTEMPTS  tries before a notification is marked failed (8)
  ONEVOICE_NOTIFY_TIMEOUT       seconds for one connection or request (10)
  Retries wait 30 s, 60 s, 120 s, ... doubling up to one hour (about 2 hours over 8 attempts).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from onevoice.config import SMTP_PREFIX, notify_env

WEBHOOK_FORMATS = ("slack", "teams")


def _flag(value: str | None) -> bool:
    return str(value or "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class NotifyConfig:
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = "onevoice@localhost"
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    chat_webhooks: tuple[str, ...] = ()
    webhook_secret: str = field(default="", repr=False)
    matrix_homeserver: str = ""
    matrix_token: str = field(default="", repr=False)
    matrix_room: str = ""
    max_attempts: int = 8
    timeout: float = 10.0
    backoff_base: float = 30.0
    backoff_cap: float = 3600.0
    lease: float = 300.0  # a claimed row is retried after this long if its worker died mid-send

    @classmethod
    def from_env(cls, settings: Any = None, env: dict[str, str] | None = None) -> "NotifyConfig":
        """From the environment; SMTP values in `settings.smtp` (config.Settings) take precedence."""
        env = notify_env(env)
        smtp = {k[len(SMTP_PREFIX):].lower(): v for k, v in env.items() if k.startswith(SMTP_PREFIX)}
        smtp.update(getattr(settings, "smtp", None) or {})
        return cls(
            smtp_host=smtp.get("host", ""),
            smtp_port=int(smtp.get("port") or (465 if _flag(smtp.get("ssl")) else 25)),
            smtp_from=smtp.get("from") or "onevoice@localhost",
            smtp_user=smtp.get("user", ""),
            smtp_password=smtp.get("password", ""),
            smtp_starttls=_flag(smtp.get("starttls")),
            smtp_ssl=_flag(smtp.get("ssl")),
            chat_webhooks=tuple(u.strip() for u in env.get("ONEVOICE_CHAT_WEBHOOKS", "").split(",") if u.strip()),
            webhook_secret=env.get("ONEVOICE_WEBHOOK_SECRET", ""),
            matrix_homeserver=env.get("ONEVOICE_MATRIX_HOMESERVER", "").rstrip("/"),
            matrix_token=env.get("ONEVOICE_MATRIX_TOKEN", ""),
            matrix_room=env.get("ONEVOICE_MATRIX_ROOM", ""),
            max_attempts=int(env.get("ONEVOICE_NOTIFY_MAX_ATTEMPTS") or 8),
            timeout=float(env.get("ONEVOICE_NOTIFY_TIMEOUT") or 10.0),
        )

    @classmethod
    def resolve(cls, settings: Any = None) -> "NotifyConfig":
        """A NotifyConfig as given, or one built from the application's Settings (or None)."""
        return settings if isinstance(settings, cls) else cls.from_env(settings)

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the `attempts`-th failed try."""
        return min(self.backoff_cap, self.backoff_base * 2 ** max(0, attempts - 1))
